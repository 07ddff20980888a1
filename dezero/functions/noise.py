"""Noise: dropout (inverted, the identity in test mode)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from dezero import cuda
from dezero.engine import Config, Function, as_variable

if TYPE_CHECKING:
    from dezero.engine import Variable
    from dezero.typing import Operand


class Dropout(Function):
    keep_inputs = ()

    def __init__(self, mask):
        self.mask = mask        # kept elements scaled by 1 / (1 - ratio), zeros elsewhere

    def forward(self, x):
        return x * self.mask

    def backward(self, gy):
        return gy * self.mask


def dropout(x: Operand, dropout_ratio: float = 0.5) -> Variable:
    """Inverted dropout: zero each element with probability ``dropout_ratio`` and scale the rest.

    Identity in test mode (``dezero.test_mode()``). The mask is drawn with
    ``xp.random.rand(*x.shape)``, as in the original.
    """
    x = as_variable(x)
    if not 0 <= dropout_ratio < 1:
        raise ValueError(f'dropout: dropout_ratio must be in [0, 1), got {dropout_ratio}')
    if not Config.train:
        return x
    xp = cuda.get_array_module(x.data)
    dtype = x.dtype if x.dtype.kind == 'f' else np.dtype(np.float64)
    keep = xp.asarray(xp.random.rand(*x.shape) > dropout_ratio)    # rand() of a 0-d x is a Python float
    mask = keep.astype(dtype) / dtype.type(1 - dropout_ratio)
    return Dropout(mask)(x)
