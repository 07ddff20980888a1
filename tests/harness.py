"""A declarative per-op test harness.

An :class:`OpSpec` says how to call an op, what NumPy computes for it and which
input shapes to try. :func:`make_tests` turns a list of specs into pytest tests
that sweep shapes x dtypes x devices and check

* forward against the NumPy reference (float32 in gives float32 out);
* gradients of order 1, 2 (and more with ``order``) against central finite
  differences in float64: every element for small inputs, a random direction
  for large ones. Order k differentiates ``sum_i <grad_i F_{k-1}, v_i>``, a
  scalar built from the order k-1 gradients with create_graph=True;
* float32 gradients: dtype kept and close to the float64 ones.

The GPU (CuPy) is added to the devices when CuPy and a device are present.
"""
import dataclasses
import zlib
from typing import Callable, Optional, Sequence

import numpy as np
import pytest

import dezero
from dezero import Variable, cuda

FULL_CHECK_MAX_SIZE = 64     # above this many elements, check along a random direction
EPS = 1e-5


@dataclasses.dataclass
class OpSpec:
    name: str
    func: Callable                      # Variables -> Variable (or tuple of Variables)
    reference: Callable                 # NumPy arrays -> NumPy array (or tuple)
    shapes: Sequence                    # list of tuples of input shapes
    dtypes: Sequence = (np.float32, np.float64)
    low: float = -1.0                   # inputs are uniform in [low, high) ...
    high: float = 1.0
    inputs: Optional[Callable] = None   # ... unless (rng, shapes) -> list of float64 arrays
    order: int = 2                      # highest derivative order checked
    wrt: Optional[Sequence] = None      # indices of inputs to differentiate (default all)
    rtol: float = 1e-4
    atol: float = 1e-5
    f32_rtol: float = 1e-5              # forward tolerance in float32 (reference computed in float32)
    f32_tol: float = 2e-3               # float32 gradients against float64 ones


def devices():
    result = ['cpu']
    if cuda.gpu_enable:
        try:
            if cuda.cupy.cuda.runtime.getDeviceCount() > 0:
                result.append('gpu')
        except Exception:
            pass
    return result


def _rng(*key):
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def _inputs(spec, shapes):
    rng = _rng(spec.name, shapes)
    if spec.inputs is not None:
        return [np.asarray(a, dtype=np.float64) for a in spec.inputs(rng, shapes)]
    return [rng.uniform(spec.low, spec.high, size=s) for s in shapes]


def _to(device, a):
    return cuda.as_cupy(a) if device == 'gpu' else a


def _outputs(ys):
    return list(ys) if isinstance(ys, (tuple, list)) else [ys]


def _call(spec, arrays, device, dtype):
    xs = [Variable(_to(device, a.astype(dtype))) for a in arrays]
    return xs, _outputs(spec.func(*xs))


def check_forward(spec, shapes, dtype, device):
    arrays = _inputs(spec, shapes)
    _, ys = _call(spec, arrays, device, dtype)
    expected = _outputs(spec.reference(*[a.astype(dtype) for a in arrays]))
    assert len(ys) == len(expected), f'{spec.name}: {len(ys)} outputs, expected {len(expected)}'
    for y, e in zip(ys, expected):
        e = np.asarray(e)
        assert isinstance(y, Variable)
        assert y.shape == e.shape, f'{spec.name}: shape {y.shape}, expected {e.shape}'
        if e.dtype.kind == 'f':
            assert y.dtype == dtype, f'{spec.name}: {np.dtype(dtype).name} in gave {y.dtype} out'
        tol = dict(rtol=spec.f32_rtol, atol=spec.f32_rtol) if dtype == np.float32 else \
            dict(rtol=1e-7, atol=1e-10)
        np.testing.assert_allclose(cuda.as_numpy(y.data), e, **tol, err_msg=spec.name)


def _scalar_of_order(spec, xs, k, directions):
    """F_0 = sum_j <y_j, w_j>;  F_k = sum_i <d F_{k-1} / d x_i, v_i>  (a Variable, with graph)."""
    ys = _outputs(spec.func(*xs))
    value = None
    for y, w in zip(ys, directions[0]):
        term = dezero.functions.sum(y * Variable(w))
        value = term if value is None else value + term
    wrt = [xs[i] for i in _wrt(spec, xs)]
    for level in range(1, k + 1):
        gxs = dezero.grad(value, wrt, create_graph=True, allow_unused=True)
        value = None
        for g, v in zip(gxs, directions[level]):
            if g is not None:
                term = dezero.functions.sum(g * Variable(v))
                value = term if value is None else value + term
        if value is None:    # the derivative is identically zero
            return None
    return value


def _wrt(spec, xs):
    return list(range(len(xs))) if spec.wrt is None else list(spec.wrt)


def _directions(spec, arrays, device, order):
    rng = _rng(spec.name, 'directions', [a.shape for a in arrays])
    with dezero.no_grad():
        _, ys = _call(spec, arrays, device, np.float64)
    idx = _wrt(spec, arrays)
    dirs = [[_to(device, rng.standard_normal(y.shape)) for y in ys]]
    for _ in range(order):
        dirs.append([_to(device, rng.standard_normal(arrays[i].shape)) for i in idx])
    return dirs


def check_grad(spec, shapes, device, k):
    """Check the order-k derivative: gradient of F_{k-1} against finite differences."""
    arrays = _inputs(spec, shapes)
    dirs = _directions(spec, arrays, device, k)
    xs = [Variable(_to(device, a)) for a in arrays]
    f = _scalar_of_order(spec, xs, k - 1, dirs)
    idx = _wrt(spec, xs)
    if f is None:
        analytic = [np.zeros(arrays[i].shape) for i in idx]
    else:
        gs = dezero.grad(f, [xs[i] for i in idx], allow_unused=True)
        analytic = [np.zeros(arrays[i].shape) if g is None else cuda.as_numpy(g.data) for i, g in zip(idx, gs)]

    def value(perturbed):
        with dezero.no_grad() if k == 1 else _nullcontext():
            vs = [Variable(_to(device, a)) for a in perturbed]
            out = _scalar_of_order(spec, vs, k - 1, dirs)
        return 0.0 if out is None else float(cuda.as_numpy(out.data))

    rng = _rng(spec.name, 'probe', shapes, k)
    for pos, i in enumerate(idx):
        a = arrays[i]
        if a.size <= FULL_CHECK_MAX_SIZE:
            numeric = np.zeros(a.shape)
            for j in range(a.size):
                numeric.flat[j] = _difference(value, arrays, i, _unit(a.shape, j))
            np.testing.assert_allclose(analytic[pos], numeric, rtol=spec.rtol, atol=spec.atol,
                                       err_msg=f'{spec.name}: order {k} gradient of input {i}')
        else:
            u = rng.standard_normal(a.shape)
            numeric = _difference(value, arrays, i, u)
            np.testing.assert_allclose(np.sum(analytic[pos] * u), numeric, rtol=spec.rtol,
                                       atol=spec.atol * np.sqrt(a.size),
                                       err_msg=f'{spec.name}: order {k} directional derivative of input {i}')


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _unit(shape, j):
    u = np.zeros(shape)
    u.flat[j] = 1.0
    return u


def _difference(value, arrays, i, u):
    plus = [a + EPS * u if n == i else a for n, a in enumerate(arrays)]
    minus = [a - EPS * u if n == i else a for n, a in enumerate(arrays)]
    return (value(plus) - value(minus)) / (2 * EPS)


def check_float32_grad(spec, shapes, device):
    """Backward in float32 keeps float32 and agrees with float64."""
    arrays = _inputs(spec, shapes)
    dirs = _directions(spec, arrays, device, 1)
    grads = {}
    for dtype in (np.float32, np.float64):
        xs = [Variable(_to(device, a.astype(dtype))) for a in arrays]
        ws = [[d.astype(dtype) for d in level] for level in dirs]
        f = _scalar_of_order(spec, xs, 0, ws)
        idx = _wrt(spec, xs)
        gs = dezero.grad(f, [xs[i] for i in idx], allow_unused=True)
        grads[dtype] = gs
        if dtype == np.float32:
            for g in gs:
                assert g is None or g.dtype == np.float32, f'{spec.name}: float32 input gave {g.dtype} gradient'
    for g32, g64 in zip(grads[np.float32], grads[np.float64]):
        if g32 is not None:
            scale = np.max(np.abs(cuda.as_numpy(g64.data)), initial=1.0)
            np.testing.assert_allclose(cuda.as_numpy(g32.data), cuda.as_numpy(g64.data),
                                       rtol=spec.f32_tol, atol=spec.f32_tol * scale, err_msg=spec.name)


def _cases(specs, with_dtype, min_order=1):
    params = []
    for spec in specs:
        if spec.order < min_order:
            continue
        for shapes in spec.shapes:
            for device in devices():
                for dtype in (spec.dtypes if with_dtype else [None]):
                    label = f'{spec.name}-{shapes}-{device}'
                    if dtype is not None:
                        label += f'-{np.dtype(dtype).name}'
                    params.append(pytest.param(spec, shapes, dtype, device, id=label))
    return pytest.mark.parametrize('spec,shapes,dtype,device', params)


def make_tests(specs):
    """Return the test functions for ``specs``; assign them to names starting with ``test_``."""

    @_cases(specs, with_dtype=True)
    def test_forward(spec, shapes, dtype, device):
        check_forward(spec, shapes, dtype, device)

    @_cases(specs, with_dtype=False)
    def test_grad(spec, shapes, dtype, device):
        check_grad(spec, shapes, device, 1)

    @_cases(specs, with_dtype=False, min_order=2)
    def test_second_order_grad(spec, shapes, dtype, device):
        check_grad(spec, shapes, device, 2)

    @_cases(specs, with_dtype=False, min_order=3)
    def test_higher_order_grad(spec, shapes, dtype, device):
        for k in range(3, spec.order + 1):
            check_grad(spec, shapes, device, k)

    @_cases([s for s in specs if np.float32 in s.dtypes], with_dtype=False)
    def test_float32_grad(spec, shapes, dtype, device):
        check_float32_grad(spec, shapes, device)

    return test_forward, test_grad, test_second_order_grad, test_higher_order_grad, test_float32_grad
