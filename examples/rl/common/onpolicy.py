"""Shared parts of the actor-critic examples of chapter 10 (a2c.py, ppo.py): gymnasium's vector
environments, the categorical and Gaussian policies, the critic, episode bookkeeping and the plot.

``make_vec(env_id, n)`` builds ``n`` copies stepped together (``SyncVectorEnv``) in gymnasium's
same-step autoreset mode: when a copy's episode ends, ``step`` already returns the next
episode's first observation, and the true last one is in ``info['final_obs']``. At a time limit
(``truncated``) the return is cut but the state still has a value, so the examples add
gamma V(final_obs) to that step's reward; after a failure (``terminated``) they add nothing.
"""
import numpy as np

import dezero
import dezero.functions as F
import dezero.layers as L
from dezero.models import Model

from examples import common

CARTPOLE_STEPS = 200       # the book's CartPole-v0: CartPole-v1 cut at 200 steps


def make_vec(env_id, n, seed):
    """``n`` copies of ``env_id`` (CartPole cut at 200 steps), reset with seeds seed, seed + 1, ...;
    returns (envs, first observations)."""
    import gymnasium as gym
    kwargs = {'max_episode_steps': CARTPOLE_STEPS} if env_id.startswith('CartPole') else {}
    envs = gym.make_vec(env_id, num_envs=n, vectorization_mode='sync',
                        vector_kwargs={'autoreset_mode': gym.vector.AutoresetMode.SAME_STEP}, **kwargs)
    obs, _ = envs.reset(seed=seed)
    envs.action_space.seed(seed)
    return envs, obs


def mlp(sizes, activation=F.tanh):
    """Layers of the given output sizes (the last one without activation) as a Model."""
    return _MLP(sizes, activation)


class _MLP(Model):
    def __init__(self, sizes, activation):
        super().__init__()
        self.activation = activation
        self.layers = []
        for i, size in enumerate(sizes):
            layer = L.Linear(size)
            setattr(self, f'l{i}', layer)
            self.layers.append(layer)

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = self.activation(layer(x))
        return self.layers[-1](x)


class CategoricalPolicy(Model):
    """pi(a|s) = softmax(logits(s)) over ``action_size`` actions; ``hidden`` units in each hidden layer."""

    def __init__(self, action_size, hidden=(64, 64)):
        super().__init__()
        self.net = mlp(tuple(hidden) + (action_size,))

    def forward(self, x):
        return self.net(x)              # logits: what evaluate() takes the argmax of

    def sample(self, obs, rng=np.random):
        """Actions drawn from pi(.|obs) for a batch of observations, and their log-probabilities."""
        with dezero.no_grad():
            logits = self.net(obs).data
        z = logits - logits.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        actions = (p.cumsum(axis=1) > rng.rand(len(p), 1)).argmax(axis=1)
        logp = np.log(p[np.arange(len(p)), actions] + 1e-12)
        return actions, logp.astype(np.float32)

    def log_prob_entropy(self, obs, actions):
        logits = self.net(obs)
        return F.categorical_log_prob(logits, actions), F.categorical_entropy(logits)

    def greedy(self, obs):
        with dezero.no_grad():
            return self.net(obs).data.argmax(axis=1)


class GaussianPolicy(Model):
    """pi(a|s) = N(mean(s), diag(exp(log_std))^2): the mean from a network, log_std one learned
    number per action dimension (starting at ``init_log_std``), independent of the state."""

    def __init__(self, action_dim, hidden=(64, 64), init_log_std=0.0):
        super().__init__()
        self.net = mlp(tuple(hidden) + (action_dim,))
        self.log_std = dezero.Parameter(np.full((1, action_dim), init_log_std, np.float32), name='log_std')

    def forward(self, x):
        return self.net(x)              # the mean: the greedy action

    def sample(self, obs, rng=np.random):
        with dezero.no_grad():
            mean = self.net(obs).data
        std = np.exp(self.log_std.data)
        actions = (mean + std * rng.randn(*mean.shape)).astype(np.float32)
        z = (actions - mean) / std
        logp = (-0.5 * z ** 2 - self.log_std.data - 0.5 * np.log(2 * np.pi)).sum(axis=1)
        return actions, logp.astype(np.float32)

    def log_prob_entropy(self, obs, actions):
        mean = self.net(obs)
        log_std = F.broadcast_to(self.log_std, mean.shape)
        return F.gaussian_log_prob(actions, mean, log_std), F.gaussian_entropy(log_std)

    def greedy(self, obs):
        with dezero.no_grad():
            return self.net(obs).data


class Critic(Model):
    """V(s): ``hidden`` units, tanh, then one output; ``__call__`` returns shape (N,)."""

    def __init__(self, hidden=(64, 64)):
        super().__init__()
        self.net = mlp(tuple(hidden) + (1,))

    def forward(self, x):
        return F.reshape(self.net(x), (-1,))

    def values(self, obs):
        with dezero.no_grad():
            return self.forward(obs).data


class EpisodeTracker:
    """Sums each copy's rewards and records (env steps so far, return) when its episode ends."""

    def __init__(self, n):
        self.running = np.zeros(n)
        self.steps = 0
        self.episodes = []              # [(env steps at the end, return)]

    def step(self, rewards, ends):
        self.running += rewards
        self.steps += len(rewards)
        for i in np.nonzero(ends)[0]:
            self.episodes.append((self.steps, float(self.running[i])))
            self.running[i] = 0.0

    @property
    def returns(self):
        return [r for _, r in self.episodes]


def bootstrap_truncated(rewards, terminated, truncated, info, critic, gamma):
    """Add gamma V(final_obs) to the rewards of copies cut by the time limit (not failed)."""
    cut = truncated & ~terminated
    if cut.any():
        final = np.stack([info['final_obs'][i] for i in np.nonzero(cut)[0]]).astype(np.float32)
        rewards = rewards.copy()
        rewards[cut] += gamma * critic.values(final)
    return rewards


def steps_to_reach(episodes, threshold, window=100):
    """(episode number, env steps) at which the mean return of the last ``window`` episodes first
    reaches ``threshold``, or (None, None)."""
    returns = np.array([r for _, r in episodes], dtype=float)
    if len(returns) < window:
        return None, None
    means = np.convolve(returns, np.ones(window) / window, mode='valid')
    hits = np.nonzero(means >= threshold)[0]
    if not len(hits):
        return None, None
    k = int(hits[0]) + window
    return k, int(episodes[k - 1][0])


def plot_returns(episodes, out, filename, title, random_level, target=None, ylim=None, window=100):
    """Episode returns against env steps, their moving mean, the random policy and a target."""
    fig, ax = common.new_figure(figsize=(6.4, 3.8))
    steps = np.array([s for s, _ in episodes], dtype=float)
    returns = np.array([r for _, r in episodes], dtype=float)
    ax.plot(steps / 1e3, returns, '.', alpha=0.2, markersize=2, label='episode return')
    ax.plot(steps / 1e3, common.moving_average(returns, window), label=f'mean of {window} episodes')
    ax.axhline(random_level, color='gray', linestyle=':', label=f'random policy ({random_level:g})')
    if target is not None:
        ax.axhline(target, color='gray', linestyle='--', linewidth=0.8, label=f'{target:g}')
    ax.set(xlabel='environment steps (thousands)', ylabel='return', title=title)
    if ylim:
        ax.set_ylim(*ylim)
    ax.legend(loc='lower right', fontsize=8)
    ax.grid(alpha=0.3)
    return common.save_figure(fig, out, filename)
