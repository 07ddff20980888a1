"""Reductions: sum, average (mean), max, min and logsumexp over any axes."""
from __future__ import annotations

from typing import TYPE_CHECKING

from dezero import cuda
from dezero.arrays import logsumexp as logsumexp_array, max_backward_shape, normalize_axes, \
    reshape_sum_backward
from dezero.engine import Function, as_variable
from dezero.functions.elementwise import exp
from dezero.functions.shape import _axes, broadcast_to, reshape

if TYPE_CHECKING:
    from dezero.engine import Variable
    from dezero.typing import Axis, Operand


def _axis_arg(name, axis, ndim):
    """``axis`` checked against ``ndim`` (None, an int, a tuple or a list), as None or a tuple."""
    return None if axis is None else _axes(name, axis, ndim)


class Sum(Function):
    keep_inputs = ()

    def __init__(self, axis, keepdims):
        self.axis = axis
        self.keepdims = keepdims

    def forward(self, x):
        return x.sum(axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy):
        x_shape = self.inputs[0].shape
        return broadcast_to(reshape_sum_backward(gy, x_shape, self.axis, self.keepdims), x_shape)


def sum(x: Operand, axis: Axis = None, keepdims: bool = False) -> Variable:
    """Sum over ``axis`` (None, an int, a tuple or a list)."""
    x = as_variable(x)
    return Sum(_axis_arg('sum', axis, x.ndim), keepdims)(x)


def average(x: Operand, axis: Axis = None, keepdims: bool = False) -> Variable:
    """Mean over ``axis``."""
    x = as_variable(x)
    y = Sum(_axis_arg('average', axis, x.ndim), keepdims)(x)
    return y * (y.data.size / x.data.size)


mean = average


class Max(Function):
    """Maximum over ``axis``; tied maxima share the gradient evenly."""
    keep_inputs = (0,)
    _reduce = 'max'

    def __init__(self, axis=None, keepdims=False):
        self.axis = axis
        self.keepdims = keepdims

    def forward(self, x):
        return getattr(x, self._reduce)(axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy):
        x = self.inputs[0].data
        mask = x == getattr(x, self._reduce)(axis=self.axis, keepdims=True)
        weight = mask / mask.sum(axis=self.axis, keepdims=True)
        if gy.dtype.kind == 'f':
            weight = weight.astype(gy.dtype)
        gy = reshape(gy, max_backward_shape(x, self.axis))
        return broadcast_to(gy, x.shape) * weight


class Min(Max):
    _reduce = 'min'


def max(x: Operand, axis: Axis = None, keepdims: bool = False) -> Variable:
    """The maximum over ``axis`` (None: all, an int, a tuple or a list); tied maxima share the gradient.

    Example:
        >>> import numpy as np
        >>> from dezero import Variable
        >>> x = Variable(np.array([1.0, 3.0, 3.0]))
        >>> max(x).backward()
        >>> x.grad
        variable([0.  0.5 0.5])
    """
    x = as_variable(x)
    return Max(_axis_arg('max', axis, x.ndim), keepdims)(x)


def min(x: Operand, axis: Axis = None, keepdims: bool = False) -> Variable:
    """The minimum over ``axis``, as ``max``."""
    x = as_variable(x)
    return Min(_axis_arg('min', axis, x.ndim), keepdims)(x)


class LogSumExp(Function):
    keep_inputs, keep_outputs = (0,), (0,)

    def __init__(self, axis, keepdims):
        self.axis = axis
        self.keepdims = keepdims

    def forward(self, x):
        y = logsumexp_array(x, self.axis, cuda.get_array_module(x))
        if self.keepdims:
            return y
        axes = normalize_axes(self.axis, x.ndim)
        return y.reshape(tuple(n for i, n in enumerate(x.shape) if i not in axes))

    def backward(self, gy):
        x, = self.inputs
        y, = self.retained_outputs()
        kept = max_backward_shape(x, self.axis)
        return reshape(gy, kept) * exp(x - reshape(y, kept))


def logsumexp(x: Operand, axis: Axis = None, keepdims: bool = False) -> Variable:
    """log(sum(exp(x))) over ``axis`` (None: all), computed stably; its gradient is softmax(x)."""
    x = as_variable(x)
    return LogSumExp(_axis_arg('logsumexp', axis, x.ndim), keepdims)(x)
