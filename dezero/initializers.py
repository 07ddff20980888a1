"""Weight initialisers for ``Linear``, ``Conv2d`` and ``Deconv2d`` (their ``init=`` option).

Every initialiser draws from ``xp.random.randn`` (the global NumPy or CuPy RNG, as the
book does) and scales the draw in the layer's dtype, so float32 weights stay float32
under NumPy 1 and 2 and hold the same bits under both.

Names, with ``n = fan_in`` (the inputs feeding one output unit):

* ``'xavier'``: std sqrt(1/n), the book's "Xavier" (the simplified form Caffe uses).
  It is also the layers' default, the original DeZero's formula.
* ``'he'``: std sqrt(2/n), for ReLU networks.
* ``'normal'``: std 0.01, the book's ``weight_init_std``.
* ``'glorot'``: std sqrt(2/(fan_in + fan_out)), the form of Glorot and Bengio's paper.

A callable works too: it is called as ``init(shape, fan_in, fan_out)`` and returns an
array of that shape, which the layer casts to its dtype and moves to its device.
"""
from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np

from dezero import cuda

if TYPE_CHECKING:
    from numpy.typing import DTypeLike

    from dezero.typing import Initializer


def _scaled_randn(shape, scale, dtype, xp):
    # Cast first, then scale in dtype: bit-identical to the original under NumPy 1
    # (which multiplied by the float64 scalar in float32) and float32 under NumPy 2.
    return xp.random.randn(*shape).astype(dtype) * np.dtype(dtype).type(scale)


def xavier(shape: tuple[int, ...], fan_in: int, fan_out: int, dtype: DTypeLike = np.float32,
           xp: ModuleType = np) -> np.ndarray:
    """Normal with std sqrt(1 / fan_in): the book's Xavier and the original default."""
    return _scaled_randn(shape, np.sqrt(1 / fan_in), dtype, xp)


def he(shape: tuple[int, ...], fan_in: int, fan_out: int, dtype: DTypeLike = np.float32,
       xp: ModuleType = np) -> np.ndarray:
    """Normal with std sqrt(2 / fan_in), suited to ReLU."""
    return _scaled_randn(shape, np.sqrt(2 / fan_in), dtype, xp)


def normal(shape: tuple[int, ...], fan_in: int, fan_out: int, dtype: DTypeLike = np.float32,
           xp: ModuleType = np) -> np.ndarray:
    """Normal with std 0.01."""
    return _scaled_randn(shape, 0.01, dtype, xp)


def glorot(shape: tuple[int, ...], fan_in: int, fan_out: int, dtype: DTypeLike = np.float32,
           xp: ModuleType = np) -> np.ndarray:
    """Normal with std sqrt(2 / (fan_in + fan_out))."""
    return _scaled_randn(shape, np.sqrt(2 / (fan_in + fan_out)), dtype, xp)


INITIALIZERS = {'xavier': xavier, 'he': he, 'normal': normal, 'glorot': glorot}


def initialize(init: Initializer, shape: tuple[int, ...], fan_in: int, fan_out: int,
               dtype: DTypeLike = np.float32, xp: ModuleType = np) -> np.ndarray:
    """An initial weight array of ``shape`` from ``init`` (None, a name or a callable)."""
    if init is None:
        return xavier(shape, fan_in, fan_out, dtype, xp)
    if isinstance(init, str):
        if init not in INITIALIZERS:
            raise ValueError(f"unknown init {init!r}: use one of {sorted(INITIALIZERS)} or a callable")
        return INITIALIZERS[init](shape, fan_in, fan_out, dtype, xp)
    if not callable(init):
        raise TypeError(f'init must be None, a name or a callable, got {type(init).__name__}')
    W = init(tuple(shape), fan_in, fan_out)
    if tuple(W.shape) != tuple(shape):
        raise ValueError(f'init returned an array of shape {tuple(W.shape)}, expected {tuple(shape)}')
    return (cuda.as_cupy(W) if xp is not np else cuda.as_numpy(W)).astype(dtype)
