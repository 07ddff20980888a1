"""The functions beyond the original: abs, sqrt, square, erf, maximum, minimum, where, split, squeeze,
logsumexp, elu, gelu, mean_absolute_error, huber_loss and layer_norm."""
import warnings

import numpy as np
import pytest

import dezero.functions as F
from dezero import Variable, cuda
from harness import OpSpec, make_tests

UNARY = [((),), ((3,),), ((2, 3),), ((2, 3, 4),)]
BINARY = [((), ()), ((2, 3), (2, 3)), ((2, 3), ()), ((2, 3), (3,)), ((2, 1), (1, 3))]

GL_NODES, GL_WEIGHTS = np.polynomial.legendre.leggauss(60)


def np_erf(x):
    """erf by Gauss-Legendre quadrature of 2/sqrt(pi) exp(-t^2) over [0, x] (exact to ~1e-15 for |x| <= 4)."""
    x = np.asarray(x, dtype=np.float64)
    t = (x[..., None] / 2) * (GL_NODES + 1)
    return (x / 2) * np.sum(GL_WEIGHTS * np.exp(-t * t), axis=-1) * 2 / np.sqrt(np.pi)


def np_logsumexp(a, axis=None, keepdims=False):
    m = np.max(a, axis=axis, keepdims=True)
    y = m + np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True))
    return y if keepdims else np.squeeze(y, axis=axis)


def _away_from_zero(rng, shapes):
    return [rng.uniform(0.1, 1.0, size=s) * rng.choice([-1.0, 1.0], size=s) for s in shapes]


def _positive(rng, shapes):
    return [rng.uniform(0.5, 2.0, size=s) for s in shapes]


def _distinct(rng, shapes):
    """Operands whose elements differ by at least 0.1 after broadcasting (no ties for max/min)."""
    a = rng.uniform(-1, 1, size=shapes[0])
    b = rng.uniform(-1, 1, size=shapes[1])
    while np.any(np.abs(np.subtract(a, b)) < 0.1):
        b = rng.uniform(-1, 1, size=shapes[1])
    return [a, b]


def _pair_apart(low, high):
    """Two same-shape inputs whose difference has magnitude in [low, high] (clear of kinks)."""
    def make(rng, shapes):
        a = rng.uniform(-1, 1, size=shapes[0])
        d = rng.uniform(low, high, size=shapes[0]) * rng.choice([-1.0, 1.0], size=shapes[0])
        return [a, a - d]
    return make


def _huber_inputs(rng, shapes):
    """Differences both inside and outside delta = 0.5, but not within 0.05 of it."""
    a = rng.uniform(-1, 1, size=shapes[0])
    mag = np.where(rng.uniform(size=shapes[0]) < 0.5, rng.uniform(0.05, 0.45, size=shapes[0]),
                   rng.uniform(0.55, 2.0, size=shapes[0]))
    return [a, a - mag * rng.choice([-1.0, 1.0], size=shapes[0])]


def _np_huber(a, b, delta=0.5):
    d = np.abs(a - b)
    loss = np.where(d <= delta, 0.5 * d ** 2, delta * (d - 0.5 * delta))
    return loss.sum() / (len(a) if np.ndim(a) else 1)


def _np_layer_norm(x, g=None, b=None, nd=1):
    axes = tuple(range(x.ndim - nd, x.ndim))
    mu = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    y = (x - mu) / np.sqrt(var + 1e-5)
    return y * (1 if g is None else g) + (0 if b is None else b)


COND = np.array([[True, False, True], [False, False, True]])


def _cond_like(x):
    return cuda.as_cupy(COND) if cuda.is_cupy_array(x.data) else COND


def _np_gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


SPECS = [
    OpSpec('abs', F.abs, np.abs, UNARY, inputs=_away_from_zero),
    OpSpec('sqrt', F.sqrt, np.sqrt, UNARY, inputs=_positive, order=3),
    OpSpec('square', F.square, np.square, UNARY, order=3),
    OpSpec('erf', F.erf, np_erf, UNARY, low=-2, high=2, order=3),
    OpSpec('gelu', F.gelu, lambda x: 0.5 * x * (1 + np_erf(x / np.sqrt(2))), UNARY, low=-3, high=3),
    OpSpec('gelu_tanh', lambda x: F.gelu(x, approximate='tanh'), _np_gelu_tanh, UNARY[:3], low=-3, high=3),
    OpSpec('maximum', F.maximum, np.maximum, BINARY, inputs=_distinct),
    OpSpec('minimum', F.minimum, np.minimum, BINARY, inputs=_distinct),
    OpSpec('maximum_scalar', lambda a: F.maximum(a, 0.05), lambda a: np.maximum(a, 0.05), UNARY[:3],
           inputs=_away_from_zero),
    OpSpec('minimum_scalar_first', lambda a: F.minimum(0.05, a), lambda a: np.minimum(0.05, a), UNARY[:3],
           inputs=_away_from_zero),
    OpSpec('where', lambda a, b: F.where(_cond_like(a), a, b), lambda a, b: np.where(COND, a, b),
           [((2, 3), (2, 3)), ((2, 3), (3,)), ((1, 3), ())]),
    OpSpec('where_scalar', lambda a: F.where(_cond_like(a), a, 0.0), lambda a: np.where(COND, a, 0.0),
           [((2, 3),)]),
    OpSpec('split', lambda a: F.split(a, [1, 3], axis=1), lambda a: np.split(a, [1, 3], axis=1),
           [((2, 4),), ((2, 3, 2),)]),
    OpSpec('split_sections', lambda a: F.split(a, 2, axis=-1), lambda a: np.split(a, 2, axis=-1),
           [((3, 4),)]),
    OpSpec('squeeze', F.squeeze, np.squeeze, [((1, 3, 1),), ((),), ((2, 3),)]),
    OpSpec('squeeze_axis', lambda a: F.squeeze(a, axis=-1), lambda a: np.squeeze(a, axis=-1), [((2, 1),)]),
    OpSpec('logsumexp', F.logsumexp, np_logsumexp, UNARY, low=-3, high=3, order=3),
    OpSpec('logsumexp_axis', lambda a: F.logsumexp(a, axis=1), lambda a: np_logsumexp(a, axis=1),
           [((2, 3),), ((2, 3, 4),)], low=-3, high=3),
    OpSpec('logsumexp_keepdims', lambda a: F.logsumexp(a, axis=(0, -1), keepdims=True),
           lambda a: np_logsumexp(a, axis=(0, 2), keepdims=True), [((2, 3, 4),)], low=-3, high=3),
    OpSpec('elu', F.elu, lambda a: np.where(a > 0, a, np.expm1(a)), UNARY, inputs=_away_from_zero, order=3),
    OpSpec('elu_alpha', lambda a: F.elu(a, alpha=0.5), lambda a: np.where(a > 0, a, 0.5 * np.expm1(a)),
           [((2, 3),)], inputs=_away_from_zero),
    OpSpec('mean_absolute_error', F.mean_absolute_error,
           lambda a, b: np.abs(a - b).sum() / (len(a) if np.ndim(a) else 1),
           [((), ()), ((4,), (4,)), ((3, 2), (3, 2))], inputs=_pair_apart(0.1, 1.0)),
    OpSpec('huber_loss', lambda a, b: F.huber_loss(a, b, delta=0.5), _np_huber,
           [((), ()), ((6,), (6,)), ((4, 3), (4, 3))], inputs=_huber_inputs),
    OpSpec('layer_norm', F.layer_norm, _np_layer_norm, [((2, 4), (4,), (4,)), ((2, 3, 4), (4,), (4,))],
           f32_rtol=1e-4, f32_tol=5e-3),
    OpSpec('layer_norm_2axes', F.layer_norm, lambda x, g, b: _np_layer_norm(x, g, b, nd=2),
           [((2, 3, 4), (3, 4), (3, 4))], f32_rtol=1e-4, f32_tol=5e-3),
    OpSpec('layer_norm_no_params', F.layer_norm, _np_layer_norm, [((3, 5),)], f32_rtol=1e-4, f32_tol=5e-3),
]

test_forward, test_grad, test_second_order_grad, test_higher_order_grad, test_float32_grad = make_tests(SPECS)


@pytest.mark.parametrize('f', [F.mean_absolute_error, F.huber_loss])
def test_regression_losses_refuse_to_broadcast(f):
    with pytest.raises(ValueError, match=r'\(3, 1\) and \(3,\)'):
        f(np.zeros((3, 1)), np.zeros(3))


def test_huber_loss_follows_the_books_reduction():
    y = F.huber_loss(np.array([[0.5], [3.0]]), np.zeros((2, 1)))
    assert float(y.data) == pytest.approx((0.125 + 2.5) / 2)


def test_maximum_and_minimum_share_the_gradient_at_ties():
    a, b = Variable(np.array([1.0, 2.0, 3.0])), Variable(np.array([1.0, 0.0, 5.0]))
    F.sum(F.maximum(a, b) + F.minimum(a, b)).backward()
    np.testing.assert_array_equal(a.grad.data, [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(b.grad.data, [1.0, 1.0, 1.0])
    a.cleargrad()
    b.cleargrad()
    F.sum(F.maximum(a, b)).backward()
    np.testing.assert_array_equal(a.grad.data, [0.5, 1.0, 0.0])


def test_split_gives_zero_gradients_to_unused_pieces():
    x = Variable(np.arange(6.0))
    a, b, c = F.split(x, 3)
    F.sum(b * 2).backward()
    np.testing.assert_array_equal(x.grad.data, [0, 0, 2, 2, 0, 0])
    assert len(F.split(x, 1)) == 1


def test_where_accepts_a_variable_or_list_condition():
    x = Variable(np.array([1.0, -2.0, 3.0]))
    for cond in (Variable(np.array([True, False, True])), [True, False, True]):
        np.testing.assert_array_equal(F.where(cond, x, 0.0).data, [1.0, 0.0, 3.0])


def test_squeeze_rejects_an_axis_longer_than_one():
    with pytest.raises(ValueError, match=r'squeeze: axis 1 of x with shape \(1, 3\) has length 3'):
        F.squeeze(np.ones((1, 3)), axis=1)


def test_gelu_rejects_an_unknown_approximation():
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh'"):
        F.gelu(np.ones(2), approximate='fast')


def test_elu_and_logsumexp_do_not_overflow():
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        np.testing.assert_allclose(F.elu(np.array([-1000.0, 1000.0])).data, [-1.0, 1000.0])
        assert float(F.logsumexp(np.array([1000.0, 1000.0])).data) == pytest.approx(1000 + np.log(2))


@pytest.mark.parametrize('f', [F.abs, F.sqrt, F.square, F.erf, F.gelu, F.elu, F.logsumexp,
                               lambda a: F.maximum(a, 0.1), lambda a: F.where(True, a, 1.0)])
def test_float32_scalar_stays_float32(f):
    x = Variable(np.array(0.3, dtype=np.float32))
    y = f(x)
    y.backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32
