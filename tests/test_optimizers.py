"""Optimizers against their update rules written in NumPy, hooks, state for resuming, schedules."""
import math

import numpy as np
import pytest

import dezero
import dezero.functions as F
import dezero.layers as L
from dezero import Parameter, Variable, optimizers
from dezero.models import MLP

G1 = np.array([0.5, -1.0, 2.0])
G2 = np.array([-0.3, 0.2, 1.5])
W0 = np.array([1.0, 2.0, -1.0])


def _run(opt, grads, dtype=np.float64, grad_dtype=None):
    model = dezero.Model()
    model.p = Parameter(W0.astype(dtype))
    opt.setup(model)
    for g in grads:
        model.p.grad = Variable(g.astype(grad_dtype or dtype))
        opt.update()
    return model.p.data


def _sgd(grads, lr=0.01):
    W = W0.copy()
    for g in grads:
        W = W - lr * g
    return W


def _momentum(grads, lr=0.01, momentum=0.9):
    W, v = W0.copy(), np.zeros(3)
    for g in grads:
        v = momentum * v - lr * g
        W = W + v
    return W


def _nesterov_book(grads, lr=0.01, momentum=0.9):
    """The book's (vol. 1) Nesterov class, line for line."""
    W, v = W0.copy(), np.zeros(3)
    for g in grads:
        W += momentum * momentum * v
        W -= (1 + momentum) * lr * g
        v *= momentum
        v -= lr * g
    return W


def _adagrad(grads, lr=0.001, eps=1e-8):
    W, h = W0.copy(), np.zeros(3)
    for g in grads:
        h = h + g * g
        W = W - lr * g / (np.sqrt(h) + eps)
    return W


def _adadelta(grads, rho=0.95, eps=1e-6):
    W, msg, msdx = W0.copy(), np.zeros(3), np.zeros(3)
    for g in grads:
        msg = rho * msg + (1 - rho) * g * g
        dx = np.sqrt((msdx + eps) / (msg + eps)) * g
        msdx = rho * msdx + (1 - rho) * dx * dx
        W = W - dx
    return W


def _rmsprop(grads, lr=0.01, decay=0.99, eps=1e-7):
    W, h = W0.copy(), np.zeros(3)
    for g in grads:
        h = decay * h + (1 - decay) * g * g
        W = W - lr * g / (np.sqrt(h) + eps)
    return W


def _adam(grads, alpha=0.001, b1=0.9, b2=0.999, eps=1e-8, wd=0.0):
    """Bias-corrected Adam with eps added after the correction of v only through lr (Chainer)."""
    W, m, v = W0.copy(), np.zeros(3), np.zeros(3)
    for t, g in enumerate(grads, start=1):
        W = W - alpha * wd * W
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        lr = alpha * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        W = W - lr * m / (np.sqrt(v) + eps)
    return W


CASES = [
    (lambda: optimizers.SGD(), _sgd),
    (lambda: optimizers.SGD(lr=0.5), lambda g: _sgd(g, lr=0.5)),
    (lambda: optimizers.MomentumSGD(), _momentum),
    (lambda: optimizers.Nesterov(lr=0.1, momentum=0.8), lambda g: _nesterov_book(g, 0.1, 0.8)),
    (lambda: optimizers.AdaGrad(), _adagrad),
    (lambda: optimizers.AdaDelta(), _adadelta),
    (lambda: optimizers.RMSProp(), _rmsprop),
    (lambda: optimizers.Adam(), _adam),
    (lambda: optimizers.Adam(alpha=0.01, beta1=0.5), lambda g: _adam(g, alpha=0.01, b1=0.5)),
    (lambda: optimizers.AdamW(weight_decay=0.1), lambda g: _adam(g, wd=0.1)),
]
IDS = ['SGD', 'SGD-lr', 'MomentumSGD', 'Nesterov', 'AdaGrad', 'AdaDelta', 'RMSProp', 'Adam', 'Adam-args',
       'AdamW']


@pytest.mark.parametrize('make,reference', CASES, ids=IDS)
def test_update_rule(make, reference):
    grads = [G1, G2, G1 * 2]
    np.testing.assert_allclose(_run(make(), grads), reference(grads), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize('make,reference', CASES, ids=IDS)
def test_float32_parameters_stay_float32_even_with_float64_gradients(make, reference):
    W = _run(make(), [G1, G2], dtype=np.float32, grad_dtype=np.float64)
    assert W.dtype == np.float32
    np.testing.assert_allclose(W, reference([G1, G2]), rtol=1e-5)


def test_adam_counts_updates_not_parameters_and_exposes_lr():
    opt = optimizers.Adam(alpha=0.1)
    model = MLP((3, 2))
    loss = F.sum(model(np.ones((1, 2), dtype=np.float32)))
    loss.backward()
    opt.setup(model).update()
    assert opt.t == 1
    assert opt.lr == pytest.approx(0.1 * math.sqrt(1 - 0.999) / (1 - 0.9))
    with pytest.raises(AttributeError):
        opt.lr = 1.0


@pytest.mark.parametrize('make', [optimizers.Adam, optimizers.AdamW], ids=['Adam', 'AdamW'])
def test_adam_lr_before_the_first_update_is_the_first_step_size(make):
    opt = make(alpha=0.1)
    first = 0.1 * math.sqrt(1 - 0.999) / (1 - 0.9)
    assert opt.t == 0 and opt.lr == pytest.approx(first)     # was ZeroDivisionError
    model = MLP((3, 2))
    x = np.ones((1, 2), dtype=np.float32)
    model(x)
    before = {k: p.data.copy() for k, p in model.named_params()}
    F.sum(model(x)).backward()
    opt.setup(model).update()
    assert opt.t == 1 and opt.lr == pytest.approx(first)      # the rate the first update used
    step = model.l0.b.data - before['l0/b']
    if make is optimizers.Adam:     # first step: lr * m / sqrt(v) = lr * 0.1 g / (sqrt(0.001) |g|) = alpha
        np.testing.assert_allclose(np.abs(step), first * (1 - 0.9) / math.sqrt(1 - 0.999), rtol=1e-3)
    state = opt.state_dict()
    assert int(state['t']) == 1 and 'lr' not in state        # the checkpoint format is unchanged
    fresh = make(alpha=0.1).setup(model)
    fresh.load_state_dict(state)
    assert fresh.t == 1 and fresh.lr == opt.lr


def test_setup_returns_the_optimizer_and_update_needs_it():
    opt = optimizers.SGD()
    with pytest.raises(RuntimeError, match='setup'):
        opt.update()
    assert opt.setup(MLP((2,))) is opt


def test_parameters_without_gradient_are_left_alone():
    model = dezero.Model()
    model.a = Parameter(np.ones(2))
    model.b = Parameter(np.ones(2))
    model.a.grad = Variable(np.ones(2))
    optimizers.MomentumSGD(lr=0.5).setup(model).update()
    np.testing.assert_array_equal(model.a.data, [0.5, 0.5])
    np.testing.assert_array_equal(model.b.data, [1, 1])


# =============================================================================
# Hooks
# =============================================================================
def test_weight_decay_equals_an_l2_term_in_the_loss():
    x = np.random.rand(4, 3)
    rate = 0.1

    def model_and_grads(with_penalty):
        np.random.seed(1)
        model = dezero.Model()
        model.l0 = L.Linear(3, in_size=3, dtype=np.float64)
        model.l1 = L.Linear(2, in_size=3, dtype=np.float64)
        loss = F.sum(model.l1(F.sigmoid(model.l0(x))) ** 2)
        if with_penalty:
            for p in model.params():
                loss = loss + rate / 2 * F.sum(p * p)
        loss.backward()
        return model

    hooked = model_and_grads(False)
    optimizers.WeightDecay(rate)(list(hooked.params()))
    penalised = model_and_grads(True)
    for a, b in zip(hooked.params(), penalised.params()):
        np.testing.assert_allclose(a.grad.data, b.grad.data, rtol=1e-12)


def test_clip_grad_scales_to_the_global_norm():
    a, b = Parameter(np.zeros(2)), Parameter(np.zeros(1))
    a.grad, b.grad = Variable(np.array([3.0, 0.0])), Variable(np.array([4.0]))
    optimizers.ClipGrad(1.0)([a, b])
    norm = np.sqrt(np.sum(a.grad.data ** 2) + np.sum(b.grad.data ** 2))
    assert norm == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(a.grad.data / b.grad.data[0], [0.75, 0])
    optimizers.ClipGrad(10.0)([a, b])      # below the limit: unchanged
    assert np.sqrt(np.sum(a.grad.data ** 2) + np.sum(b.grad.data ** 2)) == pytest.approx(1.0, rel=1e-5)


def test_freeze_param_keeps_frozen_layers_fixed_and_trains_the_rest():
    """Bug #17: the original crashed in update_one on the frozen parameter."""
    model = MLP((3, 2))
    x = np.ones((2, 4), dtype=np.float32)
    F.sum(model(x)).backward()
    frozen = [p.data.copy() for p in model.l0.params()]
    trained = [p.data.copy() for p in model.l1.params()]
    opt = optimizers.SGD(0.1).setup(model)
    opt.add_hook(optimizers.FreezeParam(model.l0))
    opt.update()
    for before, p in zip(frozen, model.l0.params()):
        np.testing.assert_array_equal(p.data, before)
    for before, p in zip(trained, model.l1.params()):
        assert not np.array_equal(p.data, before)


def test_freeze_param_accepts_parameters():
    model = MLP((2,))
    F.sum(model(np.ones((1, 2), dtype=np.float32))).backward()
    b = model.l0.b.data.copy()
    opt = optimizers.SGD(0.1).setup(model)
    opt.add_hook(optimizers.FreezeParam(model.l0.b))
    opt.update()
    np.testing.assert_array_equal(model.l0.b.data, b)


def test_in_place_hooks_and_updates_apply_once_to_a_shared_gradient():
    """Bug #16: Add's backward hands one gradient to both its inputs; the decay must not apply twice."""
    model = dezero.Model()
    model.a = Parameter(np.array([1.0, 2.0]))
    model.b = Parameter(np.array([10.0, 20.0]))
    F.sum(model.a + model.b).backward()        # the original gave a and b one gradient object
    opt = optimizers.SGD(lr=1.0).setup(model)
    opt.add_hook(optimizers.WeightDecay(0.1))
    opt.update()
    np.testing.assert_allclose(model.a.data, [1.0 - 1.1, 2.0 - 1.2])
    np.testing.assert_allclose(model.b.data, [10.0 - 2.0, 20.0 - 3.0])


def test_gradients_from_backward_are_never_shared():
    """The core hands each leaf its own gradient, so hooks see distinct arrays."""
    a = Parameter(np.array([1.0]))
    b = Parameter(np.array([2.0]))
    (a + b).backward()
    assert a.grad is not b.grad and a.grad.data is not b.grad.data


# =============================================================================
# State: resuming continues bit for bit
# =============================================================================
def _batches(n, seed=0):
    rng = np.random.RandomState(seed)
    return [(rng.rand(8, 2).astype(np.float32), rng.randint(0, 3, size=8)) for _ in range(n)]


def _train(model, opt, batches):
    for x, t in batches:
        loss = F.softmax_cross_entropy(model(x), t)
        model.cleargrads()
        loss.backward()
        opt.update()


def _new_model():
    np.random.seed(42)
    model = MLP((6, 3))
    model(np.zeros((1, 2), dtype=np.float32))
    return model


OPTIMIZERS = [lambda: optimizers.SGD(0.1), lambda: optimizers.MomentumSGD(0.1),
              lambda: optimizers.Nesterov(0.1), lambda: optimizers.AdaGrad(0.1), lambda: optimizers.AdaDelta(),
              lambda: optimizers.RMSProp(0.01), lambda: optimizers.Adam(0.01), lambda: optimizers.AdamW(0.01)]


@pytest.mark.parametrize('make', OPTIMIZERS, ids=['SGD', 'MomentumSGD', 'Nesterov', 'AdaGrad', 'AdaDelta',
                                                  'RMSProp', 'Adam', 'AdamW'])
def test_save_load_resume_equals_an_uninterrupted_run(make, tmp_path):
    batches = _batches(10)
    straight = _new_model()
    opt = make().setup(straight)
    opt.add_hook(optimizers.WeightDecay(1e-3))
    _train(straight, opt, batches)

    first = _new_model()
    opt1 = make().setup(first)
    opt1.add_hook(optimizers.WeightDecay(1e-3))
    _train(first, opt1, batches[:4])
    first.save_weights(tmp_path / 'model.npz')
    opt1.save_state(tmp_path / 'opt.npz')

    resumed = MLP((6, 3))                  # fresh and lazy: loading fills it
    resumed.load_weights(tmp_path / 'model.npz')
    opt2 = make().setup(resumed)
    opt2.add_hook(optimizers.WeightDecay(1e-3))
    opt2.load_state(tmp_path / 'opt')
    _train(resumed, opt2, batches[4:])

    for a, b in zip(straight.params(), resumed.params()):
        np.testing.assert_array_equal(a.data, b.data)


def test_state_dict_is_flat_and_keyed_by_parameter_paths():
    model = _new_model()
    opt = optimizers.Adam().setup(model)
    _train(model, opt, _batches(2))
    state = opt.state_dict()
    assert set(state) == {'alpha', 'beta1', 'beta2', 'eps', 't', 'ms/l0/W', 'ms/l0/b', 'ms/l1/W',
                          'ms/l1/b', 'vs/l0/W', 'vs/l0/b', 'vs/l1/W', 'vs/l1/b'}
    assert int(state['t']) == 2
    assert all(isinstance(v, np.ndarray) for v in state.values())


def test_loading_state_for_another_model_is_an_error():
    model = _new_model()
    opt = optimizers.MomentumSGD().setup(model)
    _train(model, opt, _batches(1))
    state = opt.state_dict()
    other = optimizers.MomentumSGD().setup(MLP((6, 3, 2)))
    state['vs/l7/W'] = np.zeros(1)
    with pytest.raises(KeyError, match='l7/W'):
        other.load_state_dict(state)


# =============================================================================
# Learning-rate schedules
# =============================================================================
def _lrs(scheduler, n):
    out = [scheduler.optimizer.lr]
    for _ in range(n):
        scheduler.step()
        out.append(scheduler.optimizer.lr)
    return out


def test_step_lr():
    s = optimizers.StepLR(optimizers.SGD(1.0), step_size=2, gamma=0.5)
    assert _lrs(s, 5) == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]


def test_exponential_lr():
    s = optimizers.ExponentialLR(optimizers.SGD(2.0), gamma=0.5)
    assert _lrs(s, 3) == [2.0, 1.0, 0.5, 0.25]


def test_cosine_annealing_lr():
    s = optimizers.CosineAnnealingLR(optimizers.MomentumSGD(1.0), T_max=4, eta_min=0.1)
    lrs = _lrs(s, 6)
    expected = [0.1 + 0.9 * (1 + math.cos(math.pi * min(e, 4) / 4)) / 2 for e in range(7)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-12)
    assert lrs[4] == pytest.approx(0.1) and lrs[6] == pytest.approx(0.1)


def test_linear_warmup_then_cosine():
    opt = optimizers.SGD(1.0)
    cosine = optimizers.CosineAnnealingLR(opt, T_max=2)
    warm = optimizers.LinearWarmup(opt, warmup_steps=4, start_factor=0.2, after=cosine)
    np.testing.assert_allclose(_lrs(warm, 7), [0.2, 0.4, 0.6, 0.8, 1.0, 0.5, 0.0, 0.0], atol=1e-12)


def test_schedulers_do_not_compound():
    opt = optimizers.SGD(1.0)
    a = optimizers.ExponentialLR(opt, gamma=0.5)
    a.step()
    b = optimizers.StepLR(opt, step_size=1, gamma=0.1)
    assert b.base == 1.0 and opt.lr == 1.0


def test_adam_schedules_alpha_and_reports_the_effective_lr():
    opt = optimizers.Adam(alpha=0.1)
    s = optimizers.StepLR(opt, step_size=1, gamma=0.5)
    s.step()
    assert opt.alpha == 0.05
    opt.t = 1
    assert opt.lr == pytest.approx(0.05 * math.sqrt(1 - 0.999) / 0.1)


def test_adadelta_has_no_rate_to_schedule():
    with pytest.raises(TypeError, match='AdaDelta has no learning rate'):
        optimizers.StepLR(optimizers.AdaDelta(), step_size=1)


def test_scheduler_state_round_trip():
    opt = optimizers.SGD(1.0)
    s = optimizers.StepLR(opt, step_size=2, gamma=0.1)
    for _ in range(3):
        s.step()
    state = s.state_dict()
    opt2 = optimizers.SGD(1.0)
    s2 = optimizers.StepLR(opt2, step_size=2, gamma=0.1)
    s2.load_state_dict(state)
    assert opt2.lr == opt.lr == pytest.approx(0.1)
    s.step()
    s2.step()
    assert opt2.lr == opt.lr


def test_bad_schedule_arguments():
    with pytest.raises(ValueError, match='step_size'):
        optimizers.StepLR(optimizers.SGD(), step_size=0)
    with pytest.raises(ValueError, match='T_max'):
        optimizers.CosineAnnealingLR(optimizers.SGD(), T_max=0)
    with pytest.raises(ValueError, match='warmup_steps'):
        optimizers.LinearWarmup(optimizers.SGD(), warmup_steps=0)


def test_training_with_a_schedule_reduces_the_loss():
    np.random.seed(0)
    x = np.random.rand(50, 2).astype(np.float32)
    t = (x[:, 0] > x[:, 1]).astype(np.int64)
    model = MLP((10, 2))
    opt = optimizers.MomentumSGD(0.5).setup(model)
    sched = optimizers.CosineAnnealingLR(opt, T_max=100)
    losses = []
    for _ in range(100):
        loss = F.softmax_cross_entropy(model(x), t)
        model.cleargrads()
        loss.backward()
        opt.update()
        sched.step()
        losses.append(float(loss.data))
    assert losses[-1] < 0.5 * losses[0]
    assert opt.lr == pytest.approx(0.0, abs=1e-12)


def test_rmsprop_has_the_usual_spelling_too():
    assert optimizers.RMSprop is optimizers.RMSProp


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('shape', [(700, 300), (5,), (300, 700)])
def test_sgd_in_pieces_gives_the_plain_update(shape, dtype):
    """SGD updates large parameters in cache-sized pieces: the same numbers as the plain update
    (and the plain update for arrays not contiguous in C order)."""
    rng = np.random.default_rng(6)
    data, grad = rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape).astype(dtype)
    if shape == (300, 700):
        grad = np.asfortranarray(grad)          # not contiguous in C order: the plain update
    p = dezero.Parameter(data.copy())
    p.grad = Variable(grad.copy())
    model = dezero.Model()
    model.p = p
    dezero.optimizers.SGD(lr=0.1).setup(model).update()
    expected = data.copy()
    expected -= 0.1 * grad
    assert p.data.dtype == dtype and np.array_equal(p.data, expected)
    assert np.array_equal(p.grad.data, grad)
