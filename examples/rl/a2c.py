"""A2C, synchronous advantage actor-critic, on CartPole (book 4, chapter 10).

actor_critic.py learns from one environment, one step at a time, so consecutive updates see
strongly correlated states. A2C (the synchronous form of Mnih et al.'s A3C, 2016) runs 8
copies of CartPole side by side with gymnasium's vector environments, and learns from their 8
x 5 steps at once:

    R_t = r_t + gamma r_{t+1} + ... + gamma^(5-t) V(s_5)     (n-step returns, cut where an episode ends)
    A_t = R_t - V(s_t)                                         (the advantage)
    loss = -mean(A_t log pi(a_t|s_t)) + 0.5 mean((R_t - V(s_t))^2) - 0.01 mean(H(pi(.|s_t)))

The advantage is a constant in the policy's term; the entropy bonus keeps the policy from
settling too early. Actor and critic are separate networks, Linear(64) - tanh - Linear(64) -
tanh - a head, trained by one Adam (lr 1e-3) on the summed loss with the gradient's norm
clipped at 0.5; gamma 0.99. Episodes are CartPole-v1 cut at 200 steps (the book's v0); at the
time limit the return bootstraps from V of the last state (``rl/common/onpolicy.py``).

300,000 environment steps; the metrics give the episode (and step) at which the mean return
of the last 100 episodes first reaches 195, the wall time, and a greedy evaluation on 10 seeded
episodes at the end. --quick runs 20,000 steps.

    python examples/rl/a2c.py --out out/a2c
"""
import os
import sys
import time

if __package__ in (None, ''):   # run as a script: import `examples` and `dezero` from this checkout
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir)))
from examples import common  # noqa: E402
from examples.rl.common import onpolicy  # noqa: E402
from examples.rl.common.cartpole import MAX_STEPS, evaluate, make_env  # noqa: E402

import numpy as np  # noqa: E402

import dezero.functions as F  # noqa: E402
from dezero import optimizers  # noqa: E402
from dezero.models import Model  # noqa: E402


class ActorCritic(Model):
    def __init__(self, action_size=2):
        super().__init__()
        self.pi = onpolicy.CategoricalPolicy(action_size)
        self.v = onpolicy.Critic()


class A2CAgent:
    def __init__(self, gamma=0.99, lr=1e-3, value_coef=0.5, entropy_coef=0.01, max_grad_norm=0.5):
        self.gamma, self.value_coef, self.entropy_coef = gamma, value_coef, entropy_coef
        self.model = ActorCritic()
        self.optimizer = optimizers.Adam(lr).setup(self.model)
        self.optimizer.add_hook(optimizers.ClipGrad(max_grad_norm))

    def n_step_returns(self, rewards, dones, last_values):
        """R_t = r_t + gamma (1 - done_t) R_{t+1}, from R_T = V(s_T); arrays of shape (T, n)."""
        returns = np.zeros_like(rewards)
        R = last_values
        for t in reversed(range(len(rewards))):
            R = rewards[t] + self.gamma * (1 - dones[t]) * R
            returns[t] = R
        return returns

    def update(self, obs, actions, returns):
        """One step on a batch (obs (B, 4), actions (B,), returns (B,)); returns the three losses."""
        log_prob, entropy = self.model.pi.log_prob_entropy(obs, actions)
        values = self.model.v(obs)
        advantages = returns - values.data                        # a constant for the actor
        loss_pi = -F.average(log_prob * advantages)
        loss_v = F.mean_squared_error(values, returns)
        loss_entropy = -F.average(entropy)
        loss = loss_pi + self.value_coef * loss_v + self.entropy_coef * loss_entropy
        self.model.cleargrads()
        loss.backward()
        self.optimizer.update()
        return float(loss_pi.data), float(loss_v.data), float(-loss_entropy.data)


def main(argv=None):
    parser = common.make_parser(__doc__, 'a2c', needs=('gymnasium', 'matplotlib'))
    parser.add_argument('--steps', type=int, default=None,
                        help='environment steps, all copies together (default 300,000; 20,000 with --quick)')
    parser.add_argument('--envs', type=int, default=8, help='environment copies (default 8)')
    parser.add_argument('--n-steps', type=int, default=5, help='steps per copy between updates (default 5)')
    args = common.parse(parser, argv)
    total = args.steps or (20_000 if args.quick else 300_000)
    envs, obs = onpolicy.make_vec('CartPole-v1', args.envs, args.seed)
    agent = A2CAgent()
    tracker = onpolicy.EpisodeTracker(args.envs)
    updates = total // (args.envs * args.n_steps)

    start, cpu_start = time.perf_counter(), time.process_time()
    entropies = []
    for u in common.progress(range(updates), desc='A2C'):
        batch_obs, batch_actions, batch_rewards, batch_dones = [], [], [], []
        for _ in range(args.n_steps):
            obs = obs.astype(np.float32)
            actions, _ = agent.model.pi.sample(obs)
            next_obs, rewards, terminated, truncated, info = envs.step(actions)
            tracker.step(rewards, terminated | truncated)
            rewards = onpolicy.bootstrap_truncated(rewards.astype(np.float32), terminated, truncated, info,
                                                   agent.model.v, agent.gamma)
            batch_obs.append(obs)
            batch_actions.append(actions)
            batch_rewards.append(rewards)
            batch_dones.append((terminated | truncated).astype(np.float32))
            obs = next_obs
        last_values = agent.model.v.values(obs.astype(np.float32))
        returns = agent.n_step_returns(np.array(batch_rewards), np.array(batch_dones), last_values)
        _, _, entropy = agent.update(np.concatenate(batch_obs), np.concatenate(batch_actions),
                                     returns.reshape(-1).astype(np.float32))
        entropies.append(entropy)
        if (u + 1) % max(1, updates // 10) == 0 and tracker.episodes:
            print(f'steps {tracker.steps:7d} | episodes {len(tracker.episodes):5d} | mean return of the last 100 '
                  f'{np.mean(tracker.returns[-100:]):6.1f} | entropy {np.mean(entropies[-100:]):.3f}', flush=True)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    envs.close()

    greedy = evaluate(agent.model.pi, make_env())
    episode_solved, steps_solved = onpolicy.steps_to_reach(tracker.episodes, 195.0)
    returns = tracker.returns
    figures = [onpolicy.plot_returns(tracker.episodes, args.out, 'a2c_returns.png',
                                     f'A2C on CartPole ({args.envs} environments)', 22.1, 195, (0, 210))]
    metrics = {'env_steps': tracker.steps, 'updates': updates, 'envs': args.envs, 'n_steps': args.n_steps,
               'episodes': len(returns), 'episodes_to_solve': episode_solved, 'steps_to_solve': steps_solved,
               'mean_return_last_100': float(np.mean(returns[-100:])),
               'mean_return_last_20': float(np.mean(returns[-20:])),
               'greedy_eval': greedy, 'train_seconds': round(seconds, 1),
               'train_cpu_seconds': round(cpu_seconds, 1)}
    solved = (f'the mean of 100 episodes reached 195 at episode {episode_solved} ({steps_solved:,} steps)'
              if episode_solved else 'the mean of 100 episodes did not reach 195')
    summary = (f'a2c: mean return of the last 100 episodes {metrics["mean_return_last_100"]:.1f} / {MAX_STEPS} '
               f'after {tracker.steps:,} steps ({cpu_seconds:.0f} s of CPU); {solved}; greedy evaluation {greedy:.1f}')
    return common.finish(args, metrics, summary, figures)


if __name__ == '__main__':
    main()
