"""Helpers: graph drawing (files, or DOT text shown inline in Jupyter), gradient checking and
downloads; and the book's array helpers.

The array helpers the book put here (``sum_to``, ``reshape_sum_backward``, ``logsumexp``,
``max_backward_shape``, ``get_conv_outsize``, ``get_deconv_outsize``, ``pair``) live in
``dezero.arrays`` and are re-exported. Optional tools (Graphviz ``dot``, IPython) are looked up
only when a function needs them.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import time
import urllib.request
import warnings
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

import numpy as np

from dezero import arrays, cuda
from dezero.arrays import (get_conv_outsize, get_deconv_outsize, max_backward_shape,  # noqa: F401
                           pair, reshape_sum_backward, sum_to)
from dezero.engine import Variable, VariableNode

if TYPE_CHECKING:
    from dezero.typing import Operand


# =============================================================================
# Graph visualisation
# =============================================================================
def _dot_escape(text):
    """Escape ``text`` for a double-quoted DOT string, so names with quotes stay valid DOT."""
    return text.replace('\\', '\\\\').replace('"', '\\"')


def _shown(v):
    """The object that stands for Variable ``v`` in a drawing: the same for every Function that
    holds it (the Variable while it is alive, else the node the graph keeps for it)."""
    n = v if v.__class__ is VariableNode else v.node or v
    if n.__class__ is VariableNode:
        y = n.ref()
        return n if y is None else y
    return n


def _dot_var(v, verbose=False):
    """The DOT node line of Variable ``v``; ``verbose`` adds its shape and dtype to the label."""
    v = _shown(v)
    name = '' if v.name is None else v.name
    if verbose and (v.data is not None or v.__class__ is VariableNode):
        if v.name is not None:
            name += ': '
        name += str(v.shape) + ' ' + str(v.dtype)
    return f'{id(v)} [label="{_dot_escape(name)}", color=orange, style=filled]\n'


def _dot_func(f):
    """The DOT node line of Function ``f`` followed by its input and output edges."""
    txt = f'{id(f)} [label="{_dot_escape(f.__class__.__name__)}", color=lightblue, style=filled, shape=box]\n'
    for x in f.inputs:
        txt += f'{id(_shown(x))} -> {id(f)}\n'
    for ref in f.outputs:
        y = ref()
        if y is not None:  # an output may already have been garbage-collected
            txt += f'{id(f)} -> {id(_shown(y))}\n'
    return txt


def get_dot_graph(output: Variable, verbose: bool = True) -> str:
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
    drawn = set()        # nodes whose Variable is gone: their creator's edge is drawn from here
    while funcs:
        func = funcs.pop()
        txt += _dot_func(func)
        for x in func.inputs:
            txt += _dot_var(x, verbose)
            shown = _shown(x)
            if shown.__class__ is VariableNode and shown.creator is not None and id(shown) not in drawn:
                drawn.add(id(shown))
                txt += f'{id(shown.creator)} -> {id(shown)}\n'
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


def plot_dot_graph(output: Variable, verbose: bool = True,
                   to_file: str | os.PathLike | None = 'graph.png') -> DotGraph | object | None:
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
    with atomic_write(to_file, suffix='.tmp.' + fmt) as tmp:
        result = subprocess.run([dot, '-T' + fmt, '-o', tmp], input=dot_graph.encode('utf-8'),
                                capture_output=True, check=False)
        if result.returncode != 0:
            stderr = result.stderr.decode('utf-8', 'replace').strip()
            raise RuntimeError(f'Graphviz dot failed with exit code {result.returncode}: {stderr}')


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, suffix: str = '.tmp') -> Iterator[str]:
    """Yield the temporary path ``path + suffix``; on success it replaces ``path`` in one step.

    On any error (Ctrl-C included) the temporary file is removed and an existing ``path`` is left
    untouched, so an interrupted save never destroys the previous copy. The temporary name is fixed,
    so a process killed mid-write (``kill -9``, a power cut) leaves at most one stale file beside
    ``path``, which the next write of ``path`` reuses. Two processes writing the same ``path`` take
    turns: where the OS has ``fcntl``, the second waits on a lock of the temporary file.
    """
    path = os.path.abspath(os.fspath(path))
    tmp = path + suffix
    fd = _open_locked(tmp, path)
    replaced = False
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
        replaced = True
    finally:
        try:
            if not replaced and _same_file(fd, tmp):
                os.remove(tmp)
        finally:
            os.close(fd)        # releases the lock


def _open_locked(tmp, target):
    """Open (create) ``tmp`` empty and locked against other writers; return its descriptor.

    A lock held by a killed process is released by the OS, so a stale file never blocks.
    After the lock is taken the name must still point at the locked file: otherwise the
    previous holder has just renamed it into place, and the loop starts again on a fresh one.
    """
    try:
        import fcntl
    except ImportError:              # Windows: no advisory locks; writes simply race
        fcntl = None
    while True:
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT, 0o666)
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                print(f'Waiting for another process that is writing {target} ...', file=sys.stderr, flush=True)
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError:          # a file system without flock (some network mounts)
                pass
        if _same_file(fd, tmp):
            os.ftruncate(fd, 0)
            return fd
        os.close(fd)


def _same_file(fd, path):
    """True if ``path`` still names the file open as ``fd``."""
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except OSError:
        return False


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


def logsumexp(x: np.ndarray, axis: int = 1) -> np.ndarray:
    """log(sum(exp(x))) over ``axis`` of array ``x``, with kept dims, computed stably.

    Example:
        >>> logsumexp(np.array([[0.0, 0.0], [1.0, -np.inf]]))
        array([[0.69314718],
               [1.        ]])
    """
    return arrays.logsumexp(x, axis, cuda.get_array_module(x))


# =============================================================================
# Gradient checking
# =============================================================================
def gradient_check(f: Callable, x: Operand, *args: object, rtol: float = 1e-4, atol: float = 1e-5,
                   **kwargs: object) -> bool:
    """Compare the backprop gradient of sum(f(x)) with central differences, in float64.

    Returns True when they match. On a mismatch it prints both gradients (shape and first
    10 values) under a FAILED banner and returns False.

    Example:
        >>> gradient_check(lambda x: x ** 3, np.array([1.0, 2.0]))
        True
    """
    data = cuda.unwrap(x)
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


def numerical_grad(f: Callable, x: Operand, *args: object, **kwargs: object) -> np.ndarray:
    """Gradient of sum(f(x)) with respect to ``x`` (array or Variable) by central differences.

    Each element of x is perturbed in place by +-1e-4 and always restored, even if ``f`` raises.
    The result has the array type, shape and dtype of x.

    Example:
        >>> print(numerical_grad(lambda x: x ** 2, np.array([3.0, 1.0])))
        [6. 2.]
    """
    eps = 1e-4
    x = cuda.unwrap(x)
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
    y = cuda.unwrap(y)
    return cuda.get_array_module(y).array(y)


def array_equal(a: Operand, b: Operand) -> bool:
    """True if ``a`` and ``b`` (arrays or Variables, on any device) have equal shape and values."""
    return np.array_equal(cuda.as_numpy(cuda.unwrap(a)), cuda.as_numpy(cuda.unwrap(b)))


def array_allclose(a: Operand, b: Operand, rtol: float = 1e-4, atol: float = 1e-5) -> bool:
    """True if ``a`` and ``b`` (arrays or Variables, on any device) are elementwise close."""
    return np.allclose(cuda.as_numpy(cuda.unwrap(a)), cuda.as_numpy(cuda.unwrap(b)), rtol=rtol, atol=atol)


# =============================================================================
# Downloads
# =============================================================================
cache_dir = os.path.expanduser(os.environ.get('DEZERO_HOME') or os.path.join('~', '.dezero'))

DOWNLOAD_TIMEOUT = 30.0
"""Seconds a download waits for the connection and then for each piece of data before giving up
(``$DEZERO_DOWNLOAD_TIMEOUT`` overrides it, ``get_file(timeout=...)`` overrides both)."""


def get_cache_dir() -> str:
    """The download folder: ``$DEZERO_HOME`` as set now, else ``cache_dir`` (by default ~/.dezero)."""
    return os.path.expanduser(os.environ.get('DEZERO_HOME') or cache_dir)


class DownloadError(OSError):
    """A file could not be downloaded from any of its URLs.

    ``file_path`` is where it was to be saved, ``errors`` the (url, error) pairs tried in order, and
    ``cached_error`` why the copy already at ``file_path`` was rejected (None if there was none).
    """

    def __init__(self, message: str, file_path: str | None = None, errors: Sequence[str] = (),
                 cached_error: BaseException | None = None) -> None:
        super().__init__(message)
        self.file_path = file_path
        self.errors = list(errors)
        self.cached_error = cached_error

    def __str__(self):
        return str(self.args[0]) if self.args else ''


def show_progress(block_num: int, block_size: int, total_size: int) -> None:
    """The original's progress hook for ``urllib.request.urlretrieve``: a 30-character bar and a percentage.

    Kept for code written for DeZero; ``get_file`` draws its own line with size, speed and ETA.
    """
    downloaded = block_num * block_size
    if total_size <= 0:  # the server did not say how big the file is
        print(f'\r{downloaded} bytes', end='')
        return
    p = min(downloaded / total_size * 100, 100.0)
    i = min(int(downloaded / total_size * 30), 30)
    bar = '#' * i + '.' * (30 - i)
    print(f'\r[{bar}] {p:.2f}%', end='')


def get_file(url: str, file_name: str | None = None, checksum: str | None = None, mirrors: Sequence[str] = (),
             verify: Callable | None = None, timeout: float | None = None) -> str:
    """Download ``url`` into the cache folder unless it is already there; return the absolute path.

    ``checksum`` ('md5:<hex>' or 'sha256:<hex>'; a bare hex digest is recognised by its length) and
    ``verify`` (a function of the path that raises ValueError or OSError for a bad file, for files
    whose checksum cannot be known) are applied to a download before it enters the cache and to a
    cached copy before it is used; a cached copy that fails is reported as corrupt and downloaded
    again. ``mirrors`` are tried in order when ``url`` fails; a mirror ending with '/' gets
    ``file_name`` appended. Each connection and each read waits at most ``timeout`` seconds
    (default ``DOWNLOAD_TIMEOUT``). Progress goes to stderr: tqdm's bar when tqdm is installed,
    else one line with size, speed and ETA. Raises DownloadError, listing every URL and its error,
    when all of them fail; no partial file is left behind.
    """
    if file_name is None:
        file_name = url[url.rfind('/') + 1:]
    expected = None if checksum is None else _parse_checksum(checksum)
    if verify is not None and not callable(verify):
        raise TypeError(f'get_file: verify must be a function of the path, got {verify!r}')
    timeout = _download_timeout(timeout)
    file_path = os.path.abspath(os.path.join(get_cache_dir(), file_name))
    os.makedirs(os.path.dirname(file_path), exist_ok=True)

    cached_error = None
    if os.path.exists(file_path):
        cached_error = _file_error(file_path, expected, verify)
        if cached_error is None:
            return file_path
        print(f'The cached file {file_path} is corrupt ({cached_error}); downloading it again.')

    print('Downloading: ' + file_name)
    urls = [url] + [m + file_name if m.endswith('/') else m for m in mirrors]
    errors = []
    for i, u in enumerate(urls):
        try:
            _download(u, file_path, expected, verify, timeout)
        except _AlreadyThere:
            return file_path
        except Exception as e:  # HTTP, network, timeout, bad URL or checksum: try the next URL
            errors.append((u, _describe(e, timeout)))
            if i + 1 < len(urls):
                print(f'Failed to download {u} ({errors[-1][1]}); trying {urls[i + 1]}')
            continue
        print(' Done')
        return file_path
    raise DownloadError(_download_error_message(file_name, file_path, errors, cached_error),
                        file_path, errors, cached_error)


class _AlreadyThere(Exception):
    """Another process finished the same download while this one waited for it."""


def _download_timeout(timeout):
    """``timeout``, else ``$DEZERO_DOWNLOAD_TIMEOUT``, else ``DOWNLOAD_TIMEOUT``; a positive number of seconds."""
    source = 'timeout'
    if timeout is None and os.environ.get('DEZERO_DOWNLOAD_TIMEOUT'):
        source, timeout = 'DEZERO_DOWNLOAD_TIMEOUT', os.environ['DEZERO_DOWNLOAD_TIMEOUT']
        try:
            timeout = float(timeout)
        except ValueError:
            pass
    elif timeout is None:
        timeout = DOWNLOAD_TIMEOUT
    if (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
            or not timeout > 0 or timeout == float('inf')):
        raise ValueError(f'get_file: {source} must be a positive number of seconds, got {timeout!r}')
    return float(timeout)


def _download(url, file_path, expected, verify, timeout):
    """Fetch ``url`` into ``file_path + '.part'``, check it, then move it into place.

    The partial file is removed on any error, Ctrl-C included, so a good cached copy is never
    damaged; another process downloading the same file is waited for, and its result used.
    """
    with atomic_write(file_path, suffix='.part') as tmp:
        if os.path.exists(file_path) and _file_error(file_path, expected, verify) is None:
            raise _AlreadyThere()
        with urllib.request.urlopen(url, timeout=timeout) as response, open(tmp, 'wb') as f:
            total = _content_length(response)
            received = 0
            with _Progress(os.path.basename(file_path), total) as progress:
                while True:
                    chunk = response.read(1 << 16)
                    if not chunk:
                        break
                    f.write(chunk)
                    received += len(chunk)
                    progress.update(len(chunk))
        if total is not None and received != total:
            raise ValueError(f'the server sent {received} of the {total} bytes it announced (truncated)')
        error = _file_error(tmp, expected, verify)
        if error is not None:
            raise ValueError(error)


def _content_length(response):
    """The size the server announced, or None."""
    try:
        length = int(response.headers.get('Content-Length'))
    except (TypeError, ValueError):
        return None
    return length if length >= 0 else None


def _describe(error, timeout):
    """A short reason for a failed URL: timeouts say so and how long was waited."""
    reason = getattr(error, 'reason', None)
    if isinstance(error, TimeoutError) or isinstance(reason, TimeoutError):
        return f'timed out: no answer for {timeout:g} s'
    return str(error) or type(error).__name__


class _Progress:
    """Download progress on stderr: tqdm when installed, else one line with size, speed and ETA.

    The line is redrawn at most five times a second and ends with a newline when the download ends.
    """

    def __init__(self, name, total):
        self.name, self.total = name, total
        self.done = 0
        self.start = self.last = time.monotonic()
        try:
            from tqdm.auto import tqdm
        except ImportError:
            self.bar = None
        else:
            self.bar = tqdm(total=total, unit='B', unit_scale=True, unit_divisor=1024, desc=name,
                            leave=True, file=sys.stderr)

    def __enter__(self):
        return self

    def update(self, n):
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
            return
        now = time.monotonic()
        if now - self.last >= 0.2:
            self.last = now
            self._draw(now)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.close()
        else:
            self._draw(time.monotonic())
            sys.stderr.write('\n')
            sys.stderr.flush()
        return False

    def _draw(self, now):
        sys.stderr.write('\r' + progress_line(self.name, self.done, self.total, now - self.start))
        sys.stderr.flush()


def progress_line(name: str, done: int, total: int | None, elapsed: float) -> str:
    """The text of the download line: name, bytes so far (of the total), speed and ETA.

    Example:
        >>> progress_line('vgg16.npz', 50 * 2**20, 200 * 2**20, 10.0)
        'vgg16.npz: 50.0 MB of 200.0 MB (25%), 5.0 MB/s, ETA 0:30'
        >>> progress_line('input.txt', 3 * 2**10, None, 0.0)
        'input.txt: 3.0 KB'
    """
    line = f'{name}: {_size(done)}'
    if total:
        line += f' of {_size(total)} ({min(done / total, 1.0):.0%})'
    if elapsed > 0:
        speed = done / elapsed
        line += f', {_size(speed)}/s'
        if total and speed > 0:
            eta = int(max(total - done, 0) / speed)
            line += f', ETA {eta // 60}:{eta % 60:02d}'
    return line


def _size(n):
    for unit in ('B', 'KB', 'MB', 'GB'):
        if n < 1024 or unit == 'GB':
            return f'{n:.0f} {unit}' if unit == 'B' else f'{n:.1f} {unit}'
        n /= 1024


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


def _file_error(path, expected, verify):
    """None if the file passes its checksum and ``verify``, else the reason it does not."""
    error = _checksum_error(path, expected)
    if error is None and verify is not None:
        try:
            verify(path)
        except (ValueError, OSError) as e:
            error = str(e) or type(e).__name__
    return error


def _download_error_message(file_name, file_path, errors, cached_error=None):
    """Explain which URLs failed and where to put the file by hand."""
    lines = [f'Could not download {file_name}. Tried:']
    lines += [f'  {u}: {e}' for u, e in errors]
    if cached_error is not None:
        lines.append(f'The copy already in the cache, {file_path}, is corrupt ({cached_error}).')
    lines += ['Download the file yourself and save it as:', '  ' + file_path,
              'Set the DEZERO_HOME environment variable to use another cache folder.']
    return '\n'.join(lines)


# =============================================================================
# Checkpoint files (.npz, read without pickle)
# =============================================================================
class CheckpointError(ValueError, KeyError):
    """A weights or optimizer-state file or dict that does not fit: unreadable, or keys, shapes or dtypes that differ.

    A ValueError, and also a KeyError, which the original raised for a missing key.
    """

    def __str__(self):
        return str(self.args[0]) if self.args else ''


def read_npz(path: str | os.PathLike, what: str = 'file') -> dict:
    """{name: array} of the ``.npz`` file ``path``, every array read (and CRC-checked) now.

    Nothing is unpickled. An empty, truncated, corrupt or foreign file raises CheckpointError
    naming ``what`` and the path, with NumPy's or zipfile's message as the cause.
    """
    import zipfile
    import zlib
    path = os.fspath(path)
    try:
        loaded = np.load(path, allow_pickle=False)
        if not hasattr(loaded, 'files'):     # a .npy file: one array, not an archive
            raise CheckpointError(f'cannot read the {what} {path}: it is a single .npy array, not an '
                                  '.npz archive of named arrays')
        with loaded as npz:
            return {key: npz[key] for key in npz.files}
    except CheckpointError:
        raise
    except FileNotFoundError:
        raise
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile, zlib.error) as e:
        size = os.path.getsize(path) if os.path.exists(path) else 0
        if size == 0:
            kind = 'it is empty'
        elif 'Object arrays' in str(e):
            kind = 'it holds object arrays, which would need pickle; dezero never unpickles'
        elif 'pickled' in str(e):
            kind = 'it is not an .npz archive (NumPy took it for pickled data, which dezero never loads)'
        else:
            kind = 'it is truncated, corrupt or not an .npz archive'
        raise CheckpointError(f'cannot read the {what} {path} ({size} bytes): {kind} '
                              f'({type(e).__name__}: {e})') from e
