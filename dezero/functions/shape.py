"""Array and shape: reshape, transpose, indexing (get_item, select_item), joining and splitting, broadcasting.

None of these backwards reads an array: each keeps only shapes (``keep_inputs = ()``), so the
graph holds no activation on their behalf.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

from dezero import cuda
from dezero.arrays import normalize_axes, sum_to as sum_to_array
from dezero.engine import Function, Variable, as_variable

if TYPE_CHECKING:
    from dezero.typing import Axis, Operand, Shape


def _shape_arg(name, shape):
    """``shape`` (an int, or a tuple or list of ints) as a tuple, checked."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)) or \
            not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in shape):
        raise TypeError(f'{name}: shape must be an int or a tuple of ints, got {shape!r}')
    return tuple(int(s) for s in shape)


def _axes(name, axis, ndim):
    """``normalize_axes(axis, ndim)``, its errors naming the function ``name`` and the axis."""
    try:
        return normalize_axes(axis, ndim)
    except (TypeError, ValueError) as e:
        raise type(e)(f'{name}: {e} (axis={axis!r}, x has {ndim} dimensions)') from None


# =============================================================================
# reshape / transpose / expand_dims / flatten / squeeze
# =============================================================================
class Reshape(Function):
    keep_inputs = ()

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        return x.reshape(self.shape)

    def backward(self, gy):
        return reshape(gy, self.inputs[0].shape)


def reshape(x: Operand, shape: Shape) -> Variable:
    """``x`` with a new shape (one ``-1`` allowed); no node when the shape is unchanged."""
    shape = _shape_arg('reshape', shape)
    x = as_variable(x)
    if x.shape == shape:
        return x
    if shape.count(-1) > 1 or any(s < -1 for s in shape):
        raise ValueError(f'reshape: shape {shape} may contain one -1 and otherwise sizes >= 0')
    known = int(np.prod([s for s in shape if s != -1]))
    if (-1 in shape and (known == 0 or x.size % known)) or (-1 not in shape and known != x.size):
        raise ValueError(f'reshape: cannot reshape x of shape {x.shape} ({x.size} elements) into {shape}')
    return Reshape(shape)(x)


class Transpose(Function):
    keep_inputs = ()

    def __init__(self, axes=None):
        self.axes = axes

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, gy):
        if self.axes is None:
            return transpose(gy)
        return transpose(gy, tuple(np.argsort([a % len(self.axes) for a in self.axes])))


def transpose(x: Operand, axes: Sequence[int] | None = None) -> Variable:
    """Permute the axes (reverse them when ``axes`` is None); negative axes allowed."""
    x = as_variable(x)
    if axes is not None:
        axes = tuple(axes)
        if len(axes) != x.ndim or sorted(_axes('transpose', axes, x.ndim)) != list(range(x.ndim)):
            raise ValueError(f'transpose: axes {axes} are not a permutation of the {x.ndim} axes of x')
        axes = tuple(a % x.ndim for a in axes)
    return Transpose(axes)(x)


def expand_dims(x: Operand, axis: int) -> Variable:
    """Insert an axis of length 1 at ``axis`` (NumPy semantics: -1 appends)."""
    x = as_variable(x)
    axis = _axes('expand_dims', axis, x.ndim + 1)[0]
    shape = list(x.shape)
    shape.insert(axis, 1)
    return reshape(x, tuple(shape))


def flatten(x: Operand) -> Variable:
    """Flatten every axis but the first (the batch): (N, ...) -> (N, -1)."""
    x = as_variable(x)
    if x.ndim < 1:
        raise ValueError('flatten: x must have a batch axis, got a 0-d input')
    return reshape(x, (x.shape[0], -1))


def squeeze(x: Operand, axis: Axis = None) -> Variable:
    """Remove axes of length 1 (all of them, or those in ``axis``, an int or a tuple)."""
    x = as_variable(x)
    axes = _axes('squeeze', axis, x.ndim) if axis is not None else \
        tuple(i for i, n in enumerate(x.shape) if n == 1)
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(f'squeeze: axis {a} of x with shape {x.shape} has length {x.shape[a]}, not 1')
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in axes))


# =============================================================================
# Indexing: get_item
# =============================================================================
def _index(slices):
    """Unwrap Variables used as indices."""
    if isinstance(slices, Variable):
        return slices.data
    if isinstance(slices, tuple):
        return tuple(s.data if isinstance(s, Variable) else s for s in slices)
    return slices


def _is_basic_index(slices):
    """True when indexing can only select each element once (ints, slices, None, Ellipsis)."""
    items = slices if isinstance(slices, tuple) else (slices,)
    return all(s is None or s is Ellipsis or isinstance(s, (int, np.integer, slice)) for s in items)


class GetItem(Function):
    keep_inputs = ()

    def __init__(self, slices):
        self.slices = slices

    def forward(self, x):
        return x[self.slices]

    def backward(self, gy):
        return GetItemGrad(self.slices, self.inputs[0].shape)(gy)


class GetItemGrad(Function):
    """Scatter ``gy`` into zeros of the input's shape; repeated indices accumulate."""
    keep_inputs = ()

    def __init__(self, slices, in_shape):
        self.slices = slices
        self.in_shape = in_shape

    def forward(self, gy):
        gx = cuda.get_array_module(gy).zeros(self.in_shape, dtype=gy.dtype)
        if _is_basic_index(self.slices):
            gx[self.slices] = gy
        else:
            cuda.scatter_add(gx, self.slices, gy)
        return gx

    def backward(self, ggx):
        return get_item(ggx, self.slices)


def get_item(x: Operand, slices: object) -> Variable:
    """``x[slices]``: ints, slices, Ellipsis, None, integer or boolean arrays."""
    return GetItem(_index(slices))(x)


def _label_index(name, x, t):
    """Integer labels ``t`` (an array) as an index array of shape (N, 1, ...) for x of shape (N, C, ...),
    checked (the class axis is 1); ``name`` is the dezero function the errors name."""
    if x.ndim < 2:
        raise ValueError(f'{name}: x must have a class axis, shape (N, C) or (N, C, ...); got {x.shape}')
    if t.dtype.kind not in 'iu':
        raise TypeError(f'{name}: labels t must be integer class indices, got dtype {t.dtype}')
    expected = (x.shape[0],) + x.shape[2:]
    if t.shape != expected and not (x.ndim == 2 and t.shape == (x.shape[0], 1)):
        extra = ' or (N, 1)' if x.ndim == 2 else ''
        raise ValueError(f'{name}: labels of shape {t.shape} do not fit x of shape {x.shape}; '
                         f'expected {expected}{extra}')
    if t.size and (int(t.min()) < 0 or int(t.max()) >= x.shape[1]):
        bad = int(t.min()) if int(t.min()) < 0 else int(t.max())
        raise ValueError(f'{name}: label {bad} is not a class index: x has {x.shape[1]} classes, '
                         f'so labels must be in [0, {x.shape[1] - 1}]')
    return t.reshape((x.shape[0], 1) + x.shape[2:])


def select_item(x: Operand, t: Operand) -> Variable:
    """One entry per row, ``y[n] = x[n, t[n]]``, for x of shape (N, C) and integer ``t`` of shape (N,)
    or (N, 1): Q(s, a) of the actions taken in DQN, log pi(a|s) in policy gradients (Chainer's
    ``select_item``). The gradient goes to the selected entries; ``t`` gets none.

    Example:
        >>> select_item(np.array([[1., 2.], [3., 4.]]), np.array([1, 0]))
        variable([2. 3.])
    """
    return _select_item('select_item', x, t)


def _select_item(name, x, t):
    """``select_item``, its errors naming the dezero function ``name``."""
    x = as_variable(x)
    if x.ndim != 2:
        raise ValueError(f'{name}: x must be 2-D (N, C), got shape {x.shape}')
    xp = cuda.get_array_module(x.data)
    t = _label_index(name, x.data, cuda.as_numpy(t) if xp is np else cuda.as_cupy(t))
    return get_item(x, (xp.arange(x.shape[0]), t.ravel()))


# =============================================================================
# Joining and splitting: stack / concat / split
# =============================================================================
def _joined(name, xs, axis):
    """``xs`` as a list, checked: equal shapes (stack), or equal but along ``axis`` (concat)."""
    xs = list(xs) if isinstance(xs, (list, tuple)) else None
    if not xs:
        raise ValueError(f'{name}: xs must be a non-empty list or tuple of Variables or arrays')
    shapes = [tuple(x.shape) if hasattr(x, 'shape') else np.shape(x) for x in xs]
    if name == 'stack':
        _axes(name, axis, len(shapes[0]) + 1)
        ok = all(s == shapes[0] for s in shapes)
    else:
        ndim = len(shapes[0])
        a = _axes(name, axis, ndim)[0] if ndim else None
        ok = ndim > 0 and all(len(s) == ndim and s[:a] + s[a + 1:] == shapes[0][:a] + shapes[0][a + 1:]
                              for s in shapes)
    if not ok:
        raise ValueError(f'{name}: cannot join xs of shapes {shapes} along axis {axis}'
                         + (' (they must have equal shapes)' if name == 'stack' else
                            ' (they must have equal shapes except along that axis, and at least one axis)'))
    return xs


class Stack(Function):
    keep_inputs = ()

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        return cuda.get_array_module(xs[0]).stack(xs, axis=self.axis)

    def backward(self, gy):
        axis = self.axis % gy.ndim
        return tuple(get_item(gy, (slice(None),) * axis + (i,)) for i in range(len(self.inputs)))


def stack(xs: Sequence[Operand], axis: int = 0) -> Variable:
    """Join Variables of equal shape along a new axis."""
    return Stack(axis)(*_joined('stack', xs, axis))


class Concat(Function):
    keep_inputs = ()

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        return cuda.get_array_module(xs[0]).concatenate(xs, axis=self.axis)

    def backward(self, gy):
        axis = self.axis % gy.ndim
        bounds = np.cumsum([0] + [x.shape[axis] for x in self.inputs])
        return tuple(get_item(gy, (slice(None),) * axis + (slice(a, b),))
                     for a, b in zip(bounds[:-1], bounds[1:]))


def concat(xs: Sequence[Operand], axis: int = 0) -> Variable:
    """Join Variables along an existing axis."""
    return Concat(axis)(*_joined('concat', xs, axis))


class Split(Function):
    keep_inputs = ()

    def __init__(self, indices_or_sections, axis):
        self.indices_or_sections = indices_or_sections
        self.axis = axis

    def forward(self, x):
        ys = cuda.get_array_module(x).split(x, self.indices_or_sections, axis=self.axis)
        self.shapes = [y.shape for y in ys]
        return tuple(ys)

    def backward(self, *gys):
        x = self.inputs[0]
        xp = cuda.get_array_module(next(gy for gy in gys if gy is not None))
        gys = [Variable(xp.zeros(shape, dtype=x.dtype)) if gy is None else gy
               for gy, shape in zip(gys, self.shapes)]
        return concat(gys, axis=self.axis)


def split(x: Operand, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Variable]:
    """Split x along ``axis`` as ``np.split`` does; returns a list of Variables."""
    shape = tuple(x.shape) if hasattr(x, 'shape') else np.shape(x)
    if not shape:
        raise ValueError('split: x of shape () has no axis to split')
    a = _axes('split', axis, len(shape))[0]
    if isinstance(indices_or_sections, (int, np.integer)) and \
            (indices_or_sections < 1 or shape[a] % indices_or_sections):
        raise ValueError(f'split: x of shape {shape} cannot be split into {indices_or_sections!r} equal '
                         f'sections along axis {axis}')
    ys = Split(indices_or_sections, axis)(x)
    return ys if isinstance(ys, list) else [ys]


# =============================================================================
# Broadcasting: broadcast_to / sum_to
# =============================================================================
class BroadcastTo(Function):
    keep_inputs = ()

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        return cuda.get_array_module(x).broadcast_to(x, self.shape)

    def backward(self, gy):
        return sum_to(gy, self.inputs[0].shape)


def broadcast_to(x: Operand, shape: Shape) -> Variable:
    """Broadcast ``x`` to ``shape``; no node if already that shape."""
    shape = _shape_arg('broadcast_to', shape)
    x = as_variable(x)
    if x.shape == shape:
        return x
    try:
        ok = np.broadcast_shapes(x.shape, shape) == shape
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f'broadcast_to: x of shape {x.shape} cannot be broadcast to {shape}')
    return BroadcastTo(shape)(x)


class SumTo(Function):
    keep_inputs = ()

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        return sum_to_array(x, self.shape)

    def backward(self, gy):
        return broadcast_to(gy, self.inputs[0].shape)


def sum_to(x: Operand, shape: Shape) -> Variable:
    """Sum ``x`` down to ``shape`` (the inverse of broadcasting); no node if already that shape."""
    shape = _shape_arg('sum_to', shape)
    x = as_variable(x)
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)
    if lead < 0 or any(s not in (1, n) for s, n in zip(shape, x.shape[lead:])):
        raise ValueError(f'sum_to: x of shape {x.shape} cannot be summed to shape {shape} (its shape '
                         'must broadcast to x\'s)')
    return SumTo(shape)(x)
