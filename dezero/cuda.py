"""The one place where NumPy and CuPy differ.

CuPy is optional and imported lazily: ``import dezero`` never imports it.
A CuPy array can only exist if the user already imported CuPy, so recognising
one needs no import at all (see :func:`is_cupy_array`).

This module imports no other dezero module. Its functions also accept a Variable
(recognised by the ``_is_variable`` marker every Variable has) and use its array.
"""
from __future__ import annotations

import sys
import types

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


def is_cupy_array(x: object) -> bool:
    """True for a ``cupy.ndarray``, without importing CuPy."""
    cp = sys.modules.get('cupy')
    return cp is not None and isinstance(x, cp.ndarray)


def is_array(x: object) -> bool:
    """True for a NumPy or CuPy ndarray."""
    return isinstance(x, np.ndarray) or is_cupy_array(x)


def unwrap(x: object) -> object:
    """The array inside a Variable, or ``x`` itself for anything else.

    Example:
        >>> unwrap(np.ones(2))
        array([1., 1.])
    """
    return x.data if getattr(x, '_is_variable', False) else x


def get_array_module(x: object) -> types.ModuleType:
    """Return ``numpy`` or ``cupy``, whichever module ``x`` (an array or a Variable) belongs to."""
    if x.__class__ is np.ndarray:
        return np
    x = unwrap(x)
    return sys.modules['cupy'] if is_cupy_array(x) else np


def as_numpy(x: object) -> np.ndarray:
    """Return ``x`` (array, scalar or Variable) as a NumPy array, copying it to the host if needed."""
    x = unwrap(x)
    if np.isscalar(x):
        return np.array(x)
    if isinstance(x, np.ndarray):
        return x
    if is_cupy_array(x):
        return x.get()
    return np.asarray(x)


def as_cupy(x: object) -> object:
    """Return ``x`` (array or Variable) as a CuPy array on the current device."""
    x = unwrap(x)
    cp = _load_cupy()
    if not cp:
        raise RuntimeError('CuPy cannot be loaded. Install CuPy for your CUDA version, '
                           "e.g. pip install 'dezero[gpu]' or pip install cupy-cuda12x")
    return cp.asarray(x)


def device_name(x: object) -> str:
    """Where array ``x`` lives, for error messages: ``'CPU'`` or ``'GPU <id>'``.

    A GPU array is recognised by its ``device.id`` (CuPy's ``cupy.cuda.Device``); NumPy 2's
    ``ndarray.device`` is the string ``'cpu'``, which has none.

    Example:
        >>> device_name(np.zeros(3))
        'CPU'
    """
    device_id = getattr(getattr(unwrap(x), 'device', None), 'id', None)
    return 'CPU' if device_id is None else f'GPU {device_id}'


def check_same_device(*arrays: object, name: str = 'function', state: dict | None = None) -> None:
    """Raise TypeError naming the devices if the arrays (or Variables) are not all on one device.

    ``arrays`` are a function's inputs (reported as ``input 0``, ``input 1``...); ``state`` is an
    optional dict of other arrays it uses, such as ``vars(f)`` for a Function f (entries that are
    not arrays are ignored). Meant for the error path: call it when an operation failed.

    Example:
        >>> check_same_device(np.zeros(2), np.ones(3), name='Add')    # one device: no error
    """
    named = [(f'input {i}', unwrap(a)) for i, a in enumerate(arrays)]
    named += [(key, unwrap(value)) for key, value in (state or {}).items()]
    places = {}
    for label, a in named:
        if is_array(a):
            places.setdefault(device_name(a), (label, a))
    if len(places) > 1:
        where = ', '.join(f'{label} ({a.dtype} array of shape {a.shape}) is on {device}'
                          for device, (label, a) in places.items())
        raise TypeError(f'{name}: arrays on different devices: {where}. Put them on one device first: '
                        'Variable.to_gpu() / to_cpu(), Layer.to_gpu(), DataLoader(..., gpu=True), '
                        'or dezero.cuda.as_cupy() / as_numpy()')


def scatter_add(a: object, indices: object, values: object) -> None:
    """``a[indices] += values`` with repeated indices accumulated, in place, on either device.

    ``xp.add.at`` exists in NumPy and in recent CuPy (14 has it); older CuPy has
    ``cupyx.scatter_add`` (the original's ``cupy.scatter_add`` was removed in CuPy 8). On the GPU,
    NumPy index arrays are copied to the device first.
    """
    if not is_cupy_array(a):
        np.add.at(a, indices, values)
        return a
    cp = sys.modules['cupy']
    if isinstance(indices, tuple):
        indices = tuple(cp.asarray(i) if isinstance(i, np.ndarray) else i for i in indices)
    elif isinstance(indices, np.ndarray):
        indices = cp.asarray(indices)
    if hasattr(cp.add, 'at'):
        cp.add.at(a, indices, values)
    else:
        import cupyx
        cupyx.scatter_add(a, indices, values)
    return a
