"""``python -m dezero``: print what a bug report needs about this installation.

dezero, Python and NumPy versions; the BLAS NumPy was built with (``numpy.show_config``) and, when
threadpoolctl is installed, the one actually loaded; CuPy and the GPUs it sees; Graphviz's ``dot``;
the data folder (``DEZERO_HOME`` or ``~/.dezero``) and what is cached there; the optional extras.
Needs NumPy only: every other package is looked up, and reported missing when absent.
"""
import importlib.metadata
import os
import platform
import re
import shutil
import subprocess
import sys
import warnings

import numpy as np

import dezero
from dezero import utils

THREAD_VARIABLES = ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS')


def _size(n):
    for unit in ('B', 'KB', 'MB', 'GB'):
        if n < 1024 or unit == 'GB':
            return f'{n:.0f} {unit}' if unit == 'B' else f'{n:.1f} {unit}'
        n /= 1024


def blas_lines():
    """The BLAS of NumPy's build and, with threadpoolctl, the library loaded now and its threads."""
    try:
        cfg = np.show_config(mode='dicts')['Build Dependencies']['blas']
        lines = [f"BLAS: {cfg.get('name', '?')} {cfg.get('version', '')}".rstrip()
                 + ' (as NumPy was built: numpy.show_config)']
    except Exception:          # NumPy < 1.25 has no mode='dicts'
        lines = ['BLAS: this NumPy does not report it as data; python -c "import numpy; numpy.show_config()" '
                 'prints its build configuration']
    try:
        import threadpoolctl
    except ImportError:
        lines.append('  loaded now: unknown (pip install threadpoolctl to see the library and its threads)')
    else:
        blas = [i for i in threadpoolctl.threadpool_info() if i.get('user_api') == 'blas']
        for i in blas:
            lines.append(f"  loaded now: {i.get('internal_api')} {i.get('version')}, threads: "
                         f"{i.get('num_threads')}, {i.get('filepath')} (threadpoolctl)")
        if not blas:
            lines.append('  loaded now: no BLAS library found by threadpoolctl')
    env = [f'{v}={os.environ[v]}' for v in THREAD_VARIABLES if v in os.environ]
    lines.append('  thread variables: ' + (', '.join(env) if env else 'none set'))
    return lines


def cupy_lines():
    """CuPy's version, the CUDA runtime and driver, and each GPU it sees."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            import cupy
    except ImportError:
        return ['CuPy: not installed (GPU support: pip install -e ".[gpu]")']
    except Exception as e:
        return [f'CuPy: installed, but importing it fails: {type(e).__name__}: {e}']
    lines = [f'CuPy: {cupy.__version__}']
    try:
        rt = cupy.cuda.runtime
        lines.append(f'  CUDA runtime {rt.runtimeGetVersion()}, driver {rt.driverGetVersion()}')
        count = rt.getDeviceCount()
        for i in range(count):
            props = rt.getDeviceProperties(i)
            name = props['name'].decode() if isinstance(props['name'], bytes) else props['name']
            lines.append(f"  GPU {i}: {name}, {_size(props['totalGlobalMem'])}")
        if not count:
            lines.append('  GPUs: none visible')
    except Exception as e:
        lines.append(f'  GPUs: none visible ({type(e).__name__}: {e})')
    return lines


def graphviz_line():
    dot = shutil.which('dot')
    if dot is None:
        return 'Graphviz dot: not found on PATH (graph images cannot be drawn; see docs/faq.md)'
    try:
        result = subprocess.run([dot, '-V'], capture_output=True, text=True, timeout=10, check=False)
        version = (result.stderr or result.stdout).strip()
    except (OSError, subprocess.TimeoutExpired) as e:
        version = f'does not run: {e}'
    return f'Graphviz dot: {dot} ({version})'


def data_lines(limit=20):
    """The download folder, where its path comes from, and the files in it with their sizes."""
    folder = utils.get_cache_dir()
    origin = 'DEZERO_HOME' if os.environ.get('DEZERO_HOME') else 'default; set DEZERO_HOME to change it'
    lines = [f'data folder: {folder} ({origin})']
    if not os.path.isdir(folder):
        return lines + ['  does not exist yet: it is created at the first download']
    files = []
    for root, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            files.append((os.path.relpath(path, folder), os.path.getsize(path)))
    files.sort()
    lines.append(f'  {len(files)} files, {_size(sum(s for _, s in files))}' + (':' if files else ''))
    lines += [f'  {name} ({_size(size)})' for name, size in files[:limit]]
    if len(files) > limit:
        lines.append(f'  ... and {len(files) - limit} more')
    return lines


def _version(dist):
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def extras_lines():
    """Each extra of the installed dezero package and which of its packages are installed."""
    try:
        requires = importlib.metadata.requires('dezero') or []
    except importlib.metadata.PackageNotFoundError:
        return ['optional extras: unknown, dezero is not installed as a package (pip install -e . '
                'in the repository lists them)']
    extras = {}
    for req in requires:
        extra = re.search(r'extra\s*==\s*[\'"]([^\'"]+)', req)
        if extra and extra.group(1) != 'all':
            extras.setdefault(extra.group(1), []).append(re.match(r'[A-Za-z0-9._-]+', req).group(0))
    lines = ['optional extras (pip install -e ".[name]"):']
    width = max(map(len, extras), default=0)
    for extra, dists in extras.items():
        found = [(d, _version(d)) for d in dists]
        n = sum(v is not None for _, v in found)
        state = 'installed' if n == len(found) else ('not installed' if n == 0 else 'partly installed')
        listed = ', '.join(f'{d} {v}' if v else f'{d} missing' for d, v in found)
        lines.append(f'  {extra.ljust(width)}  {state}: {listed}')
    return lines


def report():
    """The whole report, as a list of lines."""
    lines = [f'dezero: {dezero.__version__} ({os.path.dirname(os.path.abspath(dezero.__file__))})',
             f'Python: {platform.python_version()} ({platform.python_implementation()}, {sys.executable})',
             f'platform: {platform.platform()}',
             f'NumPy: {np.__version__}']
    for section in (blas_lines, cupy_lines, lambda: [graphviz_line()], data_lines, extras_lines):
        try:
            lines += section()
        except Exception as e:      # one broken section must not hide the others
            lines.append(f'({section.__name__} failed: {type(e).__name__}: {e})')
    return lines


def main():
    print('\n'.join(report()))


if __name__ == '__main__':
    main()
