"""Tabular Q-learning on the GridWorld (book 4, chapter 6).

The agent behaves epsilon-greedily but updates Q(s, a) towards r + gamma max_a' Q(s', a'),
the value of acting greedily from s', so it learns the optimal Q* whatever it explores with.
alpha = 0.8, epsilon = 0.1, gamma = 0.9, 10,000 episodes (about a second, so --quick runs it
unchanged). At the end the greedy policy of Q is compared, state by state, with the optimal one
from value iteration. Cells far from the path the agent prefers are visited only by
exploration, so for some seeds one of them still has a wrong greedy action.

    python examples/rl/q_learning.py --out out/q_learning
"""
import os
import sys
from collections import defaultdict

if __package__ in (None, ''):   # run as a script: import `examples` and `dezero` from this checkout
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir)))
from examples import common  # noqa: E402
from examples.rl.common.gridworld import GridWorld  # noqa: E402
from examples.rl.common import utils  # noqa: E402
from examples.rl.gridworld_dp import optimal_values  # noqa: E402

import numpy as np  # noqa: E402


class QLearningAgent:
    def __init__(self, gamma=0.9, alpha=0.8, epsilon=0.1, action_size=4):
        self.gamma = gamma
        self.alpha = alpha
        self.epsilon = epsilon
        self.action_size = action_size
        self.Q = defaultdict(lambda: 0.0)

    def get_action(self, state):
        """Epsilon-greedy behaviour: a random action with probability epsilon, else the best one."""
        if np.random.rand() < self.epsilon:
            return int(np.random.choice(self.action_size))
        qs = [self.Q[state, a] for a in range(self.action_size)]
        return int(np.argmax(qs))

    def update(self, state, action, reward, next_state, done):
        if done:
            next_q_max = 0    # nothing follows the goal
        else:
            next_q_max = max(self.Q[next_state, a] for a in range(self.action_size))
        target = reward + self.gamma * next_q_max
        self.Q[state, action] += (target - self.Q[state, action]) * self.alpha


def train(env, agent, episodes):
    """Play ``episodes`` episodes, updating after every step; returns their lengths."""
    lengths = []
    for _ in common.progress(range(episodes), desc='Q-learning'):
        state = env.reset()
        steps = 0
        while True:
            action = agent.get_action(state)
            next_state, reward, done = env.step(action)
            agent.update(state, action, reward, next_state, done)
            steps += 1
            if done:
                break
            state = next_state
        lengths.append(steps)
    return lengths


def main(argv=None):
    parser = common.make_parser(__doc__, 'q_learning', needs=('matplotlib',))
    parser.add_argument('--episodes', type=int, default=None, help='default 10000')
    args = common.parse(parser, argv)
    episodes = args.episodes or 10000
    env, gamma = GridWorld(), 0.9
    V_star = optimal_values(env, gamma)

    agent = QLearningAgent(gamma)
    lengths = train(env, agent, episodes)
    grade = utils.grade_greedy(env, agent.Q, V_star, gamma)
    last = float(np.mean(lengths[-1000:]))
    figures = [common.save_figure(env.render_q(agent.Q, title=f'Q-learning: Q after {episodes} episodes'),
                                  args.out, 'q_learning_q.png'),
               common.plot_curves(args.out, 'q_learning_lengths.png', {'episode length': lengths},
                                  'episodes', 'steps to the goal', window=100, logy=True,
                                  title='Q-learning, epsilon-greedy behaviour (optimal: 5 steps)')]
    metrics = {'episodes': episodes,
               'greedy_optimal_states': grade['optimal_states'],
               'wrong_states': [str(s) for s in grade['wrong_states']],
               'greedy_path_steps': grade['path_steps'], 'reaches_goal': grade['reaches_goal'],
               'path_max_error': grade['path_max_error'],
               'max_q_start': max(agent.Q[(env.start_state, a)] for a in env.actions()),
               'V_star_start': V_star[env.start_state],
               'mean_length_last_1000': last}
    summary = (f'q_learning: greedy action optimal in {grade["optimal_states"]}/10 states after '
               f'{episodes} episodes; max_a Q(start) = {metrics["max_q_start"]:.3f} (V* '
               f'{V_star[env.start_state]:.3f}); greedy path {grade["path_steps"]} steps; mean '
               f'length of the last 1000 episodes {last:.2f}')
    common.finish(args, metrics, summary, figures)


if __name__ == '__main__':
    main()
