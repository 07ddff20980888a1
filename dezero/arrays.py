"""Array helpers shared by the engine, the functions and the layers.

Every helper here takes and returns NumPy or CuPy arrays (or shapes and numbers) and this
module imports no dezero module: it is the bottom floor. A helper that needs the array module
(numpy or cupy) takes it as the argument ``xp``. ``dezero.utils`` re-exports the ones the book
put there (``sum_to``, ``reshape_sum_backward``, ``logsumexp``, ``get_conv_outsize``, ``pair``...).
"""
import numpy as np


def as_array(x, array_module=np):
    """A scalar (Python or NumPy) as a 0-d array of ``array_module``; arrays are returned as they are.

    Example:
        >>> as_array(1.5).shape
        ()
    """
    return array_module.array(x) if isinstance(x, (np.generic, int, float, complex)) else x


# =============================================================================
# Axes and shapes
# =============================================================================
def normalize_axes(axis, ndim):
    """``axis`` (None, an int, a tuple or a list) as a sorted tuple of non-negative axes.

    Example:
        >>> normalize_axes(-1, 3), normalize_axes(None, 2), normalize_axes([2, 0], 3)
        ((2,), (0, 1), (0, 2))
    """
    if axis is None:
        return tuple(range(ndim))
    if not isinstance(axis, (tuple, list)):
        axis = (axis,)
    for a in axis:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise TypeError(f'an axis must be an int, got {a!r} of type {type(a).__name__}')
        if not -ndim <= a < ndim:
            raise ValueError(f'axis {a} is out of bounds for an array of dimension {ndim}')
    axes = tuple(sorted(int(a) % ndim for a in axis))
    if len(set(axes)) != len(axes):
        raise ValueError(f'repeated axis in {tuple(axis)}')
    return axes


def sum_to(x, shape):
    """Sum array ``x`` over its broadcast axes so that the result has ``shape`` (undoes broadcasting).

    Example:
        >>> sum_to(np.ones((2, 3)), (1, 3))
        array([[2., 2., 2.]])
    """
    shape = tuple(shape)
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)
    if lead < 0 or any(s not in (1, xs) for s, xs in zip(shape, x.shape[lead:])):
        raise ValueError(f'cannot sum an array of shape {x.shape} to shape {shape}')
    lead_axis = tuple(range(lead))
    axis = tuple(lead + i for i, s in enumerate(shape) if s == 1 and x.shape[lead + i] != 1)
    y = x.sum(lead_axis + axis, keepdims=True)
    if lead > 0:
        y = y.squeeze(lead_axis)
    return y


def reshape_sum_backward(gy, x_shape, axis, keepdims):
    """Reshape the gradient ``gy`` of a sum over ``axis`` so that it broadcasts back to ``x_shape``.

    ``gy`` may be an array or a Variable (only its ``shape`` and ``reshape`` are used).
    """
    ndim = len(x_shape)
    shape = list(gy.shape)
    if ndim > 0 and axis is not None and not keepdims:
        for a in normalize_axes(axis, ndim):
            shape.insert(a, 1)
    return gy.reshape(tuple(shape))


def max_backward_shape(x, axis):
    """The shape of ``max(x, axis, keepdims=True)``: ``x.shape`` with the reduced axes set to 1."""
    axes = normalize_axes(axis, x.ndim)
    return tuple(1 if i in axes else s for i, s in enumerate(x.shape))


# =============================================================================
# Numbers, masks and stable formulas
# =============================================================================
def scalar(x, value):
    """``value`` as a scalar of float array ``x``'s dtype (other dtypes get ``value`` unchanged).

    Under NumPy 1 a 0-d float32 array combined with a Python float gives float64; a float32
    scalar keeps it float32.
    """
    return x.dtype.type(value) if x.dtype.kind == 'f' else value


def float_mask(condition, like):
    """A boolean array as an array of ``like``'s float dtype (float64 when ``like`` is not float)."""
    return condition.astype(like.dtype if like.dtype.kind in 'fc' else np.float64)


def logsumexp(x, axis, xp):
    """log(sum(exp(x))) over ``axis`` with kept dims, shifted by the maximum so it cannot overflow.

    A row of -inf (or +inf) gives -inf (+inf), never nan; a float32 ``x`` gives float32.

    Example:
        >>> logsumexp(np.array([[0.0, 0.0], [1.0, -np.inf]]), 1, np)
        array([[0.69314718],
               [1.        ]])
    """
    m = x.max(axis=axis, keepdims=True)
    m = xp.where(xp.isfinite(m), m, scalar(m, 0))
    return m + xp.log(xp.exp(x - m).sum(axis=axis, keepdims=True))


def add_bias(y, b):
    """``y + b``, added in place when that cannot change y's shape or dtype (``y`` is then reused)."""
    if b.dtype == y.dtype and ((b.ndim == 1 and y.ndim and b.shape[0] == y.shape[-1])
                               or np.broadcast_shapes(y.shape, b.shape) == y.shape):
        y += b
        return y
    return y + b


# =============================================================================
# Sizes for convolution and pooling
# =============================================================================
def get_conv_outsize(input_size, kernel_size, stride, pad):
    """Output length of a convolution or pooling along one axis.

    Example:
        >>> get_conv_outsize(4, 3, 1, 1)   # the book's step 55: 4x4 input, 3x3 kernel, pad 1
        4
    """
    return (input_size + pad * 2 - kernel_size) // stride + 1


def get_deconv_outsize(size, k, s, p):
    """Output length of a transposed convolution along one axis."""
    return s * (size - 1) + k - 2 * p


def pair(x):
    """``(x, x)`` for an int; a 2-tuple, or a 2-element list as a tuple; anything else is an error.

    Example:
        >>> pair(3), pair([2, 1])
        ((3, 3), (2, 1))
    """
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return (int(x), int(x))
    if isinstance(x, (tuple, list)) and len(x) == 2 and \
            all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in x):
        return x if type(x) is tuple and type(x[0]) is int and type(x[1]) is int else (int(x[0]), int(x[1]))
    raise ValueError(f'expected an int or a pair of ints, got {x!r}')
