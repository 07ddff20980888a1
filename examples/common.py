"""Shared plumbing for the examples: command line, seeding, figures, progress, metrics.json.

Every example is a script with ``main(argv=None)`` that runs the same way::

    python examples/rl/bandit.py [--seed 0] [--quick] [--out DIR]

``--quick`` is the short run that CI checks; ``--out`` receives the PNG figures and
``metrics.json``; the last line printed is a one-line summary. The API, for writing a new example:

``make_parser(doc, name)``
    An ``argparse.ArgumentParser`` with ``--seed`` (default 0), ``--quick`` and ``--out``
    (default ``out/<name>``). Add the example's own options to it.
``parse(parser, argv)``
    Parse ``argv`` (None: ``sys.argv[1:]``), seed ``random`` and NumPy's global RNG with
    ``--seed`` (the books use the global RNG), create ``args.out`` and return ``args``.
``progress(iterable, desc='', total=None)``
    tqdm when it is installed; otherwise a plain loop that prints a line to stderr at each
    tenth once the loop has run for more than two seconds.
``new_figure(nrows=1, ncols=1, figsize=None, **subplots_kwargs)``
    A ``matplotlib.figure.Figure`` and its axes (as ``plt.subplots`` returns them), made
    without pyplot, so no window ever opens and no display is needed.
``save_figure(fig, out, filename, dpi=100)``
    Write the figure to ``out/filename`` as PNG, atomically; returns ``filename``.
``plot_curves(out, filename, curves, xlabel, ylabel, title='', window=0, logy=False)``
    One axes of line plots from ``{label: values}`` (x = 1, 2, ...), optionally with a moving
    average of ``window`` points; returns ``filename``.
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
import json
import os
import random
import sys
import time

if 'numpy' not in sys.modules:
    for _var in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
        os.environ.setdefault(_var, '1')

import numpy as np  # noqa: E402

from dezero.utils import atomic_write  # noqa: E402


# =============================================================================
# Command line
# =============================================================================
def make_parser(doc, name):
    """An ArgumentParser with the three options every example has."""
    lines = (doc or name).strip().splitlines()
    parser = argparse.ArgumentParser(prog=name, description=lines[0],
                                     epilog='\n'.join(lines[1:]).strip() or None,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--seed', type=int, default=0, help='seed of random and NumPy (default 0)')
    parser.add_argument('--quick', action='store_true', help='a short run, as CI checks it')
    parser.add_argument('--out', default=os.path.join('out', name),
                        help=f'folder for the figures and metrics.json (default out/{name})')
    parser.set_defaults(example=name)
    return parser


def parse(parser, argv=None):
    """Parse ``argv``, seed the global RNGs with ``--seed`` and create the output folder."""
    args = parser.parse_args(argv)
    random.seed(args.seed)
    np.random.seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    return args


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
        if window:
            line, = ax.plot(x, values, alpha=0.3, linewidth=0.8)
            ax.plot(x, moving_average(values, window), color=line.get_color(),
                    label=f'{label} (mean of {window})')
        else:
            ax.plot(x, values, label=label)
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
