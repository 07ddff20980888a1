"""The DQN agent of dqn_cartpole.py and its training loop, shared by the DQN variants of chapter 10.

``dqn_cartpole.py`` (chapter 8) and ``double_dqn.py``, ``dueling_dqn.py``, ``per_dqn.py``
(chapter 10) all train with ``train()`` below; each variant changes one thing of ``DQNAgent``:

* ``DQNAgent.target_q(next_state)`` gives max_a' Q(s', a') for the TD target: Double DQN
  overrides it to let the online network choose a' and the target network evaluate it;
* ``DQNAgent(qnet_class=...)`` builds the two networks: Dueling DQN passes its V + A network;
* ``DQNAgent(replay_buffer=...)`` and ``DQNAgent.loss(q, target, batch)``: prioritized replay
  passes its sum-tree buffer and weights each squared TD error by its importance weight.

``train()`` is dqn_cartpole.py's loop: the target network is synced every ``sync_interval``
episodes, the agent learns after every step, and every ``eval_interval`` episodes the greedy
policy plays 10 seeded episodes; the best weights are saved to ``best_path``.
"""
import copy
import random
import time
from collections import deque

import numpy as np

import dezero
import dezero.functions as F
import dezero.layers as L
from dezero import optimizers
from dezero.models import Model

from examples import common
from examples.rl.common.cartpole import evaluate

SOLVED = 195.0       # CartPole-v0 is solved when the mean of 100 consecutive episodes reaches 195


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
    """Q(s, .): Linear(128) - ReLU - Linear(128) - ReLU - Linear(action_size)."""

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
    """DQN: epsilon-greedy behaviour, experience replay and a target network (book 4, chapter 8).

    ``qnet_class(action_size)`` builds the online and target networks (default ``QNet``);
    ``replay_buffer`` replaces the uniform ``ReplayBuffer(buffer_size, batch_size)``.
    """

    def __init__(self, gamma=0.98, lr=5e-4, epsilon=0.1, buffer_size=10000, batch_size=32, action_size=2,
                 qnet_class=QNet, replay_buffer=None):
        self.gamma = gamma
        self.epsilon = epsilon
        self.batch_size = batch_size
        self.action_size = action_size
        self.replay_buffer = ReplayBuffer(buffer_size, batch_size) if replay_buffer is None else replay_buffer
        self.qnet = qnet_class(action_size)
        self.qnet_target = qnet_class(action_size)
        self.optimizer = optimizers.Adam(lr).setup(self.qnet)

    def get_action(self, state):
        if np.random.rand() < self.epsilon:
            return int(np.random.choice(self.action_size))
        with dezero.no_grad():
            qs = self.qnet(state[np.newaxis, :].astype(np.float32))
        return int(qs.data.argmax())

    def target_q(self, next_state):
        """max_a' Q_target(s', a') for each row of ``next_state``: an array, outside the graph."""
        with dezero.no_grad():
            return self.qnet_target(next_state).data.max(axis=1)

    def loss(self, q, target, batch):
        """The loss of one batch: the mean squared TD error."""
        return F.mean_squared_error(q, target)

    def update(self, state, action, reward, next_state, terminated):
        """Store the transition, then learn from one replayed batch; returns the loss (None while
        fewer than ``batch_size`` transitions are stored)."""
        self.replay_buffer.add(state, action, reward, next_state, terminated)
        if len(self.replay_buffer) < self.batch_size:
            return None
        batch = self.replay_buffer.get_batch()
        state, action, reward, next_state, terminated = batch[:5]
        qs = self.qnet(state)
        q = qs[np.arange(self.batch_size), action]            # Q(s, a): one value per row
        # float64, as in the book's code (and so the same numbers as dqn_cartpole.py always gave)
        target = reward + (1 - terminated) * self.gamma * self.target_q(next_state)
        loss = self.loss(q, target, batch)
        self.qnet.cleargrads()
        loss.backward()
        self.optimizer.update()
        return loss.data.item()

    def sync_qnet(self):
        self.qnet_target = copy.deepcopy(self.qnet)


def train(agent, env, eval_env, episodes, seed=0, sync_interval=20, eval_interval=20, stop_at=None,
          best_path=None, desc='DQN', log=print):
    """Train ``agent`` for ``episodes`` episodes (episode i resets with seed ``seed + 1 + i``).

    Every ``eval_interval`` episodes the greedy policy plays 10 evaluation episodes; the best
    weights go to ``best_path`` (if given); training stops early once an evaluation reaches
    ``stop_at``. Returns a dict: ``rewards`` (one per episode), ``evals`` ([(episode, score)]),
    ``best_eval``, ``best_episode`` and ``seconds``.
    """
    rewards, evals = [], []
    best_eval, best_episode = -1.0, None
    start = time.perf_counter()
    for episode in common.progress(range(episodes), desc=desc):
        if episode % sync_interval == 0:
            agent.sync_qnet()
        state, _ = env.reset(seed=seed + 1 + episode)
        total, done = 0.0, False
        while not done:
            action = agent.get_action(state)
            next_state, reward, terminated, truncated, _ = env.step(action)
            agent.update(state, action, reward, next_state, terminated)
            state = next_state
            total += reward
            done = terminated or truncated
        rewards.append(total)
        if eval_interval and ((episode + 1) % eval_interval == 0 or episode + 1 == episodes):
            score = evaluate(agent.qnet, eval_env)
            evals.append((episode + 1, score))
            if score > best_eval:
                best_eval, best_episode = score, episode + 1
                if best_path:
                    agent.qnet.save_weights(best_path)
            if log:
                log(f'episode {episode + 1:4d} | reward {total:5.0f} | mean of the last 20 '
                    f'{np.mean(rewards[-20:]):6.1f} | greedy evaluation {score:6.1f}')
            if stop_at is not None and score >= stop_at:
                if log:
                    log(f'stopping: the greedy evaluation reached {stop_at:g}')
                break
    return {'rewards': rewards, 'evals': evals, 'best_eval': best_eval, 'best_episode': best_episode,
            'seconds': time.perf_counter() - start}


def episodes_to_solve(rewards, window=100, threshold=SOLVED):
    """The first episode at which the mean of the last ``window`` episodes reaches ``threshold``
    (counting only once ``window`` episodes have been played), or None."""
    rewards = np.asarray(rewards, dtype=float)
    if len(rewards) < window:
        return None
    means = np.convolve(rewards, np.ones(window) / window, mode='valid')   # means[i]: episodes i .. i+window-1
    hits = np.nonzero(means >= threshold)[0]
    return int(hits[0] + window) if len(hits) else None


def plot_training(rewards, evals, out, filename, title):
    """Episode rewards, their mean over 20 and 100 episodes, and the greedy evaluations."""
    fig, ax = common.new_figure(figsize=(6.4, 3.8))
    x = np.arange(1, len(rewards) + 1)
    ax.plot(x, rewards, alpha=0.35, linewidth=0.8, label='episode reward')
    ax.plot(x, common.moving_average(rewards, 20), label='mean of 20')
    if len(rewards) >= 100:
        ax.plot(x[99:], common.moving_average(rewards, 100)[99:], label='mean of 100')
    ax.plot([e for e, _ in evals], [s for _, s in evals], 'o-', markersize=4,
            label='greedy evaluation (10 episodes)')
    ax.axhline(SOLVED, color='gray', linestyle=':', linewidth=0.8)
    ax.set(xlabel='episode', ylabel='total reward', title=title, ylim=(0, 210))
    ax.legend(loc='upper left', fontsize=8)
    ax.grid(alpha=0.3)
    return common.save_figure(fig, out, filename)


def add_options(parser, episodes=300, quick_episodes=200):
    """The command-line options of the CartPole DQN scripts."""
    parser.add_argument('--episodes', type=int, default=None,
                        help=f'episodes (default {episodes}, {quick_episodes} with --quick)')
    parser.add_argument('--sync-interval', type=int, default=20, help='episodes between target syncs (default 20)')
    parser.add_argument('--eval-interval', type=int, default=None,
                        help='episodes between evaluations (default 20, 10 with --quick)')
    parser.add_argument('--stop-at', type=float, default=None,
                        help='stop once a greedy evaluation reaches this score (default: never; 195 with --quick)')
    return parser


def settings(args, episodes=300, quick_episodes=200):
    """(episodes, eval_interval, stop_at) from the options of ``add_options``."""
    n = args.episodes or (quick_episodes if args.quick else episodes)
    stop_at = args.stop_at if args.stop_at is not None else (SOLVED if args.quick else None)
    return n, args.eval_interval or (10 if args.quick else 20), stop_at


def run_variant(parser, make_agent, title, argv=None, episodes=500, quick_episodes=150):
    """The ``main`` of a CartPole DQN variant: train ``make_agent()`` and report.

    ``parser`` is the script's ``common.make_parser(__doc__, name)``. The full run plays
    ``episodes`` episodes; ``--quick`` stops at the first greedy evaluation that reaches 195,
    after at most ``quick_episodes``. Writes ``<name>_rewards.png``, ``<name>_best.npz`` and
    metrics.json.
    """
    from examples.rl.common.cartpole import MAX_STEPS, make_env
    args = common.parse(add_options(parser, episodes, quick_episodes), argv)
    name = args.example
    n, eval_interval, stop_at = settings(args, episodes, quick_episodes)
    env, eval_env = make_env(), make_env()
    agent = make_agent()
    best_path = f'{args.out}/{name}_best.npz'
    run = train(agent, env, eval_env, n, seed=args.seed, sync_interval=args.sync_interval,
                eval_interval=eval_interval, stop_at=stop_at, best_path=best_path, desc=name)
    rewards = run['rewards']
    agent.qnet.load_weights(best_path)
    reloaded_eval = evaluate(agent.qnet, eval_env)
    figures = [plot_training(rewards, run['evals'], args.out, f'{name}_rewards.png', title)]
    solved = episodes_to_solve(rewards)
    ma100 = common.moving_average(rewards, 100)
    metrics = {'episodes': len(rewards), 'max_episodes': n, 'stop_at': stop_at,
               'episodes_to_solve': solved,
               'best_eval': run['best_eval'], 'best_eval_episode': run['best_episode'],
               'reloaded_eval': reloaded_eval,
               'evals': [{'episode': e, 'mean_reward': s} for e, s in run['evals']],
               'final_ma100': float(ma100[-1]), 'final_mean_reward_20': float(np.mean(rewards[-20:])),
               'env_steps': int(sum(rewards)), 'train_seconds': round(run['seconds'], 1)}
    solved_text = (f'the mean of 100 episodes reached {SOLVED:g} at episode {solved}' if solved else
                   f'the mean of 100 episodes did not reach {SOLVED:g} in {len(rewards)} episodes')
    summary = (f'{name}: best greedy evaluation {run["best_eval"]:.1f} / {MAX_STEPS} (episode {run["best_episode"]}; '
               f'reloaded weights: {reloaded_eval:.1f}); {solved_text}')
    return common.finish(args, metrics, summary, figures)
