"""Linear algebra and connections: matmul, linear, linear_simple and embed_id."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from dezero import cuda
from dezero.arrays import add_bias, sum_to as sum_to_array
from dezero.engine import Constant, Function, Variable, as_constant, as_variable
from dezero.functions.shape import broadcast_to, get_item, reshape, sum_to, transpose

if TYPE_CHECKING:
    from dezero.typing import Operand


class MatMul(Function):
    """``np.matmul``: 2-D matrix products and batched N-D ones with broadcasting."""
    keep_inputs = (0, 1)

    def forward(self, x, W):
        return cuda.get_array_module(x).matmul(x, W)

    def backward(self, gy):
        x, W = self.inputs
        if x.ndim == 2 and W.ndim == 2:
            return _linear_grads(x, W, None, gy)
        xm = x if x.ndim > 1 else reshape(x, (1,) + x.shape)      # vectors as matrices,
        Wm = W if W.ndim > 1 else reshape(W, W.shape + (1,))      # as np.matmul treats them
        batch = np.broadcast_shapes(xm.shape[:-2], Wm.shape[:-2])
        gy = reshape(gy, batch + (xm.shape[-2], Wm.shape[-1]))
        gx = sum_to(matmul(gy, _swap_last(Wm)), xm.shape)
        gW = sum_to(matmul(_swap_last(xm), gy), Wm.shape)
        return reshape(gx, x.shape), reshape(gW, W.shape)


def _swap_last(x):
    axes = list(range(x.ndim))
    axes[-2], axes[-1] = axes[-1], axes[-2]
    return transpose(x, axes)


def matmul(x: Operand, W: Operand) -> Variable:
    """Matrix product ``x @ W`` with NumPy's rules for vectors and batches."""
    x, W = as_variable(x), as_variable(W)
    inner_W = W.shape[0] if W.ndim == 1 else W.shape[-2] if W.ndim else None
    ok = x.ndim >= 1 and W.ndim >= 1 and x.shape[-1] == inner_W
    if ok and (x.ndim > 2 or W.ndim > 2):
        try:
            np.broadcast_shapes(x.shape[:-2], W.shape[:-2])
        except ValueError:
            ok = False
    if not ok:
        raise ValueError(f'matmul: x of shape {x.shape} cannot be multiplied by W of shape {W.shape} '
                         '(the last axis of x must match the second-to-last axis of W, and batch '
                         'axes must broadcast; 0-d operands are not allowed)')
    return MatMul()(x, W)


class Linear(Function):
    """``x @ W + b`` for x of shape (..., in), W of shape (in, out) and an optional bias.

    An operand given as an array (a Constant, e.g. the input batch) gets no gradient, which
    saves the largest product of the first layer's backward.
    """
    keep_inputs = (0, 1)

    def forward(self, x, W, b=None):
        y = cuda.get_array_module(x).matmul(x, W)
        return y if b is None else add_bias(y, b)

    def backward(self, gy):
        x, W = self.inputs[:2]
        return _linear_grads(x, W, self.inputs[2] if len(self.inputs) == 3 else None, gy)


def _linear_grads(x, W, b, gy):
    """(gx, gW) or (gx, gW, gb) of ``x @ W + b`` from one LinearGrad node (None for Constants)."""
    wanted = [v is not None and v.__class__ is not Constant for v in (x, W, b)]
    f = LinearGrad(wanted[0], wanted[1], b.shape if wanted[2] else None)
    gs = f(x, W, gy) if any(wanted) else []
    gs = iter(gs if isinstance(gs, list) else [gs])
    grads = tuple(next(gs) if w else None for w in wanted)
    return grads if b is not None else grads[:2]


class LinearGrad(Function):
    """The gradients of ``x @ W + b`` given gy, as one node: gx = gy W^T, gW = x^T gy (over every
    leading axis of x) and gb = gy summed to b's shape, each only when asked for."""
    keep_inputs = (0, 1, 2)

    def __init__(self, need_x, need_W, b_shape):
        self.need_x = need_x
        self.need_W = need_W
        self.b_shape = b_shape

    def forward(self, x, W, gy):
        xp = cuda.get_array_module(gy)
        grads = []
        if self.need_x:
            grads.append(xp.matmul(gy, W.T))
        if self.need_W:
            grads.append(xp.matmul(x.reshape(-1, x.shape[-1]).T, gy.reshape(-1, gy.shape[-1])))
        if self.b_shape is not None:
            grads.append(sum_to_array(gy, self.b_shape))
        return tuple(grads) if len(grads) > 1 else grads[0]

    def backward(self, *ggs):
        x, W, gy = self.inputs
        ggs = iter(ggs)
        ggx = next(ggs) if self.need_x else None
        ggW = next(ggs) if self.need_W else None
        ggb = next(ggs) if self.b_shape is not None else None
        x2, gy2 = reshape(x, (-1, x.shape[-1])), reshape(gy, (-1, gy.shape[-1]))
        gx = gW = g_gy = None
        if ggW is not None:              # gW = x^T gy
            gx = reshape(matmul(gy2, ggW.T), x.shape)
            g_gy = reshape(matmul(x2, ggW), gy.shape)
        if ggx is not None:              # gx = gy W^T
            gW = matmul(reshape(ggx, (-1, ggx.shape[-1])).T, gy2)
            g = matmul(ggx, W)
            g_gy = g if g_gy is None else g_gy + g
        if ggb is not None:              # gb = sum_to(gy, b's shape)
            g = broadcast_to(ggb, gy.shape)
            g_gy = g if g_gy is None else g_gy + g
        return gx, gW, g_gy


def _no_bias(b):
    return b is None or (isinstance(b, Variable) and b.data is None)


def _operand(x):
    """``x`` if it is a Variable, else a Constant holding it: an array argument gets no gradient."""
    return x if isinstance(x, Variable) else as_constant(x)


def check_linear(name, x, W, b=None):
    """Raise ValueError naming ``name`` unless x (..., in) @ W (in, out) + b fits (b broadcasts to the result)."""
    if W.ndim != 2 or x.ndim < 1 or x.shape[-1] != W.shape[0]:
        raise ValueError(f'{name}: x of shape {x.shape} cannot be multiplied by W of shape {W.shape}; '
                         'W must be (in, out) with in equal to the last axis of x')
    if b is not None and b.shape != W.shape[1:]:
        y_shape = x.shape[:-1] + W.shape[1:]
        try:
            ok = np.broadcast_shapes(y_shape, b.shape) == y_shape
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f'{name}: b of shape {b.shape} does not broadcast to the output shape '
                             f'{y_shape}; it should be ({W.shape[1]},)')


def linear(x: Operand, W: Operand, b: Operand | None = None) -> Variable:
    """``x @ W + b`` (b may be None); x may have leading batch axes."""
    x, W = _operand(x), _operand(W)
    b = None if _no_bias(b) else _operand(b)
    check_linear('linear', x, W, b)
    return Linear()(x, W) if b is None else Linear()(x, W, b)


def linear_simple(x: Operand, W: Operand, b: Operand | None = None) -> Variable:
    """``linear`` built from matmul and add."""
    x, W = as_variable(x), as_variable(W)
    check_linear('linear_simple', x, W)
    t = matmul(x, W)
    return t if _no_bias(b) else t + b


def embed_id(x: Operand, W: Operand) -> Variable:
    """Rows of the embedding matrix W picked by the integer ids x: ``W[x]``."""
    ids = x.data if isinstance(x, Variable) else np.asarray(x) if not cuda.is_array(x) else x
    W = as_variable(W)
    if ids.dtype.kind not in 'iu':
        raise TypeError(f'embed_id: ids x must be integers, got dtype {ids.dtype}')
    if ids.size and (int(ids.min()) < 0 or int(ids.max()) >= W.shape[0]):
        bad = int(ids.min()) if int(ids.min()) < 0 else int(ids.max())
        raise IndexError(f'embed_id: id {bad} is out of range for W with {W.shape[0]} rows '
                         f'(ids must be in [0, {W.shape[0] - 1}])')
    return get_item(W, ids)
