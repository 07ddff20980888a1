"""Tests for dezero.core_simple: the book's printed values for steps 23-29, the graph bookkeeping, and the
fixes over the original (NumPy scalars, shared grads, leaf backward, long chains, weak Python scalars)."""
import gc
import warnings
import weakref

import numpy as np
import pytest

from dezero.core_simple import (Config, Function, Variable, add, as_array, as_variable, no_grad,
                                setup_variable, using_config)

setup_variable()


# --- the book's steps ---------------------------------------------------------------------------

def test_step23_square_of_sum():
    x = Variable(np.array(1.0))
    y = (x + 3) ** 2
    y.backward()
    assert repr(y) == 'variable(16.0)'
    assert isinstance(x.grad, np.ndarray)
    assert str(x.grad) == '8.0'


def sphere(x, y):
    return x ** 2 + y ** 2


def matyas(x, y):
    return 0.26 * (x ** 2 + y ** 2) - 0.48 * x * y


def goldstein(x, y):
    return (1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x ** 2 - 14 * y + 6 * x * y + 3 * y ** 2)) * \
        (30 + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x ** 2 + 48 * y - 36 * x * y + 27 * y ** 2))


@pytest.mark.parametrize('f, expected', [
    (sphere, (2.0, 2.0)),
    (matyas, (0.040000000000000036, 0.040000000000000036)),
    (goldstein, (-5376.0, 8064.0)),
])
def test_step24_test_functions_at_one_one(f, expected):
    x, y = Variable(np.array(1.0)), Variable(np.array(1.0))
    f(x, y).backward()
    assert type(x.grad) is np.ndarray and type(y.grad) is np.ndarray
    assert (x.grad, y.grad) == expected


def test_step24_goldstein_prints_raw_grads():
    x, y = Variable(np.array(1.0)), Variable(np.array(1.0))
    goldstein(x, y).backward()
    assert '{} {}'.format(x.grad, y.grad) == '-5376.0 8064.0'


def test_step28_rosenbrock_gradient_descent():
    x0, x1 = Variable(np.array(0.0)), Variable(np.array(2.0))
    printed = []
    for _ in range(1000):
        printed.append((float(x0.data), float(x1.data)))
        y = 100 * (x1 - x0 ** 2) ** 2 + (1 - x0) ** 2
        x0.cleargrad()
        x1.cleargrad()
        y.backward()
        x0.data -= 0.001 * x0.grad
        x1.data -= 0.001 * x1.grad
    # The book prints the position at the start of each of the 1000 iterations.
    assert printed[0] == (0.0, 2.0)
    assert printed[-1] == pytest.approx((0.6834917840420289, 0.46565059996514135), rel=0, abs=1e-12)


def test_step29_newton_with_hand_coded_second_derivative():
    x = Variable(np.array(2.0))
    printed = []
    for _ in range(10):
        printed.append(float(x.data))
        y = x ** 4 - 2 * x ** 2
        x.cleargrad()
        y.backward()
        x.data -= x.grad / (12 * x.data ** 2 - 4)
    expected = [2.0, 1.4545454545454546, 1.1510467893775467, 1.0253259289766978, 1.0009084519430513,
                1.0000012353089454, 1.000000000002289, 1.0, 1.0, 1.0]
    assert printed == pytest.approx(expected, rel=0, abs=1e-12)


# --- Variable --------------------------------------------------------------------------------------

def test_attributes_and_repr():
    x = Variable(np.array([[1, 2, 3], [4, 5, 6]]), name='x')
    assert x.name == 'x'
    assert (x.shape, x.ndim, x.size, x.dtype, len(x)) == ((2, 3), 2, 6, np.dtype(int), 2)
    assert (x.grad, x.creator, x.generation) == (None, None, 0)
    assert repr(x) == 'variable([[1 2 3]\n          [4 5 6]])'
    assert repr(Variable(None)) == 'variable(None)'


@pytest.mark.parametrize('data, type_name', [(1.0, 'float'), ([1, 2], 'list')])
def test_unsupported_data_raises_type_error(data, type_name):
    with pytest.raises(TypeError) as info:
        Variable(data)
    message = str(info.value)
    assert message.startswith("<class '{}'> is not supported".format(type_name))
    assert 'np.array(' in message


@pytest.mark.parametrize('scalar', [np.float64(1), np.float32(1), np.int64(1)])
def test_numpy_scalar_is_stored_as_0d_array(scalar):
    x = Variable(scalar)
    assert type(x.data) is np.ndarray
    assert x.shape == ()
    assert x.dtype == scalar.dtype


def test_as_array_and_as_variable():
    assert type(as_array(1.0)) is np.ndarray
    assert as_array(np.float32(1)).dtype == np.float32
    a = np.array([1.0])
    assert as_array(a) is a
    x = Variable(a)
    assert as_variable(x) is x
    assert as_variable(a).data is a


# --- Function and the graph ------------------------------------------------------------------------

def test_outputs_are_0d_arrays_and_graph_links():
    x = Variable(np.array(1.0))
    y = x + 1  # 0-d + 0-d gives a NumPy scalar in NumPy; the output must still hold an ndarray
    assert type(y.data) is np.ndarray
    assert y.generation == 1
    assert y.creator.inputs[0] is x
    assert y.creator.outputs[0]() is y


def test_base_function_is_abstract():
    with pytest.raises(NotImplementedError):
        Function()(Variable(np.array(1.0)))


def test_no_grad_builds_no_graph_and_restores_config():
    x = Variable(np.array(2.0))
    with no_grad():
        assert Config.enable_backprop is False
        y = x ** 2
    assert Config.enable_backprop is True
    assert y.creator is None and y.generation == 0
    assert y.data == 4.0


def test_using_config_restores_after_exception():
    with pytest.raises(RuntimeError):
        with using_config('enable_backprop', False):
            raise RuntimeError
    assert Config.enable_backprop is True


def test_graph_is_freed_without_garbage_collector():
    gc.disable()
    try:
        x = Variable(np.array(1.0))
        y = x ** 2
        creator = weakref.ref(y.creator)
        del y
        assert creator() is None  # outputs are weakrefs, so no reference cycle keeps the graph alive
    finally:
        gc.enable()


# --- backward --------------------------------------------------------------------------------------

def test_retain_grad():
    x0, x1 = Variable(np.array(1.0)), Variable(np.array(1.0))
    t = add(x0, x1)
    y = add(x0, t)
    y.backward()
    assert (y.grad, t.grad) == (None, None)
    assert (x0.grad, x1.grad) == (2.0, 1.0)

    x0.cleargrad()
    x1.cleargrad()
    y.backward(retain_grad=True)
    assert (y.grad, t.grad) == (1.0, 1.0)


def test_same_variable_used_twice_and_accumulation():
    x = Variable(np.array(3.0))
    y = x + x
    y.backward()
    assert x.grad == 2.0

    y = (x + x) + x
    y.backward()
    assert x.grad == 5.0  # accumulated with the previous call
    x.cleargrad()
    y = (x + x) + x
    y.backward()
    assert x.grad == 3.0


def test_diamond_graph_processes_by_generation():
    x = Variable(np.array(2.0))
    a = x ** 2
    y = a ** 2 + a ** 2
    y.backward()
    assert y.data == 32.0
    assert x.grad == 64.0  # d(2x^4)/dx = 8x^3


@pytest.mark.parametrize('f', [lambda a: a + -(-a), lambda a: -(-a) + a])
def test_branches_of_different_length_meet_before_the_shared_node(f):
    # Neither breadth-first nor depth-first order waits for the long branch in both orderings;
    # the generation order does.
    x = Variable(np.array(2.0))
    y = f(x ** 2)
    y.backward()
    assert y.data == 8.0
    assert x.grad == 8.0  # d(2x^2)/dx = 4x


def test_user_seed_is_used():
    x = Variable(np.array(2.0))
    y = x * 3
    y.grad = np.array(10.0)
    y.backward()
    assert x.grad == 30.0


def test_leaves_never_share_a_gradient_array():
    a, b, c = Variable(np.array(1.0)), Variable(np.array(2.0)), Variable(np.array(3.0))
    (a + b).backward()
    assert a.grad is not b.grad
    a.grad += 1  # an in-place change to one gradient must not leak into the other
    assert b.grad == 1.0

    a.cleargrad()
    b.cleargrad()
    ((a + b) + c).backward()
    assert len({id(a.grad), id(b.grad), id(c.grad)}) == 3
    assert (a.grad, b.grad, c.grad) == (1.0, 1.0, 1.0)


def test_backward_on_a_leaf_seeds_ones():
    x = Variable(np.array([1.0, 2.0], dtype=np.float32))
    x.backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])

    with no_grad():
        y = x * 2
    y.backward()  # a result computed under no_grad is a leaf too
    np.testing.assert_array_equal(y.grad, [1.0, 1.0])


def test_long_chain_has_no_recursion_limit():
    x = Variable(np.array(1.5))
    y = x
    for _ in range(100_000):
        y = -y
    y.backward()
    assert y.generation == 100_000
    assert x.grad == 1.0


# --- operators -------------------------------------------------------------------------------------

@pytest.mark.parametrize('f, value, grad', [
    (lambda x: x + 1, 3.0, 1.0),
    (lambda x: 1 + x, 3.0, 1.0),
    (lambda x: x * 3, 6.0, 3.0),
    (lambda x: 3 * x, 6.0, 3.0),
    (lambda x: -x, -2.0, -1.0),
    (lambda x: x - 1, 1.0, 1.0),
    (lambda x: 3 - x, 1.0, -1.0),
    (lambda x: x / 4, 0.5, 0.25),
    (lambda x: 1 / x, 0.5, -0.25),
    (lambda x: x ** 3, 8.0, 12.0),
])
def test_operator_values_and_grads(f, value, grad):
    x = Variable(np.array(2.0))
    y = f(x)
    y.backward()
    assert isinstance(y, Variable)
    assert (y.data, x.grad) == (value, grad)


def test_binary_ops_between_variables():
    a, b = Variable(np.array(3.0)), Variable(np.array(2.0))
    y = a * b + a / b - b
    y.backward()
    assert y.data == 5.5
    assert (a.grad, b.grad) == (2.5, 1.25)  # b + 1/b and a - a/b^2 - 1


def test_ndarray_on_the_left_returns_a_variable():
    x = Variable(np.array([1.0, 2.0]))
    y = np.array([3.0, 4.0]) * x
    assert isinstance(y, Variable)
    y.backward()
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


@pytest.mark.parametrize('f', [
    lambda x: x * 2.0, lambda x: 2.0 * x, lambda x: x + 1, lambda x: 1 - x, lambda x: x - 0.5,
    lambda x: x / 3, lambda x: 3 / x, lambda x: x ** 2, lambda x: -x,
])
def test_python_scalars_keep_float32(f):
    x = Variable(np.array([1.0, 2.0], dtype=np.float32))
    y = f(x)
    y.backward()
    assert y.dtype == np.float32
    assert x.grad.dtype == np.float32


def test_python_scalars_still_promote_when_needed():
    x = Variable(np.array(2))
    assert (x * 3).dtype == np.array(2).dtype
    y = x * 1.5
    assert y.dtype == np.float64 and y.data == 3.0


def test_dividing_float32_by_large_int_does_not_overflow():
    x = Variable(np.array(1.0, dtype=np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        y = x / 100_000
        y.backward()
    assert x.grad == pytest.approx(1e-5)
