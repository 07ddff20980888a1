"""The book's ``dezero.core``: the engine and the arithmetic under the names the book imports.

The engine (Variable, Function, Config, the backward pass, ``grad``) lives in
``dezero.engine``; the arithmetic Functions in ``dezero.functions.arithmetic``. This module
gathers them so that ``from dezero.core import Variable, add, setup_variable`` works as in
the book.
"""
from dezero.engine import (  # noqa: F401
    NOT_RECORDED, Config, Constant, Function, Parameter, Variable, VariableNode, as_array, as_constant,
    as_variable, grad, no_grad, test_mode, using_config)
from dezero.functions import setup_variable  # noqa: F401
from dezero.functions.arithmetic import (  # noqa: F401
    Add, Div, Mul, Neg, Pow, Power, Sub, add, div, mul, neg, pow, power, rdiv, rsub, sub)
