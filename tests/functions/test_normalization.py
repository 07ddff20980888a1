"""dezero.functions.normalization: batch_norm (alias batch_nrom) and layer_norm; specs against NumPy in
training and test mode, the running statistics updated in place, and §6 bug 3 (second derivatives,
backward after a test-mode forward)."""
import numpy as np
import pytest

import dezero
import dezero.functions as F
from dezero import Variable, cuda
from harness import OpSpec, make_tests, on_device_of


def _np_batch_norm(x, g, b, eps=2e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mu = x.mean(axis=axes, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
    return g.reshape(shape) * (x - mu) / np.sqrt(var + eps) + b.reshape(shape)


def _bn_train(x, g, b, f=F.batch_norm):
    xp = cuda.get_array_module(x.data)
    C = x.shape[1]
    return f(x, g, b, xp.zeros(C), xp.ones(C))


RUN_MEAN = np.array([0.3, -0.2, 0.1])
RUN_VAR = np.array([0.5, 1.5, 2.0])


def _bn_test(x, g, b):
    with dezero.test_mode():
        return F.batch_norm(x, g, b, on_device_of(x, RUN_MEAN.copy()), on_device_of(x, RUN_VAR.copy()))


def _np_bn_test(x, g, b):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return g.reshape(shape) * (x - RUN_MEAN.reshape(shape)) / np.sqrt(RUN_VAR.reshape(shape) + 2e-5) \
        + b.reshape(shape)


def _np_layer_norm(x, g=None, b=None, nd=1):
    axes = tuple(range(x.ndim - nd, x.ndim))
    mu = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    y = (x - mu) / np.sqrt(var + 1e-5)
    return y * (1 if g is None else g) + (0 if b is None else b)


NORM = dict(f32_rtol=1e-4, f32_tol=5e-3)

SPECS = [
    OpSpec('batch_norm', _bn_train, _np_batch_norm, [((4, 3), (3,), (3,)), ((2, 3, 2, 2), (3,), (3,))],
           aliases=('batch_nrom',), **NORM, cases={
               'x (N, C, L)': dict(shapes=[((3, 2, 4), (2,), (2,))]),
               'test mode': dict(func=_bn_test, reference=_np_bn_test,
                                 shapes=[((4, 3), (3,), (3,)), ((2, 3, 2, 2), (3,), (3,))]),
               'batch_nrom': dict(func=lambda x, g, b: _bn_train(x, g, b, F.batch_nrom),
                                  shapes=[((5, 3), (3,), (3,))])}),
    OpSpec('layer_norm', F.layer_norm, _np_layer_norm, [((2, 4), (4,), (4,)), ((2, 3, 4), (4,), (4,))], **NORM,
           cases={
               'gamma (3, 4)': dict(reference=lambda x, g, b: _np_layer_norm(x, g, b, nd=2),
                                    shapes=[((2, 3, 4), (3, 4), (3, 4))]),
               'no gamma, beta': dict(shapes=[((3, 5),), ((4,),)]),
               'gamma only': dict(shapes=[((2, 3), (3,))])}),
]

globals().update(make_tests(SPECS))


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


def test_layer_norm_rejects_parameters_that_do_not_fit_the_trailing_axes():
    with pytest.raises(ValueError, match=r'layer_norm: .*got x \(2, 3\), gamma \(2,\)'):
        F.layer_norm(np.ones((2, 3)), np.ones(2), np.zeros(2))
