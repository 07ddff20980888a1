"""REINFORCE on CartPole (book 4, chapter 9): the policy gradient with the return that follows.

A policy network pi(a|s), Linear(128) - ReLU - Linear(2) - softmax, picks actions by sampling
its probabilities. After each episode it is trained with Adam on the loss
-sum_t G_t log pi(a_t|s_t), where G_t = r_t + gamma r_{t+1} + ... (gamma 0.98) is the return
from step t on: an action is credited only with the rewards that came after it. The log
probabilities are gathered step by step into one graph of the whole episode, which a single
``backward()`` goes through.

Learning rate 2e-4 and 1,000 episodes (the book runs 3,000: --episodes 3000). --quick runs 150
episodes with lr 2e-3, which learns faster but less reliably. Episodes are CartPole-v1 cut at
200 steps, the book's CartPole-v0 (see dqn_cartpole.py); the random policy scores 22 on
average. At the end the greedy (most probable) action plays 10 seeded evaluation episodes.

    python examples/rl/reinforce.py --out out/reinforce
"""
import os
import sys
import time

if __package__ in (None, ''):   # run as a script: import `examples` and `dezero` from this checkout
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir)))
from examples import common  # noqa: E402
from examples.rl.common.cartpole import MAX_STEPS, Policy, evaluate, make_env, plot_rewards  # noqa: E402

import numpy as np  # noqa: E402

import dezero.functions as F  # noqa: E402
from dezero import optimizers  # noqa: E402


class Agent:
    def __init__(self, gamma=0.98, lr=2e-4, action_size=2):
        self.gamma = gamma
        self.action_size = action_size
        self.memory = []
        self.pi = Policy(action_size)
        self.optimizer = optimizers.Adam(lr).setup(self.pi)

    def get_action(self, state):
        probs = self.pi(state[np.newaxis, :])[0]
        action = np.random.choice(self.action_size, p=probs.data)
        return int(action), probs[action]

    def add(self, reward, prob):
        self.memory.append((reward, prob))

    def update(self):
        G, loss = 0, 0
        for reward, prob in reversed(self.memory):
            G = reward + self.gamma * G
            loss += -F.log(prob) * G
        self.pi.cleargrads()
        loss.backward()
        self.optimizer.update()
        self.memory = []


def main(argv=None):
    parser = common.make_parser(__doc__, 'reinforce', needs=('gymnasium', 'matplotlib'))
    parser.add_argument('--episodes', type=int, default=None, help='episodes (default 1000, 150 with --quick)')
    parser.add_argument('--lr', type=float, default=None, help='Adam learning rate (default 2e-4, 2e-3 with --quick)')
    args = common.parse(parser, argv)
    episodes = args.episodes or (150 if args.quick else 1000)
    lr = args.lr or (2e-3 if args.quick else 2e-4)
    env = make_env()
    agent = Agent(lr=lr)

    rewards = []
    start = time.perf_counter()
    for episode in common.progress(range(episodes), desc='REINFORCE'):
        state, _ = env.reset(seed=args.seed + 1 + episode)
        total, done = 0.0, False
        while not done:
            action, prob = agent.get_action(state)
            state, reward, terminated, truncated, _ = env.step(action)
            agent.add(reward, prob)
            total += reward
            done = terminated or truncated
        agent.update()
        rewards.append(total)
        if (episode + 1) % 100 == 0:
            common.log(f'episode {episode + 1:5d} | mean reward of the last 100 episodes '
                       f'{np.mean(rewards[-100:]):6.1f}')
    seconds = time.perf_counter() - start

    greedy = evaluate(agent.pi, make_env())
    ma = common.moving_average(rewards, 100)
    figures = [plot_rewards(rewards, args.out, 'reinforce_rewards.png', f'REINFORCE on CartPole (lr {lr:g})')]
    metrics = {'episodes': episodes, 'lr': lr, 'final_ma100': float(ma[-1]),
               'best_ma100': float(ma[min(99, len(ma) - 1):].max()),
               'mean_reward_last_50': float(np.mean(rewards[-50:])),
               'greedy_eval': greedy, 'env_steps': int(sum(rewards)), 'train_seconds': round(seconds, 1)}
    summary = (f'reinforce: mean reward of the last 100 episodes {ma[-1]:.1f} / {MAX_STEPS} after {episodes} '
               f'episodes (random policy: 22); greedy evaluation {greedy:.1f}')
    return common.finish(args, metrics, summary, figures)


if __name__ == '__main__':
    main()
