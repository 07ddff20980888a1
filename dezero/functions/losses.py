"""Losses and metrics: mean squared / absolute error, Huber, softmax, sigmoid and binary cross
entropy, and accuracy.

As in the book, a loss sums over all elements and divides by the batch size N = len(x) (1 for a
0-d input), except ``softmax_cross_entropy``, which averages over the labels. Regression losses
refuse operands whose shapes differ (broadcasting would compare the wrong pairs).
"""
from __future__ import annotations

from typing import TYPE_CHECKING
import builtins

import numpy as np

from dezero import cuda
from dezero.arrays import scalar
from dezero.engine import Constant, Function, Variable, as_array, as_variable
from dezero.functions.activations import log_softmax_array, softmax, softplus
from dezero.functions.elementwise import abs, clip, log
from dezero.functions.reductions import sum
from dezero.functions.shape import _label_index, reshape

if TYPE_CHECKING:
    from dezero.typing import Operand


def _batch_size(x):
    """len(x), or 1 for a 0-d array: the divisor of the book's losses."""
    return x.shape[0] if x.ndim else 1


def _divide(total, n):
    """``total / n`` keeping a float32 total float32 (NumPy 1 promotes float32 scalar / int)."""
    return total / (total.dtype.type(n) if total.dtype.kind == 'f' else n)


def _same_shape(name, x0, x1):
    """(x0, x1) with x1 reshaped to x0's shape when they differ only by axes of length 1.

    (1, 1) against (1,) pairs the same elements and is accepted (the book's step 59 does it);
    (3, 1) against (3,) would broadcast to a (3, 3) difference and is an error.
    """
    x0, x1 = as_variable(x0), as_variable(x1)
    if x0.shape == x1.shape:
        return x0, x1
    try:
        size = int(np.prod(np.broadcast_shapes(x0.shape, x1.shape)))
    except ValueError:
        size = -1
    if size == x0.size == x1.size:
        return x0, reshape(x1, x0.shape)
    raise ValueError(f'{name}: the inputs have shapes {x0.shape} and {x1.shape}, which must be '
                     'equal; broadcasting would compare the wrong pairs (e.g. (3, 1) against (3,) '
                     'gives a (3, 3) difference). Reshape one of them first.')


# =============================================================================
# Regression: mean_squared_error / mean_absolute_error / huber_loss
# =============================================================================
def mean_squared_error_simple(x0: Operand, x1: Operand) -> Variable:
    """sum((x0 - x1)^2) / N, written with Variable arithmetic; the shapes must be equal."""
    x0, x1 = _same_shape('mean_squared_error_simple', x0, x1)
    diff = x0 - x1
    return sum(diff ** 2) / _batch_size(diff)


class MeanSquaredError(Function):
    keep_inputs = (0, 1)

    def forward(self, x0, x1):
        diff = x0 - x1
        return _divide((diff * diff).sum(), _batch_size(diff))

    def backward(self, gy):
        return tuple(MeanSquaredErrorGrad()(*self.inputs, gy))


class MeanSquaredErrorGrad(Function):
    """The gradients (g, -g) of mean_squared_error, g = gy (x0 - x1) 2 / N, as one node."""
    keep_inputs = (0, 1, 2)

    def forward(self, x0, x1, gy):
        g = (x0 - x1) * (gy * scalar(gy, 2 / _batch_size(x0)))
        return g, -g

    def backward(self, gg0, gg1):
        x0, x1, gy = self.inputs
        gg = gg0 if gg1 is None else -gg1 if gg0 is None else gg0 - gg1   # the gradient of g
        scale = 2 / _batch_size(x0)
        g_x0 = gg * gy * scale
        return g_x0, -g_x0, sum(gg * (x0 - x1)) * scale


def mean_squared_error(x0: Operand, x1: Operand) -> Variable:
    """sum((x0 - x1)^2) / N, with N the batch size (the first axis), as in the book.

    The shapes must be equal: (3, 1) against (3,) raises ValueError instead of silently
    averaging a broadcast (3, 3) difference.
    """
    return MeanSquaredError()(*_same_shape('mean_squared_error', x0, x1))


def mean_absolute_error(x0: Operand, x1: Operand) -> Variable:
    """sum(|x0 - x1|) / N, with N the batch size; the shapes must be equal."""
    x0, x1 = _same_shape('mean_absolute_error', x0, x1)
    diff = x0 - x1
    return sum(abs(diff)) / _batch_size(diff)


class HuberLoss(Function):
    keep_inputs = (0, 1)

    def __init__(self, delta):
        self.delta = delta

    def forward(self, x0, x1):
        xp = cuda.get_array_module(x0)
        d = x0 - x1
        a = xp.abs(d)
        half, delta = d.dtype.type(0.5), d.dtype.type(self.delta)
        loss = xp.where(a <= delta, half * d * d, delta * (a - half * delta))
        return _divide(loss.sum(), _batch_size(d))

    def backward(self, gy):
        x0, x1 = self.inputs
        g = clip(x0 - x1, -self.delta, self.delta) * (gy / _batch_size(x0))
        return g, -g


def huber_loss(x0: Operand, x1: Operand, delta: float = 1.0) -> Variable:
    """Huber loss summed over the elements and divided by N: d^2 / 2 where |d| <= delta,
    delta * (|d| - delta / 2) elsewhere, with d = x0 - x1; the shapes must be equal."""
    if not delta > 0:
        raise ValueError(f'huber_loss: delta must be positive, got {delta}')
    return HuberLoss(delta)(*_same_shape('huber_loss', x0, x1))


# =============================================================================
# Classification: softmax_cross_entropy / sigmoid_cross_entropy / binary_cross_entropy
# =============================================================================
class SoftmaxCrossEntropy(Function):
    """Mean over the labels of -log softmax(x)[t]; the class axis is 1."""
    keep_inputs = (0, 1)

    def forward(self, x, t):
        t = _label_index('softmax_cross_entropy', x, t)
        log_p = cuda.get_array_module(x).take_along_axis(log_softmax_array(x, 1), t, axis=1)
        return _divide(-log_p.sum(), t.size)

    def backward(self, gy):
        x, t = self.inputs
        xp = cuda.get_array_module(x.data)
        t = t.data.reshape((x.shape[0], 1) + x.shape[2:])
        classes = xp.arange(x.shape[1]).reshape((1, -1) + (1,) * (x.ndim - 2))
        onehot = (classes == t).astype(x.dtype)
        return (softmax(x, axis=1) - onehot) * (gy / t.size), None


def softmax_cross_entropy(x: Operand, t: Operand) -> Variable:
    """Cross entropy of softmax(x) (class axis 1) against integer labels ``t``.

    x is (N, C) with t of shape (N,) or (N, 1), or x is (N, C, d1, ...) with t of shape
    (N, d1, ...). The loss is averaged over the labels (over N for 2-D x). A label outside
    [0, C) is an error.
    """
    return SoftmaxCrossEntropy()(x, t)


def softmax_cross_entropy_simple(x: Operand, t: Operand) -> Variable:
    """The same loss written with softmax, clip, log and indexing (probabilities clipped at 1e-15)."""
    x, t = as_variable(x), as_variable(t)
    t = _label_index('softmax_cross_entropy_simple', x, t.data)
    if x.ndim != 2:
        raise ValueError(f'softmax_cross_entropy_simple: x must be (N, C), got {x.shape}')
    N = x.shape[0]
    p = clip(softmax(x), 1e-15, 1.0)
    tlog_p = log(p)[cuda.get_array_module(x.data).arange(N), t.ravel()]
    return -1 * sum(tlog_p) / N


def _binary_targets(name, x, t):
    """Targets reshaped to x's shape when the ndims differ (as the original), then checked and
    given x's float dtype (labels are constants)."""
    x, t = as_variable(x), as_variable(t)
    if x.ndim != t.ndim and t.size == x.size:
        t = reshape(t, x.shape)
    x, t = _same_shape(name, x, t)
    if t.dtype.kind not in 'fc':
        t = Constant(t.data.astype(x.dtype if x.dtype.kind in 'fc' else np.float64))
    return x, t


def sigmoid_cross_entropy(x: Operand, t: Operand) -> Variable:
    """Binary cross entropy of sigmoid(x) against targets t in [0, 1], summed and divided by N.

    Computed as softplus(x) - t * x, which stays finite however large |x| is.
    Labels of shape (N,) are reshaped to logits of shape (N, 1).
    """
    x, t = _binary_targets('sigmoid_cross_entropy', x, t)
    return sum(softplus(x) - t * x) / _batch_size(x)


def binary_cross_entropy(p: Operand, t: Operand) -> Variable:
    """Cross entropy of probabilities p (in [0, 1]) against targets t, summed and divided by N.

    p is clipped to [eps, 1 - eps] with eps = max(1e-15, machine epsilon of p's dtype),
    so log(0) never happens, in float32 too. A p outside [0, 1] is an error.
    """
    p, t = _binary_targets('binary_cross_entropy', p, t)
    if p.size and not (float(p.data.min()) >= 0 and float(p.data.max()) <= 1):
        raise ValueError(f'binary_cross_entropy: p must be probabilities in [0, 1], got values in '
                         f'[{float(p.data.min())}, {float(p.data.max())}] (for logits use '
                         'sigmoid_cross_entropy)')
    eps = 1e-15
    if p.dtype.kind == 'f':
        eps = builtins.max(eps, float(np.finfo(p.dtype).eps))
    p = clip(p, eps, 1 - eps)
    return -sum(t * log(p) + (1 - t) * log(1 - p)) / _batch_size(p)


# =============================================================================
# accuracy
# =============================================================================
def accuracy(y: Operand, t: Operand) -> Variable:
    """Fraction of rows whose argmax over axis 1 equals the label; a float64 0-d Variable, no graph.

    ``y`` is (N, C) scores and ``t`` the N integer labels (Variables, arrays or lists).
    """
    y = y.data if isinstance(y, Variable) else y if cuda.is_array(y) else np.asarray(y)
    t = t.data if isinstance(t, Variable) else t if cuda.is_array(t) else np.asarray(t)
    if y.ndim < 2 or t.size * y.shape[1] != y.size:
        raise ValueError(f'accuracy: y must be scores of shape (N, C, ...) and t the labels of shape '
                         f'(N, ...); got y of shape '
                         f'{y.shape} and t of shape {t.shape}')
    pred = y.argmax(axis=1).reshape(t.shape)
    return Variable(as_array((pred == t).mean()))
