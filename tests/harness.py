"""A declarative per-op test harness.

An :class:`OpSpec` describes one public function: how to call it, what NumPy computes for it,
which input shapes to try, and, in ``cases``, its other ways of being called (other arguments,
the operator form, a composition that reaches a higher derivative). :func:`make_tests` turns a
list of specs into pytest tests that sweep cases x shapes x dtypes x devices and check

* forward against the NumPy reference (float32 in gives float32 out);
* gradients of order 1, 2 (and more with ``order``) against central finite
  differences in float64: every element for small inputs, a random direction
  for large ones. Order k differentiates ``sum_i <grad_i F_{k-1}, v_i>``, a
  scalar built from the order k-1 gradients with create_graph=True;
* float32 gradients: dtype kept and close to the float64 ones;
* ``backward()`` gives the same gradient, bit for bit, with and without ``create_graph``.

The GPU (CuPy) is added to the devices when CuPy and a device are present (for specs with
``gpu=True``). Test ids read ``name[case]-shapes-device-dtype``, e.g.
``sum[axis=(0,2)]-((2, 3, 4),)-cpu-float32``.
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

# The fields a case may override; the others describe the function as a whole.
CASE_FIELDS = ('func', 'reference', 'shapes', 'dtypes', 'low', 'high', 'inputs', 'kwargs', 'order',
               'wrt', 'rtol', 'atol', 'f32_rtol', 'f32_tol', 'keep_dtype', 'avoid')


@dataclasses.dataclass
class OpSpec:
    """One public function of dezero.functions and how to check it.

    The fields up to ``avoid`` describe the default case, which runs when ``shapes`` is not empty;
    each entry of ``cases`` (label -> overrides of those fields) is one more case. ``aliases``,
    ``piecewise`` and ``gpu`` describe the function as a whole, for the registry and docs/functions.md.
    """
    name: str                           # the public name (dezero.functions.<name>)
    func: Callable                      # Variables -> Variable (or tuple of Variables)
    reference: Callable                 # NumPy arrays -> NumPy array (or tuple)
    shapes: Sequence = ()               # list of tuples of input shapes
    dtypes: Sequence = (np.float32, np.float64)
    low: float = -1.0                   # inputs are uniform in [low, high) ...
    high: float = 1.0
    inputs: Optional[Callable] = None   # ... unless (rng, shapes) -> list of float64 arrays
    kwargs: dict = dataclasses.field(default_factory=dict)   # keyword arguments of func and reference
    order: int = 2                      # highest derivative order checked (0: forward only)
    wrt: Optional[Sequence] = None      # indices of inputs to differentiate (default all)
    rtol: float = 1e-4
    atol: float = 1e-5
    f32_rtol: float = 1e-5              # forward tolerance in float32 (reference computed in float32)
    f32_tol: float = 2e-3               # float32 gradients against float64 ones
    keep_dtype: bool = True             # float inputs give outputs of their dtype (else: the reference's)
    avoid: str = ''                     # points the inputs keep away from, and why (inputs/low/high must)
    cases: dict = dataclasses.field(default_factory=dict)    # label -> overrides of the fields above
    aliases: Sequence = ()              # the book's other names of the same function object
    piecewise: bool = False             # the derivative is a mask, constant between kinks
    gpu: bool = True                    # runs on CuPy arrays (checked on the GPU when one is present)

    def __post_init__(self):
        for label, overrides in self.cases.items():
            unknown = set(overrides) - set(CASE_FIELDS)
            if unknown:
                raise TypeError(f'OpSpec {self.name!r}, case {label!r}: cannot override {sorted(unknown)}')

    def expand(self):
        """The cases to run, each an OpSpec named ``name[label]`` (plain ``name`` for the default)."""
        result = [dataclasses.replace(self, cases={})] if self.shapes else []
        for label, overrides in self.cases.items():
            result.append(dataclasses.replace(self, name=f'{self.name}[{label}]', cases={}, **overrides))
        return result

    @property
    def max_order(self):
        return max(c.order for c in self.expand())


# =============================================================================
# Input generators and helpers shared by the spec files
# =============================================================================
def positive(rng, shapes):
    """Inputs in [0.5, 2): inside the domain of log, sqrt, x ** 0.5, 1 / x."""
    return [rng.uniform(0.5, 2.0, size=s) for s in shapes]


def away_from(points, gap=0.1, low=-1.0, high=1.0):
    """Inputs in [low, high) at least ``gap`` away from each of ``points`` (kinks of piecewise functions)."""
    def make(rng, shapes):
        out = []
        for s in shapes:
            a = rng.uniform(low, high, size=s)
            while True:
                near = np.any([np.abs(a - p) < gap for p in points], axis=0)
                if not np.any(near):
                    break
                a = np.where(near, rng.uniform(low, high, size=s), a)
            out.append(a)
        return out
    return make


def distinct(step=0.1, low=None):
    """Values ``step`` apart (up to a small jitter), so max/min and pooling have one winner
    that finite differences do not change."""
    def make(rng, shapes):
        out = []
        for s in shapes:
            n = int(np.prod(s))
            start = -(n * step) / 2 if low is None else low
            out.append((start + rng.permutation(n) * step + rng.uniform(-step / 5, step / 5, size=n)).reshape(s))
        return out
    return make


def on_device_of(x, a):
    """Constant array ``a`` on the device of Variable ``x``."""
    return cuda.as_cupy(a) if cuda.is_cupy_array(x.data) else a


def devices(gpu=True):
    result = ['cpu']
    if gpu and cuda.gpu_enable:
        try:
            if cuda.cupy.cuda.runtime.getDeviceCount() > 0:
                result.append('gpu')
        except Exception:
            pass
    return result


# =============================================================================
# The checks
# =============================================================================
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


def _apply(spec, xs):
    return _outputs(spec.func(*xs, **spec.kwargs))


def _call(spec, arrays, device, dtype):
    xs = [Variable(_to(device, a.astype(dtype))) for a in arrays]
    return xs, _apply(spec, xs)


def check_forward(spec, shapes, dtype, device):
    arrays = _inputs(spec, shapes)
    _, ys = _call(spec, arrays, device, dtype)
    expected = _outputs(spec.reference(*[a.astype(dtype) for a in arrays], **spec.kwargs))
    assert len(ys) == len(expected), f'{spec.name}: {len(ys)} outputs, expected {len(expected)}'
    for y, e in zip(ys, expected):
        e = np.asarray(e)
        assert isinstance(y, Variable)
        assert y.shape == e.shape, f'{spec.name}: shape {y.shape}, expected {e.shape}'
        if e.dtype.kind == 'f':
            want = dtype if spec.keep_dtype else e.dtype
            assert y.dtype == want, f'{spec.name}: {np.dtype(dtype).name} in gave {y.dtype} out, expected {want}'
        tol = dict(rtol=spec.f32_rtol, atol=spec.f32_rtol) if dtype == np.float32 else \
            dict(rtol=1e-7, atol=1e-10)
        np.testing.assert_allclose(cuda.as_numpy(y.data), e, **tol, err_msg=spec.name)


def _scalar_of_order(spec, xs, k, directions):
    """F_0 = sum_j <y_j, w_j>;  F_k = sum_i <d F_{k-1} / d x_i, v_i>  (a Variable, with graph)."""
    ys = _apply(spec, xs)
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


def check_create_graph_bits(spec, shapes, device):
    """``backward()`` and ``backward(create_graph=True)`` give the same gradients, bit for bit, in
    every dtype: the graph of the gradient is a record of the same computation, not another one.
    (On the GPU, scatter adds of repeated indices are atomic and unordered: equal to a few ulps.)"""
    arrays = _inputs(spec, shapes)
    dirs = _directions(spec, arrays, device, 1)
    for dtype in spec.dtypes:
        ws = [[d.astype(dtype) for d in level] for level in dirs]
        grads = []
        for create_graph in (False, True):
            xs = [Variable(_to(device, a.astype(dtype))) for a in arrays]
            _scalar_of_order(spec, xs, 0, ws).backward(create_graph=create_graph)
            grads.append([xs[i].grad for i in _wrt(spec, xs)])
        for i, plain, recorded in zip(_wrt(spec, arrays), *grads):
            assert (plain is None) == (recorded is None), f'{spec.name}: input {i}'
            if plain is not None:
                assert plain.creator is None and plain.dtype == recorded.dtype == dtype, spec.name
                a, b = cuda.as_numpy(plain.data), cuda.as_numpy(recorded.data)
                message = f'{spec.name} ({np.dtype(dtype).name}), input {i}: {a - b}'
                if device == 'gpu':
                    ulps = 4 * np.finfo(dtype).eps
                    np.testing.assert_allclose(a, b, rtol=ulps, atol=ulps * np.max(np.abs(a), initial=1.0),
                                               err_msg=message)
                else:
                    assert np.array_equal(a, b), message


# =============================================================================
# pytest
# =============================================================================
def _params(specs, with_dtype, min_order=0, need_float32=False):
    params = []
    for spec in specs:
        for case in spec.expand():
            if case.order < min_order or (need_float32 and np.float32 not in case.dtypes):
                continue
            for shapes in case.shapes:
                for device in devices(case.gpu):
                    for dtype in (case.dtypes if with_dtype else [None]):
                        label = f'{case.name}-{shapes}-{device}'
                        if dtype is not None:
                            label += f'-{np.dtype(dtype).name}'
                        params.append(pytest.param(case, shapes, dtype, device, id=label))
    return params


def make_tests(specs):
    """The test functions for ``specs`` by name (those with at least one case to check); a test
    module does ``globals().update(make_tests(SPECS))``."""

    def test_forward(spec, shapes, dtype, device):
        check_forward(spec, shapes, dtype, device)

    def test_grad(spec, shapes, dtype, device):
        check_grad(spec, shapes, device, 1)

    def test_second_order_grad(spec, shapes, dtype, device):
        check_grad(spec, shapes, device, 2)

    def test_higher_order_grad(spec, shapes, dtype, device):
        for k in range(3, spec.order + 1):
            check_grad(spec, shapes, device, k)

    def test_float32_grad(spec, shapes, dtype, device):
        check_float32_grad(spec, shapes, device)

    def test_grad_same_bits_with_create_graph(spec, shapes, dtype, device):
        check_create_graph_bits(spec, shapes, device)

    tests = [(test_forward, _params(specs, with_dtype=True)),
             (test_grad, _params(specs, with_dtype=False, min_order=1)),
             (test_second_order_grad, _params(specs, with_dtype=False, min_order=2)),
             (test_higher_order_grad, _params(specs, with_dtype=False, min_order=3)),
             (test_float32_grad, _params(specs, with_dtype=False, min_order=1, need_float32=True)),
             (test_grad_same_bits_with_create_graph, _params(specs, with_dtype=False, min_order=1))]
    return {test.__name__: pytest.mark.parametrize('spec,shapes,dtype,device', params)(test)
            for test, params in tests if params}
