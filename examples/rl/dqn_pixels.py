"""A CNN + DQN that learns Atari Breakout from the screen (book 4, chapter 10: "CNN + DQN on real games").

The game is the Arcade Learning Environment's Breakout through ``ale-py`` (its wheels ship the
ROMs; ``pip install -e ".[rl]"``), with gymnasium's API. The network sees what a player sees,
prepared as in the DQN papers, with NumPy only (no OpenCV):

* each action is repeated for 4 frames, and the screen is the pixel-wise maximum of the last
  two (some Atari sprites flicker); gymnasium's v5 sticky actions (probability 0.25) stay on;
* the 210x160 grey screen is shrunk to 84x84 by area averaging (two small matrix products);
* the state is the last 4 such screens stacked, so that the network can see motion;
* up to 30 no-op actions at the start of each game vary the first positions;
* for learning, rewards are clipped to their sign and losing a life ends the bootstrapping
  (the game itself goes on until the fifth ball is lost); scores are reported unclipped.

The replay buffer stores each 84x84 screen once, as uint8, in a ring of 100,000: consecutive
transitions share their frames, and a state's stack is gathered when it is sampled (frames from
before the episode's first one are replaced by that first one). That is 7 KB per transition,
eight times less than storing both stacks of 4, and 32 times less than float32.

The network is that of the first DQN paper (Mnih et al., 2013): Conv(16, 8x8, stride 4) - ReLU
- Conv(32, 4x4, stride 2) - ReLU - Linear(256) - ReLU - Linear(actions), on screens scaled to
[0, 1]. DQN with a target network synced every 2,000 steps, the Huber loss, Adam (lr 1e-4),
gamma 0.99, batches of 32, one update every 4 steps from step 10,000 on, epsilon falling
linearly from 1 to 0.05 over the first 100,000 steps (400,000 frames).

Every ``--eval-every`` frames (250,000), and at the end, the agent plays 10 games with epsilon
0.05 (game seeds 10,000 to 10,009; at most 10,000 steps each); a uniformly random policy plays
games with the same seeds once at the start, which gives the level to beat. The default budget
is 1,000,000 frames (250,000 steps): 42 minutes of CPU (an update of the CNN on a batch of 32
takes about 42 ms), and the agent then scores about 12 where the random policy scores 1.6;
the DQN papers train for 10 to 50 million frames.
A shorter ``--frames`` gives the same run cut short, with the same evaluations up to there.
--quick runs 1,000 steps (learning from step 250, one short evaluation game): it checks the
machinery, it cannot show learning.

    python examples/rl/dqn_pixels.py --out out/dqn_pixels
"""
import copy
import json
import os
import sys
import time
from collections import deque

if __package__ in (None, ''):   # run as a script: import `examples` and `dezero` from this checkout
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir)))
from examples import common  # noqa: E402

import numpy as np  # noqa: E402

import dezero  # noqa: E402
import dezero.functions as F  # noqa: E402
import dezero.layers as L  # noqa: E402
from dezero import optimizers  # noqa: E402
from dezero.models import Model  # noqa: E402
from dezero.utils import atomic_write  # noqa: E402

FRAME_SIZE = 84
HISTORY = 4
EVAL_SEED = 10_000


# =============================================================================
# The game, seen as the DQN papers see it
# =============================================================================
def area_matrix(n_in, n_out):
    """The (n_out, n_in) matrix that shrinks a length-n_in signal to n_out by area averaging:
    output i is the mean of the input over [i n_in / n_out, (i + 1) n_in / n_out), partial
    pixels weighted by their overlap. ``A @ img @ B.T`` resizes an image."""
    edges = np.arange(n_out + 1) * n_in / n_out
    m = np.zeros((n_out, n_in))
    for i in range(n_out):
        lo, hi = edges[i], edges[i + 1]
        for j in range(int(np.floor(lo)), int(np.ceil(hi))):
            m[i, j] = min(hi, j + 1) - max(lo, j)
    return (m / m.sum(axis=1, keepdims=True)).astype(np.float32)


class AtariGame:
    """An ALE game with frame skipping, max-pooling of the last two frames, 84x84 grey screens and
    no-op starts. ``reset(seed)`` returns the first screen; ``step(action)`` returns
    ``(screen, reward, terminated, truncated, life_lost)`` with the unclipped reward of the 4 frames."""

    def __init__(self, game='Breakout', frame_skip=4, noop_max=30, rng=None):
        import ale_py
        import gymnasium as gym
        gym.register_envs(ale_py)
        self.env = gym.make(f'ALE/{game}-v5', obs_type='grayscale', frameskip=1)
        self.action_size = self.env.action_space.n
        self.action_meanings = self.env.unwrapped.get_action_meanings()
        self.frame_skip, self.noop_max = frame_skip, noop_max
        self.rng = rng if rng is not None else np.random
        h, w = self.env.observation_space.shape
        self.rows, self.cols = area_matrix(h, FRAME_SIZE), area_matrix(w, FRAME_SIZE)
        self.lives = 0

    def _screen(self, frame):
        small = self.rows @ frame.astype(np.float32) @ self.cols.T
        return np.clip(np.rint(small), 0, 255).astype(np.uint8)

    def reset(self, seed=None):
        frame, info = self.env.reset(seed=seed)
        for _ in range(int(self.rng.randint(1, self.noop_max + 1))):
            frame, _, terminated, truncated, info = self.env.step(0)
            if terminated or truncated:
                frame, info = self.env.reset()
        self.lives = info['lives']
        return self._screen(frame)

    def step(self, action):
        total, last = 0.0, []
        for _ in range(self.frame_skip):
            frame, reward, terminated, truncated, info = self.env.step(action)
            total += reward
            last = (last + [frame])[-2:]
            if terminated or truncated:
                break
        life_lost = info['lives'] < self.lives
        self.lives = info['lives']
        return self._screen(np.maximum.reduce(last)), total, terminated, truncated, life_lost


# =============================================================================
# Replay: each frame stored once
# =============================================================================
class FrameReplayBuffer:
    """Transitions of stacked screens, each screen stored once as uint8 in a ring of ``capacity``.

    ``start(frame)`` begins an episode with its first screen; ``add(action, reward, done,
    next_frame)`` records what followed the newest screen. Transition j goes from the stack
    ending at slot j to the stack ending at slot j + 1, so consecutive transitions share
    ``history - 1`` screens. In a stack, screens from before the episode's first one are
    replaced by that first one (as the acting agent's stack starts). ``sample(n)`` returns
    ``(states, actions, rewards, next_states, dones)`` with the states as uint8
    (n, history, H, W).
    """

    def __init__(self, capacity, frame_shape=(FRAME_SIZE, FRAME_SIZE), history=HISTORY):
        if capacity <= history:
            raise ValueError(f'FrameReplayBuffer: capacity must exceed history ({history}), got {capacity}')
        self.capacity, self.history = capacity, history
        self.frames = np.zeros((capacity,) + tuple(frame_shape), np.uint8)
        self.actions = np.zeros(capacity, np.int64)
        self.rewards = np.zeros(capacity, np.float32)
        self.dones = np.zeros(capacity, bool)
        self.first = np.zeros(capacity, bool)       # the slot holds an episode's first screen
        self.valid = np.zeros(capacity, bool)       # the slot starts a transition (its next screen is stored)
        self.pos = 0                                # the next slot to write
        self.count = 0

    def __len__(self):
        return int(self.valid.sum())

    @property
    def nbytes(self):
        return sum(a.nbytes for a in (self.frames, self.actions, self.rewards, self.dones, self.first, self.valid))

    def _write(self, frame, first):
        self.frames[self.pos] = frame
        self.first[self.pos] = first
        self.valid[self.pos] = False
        self.pos = (self.pos + 1) % self.capacity
        self.count = min(self.count + 1, self.capacity)

    def start(self, frame):
        self._write(frame, True)

    def add(self, action, reward, done, next_frame):
        if self.count == 0:
            raise RuntimeError('FrameReplayBuffer.add: call start(first_frame) first')
        j = (self.pos - 1) % self.capacity
        self.actions[j], self.rewards[j], self.dones[j], self.valid[j] = action, reward, done, True
        self._write(next_frame, False)

    def _usable(self, slots):
        """Transitions whose whole stack is still stored: valid, and not among the oldest
        ``history - 1`` slots (their earlier screens have been overwritten)."""
        oldest = self.pos if self.count == self.capacity else 0
        age = (slots - oldest) % self.capacity
        return self.valid[slots] & (age >= self.history - 1)

    def stack(self, ends):
        """The stacks of ``history`` screens ending at the slots ``ends``: (n, history, H, W) uint8."""
        slots = (np.asarray(ends)[:, None] + np.arange(1 - self.history, 1)) % self.capacity
        for m in range(1, self.history):            # the latest episode start in the stack wins
            starts = self.first[slots[:, m]]
            slots[starts, :m] = slots[starts, m][:, None]
        return self.frames[slots]

    def sample(self, batch_size):
        if len(self) < batch_size:
            raise ValueError(f'FrameReplayBuffer.sample: {len(self)} transitions stored, {batch_size} asked')
        chosen = np.empty(0, np.int64)
        while len(chosen) < batch_size:
            cand = np.random.randint(0, self.count, size=2 * batch_size)
            chosen = np.concatenate([chosen, cand[self._usable(cand)]])
        j = chosen[:batch_size]
        return (self.stack(j), self.actions[j], self.rewards[j], self.stack((j + 1) % self.capacity),
                self.dones[j].astype(np.float32))


# =============================================================================
# The agent
# =============================================================================
class ConvQNet(Model):
    """Mnih et al. (2013): Conv(16, 8, 4) - ReLU - Conv(32, 4, 2) - ReLU - Linear(256) - ReLU - Linear(actions)."""

    def __init__(self, action_size):
        super().__init__()
        self.c1 = L.Conv2d(16, kernel_size=8, stride=4)
        self.c2 = L.Conv2d(32, kernel_size=4, stride=2)
        self.l1 = L.Linear(256)
        self.l2 = L.Linear(action_size)

    def forward(self, x):
        x = F.relu(self.c1(x))
        x = F.relu(self.c2(x))
        x = F.relu(self.l1(F.flatten(x)))
        return self.l2(x)


def to_input(stacks):
    """uint8 stacks (n, 4, 84, 84) -> float32 in [0, 1]."""
    return stacks.astype(np.float32) * np.float32(1 / 255)


class PixelDQNAgent:
    def __init__(self, action_size, gamma=0.99, lr=1e-4, buffer_size=100_000, batch_size=32):
        self.action_size, self.gamma, self.batch_size = action_size, gamma, batch_size
        self.buffer = FrameReplayBuffer(buffer_size)
        self.qnet = ConvQNet(action_size)
        self.qnet_target = None
        self.optimizer = optimizers.Adam(lr).setup(self.qnet)

    def greedy(self, stack):
        with dezero.no_grad():
            return int(self.qnet(to_input(stack[np.newaxis])).data.argmax())

    def act(self, stack, epsilon, rng=np.random):
        if rng.rand() < epsilon:
            return int(rng.randint(self.action_size))
        return self.greedy(stack)

    def update(self):
        state, action, reward, next_state, done = self.buffer.sample(self.batch_size)
        with dezero.no_grad():
            next_q = self.qnet_target(to_input(next_state)).data.max(axis=1)
        target = (reward + self.gamma * (1 - done) * next_q).astype(np.float32)
        q = self.qnet(to_input(state))[np.arange(self.batch_size), action]
        loss = F.huber_loss(q, target)
        self.qnet.cleargrads()
        loss.backward()
        self.optimizer.update()
        return float(loss.data)

    def sync(self):
        self.qnet_target = copy.deepcopy(self.qnet)


def play(game, policy, episodes, max_steps, rng):
    """Scores (unclipped, all lives) of ``policy(stack, rng)`` over seeded games."""
    scores = []
    for i in range(episodes):
        frame = game.reset(seed=EVAL_SEED + i)
        stack = deque([frame] * HISTORY, maxlen=HISTORY)
        score = 0.0
        for _ in range(max_steps):
            frame, reward, terminated, truncated, _ = game.step(policy(np.stack(stack), rng))
            stack.append(frame)
            score += reward
            if terminated or truncated:
                break
        scores.append(score)
    return scores


def epsilon_at(step, start=1.0, end=0.05, steps=100_000):
    return max(end, start + (end - start) * step / steps)


def plot(scores, evals, random_score, out, filename, game):
    fig, ax = common.new_figure(figsize=(6.4, 3.8))
    frames = np.array([f for f, _ in scores], dtype=float)
    values = np.array([s for _, s in scores], dtype=float)
    if len(values):
        ax.plot(frames / 1e6, values, '.', alpha=0.25, markersize=3, label='training game score')
        ax.plot(frames / 1e6, common.moving_average(values, 50), label='mean of 50 games')
    ax.plot([f / 1e6 for f, _ in evals], [s for _, s in evals], 'o-', markersize=4,
            label='evaluation (epsilon 0.05, 10 games)')
    ax.axhline(random_score, color='gray', linestyle=':', label=f'random policy ({random_score:.1f})')
    ax.set(xlabel='frames (millions)', ylabel='score', title=f'DQN from pixels: {game}')
    ax.legend(loc='upper left', fontsize=8)
    ax.grid(alpha=0.3)
    return common.save_figure(fig, out, filename)


def main(argv=None):
    parser = common.make_parser(__doc__, 'dqn_pixels', needs=('gymnasium', 'ale_py', 'matplotlib'))
    parser.add_argument('--game', default='Breakout', help='ALE game name (default Breakout)')
    parser.add_argument('--frames', type=int, default=None,
                        help='emulator frames to train for (default 1,000,000; 4,000 with --quick)')
    parser.add_argument('--eval-every', type=int, default=None,
                        help='frames between evaluations (default 250,000)')
    args = common.parse(parser, argv)
    steps = (args.frames or (4_000 if args.quick else 1_000_000)) // 4
    learn_start = 250 if args.quick else 10_000
    sync_every, update_every = (250 if args.quick else 2_000), 4
    eval_steps = (args.eval_every or (10**9 if args.quick else 250_000)) // 4
    eval_games, eval_max_steps = (1, 300) if args.quick else (10, 10_000)
    eps_steps = 400 if args.quick else 100_000

    game = AtariGame(args.game)
    eval_game = AtariGame(args.game, rng=np.random.RandomState(args.seed + 1))
    agent = PixelDQNAgent(game.action_size, buffer_size=5_000 if args.quick else 100_000)
    print(f'{args.game}: actions {game.action_meanings}; {steps:,} steps = {4 * steps:,} frames')

    random_scores = play(eval_game, lambda s, rng: int(rng.randint(game.action_size)), eval_games, eval_max_steps,
                         np.random.RandomState(args.seed + 2))
    random_score = float(np.mean(random_scores))
    print(f'random policy: mean score {random_score:.2f} over {eval_games} games')

    def evaluate():
        rng = np.random.RandomState(args.seed + 3)
        return play(eval_game, lambda s, r: agent.act(s, 0.05, r), eval_games, eval_max_steps, rng)

    scores, evals, losses = [], [], []
    frame = game.reset(seed=args.seed)
    agent.buffer.start(frame)
    stack = deque([frame] * HISTORY, maxlen=HISTORY)
    score, start = 0.0, time.perf_counter()
    for t in range(steps):
        if t % sync_every == 0:
            agent.sync()
        action = agent.act(np.stack(stack), epsilon_at(t, steps=eps_steps))
        frame, reward, terminated, truncated, life_lost = game.step(action)
        agent.buffer.add(action, np.sign(reward), terminated or life_lost, frame)
        stack.append(frame)
        score += reward
        if t >= learn_start and t % update_every == 0:
            losses.append(agent.update())
        if terminated or truncated:
            scores.append((4 * (t + 1), score))
            frame = game.reset()
            agent.buffer.start(frame)
            stack = deque([frame] * HISTORY, maxlen=HISTORY)
            score = 0.0
        if (t + 1) % 10_000 == 0:
            recent = [s for _, s in scores[-20:]]
            print(f'step {t + 1:7d} | frames {4 * (t + 1):8d} | epsilon {epsilon_at(t, steps=eps_steps):.2f} | '
                  f'games {len(scores):4d} | mean score of the last 20 {np.mean(recent) if recent else 0:5.2f} | '
                  f'loss {np.mean(losses[-2500:]) if losses else 0:.4f} | {time.perf_counter() - start:5.0f} s',
                  flush=True)
        if (t + 1) % eval_steps == 0 or t + 1 == steps:
            result = evaluate()
            evals.append((4 * (t + 1), float(np.mean(result))))
            print(f'evaluation after {4 * (t + 1):,} frames: mean score {evals[-1][1]:.2f} (games {result})',
                  flush=True)
            with atomic_write(os.path.join(args.out, 'progress.json')) as tmp:
                with open(tmp, 'w', encoding='utf-8') as f:
                    json.dump({'evals': evals, 'random_score': random_score, 'scores': scores,
                               'seconds': time.perf_counter() - start}, f)
    seconds = time.perf_counter() - start
    agent.qnet.save_weights(os.path.join(args.out, 'dqn_pixels.npz'))

    figures = [plot(scores, evals, random_score, args.out, 'dqn_pixels_scores.png', args.game)]
    final = evals[-1][1]
    per_transition = agent.buffer.frames.nbytes / agent.buffer.capacity
    metrics = {'game': args.game, 'frames': 4 * steps, 'steps': steps, 'updates': len(losses),
               'games': len(scores), 'random_score': random_score, 'random_scores': random_scores,
               'final_eval': final, 'evals': [{'frames': f, 'mean_score': s} for f, s in evals],
               'eval_games': eval_games, 'mean_loss_last_1000': float(np.mean(losses[-1000:])) if losses else None,
               'replay_capacity': agent.buffer.capacity, 'replay_bytes': agent.buffer.nbytes,
               'frame_bytes_per_transition': per_transition,
               'stacked_uint8_bytes_per_transition': 2 * HISTORY * FRAME_SIZE ** 2,
               'train_seconds': round(seconds, 1)}
    summary = (f'dqn_pixels: {args.game} after {4 * steps:,} frames: mean score {final:.2f} over {eval_games} '
               f'games with epsilon 0.05 (random policy {random_score:.2f}); {seconds:.0f} s')
    return common.finish(args, metrics, summary, figures)


if __name__ == '__main__':
    main()
