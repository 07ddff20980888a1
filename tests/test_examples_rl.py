"""The parts of the chapter-10 RL examples that can be checked exactly, without training:
PPO's clipped objective, the sum tree of prioritized replay, the frame replay buffer of
dqn_pixels.py, the screen resizing, GAE and the n-step returns.
The end-to-end --quick runs are rows of tests/test_examples.py."""
import os
import sys
from collections import deque

import numpy as np
import pytest

from dezero import Variable

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from examples.rl.dqn_pixels import FrameReplayBuffer, area_matrix  # noqa: E402
from examples.rl.per_dqn import PrioritizedReplayBuffer, SumTree  # noqa: E402


# =============================================================================
# PPO's clipped objective (the policies' log-probabilities and entropies are dezero.functions,
# tested in tests/functions/test_distributions.py)
# =============================================================================
def test_ppo_clipped_objective_gradient_is_zero_where_the_clip_binds():
    """F.minimum and F.clip, as ppo.py combines them: no push beyond 1 +- eps in the advantage's direction."""
    import dezero.functions as F
    ratio = Variable(np.array([0.5, 0.9, 1.1, 1.5, 0.5, 1.5]))
    adv = np.array([1.0, 1.0, 1.0, 1.0, -1.0, -1.0])
    surrogate = F.minimum(ratio * adv, F.clip(ratio, 0.8, 1.2) * adv)
    F.sum(surrogate).backward()
    # A > 0: pushes up below 1.2 only; A < 0: pushes down above 0.8 only
    assert ratio.grad.data.tolist() == [1.0, 1.0, 1.0, 0.0, 0.0, -1.0]


# =============================================================================
# Prioritized replay
# =============================================================================
def test_sum_tree_sums_finds_and_samples_in_proportion():
    tree = SumTree(5)
    tree.update([0, 1, 2, 3, 4], [1.0, 0.0, 2.0, 3.0, 0.0])
    assert tree.total == 6.0
    assert tree.find([0.0, 0.999, 1.0, 2.999, 3.0, 5.999]).tolist() == [0, 0, 2, 2, 3, 3]
    values = np.random.RandomState(0).rand(60_000) * tree.total
    freq = np.bincount(tree.find(values), minlength=5) / 60_000
    np.testing.assert_allclose(freq, [1 / 6, 0, 2 / 6, 3 / 6, 0], atol=0.01)
    tree.update([2, 2], [5.0, 0.5])          # repeats: the last one wins, the sums follow
    assert tree.total == 4.5 and tree[[2]].tolist() == [0.5]
    rng = np.random.RandomState(1)
    big = SumTree(1000)
    p = rng.rand(1000)
    big.update(np.arange(1000), p)
    assert big.total == pytest.approx(p.sum())
    cum = np.cumsum(p)
    v = rng.rand(500) * p.sum()
    assert (big.find(v) == np.searchsorted(cum, v, side='right')).all()
    with pytest.raises(IndexError, match=r'SumTree.update: slots must be in \[0, 1000\)'):
        big.update([1000], [1.0])
    with pytest.raises(ValueError, match='SumTree.update: priorities must be finite and >= 0'):
        big.update([0], [-1.0])


def test_prioritized_buffer_weights_and_priorities():
    np.random.seed(0)
    buf = PrioritizedReplayBuffer(8, 4, alpha=1.0, beta=1.0, eps=0.0)
    for i in range(8):
        buf.add(np.full(4, i, np.float32), i % 2, 1.0, np.zeros(4, np.float32), 0)
    assert len(buf) == 8 and buf.tree.total == pytest.approx(8.0)   # new transitions: the largest priority (1)
    buf.update_priorities(np.arange(8), np.array([0, 0, 0, 0, 0, 0, 1.0, 3.0]))
    counts = np.zeros(8)
    for _ in range(500):
        state, action, reward, next_state, terminated, weights, slots = buf.get_batch()
        assert (state[:, 0] == slots).all()
        counts += np.bincount(slots, minlength=8)
        # beta = 1: w = 1 / (N P(i)) / max -> the rarer transition has the larger weight
        probs = buf.tree[slots] / buf.tree.total
        np.testing.assert_allclose(weights, (1 / probs) / (1 / probs).max(), rtol=1e-6)
    assert counts[:6].sum() == 0 and counts[7] / counts[6] == pytest.approx(3.0, rel=0.15)
    assert buf.max_priority == 3.0


# =============================================================================
# dqn_pixels.py: screens and the frame replay buffer
# =============================================================================
def test_area_matrix_averages_and_resizes():
    m = area_matrix(210, 84)
    assert m.shape == (84, 210) and np.allclose(m.sum(axis=1), 1)
    assert (area_matrix(8, 4) == np.kron(np.eye(4), [0.5, 0.5])).all()        # 2:1 is a mean of pairs
    img = np.full((210, 160), 77.0)
    small = area_matrix(210, 84) @ img @ area_matrix(160, 84).T
    np.testing.assert_allclose(small, 77.0, rtol=1e-5)                          # flat stays flat


def _fill(buf, rng, episodes, naive):
    """Play random episodes of unique frames into buf, recording the stacks an agent would see."""
    fid = 0
    for _ in range(episodes):
        length = rng.randint(1, 9)
        fid += 1
        buf.start([fid % 256])
        stack = deque([fid] * 4, maxlen=4)
        for k in range(length):
            slot = (buf.pos - 1) % buf.capacity
            state = list(stack)
            fid += 1
            stack.append(fid)
            done = k == length - 1 and rng.rand() < 0.7
            buf.add(k % 4, float(k), done, [fid % 256])
            naive[slot] = (state, list(stack), k % 4, float(k), done)


def test_frame_buffer_gives_the_stacks_the_agent_saw():
    rng = np.random.RandomState(0)
    buf = FrameReplayBuffer(40, frame_shape=(1,), history=4)
    naive = {}
    _fill(buf, rng, 25, naive)                  # wraps around the ring several times
    usable = [j for j in range(40) if buf._usable(np.array([j]))[0]]
    assert len(usable) >= 20
    for j in usable:
        state, next_state, action, reward, done = naive[j]
        assert buf.stack([j])[0, :, 0].tolist() == [f % 256 for f in state]
        assert buf.stack([(j + 1) % 40])[0, :, 0].tolist() == [f % 256 for f in next_state]
        assert (buf.actions[j], buf.rewards[j], buf.dones[j]) == (action, reward, done)
    np.random.seed(0)
    states, actions, rewards, next_states, dones = buf.sample(16)
    assert states.shape == next_states.shape == (16, 4, 1) and states.dtype == np.uint8
    # each sample is one of the usable transitions, with its own stacks
    for s, n, a in zip(states[:, :, 0].tolist(), next_states[:, :, 0].tolist(), actions):
        assert any(s == [f % 256 for f in naive[j][0]] and n == [f % 256 for f in naive[j][1]] for j in usable)


def test_frame_buffer_stores_each_frame_once_and_rejects_misuse():
    buf = FrameReplayBuffer(1000)
    assert buf.frames.nbytes == 1000 * 84 * 84               # one uint8 screen per transition
    assert buf.nbytes < 1.01 * buf.frames.nbytes + 1000 * 16
    with pytest.raises(RuntimeError, match='call start'):
        buf.add(0, 0.0, False, np.zeros((84, 84), np.uint8))
    buf.start(np.zeros((84, 84), np.uint8))
    with pytest.raises(ValueError, match='0 transitions stored, 32 asked'):
        buf.sample(32)
    with pytest.raises(ValueError, match='capacity must exceed history'):
        FrameReplayBuffer(4)


# =============================================================================
# Returns and advantages
# =============================================================================
def test_gae_and_n_step_returns_against_direct_sums():
    pytest.importorskip('gymnasium')
    from examples.rl.a2c import A2CAgent
    from examples.rl.common.onpolicy import CategoricalPolicy
    from examples.rl.ppo import PPOAgent
    rng = np.random.RandomState(0)
    T, n, gamma, lam = 6, 3, 0.9, 0.8
    rewards, values, last = rng.randn(T, n), rng.randn(T, n), rng.randn(n)
    dones = np.zeros((T, n))
    dones[2, 0] = dones[5, 1] = 1
    agent = PPOAgent(CategoricalPolicy(2), gamma=gamma, lam=lam)
    adv, ret = agent.gae(rewards, values, dones, last)
    nxt = np.vstack([values[1:], last[None]])
    delta = rewards + gamma * (1 - dones) * nxt - values
    for i in range(n):
        for t in range(T):
            total, k = 0.0, t
            while k < T:
                total += (gamma * lam) ** (k - t) * delta[k, i]
                if dones[k, i]:
                    break
                k += 1
            assert adv[t, i] == pytest.approx(total)
    np.testing.assert_allclose(ret, adv + values)
    # lambda = 1 and no episode end: the advantage is the discounted return minus V
    agent.lam = 1.0
    adv1, _ = agent.gae(rewards, values, np.zeros((T, n)), last)
    disc = sum(gamma ** k * rewards[k] for k in range(T)) + gamma ** T * last
    np.testing.assert_allclose(adv1[0], disc - values[0])
    a2c = A2CAgent(gamma=gamma)
    R = a2c.n_step_returns(rewards, dones, last)
    np.testing.assert_allclose(R[3:, 0], [rewards[3, 0] + gamma * rewards[4, 0] + gamma ** 2 * rewards[5, 0]
                                          + gamma ** 3 * last[0], rewards[4, 0] + gamma * rewards[5, 0]
                                          + gamma ** 2 * last[0], rewards[5, 0] + gamma * last[0]])
    assert R[2, 0] == rewards[2, 0]                   # the episode ended there: nothing bootstrapped


# =============================================================================
# dqn_compare.py --from-runs: the report of a (partly) finished comparison
# =============================================================================
def test_dqn_compare_reports_from_saved_runs(tmp_path, capsys):
    pytest.importorskip('matplotlib')
    pytest.importorskip('gymnasium')
    import json
    from examples.rl import dqn_compare
    from examples.rl.common.dqn import episodes_to_solve
    solving = [20] * 100 + [200] * 100  # mean of 100 >= 195 from episode 198
    assert episodes_to_solve(solving) == 198 and episodes_to_solve([200] * 99) is None
    runs = {'DQN': [{'seed': 0, 'rewards': solving, 'episodes_to_solve': 198, 'final_ma100': 200.0,
                     'best_ma100': 200.0, 'seconds': 1.0},
                    {'seed': 1, 'rewards': [20] * 200, 'episodes_to_solve': None, 'final_ma100': 20.0,
                     'best_ma100': 20.0, 'seconds': 2.0}],
            'Double DQN': [], 'Dueling DQN': [], 'PER DQN': []}       # a comparison still running
    path = tmp_path / 'runs.json'
    path.write_text(json.dumps(runs))
    m = dqn_compare.main(['--from-runs', str(path), '--out', str(tmp_path / 'out')])
    assert list(m['variants']) == ['DQN'] and m['seeds'] == [0, 1] and m['episodes'] == 200
    assert m['variants']['DQN']['episodes_to_solve'] == [198, None]
    assert m['variants']['DQN']['median_episodes_to_solve'] == 198 and m['total_seconds'] == 3.0
    assert (tmp_path / 'out' / 'dqn_compare.png').read_bytes()[:4] == b'\x89PNG'
    assert capsys.readouterr().out.strip().endswith('DQN 1/2 (median episode 198)')
    (tmp_path / 'empty.json').write_text(json.dumps({'DQN': []}))
    with pytest.raises(SystemExit):
        dqn_compare.main(['--from-runs', str(tmp_path / 'empty.json'), '--out', str(tmp_path / 'out2')])
    assert 'holds no finished run' in capsys.readouterr().err
