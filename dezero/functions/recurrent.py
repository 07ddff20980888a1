"""Recurrent cells: one LSTM step as a single Function (used by ``layers.LSTM``).

The gate equations are written once, in ``lstm_update``, which both the fused cell (on arrays)
and the book's composed step (on Variables, ``layers.LSTM`` with other gate layers) call. The
cell's first derivatives are array formulas in ``LSTMCellGrad``; derivatives of higher order
recompute the composed step and differentiate it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from dezero import cuda
from dezero.arrays import add_bias
from dezero.engine import Constant, Function, partial_vjp
from dezero.functions.activations import sigmoid, sigmoid_array
from dezero.functions.elementwise import tanh
from dezero.functions.linear import _operand, linear, matmul

if TYPE_CHECKING:
    from dezero.engine import Variable
    from dezero.typing import Operand


def lstm_update(a_f, a_i, a_o, a_u, c, sigmoid, tanh):
    """One LSTM step from the gate pre-activations and the previous cell state c (or None).

    Returns (h, c_new, (f, i, o, u, tanh(c_new))). ``sigmoid`` and ``tanh`` are array
    functions for the fused cell and dezero functions for the book's composed step.
    """
    f, i, o, u = sigmoid(a_f), sigmoid(a_i), sigmoid(a_o), tanh(a_u)
    c_new = i * u if c is None else (f * c) + (i * u)
    tc = tanh(c_new)
    return o * tc, c_new, (f, i, o, u, tc)


def _split(xs, has_h, has_c):
    """(x, Wx, b, h, Wh, c) from the flat inputs of the cell; h, Wh and c are None when absent."""
    h, Wh = (xs[9], xs[10:14]) if has_h else (None, None)
    return xs[0], xs[1:5], xs[5:9], h, Wh, xs[-1] if has_c else None


class LSTMCell(Function):
    """h, c = LSTM(x, h_prev, c_prev) in one node, with forget, input and output gates and update u.

    The inputs are ``x, Wx_f, Wx_i, Wx_o, Wx_u, b_f, b_i, b_o, b_u``, then ``h_prev, Wh_f, Wh_i,
    Wh_o, Wh_u`` unless there is no previous h, then ``c_prev`` unless there is no previous c. The
    forward computes what the book's step computes with 21 Functions, in the same order.
    """

    keep_inputs = None        # its backward reads every input (and its outputs are small)

    def __init__(self, has_h, has_c):
        self.has_h = has_h
        self.has_c = has_c

    def forward(self, *xs):
        x, Wx, b, h, Wh, c = _split(xs, self.has_h, self.has_c)
        xp = cuda.get_array_module(x)
        a = [add_bias(xp.matmul(x, W), bk) for W, bk in zip(Wx, b)]
        if h is not None:
            a = [ak + xp.matmul(h, W) for ak, W in zip(a, Wh)]
        h_new, c_new, self.gates = lstm_update(*a, c, sigmoid_array, xp.tanh)
        return h_new, c_new

    def backward(self, gh, gc):
        grad = LSTMCellGrad(self)
        gs = grad(*self.inputs, gh, gc)
        gs = gs if isinstance(gs, list) else [gs]
        result = [None] * len(self.inputs)
        for i, g in zip(grad.index, gs):
            result[i] = g
        return tuple(result)


class LSTMCellGrad(Function):
    """The gradients of one LSTMCell for its inputs (arrays given gh and gc, using the cell's gates).

    Its inputs are the cell's inputs, then gh and gc (Constants holding None when absent); its
    outputs are the gradients that exist, for the inputs listed in ``index``.
    """

    keep_inputs = None        # its backward reads every input

    def __init__(self, cell):
        self.cell = cell

    def forward(self, *xs):
        cell = self.cell
        x, Wx, b, h, Wh, c = _split(xs[:-2], cell.has_h, cell.has_c)
        gh, gc = xs[-2:]
        grads = _lstm_cell_grads(gh, gc, x, Wx, h, Wh, c, cell.gates,
                                 need_x=cell.inputs[0].__class__ is not Constant)
        self.index = [i for i, (g, v) in enumerate(zip(grads, cell.inputs))
                      if g is not None and v.__class__ is not Constant]
        return tuple(grads[i] for i in self.index)

    def backward(self, *ggs):
        n = len(self.cell.inputs)
        has_h, has_c, index = self.cell.has_h, self.cell.has_c, self.index

        def first_derivatives(*zs):
            gh, gc = (None if g.data is None else g for g in zs[n:])
            grads = partial_vjp(lambda *xs: composed_step(xs, has_h, has_c), zs[:n], (gh, gc))
            return [grads[i] for i in index]

        return tuple(partial_vjp(first_derivatives, self.inputs, ggs))


def composed_step(xs, has_h, has_c):
    """The cell's (h, c) from its flat inputs (Variables), built from dezero functions."""
    x, Wx, b, h, Wh, c = _split(xs, has_h, has_c)
    a = [linear(x, W, bk) for W, bk in zip(Wx, b)]
    if h is not None:
        a = [ak + matmul(h, W) for ak, W in zip(a, Wh)]
    h_new, c_new, _ = lstm_update(*a, c, sigmoid, tanh)
    return h_new, c_new


def _plus(a, b):
    return b if a is None else a if b is None else a + b


def _outer(a, g):
    """``a.T @ g``; for one row, the same numbers by broadcasting, which NumPy does several times faster."""
    return a.reshape(-1, 1) * g if len(a) == 1 else a.T @ g


def _lstm_cell_grads(gh, gc, x, Wx, h, Wh, c, gates, need_x=True):
    """Gradients (arrays) of one LSTM step for every input, in LSTMCell's order (None: no gradient).

    Each product is taken in the order the separate Functions of the book's step would take it;
    the sums over the four gates are not, so the gradients of x and h_prev agree with theirs to
    rounding.
    """
    f, i, o, u, tc = gates
    g_c = gc if gh is None else _plus(gc, gh * o * (1 - tc * tc))
    ga_f = None if g_c is None or c is None else g_c * c * f * (1 - f)
    ga_i = None if g_c is None else g_c * u * i * (1 - i)
    ga_o = None if gh is None else gh * tc * o * (1 - o)
    ga_u = None if g_c is None else g_c * i * (1 - u * u)
    gx, gh_prev = None, None
    gWx, gb, gWh = [None] * 4, [None] * 4, [None] * 4
    for k, g in enumerate((ga_f, ga_i, ga_o, ga_u)):
        if g is None:
            continue
        if need_x:
            gx = _plus(gx, g @ Wx[k].T)
        gWx[k] = _outer(x, g)
        gb[k] = g.sum(axis=0)
        if h is not None:
            gh_prev = _plus(gh_prev, g @ Wh[k].T)
            gWh[k] = _outer(h, g)
    grads = [gx] + gWx + gb
    if h is not None:
        grads += [gh_prev] + gWh
    if c is not None:
        grads.append(None if g_c is None else g_c * f)
    return grads


def lstm_cell(x: Operand, h: Variable | None, c: Variable | None, Wx: Sequence[Operand], b: Sequence[Operand],
        Wh: Sequence[Operand] | None) -> tuple[Variable, Variable]:
    """One LSTM step: (h, c) from x of shape (N, in), the previous h and c (or None) and the weights
    (four each of Wx, b and Wh, in the gate order f, i, o, u)."""
    xs = [_operand(x)] + list(Wx) + list(b)
    if h is not None:
        xs += [h] + list(Wh)
    if c is not None:
        xs.append(c)
    return LSTMCell(h is not None, c is not None)(*xs)
