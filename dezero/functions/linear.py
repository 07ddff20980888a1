"""Linear algebra and connections: matmul, linear, linear_simple and embed_id."""
import numpy as np

from dezero import cuda
from dezero.arrays import add_bias
from dezero.engine import Constant, Function, Variable, as_constant, as_variable
from dezero.functions.shape import get_item, reshape, sum_to, transpose


class MatMul(Function):
    """``np.matmul``: 2-D matrix products and batched N-D ones with broadcasting."""
    keep_inputs = (0, 1)

    def forward(self, x, W):
        return cuda.get_array_module(x).matmul(x, W)

    def backward(self, gy):
        x, W = self.inputs
        if x.ndim == 2 and W.ndim == 2:
            return matmul(gy, W.T), matmul(x.T, gy)
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


def matmul(x, W):
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
        gx = None if x.__class__ is Constant else matmul(gy, W.T)
        gW = None
        if W.__class__ is not Constant:
            x2 = x if x.ndim == 2 else reshape(x, (-1, x.shape[-1]))
            gy2 = gy if gy.ndim == 2 else reshape(gy, (-1, gy.shape[-1]))
            gW = matmul(x2.T, gy2)
        if len(self.inputs) == 2:
            return gx, gW
        b = self.inputs[2]
        return gx, gW, None if b.__class__ is Constant else sum_to(gy, b.shape)


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
    if b is not None:
        y_shape = x.shape[:-1] + W.shape[1:]
        try:
            ok = np.broadcast_shapes(y_shape, b.shape) == y_shape
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f'{name}: b of shape {b.shape} does not broadcast to the output shape '
                             f'{y_shape}; it should be ({W.shape[1]},)')


def linear(x, W, b=None):
    """``x @ W + b`` (b may be None); x may have leading batch axes."""
    x, W = _operand(x), _operand(W)
    b = None if _no_bias(b) else _operand(b)
    check_linear('linear', x, W, b)
    return Linear()(x, W) if b is None else Linear()(x, W, b)


def linear_simple(x, W, b=None):
    """``linear`` built from matmul and add."""
    x, W = as_variable(x), as_variable(W)
    check_linear('linear_simple', x, W)
    t = matmul(x, W)
    return t if _no_bias(b) else t + b


def embed_id(x, W):
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
