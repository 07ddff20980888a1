"""Arithmetic with broadcasting: add, sub, mul, div, neg, pow and power (the Variable operators).

Gradients are summed back to each input's shape. An operand given as a number or an array is a
Constant (``Function.__call__`` makes it, Python numbers taking the other operand's dtype) and
gets no gradient.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from dezero.engine import Constant, Function, Variable
from dezero.functions.elementwise import log
from dezero.functions.shape import sum_to

if TYPE_CHECKING:
    from dezero.typing import Operand


def _to(g, x):
    """Gradient ``g`` summed to the shape of input ``x``; None for a Constant."""
    if x.__class__ is Constant:
        return None
    return g if g.data.shape == x.shape else sum_to(g, x.shape)


class Add(Function):
    keep_inputs = ()

    def forward(self, x0, x1):
        return x0 + x1

    def backward(self, gy):
        x0, x1 = self.inputs
        return _to(gy, x0), _to(gy, x1)


def add(x0: Operand, x1: Operand) -> Variable:
    """x0 + x1 with broadcasting (the ``+`` of Variables); either operand may be a number or an array.

    Example:
        >>> import numpy as np
        >>> from dezero import Variable
        >>> x = Variable(np.array([1.0, 2.0], dtype=np.float32))
        >>> add(x, 1), (x + 1).dtype
        (variable([2. 3.]), dtype('float32'))
    """
    return Add()(x0, x1)


class Mul(Function):
    keep_inputs = (0, 1)

    def forward(self, x0, x1):
        return x0 * x1

    def backward(self, gy):
        x0, x1 = self.inputs
        return (None if x0.__class__ is Constant else _to(gy * x1, x0),
                None if x1.__class__ is Constant else _to(gy * x0, x1))


def mul(x0: Operand, x1: Operand) -> Variable:
    """x0 * x1 elementwise with broadcasting (the ``*`` of Variables)."""
    return Mul()(x0, x1)


class Neg(Function):
    keep_inputs = ()

    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


def neg(x: Operand) -> Variable:
    """-x (the unary ``-`` of Variables)."""
    return Neg()(x)


class Sub(Function):
    keep_inputs = ()

    def forward(self, x0, x1):
        return x0 - x1

    def backward(self, gy):
        x0, x1 = self.inputs
        return _to(gy, x0), None if x1.__class__ is Constant else _to(-gy, x1)


def sub(x0: Operand, x1: Operand) -> Variable:
    """x0 - x1 with broadcasting (the ``-`` of Variables)."""
    return Sub()(x0, x1)


def rsub(x0: Operand, x1: Operand) -> Variable:
    """x1 - x0 (for ``1 - Variable``)."""
    return Sub()(x1, x0)


class Div(Function):
    keep_inputs = (0, 1)

    def forward(self, x0, x1):
        return x0 / x1

    def backward(self, gy):
        x0, x1 = self.inputs
        gx0 = gy / x1
        # -gy x0 / x1^2 without squaring x1 (an integer x1 would overflow)
        return _to(gx0, x0), None if x1.__class__ is Constant else _to(gx0 * (-x0 / x1), x1)


def div(x0: Operand, x1: Operand) -> Variable:
    """x0 / x1 with broadcasting (the ``/`` of Variables)."""
    return Div()(x0, x1)


def rdiv(x0: Operand, x1: Operand) -> Variable:
    """x1 / x0 (for ``1 / Variable``)."""
    return Div()(x1, x0)


class Pow(Function):
    """x ** c for a constant exponent c."""
    keep_inputs = (0,)

    def __init__(self, c):
        self.c = c

    def forward(self, x):
        c = self.c
        if (type(c) is int or type(c) is float) and x.dtype.kind == 'f':
            c = x.dtype.type(c)      # weak: a 0-d float32 x stays float32 under NumPy 1 too
        return x ** c

    def backward(self, gy):
        x, = self.inputs
        c = self.c
        return gy * (c * x ** (c - 1))


def pow(x: Operand, c: float) -> Variable:
    """x ** c for a constant exponent ``c`` (a number), as the book's ``x ** 3``."""
    return Pow(c)(x)


class Power(Function):
    """x ** y where the exponent is a Variable too; d/dy is x**y log(x) (nan for x <= 0)."""
    keep_inputs, keep_outputs = (0, 1), (0,)

    def forward(self, x, y):
        return x ** y

    def backward(self, gz):
        x, y = self.inputs
        gx = None if x.__class__ is Constant else _to(gz * y * x ** (y - 1), x)
        gy = None if y.__class__ is Constant else _to(gz * self.retained_outputs()[0] * log(x), y)
        return gx, gy


def power(x: Operand, y: Operand) -> Variable:
    """x ** y where the exponent ``y`` is a Variable too (``x ** y`` with a Variable y); its
    derivative with respect to y is x**y log(x), nan for x <= 0."""
    return Power()(x, y)


def pow_operator(x, other):
    """``x ** other``: ``pow`` for a constant exponent, ``power`` for a Variable one."""
    return power(x, other) if isinstance(other, Variable) else pow(x, other)


def rpow_operator(x, other):
    """``other ** x`` for a number or array ``other``."""
    return Power()(other, x)
