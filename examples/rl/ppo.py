"""PPO, proximal policy optimization, on CartPole and on Pendulum (book 4, chapter 10).

A2C uses each step once. PPO (Schulman et al., 2017) collects a rollout (8 environments x T
steps) with the current policy pi_old, then takes several epochs of minibatch steps on it,
keeping the new policy close to the old one by clipping the probability ratio
rho = pi(a|s) / pi_old(a|s) = exp(log pi - log pi_old):

    L_clip = mean(min(rho A, clip(rho, 1 - eps, 1 + eps) A))      (eps = 0.2)

``F.minimum`` and ``F.clip`` give the gradient of exactly that: where clipping binds, the term
is constant and pushes no further. The advantages A come from GAE (Schulman et al., 2016):

    delta_t = r_t + gamma V(s_{t+1}) - V(s_t),   A_t = delta_t + gamma lambda A_{t+1}   (lambda = 0.95)

(cut where an episode ends; at a time limit, gamma V(last state) is added to the reward),
normalised in each minibatch; the critic learns the returns A_t + V(s_t). The loss is
-L_clip + 0.5 mean((V - R)^2) - c H(pi), with the entropy bonus c; one Adam over actor and
critic, the gradient's norm clipped at 0.5. Actor and critic: Linear(64) - tanh - Linear(64) -
tanh - head (``rl/common/onpolicy.py``).

* ``--env cartpole`` (default): CartPole-v1 cut at 200 steps, a softmax policy over the two
  actions; T = 128, 4 epochs of minibatches of 256, lr 1e-3, gamma 0.99, c = 0.01; 150,000 steps.
* ``--env pendulum``: Pendulum-v1 (swing a pole up and hold it; 200-step episodes, reward
  -(angle^2 + 0.1 speed^2 + 0.001 torque^2) per step), a Gaussian policy: the network gives
  the mean torque and log sigma is one learned number; the sampled torque is clipped to
  [-2, 2] by the environment, the log-probability is that of the unclipped sample. T = 256,
  10 epochs of minibatches of 64, lr 3e-4, gamma 0.9 (the task needs a short horizon),
  c = 0, rewards scaled by 0.1 for learning; 300,000 steps.

The metrics give the return curve, the wall time, a greedy evaluation (the most probable
action, or the mean torque) on 10 seeded episodes, and the random policy's return on the same
episodes. --quick runs 20,000 steps (CartPole) or 4,096 (Pendulum: two rollouts, a smoke test).

    python examples/rl/ppo.py --out out/ppo
    python examples/rl/ppo.py --env pendulum --out out/ppo_pendulum
"""
import os
import sys
import time

if __package__ in (None, ''):   # run as a script: import `examples` and `dezero` from this checkout
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir)))
from examples import common  # noqa: E402
from examples.rl.common import onpolicy  # noqa: E402

import numpy as np  # noqa: E402

import dezero.functions as F  # noqa: E402
from dezero import optimizers  # noqa: E402
from dezero.models import Model  # noqa: E402

EVAL_SEED = 10_000
SETTINGS = {
    'cartpole': dict(env_id='CartPole-v1', steps=150_000, quick_steps=20_000, rollout=128, epochs=4,
                     minibatch=256, lr=1e-3, gamma=0.99, entropy_coef=0.01, reward_scale=1.0,
                     target=195.0, ylim=(0, 210)),
    'pendulum': dict(env_id='Pendulum-v1', steps=300_000, quick_steps=4_096, rollout=256, epochs=10,
                     minibatch=64, lr=3e-4, gamma=0.9, entropy_coef=0.0, reward_scale=0.1,
                     target=-200.0, ylim=None),
}


class ActorCritic(Model):
    def __init__(self, pi):
        super().__init__()
        self.pi = pi
        self.v = onpolicy.Critic()


class PPOAgent:
    def __init__(self, pi, lr=1e-3, gamma=0.99, lam=0.95, clip=0.2, epochs=4, minibatch=256,
                 value_coef=0.5, entropy_coef=0.01, max_grad_norm=0.5):
        self.gamma, self.lam, self.clip, self.epochs, self.minibatch = gamma, lam, clip, epochs, minibatch
        self.value_coef, self.entropy_coef = value_coef, entropy_coef
        self.model = ActorCritic(pi)
        self.optimizer = optimizers.Adam(lr).setup(self.model)
        self.optimizer.add_hook(optimizers.ClipGrad(max_grad_norm))

    def gae(self, rewards, values, dones, last_values):
        """Advantages by GAE(gamma, lambda) and the critic's targets; arrays of shape (T, n)."""
        advantages = np.zeros_like(rewards)
        next_values, running = last_values, 0.0
        for t in reversed(range(len(rewards))):
            live = 1.0 - dones[t]
            delta = rewards[t] + self.gamma * live * next_values - values[t]
            running = delta + self.gamma * self.lam * live * running
            advantages[t] = running
            next_values = values[t]
        return advantages, advantages + values

    def loss(self, obs, actions, old_logp, advantages, returns):
        """-L_clip + value_coef * value loss - entropy_coef * entropy, and the clip fraction."""
        log_prob, entropy = self.model.pi.log_prob_entropy(obs, actions)
        ratio = F.exp(log_prob - old_logp)
        surrogate = F.minimum(ratio * advantages, F.clip(ratio, 1 - self.clip, 1 + self.clip) * advantages)
        loss_pi = -F.average(surrogate)
        loss_v = F.mean_squared_error(self.model.v(obs), returns)
        loss = loss_pi + self.value_coef * loss_v - self.entropy_coef * F.average(entropy)
        clipped = float(np.mean(np.abs(ratio.data - 1) > self.clip))
        return loss, clipped, float(F.average(entropy).data)

    def update(self, obs, actions, old_logp, advantages, returns, rng=np.random):
        """``epochs`` passes of shuffled minibatches over one rollout; returns the mean clip fraction."""
        n = len(obs)
        fractions = []
        for _ in range(self.epochs):
            order = rng.permutation(n)
            for lo in range(0, n, self.minibatch):
                idx = order[lo:lo + self.minibatch]
                adv = advantages[idx]
                adv = ((adv - adv.mean()) / (adv.std() + 1e-8)).astype(np.float32)
                loss, clipped, _ = self.loss(obs[idx], actions[idx], old_logp[idx], adv, returns[idx])
                self.model.cleargrads()
                loss.backward()
                self.optimizer.update()
                fractions.append(clipped)
        return float(np.mean(fractions))


def play(env_id, policy, episodes):
    """Mean return of ``policy(obs) -> action`` over seeded episodes (CartPole cut at 200 steps)."""
    import gymnasium as gym
    kwargs = {'max_episode_steps': onpolicy.CARTPOLE_STEPS} if env_id.startswith('CartPole') else {}
    env = gym.make(env_id, **kwargs)
    totals = []
    for i in range(episodes):
        obs, _ = env.reset(seed=EVAL_SEED + i)
        total, done = 0.0, False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(policy(obs.astype(np.float32)))
            total += reward
            done = terminated or truncated
        totals.append(total)
    env.close()
    return float(np.mean(totals))


def main(argv=None):
    parser = common.make_parser(__doc__, 'ppo', needs=('gymnasium', 'matplotlib'))
    parser.add_argument('--env', choices=sorted(SETTINGS), default='cartpole', help='the task (default cartpole)')
    parser.add_argument('--steps', type=int, default=None, help='environment steps, all copies together '
                        '(default 150,000 for CartPole, 300,000 for Pendulum; 20,000 and 4,096 with --quick)')
    parser.add_argument('--envs', type=int, default=8, help='environment copies (default 8)')
    args = common.parse(parser, argv)
    cfg = SETTINGS[args.env]
    total = args.steps or (cfg['quick_steps'] if args.quick else cfg['steps'])
    envs, obs = onpolicy.make_vec(cfg['env_id'], args.envs, args.seed)
    continuous = args.env == 'pendulum'
    if continuous:
        low, high = envs.single_action_space.low, envs.single_action_space.high
        pi = onpolicy.GaussianPolicy(envs.single_action_space.shape[0])
    else:
        pi = onpolicy.CategoricalPolicy(envs.single_action_space.n)
    agent = PPOAgent(pi, lr=cfg['lr'], gamma=cfg['gamma'], epochs=cfg['epochs'], minibatch=cfg['minibatch'],
                     entropy_coef=cfg['entropy_coef'])
    tracker = onpolicy.EpisodeTracker(args.envs)
    T = cfg['rollout']
    rollouts = max(1, total // (args.envs * T))
    scale = cfg['reward_scale']

    start, cpu_start = time.perf_counter(), time.process_time()
    clip_fractions = []
    for k in common.progress(range(rollouts), desc='PPO'):
        buf = {key: [] for key in ('obs', 'actions', 'logp', 'rewards', 'dones', 'values')}
        for _ in range(T):
            obs = obs.astype(np.float32)
            actions, logp = pi.sample(obs)
            env_actions = np.clip(actions, low, high) if continuous else actions
            next_obs, rewards, terminated, truncated, info = envs.step(env_actions)
            tracker.step(rewards, terminated | truncated)
            rewards = onpolicy.bootstrap_truncated(scale * rewards.astype(np.float32), terminated, truncated,
                                                   info, agent.model.v, agent.gamma)
            for key, value in (('obs', obs), ('actions', actions), ('logp', logp), ('rewards', rewards),
                               ('dones', (terminated | truncated).astype(np.float32)),
                               ('values', agent.model.v.values(obs))):
                buf[key].append(value)
            obs = next_obs
        last_values = agent.model.v.values(obs.astype(np.float32))
        advantages, returns = agent.gae(np.array(buf['rewards']), np.array(buf['values']),
                                        np.array(buf['dones']), last_values)
        flat = lambda a: np.concatenate(a) if isinstance(a, list) else a.reshape((-1,) + a.shape[2:])  # noqa: E731
        clip_fractions.append(agent.update(flat(buf['obs']), flat(buf['actions']), flat(buf['logp']),
                                           flat(advantages).astype(np.float32), flat(returns).astype(np.float32)))
        if (k + 1) % max(1, rollouts // 10) == 0 and tracker.episodes:
            print(f'steps {tracker.steps:7d} | episodes {len(tracker.episodes):5d} | mean return of the last 100 '
                  f'{np.mean(tracker.returns[-100:]):8.1f} | clip fraction {clip_fractions[-1]:.3f} | '
                  f'{time.perf_counter() - start:4.0f} s', flush=True)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    envs.close()

    if continuous:
        greedy = play(cfg['env_id'], lambda o: pi.greedy(o[np.newaxis])[0].clip(low, high), 10)
        rng = np.random.RandomState(args.seed)
        random_level = play(cfg['env_id'], lambda o: rng.uniform(low, high).astype(np.float32), 10)
    else:
        greedy = play(cfg['env_id'], lambda o: int(pi.greedy(o[np.newaxis])[0]), 10)
        rng = np.random.RandomState(args.seed)
        random_level = play(cfg['env_id'], lambda o: int(rng.randint(2)), 10)
    returns = tracker.returns
    episode_hit, steps_hit = onpolicy.steps_to_reach(tracker.episodes, cfg['target'])
    name = 'ppo' if args.env == 'cartpole' else 'ppo_pendulum'
    title = f'PPO on {cfg["env_id"].split("-")[0]} ({args.envs} environments)'
    figures = [onpolicy.plot_returns(tracker.episodes, args.out, f'{name}_returns.png', title,
                                     round(random_level, 1), cfg['target'], cfg['ylim'])]
    metrics = {'env': args.env, 'env_steps': tracker.steps, 'rollouts': rollouts, 'envs': args.envs,
               'rollout_steps': T, 'epochs': cfg['epochs'], 'minibatch': cfg['minibatch'],
               'episodes': len(returns), 'target': cfg['target'],
               'episodes_to_target': episode_hit, 'steps_to_target': steps_hit,
               'mean_return_last_100': float(np.mean(returns[-100:])),
               'mean_return_last_20': float(np.mean(returns[-20:])),
               'greedy_eval': greedy, 'random_policy': random_level,
               'mean_clip_fraction': float(np.mean(clip_fractions)), 'train_seconds': round(seconds, 1),
               'train_cpu_seconds': round(cpu_seconds, 1)}
    if continuous:
        metrics['final_log_std'] = pi.log_std.data.ravel().tolist()
    reached = (f'the mean of 100 episodes reached {cfg["target"]:g} at episode {episode_hit} ({steps_hit:,} steps)'
               if episode_hit else f'the mean of 100 episodes did not reach {cfg["target"]:g}')
    summary = (f'ppo ({args.env}): mean return of the last 100 episodes {metrics["mean_return_last_100"]:.1f} after '
               f'{tracker.steps:,} steps ({cpu_seconds:.0f} s of CPU); {reached}; greedy evaluation {greedy:.1f} '
               f'(random policy {random_level:.1f})')
    return common.finish(args, metrics, summary, figures)


if __name__ == '__main__':
    main()
