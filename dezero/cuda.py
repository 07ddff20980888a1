"""The one place where NumPy and CuPy differ.

CuPy is optional and imported lazily: ``import dezero`` never imports it.
A CuPy array can only exist if the user already imported CuPy, so recognising
one needs no import at all (see :func:`is_cupy_array`).
"""
import sys

import numpy as np

_cupy = None          # the CuPy module once loaded, False if it cannot be imported


def _load_cupy():
    global _cupy
    if _cupy is None:
        try:
            import cupy
            _cupy = cupy
        except Exception:   # ImportError, or a broken CUDA install raising at import
            _cupy = False
    return _cupy


def __getattr__(name):
    """Lazy module attributes of the original: ``gpu_enable``, ``cupy`` and ``cp``."""
    if name == 'gpu_enable':
        return bool(_load_cupy())
    if name in ('cupy', 'cp'):
        cp = _load_cupy()
        if cp:
            return cp
    raise AttributeError(f"module 'dezero.cuda' has no attribute {name!r}")


def is_cupy_array(x):
    """True for a ``cupy.ndarray``, without importing CuPy."""
    cp = sys.modules.get('cupy')
    return cp is not None and isinstance(x, cp.ndarray)


def is_array(x):
    """True for a NumPy or CuPy ndarray."""
    return isinstance(x, np.ndarray) or is_cupy_array(x)


def _unwrap(x):
    from dezero.core import Variable
    return x.data if isinstance(x, Variable) else x


def get_array_module(x):
    """Return ``numpy`` or ``cupy``, whichever module ``x`` (an array or a Variable) belongs to."""
    if x.__class__ is np.ndarray:
        return np
    x = _unwrap(x)
    return sys.modules['cupy'] if is_cupy_array(x) else np


def as_numpy(x):
    """Return ``x`` (array, scalar or Variable) as a NumPy array, copying it to the host if needed."""
    x = _unwrap(x)
    if np.isscalar(x):
        return np.array(x)
    if isinstance(x, np.ndarray):
        return x
    if is_cupy_array(x):
        return x.get()
    return np.asarray(x)


def as_cupy(x):
    """Return ``x`` (array or Variable) as a CuPy array on the current device."""
    x = _unwrap(x)
    cp = _load_cupy()
    if not cp:
        raise RuntimeError('CuPy cannot be loaded. Install CuPy for your CUDA version, '
                           "e.g. pip install 'dezero[gpu]' or pip install cupy-cuda12x")
    return cp.asarray(x)


def device_name(x):
    """A short description of where array ``x`` lives, for error messages."""
    if is_cupy_array(x):
        return f'GPU {x.device.id}'
    return 'CPU'


def scatter_add(a, indices, values):
    """``a[indices] += values`` with repeated indices accumulated, in place, on either device.

    ``xp.add.at`` exists in NumPy and in CuPy >= 8 (the original's ``cupy.scatter_add`` was removed).
    """
    get_array_module(a).add.at(a, indices, values)
    return a
