"""The book's stages in steps/: each one runs as a script and prints what the book prints.

Every stage runs in its own Python process, as a learner runs it: the file given by absolute path, a
fresh temporary directory as the working directory, MPLBACKEND=Agg. ``STAGES`` holds what each stage
must print (the book's values) and produce; to add a stage, add its file and its row. The processes of
all the selected stages are started together on a thread pool, so the whole file takes well under a
minute. The runs are offline (a download would go to a closed local port); the long or downloading
stages run small (``DEZERO_STEPS_SMALL=1``): 51-53 on synthetic MNIST files in a temporary
``DEZERO_HOME``, 58 with random weights, 59 and 60 for 3 epochs. Random stages (54, 59, 60) are checked
by their format and plausibility.
"""
import ast
import concurrent.futures
import dataclasses
import gzip
import importlib.util
import json
import math
import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STEPS = os.path.join(ROOT, 'steps')
HAVE_DOT = shutil.which('dot') is not None
PNG_MAGIC = b'\x89PNG\r\n\x1a\n'
PDF_MAGIC = b'%PDF-'
DOT_MISSING = re.compile(r'.*\bGraphviz\b.*')   # plot_dot_graph's one-line message when dot is missing
# The one notice matplotlib may print on a machine where it never ran before.
MPL_FONT_CACHE = 'Matplotlib is building the font cache; this may take a moment.'


@dataclasses.dataclass(frozen=True)
class Stage:
    """What running ``steps/stepNN.py`` must give.

    Expected lines are strings, compared token by token: the text between numbers exactly, integers
    exactly, floats within ``rtol`` (tight: the book's digits, allowing a last-digit libm difference);
    or compiled patterns, which must match the whole line.
    """
    out: tuple = ()           # every line of stdout ...
    head: tuple = ()          # ... or its first lines,
    tail: tuple = ()          # its last lines
    count: int = None         # and how many there are
    rc: int = 0
    stderr_tail: str = ''     # the last line of stderr; '' means stderr must be empty
    dot_images: tuple = ()    # drawn through dezero.utils.plot_dot_graph (needs Graphviz)
    plot_images: tuple = ()   # saved by matplotlib when there is no display (needs matplotlib)
    rtol: float = 1e-12
    no_code: bool = False     # the book has no code for this stage: a docstring only
    env: tuple = ()           # (name, value) pairs added to the environment
    check: object = None      # check(result, cwd): anything else to assert about the run
    mnist: bool = False       # runs small, on the synthetic MNIST files of a temporary DEZERO_HOME
    requires: tuple = ()      # modules the stage imports besides dezero (skipped when missing)


GRAD = '3.297442541400256'      # d/dx exp(x^2)^2 at 0.5 by backprop, steps 06-09
NEWTON = ('0 variable(2.0)', '1 variable(1.4545454545454546)', '2 variable(1.1510467893775467)',
          '3 variable(1.0253259289766978)', '4 variable(1.0009084519430513)',
          '5 variable(1.0000012353089454)', '6 variable(1.000000000002289)',
          '7 variable(1.0)', '8 variable(1.0)', '9 variable(1.0)')

ONES_2x3 = ('variable([[1 1 1]', '          [1 1 1]])')     # a 2x3 integer array of ones, printed
SMALL = (('DEZERO_STEPS_SMALL', '1'),)


def saved_plot(n):
    """The line a plotting stage prints when it saves its figure instead of showing it."""
    return re.compile(rf'saved the plot to .*step{n}\.png')


# The book's values: the original DeZero 0.0.13 prints them with NumPy 1.26 on a Haswell-class OpenBLAS
# kernel (other kernels change the last digit or two). The loss every 1000 iterations.
STEP43 = ('variable(0.8473695850105871)', 'variable(0.2514286285183607)',
          'variable(0.24759485466749878)', 'variable(0.23786120447054832)',
          'variable(0.21222231333102953)', 'variable(0.16742181117834223)',
          'variable(0.0968193261999272)', 'variable(0.07849528290602335)',
          'variable(0.07749729552991157)', 'variable(0.07722132399559317)')
STEP44 = ('variable(0.8165178492839196)', 'variable(0.24990280802148895)',
          'variable(0.24609876581126014)', 'variable(0.2372159081431807)',
          'variable(0.20793216413350174)', 'variable(0.12311905720649353)',
          'variable(0.07888166506355147)', 'variable(0.07655073683421637)',
          'variable(0.0763780308623822)', 'variable(0.07618764131185572)')
STEP47 = ('variable([[-0.61505778 -0.42790161  0.31733289]])',
          'variable([[0.21068639 0.25404893 0.53526469]])',
          'variable([[-0.61505778 -0.42790161  0.31733289]',
          '          [-0.76395313 -0.2497645   0.18591382]',
          '          [-0.52006391 -0.96254612  0.57818938]',
          '          [-0.94252164 -0.50307479  0.17576323]])',
          'variable([[0.21068639 0.25404893 0.53526469]',
          '          [0.19019916 0.31806646 0.49173438]',
          '          [0.21545395 0.13841619 0.64612986]',
          '          [0.17820704 0.27655034 0.54524263]])',
          'variable(1.496744252405306)')
SPIRAL_HEAD = ('epoch 1, loss 1.13', 'epoch 2, loss 1.05', 'epoch 3, loss 0.95', 'epoch 4, loss 0.92',
               'epoch 5, loss 0.87')
SPIRAL_TAIL = ('epoch 298, loss 0.12', 'epoch 299, loss 0.13', 'epoch 300, loss 0.13')
STEP50_HEAD = ('epoch: 1', 'train loss: 1.0944, accuracy: 0.4033', 'test loss: 1.0468, accuracy: 0.3267',
               'epoch: 2', 'train loss: 0.9882, accuracy: 0.4933', 'test loss: 0.9729, accuracy: 0.4333')
STEP50_TAIL = ('epoch: 300', 'train loss: 0.1082, accuracy: 0.9667', 'test loss: 0.1458, accuracy: 0.9600')

# MNIST stages, run small on synthetic digits: the format, and a loss that falls.
SMALL_MNIST = '(small run: 1000 training and 500 test images from the MNIST test split)'
TRAIN_LINE = re.compile(r'train loss: \d\.\d{4}, accuracy: (?:0\.\d{4}|1\.0000)')
TEST_LINE = re.compile(r'test loss: \d\.\d{4}, accuracy: (?:0\.\d{4}|1\.0000)')
RNN_EPOCHS = tuple(re.compile(rf'\| epoch {k} \| loss \d+\.\d{{6}}') for k in (1, 2, 3))


def mnist_losses_fall(stdout, pattern):
    losses = [float(v) for v in re.findall(pattern, stdout)]
    return len(losses) >= 3 and losses[-1] < losses[0]


def saved_mlp(path):
    import numpy as np
    with np.load(path, allow_pickle=False) as npz:
        return sorted(npz.files) == ['l0/W', 'l0/b', 'l1/W', 'l1/b'] and npz['l0/W'].shape == (784, 1000)


def rnn_losses(stdout):
    losses = [float(v) for v in re.findall(r'loss (\d+\.\d+)', stdout)]
    assert len(losses) == 3 and all(0 < v < 10 for v in losses), stdout
    return losses


# Random runs of 3 epochs. The RNN's loss jumps about, but after 3 epochs it is far below the 0.5 of
# predicting 0 (the variance of the sine wave); the LSTM's, updated twice an epoch, falls steadily.
def rnn_learned(stdout):
    return rnn_losses(stdout)[-1] < 0.25


def lstm_learned(stdout):
    first, second, third = rnn_losses(stdout)
    return first > second > third


STAGES = {
    1: Stage(out=('1.0', '2.0')),
    2: Stage(out=("<class '__main__.Variable'>", '100')),
    3: Stage(out=('1.648721270700128',)),
    # A difference of nearly equal numbers divided by 2e-4: libm's last digit is amplified 1e4 times.
    4: Stage(out=('4.000000000004', '3.2974426293330694'), rtol=1e-9),
    5: Stage(no_code=True),
    6: Stage(out=(GRAD,)),
    7: Stage(out=(GRAD,)),
    8: Stage(out=(GRAD,)),
    9: Stage(out=(GRAD,), rc=1, stderr_tail="TypeError: <class 'float'> is not supported"),
    # unittest.main() reports on stderr; the tests below also run it under unittest and pytest.
    10: Stage(stderr_tail='OK', check=lambda result, cwd: re.search(r'^Ran 3 tests ', result.stderr, re.M)),
    11: Stage(out=('5',)),
    12: Stage(out=('5',)),
    13: Stage(out=('13.0', '4.0', '6.0')),
    14: Stage(out=('2.0', '3.0')),
    15: Stage(no_code=True),
    16: Stage(out=('32.0', '64.0')),
    17: Stage(),
    18: Stage(out=('None None', '2.0 1.0')),
    19: Stage(out=('x', '(2, 3)', 'variable([[1 2 3]', '          [4 5 6]])')),
    20: Stage(out=('variable(7.0)', '2.0', '3.0')),
    21: Stage(out=('variable(5.0)', 'variable(5.0)', 'variable(7.0)')),
    22: Stage(out=('variable(-2.0)', 'variable(0.0)', 'variable(1.0)', 'variable(1.5)', 'variable(8.0)')),
    23: Stage(out=('variable(16.0)', 'variable(8.0)')),
    24: Stage(out=('variable(-5376.0) variable(8064.0)',)),
    25: Stage(no_code=True),
    26: Stage(dot_images=('goldstein.png',)),
    27: Stage(out=('--- original sin ---', '0.7071067811865475', 'variable(0.7071067811865476)',
                   '--- approximate sin ---', '0.7071064695751781', 'variable(0.7071032148228457)'),
              dot_images=('my_sin.png',)),
    28: Stage(head=('variable(0.0) variable(2.0)',),
              tail=('variable(0.6834917840420289) variable(0.46565059996514135)',), count=1000),
    29: Stage(out=NEWTON),
    30: Stage(no_code=True),
    31: Stage(no_code=True),
    32: Stage(no_code=True),
    33: Stage(out=NEWTON),
    34: Stage(out=(re.compile(r'saved the plot to .*step34\.png'),), plot_images=('step34.png',)),
    35: Stage(dot_images=('tanh.png',)),
    36: Stage(out=('variable(100.0)',)),
    37: Stage(out=('variable(1)',) + ONES_2x3 * 3),
    38: Stage(out=ONES_2x3 * 2),
    39: Stage(out=('variable(21)', 'variable([1 1 1 1 1 1])', 'variable(21)') + ONES_2x3
              + ('variable([5 7 9])',) + ONES_2x3 + ('(1, 1, 1, 1)',)),
    40: Stage(out=('variable([11 12 13])', 'variable([3])')),
    41: Stage(out=('(2, 3)', '(3, 4)')),
    42: Stage(head=('variable([[0.64433458]]) variable([1.29473389]) variable(42.296340129442335)',
                    'variable([[1.12672345]]) variable([2.26959351]) variable(23.97380754378544)'),
              tail=('variable([[2.11807369]]) variable([5.46608905]) variable(0.07908606512411756)',
                    saved_plot(42)), count=101, plot_images=('step42.png',)),
    43: Stage(out=STEP43 + (saved_plot(43),), plot_images=('step43.png',)),
    44: Stage(out=STEP44),
    45: Stage(out=STEP44),
    46: Stage(out=STEP44),
    47: Stage(out=STEP47),
    48: Stage(head=SPIRAL_HEAD, tail=SPIRAL_TAIL + (saved_plot(48),), count=301, plot_images=('step48.png',)),
    49: Stage(head=SPIRAL_HEAD, tail=SPIRAL_TAIL, count=300),
    50: Stage(head=STEP50_HEAD, tail=STEP50_TAIL, count=900),
    51: Stage(out=(SMALL_MNIST,) + (re.compile(r'epoch: [1-5]'), TRAIN_LINE, TEST_LINE) * 5, mnist=True,
              check=lambda result, cwd: mnist_losses_fall(result.stdout, r'train loss: (\d\.\d{4})')),
    52: Stage(out=(SMALL_MNIST,) + tuple(re.compile(rf'epoch: {k}, loss: \d\.\d{{4}}, '
                                                    r'time: \d+\.\d{4}\[sec\]') for k in range(1, 6)),
              mnist=True,
              check=lambda result, cwd: mnist_losses_fall(result.stdout, r'loss: (\d\.\d{4})')),
    53: Stage(out=(SMALL_MNIST,) + tuple(re.compile(rf'epoch: {k}, loss: \d\.\d{{4}}') for k in range(1, 4)),
              mnist=True, check=lambda result, cwd: saved_mlp(cwd / 'my_mlp.npz')),
    # Random: the mask is 0 or 2 (1 / (1 - 0.5)) element by element.
    54: Stage(out=('[1. 1. 1. 1. 1.]', re.compile(r'variable\(\[(?:[02]\. ){4}[02]\.\]\)'),
                   'variable([1. 1. 1. 1. 1.])')),
    55: Stage(out=('4 4',)),
    56: Stage(no_code=True),
    57: Stage(out=('(9, 75)', '(90, 75)', '(1, 8, 15, 15)', '(1, 5, 15, 15)')),
    # The pretrained weights are not in CI: random weights on a random image, and the graph as a PDF.
    58: Stage(out=('(small run: VGG16 with random weights on a random 32x32 image)',
                   re.compile(r'class \d{1,3}')),
              dot_images=('vgg.pdf',), env=SMALL, requires=('PIL',)),
    59: Stage(out=RNN_EPOCHS + (saved_plot(59),), plot_images=('step59.png',), env=SMALL,
              check=lambda result, cwd: rnn_learned(result.stdout)),
    60: Stage(out=RNN_EPOCHS + (saved_plot(60),), plot_images=('step60.png',), env=SMALL,
              check=lambda result, cwd: lstm_learned(result.stdout)),
}
SELF_CONTAINED = range(1, 23)     # NumPy only, their own Variable and Function
# These import the repository's dezero through the book's sys.path lines (step 55 is plain Python).
USES_DEZERO = [n for n in range(23, 61) if n != 55]


def step_path(n):
    return os.path.join(STEPS, f'step{n:02d}.py')


# Any download a stage tries goes to a closed port on this machine and fails at once: the tests never
# touch the network.
NO_NETWORK = {name: 'http://127.0.0.1:9'
              for name in ('http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY')}
NO_NETWORK.update(no_proxy='', NO_PROXY='')


def run_python(args, cwd, path=None, env=()):
    """Run ``python *args`` as a learner would, headless and offline; return the CompletedProcess."""
    env = {**os.environ, 'MPLBACKEND': 'Agg', 'PYTHONIOENCODING': 'utf-8', 'OPENBLAS_NUM_THREADS': '1',
           'OMP_NUM_THREADS': '1', 'MKL_NUM_THREADS': '1', **NO_NETWORK, **dict(env)}   # env wins
    if path is not None:
        env['PATH'] = path
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          encoding='utf-8', timeout=300)


# =============================================================================
# Comparing printed lines with the book's
# =============================================================================
NUMBER = re.compile(r'[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?')


def _tokens(line):
    return NUMBER.sub('#', line), NUMBER.findall(line)


def _is_int(token):
    return not any(c in token for c in '.eE')


def line_matches(got, want, rtol):
    if isinstance(want, re.Pattern):
        return want.fullmatch(got) is not None
    (got_text, got_nums), (want_text, want_nums) = _tokens(got), _tokens(want)
    if got_text != want_text or len(got_nums) != len(want_nums):
        return False
    for g, w in zip(got_nums, want_nums):
        if _is_int(g) != _is_int(w):      # variable(1) is not variable(1.0): the dtype differs
            return False
        if _is_int(w) and int(g) != int(w):
            return False
        if not _is_int(w) and not math.isclose(float(g), float(w), rel_tol=rtol, abs_tol=0.0):
            return False
    return True


def assert_lines(got, want, rtol, what):
    bad = [i for i, (g, w) in enumerate(zip(got, want)) if not line_matches(g, w, rtol)]
    assert len(got) == len(want) and not bad, (
        f'{what}: expected\n' + '\n'.join(map(str, want)) + '\ngot\n' + '\n'.join(got))


def test_line_matching_is_tight():
    assert line_matches('variable(0.7071067811865476)', 'variable(0.7071067811865475)', 1e-12)
    assert not line_matches('variable(0.70710678118)', 'variable(0.7071067811865475)', 1e-12)
    assert not line_matches('variable(1.0)', 'variable(1)', 1e-12)
    assert not line_matches('variable(2.0)', '2.0', 1e-12)
    assert not line_matches('1 variable(2.0)', '0 variable(2.0)', 1e-12)
    assert line_matches('(2, 3)', '(2, 3)', 1e-12) and not line_matches('(2, 3, 1)', '(2, 3)', 1e-12)


# =============================================================================
# Synthetic MNIST files, for the stages that train on MNIST
# =============================================================================
def write_idx(path, array):
    """Write a uint8 array as a gzip-compressed IDX file, MNIST's format."""
    header = bytes([0, 0, 0x08, array.ndim]) + b''.join(int(n).to_bytes(4, 'big') for n in array.shape)
    with gzip.open(path, 'wb') as f:
        f.write(header + array.astype('uint8').tobytes())


def write_mnist_split(folder, prefix, n, seed):
    """MNIST's two files of a split (prefix 'train' or 't10k') holding ``n`` learnable fake digits:
    digit k is a bright band in row block k, over noise."""
    import numpy as np
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, size=n)
    images = rng.integers(0, 100, size=(n, 28, 28))
    for i, k in enumerate(labels):
        images[i, 2 * k + 4:2 * k + 6, 4:24] = 255
    write_idx(os.path.join(folder, f'{prefix}-images-idx3-ubyte.gz'), images)
    write_idx(os.path.join(folder, f'{prefix}-labels-idx1-ubyte.gz'), labels)


@pytest.fixture(scope='module')
def mnist_home(tmp_path_factory):
    """The environment of a stage run on a download folder with the four MNIST files: 1,500 test images
    (what the small runs use) and a training split of only 300.

    The download folder's files are verified by their MD5 before use, and these fake files do not have
    MNIST's: a ``sitecustomize`` module on PYTHONPATH puts their checksums in ``MNIST_FILES`` (in the
    stage's process only), so the stage still checks every file, against the files the test wrote.
    """
    import hashlib
    folder = tmp_path_factory.mktemp('dezero_home')
    write_mnist_split(folder, 't10k', 1500, seed=0)
    write_mnist_split(folder, 'train', 300, seed=1)
    table = {split: tuple((name, 'md5:' + hashlib.md5((folder / name).read_bytes()).hexdigest())
                          for name in (f'{prefix}-images-idx3-ubyte.gz', f'{prefix}-labels-idx1-ubyte.gz'))
             for split, prefix in (('train', 'train'), ('test', 't10k'))}
    hook = tmp_path_factory.mktemp('mnist_checksums')
    (hook / 'sitecustomize.py').write_text('import dezero.datasets\n'
                                           f'dezero.datasets.MNIST_FILES.update({table!r})\n')
    return (('DEZERO_HOME', str(folder)), ('PYTHONPATH', os.pathsep.join([str(hook), ROOT])))


def missing_modules(stage):
    needed = stage.requires + (('matplotlib',) if stage.plot_images else ())
    return [m for m in needed if importlib.util.find_spec(m) is None]


# =============================================================================
# Running every stage
# =============================================================================
@pytest.fixture(scope='module')
def stage_runs(request, tmp_path_factory, mnist_home):
    """{step: future of (CompletedProcess, its working directory)}, for the stages selected in this run."""
    wanted = sorted({item.callspec.params['n'] for item in request.session.items
                     if getattr(item, 'module', None) is request.module
                     and getattr(item, 'originalname', None) == 'test_stage'
                     and not missing_modules(STAGES[item.callspec.params['n']])})

    def run(n, cwd):
        env = STAGES[n].env
        if STAGES[n].mnist:
            env += SMALL + mnist_home
        return run_python([step_path(n)], cwd, env=env), cwd

    workers = max(2, os.cpu_count() or 1)
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        # The directories are made here, in one thread; only the processes run in parallel.
        yield {n: pool.submit(run, n, tmp_path_factory.mktemp(f'step{n:02d}')) for n in wanted}


@pytest.mark.parametrize('n', sorted(STAGES))
def test_stage(n, stage_runs):
    stage = STAGES[n]
    if missing_modules(stage):
        pytest.skip(f'{", ".join(missing_modules(stage))} is not installed')
    result, cwd = stage_runs[n].result()
    where = f'step{n:02d}.py'

    stderr = [line for line in result.stderr.splitlines() if line != MPL_FONT_CACHE]
    if stage.stderr_tail:
        assert stderr and stderr[-1] == stage.stderr_tail, result.stderr
    else:
        assert not stderr, result.stderr
    assert result.returncode == stage.rc, result.stderr

    got = result.stdout.splitlines()
    expected_out = list(stage.out)
    if stage.dot_images and not HAVE_DOT:
        expected_out.append(DOT_MISSING)
    if stage.count is None:
        assert_lines(got, expected_out, stage.rtol, where)
    else:
        assert len(got) == stage.count, f'{where} printed {len(got)} lines, not {stage.count}'
        assert_lines(got[:len(stage.head)], stage.head, stage.rtol, where + ' (first lines)')
        assert_lines(got[len(got) - len(stage.tail):], stage.tail, stage.rtol, where + ' (last lines)')

    images = stage.plot_images + (stage.dot_images if HAVE_DOT else ())
    for name in images:
        magic = PDF_MAGIC if name.endswith('.pdf') else PNG_MAGIC
        with open(cwd / name, 'rb') as f:
            assert f.read(len(magic)) == magic, f'{where} wrote {name}, but it is not a {name[-3:]} file'
    if not HAVE_DOT:
        assert not any((cwd / name).exists() for name in stage.dot_images)
    if stage.check is not None:
        assert stage.check(result, cwd), f'{where}: stage check failed\n{result.stdout}{result.stderr}'


def test_graph_stage_without_graphviz_prints_one_line_and_saves_the_dot_text(tmp_path):
    empty = tmp_path / 'empty-path'
    empty.mkdir()
    result = run_python([step_path(35)], tmp_path, path=str(empty))
    assert result.returncode == 0 and result.stderr == '', result.stderr
    assert DOT_MISSING.fullmatch(result.stdout.strip()), result.stdout
    assert 'install' in result.stdout.lower()
    assert not (tmp_path / 'tanh.png').exists()
    with open(tmp_path / 'tanh.dot', encoding='utf-8') as f:
        assert f.read().startswith('digraph g {')


# =============================================================================
# The download stages: without their files, one line and no traceback
# =============================================================================
@pytest.mark.parametrize('n, files', [
    (51, ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz',
          't10k-labels-idx1-ubyte.gz']),
    (58, ['zebra.jpg', 'vgg16.npz', 'imagenet1000_clsidx_to_labels.txt'])])
def test_download_stage_without_its_files_says_what_to_get_in_one_line(n, files, tmp_path):
    if n == 58 and importlib.util.find_spec('PIL') is None:
        pytest.skip('Pillow is not installed')
    home = tmp_path / 'empty home'
    result = run_python([step_path(n)], tmp_path, env=(('DEZERO_HOME', str(home)),))
    assert result.returncode == 1 and result.stderr == '', result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    assert str(home) in lines[0] and all(name in lines[0] for name in files), lines[0]
    assert not any(home.iterdir())     # nothing half-downloaded is left behind


def test_a_stage_download_shows_its_progress_and_verifies_the_cached_copy(tmp_path):
    """book_data.fetch, which steps 51-53 and 58 use, from a local server: a progress line on stderr
    (size, speed, ETA; tqdm's bar instead when tqdm is installed), then the cached copy is checked
    and used without the network, and a damaged one is reported as corrupt in one line."""
    import hashlib
    import http.server
    import threading
    served = tmp_path / 'served'
    served.mkdir()
    payload = bytes(range(256)) * 2000
    (served / 'f.bin').write_bytes(payload)
    handler_class = type('Quiet', (http.server.SimpleHTTPRequestHandler,), {'log_message': lambda *a: None})
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                            lambda *a: handler_class(*a, directory=str(served)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f'http://127.0.0.1:{httpd.server_address[1]}/f.bin'
    checksum = 'sha256:' + hashlib.sha256(payload).hexdigest()
    code = (f'import sys; sys.path.insert(0, {STEPS!r}); import book_data; '
            f'print(book_data.fetch("a test file", [("f.bin", {url!r}, {checksum!r})]))')
    home = tmp_path / 'home'
    env = (('DEZERO_HOME', str(home)), ('no_proxy', '127.0.0.1'), ('NO_PROXY', '127.0.0.1'))
    try:
        first = run_python(['-c', code], tmp_path, env=env)
        assert first.returncode == 0, first.stderr
        assert first.stdout.splitlines() == [f'Downloaded a test file into {home}.', str([str(home / 'f.bin')])]
        if importlib.util.find_spec('tqdm') is None:
            assert re.search(r'f\.bin: 500\.0 KB of 500\.0 KB \(100%\), [\d.]+ [KMG]?B/s, ETA 0:00\n$',
                             first.stderr), first.stderr
        else:
            assert 'f.bin' in first.stderr and '100%' in first.stderr
        second = run_python(['-c', code], tmp_path, env=env)
        assert second.returncode == 0 and second.stderr == '' and second.stdout == str([str(home / 'f.bin')]) + '\n'
        (home / 'f.bin').write_bytes(payload[:1000])
        httpd.shutdown()
        httpd.server_close()
        third = run_python(['-c', code], tmp_path, env=env)
        assert third.returncode == 1 and third.stderr == '', third.stderr
        assert len(third.stdout.splitlines()) == 1
        assert 'f.bin there is corrupt (sha256 checksum mismatch' in third.stdout
    finally:
        httpd.server_close()


def test_mnist_stage_reads_the_files_of_its_download_folder(tmp_path, mnist_home):
    """Step 53 twice in one directory: the second run loads my_mlp.npz and goes on learning."""
    env = SMALL + mnist_home
    first = run_python([step_path(53)], tmp_path, env=env)
    second = run_python([step_path(53)], tmp_path, env=env)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    loss = re.compile(r'epoch: 1, loss: (\d\.\d{4})')
    first_loss, second_loss = (float(loss.search(r.stdout).group(1)) for r in (first, second))
    assert second_loss < first_loss, (first.stdout, second.stdout)


def test_mnist_stage_runs_in_full_on_the_four_files_of_its_download_folder(tmp_path, mnist_home):
    result = run_python([step_path(51)], tmp_path, env=mnist_home)
    assert result.returncode == 0 and result.stderr == '', result.stderr
    assert_lines(result.stdout.splitlines(), (re.compile(r'epoch: [1-5]'), TRAIN_LINE, TEST_LINE) * 5,
                 0, 'step51.py, not small')


def write_fake_vgg16_files(folder):
    """The three files of step 58, fake: VGG16 weights that are all zero but for class 340's bias (so the
    top class is 340), a random photo, and labels that call 340 'zebra'."""
    import numpy as np
    from PIL import Image
    channels = [3, 64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512]
    names = ['1_1', '1_2', '2_1', '2_2', '3_1', '3_2', '3_3', '4_1', '4_2', '4_3', '5_1', '5_2', '5_3']
    weights = {}
    for name, c, oc in zip(names, channels, channels[1:]):
        weights[f'conv{name}/W'] = np.zeros((oc, c, 3, 3), np.float32)
        weights[f'conv{name}/b'] = np.zeros(oc, np.float32)
    for name, i, o in (('fc6', 512 * 7 * 7, 4096), ('fc7', 4096, 4096), ('fc8', 4096, 1000)):
        weights[f'{name}/W'] = np.zeros((i, o), np.float32)
        weights[f'{name}/b'] = np.zeros(o, np.float32)
    weights['fc8/b'][340] = 1
    np.savez_compressed(os.path.join(folder, 'vgg16.npz'), **weights)
    image = np.random.default_rng(0).integers(0, 256, size=(240, 320, 3), dtype=np.uint8)
    Image.fromarray(image).save(os.path.join(folder, 'zebra.jpg'))
    labels = {i: f'class {i}' for i in range(1000)}
    labels[340] = 'zebra'
    with open(os.path.join(folder, 'imagenet1000_clsidx_to_labels.txt'), 'w', encoding='utf-8') as f:
        f.write(repr(labels))


@pytest.mark.slow
def test_vgg16_stage_runs_on_the_files_of_its_download_folder(tmp_path):
    """Step 58 as the book runs it, with fake files in place of the downloads (the real ones are 528 MB)."""
    if importlib.util.find_spec('PIL') is None:
        pytest.skip('Pillow is not installed')
    home = tmp_path / 'home'
    home.mkdir()
    write_fake_vgg16_files(home)
    result = run_python([step_path(58)], tmp_path, env=(('DEZERO_HOME', str(home)),))
    assert result.returncode == 0 and result.stderr == '', result.stderr
    assert_lines(result.stdout.splitlines(), ('zebra',) + (() if HAVE_DOT else (DOT_MISSING,)), 0, 'step58.py')
    if HAVE_DOT:
        with open(tmp_path / 'vgg.pdf', 'rb') as f:
            assert f.read(len(PDF_MAGIC)) == PDF_MAGIC


# =============================================================================
# Steps 59 and 60: the printed loss, and which batches are learned from
# =============================================================================
# Runs a stage with F.mean_squared_error and Adam.update wrapped to record every loss and every update,
# then prints the record as the last line.
RECORDING_RUN = """
import json, runpy, sys
sys.path[:0] = [{root!r}, {steps!r}]
import dezero.functions as F
import dezero.optimizers as O
losses, updates = [], []
mse, update = F.mean_squared_error, O.Adam.update
def recorded_mse(x0, x1):
    loss = mse(x0, x1)
    losses.append(float(loss.data))
    return loss
def recorded_update(self, *args, **kwargs):
    updates.append(len(losses))
    return update(self, *args, **kwargs)
F.mean_squared_error, O.Adam.update = recorded_mse, recorded_update
runpy.run_path({path!r}, run_name='__main__')
print(json.dumps([losses, updates]))
"""


@pytest.mark.parametrize('n, steps_per_epoch, updates_per_epoch', [
    (59, 999, [30 * k for k in range(1, 34)] + [999]),    # every 30 steps, and at the end
    (60, 34, [30, 34])])                                  # 34 batches: at 30, and at the last one
def test_rnn_stages_print_the_epoch_mean_and_learn_from_every_step(n, steps_per_epoch, updates_per_epoch,
                                                                     tmp_path):
    """Step 59 prints the mean loss of the epoch (not the last segment's: bug #30 of the reference does
    not happen), and step 60 back-propagates its last 4 batches too (bug #29)."""
    if importlib.util.find_spec('matplotlib') is None:
        pytest.skip('matplotlib is not installed')
    code = RECORDING_RUN.format(root=ROOT, steps=STEPS, path=step_path(n))
    result = run_python(['-c', code], tmp_path, env=SMALL)
    assert result.returncode == 0 and result.stderr == '', result.stderr
    *printed, record = result.stdout.splitlines()
    losses, updates = json.loads(record)
    epochs = [float(v) for v in re.findall(r'^\| epoch \d+ \| loss (\d+\.\d+)$', '\n'.join(printed), re.M)]
    assert len(epochs) == 3 and len(losses) == 3 * steps_per_epoch
    for e, printed_loss in enumerate(epochs):
        epoch_losses = losses[e * steps_per_epoch:(e + 1) * steps_per_epoch]
        assert printed_loss == pytest.approx(sum(epoch_losses) / steps_per_epoch, abs=1e-6)
    assert updates == [e * steps_per_epoch + c for e in range(3) for c in updates_per_epoch]


# =============================================================================
# Step 10 holds unittest tests
# =============================================================================
def test_step10_runs_under_unittest_from_the_repository_root():
    result = run_python(['-m', 'unittest', 'steps/step10.py'], ROOT)
    assert result.returncode == 0, result.stderr
    assert re.search(r'^Ran 3 tests in ', result.stderr, re.M) and result.stderr.rstrip().endswith('OK')


def test_step10_runs_under_pytest(tmp_path):
    result = run_python(['-m', 'pytest', '-q', '-p', 'no:cacheprovider', step_path(10)], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r'\b3 passed\b', result.stdout), result.stdout


# =============================================================================
# The files themselves
# =============================================================================
def _source(n):
    with open(step_path(n), encoding='utf-8') as f:
        return f.read()


def test_every_stage_file_is_in_the_table_and_numbered_from_one():
    files = [re.fullmatch(r'step(\d\d)\.py', name) for name in os.listdir(STEPS)]
    numbers = sorted(int(m.group(1)) for m in files if m)
    assert numbers == sorted(STAGES) == list(range(1, len(STAGES) + 1))


@pytest.mark.parametrize('n', sorted(STAGES))
def test_stage_file_starts_with_its_title_and_what_it_adds(n):
    tree = ast.parse(_source(n))
    doc = ast.get_docstring(tree)
    assert doc, f'step{n:02d}.py has no docstring'
    title, _, rest = doc.partition('\n\n')
    assert re.fullmatch(rf'Step {n:02d}: .+ \(.*[\uac00-\ud7a3].*\)\.', title), title
    assert len(rest.split()) >= 20, 'the docstring needs a paragraph on what the stage adds'
    if STAGES[n].no_code:
        assert len(tree.body) == 1, 'a stage without code in the book holds only its docstring'
        korean = sum('\uac00' <= c <= '\ud7a3' for c in rest)
        assert korean >= 50, 'a stage without code explains its idea in English and in Korean'


@pytest.mark.parametrize('n', [n for n in sorted(STAGES) if n in SELF_CONTAINED and not STAGES[n].no_code])
def test_early_stages_need_numpy_only(n):
    modules = set()
    for node in ast.walk(ast.parse(_source(n))):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split('.')[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            modules.add(node.module.split('.')[0])
    assert modules <= {'numpy', 'contextlib', 'weakref', 'unittest', 'math'}, modules


def test_step55_is_plain_python():
    assert not any(isinstance(node, (ast.Import, ast.ImportFrom)) for node in ast.walk(ast.parse(_source(55))))


@pytest.mark.parametrize('n', [n for n in sorted(STAGES) if n in USES_DEZERO and not STAGES[n].no_code])
def test_later_stages_find_the_repository_package_from_any_directory(n):
    """The book's lines, before the first dezero import: they add the repository root to sys.path."""
    tree = ast.parse(_source(n))
    first = tree.body[1]   # right after the docstring
    assert isinstance(first, ast.If) and ast.unparse(first.test) == "'__file__' in globals()"
    assert "sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))" in ast.unparse(first)


@pytest.mark.parametrize('cwd, script', [(ROOT, os.path.join('steps', 'step33.py')), (STEPS, 'step33.py')])
def test_a_stage_runs_from_the_repository_root_and_from_steps(cwd, script):
    result = run_python([script], cwd)
    assert result.returncode == 0, result.stderr
    assert_lines(result.stdout.splitlines(), NEWTON, 1e-12, script)
