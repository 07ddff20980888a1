"""REINFORCE with a baseline on CartPole (book 4, chapter 9.4): subtract V(s) from the return.

The book describes the baseline in prose only. Here a value network V(s), Linear(128) - ReLU -
Linear(1), learns to predict the return G_t from state s_t (mean squared error, its own Adam),
and the policy's loss becomes -sum_t (G_t - V(s_t)) log pi(a_t|s_t). V(s_t) does not depend
on the action, so the gradient's expectation is unchanged, but its variance is smaller: an
action is now credited for doing better than usual from that state, not for the mere length
of the episode. V's prediction enters the policy loss as a constant (``.data``).

Everything else is reinforce.py: gamma 0.98, the policy's Adam lr 2e-4 (V: 5e-4), 1,000
episodes; --quick runs 150 episodes with lr 2e-3 (V: 5e-3). Run both to compare them.

    python examples/rl/reinforce_baseline.py --out out/reinforce_baseline
"""
import os
import sys
import time

if __package__ in (None, ''):   # run as a script: import `examples` and `dezero` from this checkout
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir)))
from examples import common  # noqa: E402
from examples.rl.common.cartpole import (MAX_STEPS, Policy, ValueNet, evaluate, make_env,  # noqa: E402
                                         plot_rewards)

import numpy as np  # noqa: E402

import dezero.functions as F  # noqa: E402
from dezero import optimizers  # noqa: E402


class BaselineAgent:
    def __init__(self, gamma=0.98, lr_pi=2e-4, lr_v=5e-4, action_size=2):
        self.gamma = gamma
        self.action_size = action_size
        self.memory = []
        self.pi = Policy(action_size)
        self.v = ValueNet()
        self.optimizer_pi = optimizers.Adam(lr_pi).setup(self.pi)
        self.optimizer_v = optimizers.Adam(lr_v).setup(self.v)

    def get_action(self, state):
        probs = self.pi(state[np.newaxis, :])[0]
        action = np.random.choice(self.action_size, p=probs.data)
        return int(action), probs[action]

    def add(self, state, reward, prob):
        self.memory.append((state, reward, prob))

    def update(self):
        """One step for V and one for pi from the episode in memory; returns V's loss."""
        returns, G = [], 0.0
        for _, reward, _ in reversed(self.memory):
            G = reward + self.gamma * G
            returns.append(G)
        returns = np.array(returns[::-1], dtype=np.float32)[:, np.newaxis]      # (T, 1)
        states = np.stack([s for s, _, _ in self.memory]).astype(np.float32)

        values = self.v(states)                                   # (T, 1)
        loss_v = F.mean_squared_error(values, returns)
        advantages = returns[:, 0] - values.data[:, 0]            # a constant for the policy
        loss_pi = 0
        for (_, _, prob), advantage in zip(self.memory, advantages):
            loss_pi += -F.log(prob) * advantage

        self.v.cleargrads()
        self.pi.cleargrads()
        loss_v.backward()
        loss_pi.backward()
        self.optimizer_v.update()
        self.optimizer_pi.update()
        self.memory = []
        return loss_v.data.item()


def main(argv=None):
    parser = common.make_parser(__doc__, 'reinforce_baseline', needs=('gymnasium', 'matplotlib'))
    parser.add_argument('--episodes', type=int, default=None, help='episodes (default 1000, 150 with --quick)')
    parser.add_argument('--lr', type=float, default=None, help="the policy's Adam learning rate "
                        '(default 2e-4, 2e-3 with --quick); V uses 2.5 times as much')
    args = common.parse(parser, argv)
    episodes = args.episodes or (150 if args.quick else 1000)
    lr = args.lr or (2e-3 if args.quick else 2e-4)
    env = make_env()
    agent = BaselineAgent(lr_pi=lr, lr_v=2.5 * lr)

    rewards, v_losses = [], []
    start = time.perf_counter()
    for episode in common.progress(range(episodes), desc='REINFORCE with baseline'):
        state, _ = env.reset(seed=args.seed + 1 + episode)
        total, done = 0.0, False
        while not done:
            action, prob = agent.get_action(state)
            next_state, reward, terminated, truncated, _ = env.step(action)
            agent.add(state, reward, prob)
            state = next_state
            total += reward
            done = terminated or truncated
        v_losses.append(agent.update())
        rewards.append(total)
        if (episode + 1) % 50 == 0:
            common.log(f'episode {episode + 1:5d} | mean reward of the last 50 episodes {np.mean(rewards[-50:]):6.1f} '
                       f'| value loss {np.mean(v_losses[-50:]):8.2f}')
    seconds = time.perf_counter() - start

    greedy = evaluate(agent.pi, make_env())
    ma = common.moving_average(rewards, 100)
    figures = [plot_rewards(rewards, args.out, 'reinforce_baseline_rewards.png',
                            f'REINFORCE with a V(s) baseline (lr {lr:g})')]
    metrics = {'episodes': episodes, 'lr_pi': lr, 'lr_v': 2.5 * lr, 'final_ma100': float(ma[-1]),
               'mean_reward_last_50': float(np.mean(rewards[-50:])), 'greedy_eval': greedy,
               'value_loss_first_50': float(np.mean(v_losses[:50])),
               'value_loss_last_50': float(np.mean(v_losses[-50:])),
               'env_steps': int(sum(rewards)), 'train_seconds': round(seconds, 1)}
    summary = (f'reinforce_baseline: mean reward of the last 100 episodes {ma[-1]:.1f} / {MAX_STEPS} after '
               f'{episodes} episodes (random policy: 22); greedy evaluation {greedy:.1f}')
    return common.finish(args, metrics, summary, figures)


if __name__ == '__main__':
    main()
