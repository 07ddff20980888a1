"""The neural-network functions: linear, activations, losses, accuracy, dropout, batch norm,
embed_id and clip; harness specs (forward, first and second order) and regression tests."""
import numpy as np
import pytest

import dezero
import dezero.functions as F
from dezero import Variable, cuda
from harness import OpSpec, make_tests

UNARY = [((),), ((3,),), ((2, 3),), ((2, 3, 4),)]


def _on(x, a):
    """Constant array ``a`` on the device of Variable ``x``."""
    return cuda.as_cupy(a) if cuda.is_cupy_array(x.data) else a


def _away_from(points, gap=0.1):
    """Inputs in [-1, 1) at least ``gap`` away from each of ``points`` (kinks of piecewise functions)."""
    def make(rng, shapes):
        out = []
        for s in shapes:
            a = rng.uniform(-1, 1, size=s)
            while True:
                near = np.any([np.abs(a - p) < gap for p in points], axis=0)
                if not np.any(near):
                    break
                a = np.where(near, rng.uniform(-1, 1, size=s), a)
            out.append(a)
        return out
    return make


def _uniform(low, high):
    return lambda rng, shapes: [rng.uniform(low, high, size=s) for s in shapes]


def _np_sigmoid(a):
    return 1 / (1 + np.exp(-a))


def _np_softmax(a, axis=1):
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _np_log_softmax(a, axis=1):
    m = a.max(axis=axis, keepdims=True)
    return a - m - np.log(np.exp(a - m).sum(axis=axis, keepdims=True))


def _np_mse(a, b):
    return ((a - b) ** 2).sum() / (len(a) if a.ndim else 1)


T2 = np.array([0, 2, 1, 2])                   # labels for x of shape (4, 3)
T3 = np.array([[0, 2], [1, 1]])               # labels for x of shape (2, 3, 2)


def _np_sce(x, t):
    """Mean of -log softmax(x)[n, t[n], ...] written with explicit loops."""
    logp = _np_log_softmax(x, axis=1)
    t = t.reshape((x.shape[0],) + x.shape[2:])
    total, count = 0.0, 0
    for idx in np.ndindex(*t.shape):
        total -= logp[(idx[0], t[idx]) + idx[1:]]
        count += 1
    return np.asarray(total / count, dtype=x.dtype)


def _np_bce(p, t):
    return -(t * np.log(p) + (1 - t) * np.log(1 - p)).sum() / len(p)


def _np_batch_norm(x, g, b, eps=2e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mu = x.mean(axis=axes, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
    return g.reshape(shape) * (x - mu) / np.sqrt(var + eps) + b.reshape(shape)


def _bn_train(x, g, b):
    xp = cuda.get_array_module(x.data)
    C = x.shape[1]
    return F.batch_norm(x, g, b, xp.zeros(C), xp.ones(C))


RUN_MEAN = np.array([0.3, -0.2, 0.1])
RUN_VAR = np.array([0.5, 1.5, 2.0])


def _bn_test(x, g, b):
    with dezero.test_mode():
        return F.batch_norm(x, g, b, _on(x, RUN_MEAN.copy()), _on(x, RUN_VAR.copy()))


def _np_bn_test(x, g, b):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return g.reshape(shape) * (x - RUN_MEAN.reshape(shape)) / np.sqrt(RUN_VAR.reshape(shape) + 2e-5) \
        + b.reshape(shape)


MASK = np.array([[2.0, 0.0, 2.0], [0.0, 0.0, 2.0]])


def _dropout_fixed_mask(x):
    return F.Dropout(_on(x, MASK.astype(x.dtype)))(x)


LINEAR_SHAPES = [((2, 3), (3, 4), (4,)), ((5, 2, 3), (3, 4), (4,)), ((3,), (3, 2), (2,)),
                 ((2, 3), (3, 4), (1, 4))]

SPECS = [
    OpSpec('linear', F.linear, lambda x, W, b: x @ W + b, LINEAR_SHAPES),
    OpSpec('linear_nobias', F.linear, lambda x, W: x @ W, [((2, 3), (3, 4)), ((2, 2, 3), (3, 1))]),
    OpSpec('linear_simple', F.linear_simple, lambda x, W, b: x @ W + b, LINEAR_SHAPES[:2]),
    OpSpec('sigmoid', F.sigmoid, _np_sigmoid, UNARY, low=-4, high=4, order=3),
    OpSpec('sigmoid_simple', F.sigmoid_simple, _np_sigmoid, UNARY[:3], low=-4, high=4),
    OpSpec('relu', F.relu, lambda a: np.maximum(a, 0), UNARY, inputs=_away_from([0])),
    OpSpec('leaky_relu', F.leaky_relu, lambda a: np.where(a > 0, a, 0.2 * a), UNARY,
           inputs=_away_from([0])),
    OpSpec('leaky_relu_slope', lambda a: F.leaky_relu(a, slope=0.05),
           lambda a: np.where(a > 0, a, 0.05 * a), [((2, 3),)], inputs=_away_from([0])),
    OpSpec('softplus', F.softplus, lambda a: np.log1p(np.exp(a)), UNARY, low=-5, high=5, order=3),
    OpSpec('softplus_beta', lambda a: F.softplus(a, beta=2.0), lambda a: np.log1p(np.exp(2 * a)) / 2,
           [((2, 3),)], low=-3, high=3),
    OpSpec('softmax', F.softmax, _np_softmax, [((2, 3),), ((2, 3, 4),)], low=-3, high=3, order=3),
    OpSpec('softmax_axis', lambda a: F.softmax(a, axis=-1), lambda a: _np_softmax(a, -1),
           [((3,),), ((2, 3, 4),)], low=-3, high=3),
    OpSpec('softmax_simple', F.softmax_simple, _np_softmax, [((2, 3),)], low=-3, high=3),
    OpSpec('log_softmax', F.log_softmax, _np_log_softmax, [((2, 3),), ((2, 3, 4),)], low=-3, high=3),
    OpSpec('log_softmax_axis0', lambda a: F.log_softmax(a, axis=0), lambda a: _np_log_softmax(a, 0),
           [((4,),)], low=-3, high=3),
    OpSpec('mean_squared_error', F.mean_squared_error, _np_mse,
           [((), ()), ((4,), (4,)), ((3, 1), (3, 1)), ((2, 3, 2), (2, 3, 2))]),
    OpSpec('mean_squared_error_simple', F.mean_squared_error_simple, _np_mse,
           [((4,), (4,)), ((3, 2), (3, 2))]),
    OpSpec('softmax_cross_entropy', lambda x: F.softmax_cross_entropy(x, _on(x, T2)),
           lambda x: _np_sce(x, T2), [((4, 3),)], low=-2, high=2, order=3),
    OpSpec('softmax_cross_entropy_N1', lambda x: F.softmax_cross_entropy(x, _on(x, T2.reshape(4, 1))),
           lambda x: _np_sce(x, T2), [((4, 3),)], low=-2, high=2),
    OpSpec('softmax_cross_entropy_nd', lambda x: F.softmax_cross_entropy(x, _on(x, T3)),
           lambda x: _np_sce(x, T3), [((2, 3, 2),)], low=-2, high=2),
    OpSpec('softmax_cross_entropy_simple', lambda x: F.softmax_cross_entropy_simple(x, _on(x, T2)),
           lambda x: _np_sce(x, T2), [((4, 3),)], low=-2, high=2),
    OpSpec('sigmoid_cross_entropy', F.sigmoid_cross_entropy,
           lambda x, t: _np_bce(_np_sigmoid(x), t), [((3, 2), (3, 2)), ((4,), (4,))],
           inputs=lambda rng, s: [rng.uniform(-3, 3, s[0]), rng.uniform(0, 1, s[1])]),
    OpSpec('sigmoid_cross_entropy_labels',
           lambda x: F.sigmoid_cross_entropy(x, _on(x, np.array([0, 1, 1, 0], dtype=np.int32))),
           lambda x: _np_bce(_np_sigmoid(x), np.array([0, 1, 1, 0]).reshape(4, 1)), [((4, 1),)],
           low=-3, high=3),
    OpSpec('binary_cross_entropy', F.binary_cross_entropy, _np_bce, [((3, 2), (3, 2)), ((4,), (4,))],
           inputs=lambda rng, s: [rng.uniform(0.1, 0.9, s[0]), rng.uniform(0, 1, s[1])]),
    OpSpec('dropout_fixed_mask', _dropout_fixed_mask, lambda a: a * MASK, [((2, 3),)]),
    OpSpec('dropout_test_mode', lambda a: _in_test_mode(F.dropout, a), lambda a: a, UNARY[:3]),
    OpSpec('batch_norm', _bn_train, _np_batch_norm, [((4, 3), (3,), (3,)), ((2, 3, 2, 2), (3,), (3,))],
           f32_rtol=1e-4, f32_tol=5e-3),
    OpSpec('batch_norm_3d', _bn_train, _np_batch_norm, [((3, 2, 4), (2,), (2,))], f32_rtol=1e-4,
           f32_tol=5e-3),
    OpSpec('batch_norm_test_mode', _bn_test, _np_bn_test, [((4, 3), (3,), (3,)), ((2, 3, 2, 2), (3,), (3,))],
           f32_rtol=1e-4),
    OpSpec('batch_nrom', lambda x, g, b: F.batch_nrom(x, g, b, _on(x, np.zeros(3)), _on(x, np.ones(3))),
           _np_batch_norm, [((5, 3), (3,), (3,))], f32_rtol=1e-4, f32_tol=5e-3),
    OpSpec('embed_id', lambda W: F.embed_id(_on(W, np.array([0, 2, 2, 4])), W),
           lambda W: W[np.array([0, 2, 2, 4])], [((5, 3),)]),
    OpSpec('embed_id_2d', lambda W: F.embed_id(_on(W, np.array([[1, 1], [0, 3]])), W),
           lambda W: W[np.array([[1, 1], [0, 3]])], [((4, 2),)]),
    OpSpec('clip', lambda a: F.clip(a, -0.5, 0.4), lambda a: np.clip(a, -0.5, 0.4), UNARY,
           inputs=_away_from([-0.5, 0.4])),
]


def _in_test_mode(f, *args):
    with dezero.test_mode():
        return f(*args)


test_forward, test_grad, test_second_order_grad, test_higher_order_grad, test_float32_grad = make_tests(SPECS)


# ----------------------------------------------------------------------------- linear
def test_linear_without_bias_and_with_a_variable_holding_none():
    x, W = np.ones((2, 3)), np.ones((3, 4))
    for b in (None, Variable(None)):
        y = F.linear(x, W, b)
        assert y.shape == (2, 4) and len(y.creator.inputs) == 2


def test_linear_rejects_mismatched_shapes_naming_itself():
    with pytest.raises(ValueError, match=r'linear: x of shape \(2, 3\).*W of shape \(4, 5\)'):
        F.linear(np.ones((2, 3)), np.ones((4, 5)))


def test_linear_simple_backpropagates_through_matmul_and_add():
    x, W, b = Variable(np.ones((2, 3))), Variable(np.ones((3, 4))), Variable(np.zeros(4))
    y = F.linear_simple(x, W, b)
    assert type(y.creator).__name__ == 'Add'
    y.backward()
    np.testing.assert_allclose(W.grad.data, np.full((3, 4), 2.0))
    np.testing.assert_allclose(b.grad.data, np.full(4, 2.0))


# ----------------------------------------------------------------------------- activations
def test_sigmoid_and_softmax_saturate_without_overflow():
    with np.errstate(over='raise', divide='raise', invalid='raise'):
        y = F.sigmoid(np.array([-1000.0, 0.0, 1000.0]))
        np.testing.assert_allclose(y.data, [0.0, 0.5, 1.0])
        s = F.softmax(np.array([[1000.0, 1000.0, -1000.0]]))
        np.testing.assert_allclose(s.data, [[0.5, 0.5, 0.0]])
        ls = F.log_softmax(np.array([[1000.0, 0.0]]))
        np.testing.assert_allclose(ls.data, [[0.0, -1000.0]])


@pytest.mark.parametrize('f', [F.relu, F.sigmoid, F.softplus, F.leaky_relu, lambda a: F.clip(a, 0.1, 0.5)])
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


# ----------------------------------------------------------------------------- losses
def test_mean_squared_error_divides_by_the_batch_size():
    """§6 bug 12: the book's convention (sum / N) is kept, deliberately."""
    x0 = np.arange(6.0).reshape(2, 3)
    y = F.mean_squared_error(x0, np.zeros((2, 3)))
    assert float(y.data) == pytest.approx((x0 ** 2).sum() / 2)


@pytest.mark.parametrize('f', [F.mean_squared_error, F.mean_squared_error_simple])
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


@pytest.mark.parametrize('labels', [T2, T2.reshape(4, 1)])
def test_softmax_cross_entropy_gradient_has_the_input_shape_and_dtype(labels):
    """§6 bug 11: (N, 1) labels gave an (N, 1, C) gradient; float32 input gave a float64 gradient."""
    x = Variable(np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32))
    y = F.softmax_cross_entropy(x, labels)
    y.backward()
    assert y.dtype == np.float32 and y.shape == ()
    assert x.grad.shape == (4, 3) and x.grad.dtype == np.float32
    expected = (_np_softmax(x.data.astype(np.float64)) - np.eye(3)[T2]) / 4
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-5, atol=1e-6)


def test_softmax_cross_entropy_rejects_bad_labels():
    x = np.zeros((4, 3))
    with pytest.raises(TypeError, match='softmax_cross_entropy: labels t must be integer'):
        F.softmax_cross_entropy(x, T2.astype(np.float64))
    with pytest.raises(ValueError, match=r'labels of shape \(3,\) do not fit x of shape \(4, 3\)'):
        F.softmax_cross_entropy(x, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match='class axis'):
        F.softmax_cross_entropy(np.zeros(3), np.array(1))


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


# ----------------------------------------------------------------------------- accuracy and dropout
def test_accuracy():
    y = np.array([[0.1, 0.8, 0.1], [0.9, 0.05, 0.05], [0.2, 0.3, 0.5], [0.6, 0.3, 0.1]], dtype=np.float32)
    for t in (np.array([1, 0, 0, 1]), np.array([[1], [0], [0], [1]])):
        acc = F.accuracy(Variable(y), t)
        assert isinstance(acc, Variable) and acc.data.shape == () and acc.dtype == np.float64
        assert float(acc.data) == 0.5
        assert acc.creator is None


def test_dropout_is_the_identity_in_test_mode():
    x = Variable(np.ones((2, 3)))
    with dezero.test_mode():
        assert F.dropout(x) is x


def test_dropout_draws_the_originals_mask_and_scales_the_kept_elements():
    x = Variable(np.arange(1.0, 1001.0, dtype=np.float32))
    np.random.seed(3)
    y = F.dropout(x, dropout_ratio=0.3)
    np.random.seed(3)
    keep = np.random.rand(1000) > 0.3
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.data, np.where(keep, x.data / np.float32(0.7), 0), rtol=1e-6)
    y.backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.data, keep / np.float32(0.7), rtol=1e-6)
    assert 600 < keep.sum() < 800


def test_dropout_rejects_a_ratio_outside_0_1():
    with pytest.raises(ValueError, match='dropout_ratio'):
        F.dropout(np.ones(3), 1.0)


# ----------------------------------------------------------------------------- batch norm
def test_batch_norm_updates_the_running_statistics_in_place_as_the_original():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 2, 2)).astype(np.float32)
    mean, var = np.zeros(3, dtype=np.float32), np.ones(3, dtype=np.float32)
    mean_id, var_id = id(mean), id(var)
    F.batch_norm(x, np.ones(3, np.float32), np.zeros(3, np.float32), mean, var, decay=0.8)
    flat = x.transpose(0, 2, 3, 1).reshape(-1, 3)
    m = 16
    np.testing.assert_allclose(mean, 0.2 * flat.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(var, 0.8 + 0.2 * flat.var(axis=0) * m / (m - 1), rtol=1e-5)
    assert id(mean) == mean_id and id(var) == var_id and mean.dtype == np.float32


def test_batch_norm_uses_the_running_statistics_in_test_mode_and_can_backpropagate():
    """§6 bug 3: backward after a test-mode forward crashed (inv_std was None)."""
    x = Variable(np.array([[1.0, 2.0], [3.0, 6.0]]))
    gamma, beta = Variable(np.array([2.0, 1.0])), Variable(np.array([0.5, 0.0]))
    mean, var = np.array([1.0, 2.0]), np.array([4.0, 16.0])
    with dezero.test_mode():
        y = F.batch_norm(x, gamma, beta, mean, var, eps=0.0)
    np.testing.assert_allclose(y.data, [[0.5, 0.0], [2.5, 1.0]])
    np.testing.assert_array_equal(mean, [1.0, 2.0])     # not updated
    y.backward()
    np.testing.assert_allclose(x.grad.data, [[1.0, 0.25], [1.0, 0.25]])
    np.testing.assert_allclose(gamma.grad.data, [1.0, 1.0])
    np.testing.assert_allclose(beta.grad.data, [2.0, 2.0])


def test_batch_norm_second_derivative_of_the_weighted_output():
    """§6 bug 3 (second order), checked on the scalar the craft notes used: a random weighted sum."""
    rng = np.random.default_rng(1)
    x = Variable(rng.standard_normal((5, 3)))
    gamma, beta, w = Variable(rng.uniform(0.5, 2, 3)), Variable(rng.standard_normal(3)), rng.standard_normal((5, 3))

    def first(xd):
        xv = Variable(xd)
        y = F.sum(F.batch_norm(xv, gamma, beta, np.zeros(3), np.ones(3)) * w)
        g = dezero.grad(y, xv, create_graph=True)
        return xv, F.sum(g * g)

    xv, z = first(x.data)
    gx = dezero.grad(z, xv)
    eps, u = 1e-6, rng.standard_normal((5, 3))
    numeric = (float(first(x.data + eps * u)[1].data) - float(first(x.data - eps * u)[1].data)) / (2 * eps)
    assert float(np.sum(gx.data * u)) == pytest.approx(numeric, rel=1e-5)


def test_batch_nrom_is_batch_norm_and_rejects_bad_shapes():
    assert F.batch_nrom is F.batch_norm
    with pytest.raises(ValueError, match=r'batch_norm: gamma has shape \(4,\).*3 channels'):
        F.batch_norm(np.ones((2, 3)), np.ones(4), np.zeros(3), np.zeros(3), np.ones(3))


# ----------------------------------------------------------------------------- embed_id and clip
def test_embed_id_accumulates_repeated_ids():
    W = Variable(np.arange(6.0).reshape(3, 2))
    F.sum(F.embed_id(np.array([2, 0, 2]), W)).backward()
    np.testing.assert_array_equal(W.grad.data, [[1, 1], [0, 0], [2, 2]])


def test_clip_bounds_are_inclusive_for_the_gradient():
    x = Variable(np.array([-1.0, 0.0, 0.5, 1.0, 2.0]))
    F.clip(x, 0.0, 1.0).backward()
    np.testing.assert_array_equal(x.grad.data, [0, 1, 1, 1, 0])


# ----------------------------------------------------------------------------- §6 regressions of the base functions
def test_max_and_min_backward_with_a_negative_axis():
    """§6 bug 8: max_backward_shape did not normalise a negative axis (ValueError)."""
    x = Variable(np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]]))
    (F.sum(F.max(x, axis=-1)) + F.sum(F.min(x, axis=-2))).backward()
    np.testing.assert_array_equal(x.grad.data, [[1, 1, 1], [1, 1, 0]])


def test_sum_with_a_list_axis():
    """§6 bug 9: only an int or a tuple axis was accepted."""
    x = Variable(np.arange(24.0).reshape(2, 3, 4))
    y = F.sum(x, axis=[0, 2])
    np.testing.assert_array_equal(y.data, np.arange(24.0).reshape(2, 3, 4).sum(axis=(0, 2)))
    y.backward()
    np.testing.assert_array_equal(x.grad.data, np.ones((2, 3, 4)))


def test_matmul_and_linear_are_batched():
    """§6 bug 10: dot was used, which is not batched matmul, and the backward reversed all axes."""
    rng = np.random.default_rng(2)
    x, W, b = Variable(rng.standard_normal((4, 2, 3))), Variable(rng.standard_normal((3, 5))), np.zeros(5)
    for y in (F.matmul(x, W), F.linear(x, W, b)):
        np.testing.assert_allclose(y.data, np.matmul(x.data, W.data))
        x.cleargrad()
        W.cleargrad()
        y.backward()
        np.testing.assert_allclose(W.grad.data, x.data.reshape(-1, 3).T @ np.ones((8, 5)))
        assert x.grad.shape == (4, 2, 3)


def test_get_item_backward_scatters_through_the_backend_add_at(monkeypatch):
    """§6 bug 33: the GPU path called cupy.scatter_add, removed in CuPy 8; it goes through
    cuda.scatter_add (xp.add.at on either device)."""
    calls = []
    original = cuda.scatter_add

    def spy(a, indices, values):
        calls.append(type(a))
        return original(a, indices, values)

    monkeypatch.setattr(cuda, 'scatter_add', spy)
    x = Variable(np.arange(3.0))
    F.sum(x[np.array([0, 0, 2])]).backward()
    np.testing.assert_array_equal(x.grad.data, [2, 0, 1])
    assert calls == [np.ndarray]
