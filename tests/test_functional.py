"""dezero.grad and dezero.functional against closed forms."""
import numpy as np
import pytest

import dezero
import dezero.functions as F
from dezero import Variable
from dezero.functional import vjp, jvp, jacobian, hessian, hvp


def test_grad_returns_gradients_without_touching_dot_grad():
    x = Variable(np.array([1.0, 2.0, 3.0]))
    y = F.sum(x ** 3)
    gx = dezero.grad(y, x)
    assert np.allclose(gx.data, 3 * x.data ** 2)
    assert x.grad is None and y.grad is None


def test_grad_with_several_inputs_returns_a_tuple():
    a, b = Variable(np.array(2.0)), Variable(np.array(5.0))
    ga, gb = dezero.grad(a * b + a, [a, b])
    assert (ga.data, gb.data) == (6.0, 2.0)


def test_grad_unused_input_raises_unless_allowed():
    a, b = Variable(np.array(2.0)), Variable(np.array(5.0))
    y = a * 3
    with pytest.raises(ValueError, match='do not depend on input 1'):
        dezero.grad(y, [a, b])
    ga, gb = dezero.grad(y, [a, b], allow_unused=True)
    assert ga.data == 3.0 and gb is None


def test_grad_create_graph_gives_second_derivative():
    x = Variable(np.array(0.3))
    y = F.sin(x) * x
    g = dezero.grad(y, x, create_graph=True)
    g2 = dezero.grad(g, x)
    assert g2.data == pytest.approx(2 * np.cos(0.3) - 0.3 * np.sin(0.3), rel=1e-12)
    assert dezero.grad(y, x).creator is None


def test_grad_with_respect_to_an_intermediate_variable():
    x = Variable(np.array(2.0))
    h = x * x
    y = F.exp(h)
    gh, gx = dezero.grad(y, [h, x])
    assert gh.data == pytest.approx(np.exp(4.0)) and gx.data == pytest.approx(4 * np.exp(4.0))


def test_grad_outputs_seed_several_outputs():
    x = Variable(np.array([1.0, 2.0]))
    y1, y2 = x * 2, x * x
    g = dezero.grad([y1, y2], x, grad_outputs=[Variable(np.array([1.0, 0.0])), None])
    assert np.array_equal(g.data, [2 + 2 * 1.0, 2 * 2.0])
    with pytest.raises(ValueError, match='shape'):
        dezero.grad(y1, x, grad_outputs=Variable(np.ones(3)))


def test_grad_of_output_with_respect_to_itself():
    x = Variable(np.array([1.0, 2.0]))
    assert np.array_equal(dezero.grad(x, x).data, [1.0, 1.0])


def test_grad_retain_graph_false_releases_the_graph():
    x = Variable(np.array(2.0))
    h = x * 3
    y = h * h
    assert dezero.grad(y, x, retain_graph=False).data == 36.0
    f = y.creator
    assert f.released and all(v.data is None for v in f.inputs)     # h's array is no longer kept
    with pytest.raises(RuntimeError, match='retain_graph=True'):
        dezero.grad(y, x)


def _f(x):
    return F.sum(F.sin(x) * x ** 2)


X = np.array([0.1, -0.7, 1.3])


def _grad_closed(x):
    return np.cos(x) * x ** 2 + 2 * x * np.sin(x)


def _hess_closed(x):
    return np.diag(-np.sin(x) * x ** 2 + 4 * x * np.cos(x) + 2 * np.sin(x))


def test_vjp():
    v = np.array([1.0, 2.0, -1.0])
    y, g = vjp(lambda x: F.sin(x) * x, X, Variable(v))
    assert np.allclose(y.data, np.sin(X) * X)
    assert np.allclose(g.data, v * (np.cos(X) * X + np.sin(X)))
    _, g = vjp(_f, X)
    assert np.allclose(g.data, _grad_closed(X))
    with pytest.raises(ValueError, match='v is required'):
        vjp(lambda x: x * 2, X)


def test_jvp_matches_jacobian_times_vector():
    A = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    v = np.array([0.3, -0.2, 1.0])
    y, jv = jvp(lambda x: F.matmul(Variable(A), F.tanh(x)), X, v)
    J = A * (1 - np.tanh(X) ** 2)
    assert np.allclose(jv.data, J @ v)
    assert np.allclose(y.data, A @ np.tanh(X))


def test_jvp_of_several_inputs():
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    _, jv = jvp(lambda x, y: x * y, (a, b), (np.array([1.0, 0.0]), np.array([0.0, 1.0])))
    assert np.allclose(jv.data, [3.0, 2.0])


def test_jacobian():
    J = jacobian(lambda x: F.sin(x) * x[0], X)
    expected = np.diag(np.cos(X) * X[0])
    expected[:, 0] += np.sin(X)
    assert J.shape == (3, 3) and np.allclose(J.data, expected)


def test_jacobian_of_several_inputs_and_unused_one():
    a, b = np.array([1.0, 2.0]), np.array([3.0])
    Ja, Jb = jacobian(lambda x, y: x * 2, (a, b))
    assert np.allclose(Ja.data, 2 * np.eye(2)) and np.allclose(Jb.data, np.zeros((2, 1)))


def test_hessian_and_hvp():
    H = hessian(_f, X)
    assert H.shape == (3, 3) and np.allclose(H.data, _hess_closed(X))
    v = np.array([1.0, -2.0, 0.5])
    y, hv = hvp(_f, X, v)
    assert np.allclose(hv.data, _hess_closed(X) @ v)
    assert y.data == pytest.approx(np.sum(np.sin(X) * X ** 2))


def test_hessian_of_a_coupled_function():
    def f(x):
        return F.sum(x[0] * x[1] ** 2) + F.sum(F.exp(x))

    x = np.array([0.5, -0.3])
    H = hessian(f, x).data
    e = np.exp(x)
    expected = np.array([[e[0], 2 * x[1]], [2 * x[1], 2 * x[0] + e[1]]])
    assert np.allclose(H, expected)


def test_jacobian_create_graph_is_differentiable():
    x = Variable(X.copy())
    J = jacobian(lambda v: F.sin(v), x, create_graph=True)
    total = F.sum(J)            # sum of diag cos(x)
    g = dezero.grad(total, x)
    assert np.allclose(g.data, -np.sin(X))
