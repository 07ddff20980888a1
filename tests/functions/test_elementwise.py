"""dezero.functions.elementwise: sin, cos, tanh, exp, log, abs, sqrt, square, erf, clip, maximum,
minimum and where; specs against NumPy (erf against a quadrature), ties and inclusive bounds."""
import numpy as np
import pytest

import dezero.functions as F
from dezero import Variable
from harness import OpSpec, away_from, make_tests, on_device_of, positive

UNARY = [((),), ((3,),), ((2, 3),), ((2, 3, 4),)]
BINARY = [((), ()), ((2, 3), (2, 3)), ((2, 3), ()), ((2, 3), (3,)), ((2, 1), (1, 3))]

GL_NODES, GL_WEIGHTS = np.polynomial.legendre.leggauss(60)


def np_erf(x):
    """erf by Gauss-Legendre quadrature of 2/sqrt(pi) exp(-t^2) over [0, x] (exact to ~1e-15 for |x| <= 4)."""
    x = np.asarray(x, dtype=np.float64)
    t = (x[..., None] / 2) * (GL_NODES + 1)
    return (x / 2) * np.sum(GL_WEIGHTS * np.exp(-t * t), axis=-1) * 2 / np.sqrt(np.pi)


def _apart(rng, shapes):
    """Operands whose elements differ by at least 0.1 after broadcasting (no ties for max/min)."""
    a = rng.uniform(-1, 1, size=shapes[0])
    b = rng.uniform(-1, 1, size=shapes[1])
    while np.any(np.abs(np.subtract(a, b)) < 0.1):
        b = rng.uniform(-1, 1, size=shapes[1])
    return [a, b]


COND = np.array([[True, False, True], [False, False, True]])
TIES = 'x0 = x1, where each operand gets half the gradient: operands at least 0.1 apart'
DOMAIN = 'x <= 0, outside the domain: inputs in [0.5, 2)'

SPECS = [
    OpSpec('sin', F.sin, np.sin, UNARY, order=3),
    OpSpec('cos', F.cos, np.cos, UNARY, order=3),
    OpSpec('tanh', F.tanh, np.tanh, UNARY, order=3),
    OpSpec('exp', F.exp, np.exp, UNARY, order=3),
    OpSpec('log', F.log, np.log, UNARY, inputs=positive, order=3, avoid=DOMAIN),
    OpSpec('abs', F.abs, np.abs, UNARY, inputs=away_from([0]), piecewise=True, avoid='x = 0: the kink'),
    OpSpec('sqrt', F.sqrt, np.sqrt, UNARY, inputs=positive, order=3, avoid=DOMAIN),
    OpSpec('square', F.square, np.square, UNARY, order=3),
    OpSpec('erf', F.erf, np_erf, UNARY, low=-2, high=2, order=3),
    OpSpec('clip', F.clip, lambda a, x_min, x_max: np.clip(a, x_min, x_max), piecewise=True,
           avoid='x = x_min and x = x_max: the kinks', cases={
               'x_min=-0.5, x_max=0.4': dict(kwargs=dict(x_min=-0.5, x_max=0.4), shapes=UNARY,
                                             inputs=away_from([-0.5, 0.4])),
               'x_min=x_max=0.2': dict(kwargs=dict(x_min=0.2, x_max=0.2), shapes=UNARY[2:3],
                                       inputs=away_from([0.2]))}),
    OpSpec('maximum', F.maximum, np.maximum, BINARY, inputs=_apart, piecewise=True, avoid=TIES, cases={
        'x, 0.05': dict(func=lambda a: F.maximum(a, 0.05), reference=lambda a: np.maximum(a, 0.05),
                        shapes=UNARY[:3], inputs=away_from([0.05]))}),
    OpSpec('minimum', F.minimum, np.minimum, BINARY, inputs=_apart, piecewise=True, avoid=TIES, cases={
        '0.05, x': dict(func=lambda a: F.minimum(0.05, a), reference=lambda a: np.minimum(0.05, a),
                        shapes=UNARY[:3], inputs=away_from([0.05]))}),
    OpSpec('where', lambda a, b: F.where(on_device_of(a, COND), a, b), lambda a, b: np.where(COND, a, b),
           [((2, 3), (2, 3)), ((2, 3), (3,)), ((1, 3), ())], cases={
               'x1 a number': dict(func=lambda a: F.where(on_device_of(a, COND), a, 0.0),
                                   reference=lambda a: np.where(COND, a, 0.0), shapes=[((2, 3),)]),
               'condition 0-d': dict(func=lambda a, b: F.where(True, a, b),
                                     reference=lambda a, b: np.where(True, a, b), shapes=[((), ()), ((2,), ())])}),
]

globals().update(make_tests(SPECS))


def test_maximum_and_minimum_share_the_gradient_at_ties():
    a, b = Variable(np.array([1.0, 2.0, 3.0])), Variable(np.array([1.0, 0.0, 5.0]))
    F.sum(F.maximum(a, b) + F.minimum(a, b)).backward()
    np.testing.assert_array_equal(a.grad.data, [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(b.grad.data, [1.0, 1.0, 1.0])
    a.cleargrad()
    b.cleargrad()
    F.sum(F.maximum(a, b)).backward()
    np.testing.assert_array_equal(a.grad.data, [0.5, 1.0, 0.0])


def test_where_accepts_a_variable_or_list_condition():
    x = Variable(np.array([1.0, -2.0, 3.0]))
    for cond in (Variable(np.array([True, False, True])), [True, False, True]):
        np.testing.assert_array_equal(F.where(cond, x, 0.0).data, [1.0, 0.0, 3.0])


def test_clip_bounds_are_inclusive_for_the_gradient():
    x = Variable(np.array([-1.0, 0.0, 0.5, 1.0, 2.0]))
    F.clip(x, 0.0, 1.0).backward()
    np.testing.assert_array_equal(x.grad.data, [0, 1, 1, 1, 0])


def test_clip_rejects_bounds_in_the_wrong_order():
    with pytest.raises(ValueError, match=r'clip: x_min \(1\.0\) must not be greater than x_max \(0\.0\)'):
        F.clip(np.ones(2), 1.0, 0.0)


@pytest.mark.parametrize('f', [lambda a: F.clip(a, 0.1, 0.5), F.abs, F.sqrt, F.square, F.erf,
                               lambda a: F.maximum(a, 0.1), lambda a: F.where(True, a, 1.0)],
                         ids=['clip', 'abs', 'sqrt', 'square', 'erf', 'maximum', 'where'])
def test_float32_scalar_stays_float32(f):
    """NumPy 1 promotes a 0-d float32 array combined with a Python float to float64."""
    x = Variable(np.array(0.3, dtype=np.float32))
    y = f(x)
    y.backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32
