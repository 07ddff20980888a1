"""DQN with prioritized experience replay on CartPole (book 4, chapter 10).

Uniform replay spends most updates on transitions the network already predicts well.
Prioritized replay (Schaul et al., 2016, the proportional variant) samples transition i with
probability P(i) = p_i^alpha / sum_k p_k^alpha, where p_i = |delta_i| + eps is its last TD
error; a new transition gets the largest priority so far, so it is replayed at least once.

Sampling from a changing distribution must be cheap: a *sum tree* keeps the priorities in the
leaves of a binary tree whose inner nodes hold the sums of their children, so that drawing
one transition (descend from the root, going left or right by comparing a uniform number with
the left sum) and changing one priority (update the path to the root) both take O(log N). The
batch of 32 is stratified: one draw from each of 32 equal slices of the total.

Preferring some transitions biases the updates towards them; importance-sampling weights
w_i = (N P(i))^-beta / max_j w_j undo the bias, fully when beta = 1: beta grows linearly from
0.4 to 1 over the first 40,000 batches (about the length of a run). The loss is the weighted
mean of the squared TD errors. alpha = 0.6, eps = 1e-3.

Everything else is dqn_cartpole.py's agent and loop (``rl/common/dqn.py``) with its settings;
500 episodes (--quick: stop at the first greedy evaluation of 195, at most 150 episodes).
``dqn_compare.py`` runs it next to the other variants over several seeds.

    python examples/rl/per_dqn.py --out out/per_dqn
"""
import os
import sys

if __package__ in (None, ''):   # run as a script: import `examples` and `dezero` from this checkout
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir)))
from examples import common  # noqa: E402
from examples.rl.common import dqn  # noqa: E402

import numpy as np  # noqa: E402

import dezero.functions as F  # noqa: E402


class SumTree:
    """Non-negative priorities of ``capacity`` slots in a binary tree of partial sums.

    The leaves are ``tree[size:size + capacity]`` (``size``: the next power of two), node n holds
    ``tree[2n] + tree[2n + 1]`` and the root ``tree[1]`` is the total. All methods take arrays
    of slots or values, so a whole batch is handled with one loop over the tree's depth.
    """

    def __init__(self, capacity):
        if capacity < 1:
            raise ValueError(f'SumTree: capacity must be at least 1, got {capacity}')
        self.capacity = capacity
        self.size = 1 << max(0, (capacity - 1).bit_length())
        self.tree = np.zeros(2 * self.size)

    @property
    def total(self):
        return self.tree[1]

    def __getitem__(self, slots):
        return self.tree[self.size + np.asarray(slots)]

    def update(self, slots, priorities):
        """Set the priorities of ``slots`` (repeats allowed: the last one wins) and the sums above them."""
        slots = np.asarray(slots, dtype=np.int64)
        priorities = np.asarray(priorities, dtype=float)
        if np.any(slots < 0) or np.any(slots >= self.capacity):
            raise IndexError(f'SumTree.update: slots must be in [0, {self.capacity}), got {slots}')
        if np.any(priorities < 0) or not np.all(np.isfinite(priorities)):
            raise ValueError(f'SumTree.update: priorities must be finite and >= 0, got {priorities}')
        nodes = self.size + slots
        self.tree[nodes] = priorities
        nodes = np.unique(nodes // 2)
        while nodes[0] >= 1:
            self.tree[nodes] = self.tree[2 * nodes] + self.tree[2 * nodes + 1]
            if nodes[0] == 1:
                break
            nodes = np.unique(nodes // 2)

    def find(self, values):
        """For each value in [0, total), the slot i with sum(p[:i]) <= value < sum(p[:i + 1])."""
        values = np.array(values, dtype=float)
        nodes = np.ones(len(values), dtype=np.int64)
        while nodes[0] < self.size:
            left = 2 * nodes
            go_right = values >= self.tree[left]
            values = np.where(go_right, values - self.tree[left], values)
            nodes = left + go_right
        return np.minimum(nodes - self.size, self.capacity - 1)


class PrioritizedReplayBuffer:
    """The last ``buffer_size`` transitions in NumPy arrays, sampled in proportion to priority^alpha.

    ``get_batch()`` returns the five arrays of ``ReplayBuffer.get_batch()`` followed by the
    importance weights (float32, at most 1) and the slots, which ``update_priorities`` takes
    back with the new TD errors.
    """

    def __init__(self, buffer_size, batch_size, alpha=0.6, beta=0.4, beta_steps=40_000, eps=1e-3):
        self.buffer_size, self.batch_size = buffer_size, batch_size
        self.alpha, self.beta0, self.beta_steps, self.eps = alpha, beta, beta_steps, eps
        self.tree = SumTree(buffer_size)
        self.max_priority = 1.0
        self.pos, self.count, self.batches = 0, 0, 0
        self.data = None

    @property
    def beta(self):
        return min(1.0, self.beta0 + (1.0 - self.beta0) * self.batches / self.beta_steps)

    def __len__(self):
        return self.count

    def add(self, state, action, reward, next_state, terminated):
        if self.data is None:
            state = np.asarray(state)
            self.data = {'state': np.zeros((self.buffer_size,) + state.shape, np.float32),
                         'action': np.zeros(self.buffer_size, np.int64),
                         'reward': np.zeros(self.buffer_size, np.float32),
                         'next_state': np.zeros((self.buffer_size,) + state.shape, np.float32),
                         'terminated': np.zeros(self.buffer_size, np.int32)}
        for key, value in zip(self.data, (state, action, reward, next_state, terminated)):
            self.data[key][self.pos] = value
        self.tree.update([self.pos], [self.max_priority ** self.alpha])
        self.pos = (self.pos + 1) % self.buffer_size
        self.count = min(self.count + 1, self.buffer_size)

    def get_batch(self):
        total = self.tree.total
        segment = total / self.batch_size
        values = (np.arange(self.batch_size) + np.random.rand(self.batch_size)) * segment
        slots = self.tree.find(np.minimum(values, np.nextafter(total, 0)))
        probs = self.tree[slots] / total
        weights = (self.count * probs) ** -self.beta
        weights = (weights / weights.max()).astype(np.float32)
        self.batches += 1
        d = self.data
        return (d['state'][slots], d['action'][slots], d['reward'][slots], d['next_state'][slots],
                d['terminated'][slots], weights, slots)

    def update_priorities(self, slots, td_errors):
        priorities = np.abs(td_errors) + self.eps
        self.max_priority = max(self.max_priority, float(priorities.max()))
        self.tree.update(slots, priorities ** self.alpha)


class PERAgent(dqn.DQNAgent):
    def __init__(self, buffer_size=10000, batch_size=32, **kwargs):
        super().__init__(buffer_size=buffer_size, batch_size=batch_size,
                         replay_buffer=PrioritizedReplayBuffer(buffer_size, batch_size), **kwargs)

    def loss(self, q, target, batch):
        """The importance-weighted mean squared TD error; the new |TD errors| become the priorities."""
        weights, slots = batch[5], batch[6]
        td = q - target
        self.replay_buffer.update_priorities(slots, td.data)
        return F.sum(weights * td ** 2) / len(weights)


def make_agent():
    return PERAgent()


def main(argv=None):
    parser = common.make_parser(__doc__, 'per_dqn', needs=('gymnasium', 'matplotlib'))
    return dqn.run_variant(parser, make_agent, 'DQN with prioritized replay on CartPole', argv)


if __name__ == '__main__':
    main()
