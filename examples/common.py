"""Shared plumbing for the examples: command line, seeding, figures, progress, metrics.json.

Every example is a script with ``main(argv=None)`` that runs the same way::

    python examples/rl/bandit.py [--seed 0] [--quick] [--out DIR]

``--quick`` is the short run that CI checks; ``--out`` receives the PNG figures and
``metrics.json``; the last line printed is a one-line summary. The API, for writing a new example:

``make_parser(doc, name, needs=())``
    An ``argparse.ArgumentParser`` with ``--seed`` (default 0), ``--quick`` and ``--out``
    (default ``out/<name>``). Add the example's own options to it. ``needs`` names the optional
    modules the example cannot run without (``'matplotlib'``, ``'gymnasium'``, ``'PIL'``).
``parse(parser, argv)``
    Parse ``argv`` (None: ``sys.argv[1:]``); if a module of ``needs`` cannot be imported, print
    one line saying what to install and exit with status 1, before any work. Then seed ``random``
    and NumPy's global RNG with ``--seed`` (the books use the global RNG), create ``args.out``
    and return ``args``.
``require(name, *modules)``
    That check on its own: exit with one line unless every module imports.
``progress(iterable, desc='', total=None)``
    tqdm when it is installed; otherwise a plain loop that prints a line to stderr at each
    tenth once the loop has run for more than two seconds.
``log(*values)``
    ``print`` for lines written while a ``progress`` bar runs: through ``tqdm.write`` when tqdm
    is installed, so that the line lands above the bar instead of inside it.
``fetch_mnist(root=None, splits=('train', 'test'), optional=())``
    The folder holding MNIST's ``.gz`` files for ``splits``, and the splits found there:
    ``--root`` as given (nothing downloaded), else the download folder (``~/.dezero`` or
    ``$DEZERO_HOME``), downloading what is missing. A required split that cannot be found or
    downloaded ends the example with the one line the book's steps print (what to download,
    from where, into which folder), exit status 1; an ``optional`` one is left out.
``read_mnist(folder, train, **kwargs)``
    ``dezero.datasets.MNIST`` read from ``folder``; unreadable files end the example with one line.
``new_figure(nrows=1, ncols=1, figsize=None, **subplots_kwargs)``
    A ``matplotlib.figure.Figure`` and its axes (as ``plt.subplots`` returns them), made
    without pyplot, so no window ever opens and no display is needed.
``save_figure(fig, out, filename, dpi=100)``
    Write the figure to ``out/filename`` as PNG, atomically; returns ``filename``.
``plot_curves(out, filename, curves, xlabel, ylabel, title='', window=0, logy=False)``
    One axes of line plots from ``{label: values}`` (x = 1, 2, ...), optionally with a moving
    average of ``window`` points; a curve of a single point is drawn as a marker. Returns
    ``filename``.
``moving_average(values, window)``
    The trailing mean over the last ``window`` points (fewer at the start); same length as ``values``.
``finish(args, metrics, summary, figures=())``
    Write ``metrics.json`` (with ``example``, ``seed``, ``quick``, ``figures`` and ``summary``
    added; NumPy values become plain JSON) and print ``summary``. Returns the dict written.

A new example starts like this (one ``os.pardir`` per folder between it and the repository
root), so that it runs as a script from a checkout with nothing installed, and as a module
(``python -m examples.rl.bandit``); then it gets a row in ``tests/test_examples.py``::

    if __package__ in (None, ''):   # run as a script: import `examples` and `dezero` from this checkout
        sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir)))
    from examples import common  # noqa: E402

Matplotlib is imported only inside the figure helpers. Importing this module before NumPy
makes BLAS single-threaded (``OPENBLAS_NUM_THREADS=1`` and friends, unless already set): the
small networks of the examples run many times faster that way on a few cores.
"""
import argparse
import contextlib
import importlib
import io
import json
import os
import random
import socket
import sys
import time

if 'numpy' not in sys.modules:
    for _var in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
        os.environ.setdefault(_var, '1')

import numpy as np  # noqa: E402

from dezero import utils  # noqa: E402
from dezero.utils import atomic_write  # noqa: E402

# pip's name for the modules whose package is called otherwise
PIP_NAMES = {'PIL': 'pillow', 'ale_py': 'ale-py'}
DOWNLOAD_TIMEOUT = 60        # seconds without data before a download gives up, as in steps/book_data.py


# =============================================================================
# Command line
# =============================================================================
def make_parser(doc, name, needs=()):
    """An ArgumentParser with the three options every example has; ``parse`` checks ``needs``."""
    lines = (doc or name).strip().splitlines()
    parser = argparse.ArgumentParser(prog=name, description=lines[0],
                                     epilog='\n'.join(lines[1:]).strip() or None,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--seed', type=int, default=0, help='seed of random and NumPy (default 0)')
    parser.add_argument('--quick', action='store_true', help='a short run, as CI checks it')
    parser.add_argument('--out', default=os.path.join('out', name),
                        help=f'folder for the figures and metrics.json (default out/{name})')
    parser.set_defaults(example=name)
    parser.needs = tuple(needs)
    return parser


def parse(parser, argv=None):
    """Parse ``argv``, check the needed modules, seed the global RNGs with ``--seed``, create the output folder."""
    args = parser.parse_args(argv)
    require(args.example, *getattr(parser, 'needs', ()))
    random.seed(args.seed)
    np.random.seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    return args


def require(name, *modules):
    """Exit with one line (status 1) naming what to pip install, unless every module of ``modules`` imports."""
    missing = []
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(PIP_NAMES.get(module, module))
    if missing:
        listed = missing[0] if len(missing) == 1 else ', '.join(missing[:-1]) + ' and ' + missing[-1]
        sys.exit(f'{name} needs {listed}, which {"is" if len(missing) == 1 else "are"} not installed: '
                 f'pip install {" ".join(missing)} (or pip install -e ".[examples]" for all the examples need)')


# =============================================================================
# Data
# =============================================================================
def fetch_mnist(root=None, splits=('train', 'test'), optional=()):
    """(folder, splits found): where MNIST's files for ``splits`` (and maybe ``optional``) are.

    With ``root`` nothing is downloaded; otherwise missing files are fetched into the download
    folder, quietly, with a timeout. A required split that is missing ends the example with one line.
    """
    from dezero.datasets import MNIST_FILES, MNIST_MIRRORS, MNIST_URL
    folder = os.path.abspath(os.path.expanduser(root)) if root is not None else utils.get_cache_dir()

    def missing(split_names):
        return [(name, MNIST_URL + name, md5) for split in split_names for name, md5 in MNIST_FILES[split]
                if not os.path.exists(os.path.join(folder, name))]

    required = missing(splits)            # all the files the example needs, in one message
    if required and root is not None:
        names = [name for name, _, _ in required]
        sys.exit(f'MNIST: {_listed(names)} {"is" if len(names) == 1 else "are"} not in {folder} (--root). '
                 f'Put {"it" if len(names) == 1 else "them"} there, or leave out --root to download MNIST '
                 f'into {utils.get_cache_dir()}.')
    if required:
        reason = _download('MNIST', folder, required, MNIST_MIRRORS)
        if reason is not None:
            print(f'failed ({reason}). Download {_sources(required)} into {folder} (or set DEZERO_HOME '
                  'to a folder that holds them), then run this example again.')
            sys.exit(1)
    found = list(splits)
    for split in optional:
        files = missing([split])
        if files and root is None:
            reason = _download(f'MNIST ({split} split)', folder, files, MNIST_MIRRORS)
            if reason is not None:
                print(f'failed ({reason}).')
                continue
        if not files or root is None:
            found.append(split)
    return folder, found


def _download(what, folder, files, mirrors):
    """Fetch ``files`` into ``folder`` (the download folder); None when done, else the reason it failed."""
    print(f'Downloading {what} into {folder} ...', end=' ', flush=True)
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT)
    try:
        for name, url, checksum in files:
            with contextlib.redirect_stdout(io.StringIO()):     # get_file's own progress lines
                utils.get_file(url, name, checksum=checksum, mirrors=mirrors)
    except (utils.DownloadError, OSError) as e:
        lines = str(e).splitlines()
        return lines[1].strip().split(': ', 1)[-1] if len(lines) > 1 and ': ' in lines[1] else str(e)
    finally:
        socket.setdefaulttimeout(previous)
    print('done')
    return None


def _listed(names):
    return names[0] if len(names) == 1 else ', '.join(names[:-1]) + ' and ' + names[-1]


def _sources(files):
    """'a and b from https://host/dir/' when the URLs share their folder, else the URLs."""
    bases = {url[:len(url) - len(name)] for name, url, _ in files}
    if len(bases) == 1:
        return f'{_listed([name for name, _, _ in files])} from {bases.pop()}'
    return _listed([url for _, url, _ in files])


def read_mnist(folder, train, **kwargs):
    """``dezero.datasets.MNIST(train, root=folder, **kwargs)``; unreadable files end the example with one line."""
    from dezero.datasets import MNIST
    try:
        return MNIST(train=train, root=folder, **kwargs)
    except (OSError, ValueError) as e:
        sys.exit(f'MNIST: cannot read the files in {folder} ({e}); delete them and run this example again.')


# =============================================================================
# Progress
# =============================================================================
def progress(iterable, desc='', total=None):
    """Iterate with a progress bar: tqdm if installed, else a line per tenth on long loops."""
    try:
        from tqdm import tqdm
    except ImportError:
        return _plain_progress(iterable, desc, total)
    return tqdm(iterable, desc=desc, total=total, leave=False)


def log(*values):
    """Print a line; through ``tqdm.write`` when tqdm is installed, so that it lands above a running bar."""
    try:
        from tqdm import tqdm
    except ImportError:
        print(*values, flush=True)
    else:
        tqdm.write(' '.join(map(str, values)))


def _plain_progress(iterable, desc, total):
    if total is None:
        total = len(iterable) if hasattr(iterable, '__len__') else 0
    start = time.perf_counter()
    next_tenth = 1
    for i, item in enumerate(iterable, 1):
        yield item
        if total and i * 10 >= next_tenth * total:
            next_tenth = i * 10 // total + 1
            elapsed = time.perf_counter() - start
            if elapsed > 2.0:
                print(f'{desc} {i}/{total} ({elapsed:.0f} s)', file=sys.stderr, flush=True)


# =============================================================================
# Figures
# =============================================================================
def new_figure(nrows=1, ncols=1, figsize=None, **kwargs):
    """A Figure and its axes (as ``plt.subplots`` gives them), without pyplot or a display."""
    from matplotlib.figure import Figure
    if figsize is None:
        figsize = (4.8 * ncols, 3.6 * nrows)
    fig = Figure(figsize=figsize, layout='constrained')
    return fig, fig.subplots(nrows, ncols, **kwargs)


def save_figure(fig, out, filename, dpi=100):
    """Write ``fig`` to ``out/filename`` (PNG) atomically; returns ``filename``."""
    path = os.path.join(out, filename)
    with atomic_write(path, suffix='.png') as tmp:
        fig.savefig(tmp, dpi=dpi, format='png')
    return filename


def plot_curves(out, filename, curves, xlabel, ylabel, title='', window=0, logy=False):
    """Line plots of ``{label: values}`` against 1, 2, ...; a moving average when ``window``."""
    fig, ax = new_figure()
    for label, values in curves.items():
        values = np.asarray(values, dtype=float)
        x = np.arange(1, len(values) + 1)
        marker = 'o' if len(values) == 1 else None      # a line through one point draws nothing
        if window:
            line, = ax.plot(x, values, alpha=0.3, linewidth=0.8, marker=marker)
            ax.plot(x, moving_average(values, window), color=line.get_color(), marker=marker,
                    label=f'{label} (mean of {window})')
        else:
            ax.plot(x, values, label=label, marker=marker)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale('log')
    if title:
        ax.set_title(title)
    if len(curves) > 1 or window:
        ax.legend()
    ax.grid(alpha=0.3)
    return save_figure(fig, out, filename)


def moving_average(values, window):
    """Mean of the last ``window`` values at each point (of all values so far at the start)."""
    values = np.asarray(values, dtype=float)
    csum = np.concatenate([[0.0], np.cumsum(values)])
    idx = np.arange(1, len(values) + 1)
    lo = np.maximum(idx - window, 0)
    return (csum[idx] - csum[lo]) / (idx - lo)


# =============================================================================
# Results
# =============================================================================
def finish(args, metrics, summary, figures=()):
    """Write ``metrics.json`` into ``args.out``, print the one-line summary, return the dict."""
    result = {'example': args.example, 'seed': args.seed, 'quick': args.quick}
    result.update(metrics)
    result['figures'] = list(figures)
    result['summary'] = summary
    path = os.path.join(args.out, 'metrics.json')
    with atomic_write(path) as tmp:
        with open(tmp, 'w', encoding='utf-8') as f:
            json.dump(_plain(result), f, indent=2, ensure_ascii=False)
            f.write('\n')
    print(summary)
    return result


def _plain(obj):
    """``obj`` with NumPy scalars and arrays (also inside dicts, lists and tuples) made JSON-ready."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _plain(obj.tolist())
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return str(obj)   # JSON has no inf or nan
    return obj
