"""Differentiable functions, imported as ``F`` (``import dezero.functions as F``).

Each operation is a Function class with ``forward`` (arrays) and ``backward`` (Variables, so it
can be differentiated again) side by side, and the lowercase function that users call right
below it. The modules of this package hold one family each:

========================  ====================================================================
``arithmetic``            add, sub, mul, div, neg, pow, power (the Variable operators)
``elementwise``           sin, cos, tanh, exp, log, abs, sqrt, square, erf, clip, maximum, ...
``shape``                 reshape, transpose, get_item, select_item, stack, concat, split, ...
``reductions``            sum, average (mean), max, min, logsumexp
``linear``                matmul, linear, linear_simple, embed_id
``activations``           sigmoid, relu, leaky_relu, softplus, elu, gelu, softmax, log_softmax
``losses``                mean_squared_error, softmax_cross_entropy, ..., accuracy
``normalization``         batch_norm (batch_nrom), layer_norm
``noise``                 dropout
``conv``                  conv2d, deconv2d, pooling, average_pooling, im2col, col2im
``recurrent``             the fused LSTM step
``distributions``         log-probabilities and entropies of categorical and Gaussian policies
========================  ====================================================================

Importing this package installs the operators and the function-backed methods on Variable
(``setup_variable``). docs/functions.md has the table of every function.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np  # noqa: F401  (the original module exposed np, cuda and utils)

from dezero import cuda, utils  # noqa: F401
from dezero.engine import Config, Constant, Function, Variable, as_array, as_variable  # noqa: F401
from dezero.functions.activations import (  # noqa: F401
    ELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SigmoidGrad, Softmax, Softplus, elu, gelu, leaky_relu,
    log_softmax, relu, sigmoid, sigmoid_simple, softmax, softmax_simple, softplus)
from dezero.functions.arithmetic import (  # noqa: F401
    Add, Div, Mul, Neg, Pow, Power, Sub, add, div, mul, neg, pow, power, rdiv, rsub, sub)
from dezero.functions.conv import (  # noqa: F401
    AveragePooling, Col2im, Conv2d, Conv2DGradW, Deconv2d, Im2col, Pooling, Pooling2DGrad,
    Pooling2DWithIndexes, average_pooling, col2im, conv2d, conv2d_simple, deconv2d, im2col, pooling,
    pooling_simple)
from dezero.functions.distributions import (  # noqa: F401
    categorical_entropy, categorical_log_prob, gaussian_entropy, gaussian_log_prob)
from dezero.functions.elementwise import (  # noqa: F401
    Abs, Clip, Cos, Erf, Exp, Log, Maximum, Minimum, Sin, Sqrt, Square, Tanh, TanhGrad, Where, abs, clip,
    cos, erf, exp, log, maximum, minimum, sin, sqrt, square, tanh, where)
from dezero.functions.linear import Linear, MatMul, embed_id, linear, linear_simple, matmul  # noqa: F401
from dezero.functions.losses import (  # noqa: F401
    HuberLoss, MeanSquaredError, SoftmaxCrossEntropy, accuracy, binary_cross_entropy, huber_loss,
    mean_absolute_error, mean_squared_error, mean_squared_error_simple, sigmoid_cross_entropy,
    softmax_cross_entropy, softmax_cross_entropy_simple)
from dezero.functions.noise import Dropout, dropout  # noqa: F401
from dezero.functions.normalization import BatchNorm, batch_norm, batch_nrom, layer_norm  # noqa: F401
from dezero.functions.recurrent import LSTMCell, LSTMCellGrad, lstm_cell  # noqa: F401
from dezero.functions.reductions import LogSumExp, Max, Min, Sum, average, logsumexp, max, mean, min, sum  # noqa: F401
from dezero.functions.shape import (  # noqa: F401
    BroadcastTo, Concat, GetItem, GetItemGrad, Reshape, Split, Stack, SumTo, Transpose, broadcast_to,
    concat, expand_dims, flatten, get_item, reshape, select_item, split, squeeze, stack, sum_to, transpose)
from dezero.functions import arithmetic as _arithmetic

if TYPE_CHECKING:
    from dezero.typing import Axis


def _reshape_method(self: Variable, *shape: int | Sequence[int]) -> Variable:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return reshape(self, tuple(shape))


def _transpose_method(self: Variable, *axes: int | Sequence[int] | None) -> Variable:
    if len(axes) == 0:
        axes = None
    elif len(axes) == 1 and (isinstance(axes[0], (tuple, list)) or axes[0] is None):
        axes = axes[0]
    return transpose(self, axes)


def _sum_method(self: Variable, axis: Axis = None, keepdims: bool = False) -> Variable:
    return sum(self, axis, keepdims)


def _max_method(self: Variable, axis: Axis = None, keepdims: bool = False) -> Variable:
    return max(self, axis, keepdims)


def _min_method(self: Variable, axis: Axis = None, keepdims: bool = False) -> Variable:
    return min(self, axis, keepdims)


def setup_variable() -> None:
    """Install the operators and the function-backed methods on Variable (done on import)."""
    Variable.__add__ = Variable.__radd__ = add
    Variable.__mul__ = Variable.__rmul__ = mul
    Variable.__neg__ = neg
    Variable.__sub__ = sub
    Variable.__rsub__ = rsub
    Variable.__truediv__ = div
    Variable.__rtruediv__ = rdiv
    Variable.__pow__ = _arithmetic.pow_operator
    Variable.__rpow__ = _arithmetic.rpow_operator
    Variable.__getitem__ = get_item
    Variable.__matmul__ = matmul
    Variable.__rmatmul__ = lambda self, other: matmul(other, self)
    Variable.matmul = Variable.dot = matmul
    Variable.matmaul = matmul              # the PyPI release's spelling
    Variable.reshape = _reshape_method
    Variable.transpose = _transpose_method
    Variable.T = property(transpose)
    Variable.sum = _sum_method
    Variable.max = _max_method
    Variable.min = _min_method


setup_variable()
