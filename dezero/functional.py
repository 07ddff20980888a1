"""Functional derivatives built on :func:`dezero.grad`: vjp, jvp, jacobian, hessian, hvp.

``func`` takes Variables and returns a Variable (or a tuple of them); ``inputs``
is one array/Variable or a tuple of them. Nothing touches ``.grad``. With
``create_graph=True`` the results can be differentiated again.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Sequence

from dezero import cuda
from dezero.core import Variable, as_variable, using_config, grad

if TYPE_CHECKING:
    from dezero.typing import Operand


def _as_tuple(xs):
    """(tuple of Variables, whether a single one was given)."""
    if isinstance(xs, (tuple, list)):
        return tuple(as_variable(x) for x in xs), False
    return (as_variable(xs),), True


def _zeros_like(x):
    return Variable(cuda.get_array_module(x.data).zeros_like(x.data))


def _grads(outputs, inputs, seeds, create_graph):
    """Like grad(), with zeros for inputs the outputs do not depend on."""
    gxs = grad(outputs, inputs, seeds, create_graph=create_graph, allow_unused=True)
    return tuple(_zeros_like(x) if g is None else g for g, x in zip(gxs, inputs))


def _call(func, xs):
    with using_config('enable_backprop', True):
        ys = func(*xs)
    return ys, _as_tuple(ys)[0]


def _seeds(v, ys, name):
    if v is None:
        if any(y.size != 1 for y in ys):
            raise ValueError(f'{name}: v is required when an output is not a scalar '
                             f'(output shapes {[y.shape for y in ys]})')
        return None
    vs = _as_tuple(v)[0]
    if len(vs) != len(ys) or any(a.shape != y.shape for a, y in zip(vs, ys)):
        raise ValueError(f'{name}: v has shapes {[a.shape for a in vs]} but the outputs '
                         f'have shapes {[y.shape for y in ys]}')
    return list(vs)


def vjp(func: Callable, inputs: Operand | Sequence[Operand], v: Operand | Sequence[Operand] | None = None,
        create_graph: bool = False) -> tuple:
    """Return ``(func(*inputs), vᵀJ)``; ``v`` may be omitted for a scalar output.

    Example:
        >>> import numpy as np
        >>> vjp(lambda x: x ** 2, np.array([1.0, 2.0]), np.array([1.0, 1.0]))
        (variable([1. 4.]), variable([2. 4.]))
    """
    xs, single = _as_tuple(inputs)
    outputs, ys = _call(func, xs)
    gxs = _grads(list(ys), list(xs), _seeds(v, ys, 'vjp'), create_graph)
    return outputs, gxs[0] if single else gxs


def jvp(func: Callable, inputs: Operand | Sequence[Operand], v: Operand | Sequence[Operand],
        create_graph: bool = False) -> tuple:
    """Return ``(func(*inputs), J v)`` by the double-vjp trick.

    ``u -> uᵀJ`` is linear in a dummy ``u``, so the vjp of that map with ``v`` is ``J v``.

    Example:
        >>> import numpy as np
        >>> jvp(lambda x: x ** 2, np.array([1.0, 2.0]), np.array([1.0, 0.0]))
        (variable([1. 4.]), variable([2. 0.]))
    """
    xs, _ = _as_tuple(inputs)
    vs = _as_tuple(v)[0]
    if len(vs) != len(xs) or any(a.shape != x.shape for a, x in zip(vs, xs)):
        raise ValueError(f'jvp: v has shapes {[a.shape for a in vs]} but the inputs '
                         f'have shapes {[x.shape for x in xs]}')
    outputs, ys = _call(func, xs)
    us = [_zeros_like(y) for y in ys]
    gxs = grad(list(ys), list(xs), us, create_graph=True, allow_unused=True)
    pairs = [(g, a) for g, a in zip(gxs, vs) if g is not None]
    if pairs:
        jv = _grads([g for g, _ in pairs], us, [a for _, a in pairs], create_graph)
    else:
        jv = tuple(_zeros_like(y) for y in ys)
    return outputs, jv[0] if len(ys) == 1 and not isinstance(outputs, (tuple, list)) else jv


def jacobian(func: Callable, inputs: Operand | Sequence[Operand], create_graph: bool = False
             ) -> Variable | tuple:
    """d func / d inputs, of shape ``output.shape + input.shape``.

    For several inputs (or outputs) the result is a tuple (of tuples), one block per pair.

    Example:
        >>> import numpy as np
        >>> jacobian(lambda x: x ** 2, np.array([1.0, 2.0]))
        variable([[2. 0.]
                  [0. 4.]])
    """
    from dezero import functions as F
    xs, single_in = _as_tuple(inputs)
    outputs, ys = _call(func, xs)
    single_out = not isinstance(outputs, (tuple, list))
    blocks = []
    for y in ys:
        xp = cuda.get_array_module(y.data)
        rows = [[] for _ in xs]
        for i in range(y.size):
            seed = xp.zeros(y.size, dtype=y.dtype)
            seed[i] = 1
            gxs = _grads([y], list(xs), [Variable(seed.reshape(y.shape))], create_graph)
            for row, g in zip(rows, gxs):
                row.append(g)
        blocks.append(tuple(F.reshape(F.stack(row), y.shape + x.shape) if row
                            else Variable(xp.zeros(y.shape + x.shape, dtype=y.dtype))
                            for row, x in zip(rows, xs)))
    blocks = [b[0] if single_in else b for b in blocks]
    return blocks[0] if single_out else tuple(blocks)


def hessian(func: Callable, inputs: Operand | Sequence[Operand], create_graph: bool = False
            ) -> Variable | tuple:
    """Second derivatives of a scalar ``func``: shape ``input.shape + input.shape``.

    Example:
        >>> import numpy as np
        >>> import dezero.functions as F
        >>> hessian(lambda x: F.sum(x ** 3), np.array([1.0, 2.0]))
        variable([[ 6.  0.]
                  [ 0. 12.]])
    """
    xs, single = _as_tuple(inputs)

    def gradient(*args):
        gxs = _grads([func(*args)], list(args), None, True)
        return gxs[0] if single else gxs

    return jacobian(gradient, xs[0] if single else xs, create_graph)


def hvp(func: Callable, inputs: Operand | Sequence[Operand], v: Operand | Sequence[Operand],
        create_graph: bool = False) -> tuple:
    """Return ``(func(*inputs), H v)`` for a scalar ``func`` without forming H.

    Example:
        >>> import numpy as np
        >>> import dezero.functions as F
        >>> hvp(lambda x: F.sum(x ** 3), np.array([1.0, 2.0]), np.array([1.0, 1.0]))
        (variable(9.0), variable([ 6. 12.]))
    """
    xs, single = _as_tuple(inputs)
    vs = _as_tuple(v)[0]
    outputs, ys = _call(func, xs)
    gxs = _grads(list(ys), list(xs), None, True)
    hv = _grads(list(gxs), list(xs), list(vs), create_graph)
    return outputs, hv[0] if single else hv
