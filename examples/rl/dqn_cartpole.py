"""DQN on CartPole (book 4, chapter 8): experience replay and a target network.

The agent balances a pole on a cart with a network Q(s, .) of Linear(128) - ReLU -
Linear(128) - ReLU - Linear(2), trained with Adam (lr 5e-4) on mini-batches of 32 drawn from a
replay buffer of the last 10,000 transitions, one update per step once 32 are stored. The
TD target r + gamma max_a' Q_target(s', a') (gamma 0.98) comes from a copy of the network,
synced every 20 episodes, and is cut from the graph. Behaviour is epsilon-greedy (0.1).

CartPole from gymnasium's current API: ``reset`` returns ``(obs, info)`` and ``step`` returns
``(obs, reward, terminated, truncated, info)``. The book's CartPole-v0 is CartPole-v1 with
episodes cut at 200 steps, which is what this uses. Only a real failure (``terminated``)
ends the bootstrapping; the time limit (``truncated``) ends the episode but not the value of
the state, so the target keeps gamma max Q(s') there.

Every 20 episodes the greedy policy plays 10 evaluation episodes (fixed seeds); the best
weights are saved (``dqn_best.npz``), reloaded at the end and evaluated again. 300 episodes;
--quick runs at most 200, evaluates every 10 and stops at the first evaluation that reaches
195 (CartPole-v0's "solved" score), since each step costs a network update.

    python examples/rl/dqn_cartpole.py --out out/dqn_cartpole
"""
import os
import sys

if __package__ in (None, ''):   # run as a script: import `examples` and `dezero` from this checkout
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir)))
from examples import common  # noqa: E402
from examples.rl.common import dqn  # noqa: E402
from examples.rl.common.cartpole import MAX_STEPS, evaluate, make_env  # noqa: E402
from examples.rl.common.dqn import DQNAgent, QNet, ReplayBuffer  # noqa: E402,F401  (QNet: the book's name)

import numpy as np  # noqa: E402


def main(argv=None):
    parser = dqn.add_options(common.make_parser(__doc__, 'dqn_cartpole', needs=('gymnasium', 'matplotlib')))
    args = common.parse(parser, argv)
    episodes, eval_interval, stop_at = dqn.settings(args)
    env, eval_env = make_env(), make_env()
    agent = DQNAgent()
    best_path = os.path.join(args.out, 'dqn_best.npz')

    # the replay batch, as book 4 prints it
    probe = ReplayBuffer(10000, 32)
    state, _ = env.reset(seed=args.seed)
    for _ in range(40):
        next_state, reward, terminated, truncated, _ = env.step(0)
        probe.add(state, 0, reward, next_state, terminated)
        state = next_state if not (terminated or truncated) else env.reset()[0]
    batch_shapes = [list(a.shape) for a in probe.get_batch()]
    print('replay batch shapes (state, action, reward, next_state, terminated):', batch_shapes)

    run = dqn.train(agent, env, eval_env, episodes, seed=args.seed, sync_interval=args.sync_interval,
                    eval_interval=eval_interval, stop_at=stop_at, best_path=best_path)
    rewards, evals, best_eval, best_episode = run['rewards'], run['evals'], run['best_eval'], run['best_episode']

    agent.qnet.load_weights(best_path)
    reloaded_eval = evaluate(agent.qnet, eval_env)

    fig, ax = common.new_figure(figsize=(6.4, 3.8))
    x = np.arange(1, len(rewards) + 1)
    ax.plot(x, rewards, alpha=0.35, linewidth=0.8, label='episode reward')
    ax.plot(x, common.moving_average(rewards, 20), label='mean of 20')
    ax.plot([e for e, _ in evals], [s for _, s in evals], 'o-', markersize=4,
            label='greedy evaluation (10 episodes)')
    ax.set(xlabel='episode', ylabel='total reward', title='DQN on CartPole (200-step episodes)', ylim=(0, 210))
    ax.legend(loc='upper left', fontsize=8)
    ax.grid(alpha=0.3)
    figures = [common.save_figure(fig, args.out, 'dqn_rewards.png')]

    metrics = {'episodes': len(rewards), 'max_episodes': episodes, 'stop_at': stop_at,
               'replay_batch_shapes': batch_shapes,
               'best_eval': best_eval, 'best_eval_episode': best_episode, 'reloaded_eval': reloaded_eval,
               'evals': [{'episode': e, 'mean_reward': s} for e, s in evals],
               'final_mean_reward_20': float(np.mean(rewards[-20:])),
               'env_steps': int(sum(rewards)), 'train_seconds': round(run['seconds'], 1)}
    summary = (f'dqn_cartpole: best greedy evaluation {best_eval:.1f} / {MAX_STEPS} (episode {best_episode} of '
               f'{len(rewards)}; reloaded weights: {reloaded_eval:.1f}); mean reward of the last 20 episodes '
               f'{metrics["final_mean_reward_20"]:.1f}')
    return common.finish(args, metrics, summary, figures)


if __name__ == '__main__':
    main()
