"""Examples and steps on a machine that lacks what they need: one line, no traceback, no wasted work.

* Without matplotlib (or gymnasium, or Pillow) every example that needs it stops before any work with
  one line naming what to pip install, and exit status 1; so do the steps that plot (34, 42, 43, 48,
  59, 60) and step 58 without Pillow. The modules are made unimportable by ``blocked_imports``.
* Offline, without the MNIST files, the examples print the one line the steps print (what to download,
  from where, into which folder), not a traceback.
* Log lines written while a tqdm bar runs land above the bar, not inside it; a one-epoch curve is drawn
  with a marker.
"""
import ast
import glob
import json
import os
import re
import subprocess
import sys

import pytest

from blocked_imports import env_without

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, 'examples')
SHARED_MNIST = os.path.join(ROOT, '..', 'shared', 'data', 'mnist')
# Any download goes to a closed port on this machine and fails at once (as in test_steps.py).
NO_NETWORK = {name: 'http://127.0.0.1:9' for name in ('http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY')}
NO_NETWORK.update(no_proxy='', NO_PROXY='')
ALL_EXAMPLES = '(or pip install -e ".[examples]" for all the examples need)'


def _scripts():
    found = sorted(glob.glob(os.path.join(EXAMPLES, '*.py')) + glob.glob(os.path.join(EXAMPLES, '*', '*.py')))
    return [os.path.relpath(p, EXAMPLES) for p in found if not os.path.basename(p).startswith('_')
            and os.path.basename(p) != 'common.py']


def _needs(script):
    """The ``needs=`` of the script's ``make_parser`` call, read from its source."""
    with open(os.path.join(EXAMPLES, script), encoding='utf-8') as f:
        tree = ast.parse(f.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, 'attr', None) == 'make_parser':
            for kw in node.keywords:
                if kw.arg == 'needs':
                    return tuple(ast.literal_eval(kw.value))
            return ()
    return None


def run(args, env, cwd, timeout=120):
    env = dict(env, MPLBACKEND='Agg', OPENBLAS_NUM_THREADS='1', PYTHONUNBUFFERED='1')
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=str(cwd),
                          timeout=timeout)


# Examples that draw their figures without matplotlib (spiral: a plain PNG) or skip them (mnist, a
# note), or draw none (newton, distributed_mnist).
RUN_WITHOUT_MATPLOTLIB = {'spiral.py', 'mnist.py', 'newton.py', 'distributed_mnist.py'}


def test_every_example_that_plots_declares_matplotlib():
    for script in _scripts():
        needs = _needs(script)
        if script in RUN_WITHOUT_MATPLOTLIB:
            assert not needs or 'matplotlib' not in needs, script
        else:
            assert needs is not None and 'matplotlib' in needs, f'{script}: make_parser(..., needs=(...))'


@pytest.mark.parametrize('script', [s for s in _scripts() if s not in RUN_WITHOUT_MATPLOTLIB])
def test_example_without_matplotlib_stops_with_one_line(script, tmp_path):
    env = env_without(tmp_path / 'block', ['matplotlib'])
    out = tmp_path / 'out'
    result = run([os.path.join(EXAMPLES, script), '--quick', '--out', str(out)], env, tmp_path)
    name = os.path.splitext(os.path.basename(script))[0]
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout == ''                                       # no work was done
    assert result.stderr == (f'{name} needs matplotlib, which is not installed: pip install matplotlib '
                             f'{ALL_EXAMPLES}\n'), result.stderr
    assert not (out / 'metrics.json').exists()


def test_cartpole_examples_name_every_missing_package(tmp_path):
    script = os.path.join(EXAMPLES, 'rl', 'dqn_cartpole.py')
    result = run([script, '--quick', '--out', str(tmp_path / 'a')],
                 env_without(tmp_path / 'b1', ['gymnasium', 'matplotlib']), tmp_path)
    assert (result.returncode, result.stdout) == (1, '')
    assert result.stderr == ('dqn_cartpole needs gymnasium and matplotlib, which are not installed: '
                             f'pip install gymnasium matplotlib {ALL_EXAMPLES}\n')
    result = run([script, '--quick', '--out', str(tmp_path / 'a')], env_without(tmp_path / 'b2', ['gymnasium']),
                 tmp_path)
    assert (result.returncode, result.stdout) == (1, '')
    assert result.stderr.startswith('dqn_cartpole needs gymnasium, which is not installed: pip install gymnasium ')


def test_pillow_is_named_by_its_pip_name(tmp_path):
    result = run([os.path.join(EXAMPLES, 'style_transfer.py'), '--quick', '--out', str(tmp_path / 'a')],
                 env_without(tmp_path / 'b', ['PIL']), tmp_path)
    assert (result.returncode, result.stdout) == (1, '')
    # matplotlib cannot import without Pillow either, so both are named
    assert result.stderr == ('style_transfer needs matplotlib and pillow, which are not installed: '
                             f'pip install matplotlib pillow {ALL_EXAMPLES}\n')


def test_help_works_without_the_extras(tmp_path):
    result = run([os.path.join(EXAMPLES, 'rl', 'dqn_cartpole.py'), '--help'],
                 env_without(tmp_path / 'b', ['gymnasium', 'matplotlib']), tmp_path)
    assert result.returncode == 0 and 'usage: dqn_cartpole' in result.stdout


@pytest.mark.parametrize('step', [34, 42, 43, 48, 59, 60])
def test_plotting_steps_without_matplotlib_stop_with_one_line(step, tmp_path):
    result = run([os.path.join(ROOT, 'steps', f'step{step}.py')], env_without(tmp_path / 'b', ['matplotlib']),
                 tmp_path)
    assert (result.returncode, result.stdout) == (1, '')
    assert result.stderr == (f'step {step} draws its figure with matplotlib, which is not installed: '
                             'pip install matplotlib\n')


def test_step58_without_pillow_stops_with_one_line(tmp_path):
    result = run([os.path.join(ROOT, 'steps', 'step58.py'), '--small'], env_without(tmp_path / 'b', ['PIL']),
                 tmp_path)
    assert (result.returncode, result.stdout) == (1, '')
    assert result.stderr == 'step 58 reads the photo with Pillow, which is not installed: pip install pillow\n'


# =============================================================================
# MNIST offline
# =============================================================================
@pytest.mark.parametrize('script, splits', [('mnist.py', 'train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, '
                                             't10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz'),
                                            ('classic/two_layer_net.py', 't10k-images-idx3-ubyte.gz and '
                                             't10k-labels-idx1-ubyte.gz')])
def test_offline_without_mnist_prints_the_steps_one_line(script, splits, tmp_path):
    home = tmp_path / 'home'
    env = dict(os.environ, DEZERO_HOME=str(home), **NO_NETWORK)
    result = run([os.path.join(EXAMPLES, script), '--quick', '--out', str(tmp_path / 'out')], env, tmp_path)
    assert result.returncode == 1
    assert result.stderr == ''
    assert re.fullmatch(
        rf'Downloading MNIST into {re.escape(str(home))} \.\.\. failed \(.+\)\. Download {re.escape(splits)} '
        rf'from https://\S+/ into {re.escape(str(home))} \(or set DEZERO_HOME to a folder that holds them\), '
        r'then run this example again\.\n', result.stdout), result.stdout


def test_root_without_the_files_says_so_in_one_line(tmp_path):
    empty = tmp_path / 'empty'
    empty.mkdir()
    result = run([os.path.join(EXAMPLES, 'classic', 'simple_cnn.py'), '--quick', '--root', str(empty),
                  '--out', str(tmp_path / 'out')], dict(os.environ, **NO_NETWORK), tmp_path)
    assert (result.returncode, result.stdout) == (1, '')
    assert result.stderr.startswith(f'MNIST: t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz are not in '
                                    f'{empty} (--root). Put them there, or leave out --root')
    assert result.stderr.count('\n') == 1


@pytest.mark.skipif(not os.path.exists(os.path.join(SHARED_MNIST, 't10k-images-idx3-ubyte.gz')),
                    reason='the offline MNIST test split (../shared/data/mnist) is missing')
def test_mnist_without_matplotlib_trains_and_says_there_is_no_figure(tmp_path):
    out = tmp_path / 'out'
    result = run([os.path.join(EXAMPLES, 'mnist.py'), '--quick', '--small', '--hidden', '20', '--root', SHARED_MNIST,
                  '--out', str(out)], env_without(tmp_path / 'b', ['matplotlib']), tmp_path, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == ('matplotlib is not installed (pip install matplotlib): training runs, '
                                             'but draws no figure')
    with open(out / 'metrics.json', encoding='utf-8') as f:
        assert json.load(f)['figures'] == []


# =============================================================================
# Progress bars and plots
# =============================================================================
PROGRESS_SCRIPT = '''
import sys, time
sys.path.insert(0, {root!r})
from examples import common
for i in common.progress(range(4), desc='bar'):
    time.sleep(0.15)
    if i == 2:
        common.log('episode 3 | reward 10')
'''


def test_log_lines_land_above_the_tqdm_bar(tmp_path):
    pytest.importorskip('tqdm')
    script = tmp_path / 'progress_script.py'
    script.write_text(PROGRESS_SCRIPT.format(root=ROOT))
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    result = subprocess.run([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stdout
    pieces = re.split(r'[\r\n]', result.stdout)
    assert 'episode 3 | reward 10' in pieces, pieces        # a line of its own, not glued to the bar
    assert any(p.startswith('bar:') for p in pieces)        # there was a bar


def test_a_single_point_is_drawn_with_a_marker(tmp_path):
    pytest.importorskip('matplotlib')
    sys.path.insert(0, ROOT)
    try:
        from examples import common
        import matplotlib.figure
        drawn = []
        original = matplotlib.figure.Figure.savefig

        def keep(fig, *args, **kwargs):
            drawn.append(fig)
            return original(fig, *args, **kwargs)
        matplotlib.figure.Figure.savefig = keep
        try:
            common.plot_curves(str(tmp_path), 'one.png', {'train': [0.9], 'test': [0.8]}, 'epoch', 'accuracy')
            common.plot_curves(str(tmp_path), 'two.png', {'train': [0.9, 0.95]}, 'epoch', 'accuracy')
        finally:
            matplotlib.figure.Figure.savefig = original
    finally:
        sys.path.remove(ROOT)
    one, two = (fig.axes[0].get_lines() for fig in drawn)
    assert [line.get_marker() for line in one] == ['o', 'o']
    assert [line.get_marker() for line in two] == ['None']
