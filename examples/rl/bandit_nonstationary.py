"""A non-stationary bandit (book 4, chapter 1): sample average against a constant step size.

After every play each arm's payout probability takes a random step (+0.1 N(0, 1)), so old
rewards mislead. The sample average weighs all rewards equally; the constant step size
alpha = 0.8 forgets old ones exponentially and tracks the drift. Both agents are
epsilon-greedy (epsilon = 0.1), averaged over 200 runs of 1,000 steps; the full experiment
takes a few seconds, so --quick runs it unchanged.

    python examples/rl/bandit_nonstationary.py --out out/bandit_nonstationary
"""
import os
import sys

if __package__ in (None, ''):   # run as a script: import `examples` and `dezero` from this checkout
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir)))
from examples import common  # noqa: E402
from examples.rl.bandit import Agent, run  # noqa: E402

import numpy as np  # noqa: E402


class NonStatBandit:
    """A bandit whose payout probabilities drift by 0.1 N(0, 1) after every play (unclipped)."""

    def __init__(self, arms=10):
        self.arms = arms
        self.rates = np.random.rand(arms)

    def play(self, arm):
        rate = self.rates[arm]
        self.rates += 0.1 * np.random.randn(self.arms)
        return 1 if rate > np.random.rand() else 0


class AlphaAgent(Agent):
    """Epsilon-greedy with a constant step size: Q <- Q + alpha (reward - Q)."""

    def __init__(self, epsilon, alpha, action_size=10):
        super().__init__(epsilon, action_size)
        self.alpha = alpha

    def update(self, action, reward):
        self.Qs[action] += (reward - self.Qs[action]) * self.alpha


def main(argv=None):
    parser = common.make_parser(__doc__, 'bandit_nonstationary', needs=('matplotlib',))
    parser.add_argument('--runs', type=int, default=200, help='bandits to average over (default 200)')
    parser.add_argument('--steps', type=int, default=1000, help='plays per run (default 1000)')
    parser.add_argument('--alpha', type=float, default=0.8, help='constant step size (default 0.8)')
    args = common.parse(parser, argv)
    epsilon = 0.1

    agents = {'sample average': lambda: Agent(epsilon),
              f'alpha = {args.alpha}': lambda: AlphaAgent(epsilon, args.alpha)}
    curves = {}
    for name, make_agent in agents.items():
        all_rates = np.zeros((args.runs, args.steps))
        for i in common.progress(range(args.runs), desc=name):
            rewards = run(make_agent(), NonStatBandit(), args.steps)
            all_rates[i] = np.cumsum(rewards) / np.arange(1, args.steps + 1)
        curves[name] = all_rates.mean(axis=0)
    figure = common.plot_curves(args.out, 'nonstationary.png', curves, 'steps', 'rate',
                                title=f'non-stationary bandit, average over {args.runs} runs')

    sample_avg, alpha_const = (float(c[-1]) for c in curves.values())
    checkpoints = [n for n in (100, 500, args.steps) if n <= args.steps]
    metrics = {'rate_at_end': {'sample_average': sample_avg, 'alpha_const': alpha_const},
               'rates_at': {str(n): [round(float(c[n - 1]), 4) for c in curves.values()]
                            for n in checkpoints},
               'alpha': args.alpha, 'runs': args.runs, 'steps': args.steps}
    summary = (f'bandit_nonstationary: average rate after {args.steps} steps over {args.runs} runs: '
               f'sample average {sample_avg:.3f}, alpha = {args.alpha} {alpha_const:.3f}')
    common.finish(args, metrics, summary, [figure])


if __name__ == '__main__':
    main()
