"""Differentiable functions, imported as ``F``.

Each operation is a Function class with ``forward`` (arrays) and ``backward``
(Variables, so it can be differentiated again) side by side, and the lowercase
function that users call right below it.
"""
import numpy as np

from dezero import cuda, utils
from dezero.core import Function, Variable, as_variable, as_array, Config  # noqa: F401
from dezero.core import add, sub, rsub, mul, div, rdiv, neg, pow, power  # noqa: F401


# =============================================================================
# Basic functions: sin / cos / tanh / exp / log
# =============================================================================
class Sin(Function):
    def forward(self, x):
        return cuda.get_array_module(x).sin(x)

    def backward(self, gy):
        x, = self.inputs
        return gy * cos(x)


def sin(x):
    return Sin()(x)


class Cos(Function):
    def forward(self, x):
        return cuda.get_array_module(x).cos(x)

    def backward(self, gy):
        x, = self.inputs
        return gy * -sin(x)


def cos(x):
    return Cos()(x)


class Tanh(Function):
    def forward(self, x):
        return cuda.get_array_module(x).tanh(x)

    def backward(self, gy):
        y = self.outputs[0]()
        return gy * (1 - y * y)


def tanh(x):
    return Tanh()(x)


class Exp(Function):
    def forward(self, x):
        return cuda.get_array_module(x).exp(x)

    def backward(self, gy):
        y = self.outputs[0]()
        return gy * y


def exp(x):
    return Exp()(x)


class Log(Function):
    def forward(self, x):
        return cuda.get_array_module(x).log(x)

    def backward(self, gy):
        x, = self.inputs
        return gy / x


def log(x):
    return Log()(x)


# =============================================================================
# Tensor operations: reshape / transpose / get_item / expand_dims / flatten
# =============================================================================
class Reshape(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.x_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, gy):
        return reshape(gy, self.x_shape)


def reshape(x, shape):
    """``x`` with a new shape (``-1`` allowed); no node when the shape is unchanged."""
    if x.shape == tuple(shape):
        return as_variable(x)
    return Reshape(tuple(shape))(x)


class Transpose(Function):
    def __init__(self, axes=None):
        self.axes = None if axes is None else tuple(axes)

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, gy):
        if self.axes is None:
            return transpose(gy)
        inverse = tuple(np.argsort([a % len(self.axes) for a in self.axes]))
        return transpose(gy, inverse)


def transpose(x, axes=None):
    """Permute the axes (reverse them when ``axes`` is None); negative axes allowed."""
    return Transpose(axes)(x)


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
    return all(s is None or s is Ellipsis or isinstance(s, (int, np.integer, slice))
               for s in items)


class GetItem(Function):
    def __init__(self, slices):
        self.slices = slices

    def forward(self, x):
        return x[self.slices]

    def backward(self, gy):
        x, = self.inputs
        return GetItemGrad(self.slices, x.shape)(gy)


class GetItemGrad(Function):
    """Scatter ``gy`` into zeros of the input's shape; repeated indices accumulate."""

    def __init__(self, slices, in_shape):
        self.slices = slices
        self.in_shape = in_shape

    def forward(self, gy):
        xp = cuda.get_array_module(gy)
        gx = xp.zeros(self.in_shape, dtype=gy.dtype)
        if _is_basic_index(self.slices):
            gx[self.slices] = gy
        else:
            cuda.scatter_add(gx, self.slices, gy)
        return gx

    def backward(self, ggx):
        return get_item(ggx, self.slices)


def get_item(x, slices):
    """``x[slices]``: ints, slices, Ellipsis, None, integer or boolean arrays."""
    return GetItem(_index(slices))(x)


def expand_dims(x, axis):
    """Insert an axis of length 1 at ``axis`` (NumPy semantics: -1 appends)."""
    x = as_variable(x)
    if axis < 0:
        axis += x.ndim + 1
    shape = list(x.shape)
    shape.insert(axis, 1)
    return reshape(x, tuple(shape))


def flatten(x):
    """Flatten every axis but the first (the batch): (N, ...) -> (N, -1)."""
    x = as_variable(x)
    return reshape(x, (x.shape[0], -1))


# =============================================================================
# Reductions and broadcasting: sum / sum_to / broadcast_to / average / max / min
# =============================================================================
def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


class Sum(Function):
    def __init__(self, axis, keepdims):
        self.axis = _axis(axis)
        self.keepdims = keepdims

    def forward(self, x):
        self.x_shape = x.shape
        return x.sum(axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy):
        gy = utils.reshape_sum_backward(gy, self.x_shape, self.axis, self.keepdims)
        return broadcast_to(gy, self.x_shape)


def sum(x, axis=None, keepdims=False):
    """Sum over ``axis`` (None, an int, a tuple or a list)."""
    return Sum(axis, keepdims)(x)


class SumTo(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.x_shape = x.shape
        return utils.sum_to(x, self.shape)

    def backward(self, gy):
        return broadcast_to(gy, self.x_shape)


def sum_to(x, shape):
    """Sum ``x`` down to ``shape`` (the inverse of broadcasting); no node if already that shape."""
    if x.shape == tuple(shape):
        return as_variable(x)
    return SumTo(tuple(shape))(x)


class BroadcastTo(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.x_shape = x.shape
        return cuda.get_array_module(x).broadcast_to(x, self.shape)

    def backward(self, gy):
        return sum_to(gy, self.x_shape)


def broadcast_to(x, shape):
    """Broadcast ``x`` to ``shape``; no node if already that shape."""
    if x.shape == tuple(shape):
        return as_variable(x)
    return BroadcastTo(tuple(shape))(x)


def average(x, axis=None, keepdims=False):
    """Mean over ``axis``."""
    x = as_variable(x)
    y = sum(x, axis, keepdims)
    return y * (y.data.size / x.data.size)


mean = average


class Max(Function):
    """Maximum over ``axis``; tied maxima share the gradient evenly."""
    _reduce = 'max'

    def __init__(self, axis=None, keepdims=False):
        self.axis = _axis(axis)
        self.keepdims = keepdims

    def forward(self, x):
        return getattr(x, self._reduce)(axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy):
        x = self.inputs[0].data
        extreme = getattr(x, self._reduce)(axis=self.axis, keepdims=True)
        mask = x == extreme
        weight = mask / mask.sum(axis=self.axis, keepdims=True)
        if gy.dtype.kind == 'f':
            weight = weight.astype(gy.dtype)
        gy = reshape(gy, utils.max_backward_shape(x, self.axis))
        return broadcast_to(gy, x.shape) * weight


class Min(Max):
    _reduce = 'min'


def max(x, axis=None, keepdims=False):
    return Max(axis, keepdims)(x)


def min(x, axis=None, keepdims=False):
    return Min(axis, keepdims)(x)


# =============================================================================
# Linear algebra: matmul
# =============================================================================
class MatMul(Function):
    """``np.matmul``: 2-D matrix products and batched N-D ones with broadcasting."""

    def forward(self, x, W):
        return cuda.get_array_module(x).matmul(x, W)

    def backward(self, gy):
        x, W = self.inputs
        if x.ndim == 2 and W.ndim == 2:
            return matmul(gy, W.T), matmul(x.T, gy)
        xm = x if x.ndim > 1 else reshape(x, (1,) + x.shape)      # vectors as matrices,
        Wm = W if W.ndim > 1 else reshape(W, W.shape + (1,))      # as np.matmul treats them
        batch = np.broadcast_shapes(xm.shape[:-2], Wm.shape[:-2])
        gy = reshape(gy, batch + (xm.shape[-2], Wm.shape[-1]))
        gx = sum_to(matmul(gy, _swap_last(Wm)), xm.shape)
        gW = sum_to(matmul(_swap_last(xm), gy), Wm.shape)
        return reshape(gx, x.shape), reshape(gW, W.shape)


def _swap_last(x):
    axes = list(range(x.ndim))
    axes[-2], axes[-1] = axes[-1], axes[-2]
    return transpose(x, axes)


def matmul(x, W):
    """Matrix product ``x @ W`` with NumPy's rules for vectors and batches."""
    return MatMul()(x, W)


# =============================================================================
# Joining arrays: stack / concat
# =============================================================================
class Stack(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        return cuda.get_array_module(xs[0]).stack(xs, axis=self.axis)

    def backward(self, gy):
        axis = self.axis % gy.ndim
        return tuple(get_item(gy, (slice(None),) * axis + (i,)) for i in range(len(self.inputs)))


def stack(xs, axis=0):
    """Join Variables of equal shape along a new axis."""
    return Stack(axis)(*xs)


class Concat(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        return cuda.get_array_module(xs[0]).concatenate(xs, axis=self.axis)

    def backward(self, gy):
        axis = self.axis % gy.ndim
        bounds = np.cumsum([0] + [x.shape[axis] for x in self.inputs])
        return tuple(get_item(gy, (slice(None),) * axis + (slice(a, b),))
                     for a, b in zip(bounds[:-1], bounds[1:]))


def concat(xs, axis=0):
    """Join Variables along an existing axis."""
    return Concat(axis)(*xs)
