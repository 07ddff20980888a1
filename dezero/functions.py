"""Differentiable functions, imported as ``F``.

Each operation is a Function class with ``forward`` (arrays) and ``backward``
(Variables, so it can be differentiated again) side by side, and the lowercase
function that users call right below it. Functions whose derivative is a
piecewise-constant mask (relu, clip, max...) multiply ``gy`` by that mask as a
constant, which keeps every higher derivative exact between the kinks.

The original's functions come first, then the ones it lacked; convolution and
pooling are in ``dezero.functions_conv`` and re-exported here. docs/functions.md
has the table of every function.

The backwards that run most often start with a first-order branch
(``if not _settings.enable_backprop``): when no graph is being recorded, the
gradient is computed on the arrays directly, which gives the same numbers as the
Function-built formula below it without the cost of creating Functions
(benchmarks/NOTES.md). With ``create_graph`` the Function-built formula runs.
"""
import builtins
import math

import numpy as np

from dezero import cuda, utils
from dezero.core import Function, Variable, as_variable, as_array, Config  # noqa: F401
from dezero.core import add, sub, rsub, mul, div, rdiv, neg, pow, power  # noqa: F401
from dezero.core import Constant, _as_operand, _settings


# =============================================================================
# Basic functions: sin / cos / tanh / exp / log
# =============================================================================
class Sin(Function):
    def forward(self, x):
        return cuda.get_array_module(x).sin(x)

    def backward(self, gy):
        x, = self.inputs
        if not _settings.enable_backprop:
            return Variable(gy.data * cuda.get_array_module(x.data).cos(x.data))
        return gy * cos(x)


def sin(x):
    return Sin()(x)


class Cos(Function):
    def forward(self, x):
        return cuda.get_array_module(x).cos(x)

    def backward(self, gy):
        x, = self.inputs
        if not _settings.enable_backprop:
            return Variable(gy.data * -cuda.get_array_module(x.data).sin(x.data))
        return gy * -sin(x)


def cos(x):
    return Cos()(x)


class Tanh(Function):
    def forward(self, x):
        return cuda.get_array_module(x).tanh(x)

    def backward(self, gy):
        y = self.outputs[0]()
        if not _settings.enable_backprop:
            y = y.data
            return Variable(gy.data * (y.dtype.type(1) - y * y))
        return gy * (1 - y * y)


def tanh(x):
    return Tanh()(x)


class Exp(Function):
    def forward(self, x):
        return cuda.get_array_module(x).exp(x)

    def backward(self, gy):
        y = self.outputs[0]()
        if not _settings.enable_backprop:
            return Variable(gy.data * y.data)
        return gy * y


def exp(x):
    return Exp()(x)


class Log(Function):
    def forward(self, x):
        return cuda.get_array_module(x).log(x)

    def backward(self, gy):
        x, = self.inputs
        if not _settings.enable_backprop:
            return Variable(gy.data / x.data)
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
        if not _settings.enable_backprop:
            return Variable(gy.data.reshape(self.x_shape))
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
        if not _settings.enable_backprop:
            gy = utils.reshape_sum_backward(gy.data, self.x_shape, self.axis, self.keepdims)
            return Variable(cuda.get_array_module(gy).broadcast_to(gy, self.x_shape))
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
        if not _settings.enable_backprop:
            return Variable(cuda.get_array_module(gy.data).broadcast_to(gy.data, self.x_shape))
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
        if not _settings.enable_backprop:
            return Variable(utils.sum_to(gy.data, self.x_shape))
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
            if not _settings.enable_backprop:
                xp = cuda.get_array_module(gy.data)
                return Variable(xp.matmul(gy.data, W.data.T)), Variable(xp.matmul(x.data.T, gy.data))
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


# =============================================================================
# Helpers shared by the functions below
# =============================================================================
def _scalar(x, value):
    """``value`` as a scalar of float array ``x``'s dtype.

    Under NumPy 1 a 0-d float32 array combined with a Python float gives
    float64; a float32 scalar keeps it float32. Non-float arrays get ``value``.
    """
    return x.dtype.type(value) if x.dtype.kind == 'f' else value


def _mask(condition, like):
    """A boolean array as a constant array of ``like``'s float dtype (for HO-gy backwards)."""
    dtype = like.dtype if like.dtype.kind in 'fc' else np.float64
    return condition.astype(dtype)


def _batch_size(x):
    """len(x), or 1 for a 0-d array: the divisor of the book's losses."""
    return x.shape[0] if x.ndim else 1


def _divide(total, n):
    """``total / n`` keeping a float32 total float32 (NumPy 1 promotes float32 scalar / int)."""
    return total / _scalar(total, n)


def _as_float(t, like):
    """Labels or targets ``t`` (a Variable) as ``like``'s float dtype when they are not floats."""
    if t.dtype.kind in 'fc':
        return t
    return Variable(t.data.astype(like.dtype if like.dtype.kind in 'fc' else np.float64))


def _logsumexp(x, axis):
    """log(sum(exp(x))) over ``axis`` with kept dims, shifted by the maximum; keeps a 0-d float32 float32."""
    xp = cuda.get_array_module(x)
    m = x.max(axis=axis, keepdims=True)
    m = xp.where(xp.isfinite(m), m, _scalar(m, 0))    # rows of -inf (or +inf) must not turn into nan
    return m + xp.log(xp.exp(x - m).sum(axis=axis, keepdims=True))


def _same_shape(name, x0, x1):
    """(x0, x1) with x1 reshaped to x0's shape when they differ only by axes of length 1.

    (1, 1) against (1,) pairs the same elements and is accepted (the book's step 59 does
    it); (3, 1) against (3,) would broadcast to a (3, 3) difference and is an error.
    """
    if x0.shape == x1.shape:
        return x0, x1
    try:
        size = int(np.prod(np.broadcast_shapes(x0.shape, x1.shape)))
    except ValueError:
        size = -1
    if size == x0.size == x1.size:
        return x0, reshape(x1, x0.shape)
    raise ValueError(f'{name}: the inputs have shapes {x0.shape} and {x1.shape}, which must be '
                     'equal; broadcasting would compare the wrong pairs (e.g. (3, 1) against (3,) '
                     'gives a (3, 3) difference). Reshape one of them first.')


# =============================================================================
# Linear transformation: linear / linear_simple
# =============================================================================
def _linear_array(x, W, b=None):
    """``x @ W + b`` on arrays, adding the bias in place when it cannot change the result's shape or dtype."""
    y = cuda.get_array_module(x).matmul(x, W)
    if b is not None:
        if b.dtype == y.dtype and np.broadcast_shapes(y.shape, b.shape) == y.shape:
            y += b
        else:
            y = y + b
    return y


class Linear(Function):
    """``x @ W + b`` for x of shape (..., in), W of shape (in, out) and an optional bias.

    An operand given as an array (a Constant, e.g. the input batch) gets no gradient, which
    saves the largest product of the first layer's backward.
    """

    def forward(self, x, W, b=None):
        return _linear_array(x, W, b)

    def backward(self, gy):
        x, W = self.inputs[:2]
        if not _settings.enable_backprop and x.ndim == 2:
            return self._backward_arrays(gy.data)
        gx = None if x.__class__ is Constant else matmul(gy, W.T)
        gW = None
        if W.__class__ is not Constant:
            x2 = x if x.ndim == 2 else reshape(x, (-1, x.shape[-1]))
            gy2 = gy if gy.ndim == 2 else reshape(gy, (-1, gy.shape[-1]))
            gW = matmul(x2.T, gy2)
        if len(self.inputs) == 2:
            return gx, gW
        b = self.inputs[2]
        return gx, gW, None if b.__class__ is Constant else sum_to(gy, b.shape)

    def _backward_arrays(self, gy):
        xp = cuda.get_array_module(gy)
        x, W = self.inputs[0], self.inputs[1]
        grads = [None if x.__class__ is Constant else Variable(xp.matmul(gy, W.data.T)),
                 None if W.__class__ is Constant else Variable(xp.matmul(x.data.T, gy))]
        if len(self.inputs) == 3:
            b = self.inputs[2]
            grads.append(None if b.__class__ is Constant else
                         Variable(gy if b.shape == gy.shape else utils.sum_to(gy, b.shape)))
        return tuple(grads)


def _no_bias(b):
    return b is None or (isinstance(b, Variable) and b.data is None)


def _check_linear(name, x, W):
    if W.ndim != 2 or x.ndim < 1 or x.shape[-1] != W.shape[0]:
        raise ValueError(f'{name}: x of shape {x.shape} cannot be multiplied by W of shape {W.shape}; '
                         'W must be (in, out) with in equal to the last axis of x')


def _operand(x):
    """``x`` if it is a Variable, else a Constant holding it: an array argument gets no gradient."""
    return x if isinstance(x, Variable) else Constant(as_array(x))


def linear(x, W, b=None):
    """``x @ W + b`` (b may be None); x may have leading batch axes."""
    x, W = _operand(x), _operand(W)
    _check_linear('linear', x, W)
    if _no_bias(b):
        return Linear()(x, W)
    return Linear()(x, W, _operand(b))


def linear_simple(x, W, b=None):
    """``linear`` built from matmul and add.

    Unlike the original, the intermediate product keeps its data: Add's backward
    reads its inputs' shapes.
    """
    x, W = as_variable(x), as_variable(W)
    _check_linear('linear_simple', x, W)
    t = matmul(x, W)
    if _no_bias(b):
        return t
    return t + b


# =============================================================================
# Activation functions: sigmoid / relu / leaky_relu / softplus / softmax / log_softmax
# =============================================================================
def sigmoid_simple(x):
    """1 / (1 + exp(-x)), written with Variable arithmetic."""
    x = as_variable(x)
    return 1 / (1 + exp(-x))


def _sigmoid_array(x):
    half = _scalar(x, 0.5)
    return cuda.get_array_module(x).tanh(x * half) * half + half   # stable for large |x|


class Sigmoid(Function):
    def forward(self, x):
        return _sigmoid_array(x)

    def backward(self, gy):
        y = self.outputs[0]()
        if not _settings.enable_backprop:
            y = y.data
            return Variable(gy.data * y * (y.dtype.type(1) - y))
        return gy * y * (1 - y)


def sigmoid(x):
    return Sigmoid()(x)


class ReLU(Function):
    def forward(self, x):
        return cuda.get_array_module(x).maximum(x, _scalar(x, 0))

    def backward(self, gy):
        x, = self.inputs
        if not _settings.enable_backprop:
            return Variable(gy.data * _mask(x.data > 0, gy))
        return gy * _mask(x.data > 0, gy)


def relu(x):
    """max(x, 0); the gradient at 0 is 0."""
    return ReLU()(x)


class LeakyReLU(Function):
    def __init__(self, slope):
        self.slope = slope

    def forward(self, x):
        return cuda.get_array_module(x).where(x > 0, x, x * _scalar(x, self.slope))

    def backward(self, gy):
        x, = self.inputs
        xp = cuda.get_array_module(x.data)
        return gy * _mask(xp.where(x.data > 0, 1.0, self.slope), gy)


def leaky_relu(x, slope=0.2):
    """x where x > 0, slope * x elsewhere."""
    return LeakyReLU(slope)(x)


class Softplus(Function):
    def __init__(self, beta=1.0):
        self.beta = beta

    def forward(self, x):
        xp = cuda.get_array_module(x)
        bx = x if self.beta == 1 else x * _scalar(x, self.beta)
        y = xp.maximum(bx, _scalar(x, 0)) + xp.log1p(xp.exp(-xp.abs(bx)))
        return y if self.beta == 1 else y / _scalar(y, self.beta)

    def backward(self, gy):
        x, = self.inputs
        return gy * sigmoid(x if self.beta == 1 else x * self.beta)


def softplus(x, beta=1.0):
    """log(1 + exp(beta * x)) / beta, computed without overflow; its derivative is sigmoid(beta * x)."""
    return Softplus(beta)(x)


def softmax_simple(x, axis=1):
    """exp(x) / sum(exp(x)) along ``axis``, not stabilised (overflows for large x)."""
    x = as_variable(x)
    y = exp(x)
    return y / sum(y, axis=axis, keepdims=True)


def _softmax_array(x, axis):
    y = x - x.max(axis=axis, keepdims=True)
    y = cuda.get_array_module(x).exp(y)
    y /= y.sum(axis=axis, keepdims=True)
    return y


class Softmax(Function):
    def __init__(self, axis=1):
        self.axis = axis

    def forward(self, x):
        return _softmax_array(x, self.axis)

    def backward(self, gy):
        y = self.outputs[0]()
        gx = y * gy
        return gx - y * sum(gx, axis=self.axis, keepdims=True)


def softmax(x, axis=1):
    """exp(x) / sum(exp(x)) along ``axis``, shifted by the maximum so it cannot overflow."""
    return Softmax(axis)(x)


class LogSoftmax(Function):
    def __init__(self, axis=1):
        self.axis = axis

    def forward(self, x):
        return x - _logsumexp(x, self.axis)

    def backward(self, gy):
        y = self.outputs[0]()
        return gy - exp(y) * sum(gy, axis=self.axis, keepdims=True)


def log_softmax(x, axis=1):
    """log(softmax(x)) along ``axis``, computed stably as x - logsumexp(x)."""
    return LogSoftmax(axis)(x)


# =============================================================================
# One LSTM step as a single Function (used by layers.LSTM)
# =============================================================================
class LSTMCell(Function):
    """h, c = LSTM(x, h_prev, c_prev) in one node, with forget, input and output gates and update u.

    The inputs are ``x, Wx_f, Wx_i, Wx_o, Wx_u, b_f, b_i, b_o, b_u``, then ``h_prev, Wh_f, Wh_i,
    Wh_o, Wh_u`` unless there is no previous h, then ``c_prev`` unless there is no previous c. The
    forward computes exactly what layers.LSTM's 21 separate Functions compute, in the same order.
    The backward works on arrays with the gate values kept by the forward; under
    ``create_graph`` it recomputes the gates with Functions, so derivatives of every order exist.
    """

    def __init__(self, has_h, has_c):
        self.has_h = has_h
        self.has_c = has_c

    def _split(self, xs):
        """(x, Wx, b, h, Wh, c) from the flat inputs; h, Wh, c are None when absent."""
        h, Wh = (xs[9], xs[10:14]) if self.has_h else (None, None)
        return xs[0], xs[1:5], xs[5:9], h, Wh, xs[-1] if self.has_c else None

    def forward(self, *xs):
        x, Wx, b, h, Wh, c = self._split(xs)
        xp = cuda.get_array_module(x)
        a = [_linear_array(x, W, bk) for W, bk in zip(Wx, b)]
        if h is not None:
            a = [ak + xp.matmul(h, W) for ak, W in zip(a, Wh)]
        f, i, o, u = _sigmoid_array(a[0]), _sigmoid_array(a[1]), _sigmoid_array(a[2]), xp.tanh(a[3])
        c_new = i * u if c is None else f * c + i * u
        tc = xp.tanh(c_new)
        self.gates = f, i, o, u, tc
        return o * tc, c_new

    def backward(self, gh, gc):
        need_x = self.inputs[0].__class__ is not Constant
        if _settings.enable_backprop:           # create_graph: gates as Functions of the inputs
            x, Wx, b, h, Wh, c = self._split(self.inputs)
            grads = _lstm_cell_grads(gh, gc, x, Wx, h, Wh, c, _lstm_gates(x, Wx, b, h, Wh, c), need_x)
        else:
            x, Wx, b, h, Wh, c = self._split([v.data for v in self.inputs])
            gh = None if gh is None else gh.data
            gc = None if gc is None else gc.data
            grads = [None if g is None else Variable(g)
                     for g in _lstm_cell_grads(gh, gc, x, Wx, h, Wh, c, self.gates, need_x)]
        return tuple(None if v.__class__ is Constant else g for g, v in zip(grads, self.inputs))


def _lstm_gates(x, Wx, b, h, Wh, c):
    """The gates f, i, o, u and tanh(c_new) of one LSTM step, computed with Functions."""
    a = [linear(x, W, bk) for W, bk in zip(Wx, b)]
    if h is not None:
        a = [ak + matmul(h, W) for ak, W in zip(a, Wh)]
    f, i, o, u = sigmoid(a[0]), sigmoid(a[1]), sigmoid(a[2]), tanh(a[3])
    c_new = i * u if c is None else f * c + i * u
    return f, i, o, u, tanh(c_new)


def _plus(a, b):
    return b if a is None else a if b is None else a + b


def _outer(a, g):
    """``a.T @ g``; for one row, the same numbers by broadcasting, which NumPy does several times faster."""
    if len(a) == 1 and not isinstance(a, Variable):
        return a.reshape(-1, 1) * g
    return a.T @ g


def _lstm_cell_grads(gh, gc, x, Wx, h, Wh, c, gates, need_x):
    """Gradients of one LSTM step for every input, in LSTMCell's order (None: no gradient).

    Written with operators, ``@`` and ``.T`` only, so the same lines serve arrays (the first-order
    backward) and Variables (create_graph). Each product is taken in the order the separate
    Functions of layers.LSTM would take it; the sums over the four gates are not, so the gradients
    of x and h_prev agree with theirs to rounding.
    """
    f, i, o, u, tc = gates
    g_c = gc if gh is None else _plus(gc, gh * o * (1 - tc * tc))
    ga_f = None if g_c is None or c is None else g_c * c * f * (1 - f)
    ga_i = None if g_c is None else g_c * u * i * (1 - i)
    ga_o = None if gh is None else gh * tc * o * (1 - o)
    ga_u = None if g_c is None else g_c * i * (1 - u * u)
    ga = (ga_f, ga_i, ga_o, ga_u)
    gx, gh_prev = None, None
    gWx, gb, gWh = [None] * 4, [None] * 4, [None] * 4
    for k, g in enumerate(ga):
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


def _lstm_cell(x, h, c, Wx, b, Wh):
    """One LSTM step: (h, c) from x of shape (N, in), the previous h and c (or None) and the weights."""
    xs = [_operand(x)] + list(Wx) + list(b)
    if h is not None:
        xs += [h] + list(Wh)
    if c is not None:
        xs.append(c)
    return LSTMCell(h is not None, c is not None)(*xs)


# =============================================================================
# Loss functions. As in the book, each sums over all elements and divides by
# the batch size N = len(x) (1 for a 0-d input).
# =============================================================================
def mean_squared_error_simple(x0, x1):
    """sum((x0 - x1)^2) / N, written with Variable arithmetic; the shapes must be equal."""
    x0, x1 = as_variable(x0), as_variable(x1)
    x0, x1 = _same_shape('mean_squared_error_simple', x0, x1)
    diff = x0 - x1
    return sum(diff ** 2) / _batch_size(diff)


class MeanSquaredError(Function):
    def forward(self, x0, x1):
        diff = x0 - x1
        return _divide((diff * diff).sum(), _batch_size(diff))

    def backward(self, gy):
        x0, x1 = self.inputs
        if not _settings.enable_backprop and gy.dtype.kind == 'f':
            g = gy.data * (x0.data - x1.data)
            g = g * g.dtype.type(2 / _batch_size(x0))
            return Variable(g), Variable(-g)
        gx0 = gy * (x0 - x1) * (2 / _batch_size(x0))
        return gx0, -gx0


def mean_squared_error(x0, x1):
    """sum((x0 - x1)^2) / N, with N the batch size (the first axis), as in the book.

    The shapes must be equal: (3, 1) against (3,) raises ValueError instead of
    silently averaging a broadcast (3, 3) difference.
    """
    x0, x1 = as_variable(x0), as_variable(x1)
    x0, x1 = _same_shape('mean_squared_error', x0, x1)
    return MeanSquaredError()(x0, x1)


def _label_index(name, x, t):
    """Integer labels ``t`` as an index array of shape (N, 1, ...) for x of shape (N, C, ...)."""
    if x.ndim < 2:
        raise ValueError(f'{name}: x must have a class axis, shape (N, C) or (N, C, ...); got {x.shape}')
    if t.dtype.kind not in 'iu':
        raise TypeError(f'{name}: labels t must be integer class indices, got dtype {t.dtype}')
    expected = (x.shape[0],) + x.shape[2:]
    if t.shape != expected and not (x.ndim == 2 and t.shape == (x.shape[0], 1)):
        extra = ' or (N, 1)' if x.ndim == 2 else ''
        raise ValueError(f'{name}: labels of shape {t.shape} do not fit x of shape {x.shape}; '
                         f'expected {expected}{extra}')
    return t.reshape((x.shape[0], 1) + x.shape[2:])


class SoftmaxCrossEntropy(Function):
    """Mean over the labels of -log softmax(x)[t]; the class axis is 1."""

    def forward(self, x, t):
        xp = cuda.get_array_module(x)
        t = _label_index('softmax_cross_entropy', x, t)
        log_p = xp.take_along_axis(x, t, axis=1) - _logsumexp(x, axis=1)
        return _divide(-log_p.sum(), t.size)

    def backward(self, gy):
        x, t = self.inputs
        xp = cuda.get_array_module(x.data)
        t = _label_index('softmax_cross_entropy', x, t.data)
        classes = xp.arange(x.shape[1]).reshape((1, -1) + (1,) * (x.ndim - 2))
        onehot = (classes == t).astype(x.dtype)
        if not _settings.enable_backprop and gy.dtype.kind == 'f':
            p = _softmax_array(x.data, 1)
            return Variable((p - onehot) * (gy.data / gy.dtype.type(t.size))), None
        return (softmax(x, axis=1) - onehot) * (gy / t.size), None


def softmax_cross_entropy(x, t):
    """Cross entropy of softmax(x) (class axis 1) against integer labels ``t``.

    x is (N, C) with t of shape (N,) or (N, 1), or x is (N, C, d1, ...) with t of
    shape (N, d1, ...). The loss is averaged over the labels (over N for 2-D x).
    """
    return SoftmaxCrossEntropy()(x, t)


def softmax_cross_entropy_simple(x, t):
    """The same loss written with softmax, clip, log and indexing (probabilities clipped at 1e-15)."""
    x, t = as_variable(x), as_variable(t)
    t = _label_index('softmax_cross_entropy_simple', x, t.data)
    if x.ndim != 2:
        raise ValueError(f'softmax_cross_entropy_simple: x must be (N, C), got {x.shape}')
    N = x.shape[0]
    p = clip(softmax(x), 1e-15, 1.0)
    tlog_p = log(p)[cuda.get_array_module(x.data).arange(N), t.ravel()]
    return -1 * sum(tlog_p) / N


def _binary_targets(name, x, t):
    """Targets reshaped to x's shape when the ndims differ (as the original), then checked and cast."""
    x, t = as_variable(x), as_variable(t)
    if x.ndim != t.ndim and t.size == x.size:
        t = reshape(t, x.shape)
    x, t = _same_shape(name, x, t)
    return x, _as_float(t, x)


def sigmoid_cross_entropy(x, t):
    """Binary cross entropy of sigmoid(x) against targets t in [0, 1], summed and divided by N.

    Computed as softplus(x) - t * x, which stays finite however large |x| is.
    Labels of shape (N,) are reshaped to logits of shape (N, 1).
    """
    x, t = _binary_targets('sigmoid_cross_entropy', x, t)
    return sum(softplus(x) - t * x) / _batch_size(x)


def binary_cross_entropy(p, t):
    """Cross entropy of probabilities p against targets t, summed and divided by N.

    p is clipped to [eps, 1 - eps] with eps = max(1e-15, machine epsilon of p's dtype),
    so log(0) never happens, in float32 too.
    """
    p, t = _binary_targets('binary_cross_entropy', p, t)
    eps = 1e-15
    if p.dtype.kind == 'f':
        eps = builtins.max(eps, float(np.finfo(p.dtype).eps))
    p = clip(p, eps, 1 - eps)
    return -sum(t * log(p) + (1 - t) * log(1 - p)) / _batch_size(p)


# =============================================================================
# Metrics and regularisation: accuracy / dropout
# =============================================================================
def accuracy(y, t):
    """Fraction of rows whose argmax over axis 1 equals the label; a float64 0-d Variable, no graph."""
    y, t = as_variable(y), as_variable(t)
    pred = y.data.argmax(axis=1).reshape(t.shape)
    return Variable(as_array((pred == t.data).mean()))


class Dropout(Function):
    def __init__(self, mask):
        self.mask = mask        # kept elements scaled by 1 / (1 - ratio), zeros elsewhere

    def forward(self, x):
        return x * self.mask

    def backward(self, gy):
        return gy * self.mask


def dropout(x, dropout_ratio=0.5):
    """Inverted dropout: zero each element with probability ``dropout_ratio`` and scale the rest.

    Identity in test mode (``dezero.test_mode()``). The mask is drawn with
    ``xp.random.rand(*x.shape)``, as in the original.
    """
    x = as_variable(x)
    if not 0 <= dropout_ratio < 1:
        raise ValueError(f'dropout: dropout_ratio must be in [0, 1), got {dropout_ratio}')
    if not Config.train:
        return x
    xp = cuda.get_array_module(x.data)
    dtype = x.dtype if x.dtype.kind == 'f' else np.dtype(np.float64)
    keep = xp.random.rand(*x.shape) > dropout_ratio
    mask = keep.astype(dtype) / dtype.type(1 - dropout_ratio)
    return Dropout(mask)(x)


# =============================================================================
# Batch normalisation and embedding: batch_norm / batch_nrom / embed_id
# =============================================================================
class BatchNorm(Function):
    """Normalise over every axis but axis 1 (the channels), then scale by gamma and shift by beta.

    Training mode uses the batch statistics and updates the running ``mean`` and
    ``var`` arrays in place; test mode uses them. The backward recomputes the
    statistics from x with Functions, so second derivatives are exact.
    """

    def __init__(self, mean, var, decay, eps):
        self.avg_mean = mean
        self.avg_var = var
        self.decay = decay
        self.eps = eps

    def forward(self, x, gamma, beta):
        xp = cuda.get_array_module(x)
        self.axis = (0,) + tuple(range(2, x.ndim))
        self.shape = (1, -1) + (1,) * (x.ndim - 2)       # gamma's shape, broadcastable to x
        self.train = Config.train
        if self.train:
            mean = x.mean(axis=self.axis, keepdims=True)
            var = x.var(axis=self.axis, keepdims=True)
            m = x.size // gamma.size
            adjust = m / (m - 1 if m - 1 > 1 else 1)        # unbiased running variance
            self.avg_mean *= self.decay
            self.avg_mean += (1 - self.decay) * mean.reshape(self.avg_mean.shape)
            self.avg_var *= self.decay
            self.avg_var += (1 - self.decay) * adjust * var.reshape(self.avg_var.shape)
        else:
            mean = self.avg_mean.astype(x.dtype).reshape(self.shape)    # copies: the running
            var = self.avg_var.astype(x.dtype).reshape(self.shape)      # arrays change later
            self.mean = mean
        self.inv_std = 1 / xp.sqrt(var + _scalar(var, self.eps))
        xc = (x - mean) * self.inv_std
        return gamma.reshape(self.shape) * xc + beta.reshape(self.shape)

    def backward(self, gy):
        x, gamma, beta = self.inputs
        g = reshape(gamma, self.shape)
        if self.train:
            B = x.size // gamma.size
            xc = x - mean(x, axis=self.axis, keepdims=True)
            inv_std = (mean(xc * xc, axis=self.axis, keepdims=True) + self.eps) ** -0.5
            xhat = xc * inv_std
        else:
            inv_std = self.inv_std
            xhat = (x - self.mean) * inv_std
        gbeta = sum(gy, axis=self.axis)
        ggamma = sum(xhat * gy, axis=self.axis)
        if self.train:
            gy = gy - reshape(gbeta, self.shape) / B - xhat * reshape(ggamma, self.shape) / B
        gx = gy * g * inv_std
        return gx, reshape(ggamma, gamma.shape), reshape(gbeta, beta.shape)


def _array(a):
    return a.data if isinstance(a, Variable) else a


def batch_norm(x, gamma, beta, mean, var, decay=0.9, eps=2e-5):
    """Batch normalisation of x (N, C) or (N, C, H, W) (any ndim >= 2; channels on axis 1).

    ``mean`` and ``var`` are the running statistics, arrays of shape (C,) updated
    in place in training mode: avg <- decay * avg + (1 - decay) * batch statistic
    (the variance made unbiased). Test mode normalises with them instead.
    """
    x, gamma, beta = as_variable(x), as_variable(gamma), as_variable(beta)
    mean, var = _array(mean), _array(var)
    if x.ndim < 2:
        raise ValueError(f'batch_norm: x must be (N, C) or (N, C, ...), got shape {x.shape}')
    C = x.shape[1]
    for name, a in (('gamma', gamma), ('beta', beta), ('mean', mean), ('var', var)):
        if a.size != C:
            raise ValueError(f'batch_norm: {name} has shape {a.shape} but x of shape {x.shape} '
                             f'has {C} channels on axis 1')
    return BatchNorm(mean, var, decay, eps)(x, gamma, beta)


batch_nrom = batch_norm    # the original's spelling, kept for compatibility


def embed_id(x, W):
    """Rows of the embedding matrix W picked by the integer ids x: ``W[x]``."""
    return get_item(W, x)


# =============================================================================
# clip
# =============================================================================
class Clip(Function):
    def __init__(self, x_min, x_max):
        self.x_min = x_min
        self.x_max = x_max

    def forward(self, x):
        xp = cuda.get_array_module(x)
        return xp.clip(x, _scalar(x, self.x_min), _scalar(x, self.x_max))

    def backward(self, gy):
        x, = self.inputs
        mask = (x.data >= self.x_min) * (x.data <= self.x_max)
        return gy * _mask(mask, gy)


def clip(x, x_min, x_max):
    """x limited to [x_min, x_max]; the gradient passes where x is inside (bounds inclusive)."""
    return Clip(x_min, x_max)(x)


# =============================================================================
# More elementwise functions: abs / sqrt / square / erf / maximum / minimum / where
# =============================================================================
class Abs(Function):
    def forward(self, x):
        return cuda.get_array_module(x).abs(x)

    def backward(self, gy):
        x, = self.inputs
        return gy * _mask(cuda.get_array_module(x.data).sign(x.data), gy)


def abs(x):
    """|x|; the gradient at 0 is 0."""
    return Abs()(x)


class Sqrt(Function):
    def forward(self, x):
        return cuda.get_array_module(x).sqrt(x)

    def backward(self, gy):
        y = self.outputs[0]()
        return gy / (2 * y)


def sqrt(x):
    return Sqrt()(x)


class Square(Function):
    def forward(self, x):
        return x * x

    def backward(self, gy):
        x, = self.inputs
        return 2 * x * gy


def square(x):
    return Square()(x)


def _erf_array(x):
    """The error function elementwise: math.erf on the CPU (exact, not vectorised), cupyx on the GPU."""
    dtype = x.dtype if x.dtype.kind == 'f' else np.dtype(np.float64)
    if cuda.is_cupy_array(x):
        import cupyx.scipy.special
        return cupyx.scipy.special.erf(x.astype(dtype, copy=False))
    return np.asarray(np.frompyfunc(math.erf, 1, 1)(x), dtype=dtype)


class Erf(Function):
    def forward(self, x):
        return _erf_array(x)

    def backward(self, gy):
        x, = self.inputs
        return gy * exp(-(x * x)) * (2 / math.sqrt(math.pi))


def erf(x):
    """The error function 2/sqrt(pi) * integral of exp(-t^2) from 0 to x."""
    return Erf()(x)


def _binary_operands(x0, x1):
    """Two operands as Variables on one device; Python numbers are weak (they take the other's dtype)."""
    if not isinstance(x0, Variable) and isinstance(x1, Variable):
        return _as_operand(x0, x1.data), x1
    x0 = as_variable(x0)
    return x0, _as_operand(x1, x0.data)


def _grad_to(g, x):
    """Gradient ``g`` reduced to input x's shape, or None for a constant operand."""
    return None if x.__class__ is Constant else sum_to(g, x.shape)


class Maximum(Function):
    """Elementwise maximum with broadcasting; at ties each input gets half the gradient."""
    _op = 'maximum'

    def forward(self, x0, x1):
        return getattr(cuda.get_array_module(x0), self._op)(x0, x1)

    def backward(self, gy):
        x0, x1 = self.inputs
        a, b = x0.data, x1.data
        if self._op == 'minimum':
            a, b = b, a
        tie = _mask(a == b, gy) * _scalar(gy, 0.5)
        return _grad_to(gy * (_mask(a > b, gy) + tie), x0), _grad_to(gy * (_mask(a < b, gy) + tie), x1)


class Minimum(Maximum):
    _op = 'minimum'


def maximum(x0, x1):
    """Elementwise max(x0, x1) with broadcasting (either may be a Python number)."""
    return Maximum()(*_binary_operands(x0, x1))


def minimum(x0, x1):
    """Elementwise min(x0, x1) with broadcasting (either may be a Python number)."""
    return Minimum()(*_binary_operands(x0, x1))


class Where(Function):
    def __init__(self, condition):
        self.condition = condition

    def forward(self, x0, x1):
        return cuda.get_array_module(x0).where(self.condition, x0, x1)

    def backward(self, gy):
        x0, x1 = self.inputs
        return (_grad_to(gy * _mask(self.condition, gy), x0),
                _grad_to(gy * _mask(~self.condition, gy), x1))


def where(condition, x0, x1):
    """x0 where ``condition`` is true, x1 elsewhere, with broadcasting; the condition gets no gradient."""
    x0, x1 = _binary_operands(x0, x1)
    condition = condition.data if isinstance(condition, Variable) else condition
    condition = cuda.get_array_module(x0.data).asarray(condition).astype(bool, copy=False)
    return Where(condition)(x0, x1)


# =============================================================================
# More tensor operations: split / squeeze / logsumexp
# =============================================================================
class Split(Function):
    def __init__(self, indices_or_sections, axis):
        self.indices_or_sections = indices_or_sections
        self.axis = axis

    def forward(self, x):
        ys = cuda.get_array_module(x).split(x, self.indices_or_sections, axis=self.axis)
        self.shapes = [y.shape for y in ys]
        return tuple(ys)

    def backward(self, *gys):
        x, = self.inputs
        xp = cuda.get_array_module(x.data)
        gys = [Variable(xp.zeros(shape, dtype=x.dtype)) if gy is None else gy
               for gy, shape in zip(gys, self.shapes)]
        return concat(gys, axis=self.axis)


def split(x, indices_or_sections, axis=0):
    """Split x along ``axis`` as ``np.split`` does; returns a list of Variables."""
    ys = Split(indices_or_sections, axis)(x)
    return ys if isinstance(ys, list) else [ys]


def squeeze(x, axis=None):
    """Remove axes of length 1 (all of them, or those in ``axis``, an int or a tuple)."""
    x = as_variable(x)
    axes = utils._normalize_axes(axis, x.ndim) if axis is not None else \
        tuple(i for i, n in enumerate(x.shape) if n == 1)
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(f'squeeze: axis {a} of x with shape {x.shape} has length {x.shape[a]}, not 1')
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in axes))


class LogSumExp(Function):
    def __init__(self, axis, keepdims):
        self.axis = _axis(axis)
        self.keepdims = keepdims

    def forward(self, x):
        self.kept_shape = utils.max_backward_shape(x, self.axis)
        y = _logsumexp(x, self.axis)
        if self.keepdims:
            return y
        axes = utils._normalize_axes(self.axis, x.ndim)
        return y.reshape(tuple(n for i, n in enumerate(x.shape) if i not in axes))

    def backward(self, gy):
        x, = self.inputs
        y = reshape(self.outputs[0](), self.kept_shape)
        return reshape(gy, self.kept_shape) * exp(x - y)


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) over ``axis`` (None: all), computed stably; its gradient is softmax(x)."""
    return LogSumExp(axis, keepdims)(x)


# =============================================================================
# More activations: elu / gelu (softplus is above)
# =============================================================================
class ELU(Function):
    def __init__(self, alpha):
        self.alpha = alpha

    def forward(self, x):
        xp = cuda.get_array_module(x)
        negative = xp.expm1(xp.minimum(x, _scalar(x, 0))) * _scalar(x, self.alpha)   # no overflow for x > 0
        return xp.where(x > 0, x, negative)

    def backward(self, gy):
        x, = self.inputs
        y = self.outputs[0]()
        return where(x.data > 0, gy, gy * (y + self.alpha))    # y + alpha = alpha * exp(x) for x <= 0


def elu(x, alpha=1.0):
    """x for x > 0, alpha * (exp(x) - 1) elsewhere."""
    return ELU(alpha)(x)


def gelu(x, approximate='none'):
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
# More losses (the book's convention: sum over the elements, divided by N)
# =============================================================================
def mean_absolute_error(x0, x1):
    """sum(|x0 - x1|) / N, with N the batch size; the shapes must be equal."""
    x0, x1 = as_variable(x0), as_variable(x1)
    x0, x1 = _same_shape('mean_absolute_error', x0, x1)
    diff = x0 - x1
    return sum(abs(diff)) / _batch_size(diff)


class HuberLoss(Function):
    def __init__(self, delta):
        self.delta = delta

    def forward(self, x0, x1):
        xp = cuda.get_array_module(x0)
        d = x0 - x1
        a = xp.abs(d)
        half, delta = _scalar(d, 0.5), _scalar(d, self.delta)
        loss = xp.where(a <= delta, half * d * d, delta * (a - half * delta))
        return _divide(loss.sum(), _batch_size(d))

    def backward(self, gy):
        x0, x1 = self.inputs
        g = clip(x0 - x1, -self.delta, self.delta) * (gy / _batch_size(x0))
        return g, -g


def huber_loss(x0, x1, delta=1.0):
    """Huber loss summed over the elements and divided by N: d^2 / 2 where |d| <= delta,
    delta * (|d| - delta / 2) elsewhere, with d = x0 - x1; the shapes must be equal."""
    x0, x1 = as_variable(x0), as_variable(x1)
    x0, x1 = _same_shape('huber_loss', x0, x1)
    return HuberLoss(delta)(x0, x1)


# =============================================================================
# Layer normalisation
# =============================================================================
def layer_norm(x, gamma=None, beta=None, eps=1e-5):
    """Normalise x over its trailing axes (those of gamma's shape; the last one without gamma),
    then scale by gamma and shift by beta. Built from Functions, so every order is exact."""
    x = as_variable(x)
    params = [p for p in (gamma, beta) if p is not None]
    shape = as_variable(params[0]).shape if params else x.shape[-1:]
    if x.ndim < len(shape) or x.shape[x.ndim - len(shape):] != shape or \
            any(as_variable(p).shape != shape for p in params):
        raise ValueError(f'layer_norm: gamma and beta must have the shape of the trailing axes of x; '
                         f'got x {x.shape}, gamma {None if gamma is None else as_variable(gamma).shape}, '
                         f'beta {None if beta is None else as_variable(beta).shape}')
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    xc = x - mean(x, axis=axes, keepdims=True)
    y = xc * (mean(xc * xc, axis=axes, keepdims=True) + eps) ** -0.5
    if gamma is not None:
        y = y * gamma
    if beta is not None:
        y = y + beta
    return y

# =============================================================================
# Convolution and pooling live in dezero.functions_conv, which imports this
# module; they are re-exported here on first use, so neither import is circular.
# =============================================================================
_CONV_NAMES = ('conv2d', 'deconv2d', 'conv2d_simple', 'im2col', 'col2im', 'pooling', 'pooling_simple',
               'average_pooling')


def __getattr__(name):
    if name in _CONV_NAMES:
        from dezero import functions_conv
        value = getattr(functions_conv, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'dezero.functions' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_CONV_NAMES))
