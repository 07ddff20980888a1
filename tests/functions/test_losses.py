"""dezero.functions.losses: mean squared / absolute error, Huber, softmax, sigmoid and binary cross
entropy, and accuracy; specs against NumPy (the book's sum / N reduction) and the §6 regressions
(bugs 11, 12 and 13)."""
import numpy as np
import pytest

import dezero.functions as F
from dezero import Variable
from harness import OpSpec, make_tests, on_device_of
from functions.test_activations import np_log_softmax, np_sigmoid, np_softmax

T2 = np.array([0, 2, 1, 2])                   # labels for x of shape (4, 3)
T3 = np.array([[0, 2], [1, 1]])               # labels for x of shape (2, 3, 2)
LABELS01 = np.array([0, 1, 1, 0], dtype=np.int32)


def _np_mse(a, b):
    return ((a - b) ** 2).sum() / (len(a) if a.ndim else 1)


def _np_mae(a, b):
    return np.abs(a - b).sum() / (len(a) if np.ndim(a) else 1)


def _np_huber(a, b, delta=0.5):
    d = np.abs(a - b)
    loss = np.where(d <= delta, 0.5 * d ** 2, delta * (d - 0.5 * delta))
    return loss.sum() / (len(a) if np.ndim(a) else 1)


def _np_sce(x, t):
    """Mean of -log softmax(x)[n, t[n], ...] written with explicit loops."""
    logp = np_log_softmax(x, axis=1)
    t = t.reshape((x.shape[0],) + x.shape[2:])
    total, count = 0.0, 0
    for idx in np.ndindex(*t.shape):
        total -= logp[(idx[0], t[idx]) + idx[1:]]
        count += 1
    return np.asarray(total / count, dtype=x.dtype)


def _np_bce(p, t):
    return -(t * np.log(p) + (1 - t) * np.log(1 - p)).sum() / (len(p) if np.ndim(p) else 1)


def _np_accuracy(y, t):
    """Fraction of rows whose argmax (axis 1) is the label, by a loop; a float64 like the original's."""
    pred = y.argmax(axis=1).reshape(t.shape)
    return np.float64(sum(int(p == q) for p, q in zip(pred.ravel(), t.ravel())) / t.size)


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


def _logits_and_targets(rng, shapes):
    return [rng.uniform(-3, 3, shapes[0]), rng.uniform(0, 1, shapes[1])]


def _probabilities_and_targets(rng, shapes):
    return [rng.uniform(0.1, 0.9, shapes[0]), rng.uniform(0, 1, shapes[1])]


Y_ACC = np.array([[0.1, 0.8, 0.1], [0.9, 0.05, 0.05], [0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
T_ACC = np.array([1, 0, 0, 1])

SPECS = [
    OpSpec('mean_squared_error', F.mean_squared_error, _np_mse,
           [((), ()), ((4,), (4,)), ((3, 1), (3, 1)), ((2, 3, 2), (2, 3, 2))], cases={
               '(1, 1) and (1,)': dict(shapes=[((1, 1), (1,))],
                                       reference=lambda a, b: _np_mse(a, b.reshape(a.shape)))}),
    OpSpec('mean_squared_error_simple', F.mean_squared_error_simple, _np_mse,
           [((), ()), ((4,), (4,)), ((3, 2), (3, 2))]),
    OpSpec('mean_absolute_error', F.mean_absolute_error, _np_mae, [((), ()), ((4,), (4,)), ((3, 2), (3, 2))],
           inputs=_pair_apart(0.1, 1.0), piecewise=True, avoid='x0 = x1: the kink of |x0 - x1|'),
    OpSpec('huber_loss', F.huber_loss, _np_huber, [((), ()), ((6,), (6,)), ((4, 3), (4, 3))], kwargs=dict(delta=0.5),
           inputs=_huber_inputs, piecewise=True,
           avoid='|x0 - x1| = delta, where the second derivative jumps from 1 to 0'),
    OpSpec('softmax_cross_entropy', lambda x: F.softmax_cross_entropy(x, on_device_of(x, T2)),
           lambda x: _np_sce(x, T2), [((4, 3),)], low=-2, high=2, order=3, cases={
               'labels (N, 1)': dict(func=lambda x: F.softmax_cross_entropy(x, on_device_of(x, T2.reshape(4, 1))),
                                     order=2),
               'x (N, C, d)': dict(func=lambda x: F.softmax_cross_entropy(x, on_device_of(x, T3)),
                                   reference=lambda x: _np_sce(x, T3), shapes=[((2, 3, 2),)], order=2)}),
    OpSpec('softmax_cross_entropy_simple', lambda x: F.softmax_cross_entropy_simple(x, on_device_of(x, T2)),
           lambda x: _np_sce(x, T2), [((4, 3),)], low=-2, high=2, piecewise=True,
           avoid='softmax(x) below 1e-15, where the clip cuts the gradient: logits in [-2, 2)', cases={
               'labels (N, 1)': dict(
                   func=lambda x: F.softmax_cross_entropy_simple(x, on_device_of(x, T2[:, None])))}),
    OpSpec('sigmoid_cross_entropy', F.sigmoid_cross_entropy, lambda x, t: _np_bce(np_sigmoid(x), t),
           [((3, 2), (3, 2)), ((4,), (4,)), ((), ())], inputs=_logits_and_targets, cases={
               'integer labels (N,) for x (N, 1)': dict(
                   func=lambda x: F.sigmoid_cross_entropy(x, on_device_of(x, LABELS01)),
                   reference=lambda x: _np_bce(np_sigmoid(x), LABELS01.reshape(4, 1)), shapes=[((4, 1),)],
                   inputs=None, low=-3, high=3)}),
    OpSpec('binary_cross_entropy', F.binary_cross_entropy, _np_bce, [((3, 2), (3, 2)), ((4,), (4,)), ((), ())],
           inputs=_probabilities_and_targets, piecewise=True,
           avoid='p within machine epsilon of 0 or 1, where it is clipped: p in [0.1, 0.9)'),
    OpSpec('accuracy', F.accuracy, _np_accuracy, order=0, keep_dtype=False, cases={
        'y (N, C), t (N,)': dict(func=lambda y: F.accuracy(y, on_device_of(y, T_ACC)),
                                 reference=lambda y: _np_accuracy(y, T_ACC), shapes=[((4, 3),)],
                                 inputs=lambda rng, shapes: [Y_ACC]),
        'y (N, C), t (N, 1)': dict(func=lambda y: F.accuracy(y, on_device_of(y, T_ACC[:, None])),
                                   reference=lambda y: _np_accuracy(y, T_ACC[:, None]), shapes=[((4, 3),)]),
        'y (N, C, d), t (N, d)': dict(func=lambda y: F.accuracy(y, on_device_of(y, T3)),
                                      reference=lambda y: _np_accuracy(y, T3), shapes=[((2, 3, 2),)])}),
]

globals().update(make_tests(SPECS))


# =============================================================================
# Regression losses
# =============================================================================
def test_mean_squared_error_divides_by_the_batch_size():
    """§6 bug 12: the book's convention (sum / N) is kept, deliberately."""
    x0 = np.arange(6.0).reshape(2, 3)
    y = F.mean_squared_error(x0, np.zeros((2, 3)))
    assert float(y.data) == pytest.approx((x0 ** 2).sum() / 2)


@pytest.mark.parametrize('f', [F.mean_squared_error, F.mean_squared_error_simple, F.mean_absolute_error,
                               F.huber_loss])
def test_regression_losses_refuse_to_broadcast(f):
    """§6 bug 12: (3, 1) against (3,) used to average a (3, 3) difference silently."""
    with pytest.raises(ValueError, match=r'\(3, 1\) and \(3,\)'):
        f(np.zeros((3, 1)), np.zeros(3))


@pytest.mark.parametrize('f', [F.mean_squared_error, F.mean_squared_error_simple, F.mean_absolute_error,
                               F.huber_loss])
def test_regression_losses_pair_shapes_that_differ_only_by_unit_axes(f):
    """Book step 59 compares a (1, 1) prediction with a (1,) target: same elements, so accepted."""
    x = Variable(np.array([[2.0]]))
    y = f(x, np.array([0.5]))
    assert y.shape == () and float(y.data) == pytest.approx(float(f(np.array([2.0]), np.array([0.5])).data))
    y.backward()
    assert x.grad.shape == (1, 1)
    z = f(np.arange(3.0), np.arange(3.0).reshape(1, 3) + 1)
    assert float(z.data) == pytest.approx(float(f(np.arange(3.0), np.arange(3.0) + 1).data))


def test_mean_squared_error_accepts_arrays_on_either_side_and_keeps_float32():
    a = np.array([1.0, 2.0], dtype=np.float32)
    t = Variable(np.array([0.0, 0.0], dtype=np.float32))
    for y in (F.mean_squared_error(a, t), F.mean_squared_error(t, a)):
        assert y.dtype == np.float32 and float(y.data) == pytest.approx(2.5)
    p = Variable(np.array([[1.0]], dtype=np.float32))
    F.mean_squared_error(p, np.array([[3.0]], dtype=np.float32)).backward()
    assert p.grad.dtype == np.float32 and p.grad.data.item() == pytest.approx(-4.0)


def test_huber_loss_follows_the_books_reduction():
    y = F.huber_loss(np.array([[0.5], [3.0]]), np.zeros((2, 1)))
    assert float(y.data) == pytest.approx((0.125 + 2.5) / 2)


def test_huber_loss_rejects_a_delta_that_is_not_positive():
    with pytest.raises(ValueError, match='huber_loss: delta must be positive, got 0'):
        F.huber_loss(np.ones(2), np.zeros(2), delta=0)


# =============================================================================
# Classification
# =============================================================================
@pytest.mark.parametrize('labels', [T2, T2.reshape(4, 1)])
def test_softmax_cross_entropy_gradient_has_the_input_shape_and_dtype(labels):
    """§6 bug 11: (N, 1) labels gave an (N, 1, C) gradient; float32 input gave a float64 gradient."""
    x = Variable(np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32))
    y = F.softmax_cross_entropy(x, labels)
    y.backward()
    assert y.dtype == np.float32 and y.shape == ()
    assert x.grad.shape == (4, 3) and x.grad.dtype == np.float32
    expected = (np_softmax(x.data.astype(np.float64)) - np.eye(3)[T2]) / 4
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-5, atol=1e-6)


def test_softmax_cross_entropy_rejects_bad_labels():
    x = np.zeros((4, 3))
    with pytest.raises(TypeError, match='softmax_cross_entropy: labels t must be integer'):
        F.softmax_cross_entropy(x, T2.astype(np.float64))
    with pytest.raises(ValueError, match=r'labels of shape \(3,\) do not fit x of shape \(4, 3\)'):
        F.softmax_cross_entropy(x, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match='class axis'):
        F.softmax_cross_entropy(np.zeros(3), np.array(1))
    with pytest.raises(ValueError, match=r'softmax_cross_entropy: label 3 is not a class index'):
        F.softmax_cross_entropy(x, np.array([0, 1, 2, 3]))


def test_softmax_cross_entropy_is_finite_for_extreme_logits():
    y = F.softmax_cross_entropy(np.array([[1000.0, -1000.0]]), np.array([1]))
    assert float(y.data) == pytest.approx(2000.0)


def test_sigmoid_cross_entropy_is_exact_when_the_sigmoid_saturates():
    """§6 bug 13: clipping p to [1e-15, 1] gave log(1 - p) = -inf (and capped other terms at 34.5)."""
    x = Variable(np.array([[100.0], [-100.0], [40.0]], dtype=np.float32))
    t = np.array([1, 0, 0])
    y = F.sigmoid_cross_entropy(x, t)
    y.backward()
    assert np.isfinite(y.data) and y.dtype == np.float32
    assert float(y.data) == pytest.approx(40.0 / 3, rel=1e-5)
    np.testing.assert_allclose(x.grad.data, [[0.0], [0.0], [1 / 3]], atol=1e-7)


def test_sigmoid_cross_entropy_rejects_incompatible_shapes():
    with pytest.raises(ValueError, match='sigmoid_cross_entropy'):
        F.sigmoid_cross_entropy(np.zeros((3, 2)), np.zeros(3))


def test_binary_cross_entropy_does_not_clip_at_0999_and_never_takes_log_0():
    """§6 bug 13: the original clipped p to 0.999, and log(0) threatens when p reaches 0 or 1."""
    y = F.binary_cross_entropy(np.array([0.9999]), np.array([1.0]))
    assert float(y.data) == pytest.approx(-np.log(0.9999))
    with np.errstate(over='raise', divide='raise', invalid='raise'):
        for dtype in (np.float32, np.float64):
            p = Variable(np.array([1.0, 0.0], dtype=dtype))
            y = F.binary_cross_entropy(p, np.array([0, 1]))
            y.backward()
            assert np.isfinite(y.data) and y.dtype == dtype and np.all(np.isfinite(p.grad.data))


def test_binary_cross_entropy_rejects_values_outside_0_1():
    with pytest.raises(ValueError, match=r'binary_cross_entropy: p must be probabilities in \[0, 1\]'):
        F.binary_cross_entropy(np.array([0.5, 1.5]), np.array([0.0, 1.0]))


# =============================================================================
# accuracy
# =============================================================================
def test_accuracy():
    y = Y_ACC.astype(np.float32)
    for t in (T_ACC, T_ACC.reshape(4, 1)):
        acc = F.accuracy(Variable(y), t)
        assert isinstance(acc, Variable) and acc.data.shape == () and acc.dtype == np.float64
        assert float(acc.data) == 0.5
        assert acc.creator is None


def test_accuracy_rejects_labels_that_do_not_fit():
    with pytest.raises(ValueError, match=r'accuracy: .*y of shape \(4, 3\) and t of shape \(3,\)'):
        F.accuracy(Y_ACC, np.array([0, 1, 2]))
