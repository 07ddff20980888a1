"""Behaviour of the core: Variable, Function, backward, Config, dtype policy, memory."""
import gc
import math
import threading
import warnings

import numpy as np
import pytest

import dezero
import dezero.functions as F
from dezero import Variable, Parameter, Function, Config, no_grad, using_config


# ----------------------------------------------------------------------------- Variable
def test_variable_accepts_arrays_none_and_numpy_scalars():
    assert Variable(None).data is None
    v = Variable(np.float32(1.5))
    assert isinstance(v.data, np.ndarray) and v.data.shape == () and v.dtype == np.float32
    a = np.arange(6).reshape(2, 3)
    v = Variable(a, name='x')
    assert v.data is a and v.name == 'x'
    assert (v.shape, v.ndim, v.size, v.dtype, len(v)) == ((2, 3), 2, 6, a.dtype, 2)
    assert v.grad is None and v.creator is None and v.generation == 0


@pytest.mark.parametrize('bad', [1.0, 3, [1, 2], 'abc', (1,)])
def test_variable_rejects_python_objects_with_a_helpful_message(bad):
    with pytest.raises(TypeError) as info:
        Variable(bad)
    message = str(info.value)
    assert message.startswith(f'{type(bad)} is not supported')
    assert 'np.array(' in message


def test_repr_matches_the_book():
    assert repr(Variable(None)) == 'variable(None)'
    assert repr(Variable(np.array(2.0))) == 'variable(2.0)'
    assert repr(Variable(np.array([[1, 2, 3], [4, 5, 6]]))) == \
        'variable([[1 2 3]\n          [4 5 6]])'


def test_parameter_is_a_variable():
    p = Parameter(np.ones(2))
    assert isinstance(p, Variable)
    y = p * 2
    assert type(y) is Variable


def test_variable_equality_is_identity_and_hashable():
    a, b = Variable(np.array(1.0)), Variable(np.array(1.0))
    assert len({a, b}) == 2


# ----------------------------------------------------------------------------- Function
class _Twice(Function):
    def forward(self, x):
        return 2 * x

    def backward(self, gy):
        return 2 * gy


def test_function_records_graph_with_weak_outputs():
    x = Variable(np.array(3.0))
    f = _Twice()
    y = f(x)
    assert y.creator is f and f.inputs == [x] and f.outputs[0]() is y
    assert f.generation == 0 and y.generation == 1
    z = _Twice()(y)
    assert z.generation == 2


def test_outputs_are_0d_arrays_never_numpy_scalars():
    y = F.sum(Variable(np.ones(3)))
    assert type(y.data) is np.ndarray and y.data.shape == ()
    y = F.sin(Variable(np.array(0.5)))
    assert type(y.data) is np.ndarray


def test_base_function_is_abstract():
    with pytest.raises(NotImplementedError):
        Function()(Variable(np.array(1.0)))


def test_multiple_outputs_returned_as_list_and_none_gradient_for_unused_output():
    class Split2(Function):
        def forward(self, x):
            return x[0], x[1]

        def backward(self, g0, g1):
            xp = np
            g = xp.zeros(2)
            if g0 is not None:
                g[0] = g0.data
            if g1 is not None:
                g[1] = g1.data
            return Variable(g)

    x = Variable(np.array([3.0, 4.0]))
    a, b = Split2()(x)
    (a * 5).backward()
    assert np.array_equal(x.grad.data, [5.0, 0.0])


# ----------------------------------------------------------------------------- backward
def test_backward_on_chain_matches_book_step_08():
    x = Variable(np.array(0.5))
    y = F.exp(x ** 2) ** 2          # step 8: square -> exp -> square
    y.backward()
    assert x.grad.data == pytest.approx(3.297442541400256, abs=1e-15)


def test_same_variable_used_twice_and_gradient_accumulation():
    x = Variable(np.array(3.0))
    y = x + x
    y.backward()
    assert x.grad.data == 2.0
    y = x + x + x
    y.backward()                    # accumulates without cleargrad
    assert x.grad.data == 5.0
    x.cleargrad()
    (x + x + x).backward()
    assert x.grad.data == 3.0


def test_diamond_graph_step_16():
    x = Variable(np.array(2.0))
    a = x ** 2
    y = a ** 2 + a ** 2
    y.backward()
    assert y.data == 32.0 and x.grad.data == 64.0


def test_uneven_branches_are_ordered_by_generation():
    x = Variable(np.array(0.3))
    a = F.sin(x)
    b = F.exp(F.tanh(F.cos(x)))
    y = a * b
    y.backward()
    t = math.tanh(math.cos(0.3))
    expected = math.cos(0.3) * math.exp(t) + math.sin(0.3) * math.exp(t) * (1 - t * t) * -math.sin(0.3)
    assert x.grad.data == pytest.approx(expected, rel=1e-12)


def test_retain_grad_step_18():
    x0, x1 = Variable(np.array(1.0)), Variable(np.array(1.0))
    t = x0 + x1
    y = x0 + t
    y.backward()
    assert y.grad is None and t.grad is None
    assert (x0.grad.data, x1.grad.data) == (2.0, 1.0)
    x0.cleargrad(), x1.cleargrad()
    t = x0 + x1
    y = x0 + t
    y.backward(retain_grad=True)
    assert y.grad.data == 1.0 and t.grad.data == 1.0


def test_user_seed_is_used():
    x = Variable(np.array([1.0, 2.0]))
    y = x * 3
    y.grad = Variable(np.array([10.0, 100.0]))
    y.backward()
    assert np.array_equal(x.grad.data, [30.0, 300.0])


def test_backward_on_a_leaf_seeds_ones():
    x = Variable(np.array([1.0, 2.0]))
    x.backward()
    assert np.array_equal(x.grad.data, [1.0, 1.0])


def test_backward_on_a_result_computed_under_no_grad_says_no_graph_was_recorded():
    x = Variable(np.array([1.0, 2.0]))
    with no_grad():
        y = x * 2
    assert y.creator is None
    with pytest.raises(RuntimeError, match='no graph was recorded'):
        y.backward()
    assert y.grad is None and x.grad is None
    z = y * 3                     # as an input of a recorded graph it is a leaf like any other
    z.backward()
    assert np.array_equal(y.grad.data, [3.0, 3.0])


def test_retain_graph_false_releases_every_kept_array_and_gives_the_same_gradients():
    import dezero.layers as L
    np.random.seed(0)
    layers = [L.Linear(4, in_size=3), L.Linear(4, in_size=4), L.Linear(2, in_size=4)]
    x = np.random.randn(5, 3)

    def loss():
        h = x
        for layer in layers:
            h = F.tanh(F.relu(layer(h)))
        return F.sum(h * h)

    y = loss()
    y.backward()
    expected = [layer.W.grad.data.copy() for layer in layers]
    for layer in layers:
        layer.cleargrads()
    y = loss()
    y.backward(retain_graph=False)
    for layer, g in zip(layers, expected):
        np.testing.assert_array_equal(layer.W.grad.data, g)
    funcs, seen = [y.creator], set()
    while funcs:
        f = funcs.pop()
        if f in seen:
            continue
        seen.add(f)
        assert f.released and f.output_data == ()
        assert all(v.data is None or v.creator is None for v in f.inputs), type(f).__name__
        funcs += [v.creator for v in f.inputs if v.creator is not None]
    assert len(seen) == 3 * 3 + 2          # linear, relu and tanh per layer; mul and sum
    with pytest.raises(RuntimeError, match='retain_graph=True'):
        y.backward()


def test_a_python_number_takes_the_dtype_of_an_array_operand_when_no_variable_is_given():
    x = np.ones(3, dtype=np.float32)
    assert F.maximum(x, 0.2).dtype == np.float32 and F.maximum(0.2, x).dtype == np.float32
    assert F.where(np.array([True, False, True]), x, 0.0).dtype == np.float32


@pytest.mark.filterwarnings('ignore::PendingDeprecationWarning')     # NumPy's own warning about np.matrix
def test_np_matrix_operands_multiply_elementwise():
    """An np.matrix made ``*`` a matrix product (issue 14): it is taken as a plain array."""
    m = np.matrix([[1.0, 2.0], [3.0, 4.0]])
    x = Variable(np.array([[1.0, 1.0], [2.0, 2.0]]))
    for y in (x * m, m * x, Variable(m) * x):
        assert y.data.__class__ is np.ndarray
        np.testing.assert_array_equal(y.data, [[1.0, 2.0], [6.0, 8.0]])


def test_backward_on_a_first_order_gradient_says_create_graph_is_needed():
    x = Variable(np.array(2.0))
    (x ** 3).backward()
    with pytest.raises(RuntimeError, match='create_graph=True'):
        x.grad.backward()


def test_integer_data_gives_integer_gradients_step_37():
    x = Variable(np.array([[1, 2, 3], [4, 5, 6]]))
    y = F.sum(x * x)
    y.backward(retain_grad=True)
    assert repr(y.grad) == 'variable(1)'
    assert x.grad.dtype.kind == 'i'


def test_two_leaves_never_share_a_gradient_object():
    a, b = Variable(np.ones(3)), Variable(np.ones(3))
    (a + b).backward()
    assert a.grad is not b.grad
    assert not np.shares_memory(a.grad.data, b.grad.data)
    a.grad.data += 1.0              # an in-place hook on one leaf
    assert np.array_equal(b.grad.data, np.ones(3))


def test_two_leaves_never_share_with_create_graph():
    a, b = Variable(np.ones(3)), Variable(np.ones(3))
    (a + b).backward(create_graph=True)
    assert a.grad is not b.grad and not np.shares_memory(a.grad.data, b.grad.data)


def test_leaf_gradient_is_writable_even_when_backward_broadcasts():
    w = Parameter(np.ones((2, 3)))
    F.sum(w).backward()             # the gradient comes from broadcast_to (a read-only view)
    w.grad.data *= 0.5              # what ClipGrad does
    assert np.array_equal(w.grad.data, np.full((2, 3), 0.5))


def test_long_chain_has_no_recursion_limit():
    x = Variable(np.array(1.0))
    y = x
    for _ in range(100_000):
        y = y + 1e-6 * y
    y.backward()
    assert x.grad.data == pytest.approx((1 + 1e-6) ** 100_000, rel=1e-9)


def test_wide_fan_out():
    n = 8_000
    x = Variable(np.array(0.1))
    c = np.linspace(0.0, 1.0, n)
    z = 0
    for ci in c:
        z = z + F.exp(ci * x)
    z.backward()
    assert x.grad.data == pytest.approx(np.sum(c * np.exp(c * 0.1)), rel=1e-10)


def test_shape_guard_names_the_function_and_both_shapes():
    class BadSum(Function):
        def forward(self, x):
            return x.sum()

        def backward(self, gy):
            return gy                # forgets to broadcast back

    x = Variable(np.ones((2, 3)))
    y = BadSum()(x)
    with pytest.raises(ValueError) as info:
        y.backward()
    message = str(info.value)
    assert 'BadSum' in message and '(2, 3)' in message and '()' in message


def test_dtype_kind_guard():
    class IntGrad(Function):
        def forward(self, x):
            return x * 2

        def backward(self, gy):
            return Variable(np.ones(gy.shape, dtype=np.int64))

    x = Variable(np.ones(3))
    with pytest.raises(ValueError, match='IntGrad'):
        IntGrad()(x).backward()


def test_backward_returning_raw_arrays_is_accepted():
    class RawTwice(Function):
        def forward(self, x):
            return 2 * x

        def backward(self, gy):
            return 2 * gy.data

    x = Variable(np.array(1.5))
    RawTwice()(x).backward()
    assert isinstance(x.grad, Variable) and x.grad.data == 2.0


def test_unchain_backward_cuts_upstream_but_keeps_creator():
    x = Variable(np.array(1.0))
    a = x * 2
    b = a * 3
    y = b * 4
    y.unchain_backward()
    assert y.creator is not None and b.creator is None and a.creator is None
    y.backward()
    assert x.grad is None and b.grad.data == 4.0


# ----------------------------------------------------------------------------- higher order
def test_newton_method_step_33():
    x = Variable(np.array(2.0))
    seen = []
    for i in range(10):
        seen.append(float(x.data))
        y = x ** 4 - 2 * x ** 2
        x.cleargrad()
        y.backward(create_graph=True)
        gx = x.grad
        x.cleargrad()
        gx.backward()
        gx2 = x.grad
        x.data = x.data - gx.data / gx2.data
    expected = [2.0, 1.4545454545454546, 1.1510467893775467, 1.0253259289766978,
                1.0009084519430513, 1.0000012353089454, 1.000000000002289, 1.0, 1.0, 1.0]
    assert seen == pytest.approx(expected, abs=1e-15)
    assert seen.index(1.0) == 7


def _nth_grad(f, x0, n):
    x = Variable(np.array(x0))
    y = f(x)
    y.backward(create_graph=True)
    for _ in range(n - 1):
        gx = x.grad
        x.cleargrad()
        gx.backward(create_graph=True)
    return float(x.grad.data)


@pytest.mark.parametrize('n', [1, 2, 3, 4, 5, 6])
def test_nth_derivative_of_sin(n):
    assert _nth_grad(F.sin, 0.7, n) == pytest.approx(math.sin(0.7 + n * math.pi / 2), rel=1e-12)


def _tanh_derivative(n, x):
    """d^n/dx^n tanh(x) as a polynomial in t = tanh(x): P_{k+1}(t) = P_k'(t) (1 - t^2)."""
    p = np.polynomial.Polynomial([0, 1])
    for _ in range(n):
        p = p.deriv() * np.polynomial.Polynomial([1, 0, -1])
    return p(math.tanh(x))


@pytest.mark.parametrize('n', [1, 2, 3, 4, 5, 6, 7])
def test_nth_derivative_of_tanh(n):
    assert _nth_grad(F.tanh, 0.4, n) == pytest.approx(_tanh_derivative(n, 0.4), rel=1e-10)


def test_double_backprop_step_36():
    x = Variable(np.array(2.0))
    y = x ** 2
    y.backward(create_graph=True)
    gx = x.grad
    x.cleargrad()
    z = gx ** 3 + y
    z.backward()
    assert x.grad.data == 100.0


def test_create_graph_false_gives_gradients_without_graph():
    x = Variable(np.array(2.0))
    (x ** 3).backward()
    assert x.grad.creator is None
    x.cleargrad()
    (x ** 3).backward(create_graph=True)
    assert x.grad.creator is not None


# ----------------------------------------------------------------------------- Config
def test_config_class_attributes_read_and_set():
    assert Config.enable_backprop is True and Config.train is True
    Config.enable_backprop = False
    try:
        assert dezero.Config.enable_backprop is False
        y = Variable(np.array(1.0)) * 2
        assert y.creator is None
    finally:
        Config.enable_backprop = True
    with pytest.raises(AttributeError):
        Config.no_such_setting


def test_no_grad_builds_no_graph_and_restores():
    x = Variable(np.array(2.0))
    with no_grad():
        y = F.exp(x * x)
        assert Config.enable_backprop is False
    assert y.creator is None and y.generation == 0
    assert Config.enable_backprop is True


def test_test_mode_is_not_no_grad():
    with dezero.test_mode():
        assert Config.train is False and Config.enable_backprop is True
        y = Variable(np.array(2.0)) * 2
        assert y.creator is not None
    assert Config.train is True


def test_using_config_restores_after_exception():
    with pytest.raises(RuntimeError):
        with using_config('train', False):
            raise RuntimeError
    assert Config.train is True


def test_config_is_thread_local():
    results = {}
    inside = threading.Event()
    release = threading.Event()

    def worker():
        with no_grad():
            inside.set()
            release.wait(5)
            results['worker'] = Config.enable_backprop

    t = threading.Thread(target=worker)
    t.start()
    inside.wait(5)
    results['main'] = Config.enable_backprop
    y = Variable(np.array(1.0)) * 2
    results['main_graph'] = y.creator is not None
    release.set()
    t.join()
    assert results == {'worker': False, 'main': True, 'main_graph': True}


# ----------------------------------------------------------------------------- operators and dtypes
def test_operators_with_arrays_and_scalars_on_either_side():
    x = Variable(np.array(2.0))
    assert (x + 3.0).data == 5.0 and (3.0 + x).data == 5.0
    assert (np.array(3.0) + x).data == 5.0 and isinstance(np.array(3.0) + x, Variable)
    assert isinstance(np.float64(3.0) * x, Variable)
    assert (x - 1).data == 1.0 and (1 - x).data == -1.0
    assert (x / 4).data == 0.5 and (4 / x).data == 2.0
    assert (-x).data == -2.0 and (x ** 3).data == 8.0 and (3 ** x).data == 9.0
    y = Variable(np.array(3.0))
    assert (x ** y).data == 8.0


@pytest.mark.parametrize('expr', [
    lambda x: x * 2.0, lambda x: 2.0 * x, lambda x: x + 1, lambda x: 1 - x, lambda x: x - 1,
    lambda x: x / 3, lambda x: 3 / x, lambda x: x ** 2, lambda x: x ** 0.5, lambda x: 2 ** x,
    lambda x: -x, lambda x: F.mean(x), lambda x: (x * 2.0 + 1) / 3 - 0.5,
])
def test_float32_stays_float32_with_python_scalars(expr):
    x = Variable(np.array([1.0, 2.0], dtype=np.float32))
    y = expr(x)
    assert y.dtype == np.float32
    F.sum(y).backward()
    assert x.grad.dtype == np.float32


def test_int_variable_with_python_float_promotes_like_numpy():
    x = Variable(np.array([1, 2]))
    assert (x * 0.5).dtype == np.float64
    assert (x * 2).dtype == x.dtype


def test_array_operands_follow_numpy_promotion():
    x = Variable(np.ones(2, dtype=np.float32))
    assert (x * np.ones(2, dtype=np.float64)).dtype == np.float64


def test_division_by_large_int_has_finite_gradient():
    x = Variable(np.array(3.0, dtype=np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        y = x / 10 ** 20
        y.backward()
    assert np.isfinite(x.grad.data) and x.grad.data == np.float32(1e-20)


def test_constant_operands_get_no_gradient_but_variables_do():
    x = Variable(np.ones((200, 300)))
    for y in (x * 2.0, 2.0 * x, x + 1, 1 - x, x / 4, 4 / x, x ** Variable(np.array(2.0)), np.ones(300) * x):
        y.creator.inputs[0].cleargrad()
        F.sum(y).backward()
        const = [v for v in y.creator.inputs if v is not x]
        assert all(v.grad is None for v in const if type(v) is not Variable)
        assert x.grad is not None and x.grad.shape == x.shape
        x.cleargrad()
    a, b = Variable(np.array(3.0)), Variable(np.array(4.0))
    (a * b).backward()
    assert (a.grad.data, b.grad.data) == (4.0, 3.0)


def test_power_with_variable_exponent_gradients():
    x, y = Variable(np.array(2.0)), Variable(np.array(3.0))
    z = x ** y
    z.backward()
    assert x.grad.data == pytest.approx(12.0) and y.grad.data == pytest.approx(8 * math.log(2))


def test_variable_methods_reshape_transpose_and_friends():
    x = Variable(np.arange(6.0).reshape(2, 3))
    for y in (x.reshape(3, 2), x.reshape((3, 2)), x.reshape([3, 2])):
        assert y.shape == (3, 2)
    for y in (x.transpose(), x.transpose(None), x.transpose(1, 0), x.transpose((1, 0)),
              x.transpose([1, 0]), x.T):
        assert y.shape == (3, 2)
    assert x.sum().data == 15.0 and np.array_equal(x.sum(axis=0, keepdims=True).data, [[3, 5, 7]])
    assert x.max().data == 5.0 and x.min().data == 0.0 and np.array_equal(x.max(axis=1).data, [2, 5])
    w = Variable(np.ones((3, 1)))
    for y in (x.matmul(w), x.dot(w), x.matmaul(w), x @ w, x.data @ w):
        assert np.array_equal(y.data, [[3.0], [12.0]])
    assert np.array_equal(x[1].data, [3.0, 4.0, 5.0])


def test_reshape_with_same_shape_creates_no_node():
    x = Variable(np.ones((2, 3)))
    assert F.reshape(x, (2, 3)) is x
    assert F.sum_to(x, (2, 3)) is x and F.broadcast_to(x, (2, 3)) is x


# ----------------------------------------------------------------------------- memory
def _live_graph_objects():
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, (Variable, Function)))


def test_memory_stays_flat_over_a_long_loop():
    x = Variable(np.random.randn(100))
    counts = []
    for i in range(10_000):
        y = F.sum(F.tanh(x * 2.0) ** 2)
        y.backward()
        x.cleargrad()
        if i in (100, 9_999):
            counts.append(_live_graph_objects())
    assert counts[1] <= counts[0]


def test_graph_is_freed_without_the_cycle_collector():
    gc.collect()
    gc.disable()
    try:
        before = _count_functions()
        for _ in range(100):
            x = Variable(np.ones(10))
            y = F.exp(x) * x
            y.backward()
        del x, y
        after = _count_functions()
    finally:
        gc.enable()
    assert after - before <= 3      # only the last iteration's nodes could remain, and they are freed


def _count_functions():
    return sum(1 for o in gc.get_objects() if isinstance(o, Function))
