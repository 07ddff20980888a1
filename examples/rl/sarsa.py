"""SARSA on the GridWorld (book 4, chapter 6): on-policy TD control, or off-policy with --off-policy.

The agent updates Q(s, a) towards r + gamma Q(s', a') with the action a' it actually takes
next, so the update waits one step (the last two transitions are kept in a deque); the policy
is epsilon-greedy in Q. alpha = 0.8, epsilon = 0.1, gamma = 0.9, 10,000 episodes
(3,000 with --quick).

--off-policy learns a greedy target policy from epsilon-greedy behaviour, weighting the
bootstrap term by rho = pi(a'|s') / b(a'|s'). The book multiplies the whole target, reward
included, by rho; the reward of the step just taken does not depend on a', so here only the
bootstrap term is weighted.

With alpha = 0.8 the final Q is a noisy snapshot and, for an unlucky seed, its greedy path can
miss the goal; the mean length of the last 1,000 episodes is the robust measure of learning.

    python examples/rl/sarsa.py --out out/sarsa
"""
import os
import sys
from collections import defaultdict, deque

if __package__ in (None, ''):   # run as a script: import `examples` and `dezero` from this checkout
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir)))
from examples import common  # noqa: E402
from examples.rl.common.gridworld import GridWorld  # noqa: E402
from examples.rl.common.utils import greedy_probs  # noqa: E402
from examples.rl.common import utils  # noqa: E402
from examples.rl.gridworld_dp import optimal_values  # noqa: E402
from examples.rl.mc import RANDOM_ACTIONS, sample_action  # noqa: E402

import numpy as np  # noqa: E402


class SarsaAgent:
    def __init__(self, gamma=0.9, alpha=0.8, epsilon=0.1):
        self.gamma = gamma
        self.alpha = alpha
        self.epsilon = epsilon
        self.pi = defaultdict(lambda: RANDOM_ACTIONS)
        self.Q = defaultdict(lambda: 0.0)
        self.memory = deque(maxlen=2)

    def get_action(self, state):
        return sample_action(self.pi[state])

    def reset(self):
        self.memory.clear()

    def update(self, state, action, reward, done):
        """Remember this transition and update the previous one, whose next action is now known."""
        self.memory.append((state, action, reward, done))
        if len(self.memory) < 2:
            return
        state, action, reward, done = self.memory[0]
        next_state, next_action, _, _ = self.memory[1]
        next_q = 0 if done else self.Q[next_state, next_action]
        target = reward + self.gamma * next_q
        self.Q[state, action] += (target - self.Q[state, action]) * self.alpha
        self.pi[state] = greedy_probs(self.Q, state, self.epsilon)


class SarsaOffPolicyAgent(SarsaAgent):
    """Greedy target policy ``pi``, epsilon-greedy behaviour ``b``, importance-weighted bootstrap."""

    def __init__(self, gamma=0.9, alpha=0.8, epsilon=0.1):
        super().__init__(gamma, alpha, epsilon)
        self.b = defaultdict(lambda: RANDOM_ACTIONS)

    def get_action(self, state):
        return sample_action(self.b[state])

    def update(self, state, action, reward, done):
        self.memory.append((state, action, reward, done))
        if len(self.memory) < 2:
            return
        state, action, reward, done = self.memory[0]
        next_state, next_action, _, _ = self.memory[1]
        if done:
            next_q, rho = 0, 1
        else:
            next_q = self.Q[next_state, next_action]
            rho = self.pi[next_state][next_action] / self.b[next_state][next_action]
        target = reward + self.gamma * rho * next_q
        self.Q[state, action] += (target - self.Q[state, action]) * self.alpha
        self.pi[state] = greedy_probs(self.Q, state, 0)
        self.b[state] = greedy_probs(self.Q, state, self.epsilon)


def train(env, agent, episodes):
    """Play ``episodes`` episodes; returns their lengths."""
    lengths = []
    for _ in common.progress(range(episodes), desc='SARSA'):
        state = env.reset()
        agent.reset()
        steps = 0
        while True:
            action = agent.get_action(state)
            next_state, reward, done = env.step(action)
            agent.update(state, action, reward, done)
            steps += 1
            if done:
                agent.update(next_state, None, None, None)   # flush the last transition
                break
            state = next_state
        lengths.append(steps)
    return lengths


def main(argv=None):
    parser = common.make_parser(__doc__, 'sarsa', needs=('matplotlib',))
    parser.add_argument('--episodes', type=int, default=None, help='default 10000 (3000 with --quick)')
    parser.add_argument('--off-policy', action='store_true', help='off-policy SARSA with importance sampling')
    args = common.parse(parser, argv)
    episodes = args.episodes or (3000 if args.quick else 10000)
    env, gamma = GridWorld(), 0.9
    agent = SarsaOffPolicyAgent(gamma) if args.off_policy else SarsaAgent(gamma)
    kind = 'off-policy' if args.off_policy else 'on-policy'

    lengths = train(env, agent, episodes)
    grade = utils.grade_greedy(env, agent.Q, optimal_values(env, gamma), gamma)
    last = float(np.mean(lengths[-1000:]))
    prefix = 'sarsa_off_policy' if args.off_policy else 'sarsa'
    figures = [common.save_figure(env.render_q(agent.Q, title=f'{kind} SARSA: Q after {episodes} episodes'),
                                  args.out, f'{prefix}_q.png'),
               common.plot_curves(args.out, f'{prefix}_lengths.png', {'episode length': lengths},
                                  'episodes', 'steps to the goal', window=100, logy=True,
                                  title=f'{kind} SARSA (optimal: 5 steps)')]
    metrics = {'off_policy': args.off_policy, 'episodes': episodes,
               'mean_length_last_1000': last,
               'greedy_path_steps': grade['path_steps'], 'reaches_goal': grade['reaches_goal'],
               'greedy_optimal_states': grade['optimal_states'],
               'max_q_start': max(agent.Q[(env.start_state, a)] for a in env.actions())}
    summary = (f'sarsa ({kind}): mean episode length over the last 1000 episodes {last:.2f} '
               f'(epsilon-greedy; optimal 5); greedy path {grade["path_steps"]} steps, greedy '
               f'action optimal in {grade["optimal_states"]}/10 states')
    common.finish(args, metrics, summary, figures)


if __name__ == '__main__':
    main()
