"""dezero.functions.reductions: sum, average (mean), max, min and logsumexp over any axes; specs
against NumPy and the §6 regressions of the axis handling."""
import warnings

import numpy as np
import pytest

import dezero.functions as F
from dezero import Variable
from harness import OpSpec, distinct, make_tests

UNARY = [((),), ((3,),), ((2, 3),), ((2, 3, 4),)]


def np_logsumexp(a, axis=None, keepdims=False):
    m = np.max(a, axis=axis, keepdims=True)
    y = m + np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True))
    return y if keepdims else np.squeeze(y, axis=axis)


TIES = 'ties for the extreme, where the gradient is shared: elements 0.1 apart'

SPECS = [
    OpSpec('sum', F.sum, np.sum, UNARY, cases={
        'axis=1': dict(kwargs=dict(axis=1), shapes=[((2, 3),), ((2, 3, 4),)]),
        'axis=-1, keepdims': dict(kwargs=dict(axis=-1, keepdims=True), shapes=[((2, 3),), ((3,),)]),
        'axis=(0,2)': dict(kwargs=dict(axis=(0, 2)), shapes=[((2, 3, 4),)]),
        'axis=[0,-1], keepdims': dict(func=lambda a: F.sum(a, axis=[0, -1], keepdims=True),
                                      reference=lambda a: a.sum(axis=(0, -1), keepdims=True), shapes=[((2, 3, 4),)]),
        'x.sum(axis=0)': dict(func=lambda a: a.sum(axis=0), reference=lambda a: a.sum(axis=0), shapes=[((2, 3),)])}),
    OpSpec('average', F.average, np.mean, UNARY, aliases=('mean',), cases={
        'axis=0 (mean)': dict(func=lambda a: F.mean(a, axis=0), reference=lambda a: a.mean(axis=0),
                              shapes=[((2, 3),)]),
        'axis=(1, 2), keepdims': dict(kwargs=dict(axis=(1, 2), keepdims=True), shapes=[((2, 3, 4),)])}),
    OpSpec('max', F.max, np.max, UNARY, inputs=distinct(), piecewise=True, avoid=TIES, cases={
        'axis=-1': dict(kwargs=dict(axis=-1), shapes=[((2, 3),), ((2, 3, 4),)]),
        'x.max(axis=(0, 2), keepdims)': dict(func=lambda a: a.max(axis=(0, 2), keepdims=True),
                                             reference=lambda a: a.max(axis=(0, 2), keepdims=True),
                                             shapes=[((2, 3, 4),)])}),
    OpSpec('min', F.min, np.min, UNARY, inputs=distinct(), piecewise=True, avoid=TIES, cases={
        'x.min(axis=0, keepdims)': dict(func=lambda a: a.min(axis=0, keepdims=True),
                                        reference=lambda a: a.min(axis=0, keepdims=True), shapes=[((2, 3),)]),
        'axis=-2': dict(kwargs=dict(axis=-2), shapes=[((2, 3, 4),)])}),
    OpSpec('logsumexp', F.logsumexp, np_logsumexp, UNARY, low=-3, high=3, order=3, cases={
        'axis=1': dict(kwargs=dict(axis=1), shapes=[((2, 3),), ((2, 3, 4),)], order=2),
        'axis=(0, -1), keepdims': dict(func=lambda a: F.logsumexp(a, axis=(0, -1), keepdims=True),
                                       reference=lambda a: np_logsumexp(a, axis=(0, 2), keepdims=True),
                                       shapes=[((2, 3, 4),)], order=2)}),
]

globals().update(make_tests(SPECS))


def test_max_and_min_backward_with_a_negative_axis():
    """§6 bug 8: max_backward_shape did not normalise a negative axis (ValueError)."""
    x = Variable(np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]]))
    (F.sum(F.max(x, axis=-1)) + F.sum(F.min(x, axis=-2))).backward()
    np.testing.assert_array_equal(x.grad.data, [[1, 1, 1], [1, 1, 0]])


def test_max_shares_the_gradient_between_tied_maxima():
    x = Variable(np.array([[3.0, 1.0, 3.0], [0.0, 2.0, 1.0]]))
    F.sum(F.max(x, axis=1)).backward()
    np.testing.assert_array_equal(x.grad.data, [[0.5, 0, 0.5], [0, 1, 0]])


def test_sum_with_a_list_axis():
    """§6 bug 9: only an int or a tuple axis was accepted."""
    x = Variable(np.arange(24.0).reshape(2, 3, 4))
    y = F.sum(x, axis=[0, 2])
    np.testing.assert_array_equal(y.data, np.arange(24.0).reshape(2, 3, 4).sum(axis=(0, 2)))
    y.backward()
    np.testing.assert_array_equal(x.grad.data, np.ones((2, 3, 4)))


@pytest.mark.parametrize('f', [F.sum, F.average, F.max, F.min, F.logsumexp])
def test_reductions_reject_a_bad_axis_naming_themselves(f):
    with pytest.raises(ValueError, match=rf'{f.__name__}: axis 2 is out of bounds .*x has 2 dimensions'):
        f(np.ones((2, 3)), axis=2)


def test_logsumexp_does_not_overflow():
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert float(F.logsumexp(np.array([1000.0, 1000.0])).data) == pytest.approx(1000 + np.log(2))


def test_float32_scalar_stays_float32():
    """NumPy 1 promotes a 0-d float32 array combined with a Python float to float64."""
    x = Variable(np.array(0.3, dtype=np.float32))
    y = F.logsumexp(x)
    y.backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32
