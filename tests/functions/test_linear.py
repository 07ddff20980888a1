"""dezero.functions.linear: matmul, linear, linear_simple and embed_id; specs against NumPy, batched
products (§6 bug 10), and arrays as operands getting no gradient."""
import numpy as np
import pytest

import dezero.functions as F
from dezero import Variable
from dezero.core import Constant
from harness import OpSpec, make_tests, on_device_of

LINEAR_SHAPES = [((2, 3), (3, 4), (4,)), ((5, 2, 3), (3, 4), (4,)), ((3,), (3, 2), (2,)),
                 ((2, 3), (3, 4), (1, 4))]
IDS, IDS_2D = np.array([0, 2, 2, 4]), np.array([[1, 1], [0, 3]])

SPECS = [
    OpSpec('matmul', F.matmul, np.matmul, [((2, 3), (3, 4)), ((1, 1), (1, 1))], order=3, cases={
        'batched': dict(shapes=[((5, 2, 3), (5, 3, 4)), ((5, 2, 3), (3, 4)), ((2, 3), (4, 3, 2)),
                                ((2, 1, 2, 3), (3, 3, 2))], order=2),
        'vectors': dict(shapes=[((3,), (3, 4)), ((2, 3), (3,)), ((3,), (3,)), ((4, 2, 3), (3,))], order=2),
        'x @ W': dict(func=lambda a, b: a @ b, shapes=[((2, 3), (3, 4))], order=2),
        'x.dot(W)': dict(func=lambda a, b: a.dot(b), shapes=[((3,), (3, 2))], order=2)}),
    OpSpec('linear', F.linear, lambda x, W, b: x @ W + b, LINEAR_SHAPES, cases={
        'no bias': dict(reference=lambda x, W: x @ W, shapes=[((2, 3), (3, 4)), ((2, 2, 3), (3, 1))])}),
    OpSpec('linear_simple', F.linear_simple, lambda x, W, b: x @ W + b, LINEAR_SHAPES[:2], cases={
        'no bias': dict(reference=lambda x, W: x @ W, shapes=[((3,), (3, 2))])}),
    OpSpec('embed_id', None, None, cases={
        'ids (4,)': dict(func=lambda W: F.embed_id(on_device_of(W, IDS), W), reference=lambda W: W[IDS],
                         shapes=[((5, 3),)]),
        'ids (2, 2)': dict(func=lambda W: F.embed_id(on_device_of(W, IDS_2D), W), reference=lambda W: W[IDS_2D],
                           shapes=[((4, 2),)]),
        'ids 0-d': dict(func=lambda W: F.embed_id(on_device_of(W, np.array(2)), W), reference=lambda W: W[2],
                        shapes=[((4, 2),)])}),
]

globals().update(make_tests(SPECS))


def test_linear_without_bias_and_with_a_variable_holding_none():
    x, W = np.ones((2, 3)), np.ones((3, 4))
    for b in (None, Variable(None)):
        y = F.linear(x, W, b)
        assert y.shape == (2, 4) and len(y.creator.inputs) == 2


def test_linear_rejects_mismatched_shapes_naming_itself():
    with pytest.raises(ValueError, match=r'linear: x of shape \(2, 3\).*W of shape \(4, 5\)'):
        F.linear(np.ones((2, 3)), np.ones((4, 5)))
    with pytest.raises(ValueError, match=r'linear: b of shape \(3,\) does not broadcast'):
        F.linear(np.ones((2, 3)), np.ones((3, 4)), np.ones(3))
    with pytest.raises(ValueError, match=r'matmul: x of shape \(2, 3\) cannot be multiplied by W of shape \(2, 3\)'):
        F.matmul(np.ones((2, 3)), np.ones((2, 3)))


def test_linear_simple_backpropagates_through_matmul_and_add():
    x, W, b = Variable(np.ones((2, 3))), Variable(np.ones((3, 4))), Variable(np.zeros(4))
    y = F.linear_simple(x, W, b)
    assert type(y.creator).__name__ == 'Add'
    y.backward()
    np.testing.assert_allclose(W.grad.data, np.full((3, 4), 2.0))
    np.testing.assert_allclose(b.grad.data, np.full(4, 2.0))


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


def test_embed_id_accumulates_repeated_ids():
    W = Variable(np.arange(6.0).reshape(3, 2))
    F.sum(F.embed_id(np.array([2, 0, 2]), W)).backward()
    np.testing.assert_array_equal(W.grad.data, [[1, 1], [0, 0], [2, 2]])


def test_embed_id_rejects_bad_ids_naming_itself():
    W = np.ones((3, 2))
    with pytest.raises(TypeError, match='embed_id: ids x must be integers'):
        F.embed_id(np.array([0.0, 1.0]), W)
    with pytest.raises(IndexError, match=r'embed_id: id 3 is out of range for W with 3 rows'):
        F.embed_id(np.array([0, 3]), W)
