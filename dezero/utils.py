"""Helpers: graph drawing (files, or DOT text shown inline in Jupyter), array shape utilities, gradient checking, downloads and size arithmetic.

Optional tools (Graphviz ``dot``, IPython) are looked up only when a function needs them, and
``dezero.core`` is imported inside the functions that use it, because ``core`` imports ``functions``,
which imports this module.
"""
import contextlib
import hashlib
import os
import shutil
import subprocess
import tempfile
import urllib.request
import warnings

import numpy as np

from dezero import cuda


def _data(x):
    """The array inside a Variable, or ``x`` itself."""
    from dezero.core import Variable
    return x.data if isinstance(x, Variable) else x


# =============================================================================
# Graph visualisation
# =============================================================================
def _dot_escape(text):
    """Escape ``text`` for a double-quoted DOT string, so names with quotes stay valid DOT."""
    return text.replace('\\', '\\\\').replace('"', '\\"')


def _dot_var(v, verbose=False):
    """The DOT node line of Variable ``v``; ``verbose`` adds its shape and dtype to the label."""
    name = '' if v.name is None else v.name
    if verbose and v.data is not None:
        if v.name is not None:
            name += ': '
        name += str(v.shape) + ' ' + str(v.dtype)
    return f'{id(v)} [label="{_dot_escape(name)}", color=orange, style=filled]\n'


def _dot_func(f):
    """The DOT node line of Function ``f`` followed by its input and output edges."""
    txt = f'{id(f)} [label="{_dot_escape(f.__class__.__name__)}", color=lightblue, style=filled, shape=box]\n'
    for x in f.inputs:
        txt += f'{id(x)} -> {id(f)}\n'
    for ref in f.outputs:
        y = ref()
        if y is not None:  # an output may already have been garbage-collected
            txt += f'{id(f)} -> {id(y)}\n'
    return txt


def get_dot_graph(output, verbose=True):
    """Return the Graphviz DOT text of the graph that produced ``output``.

    Functions are visited with a LIFO stack and a seen-set, as in the original, so the text
    is the same line for line.

    Example:
        >>> from dezero import Variable
        >>> x = Variable(np.array(1.0), name='x')
        >>> text = get_dot_graph(x * 2, verbose=False)
        >>> text.splitlines()[0], 'label="Mul"' in text, text.count('->')
        ('digraph g {', True, 3)
    """
    txt = _dot_var(output, verbose)
    funcs = []
    seen = set()

    def add_func(f):
        if f is not None and f not in seen:
            funcs.append(f)
            seen.add(f)

    add_func(output.creator)
    while funcs:
        func = funcs.pop()
        txt += _dot_func(func)
        for x in func.inputs:
            txt += _dot_var(x, verbose)
            add_func(x.creator)
    return 'digraph g {\n' + txt + '}'


class GraphvizNotFoundError(RuntimeError):
    """The Graphviz ``dot`` program is not on PATH."""


class DotGraph(str):
    """The DOT text of a graph (a ``str``) that Jupyter shows as a picture when Graphviz is present.

    ``plot_dot_graph(y, to_file=None)`` returns one: print it, save it or compare it as the string it
    is; in Jupyter (IPython) it displays as an SVG drawn by ``dot``, or as its text without Graphviz.
    """

    def _repr_svg_(self):
        dot = shutil.which('dot')
        if dot is None:
            return None            # IPython then shows the text (_repr_pretty_)
        result = subprocess.run([dot, '-Tsvg'], input=self.encode('utf-8'), capture_output=True, check=False)
        return result.stdout.decode('utf-8') if result.returncode == 0 else None

    def _repr_pretty_(self, p, cycle):
        p.text(str(self))


def plot_dot_graph(output, verbose=True, to_file='graph.png'):
    """Draw the graph of ``output`` into ``to_file``; its extension (png, svg, pdf, jpg...) picks the format.

    Returns an ``IPython.display`` image when running inside IPython, else None. Without Graphviz
    the DOT text is saved next to ``to_file`` (extension ``.dot``) and GraphvizNotFoundError is raised.

    ``to_file=None`` writes nothing and returns the DOT text as a ``DotGraph``: a ``str`` that
    Jupyter draws inline (as SVG) when Graphviz is installed, and shows as text otherwise.

    Example:
        >>> from dezero import Variable
        >>> g = plot_dot_graph(Variable(np.array(1.0), name='x') * 2, to_file=None)
        >>> isinstance(g, str), g.splitlines()[0], g.count('->')
        (True, 'digraph g {', 3)
    """
    dot_graph = get_dot_graph(output, verbose)
    if to_file is None:
        return DotGraph(dot_graph)
    to_file = os.path.abspath(os.path.expanduser(to_file))
    stem, ext = os.path.splitext(to_file)
    fmt = ext[1:].lower()
    if not fmt:
        raise ValueError('to_file needs an extension that names the image format, e.g. graph.png')
    os.makedirs(os.path.dirname(to_file), exist_ok=True)

    dot = shutil.which('dot')
    if dot is None:
        with open(stem + '.dot', 'w', encoding='utf-8') as f:
            f.write(dot_graph)
        raise GraphvizNotFoundError(
            f'Graphviz "dot" was not found on PATH, so {to_file} was not drawn. The graph was '
            f'written to {stem}.dot. Install Graphviz (apt-get install graphviz, brew install graphviz, '
            'or on Windows the installer from https://graphviz.org with its bin folder added to PATH) '
            'and try again.')
    _run_dot(dot, dot_graph, fmt, to_file)
    return _ipython_image(to_file, fmt)


def _run_dot(dot, dot_graph, fmt, to_file):
    """Render DOT text (given on stdin) to a temp file beside ``to_file``, then move it into place."""
    with atomic_write(to_file, suffix='.' + fmt) as tmp:
        result = subprocess.run([dot, '-T' + fmt, '-o', tmp], input=dot_graph.encode('utf-8'),
                                capture_output=True, check=False)
        if result.returncode != 0:
            stderr = result.stderr.decode('utf-8', 'replace').strip()
            raise RuntimeError(f'Graphviz dot failed with exit code {result.returncode}: {stderr}')


@contextlib.contextmanager
def atomic_write(path, suffix='.tmp'):
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one step.

    On any error (Ctrl-C included) the temporary file is removed and an existing
    ``path`` is left untouched, so an interrupted save never destroys the previous copy.
    """
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)),
                               prefix=os.path.basename(path) + '.', suffix=suffix)
    os.close(fd)
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)      # mkstemp makes 0600; use the usual permissions
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _ipython_image(path, fmt):
    """An IPython display object for ``path`` when running inside IPython, else None."""
    try:
        from IPython import get_ipython
        from IPython.display import SVG, Image
    except ImportError:
        return None
    if get_ipython() is None:
        return None
    if fmt == 'svg':
        return SVG(filename=path)
    if fmt in ('png', 'jpg', 'jpeg', 'gif'):
        return Image(filename=path)
    return None


# =============================================================================
# Shape helpers used by the backward passes
# =============================================================================
def _normalize_axes(axis, ndim):
    """Return ``axis`` (None, an int, a tuple or a list) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    if not isinstance(axis, (tuple, list)):
        axis = (axis,)
    for a in axis:
        if not -ndim <= a < ndim:
            raise ValueError(f'axis {a} is out of bounds for an array of dimension {ndim}')
    return tuple(sorted(a % ndim for a in axis))


def sum_to(x, shape):
    """Sum array ``x`` over its broadcast axes so that the result has ``shape`` (undoes broadcasting).

    Example:
        >>> sum_to(np.ones((2, 3)), (1, 3))
        array([[2., 2., 2.]])
    """
    shape = tuple(shape)
    lead = x.ndim - len(shape)
    if lead < 0 or any(s not in (1, xs) for s, xs in zip(shape, x.shape[lead:])):
        raise ValueError(f'cannot sum an array of shape {x.shape} to shape {shape}')
    lead_axis = tuple(range(lead))
    axis = tuple(lead + i for i, s in enumerate(shape) if s == 1)
    y = x.sum(lead_axis + axis, keepdims=True)
    if lead > 0:
        y = y.squeeze(lead_axis)
    return y


def reshape_sum_backward(gy, x_shape, axis, keepdims):
    """Reshape the gradient ``gy`` of a sum over ``axis`` so that it broadcasts back to ``x_shape``."""
    ndim = len(x_shape)
    shape = list(gy.shape)
    if ndim > 0 and axis is not None and not keepdims:
        for a in _normalize_axes(axis, ndim):
            shape.insert(a, 1)
    return gy.reshape(tuple(shape))


def logsumexp(x, axis=1):
    """log(sum(exp(x))) over ``axis`` with kept dims, computed stably by shifting by the maximum.

    Example:
        >>> logsumexp(np.array([[0.0, 0.0], [1.0, -np.inf]]))
        array([[0.69314718],
               [1.        ]])
    """
    xp = cuda.get_array_module(x)
    m = x.max(axis=axis, keepdims=True)
    m = xp.where(xp.isfinite(m), m, m.dtype.type(0))  # rows of -inf (or +inf) must not turn into nan
    return m + xp.log(xp.exp(x - m).sum(axis=axis, keepdims=True))


def max_backward_shape(x, axis):
    """The shape of ``max(x, axis, keepdims=True)``: ``x.shape`` with the reduced axes set to 1."""
    axes = _normalize_axes(axis, x.ndim)
    return tuple(1 if i in axes else s for i, s in enumerate(x.shape))


# =============================================================================
# Gradient checking
# =============================================================================
def gradient_check(f, x, *args, rtol=1e-4, atol=1e-5, **kwargs):
    """Compare the backprop gradient of sum(f(x)) with central differences, in float64.

    Returns True when they match. On a mismatch it prints both gradients (shape and first
    10 values) under a FAILED banner and returns False.

    Example:
        >>> gradient_check(lambda x: x ** 3, np.array([1.0, 2.0]))
        True
    """
    from dezero.core import Variable
    data = _data(x)
    xp = cuda.get_array_module(data)
    data = xp.asarray(data)
    if data.dtype in (np.float16, np.float32):
        warnings.warn(f'gradient_check got {data.dtype} data; finite differences are unreliable in low '
                      'precision, so the check runs on a float64 copy.', UserWarning, stacklevel=2)
    x = Variable(data.astype(np.float64))

    num_grad = numerical_grad(f, x, *args, **kwargs)
    y = f(x, *args, **kwargs)
    y.backward()
    bp_grad = xp.zeros_like(x.data) if x.grad is None else x.grad.data  # no grad: y does not depend on x

    res = bp_grad.shape == num_grad.shape and array_allclose(num_grad, bp_grad, rtol=rtol, atol=atol)
    if not res:
        print()
        print('========== FAILED (Gradient Check) ==========')
        for title, grad in (('Numerical Grad', num_grad), ('Backprop Grad', bp_grad)):
            print(title)
            print(f' shape: {grad.shape}')
            print(f' values: {str(grad.flatten()[:10])[1:-1]} ...')
    return res


def numerical_grad(f, x, *args, **kwargs):
    """Gradient of sum(f(x)) with respect to ``x`` (array or Variable) by central differences.

    Each element of x is perturbed in place by +-1e-4 and always restored, even if ``f`` raises.
    The result has the array type, shape and dtype of x.

    Example:
        >>> print(numerical_grad(lambda x: x ** 2, np.array([3.0, 1.0])))
        [6. 2.]
    """
    eps = 1e-4
    x = _data(x)
    if x.dtype.kind != 'f':
        raise TypeError(f'numerical_grad needs floating-point data, got {x.dtype}')
    grad = cuda.get_array_module(x).zeros_like(x)
    for idx in np.ndindex(*x.shape):
        tmp_val = x[idx].copy()
        try:
            x[idx] = tmp_val + eps
            y1 = _output_copy(f(x, *args, **kwargs))
            x[idx] = tmp_val - eps
            y2 = _output_copy(f(x, *args, **kwargs))
        finally:
            x[idx] = tmp_val
        grad[idx] = (y1 - y2).sum() / (2 * eps)
    return grad


def _output_copy(y):
    """A copy of f's output data: ``f`` may return a view of x, which is about to change."""
    y = _data(y)
    return cuda.get_array_module(y).array(y)


def array_equal(a, b):
    """True if ``a`` and ``b`` (arrays or Variables, on any device) have equal shape and values."""
    return np.array_equal(cuda.as_numpy(_data(a)), cuda.as_numpy(_data(b)))


def array_allclose(a, b, rtol=1e-4, atol=1e-5):
    """True if ``a`` and ``b`` (arrays or Variables, on any device) are elementwise close."""
    return np.allclose(cuda.as_numpy(_data(a)), cuda.as_numpy(_data(b)), rtol=rtol, atol=atol)


# =============================================================================
# Downloads
# =============================================================================
cache_dir = os.path.expanduser(os.environ.get('DEZERO_HOME') or os.path.join('~', '.dezero'))


def get_cache_dir():
    """The download folder: ``$DEZERO_HOME`` as set now, else ``cache_dir`` (by default ~/.dezero)."""
    return os.path.expanduser(os.environ.get('DEZERO_HOME') or cache_dir)


class DownloadError(OSError):
    """A file could not be downloaded from any of its URLs."""


def show_progress(block_num, block_size, total_size):
    """Progress hook for ``urlretrieve``: a 30-character bar and a percentage on one line."""
    downloaded = block_num * block_size
    if total_size <= 0:  # the server did not say how big the file is
        print(f'\r{downloaded} bytes', end='')
        return
    p = min(downloaded / total_size * 100, 100.0)
    i = min(int(downloaded / total_size * 30), 30)
    bar = '#' * i + '.' * (30 - i)
    print(f'\r[{bar}] {p:.2f}%', end='')


def get_file(url, file_name=None, checksum=None, mirrors=()):
    """Download ``url`` into the cache folder unless it is already there; return the absolute path.

    ``checksum`` ('md5:<hex>' or 'sha256:<hex>'; a bare hex digest is recognised by its length) is
    verified on download and on a cache hit, and a corrupt cached file is downloaded again.
    ``mirrors`` are tried in order when ``url`` fails; a mirror ending with '/' gets ``file_name``
    appended. Raises DownloadError, listing every URL and its error, when all of them fail.
    """
    if file_name is None:
        file_name = url[url.rfind('/') + 1:]
    expected = None if checksum is None else _parse_checksum(checksum)
    file_path = os.path.abspath(os.path.join(get_cache_dir(), file_name))
    os.makedirs(os.path.dirname(file_path), exist_ok=True)

    if os.path.exists(file_path):
        if _checksum_error(file_path, expected) is None:
            return file_path
        print(f'The cached file {file_path} does not match its checksum; downloading it again.')

    print('Downloading: ' + file_name)
    urls = [url] + [m + file_name if m.endswith('/') else m for m in mirrors]
    errors = []
    for i, u in enumerate(urls):
        try:
            _download(u, file_path, expected)
        except Exception as e:  # HTTP, network, bad URL or checksum: whatever it is, try the next URL
            errors.append((u, e))
            if i + 1 < len(urls):
                print(f'Failed to download {u} ({e}); trying {urls[i + 1]}')
            continue
        print(' Done')
        return file_path
    raise DownloadError(_download_error_message(file_name, file_path, errors))


def _download(url, file_path, expected):
    """Fetch ``url`` into a temp file beside ``file_path``, check it, then move it into place.

    The temp file is removed on any error, Ctrl-C included, so a good cached copy is never damaged.
    """
    with atomic_write(file_path, suffix='.part') as tmp:
        urllib.request.urlretrieve(url, tmp, show_progress)
        error = _checksum_error(tmp, expected)
        if error is not None:
            raise ValueError(error)


def _parse_checksum(checksum):
    """Split 'md5:<hex>' or 'sha256:<hex>' (or a bare 32- or 64-digit hex) into (algorithm, digest)."""
    algorithm, sep, digest = checksum.partition(':')
    if not sep:
        algorithm, digest = {32: 'md5', 64: 'sha256'}.get(len(checksum)), checksum
    if algorithm not in ('md5', 'sha256'):
        raise ValueError(f"checksum must be 'md5:<hex>' or 'sha256:<hex>', got {checksum!r}")
    return algorithm, digest.lower()


def _checksum_error(path, expected):
    """None if the file at ``path`` matches ``expected`` (or nothing is expected), else a message."""
    if expected is None:
        return None
    algorithm, digest = expected
    h = hashlib.new(algorithm)
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    if h.hexdigest() == digest:
        return None
    return f'{algorithm} checksum mismatch: expected {digest}, got {h.hexdigest()}'


def _download_error_message(file_name, file_path, errors):
    """Explain which URLs failed and where to put the file by hand."""
    lines = [f'Could not download {file_name}. Tried:']
    lines += [f'  {u}: {e}' for u, e in errors]
    lines += ['Download the file yourself and save it as:', '  ' + file_path,
              'Set the DEZERO_HOME environment variable to use another cache folder.']
    return '\n'.join(lines)


# =============================================================================
# Sizes for convolution and pooling
# =============================================================================
def get_conv_outsize(input_size, kernel_size, stride, pad):
    """Output length of a convolution or pooling along one axis.

    Example:
        >>> get_conv_outsize(4, 3, 1, 1)   # the book's step 55: 4x4 input, 3x3 kernel, pad 1
        4
    """
    return (input_size + pad * 2 - kernel_size) // stride + 1


def get_deconv_outsize(size, k, s, p):
    """Output length of a transposed convolution along one axis."""
    return s * (size - 1) + k - 2 * p


def pair(x):
    """``(x, x)`` for an int; a 2-tuple, or a 2-element list as a tuple; anything else is an error.

    Example:
        >>> pair(3), pair([2, 1])
        ((3, 3), (2, 1))
    """
    if isinstance(x, (int, np.integer)):
        return (int(x), int(x))
    if isinstance(x, (tuple, list)) and len(x) == 2:
        return tuple(x)
    raise ValueError(f'expected an int or a pair of ints, got {x!r}')
