"""Dueling DQN on CartPole (book 4, chapter 10): Q(s, a) = V(s) + A(s, a) - mean_a A(s, a).

In many states the action hardly matters (the pole is upright and centred), yet DQN must learn
the value of each action separately. The dueling network (Wang et al., 2016) splits the head
in two: one stream estimates the state's value V(s), the other the advantage A(s, a) of each
action, and they are recombined as

    Q(s, a) = V(s) + A(s, a) - (1 / |A|) sum_a' A(s, a')

Subtracting the mean advantage makes the split unique (otherwise any constant could move
between V and A). Every update then improves V(s), whatever action was replayed.

Network: Linear(128) - ReLU shared, then V: Linear(128) - ReLU - Linear(1) and A: Linear(128)
- ReLU - Linear(2). Everything else is dqn_cartpole.py's agent and loop (``rl/common/dqn.py``)
with its settings; 500 episodes (--quick: stop at the first greedy evaluation of 195, at most
150 episodes). ``dqn_compare.py`` runs it next to the other variants over several seeds.

    python examples/rl/dueling_dqn.py --out out/dueling_dqn
"""
import os
import sys

if __package__ in (None, ''):   # run as a script: import `examples` and `dezero` from this checkout
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir)))
from examples import common  # noqa: E402
from examples.rl.common import dqn  # noqa: E402

import dezero.functions as F  # noqa: E402
import dezero.layers as L  # noqa: E402
from dezero.models import Model  # noqa: E402


class DuelingQNet(Model):
    """Q(s, .) = V(s) + A(s, .) - mean A(s, .), from a shared layer and two streams."""

    def __init__(self, action_size):
        super().__init__()
        self.l1 = L.Linear(128)
        self.v1 = L.Linear(128)
        self.v2 = L.Linear(1)
        self.a1 = L.Linear(128)
        self.a2 = L.Linear(action_size)

    def forward(self, x):
        h = F.relu(self.l1(x))
        v = self.v2(F.relu(self.v1(h)))                     # (N, 1)
        a = self.a2(F.relu(self.a1(h)))                     # (N, actions)
        return v + a - F.average(a, axis=1, keepdims=True)


def make_agent():
    return dqn.DQNAgent(qnet_class=DuelingQNet)


def main(argv=None):
    parser = common.make_parser(__doc__, 'dueling_dqn', needs=('gymnasium', 'matplotlib'))
    return dqn.run_variant(parser, make_agent, 'Dueling DQN on CartPole', argv)


if __name__ == '__main__':
    main()
