"""The speed-ups of benchmarks/NOTES.md compute what the plain code computes.

* arrays given to linear and conv2d are Constants: no gradient is computed for them;
* layers.LSTM runs each step as one LSTMCell Function: the same forward numbers, bit for bit, as the
  book's 21 Functions, gradients equal up to rounding, derivatives of every order;
* first-order backwards that work on arrays give the numbers the Function-built backward gives.
"""
import numpy as np
import pytest

import dezero
import dezero.functions as F
import dezero.layers as L
from dezero import Variable
from dezero.core import Constant
from harness import OpSpec, make_tests


# =============================================================================
# Arrays as operands get no gradient
# =============================================================================
def test_linear_computes_no_gradient_for_an_array_input():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3))
    W, b = Variable(rng.standard_normal((3, 2))), Variable(rng.standard_normal(2))
    y = F.linear(x, W, b)
    F.sum(y * y).backward()
    assert y.creator.inputs[0].__class__ is Constant and y.creator.inputs[0].grad is None
    gy = 2 * (x @ W.data + b.data)
    np.testing.assert_allclose(W.grad.data, x.T @ gy)
    np.testing.assert_allclose(b.grad.data, gy.sum(axis=0))


def test_linear_still_differentiates_a_variable_input_and_array_weights():
    rng = np.random.default_rng(1)
    x, W = Variable(rng.standard_normal((4, 3))), rng.standard_normal((3, 2))
    F.sum(F.linear(x, W)).backward()
    np.testing.assert_allclose(x.grad.data, np.ones((4, 2)) @ W.T)


def test_conv2d_computes_no_gradient_for_array_images():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 1, 5, 5))
    W, b = Variable(rng.standard_normal((3, 1, 3, 3))), Variable(rng.standard_normal(3))
    y = F.conv2d(x, W, b, pad=1)
    y.backward()
    assert y.creator.inputs[0].grad is None
    xv = Variable(x)
    W2, b2 = Variable(W.data), Variable(b.data)
    F.conv2d(xv, W2, b2, pad=1).backward()
    np.testing.assert_allclose(W.grad.data, W2.grad.data)
    np.testing.assert_allclose(b.grad.data, b2.grad.data)
    assert xv.grad is not None


# =============================================================================
# The fused LSTM step
# =============================================================================
def _sig(a):
    return 0.5 * np.tanh(0.5 * a) + 0.5


def _np_lstm(x, *rest):
    """The reference step on arrays: inputs as LSTMCell takes them, with h and c present."""
    Wx, b, h, Wh, c = rest[0:4], rest[4:8], rest[8], rest[9:13], rest[13]
    a = [x @ W + bk + h @ V for W, bk, V in zip(Wx, b, Wh)]
    f, i, o, u = _sig(a[0]), _sig(a[1]), _sig(a[2]), np.tanh(a[3])
    c_new = f * c + i * u
    return o * np.tanh(c_new), c_new


def _cell(x, *rest):
    return F.lstm_cell(x, rest[8], rest[13], rest[0:4], rest[4:8], rest[9:13])


def _cell_shapes(n, i, h):
    return [((n, i),) + ((i, h),) * 4 + ((h,),) * 4 + ((n, h),) + ((h, h),) * 4 + ((n, h),)]


SPECS = [
    OpSpec('lstm_cell', _cell, _np_lstm, _cell_shapes(2, 3, 2) + _cell_shapes(1, 1, 3), order=2),
    OpSpec('lstm_cell_first_step', lambda x, *r: F.lstm_cell(x, None, None, r[0:4], r[4:8], None),
           lambda x, *r: _np_lstm(x, *r[0:8], np.zeros((len(x), 2)), *[np.zeros((2, 2))] * 4,
                                  np.zeros((len(x), 2))),
           [((2, 3),) + ((3, 2),) * 4 + ((2,),) * 4], order=3),
]

test_forward, test_grad, test_second_order_grad, test_higher_order_grad, test_float32_grad = make_tests(SPECS)


class CustomLinear(L.Linear):
    """A Linear layer the LSTM cannot assume anything about: it must use the composed step."""


def _run_lstm(composed, dtype, batch, steps=6, custom=False):
    np.random.seed(0)
    lstm = L.LSTM(4)                  # lazy: the first step draws x2f..x2u's weights
    if custom:
        lstm.x2f = CustomLinear(4)
    fc = L.Linear(1)
    xs = np.random.default_rng(3).standard_normal((steps, batch, 2)).astype(dtype)
    loss, states = 0, []
    for x in xs:
        h = lstm._forward_composed(x) if composed else lstm(x)
        states.append((lstm.h.data.copy(), lstm.c.data.copy()))
        loss += F.sum(fc(h) ** 2)
    loss.backward()
    return loss, states, dict(lstm.named_params())


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('batch', [1, 3])
def test_lstm_fused_step_matches_the_books_step(dtype, batch):
    loss, states, params = _run_lstm(False, dtype, batch)
    loss_ref, states_ref, params_ref = _run_lstm(True, dtype, batch)
    assert loss.data == loss_ref.data
    for (h, c), (h_ref, c_ref) in zip(states, states_ref):
        assert np.array_equal(h, h_ref) and np.array_equal(c, c_ref)
    assert list(params) == list(params_ref)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    for name, p in params.items():
        assert np.array_equal(p.data, params_ref[name].data), name        # same random draws
        assert p.grad.dtype == params_ref[name].grad.dtype
        np.testing.assert_allclose(p.grad.data, params_ref[name].grad.data, rtol=rtol,
                                   atol=rtol * np.abs(params_ref[name].grad.data).max(), err_msg=name)


def _function_types(v):
    seen, todo = set(), [v.creator]
    while todo:
        f = todo.pop()
        if f is not None and f not in seen:
            seen.add(f)
            todo.extend(x.creator for x in f.inputs)
    return [type(f).__name__ for f in seen]


def test_lstm_uses_one_function_per_step_and_falls_back_for_other_gate_layers():
    loss, _, _ = _run_lstm(False, np.float64, 2, steps=3)
    types = _function_types(loss)
    assert types.count('LSTMCell') == 3 and 'Sigmoid' not in types
    loss, states, _ = _run_lstm(False, np.float64, 2, steps=3, custom=True)
    assert 'LSTMCell' not in _function_types(loss)
    _, states_ref, _ = _run_lstm(True, np.float64, 2, steps=3, custom=True)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(states, states_ref))


def test_lstm_second_derivatives_match_the_books_step():
    def second(composed):
        np.random.seed(0)
        lstm = L.LSTM(3, in_size=2)
        x = Variable(np.random.default_rng(4).standard_normal((2, 2)))
        for _ in range(3):
            y = lstm._forward_composed(x) if composed else lstm(x)
        gx = dezero.grad(F.sum(y * y), x, create_graph=True)
        return [g.data for g in dezero.grad(F.sum(gx * gx), [x, lstm.h2f.W, lstm.x2u.b])]

    for got, expected in zip(second(False), second(True)):
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def test_lstm_under_no_grad_records_nothing():
    lstm = L.LSTM(3, in_size=1)
    with dezero.no_grad():
        h = lstm(np.ones((1, 1), dtype=np.float32))
        h = lstm(np.ones((1, 1), dtype=np.float32))
    assert h.creator is None and h.dtype == np.float32


# =============================================================================
# First-order backwards on arrays give the Function-built backward's numbers
# =============================================================================
def _labels(x):
    return np.arange(len(x)) % x.shape[1]


def _c(x, values, shape):
    """A constant array of x's dtype."""
    return np.asarray(values, dtype=x.dtype).reshape(shape)


FIRST_ORDER = {
    'sin': (F.sin, [(3, 2), ()]),
    'cos': (F.cos, [(3, 2), ()]),
    'tanh': (F.tanh, [(3, 2), ()]),
    'exp': (F.exp, [(3, 2), ()]),
    'log': (lambda x: F.log(x * x + 0.5), [(3, 2), ()]),
    'sigmoid': (F.sigmoid, [(3, 2), ()]),
    'relu': (F.relu, [(3, 2), ()]),
    'reshape': (lambda x: F.reshape(x, (2, 3)) * _c(x, range(6), (2, 3)), [(3, 2)]),
    'sum': (lambda x: F.sum(x, axis=0) * _c(x, [1, 2], (2,)), [(3, 2)]),
    'sum_keepdims': (lambda x: F.sum(x, axis=1, keepdims=True) * x, [(3, 2)]),
    'sum_to': (lambda x: F.sum_to(x, (1, 2)) * _c(x, [1, 3], (1, 2)), [(3, 2)]),
    'broadcast_to': (lambda x: F.broadcast_to(x, (4, 3, 2)) * _c(x, range(24), (4, 3, 2)), [(3, 2)]),
    'matmul': (lambda x: F.matmul(x, F.transpose(x)), [(3, 2)]),
    'linear': (lambda x: F.linear(x, F.transpose(x), F.sum(x, axis=0)[:1]), [(3, 3)]),
    'linear_nobias': (lambda x: F.linear(x, x[:2] * 0.5), [(3, 2)]),
    'mean_squared_error': (lambda x: F.mean_squared_error(x, F.exp(x) * 0.5), [(3, 2), ()]),
    'softmax_cross_entropy': (lambda x: F.softmax_cross_entropy(x * 2.0, _labels(x)), [(3, 2)]),
    'add': (lambda x: x + F.sum(x, axis=0) + 1.5, [(3, 2)]),
    'sub': (lambda x: 1.5 - x - F.sum(x, axis=1, keepdims=True), [(3, 2)]),
    'mul': (lambda x: x * 0.5 * x * F.sum(x, axis=0), [(3, 2)]),
    'div': (lambda x: (x + 2.0) / (F.exp(x) + F.sum(x, axis=0)) / 3.0, [(3, 2)]),
    'scalar_arithmetic': (lambda x: -(2.0 / (x * x + 1.0)) + x ** 3 - (x - 0.5) * x, [(3, 2), ()]),
}


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('name', sorted(FIRST_ORDER))
def test_first_order_backward_on_arrays_equals_the_function_built_one(name, dtype):
    """Same numbers, bit for bit, with and without create_graph (which builds the backward from Functions)."""
    func, shapes = FIRST_ORDER[name]
    for shape in shapes:
        data = np.random.default_rng(5).uniform(-1, 1, shape).astype(dtype)
        grads = []
        for create_graph in (False, True):
            x = Variable(data.copy())
            y = func(x)
            F.sum(y * y).backward(create_graph=create_graph)
            grads.append(x.grad)
        fast, built = grads
        assert fast.creator is None and fast.dtype == built.dtype == dtype, name
        assert np.array_equal(fast.data, built.data), (name, shape, fast.data - built.data)


# =============================================================================
# Optimizers
# =============================================================================
@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('shape', [(700, 300), (5,), (300, 700)])
def test_sgd_in_pieces_gives_the_plain_update(shape, dtype):
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
