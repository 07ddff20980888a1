"""Tests for dezero.utils: DOT output and rendering, shape helpers, gradient checks, downloads, sizes."""
import contextlib
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import types
import urllib.request
from pathlib import Path

import numpy as np
import pytest

import dezero
import dezero.functions as F
from dezero import Function, Variable, utils

needs_dot = pytest.mark.skipif(shutil.which('dot') is None, reason='Graphviz dot is not installed')

NODE = re.compile(r'^(\d+) \[label="((?:[^"\\]|\\.)*)", '
                  r'color=(orange|lightblue), style=filled(, shape=box)?\]$')
ORANGE = 'color=orange, style=filled'
EDGE = re.compile(r'^(\d+) -> (\d+)$')


def parse_dot(text):
    """Split DOT text into {id: (label, color)} nodes and (src, dst) edges; fail on any other line."""
    lines = text.split('\n')
    assert lines[0] == 'digraph g {' and lines[-1] == '}'
    nodes, edges = {}, []
    for line in lines[1:-1]:
        node, edge = NODE.match(line), EDGE.match(line)
        assert node or edge, 'not a DOT node or edge line: ' + line
        if node:
            nodes[int(node.group(1))] = (node.group(2), node.group(3))
        else:
            edges.append((int(edge.group(1)), int(edge.group(2))))
    return nodes, edges


class Split(Function):
    """Two outputs, to test a graph whose second output has been garbage-collected."""

    def forward(self, x):
        return x, 2 * x

    def backward(self, gy0, gy1):
        return gy0 + 2 * gy1


class BadSquare(Function):
    """x**2 with a wrong backward (x * gy instead of 2x * gy)."""

    def forward(self, x):
        return x ** 2

    def backward(self, gy):
        return self.inputs[0] * gy


# =============================================================================
# DOT text
# =============================================================================
def test_dot_graph_exact_text():
    x0 = Variable(np.ones((2, 3)), name='x0')
    x1 = Variable(np.ones((2, 3)), name='x1')
    y = x0 + x1
    f = y.creator
    expected = (
        'digraph g {\n'
        f'{id(y)} [label="(2, 3) float64", color=orange, style=filled]\n'
        f'{id(f)} [label="Add", color=lightblue, style=filled, shape=box]\n'
        f'{id(x0)} -> {id(f)}\n'
        f'{id(x1)} -> {id(f)}\n'
        f'{id(f)} -> {id(y)}\n'
        f'{id(x0)} [label="x0: (2, 3) float64", color=orange, style=filled]\n'
        f'{id(x1)} [label="x1: (2, 3) float64", color=orange, style=filled]\n'
        '}')
    assert utils.get_dot_graph(y) == expected


def test_dot_var_labels():
    v = Variable(np.zeros((1, 3), dtype=np.float32), name='x')
    assert utils._dot_var(v) == f'{id(v)} [label="x", color=orange, style=filled]\n'
    assert utils._dot_var(v, verbose=True) == f'{id(v)} [label="x: (1, 3) float32", {ORANGE}]\n'
    v.name = None
    assert utils._dot_var(v, verbose=True) == f'{id(v)} [label="(1, 3) float32", {ORANGE}]\n'
    assert utils._dot_var(Variable(None), verbose=True).endswith('[label="", color=orange, style=filled]\n')


def test_dot_graph_non_verbose_uses_names_only():
    x = Variable(np.array(2.0), name='x')
    y = F.sin(x)
    y.name = 'y'
    nodes, _ = parse_dot(utils.get_dot_graph(y, verbose=False))
    assert nodes == {id(x): ('x', 'orange'), id(y): ('y', 'orange'), id(y.creator): ('Sin', 'lightblue')}


def test_dot_graph_counts_nodes_and_edges_once_per_function():
    x = Variable(np.array(3.0), name='x')
    a = x * x
    b = a + a + x  # Mul is reached twice through a, but must be drawn once
    text = utils.get_dot_graph(b)
    nodes, edges = parse_dot(text)
    functions = [label for label, color in nodes.values() if color == 'lightblue']
    assert sorted(functions) == ['Add', 'Add', 'Mul']
    assert len(nodes) == 3 + 4  # 3 functions, variables x, a, a + a, b
    assert len(edges) == 3 * 2 + 3  # two inputs and one output per function
    assert text.count('[label="Mul"') == 1
    assert (id(x), id(a.creator)) in edges and (id(a.creator), id(a)) in edges
    assert set(edges) <= {(s, d) for s in nodes for d in nodes}


def test_dot_graph_of_a_leaf_is_one_node():
    x = Variable(np.array(1.0), name='x')
    assert utils.get_dot_graph(x) == f'digraph g {{\n{id(x)} [label="x: () float64", {ORANGE}]\n}}'


def test_dot_graph_skips_dead_outputs():
    x = Variable(np.ones(2), name='x')
    y0, y1 = Split()(x)
    split = y0.creator
    del y1  # the weakref in split.outputs is now dead
    nodes, edges = parse_dot(utils.get_dot_graph(y0))
    assert [e for e in edges if e[0] == id(split)] == [(id(split), id(y0))]
    assert len(nodes) == 3


def test_dot_label_quotes_are_escaped():
    x = Variable(np.ones(1), name='say "hi" \\o/')
    line = utils._dot_var(x)
    assert line == f'{id(x)} [label="say \\"hi\\" \\\\o/", color=orange, style=filled]\n'
    parse_dot(utils.get_dot_graph(F.sin(x)))


@needs_dot
def test_dot_graph_is_accepted_by_graphviz():
    x = Variable(np.ones((2, 3)), name='a "quoted" name')
    y = F.sin(x) * x
    result = subprocess.run(['dot', '-Tcanon'], input=utils.get_dot_graph(y).encode(), capture_output=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert b'a \\"quoted\\" name' in result.stdout


# =============================================================================
# Rendering
# =============================================================================
def small_graph():
    x = Variable(np.ones((2, 3)), name='x')
    return F.sin(x) + x


@needs_dot
def test_plot_dot_graph_writes_png(tmp_path):
    to_file = tmp_path / 'new dir' / "it's a graph.png"  # a missing parent and shell-hostile characters
    assert utils.plot_dot_graph(small_graph(), to_file=str(to_file)) is None  # not inside IPython
    assert to_file.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert os.listdir(to_file.parent) == [to_file.name]  # no temp file left behind


@needs_dot
def test_plot_dot_graph_writes_svg_and_replaces_old_file(tmp_path):
    to_file = tmp_path / 'graph.svg'
    to_file.write_text('old')
    utils.plot_dot_graph(small_graph(), verbose=False, to_file=str(to_file))
    text = to_file.read_text()
    assert '<svg' in text and '>Sin<' in text
    assert os.listdir(tmp_path) == ['graph.svg']


@needs_dot
def test_plot_dot_graph_reports_dot_errors(tmp_path):
    to_file = tmp_path / 'graph.nosuchformat'
    with pytest.raises(RuntimeError, match='nosuchformat') as info:
        utils.plot_dot_graph(small_graph(), to_file=str(to_file))
    assert not isinstance(info.value, utils.GraphvizNotFoundError)
    assert os.listdir(tmp_path) == []


def test_plot_dot_graph_without_dot_writes_dot_file(tmp_path, monkeypatch):
    monkeypatch.setenv('PATH', str(tmp_path / 'empty'))
    assert shutil.which('dot') is None
    y = small_graph()
    with pytest.raises(utils.GraphvizNotFoundError) as info:
        utils.plot_dot_graph(y, to_file=str(tmp_path / 'out' / 'graph.png'))
    dot_file = tmp_path / 'out' / 'graph.dot'
    assert dot_file.read_text() == utils.get_dot_graph(y)
    assert not (tmp_path / 'out' / 'graph.png').exists()
    message = str(info.value)
    assert isinstance(info.value, RuntimeError)
    for part in (str(dot_file), 'apt-get install graphviz', 'brew install graphviz', 'graphviz.org', 'PATH'):
        assert part in message


def test_plot_dot_graph_to_file_none_returns_the_dot_text_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    y = small_graph()
    g = utils.plot_dot_graph(y, to_file=None)
    assert isinstance(g, str) and isinstance(g, utils.DotGraph)
    assert g == utils.get_dot_graph(y) and str(g) == g
    assert utils.plot_dot_graph(y, verbose=False, to_file=None) == utils.get_dot_graph(y, verbose=False)
    assert os.listdir(tmp_path) == []


@needs_dot
def test_dot_graph_draws_itself_as_svg_for_jupyter():
    svg = utils.plot_dot_graph(small_graph(), to_file=None)._repr_svg_()
    assert svg.lstrip().startswith('<?xml') and '<svg' in svg and '>Sin<' in svg


def test_dot_graph_without_graphviz_shows_its_text(tmp_path, monkeypatch):
    monkeypatch.setenv('PATH', str(tmp_path / 'empty'))
    g = utils.plot_dot_graph(small_graph(), to_file=None)
    assert g._repr_svg_() is None                   # Jupyter falls back to the text

    class Printer:
        def text(self, t):
            self.shown = t
    printer = Printer()
    g._repr_pretty_(printer, False)
    assert printer.shown == str(g) and printer.shown.startswith('digraph g {')


def test_dot_graph_in_ipython_display():
    formatters = pytest.importorskip('IPython.core.formatters')
    g = utils.plot_dot_graph(small_graph(), to_file=None)
    data, _ = formatters.DisplayFormatter().format(g)
    assert data['text/plain'] == str(g)             # the DOT text, not a quoted one-line string
    if shutil.which('dot'):
        assert '<svg' in data['image/svg+xml']


def test_plot_dot_graph_needs_an_extension(tmp_path):
    with pytest.raises(ValueError, match='extension'):
        utils.plot_dot_graph(small_graph(), to_file=str(tmp_path / 'graph'))


@needs_dot
def test_plot_dot_graph_returns_an_image_inside_ipython(tmp_path, monkeypatch):
    ipython = types.ModuleType('IPython')
    display = types.ModuleType('IPython.display')
    ipython.get_ipython = lambda: object()
    display.Image = lambda filename: ('Image', filename)
    display.SVG = lambda filename: ('SVG', filename)
    monkeypatch.setitem(sys.modules, 'IPython', ipython)
    monkeypatch.setitem(sys.modules, 'IPython.display', display)
    png, svg = str(tmp_path / 'g.png'), str(tmp_path / 'g.svg')
    assert utils.plot_dot_graph(small_graph(), to_file=png) == ('Image', png)
    assert utils.plot_dot_graph(small_graph(), to_file=svg) == ('SVG', svg)
    ipython.get_ipython = lambda: None
    assert utils.plot_dot_graph(small_graph(), to_file=png) is None


def test_import_loads_no_optional_dependency():
    code = ('import sys, dezero.utils; '
            'print([m for m in ("cupy", "matplotlib", "PIL", "graphviz", "IPython") if m in sys.modules])')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == '[]'


# =============================================================================
# Shape helpers
# =============================================================================
@pytest.mark.parametrize('x_shape, shape', [
    ((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 3), (1, 3)), ((2, 3), (2, 1)), ((2, 3), (1, 1)),
    ((2, 3), ()), ((4, 2, 3), (2, 1)), ((4, 1, 3), (1, 3)), ((5,), (1,)), ((), ())])
def test_sum_to_is_the_adjoint_of_broadcasting(x_shape, shape):
    rng = np.random.default_rng(0)
    x, v = rng.standard_normal(x_shape), rng.standard_normal(shape)
    y = utils.sum_to(x, shape)
    assert y.shape == shape
    assert np.allclose(np.sum(y * v), np.sum(x * np.broadcast_to(v, x_shape)))


def test_sum_to_values():
    x = np.arange(6.0).reshape(2, 3)
    assert np.array_equal(utils.sum_to(x, (3,)), [3, 5, 7])
    assert np.array_equal(utils.sum_to(x, (2, 1)), [[3], [12]])
    assert np.array_equal(utils.sum_to(x, ()), 15)


@pytest.mark.parametrize('x_shape, shape', [((2, 3), (4,)), ((3,), (2, 3)), ((2, 3), (2, 2)),
                                            ((2, 3), (3, 1))])
def test_sum_to_rejects_impossible_shapes(x_shape, shape):
    with pytest.raises(ValueError) as info:
        utils.sum_to(np.ones(x_shape), shape)
    assert str(x_shape) in str(info.value) and str(shape) in str(info.value)


@pytest.mark.parametrize('axis', [None, 0, 1, -1, -3, (0, 2), (0, -1), (-1, 0), [0, 2], (), np.int64(-2)])
@pytest.mark.parametrize('keepdims', [False, True])
def test_reshape_sum_backward_broadcasts_back(axis, keepdims):
    x = np.arange(24.0).reshape(2, 3, 4)
    np_axis = tuple(axis) if isinstance(axis, list) else axis
    gy = Variable(x.sum(axis=np_axis, keepdims=keepdims))
    g = utils.reshape_sum_backward(gy, x.shape, axis, keepdims)
    assert isinstance(g, Variable)
    expected = np.broadcast_to(x.sum(axis=np_axis, keepdims=True), x.shape)
    assert np.array_equal(np.broadcast_to(g.data, x.shape), expected)
    if axis is not None or keepdims:
        assert g.ndim == x.ndim


def test_reshape_sum_backward_of_a_scalar_input():
    gy = Variable(np.array(5.0))
    assert utils.reshape_sum_backward(gy, (), None, False).shape == ()


@pytest.mark.parametrize('axis', [None, 0, 1, 2, -1, -2, (0, 2), (0, -1), [1, -1], (), np.int64(-3)])
def test_max_backward_shape_matches_keepdims(axis):
    x = np.zeros((2, 3, 4))
    np_axis = tuple(axis) if isinstance(axis, list) else axis
    assert utils.max_backward_shape(x, axis) == x.max(axis=np_axis, keepdims=True).shape


@pytest.mark.parametrize('axis', [3, -4, (0, 3)])
def test_max_backward_shape_rejects_bad_axes(axis):
    with pytest.raises(ValueError, match='out of bounds'):
        utils.max_backward_shape(np.zeros((2, 3, 4)), axis)


def test_max_backward_with_negative_axis():
    x = Variable(np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]]))
    F.max(x, axis=-1).backward()
    assert np.array_equal(x.grad.data, [[0, 1, 0], [1, 0, 0]])


@pytest.mark.parametrize('axis', [0, 1, -1, None])
def test_logsumexp_matches_the_closed_form(axis):
    x = np.random.default_rng(1).standard_normal((3, 4))
    x_copy = x.copy()
    y = utils.logsumexp(x, axis=axis)
    assert np.allclose(y, np.log(np.sum(np.exp(x), axis=axis, keepdims=True)))
    assert np.array_equal(x, x_copy)


def test_logsumexp_is_stable():
    x = np.array([[1000.0, 1000.0], [-1000.0, -1000.0], [-np.inf, -np.inf], [0.0, -np.inf]])
    with np.errstate(divide='ignore'):
        y = utils.logsumexp(x)
    assert np.allclose(y[:2, 0], [1000 + np.log(2), -1000 + np.log(2)])
    assert y[2, 0] == -np.inf and y[3, 0] == 0.0
    assert y.shape == (4, 1)
    assert utils.logsumexp(x[:2].astype(np.float32)).dtype == np.float32


# =============================================================================
# Gradient checking
# =============================================================================
def test_numerical_grad_of_sin():
    x = np.linspace(-3, 3, 7)
    g = utils.numerical_grad(np.sin, x)
    assert type(g) is np.ndarray and g.shape == x.shape
    assert np.allclose(g, np.cos(x), atol=1e-7)


def test_numerical_grad_of_a_variable_through_dezero():
    x = Variable(np.array([[0.5, 1.0], [2.0, -1.0]]))
    g = utils.numerical_grad(lambda v: F.sin(v) * v, x)
    assert np.allclose(g, np.cos(x.data) * x.data + np.sin(x.data), atol=1e-7)


def test_numerical_grad_sums_vector_outputs_and_handles_0d():
    assert np.allclose(utils.numerical_grad(lambda a: a ** 2, np.array([1.0, -2.0])), [2.0, -4.0])
    assert np.allclose(utils.numerical_grad(lambda a: a ** 3, np.array(2.0)), 12.0)
    assert np.allclose(utils.numerical_grad(lambda a: np.outer(a, a), np.array([1.0, 2.0])), [6.0, 6.0])


def test_numerical_grad_when_f_returns_a_view_of_x():
    assert np.allclose(utils.numerical_grad(lambda a: a, np.array([1.0, 2.0, 3.0])), 1.0)


def test_numerical_grad_restores_the_input_exactly():
    x = np.random.default_rng(2).standard_normal((3, 4))
    before = x.tobytes()
    utils.numerical_grad(lambda a: a * a, x)
    assert x.tobytes() == before


def test_numerical_grad_restores_the_input_when_f_raises():
    x = np.array([0.1, 0.2, 0.3])
    before = x.tobytes()
    calls = []

    def f(a):
        calls.append(a.copy())
        if len(calls) == 2:
            raise RuntimeError('boom')
        return a

    with pytest.raises(RuntimeError, match='boom'):
        utils.numerical_grad(f, x)
    assert x.tobytes() == before
    assert calls[1][0] == pytest.approx(0.1 - 1e-4)  # the failing call did see a perturbed x


def test_numerical_grad_keeps_dtype_and_rejects_integers():
    assert utils.numerical_grad(lambda a: a * 2, np.ones(2, dtype=np.float32)).dtype == np.float32
    with pytest.raises(TypeError, match='floating'):
        utils.numerical_grad(lambda a: a, np.arange(3))


def test_gradient_check_passes_for_correct_backward(recwarn):
    x = np.random.default_rng(3).standard_normal((2, 3))
    assert utils.gradient_check(lambda v: F.sin(v) * v + v ** 3, x) is True
    assert utils.gradient_check(F.sum, Variable(x), axis=-1) is True
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]


def test_gradient_check_ignores_a_stale_grad_and_keeps_the_callers_data():
    v = Variable(np.array([1.0, 2.0], dtype=np.float32))
    v.grad = Variable(np.array([100.0, 100.0]))
    with pytest.warns(UserWarning):
        assert utils.gradient_check(F.sin, v)
    assert v.data.dtype == np.float32 and np.array_equal(v.grad.data, [100.0, 100.0])


def test_gradient_check_fails_for_wrong_backward(capsys):
    assert utils.gradient_check(lambda v: BadSquare()(v), np.array([1.0, 2.0, 3.0])) is False
    out = capsys.readouterr().out
    assert '========== FAILED (Gradient Check) ==========' in out
    assert out.count(' shape: (3,)') == 2
    assert 'Numerical Grad' in out and 'Backprop Grad' in out
    assert re.search(r'values: 2\.\s+4\.\s+6\. \.\.\.', out)  # 2x at 1, 2, 3
    assert re.search(r'values: 1\.\s+2\.\s+3\. \.\.\.', out)  # the wrong x at 1, 2, 3


@pytest.mark.parametrize('dtype', [np.float32, np.float16])
def test_gradient_check_warns_on_low_precision_and_checks_in_float64(dtype):
    x = np.array([0.3, 1.2, -0.7], dtype=dtype)
    with pytest.warns(UserWarning, match=np.dtype(dtype).name):
        assert utils.gradient_check(lambda v: v * v * v, x) is True


def test_array_equal_and_allclose_unwrap_variables():
    a = np.array([1.0, 2.0])
    assert utils.array_equal(Variable(a), a.copy())
    assert not utils.array_equal(a, np.array([1.0, 2.0, 3.0]))
    assert utils.array_allclose(Variable(a), Variable(a + 1e-6))
    assert not utils.array_allclose(a, a + 1e-2)
    assert utils.array_allclose(a, a + 1e-2, atol=0.1)


# =============================================================================
# Sizes
# =============================================================================
def test_conv_and_deconv_outsizes():
    assert utils.get_conv_outsize(4, 3, 1, 1) == 4
    assert utils.get_conv_outsize(7, 3, 2, 0) == 3
    assert utils.get_conv_outsize(28, 5, 1, 0) == 24
    assert utils.get_deconv_outsize(4, 3, 1, 1) == 4
    assert utils.get_deconv_outsize(3, 4, 2, 1) == 6
    for size in range(1, 10):
        for k, s, p in [(3, 1, 1), (3, 2, 1), (4, 2, 1), (5, 3, 2)]:
            assert utils.get_conv_outsize(utils.get_deconv_outsize(size, k, s, p), k, s, p) == size


def test_pair():
    assert utils.pair(3) == (3, 3)
    assert utils.pair(np.int64(2)) == (2, 2) and type(utils.pair(np.int64(2))[0]) is int
    t = (1, 2)
    assert utils.pair(t) is t
    assert utils.pair([4, 5]) == (4, 5) and isinstance(utils.pair([4, 5]), tuple)


@pytest.mark.parametrize('bad', [(1, 2, 3), [1], 1.5, 'ab', None])
def test_pair_rejects_other_values(bad):
    with pytest.raises(ValueError) as info:
        utils.pair(bad)
    assert repr(bad) in str(info.value)


# =============================================================================
# Downloads
# =============================================================================
@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache folder (not yet created) that get_file uses through DEZERO_HOME."""
    path = tmp_path / 'home' / 'cache'
    monkeypatch.setenv('DEZERO_HOME', str(path))
    return path


@pytest.fixture
def source(tmp_path):
    """A file to download with a file:// URL."""
    path = tmp_path / 'server' / 'data.bin'
    path.parent.mkdir()
    path.write_bytes(b'dezero test payload\n' * 100)
    return path


def sha256(data):
    return 'sha256:' + hashlib.sha256(data).hexdigest()


def test_get_cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv('DEZERO_HOME', str(tmp_path))
    assert utils.get_cache_dir() == str(tmp_path)
    monkeypatch.delenv('DEZERO_HOME')
    monkeypatch.setattr(utils, 'cache_dir', str(tmp_path / 'custom'))
    assert utils.get_cache_dir() == str(tmp_path / 'custom')


def test_default_cache_dir(monkeypatch):
    monkeypatch.delenv('DEZERO_HOME', raising=False)
    code = 'import dezero.utils as u; print(u.cache_dir)'
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == os.path.join(os.path.expanduser('~'), '.dezero')


def test_get_file_downloads_into_the_cache(cache, source, capsys):
    path = utils.get_file(source.as_uri())
    assert path == str(cache / 'data.bin') and os.path.isabs(path)
    assert Path(path).read_bytes() == source.read_bytes()
    out = capsys.readouterr().out
    assert 'Downloading: data.bin' in out and 'Done' in out
    assert os.listdir(cache) == ['data.bin']


def test_get_file_uses_the_cache(cache, source, capsys):
    data = source.read_bytes()
    utils.get_file(source.as_uri(), checksum=sha256(data))
    capsys.readouterr()
    source.unlink()
    assert utils.get_file(source.as_uri(), checksum=sha256(data)) == str(cache / 'data.bin')
    assert utils.get_file(source.as_uri()) == str(cache / 'data.bin')
    assert 'Downloading' not in capsys.readouterr().out


def test_get_file_with_an_explicit_name(cache, source):
    path = utils.get_file(source.as_uri(), file_name='renamed.bin')
    assert path == str(cache / 'renamed.bin') and os.path.exists(path)
    path = utils.get_file(source.as_uri(), file_name=os.path.join('sub', 'data.bin'))
    assert path == str(cache / 'sub' / 'data.bin') and os.path.exists(path)


@pytest.mark.parametrize('kind', ['md5', 'sha256', 'bare md5', 'bare sha256', 'upper'])
def test_get_file_accepts_checksum_formats(cache, source, kind):
    data = source.read_bytes()
    md5, sha = hashlib.md5(data).hexdigest(), hashlib.sha256(data).hexdigest()
    checksum = {'md5': 'md5:' + md5, 'sha256': 'sha256:' + sha, 'bare md5': md5, 'bare sha256': sha,
                'upper': 'sha256:' + sha.upper()}[kind]
    assert Path(utils.get_file(source.as_uri(), checksum=checksum)).read_bytes() == data


@pytest.mark.parametrize('checksum', ['crc32:1234', 'abc', 'sha1:' + '0' * 40])
def test_get_file_rejects_unknown_checksum_formats(cache, source, checksum):
    with pytest.raises(ValueError, match='md5'):
        utils.get_file(source.as_uri(), checksum=checksum)


def test_get_file_checksum_mismatch_tries_every_url(cache, source, tmp_path):
    mirror = tmp_path / 'mirror'
    mirror.mkdir()
    shutil.copy(source, mirror / 'data.bin')
    urls = [source.as_uri(), mirror.as_uri() + '/data.bin']
    with pytest.raises(utils.DownloadError) as info:
        utils.get_file(urls[0], checksum='sha256:' + '0' * 64, mirrors=[urls[1]])
    message = str(info.value)
    assert all(u in message for u in urls)
    assert message.count('checksum mismatch') == 2
    assert os.listdir(cache) == []


def test_get_file_falls_back_to_mirrors(cache, source, tmp_path, capsys):
    missing = (tmp_path / 'nowhere' / 'data.bin').as_uri()
    also_missing = (tmp_path / 'gone.bin').as_uri()
    base = source.parent.as_uri() + '/'
    path = utils.get_file(missing, mirrors=[also_missing, base], checksum=sha256(source.read_bytes()))
    assert Path(path).read_bytes() == source.read_bytes()
    out = capsys.readouterr().out
    assert 'Failed to download ' + missing in out and 'trying ' + also_missing in out
    assert 'trying ' + base + 'data.bin' in out
    assert os.listdir(cache) == ['data.bin']


def test_get_file_replaces_a_corrupt_cached_file(cache, source, capsys):
    cache.mkdir(parents=True)
    (cache / 'data.bin').write_bytes(b'truncated')
    path = utils.get_file(source.as_uri(), checksum=sha256(source.read_bytes()))
    assert Path(path).read_bytes() == source.read_bytes()
    assert 'data.bin is corrupt (sha256 checksum mismatch' in capsys.readouterr().out


def test_get_file_error_says_where_to_put_the_file(cache, tmp_path):
    urls = [(tmp_path / name).as_uri() for name in ('a.npz', 'b.npz')]
    with pytest.raises(utils.DownloadError) as info:
        utils.get_file(urls[0], mirrors=[urls[1]])
    assert isinstance(info.value, OSError)
    message = str(info.value)
    assert urls[0] in message and urls[1] in message
    assert str(cache / 'a.npz') in message and 'DEZERO_HOME' in message


def interrupted_urlopen(error):
    """A urlopen whose response gives half a file, then fails with ``error``."""
    class Response(io.BytesIO):
        headers = {'Content-Length': '2000'}

        def read(self, n=-1):
            if self.tell() > 0:
                raise error
            return super().read(9)

    def urlopen(url, timeout=None):
        return Response(b'half a file' * 100)
    return urlopen


@pytest.mark.parametrize('error', [KeyboardInterrupt(), ConnectionResetError('reset by peer')])
def test_interrupted_download_keeps_the_old_file(cache, source, monkeypatch, error):
    cache.mkdir(parents=True)
    (cache / 'data.bin').write_bytes(b'old copy')
    monkeypatch.setattr(urllib.request, 'urlopen', interrupted_urlopen(error))
    expected = KeyboardInterrupt if isinstance(error, KeyboardInterrupt) else utils.DownloadError
    with pytest.raises(expected):
        utils.get_file(source.as_uri(), checksum=sha256(source.read_bytes()))
    assert os.listdir(cache) == ['data.bin']
    assert (cache / 'data.bin').read_bytes() == b'old copy'


def test_interrupted_download_leaves_no_file(cache, source, monkeypatch):
    monkeypatch.setattr(urllib.request, 'urlopen', interrupted_urlopen(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        utils.get_file(source.as_uri())
    assert os.listdir(cache) == []


def test_show_progress(capsys):
    utils.show_progress(1, 50, 100)
    assert capsys.readouterr().out == '\r[' + '#' * 15 + '.' * 15 + '] 50.00%'
    utils.show_progress(5, 50, 100)
    assert capsys.readouterr().out == '\r[' + '#' * 30 + '] 100.00%'
    utils.show_progress(3, 10, -1)
    assert capsys.readouterr().out == '\r30 bytes'


def test_package_exposes_utils():
    assert dezero.utils is utils


# ----------------------------------------------------------------------------- atomic_write
def test_atomic_write_replaces_in_one_step_with_normal_permissions(tmp_path):
    target = tmp_path / 'weights.npz'
    target.write_bytes(b'old')
    with utils.atomic_write(str(target)) as tmp:
        with open(tmp, 'wb') as f:
            f.write(b'new')
        assert target.read_bytes() == b'old'      # not visible until the block succeeds
    assert target.read_bytes() == b'new'
    umask = os.umask(0)
    os.umask(umask)
    assert (target.stat().st_mode & 0o777) == (0o666 & ~umask)


def test_atomic_write_keeps_previous_file_on_error(tmp_path):
    target = tmp_path / 'weights.npz'
    target.write_bytes(b'old')
    with pytest.raises(KeyboardInterrupt):
        with utils.atomic_write(str(target)) as tmp:
            with open(tmp, 'wb') as f:
                f.write(b'half')
            raise KeyboardInterrupt
    assert target.read_bytes() == b'old'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['weights.npz']


def test_atomic_write_reuses_a_stale_temporary_file(tmp_path):
    """A writer killed mid-write leaves ``<name>.tmp``; the next write takes it over and removes it."""
    target = tmp_path / 'weights.npz'
    (tmp_path / 'weights.npz.tmp').write_bytes(b'stale half-written data' * 1000)
    with utils.atomic_write(str(target)) as tmp:
        assert tmp == str(target) + '.tmp' and os.path.getsize(tmp) == 0     # emptied for us
        with open(tmp, 'wb') as f:
            f.write(b'new')
    assert sorted(p.name for p in tmp_path.iterdir()) == ['weights.npz']
    assert target.read_bytes() == b'new'


@pytest.mark.skipif(sys.platform == 'win32', reason='no fcntl locks on Windows')
def test_two_writers_of_one_file_take_turns(tmp_path):
    import threading
    target = str(tmp_path / 'w.npz')
    inside, release, order = threading.Event(), threading.Event(), []

    def first():
        with utils.atomic_write(target) as tmp:
            with open(tmp, 'wb') as f:
                f.write(b'first')
            order.append('first in')
            inside.set()
            release.wait(10)

    def second():
        with utils.atomic_write(target) as tmp:
            order.append('second in')
            with open(tmp, 'wb') as f:
                f.write(b'second')

    a = threading.Thread(target=first)
    a.start()
    assert inside.wait(10)
    b = threading.Thread(target=second)
    b.start()
    b.join(0.3)
    assert b.is_alive() and order == ['first in']      # waits for the first writer
    release.set()
    a.join(10)
    b.join(10)
    assert order == ['first in', 'second in']
    assert open(target, 'rb').read() == b'second'
    assert sorted(os.listdir(tmp_path)) == ['w.npz']


# ----------------------------------------------------------------------------- local test servers
class LocalServer:
    """An HTTP server on 127.0.0.1 only, in a daemon thread, that misbehaves on purpose.

    ``mode``: 'ok' serves ``body``; 'stall' accepts connections and never answers; 'truncate' announces
    the whole body but sends half of it and closes; 'corrupt' sends the body with its first 100 bytes
    flipped. Every request path gets the same answer; ``requests`` counts connections.
    """

    def __init__(self, mode, body=b''):
        import socket
        import threading
        self.mode, self.body, self.requests, self.open = mode, body, 0, []
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(16)
        self.base = f'http://127.0.0.1:{self.sock.getsockname()[1]}/'
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.requests += 1
            if self.mode == 'stall':
                self.open.append(conn)       # keep it open, say nothing
                continue
            conn.recv(65536)
            body = self.body
            head = (f'HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n'
                    'Connection: close\r\n\r\n').encode()
            if self.mode == 'truncate':
                body = body[:len(body) // 2]
            elif self.mode == 'corrupt':
                body = bytes(b ^ 0xFF for b in body[:100]) + body[100:]
            conn.sendall(head + body)
            conn.close()

    def close(self):
        self.sock.close()
        for conn in self.open:
            conn.close()


@pytest.fixture
def server():
    servers = []

    def start(mode, body=b''):
        servers.append(LocalServer(mode, body))
        return servers[-1]
    yield start
    for s in servers:
        s.close()


PAYLOAD = bytes(range(256)) * 400       # 100 KiB


def test_a_stalled_server_times_out_on_every_mirror_and_leaves_no_file(cache, server, capsys):
    import time
    stalled, also_stalled = server('stall'), server('stall')
    start = time.monotonic()
    with pytest.raises(utils.DownloadError) as info:
        utils.get_file(stalled.base + 'data.bin', checksum=sha256(PAYLOAD), mirrors=[also_stalled.base],
                       timeout=1)
    elapsed = time.monotonic() - start
    assert 1.5 < elapsed < 10                                   # two mirrors, one second each
    message = str(info.value)
    assert f'{stalled.base}data.bin: timed out: no answer for 1 s' in message
    assert f'{also_stalled.base}data.bin: timed out: no answer for 1 s' in message
    assert info.value.errors[1][0] == also_stalled.base + 'data.bin'
    assert os.listdir(cache) == []                              # no .part left behind


def test_the_timeout_comes_from_the_environment(cache, server, monkeypatch):
    import time
    stalled = server('stall')
    monkeypatch.setenv('DEZERO_DOWNLOAD_TIMEOUT', '0.5')
    start = time.monotonic()
    with pytest.raises(utils.DownloadError, match='no answer for 0.5 s'):
        utils.get_file(stalled.base + 'data.bin')
    assert time.monotonic() - start < 5
    monkeypatch.setenv('DEZERO_DOWNLOAD_TIMEOUT', 'soon')
    with pytest.raises(ValueError, match="DEZERO_DOWNLOAD_TIMEOUT must be a positive number of seconds, got 'soon'"):
        utils.get_file(stalled.base + 'data.bin')
    with pytest.raises(ValueError, match='timeout must be a positive number of seconds, got -1'):
        utils.get_file(stalled.base + 'data.bin', timeout=-1)


@pytest.mark.parametrize('mode, checksum, words', [
    ('truncate', False, 'the server sent 51200 of the 102400 bytes it announced (truncated)'),
    ('truncate', True, 'the server sent 51200 of the 102400 bytes it announced (truncated)'),
    ('corrupt', True, 'sha256 checksum mismatch'),
])
def test_a_truncated_or_corrupted_download_never_enters_the_cache(cache, server, mode, checksum, words):
    bad, good = server(mode, PAYLOAD), server('ok', PAYLOAD)
    with pytest.raises(utils.DownloadError, match=re.escape(words)):
        utils.get_file(bad.base + 'data.bin', checksum=sha256(PAYLOAD) if checksum else None)
    assert os.listdir(cache) == []
    path = utils.get_file(bad.base + 'data.bin', checksum=sha256(PAYLOAD), mirrors=[good.base])
    assert Path(path).read_bytes() == PAYLOAD and os.listdir(cache) == ['data.bin']


def test_verify_checks_files_without_a_checksum_on_download_and_in_the_cache(cache, server, capsys):
    good = server('ok', PAYLOAD)
    seen = []

    def verify(path):
        seen.append(os.path.basename(path))
        with open(path, 'rb') as f:
            if f.read(2) != PAYLOAD[:2]:
                raise ValueError(f'{path} does not start like the payload')

    corrupt = server('corrupt', PAYLOAD)
    with pytest.raises(utils.DownloadError, match='does not start like the payload'):
        utils.get_file(corrupt.base + 'data.bin', verify=verify)
    assert os.listdir(cache) == [] and seen == ['data.bin.part']
    assert utils.get_file(good.base + 'data.bin', verify=verify) == str(cache / 'data.bin')
    (cache / 'data.bin').write_bytes(b'\xff' + PAYLOAD[1:])          # damaged in the cache
    with pytest.raises(utils.DownloadError) as info:
        utils.get_file(corrupt.base + 'data.bin', verify=verify)
    assert info.value.cached_error.endswith('does not start like the payload')
    assert 'is corrupt' in str(info.value) and 'data.bin is corrupt' in capsys.readouterr().out
    assert utils.get_file(good.base + 'data.bin', verify=verify) == str(cache / 'data.bin')
    assert (cache / 'data.bin').read_bytes() == PAYLOAD
    with pytest.raises(TypeError, match='verify must be a function'):
        utils.get_file(good.base + 'data.bin', verify='sha256')


def test_download_progress_without_tqdm_is_one_line_with_size_speed_and_eta(cache, server, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, 'tqdm', None)            # as if tqdm were not installed
    monkeypatch.setitem(sys.modules, 'tqdm.auto', None)
    good = server('ok', PAYLOAD)
    utils.get_file(good.base + 'data.bin')
    captured = capsys.readouterr()
    assert 'Downloading: data.bin' in captured.out and 'Done' in captured.out
    last = captured.err.split('\r')[-1]
    assert re.fullmatch(r'data\.bin: 100\.0 KB of 100\.0 KB \(100%\), [\d.]+ [KMG]?B/s, ETA 0:00\n', last), last


def test_download_progress_uses_tqdm_when_installed(cache, server, capsys):
    pytest.importorskip('tqdm')
    good = server('ok', PAYLOAD)
    utils.get_file(good.base + 'data.bin')
    err = capsys.readouterr().err
    assert 'data.bin' in err and '100%' in err and '100k/100k' in err


def test_progress_line():
    assert utils.progress_line('a.npz', 0, 1024 ** 3, 0.0) == 'a.npz: 0 B of 1.0 GB (0%)'
    assert utils.progress_line('a.npz', 3 * 2 ** 20, 9 * 2 ** 20, 3.0) == \
        'a.npz: 3.0 MB of 9.0 MB (33%), 1.0 MB/s, ETA 0:06'
    assert utils.progress_line('a.npz', 1000, None, 2.0) == 'a.npz: 1000 B, 500 B/s'


def test_a_download_finished_by_another_process_meanwhile_is_used(cache, server, monkeypatch):
    """Two processes downloading one file: the second waits for the lock, then finds the file done."""
    good = server('ok', PAYLOAD)
    cache.mkdir(parents=True)
    real = utils.atomic_write

    @contextlib.contextmanager
    def other_process_finishes_first(path, suffix='.tmp'):
        (cache / 'data.bin').write_bytes(PAYLOAD)       # what the other process wrote while we waited
        with real(path, suffix) as tmp:
            yield tmp

    monkeypatch.setattr(utils, 'atomic_write', other_process_finishes_first)
    assert utils.get_file(good.base + 'data.bin', checksum=sha256(PAYLOAD)) == str(cache / 'data.bin')
    assert good.requests == 0 and os.listdir(cache) == ['data.bin']


# ----------------------------------------------------------------------------- read_npz
def test_read_npz_names_the_file_for_every_kind_of_damage(tmp_path):
    good = tmp_path / 'good.npz'
    np.savez(good, a=np.arange(3), b=np.ones((2, 2)))
    assert sorted(utils.read_npz(good)) == ['a', 'b']
    raw = good.read_bytes()
    cases = {'empty.npz': (b'', 'it is empty'),
             'truncated.npz': (raw[:len(raw) // 2], 'truncated, corrupt or not an .npz archive'),
             'text.npz': (b'hello, world\n' * 20, 'not an .npz archive')}
    for name, (data, words) in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(utils.CheckpointError) as info:
            utils.read_npz(tmp_path / name, 'weights file')
        assert f'cannot read the weights file {tmp_path / name}' in str(info.value) and words in str(info.value)
    np.save(tmp_path / 'one.npy', np.arange(3))
    with pytest.raises(utils.CheckpointError, match='single .npy array'):
        utils.read_npz(tmp_path / 'one.npy')
    with pytest.raises(FileNotFoundError):
        utils.read_npz(tmp_path / 'absent.npz')
