"""DQN, Double DQN, Dueling DQN and prioritized replay side by side on CartPole (book 4, chapter 10).

Each variant is trained with the same loop and settings (``rl/common/dqn.py``: Adam lr 5e-4,
gamma 0.98, epsilon 0.1, replay of 10,000, batches of 32, target synced every 20 episodes)
for 500 episodes on each of 3 seeds (0 to 2; ``--seeds N`` for more). Seed s seeds NumPy and
``random`` with s and resets episode i with s + 1 + i, as the single scripts do with
``--seed s``, so seed 0 repeats their runs. No greedy evaluations are played: the measure is
the training reward itself, above all the episode at which the mean of the last 100 episodes
first reaches 195 (CartPole-v0's "solved"; epsilon-greedy play makes that harder than for the
greedy policy), and the best such mean of each run.

The figure shows, per variant, the mean over seeds of the 100-episode moving average, with the
range of the seeds shaded, and each seed's best 100-episode mean. After each run the results
so far are written to ``runs.json``, so a long comparison can be watched: ``--from-runs runs.json``
draws the figure and writes the metrics from the runs finished so far, without training.
--quick: 2 seeds of 30 episodes (a smoke test: nothing is learnt in 30 episodes).

    python examples/rl/dqn_compare.py --out out/dqn_compare
"""
import json
import os
import random
import sys
import time

if __package__ in (None, ''):   # run as a script: import `examples` and `dezero` from this checkout
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir)))
from examples import common  # noqa: E402
from examples.rl import double_dqn, dueling_dqn, per_dqn  # noqa: E402
from examples.rl.common import dqn  # noqa: E402
from examples.rl.common.cartpole import make_env  # noqa: E402

import numpy as np  # noqa: E402

from dezero.utils import atomic_write  # noqa: E402

VARIANTS = {'DQN': dqn.DQNAgent, 'Double DQN': double_dqn.make_agent,
            'Dueling DQN': dueling_dqn.make_agent, 'PER DQN': per_dqn.make_agent}


def run_one(make_agent, seed, episodes):
    """Train one agent from ``seed`` as the single scripts do; returns (rewards, seconds)."""
    random.seed(seed)
    np.random.seed(seed)
    env = make_env()
    agent = make_agent()
    run = dqn.train(agent, env, None, episodes, seed=seed, eval_interval=0, log=None)
    return run['rewards'], run['seconds']


def plot(results, episodes, out, filename):
    """Left: the mean over seeds of the 100-episode moving average (shaded: the seeds' range).
    Right: each seed's best 100-episode mean, against the 195 that counts as solved."""
    fig, (ax, ax2) = common.new_figure(1, 2, figsize=(11, 4.0), width_ratios=(2.2, 1))
    x = np.arange(1, episodes + 1)
    for k, (name, runs) in enumerate(results.items()):
        curves = np.array([common.moving_average(r['rewards'], 100) for r in runs])
        solved = sum(r['episodes_to_solve'] is not None for r in runs)
        line, = ax.plot(x, curves.mean(axis=0), label=f'{name} (solved in {solved} of {len(runs)} seeds)')
        ax.fill_between(x, curves.min(axis=0), curves.max(axis=0), color=line.get_color(), alpha=0.15)
        best = [r['best_ma100'] for r in runs if r['best_ma100'] is not None]
        ax2.scatter(k + np.linspace(-0.15, 0.15, len(best)), best, color=line.get_color(), s=22)
    for a in (ax, ax2):
        a.axhline(dqn.SOLVED, color='gray', linestyle=':', linewidth=0.8)
        a.grid(alpha=0.3)
    ax.set(xlabel='episode', ylabel='mean reward of the last 100 episodes', ylim=(0, 210),
           title=f'DQN variants on CartPole, {len(next(iter(results.values())))} seeds (shaded: their range)')
    ax.legend(loc='upper left', fontsize=8)
    ax2.set_xticks(range(len(results)), [n.replace(' DQN', '') or n for n in results])
    ax2.set_xlim(-0.5, len(results) - 0.5)
    ax2.set(ylabel='best mean of 100 episodes', ylim=(0, 210), title='best 100-episode mean of each seed')
    return common.save_figure(fig, out, filename)


def report(args, results, episodes, seeds, seconds):
    """The figure, metrics.json and the summary line from the runs of every variant."""
    figures = [plot(results, episodes, args.out, 'dqn_compare.png')]
    table = {}
    for name, runs in results.items():
        solved = [r['episodes_to_solve'] for r in runs]
        reached = sorted(s for s in solved if s is not None)
        table[name] = {'episodes_to_solve': solved, 'solved_runs': len(reached),
                       'median_episodes_to_solve': float(np.median(reached)) if reached else None,
                       'mean_final_ma100': float(np.mean([r['final_ma100'] for r in runs])),
                       'best_ma100': [r['best_ma100'] for r in runs],
                       'seconds': round(sum(r['seconds'] for r in runs), 1)}
    metrics = {'episodes': episodes, 'seeds': seeds, 'variants': table, 'total_seconds': round(seconds, 1)}
    parts = [f'{name} {t["solved_runs"]}/{len(seeds)}'
             + (f' (median episode {t["median_episodes_to_solve"]:.0f})' if t['solved_runs'] else '')
             for name, t in table.items()]
    summary = f'dqn_compare: runs whose mean of 100 episodes reached 195 within {episodes}: ' + ', '.join(parts)
    return common.finish(args, metrics, summary, figures)


def main(argv=None):
    parser = common.make_parser(__doc__, 'dqn_compare', needs=('gymnasium', 'matplotlib'))
    parser.add_argument('--episodes', type=int, default=None, help='episodes per run (default 500, 30 with --quick)')
    parser.add_argument('--seeds', type=int, default=None,
                        help='seeds per variant: --seed, --seed + 1, ... (default 3, 2 with --quick)')
    parser.add_argument('--from-runs', metavar='RUNS_JSON', default=None,
                        help='train nothing: redraw the figure and metrics from the runs.json of an earlier run')
    args = common.parse(parser, argv)
    if args.from_runs:
        with open(args.from_runs, encoding='utf-8') as f:
            results = {name: runs for name, runs in json.load(f).items() if runs}  # only finished runs
        if not results:
            parser.error(f'--from-runs: {args.from_runs} holds no finished run')
        first = next(iter(results.values()))
        return report(args, results, len(first[0]['rewards']), [r['seed'] for r in first],
                      sum(r['seconds'] for runs in results.values() for r in runs))
    episodes = args.episodes or (30 if args.quick else 500)
    seeds = list(range(args.seed, args.seed + (args.seeds or (2 if args.quick else 3))))

    results = {name: [] for name in VARIANTS}
    start = time.perf_counter()
    for name, make_agent in VARIANTS.items():
        for seed in seeds:
            rewards, seconds = run_one(make_agent, seed, episodes)
            solved = dqn.episodes_to_solve(rewards)
            results[name].append({'seed': seed, 'episodes_to_solve': solved, 'seconds': round(seconds, 1),
                                  'final_ma100': float(common.moving_average(rewards, 100)[-1]),
                                  'best_ma100': float(common.moving_average(rewards, 100)[99:].max())
                                  if len(rewards) >= 100 else None,
                                  'rewards': [int(r) for r in rewards]})
            best = results[name][-1]['best_ma100']
            print(f'{name:12s} seed {seed}: the mean of 100 episodes reached 195 at episode {solved}; '
                  f'its best was {best if best is None else round(best, 1)} ({seconds:.0f} s)', flush=True)
            with atomic_write(os.path.join(args.out, 'runs.json')) as tmp:
                with open(tmp, 'w', encoding='utf-8') as f:
                    json.dump(results, f)
    seconds = time.perf_counter() - start

    return report(args, results, episodes, seeds, seconds)


if __name__ == '__main__':
    main()
