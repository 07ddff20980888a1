"""TD(0) policy evaluation on the GridWorld (book 4, chapter 6), next to Monte Carlo.

Evaluates the uniformly random policy by TD(0), V(s) <- V(s) + alpha (r + gamma V(s') - V(s))
after every step (alpha = 0.01, gamma = 0.9, 1,000 episodes), and plots how far its estimate
is from the exact values of dynamic programming, episode by episode, next to every-visit Monte
Carlo on the same number of episodes. --quick plays 500 episodes.

    python examples/rl/td.py --out out/td
"""
import os
import sys
from collections import defaultdict

if __package__ in (None, ''):   # run as a script: import `examples` and `dezero` from this checkout
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir)))
from examples import common  # noqa: E402
from examples.rl.common.gridworld import GridWorld  # noqa: E402
from examples.rl.common import utils  # noqa: E402
from examples.rl.gridworld_dp import random_policy_values  # noqa: E402
from examples.rl.mc import RANDOM_ACTIONS, RandomAgent, sample_action  # noqa: E402

import numpy as np  # noqa: E402


class TdAgent:
    """Follows the random policy and updates V by TD(0) after every step."""

    def __init__(self, gamma=0.9, alpha=0.01):
        self.gamma = gamma
        self.alpha = alpha
        self.pi = defaultdict(lambda: RANDOM_ACTIONS)
        self.V = defaultdict(lambda: 0.0)

    def get_action(self, state):
        return sample_action(self.pi[state])

    def eval(self, state, reward, next_state, done):
        next_V = 0 if done else self.V[next_state]   # the goal is terminal: no value after it
        target = reward + self.gamma * next_V
        self.V[state] += (target - self.V[state]) * self.alpha


def rms_error(env, V, V_ref):
    states = utils.nonterminal_states(env)
    return float(np.sqrt(np.mean([(V[s] - V_ref[s]) ** 2 for s in states])))


def td_episodes(env, agent, episodes, V_ref):
    errors = []
    for _ in common.progress(range(episodes), desc='TD(0)'):
        state = env.reset()
        while True:
            action = agent.get_action(state)
            next_state, reward, done = env.step(action)
            agent.eval(state, reward, next_state, done)
            if done:
                break
            state = next_state
        errors.append(rms_error(env, agent.V, V_ref))
    return errors


def mc_episodes(env, agent, episodes, V_ref):
    errors = []
    for _ in common.progress(range(episodes), desc='MC'):
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
        errors.append(rms_error(env, agent.V, V_ref))
    return errors


def main(argv=None):
    parser = common.make_parser(__doc__, 'td', needs=('matplotlib',))
    parser.add_argument('--episodes', type=int, default=None, help='default 1000 (500 with --quick)')
    parser.add_argument('--alpha', type=float, default=0.01, help='TD step size (default 0.01)')
    args = common.parse(parser, argv)
    episodes = args.episodes or (500 if args.quick else 1000)
    env, gamma = GridWorld(), 0.9
    V_ref = random_policy_values(env, gamma)

    agent = TdAgent(gamma, args.alpha)
    td_errors = td_episodes(env, agent, episodes, V_ref)
    mc_errors = mc_episodes(env, RandomAgent(gamma), episodes, V_ref)
    start_error, max_error = utils.value_errors(env, agent.V, V_ref)

    figures = [common.save_figure(env.render_v(agent.V, title=f'TD(0) estimate ({episodes} episodes)'),
                                  args.out, 'td_eval_v.png'),
               common.plot_curves(args.out, 'td_vs_mc_error.png',
                                  {f'TD(0), alpha = {args.alpha}': td_errors, 'every-visit MC': mc_errors},
                                  'episodes', 'RMS error of V (vs DP)',
                                  title='evaluating the random policy')]
    metrics = {'episodes': episodes, 'alpha': args.alpha,
               'V_start': agent.V[env.start_state], 'V_start_exact': V_ref[env.start_state],
               'start_error': start_error, 'max_error': max_error,
               'rms_error': td_errors[-1], 'mc_rms_error': mc_errors[-1],
               'V': utils.table(env, agent.V)}
    summary = (f'td: TD(0) V(start) = {agent.V[env.start_state]:.3f} after {episodes} episodes '
               f'(exact {V_ref[env.start_state]:.3f}, max error {max_error:.3f}); RMS error TD '
               f'{td_errors[-1]:.3f}, MC {mc_errors[-1]:.3f}')
    common.finish(args, metrics, summary, figures)


if __name__ == '__main__':
    main()
