"""The book's stages in steps/: each one runs as a script and prints what the book prints.

Every stage runs in its own Python process, as a learner runs it: the file given by absolute path, a
fresh temporary directory as the working directory, MPLBACKEND=Agg. ``STAGES`` holds what each stage
must print (the book's values) and produce; to add a stage, add its file and its row. The processes of
all the selected stages are started together on a thread pool, so the whole file takes a few seconds.
"""
import ast
import concurrent.futures
import dataclasses
import importlib.util
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
HAVE_MATPLOTLIB = importlib.util.find_spec('matplotlib') is not None
PNG_MAGIC = b'\x89PNG\r\n\x1a\n'
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


GRAD = '3.297442541400256'      # d/dx exp(x^2)^2 at 0.5 by backprop, steps 06-09
NEWTON = ('0 variable(2.0)', '1 variable(1.4545454545454546)', '2 variable(1.1510467893775467)',
          '3 variable(1.0253259289766978)', '4 variable(1.0009084519430513)',
          '5 variable(1.0000012353089454)', '6 variable(1.000000000002289)',
          '7 variable(1.0)', '8 variable(1.0)', '9 variable(1.0)')

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
}
SELF_CONTAINED = range(1, 23)     # NumPy only, their own Variable and Function
# These import the repository's dezero through the book's sys.path lines (step 55 is plain Python).
USES_DEZERO = [n for n in range(23, 61) if n != 55]


def step_path(n):
    return os.path.join(STEPS, f'step{n:02d}.py')


def run_python(args, cwd, path=None, env=()):
    """Run ``python *args`` as a learner would, headless; return the CompletedProcess."""
    env = dict(os.environ, MPLBACKEND='Agg', PYTHONIOENCODING='utf-8',
               OPENBLAS_NUM_THREADS='1', OMP_NUM_THREADS='1', MKL_NUM_THREADS='1', **dict(env))
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
# Running every stage
# =============================================================================
@pytest.fixture(scope='module')
def stage_runs(request, tmp_path_factory):
    """{step: future of (CompletedProcess, its working directory)}, for the stages selected in this run."""
    wanted = sorted({item.callspec.params['n'] for item in request.session.items
                     if getattr(item, 'module', None) is request.module
                     and getattr(item, 'originalname', None) == 'test_stage'
                     and not (STAGES[item.callspec.params['n']].plot_images and not HAVE_MATPLOTLIB)})
    def run(n, cwd):
        return run_python([step_path(n)], cwd, env=STAGES[n].env), cwd

    workers = max(2, os.cpu_count() or 1)
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        # The directories are made here, in one thread; only the processes run in parallel.
        yield {n: pool.submit(run, n, tmp_path_factory.mktemp(f'step{n:02d}')) for n in wanted}


@pytest.mark.parametrize('n', sorted(STAGES))
def test_stage(n, stage_runs):
    stage = STAGES[n]
    if stage.plot_images and not HAVE_MATPLOTLIB:
        pytest.skip('matplotlib is not installed')
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
        with open(cwd / name, 'rb') as f:
            assert f.read(8) == PNG_MAGIC, f'{where} wrote {name}, but it is not a PNG image'
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
