"""The multi-armed bandit (book 4, chapter 1): epsilon-greedy agents with sample-average estimates.

A 10-armed bandit whose arms pay 1 with fixed hidden probabilities. First the incremental mean
Q <- Q + (r - Q) / n is checked against the batch mean; then one epsilon = 0.1 run, and the
average over 200 runs of 1,000 steps for epsilon = 0.01, 0.1 and 0.3. The full experiment
takes a few seconds, so --quick runs it unchanged.

    python examples/rl/bandit.py --out out/bandit
"""
import os
import sys

if __package__ in (None, ''):   # run as a script: import `examples` and `dezero` from this checkout
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir)))
from examples import common  # noqa: E402

import numpy as np  # noqa: E402


class Bandit:
    """``arms`` slot machines; arm i pays 1 with probability ``rates[i]`` (drawn uniformly)."""

    def __init__(self, arms=10):
        self.rates = np.random.rand(arms)

    def play(self, arm):
        rate = self.rates[arm]
        return 1 if rate > np.random.rand() else 0


class Agent:
    """Epsilon-greedy: explore a random arm with probability ``epsilon``, else the best estimate."""

    def __init__(self, epsilon, action_size=10):
        self.epsilon = epsilon
        self.Qs = np.zeros(action_size)
        self.ns = np.zeros(action_size)

    def update(self, action, reward):
        """Incremental sample average: Q <- Q + (reward - Q) / n."""
        self.ns[action] += 1
        self.Qs[action] += (reward - self.Qs[action]) / self.ns[action]

    def get_action(self):
        if np.random.rand() < self.epsilon:
            return np.random.randint(0, len(self.Qs))
        return int(np.argmax(self.Qs))


def incremental_vs_batch_mean(n=10, seed=0):
    """The last of the running means of ``n`` uniform draws, computed both ways."""
    rng = np.random.RandomState(seed)
    rewards = rng.rand(n)
    batch = [sum(rewards[:k].tolist()) / k for k in range(1, n + 1)]
    Q = 0.0
    for k, r in enumerate(rewards, 1):
        Q += (r - Q) / k
    return batch[-1], Q


def run(agent, bandit, steps):
    """Play ``steps`` times; returns the reward of each step."""
    rewards = np.empty(steps)
    for step in range(steps):
        action = agent.get_action()
        reward = bandit.play(action)
        agent.update(action, reward)
        rewards[step] = reward
    return rewards


def average_rates(epsilon, runs, steps, seed, desc):
    """Mean over ``runs`` fresh bandits of the average reward so far ("rate") at each step."""
    np.random.seed(seed)
    all_rates = np.zeros((runs, steps))
    for i in common.progress(range(runs), desc=desc):
        rewards = run(Agent(epsilon), Bandit(), steps)
        all_rates[i] = np.cumsum(rewards) / np.arange(1, steps + 1)
    return all_rates.mean(axis=0)


def main(argv=None):
    parser = common.make_parser(__doc__, 'bandit', needs=('matplotlib',))
    parser.add_argument('--runs', type=int, default=200, help='bandits to average over (default 200)')
    parser.add_argument('--steps', type=int, default=1000, help='plays per run (default 1000)')
    args = common.parse(parser, argv)
    figures = []

    batch_mean, incremental_mean = incremental_vs_batch_mean()

    rewards = run(Agent(0.1), Bandit(), args.steps)
    total = np.cumsum(rewards)
    fig, (ax0, ax1) = common.new_figure(1, 2)
    ax0.plot(total)
    ax0.set(xlabel='steps', ylabel='total reward', title='one run, epsilon = 0.1')
    ax1.plot(total / np.arange(1, args.steps + 1))
    ax1.set(xlabel='steps', ylabel='rate (total reward / steps)', title='one run, epsilon = 0.1')
    figures.append(common.save_figure(fig, args.out, 'bandit_single_run.png'))

    curves = {}
    for epsilon in (0.01, 0.1, 0.3):
        curves[f'epsilon = {epsilon}'] = average_rates(epsilon, args.runs, args.steps, args.seed,
                                                       desc=f'epsilon {epsilon}')
    figures.append(common.plot_curves(args.out, 'bandit_rates.png', curves, 'steps', 'rate',
                                      title=f'average over {args.runs} runs'))
    rates = {label.split()[-1]: float(c[-1]) for label, c in curves.items()}
    metrics = {
        'incremental_mean': incremental_mean, 'batch_mean': batch_mean,
        'mean_difference': abs(incremental_mean - batch_mean),
        'single_run_total': int(total[-1]),
        'rate_at_end': rates,
        'runs': args.runs, 'steps': args.steps,
    }
    summary = (f'bandit: average rate after {args.steps} steps over {args.runs} runs: '
               + ', '.join(f'epsilon {e} -> {r:.3f}' for e, r in rates.items())
               + f'; one epsilon 0.1 run earned {int(total[-1])}')
    common.finish(args, metrics, summary, figures)


if __name__ == '__main__':
    main()
