"""Activations: sigmoid, relu, leaky_relu, softplus, elu, gelu, softmax and log_softmax."""
from __future__ import annotations

from typing import TYPE_CHECKING
import math

from dezero import cuda
from dezero.arrays import float_mask, scalar
from dezero.engine import Function, as_variable
from dezero.functions.elementwise import erf, exp, tanh, where
from dezero.functions.reductions import sum

if TYPE_CHECKING:
    from dezero.engine import Variable
    from dezero.typing import Operand


def sigmoid_array(x):
    """1 / (1 + exp(-x)) on an array, as tanh(x / 2) / 2 + 1 / 2: no overflow for large |x|."""
    half = scalar(x, 0.5)
    return cuda.get_array_module(x).tanh(x * half) * half + half


def softmax_array(x, axis):
    """exp(x) / sum(exp(x)) along ``axis`` on an array, shifted by the maximum."""
    y = cuda.get_array_module(x).exp(x - x.max(axis=axis, keepdims=True))
    y /= y.sum(axis=axis, keepdims=True)
    return y


def log_softmax_array(x, axis):
    """log(softmax(x)) on an array as (x - m) - log(sum(exp(x - m))), m the maximum: the large
    terms cancel before the small one is added, so float32 keeps its precision for large x."""
    xp = cuda.get_array_module(x)
    m = x.max(axis=axis, keepdims=True)
    xm = x - xp.where(xp.isfinite(m), m, scalar(m, 0))
    return xm - xp.log(xp.exp(xm).sum(axis=axis, keepdims=True))


# =============================================================================
# sigmoid / relu / leaky_relu / softplus / elu / gelu
# =============================================================================
def sigmoid_simple(x: Operand) -> Variable:
    """1 / (1 + exp(-x)), written with Variable arithmetic."""
    x = as_variable(x)
    return 1 / (1 + exp(-x))


class Sigmoid(Function):
    keep_inputs, keep_outputs = (), (0,)

    def forward(self, x):
        return sigmoid_array(x)

    def backward(self, gy):
        y, = self.retained_outputs()
        return SigmoidGrad()(y, gy)


class SigmoidGrad(Function):
    """gy * y * (1 - y), the gradient of sigmoid from its output y, as one node."""
    keep_inputs = (0, 1)

    def forward(self, y, gy):
        return gy * y * (scalar(y, 1) - y)

    def backward(self, ggx):
        y, gy = self.inputs
        return ggx * gy * (1 - 2 * y), SigmoidGrad()(y, ggx)


def sigmoid(x: Operand) -> Variable:
    """1 / (1 + exp(-x)), computed as tanh(x / 2) / 2 + 1 / 2 so that it cannot overflow."""
    return Sigmoid()(x)


class ReLU(Function):
    keep_inputs, keep_outputs = (), (0,)

    def forward(self, x):
        return cuda.get_array_module(x).maximum(x, scalar(x, 0))

    def backward(self, gy):
        return gy * (self.output_data[0] > 0)       # a bool mask: gy's dtype, one array less


def relu(x: Operand) -> Variable:
    """max(x, 0); the gradient at 0 is 0."""
    return ReLU()(x)


class LeakyReLU(Function):
    keep_inputs = (0,)

    def __init__(self, slope):
        self.slope = slope

    def forward(self, x):
        return cuda.get_array_module(x).where(x > 0, x, x * scalar(x, self.slope))

    def backward(self, gy):
        x = self.inputs[0].data
        return gy * float_mask(cuda.get_array_module(x).where(x > 0, 1.0, self.slope), gy)


def leaky_relu(x: Operand, slope: float = 0.2) -> Variable:
    """x where x > 0, slope * x elsewhere."""
    return LeakyReLU(slope)(x)


class Softplus(Function):
    keep_inputs = (0,)

    def __init__(self, beta=1.0):
        self.beta = beta

    def forward(self, x):
        xp = cuda.get_array_module(x)
        bx = x if self.beta == 1 else x * scalar(x, self.beta)
        y = xp.maximum(bx, scalar(x, 0)) + xp.log1p(xp.exp(-xp.abs(bx)))
        return y if self.beta == 1 else y / scalar(y, self.beta)

    def backward(self, gy):
        x, = self.inputs
        return gy * sigmoid(x if self.beta == 1 else x * self.beta)


def softplus(x: Operand, beta: float = 1.0) -> Variable:
    """log(1 + exp(beta * x)) / beta, computed without overflow; its derivative is sigmoid(beta * x)."""
    return Softplus(beta)(x)


class ELU(Function):
    keep_inputs, keep_outputs = (0,), (0,)

    def __init__(self, alpha):
        self.alpha = alpha

    def forward(self, x):
        xp = cuda.get_array_module(x)
        negative = xp.expm1(xp.minimum(x, scalar(x, 0))) * scalar(x, self.alpha)   # no overflow for x > 0
        return xp.where(x > 0, x, negative)

    def backward(self, gy):
        x, = self.inputs
        y, = self.retained_outputs()
        return where(x.data > 0, gy, gy * (y + self.alpha))    # y + alpha = alpha * exp(x) for x <= 0


def elu(x: Operand, alpha: float = 1.0) -> Variable:
    """x for x > 0, alpha * (exp(x) - 1) elsewhere."""
    return ELU(alpha)(x)


def gelu(x: Operand, approximate: str = 'none') -> Variable:
    """x * Phi(x), Phi the standard normal CDF, as in PyTorch.

    ``approximate='none'`` uses erf (exact; on the CPU erf is not vectorised, so it is slow on big
    arrays); ``'tanh'`` uses 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), which is fast.
    """
    x = as_variable(x)
    if approximate == 'tanh':
        return 0.5 * x * (1 + tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    if approximate != 'none':
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return 0.5 * x * (1 + erf(x * math.sqrt(0.5)))


# =============================================================================
# softmax / log_softmax
# =============================================================================
def softmax_simple(x: Operand, axis: int = 1) -> Variable:
    """exp(x) / sum(exp(x)) along ``axis``, not stabilised (overflows for large x)."""
    x = as_variable(x)
    y = exp(x)
    return y / sum(y, axis=axis, keepdims=True)


class Softmax(Function):
    keep_inputs, keep_outputs = (), (0,)

    def __init__(self, axis=1):
        self.axis = axis

    def forward(self, x):
        return softmax_array(x, self.axis)

    def backward(self, gy):
        y, = self.retained_outputs()
        gx = y * gy
        return gx - y * sum(gx, axis=self.axis, keepdims=True)


def softmax(x: Operand, axis: int = 1) -> Variable:
    """exp(x) / sum(exp(x)) along ``axis``, shifted by the maximum so it cannot overflow."""
    return Softmax(axis)(x)


class LogSoftmax(Function):
    keep_inputs, keep_outputs = (), (0,)

    def __init__(self, axis=1):
        self.axis = axis

    def forward(self, x):
        return log_softmax_array(x, self.axis)

    def backward(self, gy):
        y, = self.retained_outputs()
        return gy - exp(y) * sum(gy, axis=self.axis, keepdims=True)


def log_softmax(x: Operand, axis: int = 1) -> Variable:
    """log(softmax(x)) along ``axis``, computed stably as (x - m) - log(sum(exp(x - m)))."""
    return LogSoftmax(axis)(x)
