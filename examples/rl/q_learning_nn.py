"""Q-learning with a neural network on the GridWorld (book 4, chapter 7).

Instead of a table, a network maps the state, a one-hot vector of the 12 cells, to the four
action values: Linear(100) - ReLU - Linear(4), trained with SGD (lr 0.01) after every step
to move Q(s, a) towards the target r + gamma max_a' Q(s', a') (0 after the goal), which is
cut from the graph with ``unchain()`` so that no gradient flows into it. Epsilon-greedy
behaviour (epsilon 0.1), gamma 0.9, 1,000 episodes (a few seconds, so --quick runs it
unchanged). The loss curve and the learned Q are drawn; the greedy policy is graded against
the optimal one from value iteration.

    python examples/rl/q_learning_nn.py --out out/q_learning_nn
"""
import os
import sys

if __package__ in (None, ''):   # run as a script: import `examples` and `dezero` from this checkout
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir)))
from examples import common  # noqa: E402
from examples.rl.common.gridworld import GridWorld  # noqa: E402
from examples.rl.common import utils  # noqa: E402
from examples.rl.gridworld_dp import optimal_values  # noqa: E402

import numpy as np  # noqa: E402

import dezero  # noqa: E402
import dezero.functions as F  # noqa: E402
import dezero.layers as L  # noqa: E402
from dezero import optimizers  # noqa: E402
from dezero.models import Model  # noqa: E402


def one_hot(state, shape=(3, 4)):
    """The cell ``state`` as a (1, 12) float32 vector with a single 1."""
    vec = np.zeros((1, shape[0] * shape[1]), dtype=np.float32)
    vec[0, state[0] * shape[1] + state[1]] = 1.0
    return vec


class QNet(Model):
    def __init__(self):
        super().__init__()
        self.l1 = L.Linear(100)
        self.l2 = L.Linear(4)

    def forward(self, x):
        return self.l2(F.relu(self.l1(x)))


class QLearningAgent:
    def __init__(self, gamma=0.9, lr=0.01, epsilon=0.1, action_size=4):
        self.gamma = gamma
        self.epsilon = epsilon
        self.action_size = action_size
        self.qnet = QNet()
        self.optimizer = optimizers.SGD(lr).setup(self.qnet)

    def get_action(self, state_vec):
        if np.random.rand() < self.epsilon:
            return int(np.random.choice(self.action_size))
        with dezero.no_grad():
            qs = self.qnet(state_vec)
        return int(qs.data.argmax())

    def update(self, state, action, reward, next_state, done):
        if done:
            next_q = np.zeros(1, dtype=np.float32)      # nothing follows the goal
        else:
            next_q = self.qnet(next_state).max(axis=1)
            next_q.unchain()                            # the target is a constant
        target = self.gamma * next_q + reward
        q = self.qnet(state)[:, action]
        loss = F.mean_squared_error(target, q)
        self.qnet.cleargrads()
        loss.backward()
        self.optimizer.update()
        return loss.data.item()


def q_table(env, qnet):
    """The network's Q as a dict {(state, action): value} over every cell."""
    Q = {}
    with dezero.no_grad():
        for state in env.states():
            qs = qnet(one_hot(state)).data[0]
            for action in env.actions():
                Q[state, action] = qs[action].item()
    return Q


def main(argv=None):
    parser = common.make_parser(__doc__, 'q_learning_nn', needs=('matplotlib',))
    parser.add_argument('--episodes', type=int, default=1000, help='episodes (default 1000)')
    args = common.parse(parser, argv)
    env, gamma = GridWorld(), 0.9
    agent = QLearningAgent(gamma)

    losses = []
    for _ in common.progress(range(args.episodes), desc='Q-learning (network)'):
        state = env.reset()
        total_loss, steps, done = 0.0, 0, False
        while not done:
            action = agent.get_action(one_hot(state))
            next_state, reward, done = env.step(action)
            total_loss += agent.update(one_hot(state), action, reward, one_hot(next_state), done)
            steps += 1
            state = next_state
        losses.append(total_loss / steps)

    Q = q_table(env, agent.qnet)
    V_star = optimal_values(env, gamma)
    grade = utils.grade_greedy(env, Q, V_star, gamma)
    first, last = float(np.mean(losses[:50])), float(np.mean(losses[-100:]))
    figures = [common.plot_curves(args.out, 'q_learning_nn_loss.png', {'mean loss per step': losses},
                                  'episode', 'loss', window=50, logy=True,
                                  title='Q-learning with Linear(100)-ReLU-Linear(4)'),
               common.save_figure(env.render_q(Q, title=f'Q from the network after {args.episodes} episodes'),
                                  args.out, 'q_learning_nn_q.png')]
    metrics = {'episodes': args.episodes, 'loss_first_50': first, 'loss_last_100': last,
               'greedy_optimal_states': grade['optimal_states'],
               'wrong_states': [str(s) for s in grade['wrong_states']],
               'greedy_path_steps': grade['path_steps'], 'reaches_goal': grade['reaches_goal'],
               'path_max_error': grade['path_max_error'],
               'max_q_start': max(Q[env.start_state, a] for a in env.actions()),
               'V_star_start': V_star[env.start_state]}
    summary = (f'q_learning_nn: mean loss {first:.4f} in the first 50 episodes, {last:.5f} in the last 100; '
               f'greedy path {grade["path_steps"]} steps, greedy action optimal in '
               f'{grade["optimal_states"]}/10 states; max_a Q(start) = {metrics["max_q_start"]:.3f} '
               f'(V* {V_star[env.start_state]:.3f})')
    return common.finish(args, metrics, summary, figures)


if __name__ == '__main__':
    main()
