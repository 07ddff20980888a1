"""CartPole for the book-4 examples of chapters 8 and 9: the environment, the policy and value
networks, greedy evaluation and the reward plot.

The book's CartPole-v0 is gymnasium's CartPole-v1 with episodes cut at 200 steps (v0 itself is
deprecated): ``make_env()`` builds that, with gymnasium's current API (``reset`` returns
``(obs, info)``, ``step`` returns ``(obs, reward, terminated, truncated, info)``).
"""
import numpy as np

import dezero
import dezero.functions as F
import dezero.layers as L
from dezero.models import Model

MAX_STEPS = 200          # CartPole-v0's limit, as in the book
EVAL_SEED = 10_000       # evaluation episodes use seeds EVAL_SEED, EVAL_SEED + 1, ...


def make_env():
    """CartPole with 200-step episodes (the book's CartPole-v0); needs gymnasium."""
    import gymnasium as gym
    return gym.make('CartPole-v1', max_episode_steps=MAX_STEPS)


class Policy(Model):
    """pi(a|s): Linear(128) - ReLU - Linear(action_size) - softmax."""

    def __init__(self, action_size=2):
        super().__init__()
        self.l1 = L.Linear(128)
        self.l2 = L.Linear(action_size)

    def forward(self, x):
        x = F.relu(self.l1(x))
        return F.softmax(self.l2(x))


class ValueNet(Model):
    """V(s): Linear(128) - ReLU - Linear(1)."""

    def __init__(self):
        super().__init__()
        self.l1 = L.Linear(128)
        self.l2 = L.Linear(1)

    def forward(self, x):
        x = F.relu(self.l1(x))
        return self.l2(x)


def evaluate(pi, env, episodes=10):
    """Mean total reward when always taking the action ``pi`` scores highest (its most probable
    action, or for a Q-network its best one), over ``episodes`` seeded episodes."""
    totals = []
    for i in range(episodes):
        state, _ = env.reset(seed=EVAL_SEED + i)
        total, done = 0.0, False
        while not done:
            with dezero.no_grad():
                action = int(pi(state[np.newaxis, :]).data.argmax())
            state, reward, terminated, truncated, _ = env.step(action)
            total += reward
            done = terminated or truncated
        totals.append(total)
    return float(np.mean(totals))


def plot_rewards(rewards, out, filename, title):
    """Episode rewards with their mean over 100 episodes, and the random policy's level."""
    from examples import common
    fig, ax = common.new_figure(figsize=(6.4, 3.8))
    x = np.arange(1, len(rewards) + 1)
    ax.plot(x, rewards, alpha=0.3, linewidth=0.6, label='episode reward')
    ax.plot(x, common.moving_average(rewards, 100), label='mean of 100')
    ax.axhline(22.1, color='gray', linestyle=':', label='random policy (22)')
    ax.set(xlabel='episode', ylabel='total reward', title=title, ylim=(0, 210))
    ax.legend(loc='upper left', fontsize=8)
    ax.grid(alpha=0.3)
    return common.save_figure(fig, out, filename)
