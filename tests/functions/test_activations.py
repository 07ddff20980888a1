"""dezero.functions.activations: sigmoid, sigmoid_simple, relu, leaky_relu, softplus, elu, gelu, softmax,
softmax_simple and log_softmax; specs against NumPy, saturation without overflow, float32 scalars."""
import warnings

import numpy as np
import pytest

import dezero.functions as F
from dezero import Variable
from harness import OpSpec, away_from, make_tests
from functions.test_elementwise import np_erf

UNARY = [((),), ((3,),), ((2, 3),), ((2, 3, 4),)]
KINK = 'x = 0: the kink'


def np_sigmoid(a):
    return 1 / (1 + np.exp(-a))


def np_softmax(a, axis=1):
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_log_softmax(a, axis=1):
    m = a.max(axis=axis, keepdims=True)
    return a - m - np.log(np.exp(a - m).sum(axis=axis, keepdims=True))


def _np_gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


SPECS = [
    OpSpec('sigmoid', F.sigmoid, np_sigmoid, UNARY, low=-4, high=4, order=3),
    OpSpec('sigmoid_simple', F.sigmoid_simple, np_sigmoid, UNARY[:3], low=-4, high=4),
    OpSpec('relu', F.relu, lambda a: np.maximum(a, 0), UNARY, inputs=away_from([0]), piecewise=True, avoid=KINK),
    OpSpec('leaky_relu', F.leaky_relu, lambda a: np.where(a > 0, a, 0.2 * a), UNARY, inputs=away_from([0]),
           piecewise=True, avoid=KINK, cases={
               'slope=0.05': dict(kwargs=dict(slope=0.05), reference=lambda a, slope: np.where(a > 0, a, slope * a),
                                  shapes=[((2, 3),)])}),
    OpSpec('softplus', F.softplus, lambda a: np.log1p(np.exp(a)), UNARY, low=-5, high=5, order=3, cases={
        'beta=2': dict(kwargs=dict(beta=2.0), reference=lambda a, beta: np.log1p(np.exp(beta * a)) / beta,
                       shapes=[((2, 3),)], low=-3, high=3, order=2)}),
    OpSpec('elu', F.elu, lambda a: np.where(a > 0, a, np.expm1(a)), UNARY, inputs=away_from([0]), order=3,
           avoid='x = 0, where the second derivative jumps from alpha to 0', cases={
               'alpha=0.5': dict(kwargs=dict(alpha=0.5),
                                 reference=lambda a, alpha: np.where(a > 0, a, alpha * np.expm1(a)),
                                 shapes=[((2, 3),)], order=2)}),
    OpSpec('gelu', F.gelu, lambda x: 0.5 * x * (1 + np_erf(x / np.sqrt(2))), UNARY, low=-3, high=3, cases={
        "approximate='tanh'": dict(kwargs=dict(approximate='tanh'),
                                   reference=lambda x, approximate: _np_gelu_tanh(x),
                                   shapes=UNARY[:3])}),
    OpSpec('softmax', F.softmax, np_softmax, [((2, 3),), ((2, 3, 4),)], low=-3, high=3, order=3, cases={
        'axis=-1': dict(kwargs=dict(axis=-1), shapes=[((3,),), ((2, 3, 4),)], order=2)}),
    OpSpec('softmax_simple', F.softmax_simple, np_softmax, [((2, 3),)], low=-3, high=3, cases={
        'axis=0': dict(kwargs=dict(axis=0), shapes=[((4,),), ((3, 2),)])}),
    OpSpec('log_softmax', F.log_softmax, np_log_softmax, [((2, 3),), ((2, 3, 4),)], low=-3, high=3, cases={
        'axis=0': dict(kwargs=dict(axis=0), shapes=[((4,),)])}),
]

globals().update(make_tests(SPECS))


def test_sigmoid_and_softmax_saturate_without_overflow():
    with np.errstate(over='raise', divide='raise', invalid='raise'):
        y = F.sigmoid(np.array([-1000.0, 0.0, 1000.0]))
        np.testing.assert_allclose(y.data, [0.0, 0.5, 1.0])
        s = F.softmax(np.array([[1000.0, 1000.0, -1000.0]]))
        np.testing.assert_allclose(s.data, [[0.5, 0.5, 0.0]])
        ls = F.log_softmax(np.array([[1000.0, 0.0]]))
        np.testing.assert_allclose(ls.data, [[0.0, -1000.0]])


def test_elu_does_not_overflow():
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        np.testing.assert_allclose(F.elu(np.array([-1000.0, 1000.0])).data, [-1.0, 1000.0])


@pytest.mark.parametrize('f', [F.relu, F.sigmoid, F.softplus, F.leaky_relu, F.gelu, F.elu],
                         ids=['relu', 'sigmoid', 'softplus', 'leaky_relu', 'gelu', 'elu'])
def test_float32_scalar_stays_float32(f):
    """NumPy 1 promotes a 0-d float32 array combined with a Python float to float64."""
    x = Variable(np.array(0.3, dtype=np.float32))
    y = f(x)
    y.backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32


def test_relu_gradient_at_zero_is_zero():
    x = Variable(np.array([-1.0, 0.0, 2.0]))
    F.relu(x).backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 1.0])


def test_gelu_rejects_an_unknown_approximation():
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh'"):
        F.gelu(np.ones(2), approximate='fast')


@pytest.mark.parametrize('f', [lambda x: F.log_softmax(x).data[0],
                               lambda x: np.atleast_1d(-F.softmax_cross_entropy(x, np.array([1])).data)],
                         ids=['log_softmax', 'softmax_cross_entropy'])
def test_float32_log_softmax_keeps_its_precision_for_large_logits(f):
    """x - logsumexp(x) loses the small result to the rounding of the large terms in float32 (relative
    error 6e-4 at 1e4, issue 14); (x - m) - log(sum(exp(x - m))) keeps it to float32's precision."""
    x = np.array([[1e4, 1e4 + 0.5, 1e4 - 1.0]], dtype=np.float32)
    x64 = x.astype(np.float64)
    exact = (x64 - x64.max()) - np.log(np.exp(x64 - x64.max()).sum())
    got = f(x)
    expected = exact[0] if got.shape == (3,) else exact[0, 1:2]
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=2e-7)
