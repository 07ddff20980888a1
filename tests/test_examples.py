"""Every example runs with --quick, as a user runs it, and reaches the numbers it should.

Each row of ``EXAMPLES`` names a script under examples/, its extra arguments and a check on
the ``metrics.json`` it writes; the expected values come from shared/reference/examples-catalogue.md
(§3 known numbers, §2 acceptance checks). Scripts run in a subprocess from an empty folder,
with ``MPLBACKEND=Agg`` and single-threaded BLAS, so the figures, the seeding and the
``sys.path`` set-up are exercised exactly as on the command line. Beyond its own check, every
row must exit 0, print its summary as the last line, write every figure it lists as a PNG,
and raise no warning from dezero or the examples.

To add an example: write ``check_<name>(m, out)`` and append an ``Example`` row; mark rows
that take more than about five seconds with ``slow=True``, and list optional third-party
modules (e.g. ``needs=('gymnasium',)``) so the row is skipped where they are missing.
"""
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field

import pytest

pytest.importorskip('matplotlib')

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'

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
    Example('classic/gates_perceptron.py', check_gates),
    Example('classic/activations.py', check_activations),
    Example('classic/gradient_check.py', check_gradient_check),
    Example('tanh.py', check_tanh),
    Example('tanh.py', check_tanh_without_graphviz, env={'PATH': ''},
            stdout_has=('Graphviz "dot" was not found',), id='tanh.py-without-graphviz'),
]


def _param(example):
    marks = [pytest.mark.slow] if example.slow else []
    return pytest.param(example, marks=marks, id=example.id or example.script)


@pytest.mark.parametrize('example', [_param(e) for e in EXAMPLES])
def test_example(example, tmp_path):
    for module in example.needs:
        pytest.importorskip(module)
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
