"""dezero.functions.distributions: the log-probabilities and entropies of categorical and diagonal
Gaussian policies; specs against NumPy closed forms, the closed-form derivatives the docstrings give,
and the errors."""
import numpy as np
import pytest

import dezero
import dezero.functions as F
from dezero import Variable
from harness import OpSpec, make_tests, on_device_of
from functions.test_activations import np_log_softmax

ACTIONS = np.array([0, 3, 1, 1, 2])           # t for logits of shape (5, 4)
LOG_2PI = np.log(2 * np.pi)


def _np_categorical_log_prob(logits, t=ACTIONS):
    return np_log_softmax(logits, axis=1)[np.arange(len(t)), t.ravel()]


def _np_categorical_entropy(logits):
    log_p = np_log_softmax(logits, axis=1)
    return -(np.exp(log_p) * log_p).sum(axis=1)


def _np_gaussian_log_prob(x, mean, log_std):
    return (-0.5 * ((x - mean) / np.exp(log_std)) ** 2 - log_std - 0.5 * LOG_2PI).sum(axis=-1)


def _np_gaussian_entropy(log_std):
    return (log_std + 0.5 * (1 + LOG_2PI)).sum(axis=-1)


SPECS = [
    OpSpec('categorical_log_prob', lambda a: F.categorical_log_prob(a, on_device_of(a, ACTIONS)),
           _np_categorical_log_prob, [((5, 4),)], low=-3, high=3, order=3, cases={
               't (N, 1)': dict(func=lambda a: F.categorical_log_prob(a, on_device_of(a, ACTIONS[:, None]))),
               'one row, two classes': dict(
                   func=lambda a: F.categorical_log_prob(a, on_device_of(a, ACTIONS[:1])),
                   reference=lambda a: _np_categorical_log_prob(a, ACTIONS[:1]), shapes=[((1, 2),)])}),
    OpSpec('categorical_entropy', F.categorical_entropy, _np_categorical_entropy, [((5, 4),), ((1, 2),)],
           low=-3, high=3, order=3),
    OpSpec('gaussian_log_prob', F.gaussian_log_prob, _np_gaussian_log_prob,
           [((6, 2), (6, 2), (6, 2)), ((3,), (3,), (3,)), ((2, 3, 2), (2, 3, 2), (2, 3, 2))], order=3, cases={
               'log_std (D,) broadcast over the batch': dict(shapes=[((6, 2), (6, 2), (2,))]),
               'log_std (1, D) and a 0-d one': dict(shapes=[((4, 3), (4, 3), (1, 3)), ((4, 3), (4, 3), ())])}),
    OpSpec('gaussian_entropy', F.gaussian_entropy, _np_gaussian_entropy, [((6, 2),), ((3,),), ((2, 3, 2),)],
           order=3),
]

globals().update(make_tests(SPECS))


def test_categorical_derivatives_are_the_closed_forms():
    rng = np.random.RandomState(0)
    logits = rng.randn(5, 4) * 3
    p = np.exp(np_log_softmax(logits, axis=1))
    v = Variable(logits)
    F.categorical_log_prob(v, ACTIONS).backward()
    np.testing.assert_allclose(v.grad.data, np.eye(4)[ACTIONS] - p, atol=1e-12)
    v = Variable(logits)
    F.categorical_entropy(v).backward()
    H = _np_categorical_entropy(logits)
    np.testing.assert_allclose(v.grad.data, -p * (np.log(p) + H[:, None]), atol=1e-12)


def test_categorical_extremes():
    """Equal logits: entropy log C. A probability that underflows still has a finite log-probability
    and a finite gradient (log(softmax(x)) gives -inf there)."""
    assert F.categorical_entropy(np.zeros((1, 4))).data[0] == pytest.approx(np.log(4), rel=1e-12)
    x = Variable(np.array([[1000.0, -1000.0]]))
    y = F.categorical_log_prob(x, np.array([1]))
    assert y.data[0] == -2000.0
    y.backward()
    assert x.grad.data.tolist() == [[-1.0, 1.0]]
    for dtype in (np.float32, np.float64):
        logits = np.zeros((2, 3), dtype=dtype)
        assert F.categorical_log_prob(logits, np.array([0, 2])).dtype == dtype
        assert F.categorical_entropy(logits).dtype == dtype


def test_gaussian_derivatives_are_the_closed_forms():
    rng = np.random.RandomState(0)
    x, mean, log_std = rng.randn(6, 2), rng.randn(6, 2), rng.randn(6, 2) * 0.5
    std = np.exp(log_std)
    z = (x - mean) / std
    vx, vm, vs = Variable(x), Variable(mean), Variable(log_std)
    F.gaussian_log_prob(vx, vm, vs).backward()
    np.testing.assert_allclose(vm.grad.data, z / std, rtol=1e-12)
    np.testing.assert_allclose(vs.grad.data, z ** 2 - 1, rtol=1e-12)
    np.testing.assert_allclose(vx.grad.data, -z / std, rtol=1e-12)
    vs = Variable(log_std)
    F.gaussian_entropy(vs).backward()
    assert (vs.grad.data == 1).all()


def test_gaussian_entropy_is_minus_the_expected_log_prob():
    """A check that does not reuse the formula: -E[log p(X)] over 200,000 samples of X."""
    mean, log_std = np.array([0.3, -1.0]), np.array([-0.2, 0.4])
    samples = mean + np.exp(log_std) * np.random.RandomState(2).randn(200_000, 2)
    log_p = F.gaussian_log_prob(samples, np.broadcast_to(mean, samples.shape), log_std).data
    assert -log_p.mean() == pytest.approx(F.gaussian_entropy(log_std).data, abs=0.01)


def test_a_learned_log_std_per_dimension_gets_the_batch_sum_of_gradients():
    """log_std (D,) against a batch (N, D), as ppo.py's policy: the gradient is summed to (D,)."""
    rng = np.random.RandomState(1)
    x, mean = rng.randn(6, 2), rng.randn(6, 2)
    row = Variable(np.array([0.1, -0.3]))
    F.sum(F.gaussian_log_prob(x, mean, row)).backward()
    full = Variable(np.repeat(row.data[None], 6, axis=0))
    F.sum(F.gaussian_log_prob(x, mean, full)).backward()
    np.testing.assert_allclose(row.grad.data, full.grad.data.sum(axis=0), rtol=1e-12)
    gx = dezero.grad(F.sum(F.gaussian_log_prob(x, mean, row)), row, create_graph=True)
    assert gx.shape == (2,)


@pytest.mark.parametrize('call, error, message', [
    (lambda: F.categorical_log_prob(np.zeros(4), np.array([0])), ValueError,
     r'categorical_log_prob: logits must be 2-D \(N, C\).*got shape \(4,\)'),
    (lambda: F.categorical_log_prob(np.zeros((5, 4)), ACTIONS[:3]), ValueError,
     r'categorical_log_prob: labels of shape \(3,\) do not fit x of shape \(5, 4\)'),
    (lambda: F.categorical_log_prob(np.zeros((5, 4)), ACTIONS + 1), ValueError,
     r'categorical_log_prob: label 4 is not a class index: x has 4 classes'),
    (lambda: F.categorical_log_prob(np.zeros((5, 4)), ACTIONS * 1.0), TypeError,
     r'categorical_log_prob: labels t must be integer class indices, got dtype float64'),
    (lambda: F.categorical_entropy(np.zeros((2, 3, 4))), ValueError,
     r'categorical_entropy: logits must be 2-D \(N, C\).*got shape \(2, 3, 4\)'),
    (lambda: F.gaussian_log_prob(np.zeros((6, 2)), np.zeros((6, 1)), np.zeros(2)), ValueError,
     r'gaussian_log_prob: x and mean must have one shape \(\.\.\., D\), got \(6, 2\) and \(6, 1\)'),
    (lambda: F.gaussian_log_prob(np.zeros(()), np.zeros(()), np.zeros(())), ValueError,
     r'gaussian_log_prob: x and mean must have one shape \(\.\.\., D\), got \(\) and \(\)'),
    (lambda: F.gaussian_log_prob(np.zeros((6, 2)), np.zeros((6, 2)), np.zeros(3)), ValueError,
     r"gaussian_log_prob: log_std of shape \(3,\) does not broadcast to the mean's shape \(6, 2\)"),
    (lambda: F.gaussian_log_prob(np.zeros((6, 2)), np.zeros((6, 2)), np.zeros((2, 6, 2))), ValueError,
     r"gaussian_log_prob: log_std of shape \(2, 6, 2\) does not broadcast"),
    (lambda: F.gaussian_entropy(np.zeros(())), ValueError, r'gaussian_entropy: log_std must have an axis'),
], ids=['log_prob 1-D logits', 'log_prob t shape', 'log_prob t too large', 'log_prob float t',
        'entropy 3-D', 'gaussian shapes', 'gaussian 0-d', 'gaussian log_std', 'gaussian log_std ndim',
        'gaussian entropy 0-d'])
def test_bad_inputs_name_the_function(call, error, message):
    with pytest.raises(error, match=message):
        call()
