"""``python -m dezero`` prints what a bug report needs, with or without the optional packages."""
import importlib.metadata
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import dezero
from blocked_imports import env_without

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPTIONAL = ('cupy', 'cupyx', 'threadpoolctl', 'matplotlib', 'PIL', 'gymnasium', 'tqdm', 'mpi4py', 'IPython')


def run_selfcheck(env):
    env = dict(env, PYTHONPATH=os.pathsep.join(p for p in (env.get('PYTHONPATH'), ROOT) if p))
    result = subprocess.run([sys.executable, '-W', 'error', '-m', 'dezero'], capture_output=True, text=True,
                            env=env, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ''
    return result.stdout


def test_selfcheck_reports_versions_blas_gpu_graphviz_data_and_extras(tmp_path):
    home = tmp_path / 'home'
    (home / 'sub').mkdir(parents=True)
    (home / 't10k-labels-idx1-ubyte.gz').write_bytes(b'x' * 2048)
    (home / 'sub' / 'vgg16.npz').write_bytes(b'y' * 10)
    out = run_selfcheck(dict(os.environ, DEZERO_HOME=str(home)))
    lines = out.splitlines()
    assert lines[0] == f'dezero: {dezero.__version__} ({os.path.join(ROOT, "dezero")})'
    assert lines[1].startswith(f'Python: {sys.version.split()[0]} (')
    assert f'NumPy: {np.__version__}' in lines
    assert re.search(r'^BLAS: \S', out, re.M)
    assert re.search(r'^CuPy: ', out, re.M)
    assert re.search(r'^Graphviz dot: ', out, re.M)
    assert f'data folder: {home} (DEZERO_HOME)' in lines
    assert '  2 files, 2.0 KB:' in lines
    assert '  t10k-labels-idx1-ubyte.gz (2.0 KB)' in lines
    assert f'  {os.path.join("sub", "vgg16.npz")} (10 B)' in lines
    try:
        requires = importlib.metadata.requires('dezero')
    except importlib.metadata.PackageNotFoundError:      # run from a checkout that was never installed
        assert 'optional extras: unknown, dezero is not installed as a package' in out
    else:
        assert 'optional extras (pip install -e ".[name]"):' in lines
        extras = {m.group(1) for m in map(re.compile(r'extra == "([^"]+)"').search, requires) if m}
        for extra in extras - {'all'}:
            assert any(line.startswith(f'  {extra} ') for line in lines), extra
        assert f'pytest {pytest.__version__}' in out      # the test extra, installed here


def test_selfcheck_needs_numpy_only(tmp_path):
    env = env_without(tmp_path / 'block', OPTIONAL)
    env.update(DEZERO_HOME=str(tmp_path / 'no-such-folder'), PATH=str(tmp_path / 'empty'))
    out = run_selfcheck(env)
    assert 'CuPy: not installed (GPU support: pip install -e ".[gpu]")' in out
    assert '  loaded now: unknown (pip install threadpoolctl to see the library and its threads)' in out
    assert 'Graphviz dot: not found on PATH' in out
    assert '  does not exist yet: it is created at the first download' in out


def test_blocked_imports_really_block(tmp_path):
    env = env_without(tmp_path / 'block', ['numpy'])
    result = subprocess.run([sys.executable, '-c', 'import numpy.linalg'], capture_output=True, text=True,
                            env=env)
    assert result.returncode == 1 and "ModuleNotFoundError: No module named 'numpy'" in result.stderr
