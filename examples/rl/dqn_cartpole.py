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
import copy
import os
import random
import sys
import time
from collections import deque

if __package__ in (None, ''):   # run as a script: import `examples` and `dezero` from this checkout
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir)))
from examples import common  # noqa: E402
from examples.rl.common.cartpole import MAX_STEPS, evaluate, make_env  # noqa: E402

import numpy as np  # noqa: E402

import dezero  # noqa: E402
import dezero.functions as F  # noqa: E402
import dezero.layers as L  # noqa: E402
from dezero import optimizers  # noqa: E402
from dezero.models import Model  # noqa: E402

class ReplayBuffer:
    """The last ``buffer_size`` transitions; ``get_batch`` samples ``batch_size`` of them uniformly."""

    def __init__(self, buffer_size, batch_size):
        self.buffer = deque(maxlen=buffer_size)
        self.batch_size = batch_size

    def add(self, state, action, reward, next_state, terminated):
        self.buffer.append((state, action, reward, next_state, terminated))

    def __len__(self):
        return len(self.buffer)

    def get_batch(self):
        data = random.sample(self.buffer, self.batch_size)
        state = np.stack([x[0] for x in data]).astype(np.float32)
        action = np.array([x[1] for x in data])
        reward = np.array([x[2] for x in data], dtype=np.float32)
        next_state = np.stack([x[3] for x in data]).astype(np.float32)
        terminated = np.array([x[4] for x in data], dtype=np.int32)
        return state, action, reward, next_state, terminated


class QNet(Model):
    def __init__(self, action_size):
        super().__init__()
        self.l1 = L.Linear(128)
        self.l2 = L.Linear(128)
        self.l3 = L.Linear(action_size)

    def forward(self, x):
        x = F.relu(self.l1(x))
        x = F.relu(self.l2(x))
        return self.l3(x)


class DQNAgent:
    def __init__(self, gamma=0.98, lr=5e-4, epsilon=0.1, buffer_size=10000, batch_size=32, action_size=2):
        self.gamma = gamma
        self.epsilon = epsilon
        self.batch_size = batch_size
        self.action_size = action_size
        self.replay_buffer = ReplayBuffer(buffer_size, batch_size)
        self.qnet = QNet(action_size)
        self.qnet_target = QNet(action_size)
        self.optimizer = optimizers.Adam(lr).setup(self.qnet)

    def get_action(self, state):
        if np.random.rand() < self.epsilon:
            return int(np.random.choice(self.action_size))
        with dezero.no_grad():
            qs = self.qnet(state[np.newaxis, :].astype(np.float32))
        return int(qs.data.argmax())

    def update(self, state, action, reward, next_state, terminated):
        self.replay_buffer.add(state, action, reward, next_state, terminated)
        if len(self.replay_buffer) < self.batch_size:
            return None
        state, action, reward, next_state, terminated = self.replay_buffer.get_batch()
        qs = self.qnet(state)
        q = qs[np.arange(self.batch_size), action]

        next_q = self.qnet_target(next_state).max(axis=1)
        next_q.unchain()
        target = reward + (1 - terminated) * self.gamma * next_q

        loss = F.mean_squared_error(q, target)
        self.qnet.cleargrads()
        loss.backward()
        self.optimizer.update()
        return loss.data.item()

    def sync_qnet(self):
        self.qnet_target = copy.deepcopy(self.qnet)


def main(argv=None):
    parser = common.make_parser(__doc__, 'dqn_cartpole', needs=('gymnasium', 'matplotlib'))
    parser.add_argument('--episodes', type=int, default=None, help='episodes (default 300, 200 with --quick)')
    parser.add_argument('--sync-interval', type=int, default=20, help='episodes between target syncs (default 20)')
    parser.add_argument('--eval-interval', type=int, default=None,
                        help='episodes between evaluations (default 20, 10 with --quick)')
    parser.add_argument('--stop-at', type=float, default=None,
                        help='stop once a greedy evaluation reaches this score (default: never; 195 with --quick)')
    args = common.parse(parser, argv)
    episodes = args.episodes or (200 if args.quick else 300)
    stop_at = args.stop_at if args.stop_at is not None else (195.0 if args.quick else None)
    eval_interval = args.eval_interval or (10 if args.quick else 20)
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

    rewards, evals = [], []
    best_eval, best_episode = -1.0, None
    start = time.perf_counter()
    for episode in common.progress(range(episodes), desc='DQN'):
        if episode % args.sync_interval == 0:
            agent.sync_qnet()
        state, _ = env.reset(seed=args.seed + 1 + episode)
        total, done = 0.0, False
        while not done:
            action = agent.get_action(state)
            next_state, reward, terminated, truncated, _ = env.step(action)
            agent.update(state, action, reward, next_state, terminated)
            state = next_state
            total += reward
            done = terminated or truncated
        rewards.append(total)
        if (episode + 1) % eval_interval == 0 or episode + 1 == episodes:
            score = evaluate(agent.qnet, eval_env)
            evals.append((episode + 1, score))
            if score > best_eval:
                best_eval, best_episode = score, episode + 1
                agent.qnet.save_weights(best_path)
            common.log(f'episode {episode + 1:4d} | reward {total:5.0f} | mean of the last 20 '
                       f'{np.mean(rewards[-20:]):6.1f} | greedy evaluation {score:6.1f}')
            if stop_at is not None and score >= stop_at:
                common.log(f'stopping: the greedy evaluation reached {stop_at:g}')
                break
    seconds = time.perf_counter() - start

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
               'env_steps': int(sum(rewards)), 'train_seconds': round(seconds, 1)}
    summary = (f'dqn_cartpole: best greedy evaluation {best_eval:.1f} / {MAX_STEPS} (episode {best_episode} of '
               f'{len(rewards)}; reloaded weights: {reloaded_eval:.1f}); mean reward of the last 20 episodes '
               f'{metrics["final_mean_reward_20"]:.1f}')
    return common.finish(args, metrics, summary, figures)


if __name__ == '__main__':
    main()
