"""dezero.functions.recurrent: lstm_cell, the fused LSTM step; its spec against the gate equations in
NumPy (with and without a previous state, to the third order for the first step), and layers.LSTM
running one LSTMCell per step with the book's numbers (forward bit for bit, gradients to rounding,
second derivatives)."""
import numpy as np
import pytest

import dezero
import dezero.functions as F
import dezero.layers as L
from dezero import Variable
from harness import OpSpec, make_tests


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
    OpSpec('lstm_cell', _cell, _np_lstm, _cell_shapes(2, 3, 2) + _cell_shapes(1, 1, 3), cases={
        'first step (no h, no c)': dict(
            func=lambda x, *r: F.lstm_cell(x, None, None, r[0:4], r[4:8], None),
            reference=lambda x, *r: _np_lstm(x, *r[0:8], np.zeros((len(x), 2)), *[np.zeros((2, 2))] * 4,
                                             np.zeros((len(x), 2))),
            shapes=[((2, 3),) + ((3, 2),) * 4 + ((2,),) * 4], order=3),
        'h, no c': dict(
            func=lambda x, *r: F.lstm_cell(x, r[8], None, r[0:4], r[4:8], r[9:13]),
            reference=lambda x, *r: _np_lstm(x, *r[0:13], np.zeros((len(x), 2))),
            shapes=[((2, 3),) + ((3, 2),) * 4 + ((2,),) * 4 + ((2, 2),) + ((2, 2),) * 4])}),
]

globals().update(make_tests(SPECS))


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
