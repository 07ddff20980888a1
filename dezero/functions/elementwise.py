"""Elementwise mathematics: sin, cos, tanh, exp, log, abs, sqrt, square, erf, clip, maximum,
minimum and where.

Derivatives that are a mask (abs, clip, maximum...) multiply ``gy`` by that mask as a constant,
which keeps every higher derivative exact between the kinks.
"""
from __future__ import annotations

from typing import TYPE_CHECKING
import math

import numpy as np

from dezero import cuda
from dezero.arrays import float_mask, scalar
from dezero.engine import Function, Variable
from dezero.functions.shape import sum_to

if TYPE_CHECKING:
    from dezero.typing import Operand


class Sin(Function):
    keep_inputs = (0,)

    def forward(self, x):
        return cuda.get_array_module(x).sin(x)

    def backward(self, gy):
        x, = self.inputs
        return gy * cos(x)


def sin(x: Operand) -> Variable:
    """sin(x) elementwise; differentiable to any order (the book's step 27 and 34)."""
    return Sin()(x)


class Cos(Function):
    keep_inputs = (0,)

    def forward(self, x):
        return cuda.get_array_module(x).cos(x)

    def backward(self, gy):
        x, = self.inputs
        return -(gy * sin(x))


def cos(x: Operand) -> Variable:
    """cos(x) elementwise."""
    return Cos()(x)


class Tanh(Function):
    keep_inputs, keep_outputs = (), (0,)

    def forward(self, x):
        return cuda.get_array_module(x).tanh(x)

    def backward(self, gy):
        y, = self.retained_outputs()
        return TanhGrad()(y, gy)


class TanhGrad(Function):
    """gy * (1 - y^2), the gradient of tanh from its output y, as one node."""
    keep_inputs = (0, 1)

    def forward(self, y, gy):
        return gy * (scalar(y, 1) - y * y)

    def backward(self, ggx):
        y, gy = self.inputs
        return ggx * gy * y * -2, TanhGrad()(y, ggx)


def tanh(x: Operand) -> Variable:
    """tanh(x) elementwise; its gradient node ``TanhGrad`` keeps higher-order graphs small (step 35).

    Example:
        >>> import numpy as np
        >>> from dezero import Variable
        >>> x = Variable(np.array(1.0))
        >>> y = tanh(x)
        >>> y.backward(create_graph=True)
        >>> x.grad                           # 1 - tanh(1)^2
        variable(0.41997434161402614)
    """
    return Tanh()(x)


class Exp(Function):
    keep_inputs, keep_outputs = (), (0,)

    def forward(self, x):
        return cuda.get_array_module(x).exp(x)

    def backward(self, gy):
        y, = self.retained_outputs()
        return gy * y


def exp(x: Operand) -> Variable:
    """exp(x) elementwise (the backward reads the output, not x)."""
    return Exp()(x)


class Log(Function):
    keep_inputs = (0,)

    def forward(self, x):
        return cuda.get_array_module(x).log(x)

    def backward(self, gy):
        x, = self.inputs
        return gy / x


def log(x: Operand) -> Variable:
    """The natural logarithm of x elementwise (nan for x < 0, -inf at 0, as NumPy)."""
    return Log()(x)


class Abs(Function):
    keep_inputs = (0,)

    def forward(self, x):
        return cuda.get_array_module(x).abs(x)

    def backward(self, gy):
        x = self.inputs[0].data
        return gy * float_mask(cuda.get_array_module(x).sign(x), gy)


def abs(x: Operand) -> Variable:
    """|x|; the gradient at 0 is 0."""
    return Abs()(x)


class Sqrt(Function):
    keep_inputs, keep_outputs = (), (0,)

    def forward(self, x):
        return cuda.get_array_module(x).sqrt(x)

    def backward(self, gy):
        y, = self.retained_outputs()
        return gy / (2 * y)


def sqrt(x: Operand) -> Variable:
    """The square root of x elementwise (nan for x < 0, as NumPy)."""
    return Sqrt()(x)


class Square(Function):
    keep_inputs = (0,)

    def forward(self, x):
        return x * x

    def backward(self, gy):
        x, = self.inputs
        return gy * (2 * x)


def square(x: Operand) -> Variable:
    """x * x elementwise."""
    return Square()(x)


def _erf_array(x):
    """The error function elementwise: math.erf on the CPU (exact, not vectorised), cupyx on the GPU."""
    dtype = x.dtype if x.dtype.kind == 'f' else np.dtype(np.float64)
    if cuda.is_cupy_array(x):
        import cupyx.scipy.special
        return cupyx.scipy.special.erf(x.astype(dtype, copy=False))
    return np.asarray(np.frompyfunc(math.erf, 1, 1)(x), dtype=dtype)


class Erf(Function):
    keep_inputs = (0,)

    def forward(self, x):
        return _erf_array(x)

    def backward(self, gy):
        x, = self.inputs
        return gy * exp(-(x * x)) * (2 / math.sqrt(math.pi))


def erf(x: Operand) -> Variable:
    """The error function 2/sqrt(pi) * integral of exp(-t^2) from 0 to x."""
    return Erf()(x)


class Clip(Function):
    keep_inputs = (0,)

    def __init__(self, x_min, x_max):
        self.x_min = x_min
        self.x_max = x_max

    def forward(self, x):
        return cuda.get_array_module(x).clip(x, scalar(x, self.x_min), scalar(x, self.x_max))

    def backward(self, gy):
        x = self.inputs[0].data
        return gy * float_mask((x >= self.x_min) * (x <= self.x_max), gy)


def clip(x: Operand, x_min: float, x_max: float) -> Variable:
    """x limited to [x_min, x_max]; the gradient passes where x is inside (bounds inclusive)."""
    if x_min > x_max:
        raise ValueError(f'clip: x_min ({x_min}) must not be greater than x_max ({x_max})')
    return Clip(x_min, x_max)(x)


# =============================================================================
# Two operands: maximum / minimum / where
# =============================================================================
class Maximum(Function):
    """Elementwise maximum with broadcasting; at ties each input gets half the gradient."""
    keep_inputs = (0, 1)
    _op = 'maximum'

    def forward(self, x0, x1):
        return getattr(cuda.get_array_module(x0), self._op)(x0, x1)

    def backward(self, gy):
        x0, x1 = self.inputs
        a, b = (x0.data, x1.data) if self._op == 'maximum' else (x1.data, x0.data)
        tie = float_mask(a == b, gy) * scalar(gy, 0.5)
        return (sum_to(gy * (float_mask(a > b, gy) + tie), x0.shape),
                sum_to(gy * (float_mask(a < b, gy) + tie), x1.shape))


class Minimum(Maximum):
    _op = 'minimum'


def maximum(x0: Operand, x1: Operand) -> Variable:
    """Elementwise max(x0, x1) with broadcasting (either may be a Python number)."""
    return Maximum()(x0, x1)


def minimum(x0: Operand, x1: Operand) -> Variable:
    """Elementwise min(x0, x1) with broadcasting (either may be a Python number)."""
    return Minimum()(x0, x1)


class Where(Function):
    keep_inputs = ()

    def __init__(self, condition):
        self.condition = condition

    def forward(self, x0, x1):
        return cuda.get_array_module(x0).where(self.condition, x0, x1)

    def backward(self, gy):
        x0, x1 = self.inputs
        return (sum_to(gy * float_mask(self.condition, gy), x0.shape),
                sum_to(gy * float_mask(~self.condition, gy), x1.shape))


def where(condition: Operand, x0: Operand, x1: Operand) -> Variable:
    """x0 where ``condition`` is true, x1 elsewhere, with broadcasting; the condition gets no gradient."""
    like = next((x.data for x in (x0, x1) if isinstance(x, Variable)), None)
    xp = np if like is None else cuda.get_array_module(like)
    condition = condition.data if isinstance(condition, Variable) else condition
    return Where(xp.asarray(condition).astype(bool, copy=False))(x0, x1)
