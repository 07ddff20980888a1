"""One-step actor-critic on CartPole (book 4, chapter 9.5).

Two networks learn together after every step: the critic V(s), Linear(128) - ReLU -
Linear(1), moves towards the TD target r + gamma V(s') (gamma 0.98; 0 after a failure), and
the actor pi(a|s), Linear(128) - ReLU - Linear(2) - softmax, follows -delta log pi(a|s) with
the TD error delta = target - V(s) as the advantage. The target and delta are cut from the
graph with ``unchain()``; each network has its own Adam and its own ``backward()``. As in
dqn_cartpole.py, reaching the 200-step limit (``truncated``) is not a failure: the target
still bootstraps from V(s') there.

Actor lr 2e-4, critic lr 5e-4, 1,000 episodes (the book runs 3,000: --episodes 3000). --quick
runs 200 episodes with ten times those rates, which learns faster but less reliably. Episodes
are CartPole-v1 cut at 200 steps, the book's CartPole-v0; the random policy scores 22 on
average. At the end the greedy (most probable) action plays 10 seeded evaluation episodes.

    python examples/rl/actor_critic.py --out out/actor_critic
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


class ActorCriticAgent:
    def __init__(self, gamma=0.98, lr_pi=2e-4, lr_v=5e-4, action_size=2):
        self.gamma = gamma
        self.action_size = action_size
        self.pi = Policy(action_size)
        self.v = ValueNet()
        self.optimizer_pi = optimizers.Adam(lr_pi).setup(self.pi)
        self.optimizer_v = optimizers.Adam(lr_v).setup(self.v)

    def get_action(self, state):
        probs = self.pi(state[np.newaxis, :])[0]
        action = np.random.choice(self.action_size, p=probs.data)
        return int(action), probs[action]

    def update(self, state, action_prob, reward, next_state, terminated):
        state = state[np.newaxis, :]
        next_state = next_state[np.newaxis, :]

        target = reward + self.gamma * self.v(next_state) * (1 - terminated)
        target.unchain()
        v = self.v(state)
        loss_v = F.mean_squared_error(v, target)

        delta = target - v
        delta.unchain()
        loss_pi = -F.log(action_prob) * delta

        self.v.cleargrads()
        self.pi.cleargrads()
        loss_v.backward()
        loss_pi.backward()
        self.optimizer_v.update()
        self.optimizer_pi.update()


def main(argv=None):
    parser = common.make_parser(__doc__, 'actor_critic', needs=('gymnasium', 'matplotlib'))
    parser.add_argument('--episodes', type=int, default=None, help='episodes (default 1000, 200 with --quick)')
    parser.add_argument('--lr', type=float, default=None, help="the actor's Adam learning rate "
                        "(default 2e-4, 2e-3 with --quick); the critic's is 2.5 times as much")
    args = common.parse(parser, argv)
    episodes = args.episodes or (200 if args.quick else 1000)
    lr = args.lr or (2e-3 if args.quick else 2e-4)
    env = make_env()
    agent = ActorCriticAgent(lr_pi=lr, lr_v=2.5 * lr)

    rewards = []
    start = time.perf_counter()
    for episode in common.progress(range(episodes), desc='actor-critic'):
        state, _ = env.reset(seed=args.seed + 1 + episode)
        total, done = 0.0, False
        while not done:
            action, prob = agent.get_action(state)
            next_state, reward, terminated, truncated, _ = env.step(action)
            agent.update(state, prob, reward, next_state, terminated)
            state = next_state
            total += reward
            done = terminated or truncated
        rewards.append(total)
        if (episode + 1) % 50 == 0:
            common.log(f'episode {episode + 1:5d} | mean reward of the last 50 episodes {np.mean(rewards[-50:]):6.1f}')
    seconds = time.perf_counter() - start

    greedy = evaluate(agent.pi, make_env())
    ma = common.moving_average(rewards, 100)
    figures = [plot_rewards(rewards, args.out, 'actor_critic_rewards.png', f'actor-critic on CartPole (lr {lr:g})')]
    metrics = {'episodes': episodes, 'lr_pi': lr, 'lr_v': 2.5 * lr, 'final_ma100': float(ma[-1]),
               'best_ma100': float(ma[min(99, len(ma) - 1):].max()),
               'mean_reward_last_50': float(np.mean(rewards[-50:])),
               'greedy_eval': greedy, 'env_steps': int(sum(rewards)), 'train_seconds': round(seconds, 1)}
    summary = (f'actor_critic: mean reward of the last 100 episodes {ma[-1]:.1f} / {MAX_STEPS} after {episodes} '
               f'episodes (random policy: 22); greedy evaluation {greedy:.1f}')
    return common.finish(args, metrics, summary, figures)


if __name__ == '__main__':
    main()
