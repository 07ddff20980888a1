"""The one place where NumPy and CuPy differ.

CuPy is optional and imported lazily: ``import dezero`` never imports it.
A CuPy array can only exist if the user already imported CuPy, so recognising
one needs no import at all (see :func:`is_cupy_array`).

The fused helpers at the end (``relu_backward``, ``sgd_update``, ``adam_update``,
``softmax_cross_entropy_grad``...) run the elementwise chains of the hot paths
as one CUDA kernel each on CuPy arrays, and the plain NumPy formula on NumPy
arrays, so one call serves both devices. The kernels are compiled on first use.
"""
import sys

import numpy as np

_cupy = None          # the CuPy module once loaded, False if it cannot be imported


def _load_cupy():
    global _cupy
    if _cupy is None:
        try:
            import cupy
            _cupy = cupy
        except Exception:   # ImportError, or a broken CUDA install raising at import
            _cupy = False
    return _cupy


def __getattr__(name):
    """Lazy module attributes of the original: ``gpu_enable``, ``cupy`` and ``cp``."""
    if name == 'gpu_enable':
        return bool(_load_cupy())
    if name in ('cupy', 'cp'):
        cp = _load_cupy()
        if cp:
            return cp
    raise AttributeError(f"module 'dezero.cuda' has no attribute {name!r}")


def is_cupy_array(x):
    """True for a ``cupy.ndarray``, without importing CuPy."""
    cp = sys.modules.get('cupy')
    return cp is not None and isinstance(x, cp.ndarray)


def is_array(x):
    """True for a NumPy or CuPy ndarray."""
    return isinstance(x, np.ndarray) or is_cupy_array(x)


def _unwrap(x):
    from dezero.core import Variable
    return x.data if isinstance(x, Variable) else x


def get_array_module(x):
    """Return ``numpy`` or ``cupy``, whichever module ``x`` (an array or a Variable) belongs to."""
    if x.__class__ is np.ndarray:
        return np
    x = _unwrap(x)
    return sys.modules['cupy'] if is_cupy_array(x) else np


def as_numpy(x):
    """Return ``x`` (array, scalar or Variable) as a NumPy array, copying it to the host if needed."""
    x = _unwrap(x)
    if np.isscalar(x):
        return np.array(x)
    if isinstance(x, np.ndarray):
        return x
    if is_cupy_array(x):
        return x.get()
    return np.asarray(x)


def as_cupy(x):
    """Return ``x`` (array or Variable) as a CuPy array on the current device."""
    x = _unwrap(x)
    cp = _load_cupy()
    if not cp:
        raise RuntimeError('CuPy cannot be loaded. Install CuPy for your CUDA version, '
                           "e.g. pip install 'dezero[gpu]' or pip install cupy-cuda12x")
    return cp.asarray(x)


def device_name(x):
    """Where array ``x`` lives, for error messages: ``'CPU'`` or ``'GPU <id>'``.

    A GPU array is recognised by its ``device.id`` (CuPy's ``cupy.cuda.Device``); NumPy 2's
    ``ndarray.device`` is the string ``'cpu'``, which has none.

    Example:
        >>> device_name(np.zeros(3))
        'CPU'
    """
    device_id = getattr(getattr(_unwrap(x), 'device', None), 'id', None)
    return 'CPU' if device_id is None else f'GPU {device_id}'


def check_same_device(*arrays, name='function', state=None):
    """Raise TypeError naming the devices if the arrays (or Variables) are not all on one device.

    ``arrays`` are a function's inputs (reported as ``input 0``, ``input 1``...); ``state`` is an
    optional dict of other arrays it uses, such as ``vars(f)`` for a Function f (entries that are
    not arrays are ignored). Meant for the error path: call it when an operation failed.

    Example:
        >>> check_same_device(np.zeros(2), np.ones(3), name='Add')    # one device: no error
    """
    named = [(f'input {i}', _unwrap(a)) for i, a in enumerate(arrays)]
    named += [(key, _unwrap(value)) for key, value in (state or {}).items()]
    places = {}
    for label, a in named:
        if is_array(a):
            places.setdefault(device_name(a), (label, a))
    if len(places) > 1:
        where = ', '.join(f'{label} ({a.dtype} array of shape {a.shape}) is on {device}'
                          for device, (label, a) in places.items())
        raise TypeError(f'{name}: arrays on different devices: {where}. Put them on one device first: '
                        'Variable.to_gpu() / to_cpu(), Layer.to_gpu(), DataLoader(..., gpu=True), '
                        'or dezero.cuda.as_cupy() / as_numpy()')


def scatter_add(a, indices, values):
    """``a[indices] += values`` with repeated indices accumulated, in place, on either device.

    ``xp.add.at`` exists in NumPy and in recent CuPy (14 has it); older CuPy has
    ``cupyx.scatter_add`` (the original's ``cupy.scatter_add`` was removed in CuPy 8). On the GPU,
    NumPy index arrays are copied to the device first.
    """
    if not is_cupy_array(a):
        np.add.at(a, indices, values)
        return a
    cp = sys.modules['cupy']
    if isinstance(indices, tuple):
        indices = tuple(cp.asarray(i) if isinstance(i, np.ndarray) else i for i in indices)
    elif isinstance(indices, np.ndarray):
        indices = cp.asarray(indices)
    if hasattr(cp.add, 'at'):
        cp.add.at(a, indices, values)
    else:
        import cupyx
        cupyx.scatter_add(a, indices, values)
    return a


# =============================================================================
# Fused elementwise kernels (CuPy), with the same formulas on NumPy arrays
# =============================================================================
# name: (input parameters, output parameters, CUDA body); ``T`` is the float type.
# Outputs passed in are updated in place. The bodies are those of the NumPy branches below.
_KERNEL_CODE = {
    'relu_backward': ('X x, T gy', 'T gx', 'gx = gy * (T)(x > 0)'),
    'sigmoid_backward': ('T y, T gy', 'T gx', 'gx = gy * y * ((T)1 - y)'),
    'tanh_backward': ('T y, T gy', 'T gx', 'gx = gy * ((T)1 - y * y)'),
    'sgd_update': ('T grad, T lr', 'T param', 'param -= lr * grad'),
    'momentum_sgd_update': ('T grad, T lr, T momentum', 'T param, T v',
                            'v = v * momentum - lr * grad; param += v'),
    'adam_update': ('T grad, T lr, T one_minus_beta1, T one_minus_beta2, T eps', 'T param, T m, T v',
                    'm += one_minus_beta1 * (grad - m); v += one_minus_beta2 * (grad * grad - v); '
                    'param -= lr * m / (sqrt(v) + eps)'),
    'exp_shifted': ('T x, T m', 'T y', 'y = exp(x - m)'),
    'softmax_cross_entropy_grad': ('T e, T s, I t, I c, T scale', 'T gx',
                                   'gx = (e / s - (T)(c == t)) * scale'),
}
_kernels = {}


def _kernel(name):
    """The ElementwiseKernel ``name`` of ``_KERNEL_CODE``, compiled on first use and cached."""
    kernel = _kernels.get(name)
    if kernel is None:
        in_params, out_params, body = _KERNEL_CODE[name]
        kernel = _kernels[name] = sys.modules['cupy'].ElementwiseKernel(
            in_params, out_params, body, 'dezero_' + name)
    return kernel


def _fusable(*arrays):
    """True when every array is a CuPy array of one dtype, float32 or float64 (what the kernels take)."""
    first = arrays[0]
    if first.__class__ is np.ndarray:      # the CPU path pays one check
        return False
    return first.dtype.char in 'fd' and all(is_cupy_array(a) and a.dtype == first.dtype for a in arrays)


def _float_mask(condition, like):
    """A boolean array as ``like``'s float dtype (float64 for a non-float ``like``)."""
    return condition.astype(like.dtype if like.dtype.kind in 'fc' else np.float64)


def relu_backward(x, gy):
    """The gradient of relu: ``gy * (x > 0)``, in gy's float dtype.

    Example:
        >>> relu_backward(np.array([-1.0, 0.0, 2.0]), np.array([5.0, 5.0, 5.0]))
        array([0., 0., 5.])
    """
    if _fusable(gy) and is_cupy_array(x):
        return _kernel('relu_backward')(x, gy)
    return gy * _float_mask(x > 0, gy)


def sigmoid_backward(y, gy):
    """The gradient of sigmoid from its output y: ``gy * y * (1 - y)``."""
    if _fusable(y, gy):
        return _kernel('sigmoid_backward')(y, gy)
    return gy * y * (y.dtype.type(1) - y)


def tanh_backward(y, gy):
    """The gradient of tanh from its output y: ``gy * (1 - y * y)``."""
    if _fusable(y, gy):
        return _kernel('tanh_backward')(y, gy)
    return gy * (y.dtype.type(1) - y * y)


def sgd_update(param, grad, lr):
    """``param -= lr * grad``, in place."""
    if _fusable(param, grad):
        _kernel('sgd_update')(grad, param.dtype.type(lr), param)
    else:
        param -= lr * grad


def momentum_sgd_update(param, grad, v, lr, momentum):
    """``v = momentum * v - lr * grad; param += v``, both in place (MomentumSGD)."""
    if _fusable(param, grad, v):
        t = param.dtype.type
        _kernel('momentum_sgd_update')(grad, t(lr), t(momentum), param, v)
    else:
        v *= momentum
        v -= lr * grad
        param += v


def adam_update(param, grad, m, v, lr, beta1, beta2, eps):
    """One Adam step in place (the original's form; ``lr`` carries the bias correction)::

        m += (1 - beta1) (grad - m);  v += (1 - beta2) (grad^2 - v);  param -= lr m / (sqrt(v) + eps)
    """
    if _fusable(param, grad, m, v):
        t = param.dtype.type
        _kernel('adam_update')(grad, t(lr), t(1 - beta1), t(1 - beta2), t(eps), param, m, v)
    else:
        xp = get_array_module(param)
        m += (1 - beta1) * (grad - m)
        v += (1 - beta2) * (grad * grad - v)
        param -= lr * m / (xp.sqrt(v) + eps)


def _class_index(t, C, ndim):
    """0, 1, ..., C-1 along axis 1 of an ``ndim``-dimensional array, in t's module and int dtype."""
    return get_array_module(t).arange(C, dtype=t.dtype).reshape((1, C) + (1,) * (ndim - 2))


def softmax_cross_entropy_grad(x, t, scale):
    """``(softmax(x, axis=1) - onehot(t)) * scale``: the gradient of softmax cross entropy.

    ``x`` is (N, C, ...), ``t`` the integer labels as an index array of shape (N, 1, ...), and
    ``scale`` (a number or a 0-d array) is ``gy / number of labels``. The softmax is shifted by
    the row maximum, as ``F.softmax`` computes it.

    Example:
        >>> g = softmax_cross_entropy_grad(np.zeros((1, 2)), np.array([[1]]), 1.0)
        >>> g
        array([[ 0.5, -0.5]])
    """
    xp = get_array_module(x)
    m = x.max(axis=1, keepdims=True)
    if _fusable(x) and is_cupy_array(t) and t.dtype.kind in 'iu':
        e = _kernel('exp_shifted')(x, m)
        s = e.sum(axis=1, keepdims=True)
        scale = xp.asarray(scale, dtype=x.dtype)
        return _kernel('softmax_cross_entropy_grad')(e, s, t, _class_index(t, x.shape[1], x.ndim), scale)
    p = xp.exp(x - m)
    p /= p.sum(axis=1, keepdims=True)
    onehot = (_class_index(t, x.shape[1], x.ndim) == t).astype(x.dtype)
    return (p - onehot) * scale
