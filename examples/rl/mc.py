"""Monte Carlo methods on the GridWorld (book 4, chapter 5): evaluation, on- and off-policy control.

1. Evaluation: the value of the uniformly random policy from complete episodes, as the sample
   average of the returns that followed each visit (every-visit MC), compared with the exact
   answer of dynamic programming.
2. On-policy control: an epsilon-greedy policy improved after every episode, Q updated with a
   constant step size alpha = 0.1.
3. Off-policy control: the target policy is greedy, the episodes come from an epsilon-greedy
   behaviour policy, and the returns are corrected by importance sampling. The book writes the
   return as G <- gamma * rho * G + r with rho the product of all later ratios, which applies
   each ratio again at every earlier step and inflates Q above 1; here each step's return uses
   only the ratio of the next action (per-decision importance sampling), which is unbiased.

gamma = 0.9 and epsilon = 0.1 throughout. --quick plays 3,000 control episodes instead of 10,000.

    python examples/rl/mc.py --out out/mc
"""
import os
import sys
from collections import defaultdict

if __package__ in (None, ''):   # run as a script: import `examples` and `dezero` from this checkout
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir)))
from examples import common  # noqa: E402
from examples.rl.common.gridworld import GridWorld  # noqa: E402
from examples.rl.common.utils import greedy_probs  # noqa: E402
from examples.rl.common import utils  # noqa: E402
from examples.rl.gridworld_dp import optimal_values, random_policy_values  # noqa: E402

import numpy as np  # noqa: E402

RANDOM_ACTIONS = {0: 0.25, 1: 0.25, 2: 0.25, 3: 0.25}


def sample_action(action_probs):
    """Draw an action from {action: probability}."""
    return int(np.random.choice(list(action_probs.keys()), p=list(action_probs.values())))


class RandomAgent:
    """Follows the random policy and estimates its V by every-visit Monte Carlo."""

    def __init__(self, gamma=0.9):
        self.gamma = gamma
        self.pi = defaultdict(lambda: RANDOM_ACTIONS)
        self.V = defaultdict(lambda: 0.0)
        self.cnts = defaultdict(lambda: 0)
        self.memory = []

    def get_action(self, state):
        return sample_action(self.pi[state])

    def add(self, state, action, reward):
        self.memory.append((state, action, reward))

    def reset(self):
        self.memory.clear()

    def update(self):
        """Walk the episode backwards, accumulating the return; average it into V."""
        G = 0.0
        for state, action, reward in reversed(self.memory):
            G = self.gamma * G + reward
            self.cnts[state] += 1
            self.V[state] += (G - self.V[state]) / self.cnts[state]


class McAgent(RandomAgent):
    """On-policy MC control: Q by a constant step size, the policy epsilon-greedy in Q."""

    def __init__(self, gamma=0.9, epsilon=0.1, alpha=0.1):
        super().__init__(gamma)
        self.epsilon = epsilon
        self.alpha = alpha
        self.Q = defaultdict(lambda: 0.0)

    def update(self):
        G = 0.0
        for state, action, reward in reversed(self.memory):
            G = self.gamma * G + reward
            key = (state, action)
            self.Q[key] += (G - self.Q[key]) * self.alpha
            self.pi[state] = greedy_probs(self.Q, state, self.epsilon)


class McOffPolicyAgent(McAgent):
    """Off-policy MC control: greedy target ``pi``, epsilon-greedy behaviour ``b``."""

    def __init__(self, gamma=0.9, epsilon=0.1, alpha=0.2):
        super().__init__(gamma, epsilon, alpha)
        self.b = defaultdict(lambda: RANDOM_ACTIONS)

    def get_action(self, state):
        return sample_action(self.b[state])

    def update(self):
        G = 0.0
        rho = 1.0       # pi / b of the action taken one step later
        for state, action, reward in reversed(self.memory):
            G = reward + self.gamma * rho * G
            key = (state, action)
            self.Q[key] += (G - self.Q[key]) * self.alpha
            rho = self.pi[state][action] / self.b[state][action]
            self.pi[state] = greedy_probs(self.Q, state, epsilon=0.0)
            self.b[state] = greedy_probs(self.Q, state, self.epsilon)


def play(env, agent, episodes, desc):
    """Run ``episodes`` episodes, updating after each; returns the episode lengths."""
    lengths = []
    for _ in common.progress(range(episodes), desc=desc):
        state = env.reset()
        agent.reset()
        while True:
            action = agent.get_action(state)
            next_state, reward, done = env.step(action)
            agent.add(state, action, reward)
            if done:
                break
            state = next_state
        agent.update()
        lengths.append(len(agent.memory))
    return lengths


def main(argv=None):
    parser = common.make_parser(__doc__, 'mc', needs=('matplotlib',))
    parser.add_argument('--eval-episodes', type=int, default=1000, help='default 1000')
    parser.add_argument('--episodes', type=int, default=None,
                        help='control episodes (default 10000, 3000 with --quick)')
    args = common.parse(parser, argv)
    episodes = args.episodes or (3000 if args.quick else 10000)
    env, gamma = GridWorld(), 0.9
    V_random, V_star = random_policy_values(env, gamma), optimal_values(env, gamma)
    figures = []

    evaluator = RandomAgent(gamma)
    play(env, evaluator, args.eval_episodes, 'evaluation')
    start_error, max_error = utils.value_errors(env, evaluator.V, V_random)
    fig = env.render_v(evaluator.V, title=f'MC estimate of the random policy ({args.eval_episodes} episodes)')
    figures.append(common.save_figure(fig, args.out, 'mc_eval_v.png'))

    results = {}
    for name, agent in (('on_policy', McAgent(gamma)), ('off_policy', McOffPolicyAgent(gamma))):
        lengths = play(env, agent, episodes, name.replace('_', '-'))
        grade = utils.grade_greedy(env, agent.Q, V_star, gamma)
        results[name] = {
            'greedy_path_steps': grade['path_steps'], 'reaches_goal': grade['reaches_goal'],
            'greedy_optimal_states': grade['optimal_states'],
            'max_q_start': max(agent.Q[(env.start_state, a)] for a in env.actions()),
            'path_max_error': grade['path_max_error'],
            'mean_length_last_1000': float(np.mean(lengths[-1000:])),
        }
        fig = env.render_q(agent.Q, title=f'{name.replace("_", "-")} MC control: Q after {episodes} episodes')
        figures.append(common.save_figure(fig, args.out, f'mc_control_{name}_q.png'))

    metrics = {
        'evaluation': {'episodes': args.eval_episodes, 'V_start': evaluator.V[env.start_state],
                       'V_start_exact': V_random[env.start_state], 'start_error': start_error,
                       'max_error': max_error, 'V': utils.table(env, evaluator.V)},
        'control_episodes': episodes,
        **results,
    }
    on, off = results['on_policy'], results['off_policy']
    summary = (f'mc: evaluation V(start) = {evaluator.V[env.start_state]:.3f} (exact '
               f'{V_random[env.start_state]:.3f}, max error {max_error:.3f}); greedy path after '
               f'{episodes} episodes: on-policy {on["greedy_path_steps"]} steps, off-policy '
               f'{off["greedy_path_steps"]} steps (optimal 5)')
    common.finish(args, metrics, summary, figures)


if __name__ == '__main__':
    main()
