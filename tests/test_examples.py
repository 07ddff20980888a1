"""Every example runs with --quick, as a user runs it, and reaches the numbers it should.

Each row of ``EXAMPLES`` names a script under examples/, its extra arguments and a check on
the ``metrics.json`` it writes; the expected values come from shared/reference/examples-catalogue.md
(§3 known numbers, §2 acceptance checks). Scripts run in a subprocess from an empty folder,
with ``MPLBACKEND=Agg`` and single-threaded BLAS, so the figures, the seeding and the
``sys.path`` set-up are exercised exactly as on the command line. Beyond its own check, every
row must exit 0, print its summary as the last line, write every figure it lists as a PNG,
and raise no warning from dezero or the examples.

To add an example: write ``check_<name>(m, out)`` and append an ``Example`` row; mark rows
that take more than about fifteen seconds with ``slow=True``, and list optional third-party
modules (e.g. ``needs=('gymnasium',)``) and data files (``**MNIST`` passes ``--root`` and
names the offline MNIST test split) so the row is skipped where they are missing.
"""
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field

import numpy as np
import pytest

pytest.importorskip('matplotlib')

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
# The MNIST test split that CI provides offline; the examples split it 8,000 / 2,000
SHARED_MNIST = os.path.join(ROOT, '..', 'shared', 'data', 'mnist')
MNIST = dict(args=('--root', SHARED_MNIST), files=(os.path.join(SHARED_MNIST, 't10k-images-idx3-ubyte.gz'),))
NO_VGG_WEIGHTS = ('--weights', os.path.join(ROOT, 'no-such-folder', 'vgg16.npz'))

# V* of the 3x4 GridWorld with gamma 0.9 (None: the wall); catalogue §1.4
V_STAR = [[0.81, 0.90, 1.00, 0.0],
          [0.729, None, 0.90, 1.00],
          [0.6561, 0.729, 0.81, 0.729]]


@dataclass(frozen=True)
class Example:
    script: str                     # path under examples/
    check: object                   # check(metrics, out_dir) -> None, asserting
    args: tuple = ()                # extra command-line arguments besides --quick --seed --out
    slow: bool = False
    needs: tuple = ()               # importable modules the example requires
    files: tuple = ()               # data files the example reads (skipped where they are missing)
    env: dict = field(default_factory=dict)   # extra environment variables
    stdout_has: tuple = ()          # texts the output must contain
    id: str = ''


def run_example(example, out):
    env = dict(os.environ, MPLBACKEND='Agg', OPENBLAS_NUM_THREADS='1', OMP_NUM_THREADS='1',
               MKL_NUM_THREADS='1', **example.env)
    cmd = [sys.executable, '-W', 'default', os.path.join(ROOT, 'examples', example.script),
           '--quick', '--seed', '0', '--out', str(out), *example.args]
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(out.parent),
                            timeout=300)
    assert result.returncode == 0, f'{example.script} failed:\n{result.stdout}\n{result.stderr}'
    own_warnings = [line for line in result.stderr.splitlines()
                    if re.search(r'(examples|dezero)[/\\].*Warning', line)]
    assert not own_warnings, '\n'.join(own_warnings)
    with open(os.path.join(out, 'metrics.json'), encoding='utf-8') as f:
        metrics = json.load(f)
    assert metrics['quick'] is True and metrics['seed'] == 0
    assert result.stdout.strip().splitlines()[-1] == metrics['summary']
    for text in example.stdout_has:
        assert text in result.stdout, f'{text!r} not printed'
    for name in metrics['figures']:
        with open(os.path.join(out, name), 'rb') as f:
            assert f.read(8) == PNG_SIGNATURE, name
    return metrics


# =============================================================================
# Book 4: reinforcement learning
# =============================================================================
def check_bandit(m, out):
    assert m['incremental_mean'] == pytest.approx(0.6157662833145425, abs=1e-12)
    assert m['mean_difference'] < 1e-12
    rates = m['rate_at_end']
    assert 0.80 <= rates['0.1'] <= 0.87
    assert rates['0.1'] - rates['0.01'] >= 0.04
    assert rates['0.1'] > rates['0.3']


def check_bandit_nonstationary(m, out):
    rates = m['rate_at_end']
    assert rates['alpha_const'] - rates['sample_average'] >= 0.005


def check_gridworld_dp(m, out):
    two = m['two_state']
    assert (two['sync']['L1'], two['sync']['L2']) == pytest.approx((-2.249, -2.749), abs=1e-3)
    assert (two['sync_iterations'], two['in_place_iterations']) == (76, 60)
    assert (two['in_place']['L1'], two['in_place']['L2']) == pytest.approx((-2.249, -2.749), abs=1e-3)
    rand = m['random_policy']
    assert rand['V_exact'][2][0] == pytest.approx(-0.103, abs=2e-3)
    assert rand['V_exact'][0][2] == pytest.approx(0.205, abs=2e-3)
    assert rand['sweeps'] == 23
    vi = m['value_iteration']
    assert vi['sweeps'] <= 4
    for row, expected in zip(vi['V'], V_STAR):
        assert row == pytest.approx(expected, abs=1e-3)
    assert m['policy_iteration']['rounds'] <= 5
    assert m['policy_iteration']['same_as_value_iteration']
    assert m['greedy_optimal_states'] == 10
    assert m['path_steps'] == 5 and m['path_return'] == pytest.approx(0.6561)


def check_mc(m, out):
    ev = m['evaluation']
    assert ev['V_start_exact'] == pytest.approx(-0.1034, abs=1e-3)
    assert ev['start_error'] < 0.05 and ev['max_error'] < 0.25
    assert m['on_policy']['greedy_path_steps'] == 5
    assert m['off_policy']['reaches_goal'] and m['off_policy']['greedy_path_steps'] <= 7


def check_td(m, out):
    assert m['V_start_exact'] == pytest.approx(-0.1034, abs=1e-3)
    assert m['start_error'] < 0.05 and m['max_error'] < 0.25


def check_sarsa(m, out):
    # the catalogue measured 6.3-7.0 on 5 seeds; 20 seeds of this quick run gave 6.2-8.1
    assert m['mean_length_last_1000'] <= 8.5


def check_sarsa_off_policy(m, out):
    # the random policy needs 44.8 steps on average; 20 seeds of this quick run gave 11.9-16.5
    assert m['off_policy'] and m['mean_length_last_1000'] <= 20


def check_q_learning(m, out):
    assert m['greedy_path_steps'] == 5 and m['reaches_goal']
    assert m['path_max_error'] < 0.01
    assert m['max_q_start'] == pytest.approx(0.6561, abs=0.01)
    # cells off the preferred path are explored rarely: 17 of 20 seeds get all 10, the rest 9
    assert m['greedy_optimal_states'] >= 9
    assert m['mean_length_last_1000'] <= 6.0


def check_q_learning_nn(m, out):
    # catalogue §1.7: last-100 loss 6e-5 to 9e-4 (first 50: 0.02-0.04), 5-step path, max Q(start) 0.647-0.657
    assert m['loss_last_100'] < 0.01 and m['loss_last_100'] < 0.1 * m['loss_first_50']
    assert m['reaches_goal'] and m['greedy_path_steps'] == 5
    assert m['max_q_start'] == pytest.approx(0.6561, abs=0.05)


def check_dqn_cartpole(m, out):
    assert m['replay_batch_shapes'] == [[32, 4], [32], [32], [32, 4], [32]]
    # catalogue §2.1: within 200 episodes the best greedy evaluation is >= 150 (10/10 runs; 6 seeds of
    # this quick run: 184-200, five of them stopping early at >= 195)
    assert m['best_eval'] >= 150
    assert m['reloaded_eval'] == m['best_eval']         # the saved best weights play the same
    assert os.path.exists(os.path.join(out, 'dqn_best.npz'))


def check_policy_gradient(m, out):
    # the random policy scores 22.1 on average (catalogue §3); 6 seeds of the quick REINFORCE run
    # ended with means of 88-161 over their last 50 episodes and greedy evaluations of 188-200
    assert m['mean_reward_last_50'] >= 3 * 22.1
    assert m['greedy_eval'] >= 150


def check_actor_critic(m, out):
    # one-step actor-critic is noisier: 6 seeds of the quick run gave 59-200 over the last 50 episodes
    assert m['mean_reward_last_50'] >= 2 * 22.1


# Chapter 10 (one step further): the DQN variants, A2C, PPO and DQN from pixels
def check_dqn_variant(m, out):
    # --quick stops at the first greedy evaluation >= 195, after at most 150 episodes; the random
    # policy scores 22. Seeds 0-3 of the quick runs gave best evaluations of 180-200 (Double DQN),
    # 72-200 (Dueling DQN) and 152-200 (prioritized replay)
    assert m['best_eval'] >= 2 * 22.1
    assert m['reloaded_eval'] == m['best_eval']          # the saved best weights play the same
    assert m['episodes'] <= 150 and m['best_eval_episode'] <= m['episodes']
    name = m['example']
    assert os.path.exists(os.path.join(out, f'{name}_best.npz'))


def check_dqn_compare(m, out):
    # a smoke run: 2 seeds of 30 episodes per variant, too short to learn (or for a mean of 100)
    assert list(m['variants']) == ['DQN', 'Double DQN', 'Dueling DQN', 'PER DQN'] and m['seeds'] == [0, 1]
    with open(os.path.join(out, 'runs.json'), encoding='utf-8') as f:
        runs = json.load(f)
    for name, variant in m['variants'].items():
        assert variant['episodes_to_solve'] == [None, None] and variant['solved_runs'] == 0
        rewards = [r['rewards'] for r in runs[name]]
        assert [len(r) for r in rewards] == [30, 30] and rewards[0] != rewards[1]
        assert all(8 <= x <= 200 for r in rewards for x in r)
        assert [r['seed'] for r in runs[name]] == [0, 1]


def check_a2c(m, out):
    # 20,000 steps of 8 environments; the random policy scores 22. Seeds 0-3 gave means of 90-200
    # over the last 20 episodes and greedy evaluations of 149-200
    assert m['env_steps'] == 20_000 and m['updates'] == 500
    assert m['mean_return_last_20'] >= 3 * 22.1
    assert m['greedy_eval'] >= 100


def check_ppo(m, out):
    # 20,000 steps (19 rollouts of 8 x 128). Seeds 0-3 gave means of 181-184 over the last 20
    # episodes, greedy evaluations of 200 and clip fractions of 0.03-0.05
    assert m['env'] == 'cartpole' and m['rollouts'] == 19 and m['env_steps'] == 19 * 8 * 128
    assert m['mean_return_last_20'] >= 3 * 22.1
    assert m['greedy_eval'] >= 100
    assert 0 < m['mean_clip_fraction'] < 0.5


def check_ppo_pendulum(m, out):
    # two rollouts of 8 x 256 steps: a smoke test of the Gaussian policy; the random policy
    # loses about 1,100 to 1,200 per 200-step episode (seeds 0-3: -1104 to -1176); two rollouts
    # teach nothing yet (greedy evaluations of -1063 to -1670), but sigma and the policy move
    assert m['env'] == 'pendulum' and m['env_steps'] == 4096 and m['episodes'] == 16
    assert -1600 <= m['random_policy'] <= -800
    assert len(m['final_log_std']) == 1 and m['final_log_std'] != [0.0]
    assert 0 < m['mean_clip_fraction'] < 0.5


def check_dqn_pixels(m, out):
    # 1,000 steps = 4,000 frames of Breakout, learning from step 250: the machinery, not learning
    assert m['game'] == 'Breakout' and m['frames'] == 4000 and m['steps'] == 1000
    assert m['updates'] == sum(1 for t in range(250, 1000) if t % 4 == 0)     # every 4th step from 250
    assert m['frame_bytes_per_transition'] == 84 * 84            # one uint8 screen per transition
    assert m['stacked_uint8_bytes_per_transition'] == 8 * 84 * 84
    assert m['replay_bytes'] < 1.01 * m['replay_capacity'] * 84 * 84 + 16 * m['replay_capacity']
    assert isinstance(m['mean_loss_last_1000'], float) and m['mean_loss_last_1000'] > 0
    assert len(m['random_scores']) == m['eval_games'] == 1 and len(m['evals']) == 1
    with np.load(os.path.join(out, 'dqn_pixels.npz')) as weights:      # the CNN's 8 arrays, 4 actions
        assert len(weights.files) == 8 and sorted(w.shape for w in weights.values())[0] == (4,)


# =============================================================================
# Book 1: classic networks
# =============================================================================
def check_gates(m, out):
    assert m['truth_tables'] == {'AND': [0, 0, 0, 1], 'NAND': [1, 1, 1, 0],
                                 'OR': [0, 1, 1, 1], 'XOR': [0, 1, 1, 0]}
    solutions = m['single_layer_solutions']
    assert solutions['XOR'] == 0
    assert min(solutions['AND'], solutions['NAND'], solutions['OR']) > 0   # the search can find gates


def check_activations(m, out):
    assert m['sigmoid_at_0'] == 0.5 and m['dezero_sigmoid_at_0'] == 0.5
    assert sum(m['softmax_stable']) == pytest.approx(1.0)
    assert all(0 <= p <= 1 for p in m['softmax_stable'])
    assert 'nan' in m['softmax_naive']
    for name, check in m['gradient_checks'].items():
        assert check['backprop_vs_numerical'] < 1e-6, name
        assert check['backprop_vs_closed_form'] < 1e-12, name


def check_gradient_check(m, out):
    assert m['numerical_diff']['x=5'] == pytest.approx(0.2, abs=1e-9)
    assert m['numerical_diff']['x=10'] == pytest.approx(0.3, abs=1e-9)
    assert m['gradient']['(3.0, 4.0)'] == pytest.approx([6.0, 8.0], abs=1e-6)
    assert m['descent']['0.1']['norm'] < 1e-8
    assert m['descent']['10.0']['norm'] > 1e6
    assert m['descent']['1e-10']['final'] == pytest.approx([-3.0, 4.0], abs=1e-6)
    for name, check in m['gradient_check']['sigmoid'].items():
        assert check['mean_abs_diff'] < 1e-7, name
    for name, check in m['gradient_check']['relu'].items():
        assert check['mean_abs_diff'] < 1e-4, name


def check_two_layer_net(m, out):
    # without the training images the examples fall back to the test split, cut 8,000 / 2,000
    full = os.path.exists(os.path.join(SHARED_MNIST, 'train-images-idx3-ubyte.gz'))
    assert m['data'] == ('train/test' if full else 'test split 8000/2000')
    # catalogue §2.2 (mnist_mlp): 0.943 after the quick 2,000 iterations on the test split
    assert m['iterations'] == 2000
    assert m['test_accuracy'] >= 0.92 and m['train_accuracy'] >= 0.92


def check_optimizer_compare(m, out):
    # the book's paths over x^2/20 + y^2 (catalogue §2.2, with the book's eps 1e-7)
    expected = {'SGD': (-0.3504, 0.0848), 'Momentum': (0.8964, 0.0881), 'AdaGrad': (-0.1202, 0.0),
                'Adam': (0.1360, 0.3182), 'RMSProp': (-0.6974, 0.0)}
    for name, end in expected.items():
        assert m['path_ends'][name] == pytest.approx(end, abs=1e-4), name
    assert m['closest_to_minimum'] == 'AdaGrad' and m['sgd_zigzags']
    loss = m['mnist_final_loss']
    # catalogue: SGD's loss after 500 iterations is more than 3x each of the others'
    for name in ('Momentum', 'Nesterov', 'AdaGrad', 'Adam'):
        assert loss['SGD'] > 3 * loss[name], name
    assert loss['RMSProp'] < loss['SGD'] and loss['Adam'] < loss['SGD']


def check_weight_init_compare(m, out):
    act = m['activations']
    assert min(act['sigmoid, std 1']['saturated']) >= 0.7
    assert max(act['sigmoid, std 0.01']['std']) < 0.03
    assert 0.5 <= act['ReLU, He']['std'][-1] <= 1.5
    assert act['ReLU, std 0.01']['std'][-1] < 1e-3
    loss = m['mnist_final_loss']
    assert m['mnist_min_loss']['std 0.01'] > 2.2            # it never learns
    # catalogue: He 0.44, Xavier 0.85 at 500 iterations; 5 seeds here: He 0.38-0.44, Xavier 0.86-1.11
    assert loss['He'] < 0.75 * loss['Xavier'] and loss['Xavier'] < 1.5


def check_batchnorm_compare(m, out):
    assert len(m['final_accuracy']) == 4
    assert m['batchnorm_wins'] >= 3
    for r in m['final_accuracy']:
        if r['scale'] <= 0.014:
            assert r['plain'] <= 0.2, r                      # stuck near chance without BatchNorm
        if r['scale'] <= 0.09:
            assert r['batchnorm'] >= 0.7, r                  # learns with it
    assert max(m['gradient_check'].values()) < 1e-6


def check_overfit_regularization(m, out):
    none, wd, dropout = m['none'], m['weight_decay'], m['dropout']
    assert none['train'] >= 0.99 and none['gap'] > 0.15      # catalogue: 1.0 and 0.24
    assert wd['gap'] < 0.85 * none['gap'] and wd['train'] < none['train']
    assert dropout['gap'] < 0.85 * none['gap']


def check_hyperparam_search(m, out):
    assert m['trials'] == 20
    # 8 seeds of this quick search: best 0.67-0.77 in 7, 0.31 in one; the best lr was >= 3e-3 in all
    assert m['best']['val_accuracy'] >= 0.5
    assert m['best']['lr'] >= 1e-3


def check_simple_cnn(m, out):
    assert m['test_accuracy'] >= 0.9
    assert max(m['gradient_check'].values()) < 1e-8


def check_lr_schedule(m, out):
    schedules = m['schedules']
    assert all(r['lr_matches_closed_form'] for r in schedules.values())
    final = m['final_train_loss']
    for name in schedules:
        if name != 'constant':
            assert final[name] < 0.6 * final['constant'], name
    acc = m['final_test_accuracy']
    assert min(v for k, v in acc.items() if k != 'constant') > acc['constant']


# =============================================================================
# Book 3
# =============================================================================
def check_tanh(m, out):
    assert m['order'] == 4
    assert m['abs_error'] < 1e-10
    assert all(error < 1e-10 for error in m['curve_max_errors'].values())
    assert m['graph_functions'] > 20
    if m['graph_image'] is None:            # no Graphviz here: the DOT text must be there instead
        assert 'Graphviz' in m['graph_error'] and os.path.exists(os.path.join(out, 'tanh.dot'))
    else:
        assert m['graph_image'] in m['figures']


def check_gan(m, out):
    # a smoke test: ten iterations do not make digits (the full run takes hundreds)
    assert m['iterations'] == 10
    for key in ('loss_g_last_10', 'loss_d_last_10'):
        assert 0 < m[key] < 10, key
    assert 0 < m['D_fake_last_10'] < m['D_real_last_10'] < 1   # the discriminator starts to tell them apart


def check_vae(m, out):
    # bug #32: z = mu + exp(0.5 log_var) eps, so log_var = log 4 spreads z with std 2 (not 4)
    assert m['sampling_std_for_variance_4'] == pytest.approx(2.0, abs=0.03)
    assert m['initial_test_loss'] == pytest.approx(784 * 0.6931, rel=0.1)   # a coin flip per pixel
    assert m['test_loss'] < 0.6 * m['initial_test_loss']


def check_grad_cam(m, out):
    # offline: a CNN trained on MNIST; its heat maps must sit on the digits' strokes. Quick runs of seeds
    # 0-2 put 51-56% of the map's mass on ink that covers 16% of the pixels (38-40% on another digit's
    # ink), and its peak on the ink of 91-99% of the digits
    assert m['net'] == 'cnn' and m['pretrained'] is False and m['cam_shape'] == [28, 28]
    assert m['test_accuracy'] >= 0.9 and m['digits'] == 300
    assert m['mass_on_ink'] > 2 * m['ink_fraction']              # far above a map spread at random
    assert m['mass_on_ink'] > m['mass_on_other_ink'] + 0.05      # and above a map that only sits in the middle
    assert m['peak_on_ink'] >= 0.8 and m['peak_on_ink'] > m['peak_on_other_ink'] + 0.15
    assert m['cam_min'] >= 0 and m['cam_max'] == pytest.approx(1.0)
    assert m['test_mode_difference'] == 0 and m['dropout_difference'] > 0.01


def check_grad_cam_vgg16(m, out):
    assert m['net'] == 'vgg16'
    assert m['pretrained'] is False and m['input_size'] == 96 and m['cam_shape'] == [6, 6]
    assert m['cam_min'] >= 0 and m['cam_max'] == pytest.approx(1.0)
    # bug #31: in test mode the heat map is reproducible; with dropout active (the original) it is not
    assert m['test_mode_difference'] == 0
    assert m['dropout_difference'] > 0.01


def check_style_transfer(m, out):
    # random weights, scaled per layer: the style distance falls, also as a second random VGG16 measures it
    assert m['pretrained'] is False and m['size'] == 64 and m['iterations'] == 15
    assert m['loss_final'] < 0.5 * m['loss_initial']
    assert m['style_loss_final'] < 0.2 * m['style_loss_initial']
    assert m['held_out_style_final'] < 0.5 * m['held_out_style_initial']


def check_tanh_without_graphviz(m, out):
    assert m['graph_image'] is None and 'Graphviz' in m['graph_error']
    with open(os.path.join(out, 'tanh.dot'), encoding='utf-8') as f:
        assert f.read().startswith('digraph g {')
    assert m['abs_error'] < 1e-10


EXAMPLES = [
    Example('rl/bandit.py', check_bandit),
    Example('rl/bandit_nonstationary.py', check_bandit_nonstationary),
    Example('rl/gridworld_dp.py', check_gridworld_dp),
    Example('rl/mc.py', check_mc),
    Example('rl/td.py', check_td),
    Example('rl/sarsa.py', check_sarsa),
    Example('rl/sarsa.py', check_sarsa_off_policy, args=('--off-policy',), id='rl/sarsa.py-off-policy'),
    Example('rl/q_learning.py', check_q_learning),
    Example('rl/q_learning_nn.py', check_q_learning_nn),
    Example('rl/dqn_cartpole.py', check_dqn_cartpole, needs=('gymnasium',)),
    Example('rl/reinforce.py', check_policy_gradient, needs=('gymnasium',)),
    Example('rl/reinforce_baseline.py', check_policy_gradient, needs=('gymnasium',)),
    Example('rl/actor_critic.py', check_actor_critic, needs=('gymnasium',), slow=True),
    Example('rl/double_dqn.py', check_dqn_variant, needs=('gymnasium',)),
    Example('rl/dueling_dqn.py', check_dqn_variant, needs=('gymnasium',)),
    Example('rl/per_dqn.py', check_dqn_variant, needs=('gymnasium',)),
    Example('rl/dqn_compare.py', check_dqn_compare, needs=('gymnasium',)),
    Example('rl/a2c.py', check_a2c, needs=('gymnasium',)),
    Example('rl/ppo.py', check_ppo, needs=('gymnasium',)),
    Example('rl/ppo.py', check_ppo_pendulum, args=('--env', 'pendulum'), needs=('gymnasium',),
            id='rl/ppo.py-pendulum'),
    Example('rl/dqn_pixels.py', check_dqn_pixels, needs=('gymnasium', 'ale_py')),
    Example('classic/gates_perceptron.py', check_gates),
    Example('classic/activations.py', check_activations),
    Example('classic/gradient_check.py', check_gradient_check),
    Example('classic/two_layer_net.py', check_two_layer_net, **MNIST),
    Example('classic/optimizer_compare.py', check_optimizer_compare, **MNIST),
    Example('classic/weight_init_compare.py', check_weight_init_compare, **MNIST),
    Example('classic/batchnorm_compare.py', check_batchnorm_compare, **MNIST),
    Example('classic/overfit_regularization.py', check_overfit_regularization, **MNIST),
    Example('classic/hyperparam_search.py', check_hyperparam_search, slow=True, **MNIST),
    Example('classic/simple_cnn.py', check_simple_cnn, **MNIST),
    Example('classic/lr_schedule.py', check_lr_schedule, **MNIST),
    Example('tanh.py', check_tanh),
    Example('tanh.py', check_tanh_without_graphviz, env={'PATH': ''},
            stdout_has=('Graphviz "dot" was not found',), id='tanh.py-without-graphviz'),
    Example('gan.py', check_gan, **MNIST),
    Example('vae.py', check_vae, **MNIST),
    Example('grad_cam.py', check_grad_cam, args=MNIST['args'] + NO_VGG_WEIGHTS, files=MNIST['files'],
            stdout_has=('--net auto: cnn',)),
    Example('grad_cam.py', check_grad_cam_vgg16, args=('--net', 'vgg16') + NO_VGG_WEIGHTS, needs=('PIL',),
            stdout_has=('using RANDOM weights',), id='grad_cam.py-vgg16-random-weights'),
    Example('style_transfer.py', check_style_transfer, args=NO_VGG_WEIGHTS, needs=('PIL',),
            stdout_has=('using RANDOM weights',)),
]


def _param(example):
    marks = [pytest.mark.slow] if example.slow else []
    return pytest.param(example, marks=marks, id=example.id or example.script)


@pytest.mark.parametrize('example', [_param(e) for e in EXAMPLES])
def test_example(example, tmp_path):
    for module in example.needs:
        pytest.importorskip(module)
    for path in example.files:
        if not os.path.exists(path):
            pytest.skip(f'{os.path.normpath(path)} is missing (CI provides it)')
    out = tmp_path / 'out'
    metrics = run_example(example, out)
    example.check(metrics, str(out))


def test_every_example_script_has_a_row():
    """A new example file without a row here would never be run by CI."""
    listed = {e.script for e in EXAMPLES}
    mine = ['rl', 'classic']
    for folder in mine:
        for name in sorted(os.listdir(os.path.join(ROOT, 'examples', folder))):
            if name.endswith('.py') and not name.startswith('_'):
                assert f'{folder}/{name}' in listed, f'examples/{folder}/{name} has no row in EXAMPLES'
