"""dezero.functions.arithmetic: add, sub, rsub, mul, div, rdiv, neg, pow and power, called by name and
as the Variable operators; a composite of several families to the third order; backward with and
without create_graph giving the same bits."""
import numpy as np
import pytest

import dezero.functions as F
from dezero import Variable
from harness import OpSpec, make_tests, positive

UNARY = [((),), ((3,),), ((2, 3),), ((2, 3, 4),)]
BINARY = [((), ()), ((2, 3), (2, 3)), ((2, 3), ()), ((2, 3), (3,)), ((2, 1), (1, 3)),
          ((3,), (2, 3)), ((2, 3, 4), (3, 1))]
OPERATOR = [((2, 3), (2, 3)), ((2, 1), (3,))]
POLE = 'x1 near 0, the pole of 1 / x1: inputs in [0.5, 2)'

SPECS = [
    OpSpec('add', F.add, np.add, BINARY, cases={
        'x0 + x1': dict(func=lambda a, b: a + b, shapes=OPERATOR),
        '2.5 + x': dict(func=lambda a: 2.5 + a, reference=lambda a: 2.5 + a, shapes=UNARY)}),
    OpSpec('sub', F.sub, np.subtract, BINARY, cases={
        'x0 - x1': dict(func=lambda a, b: a - b, shapes=OPERATOR),
        'x - 2.5': dict(func=lambda a: a - 2.5, reference=lambda a: a - 2.5, shapes=UNARY[:2])}),
    OpSpec('rsub', F.rsub, lambda a, b: b - a, BINARY[:5], cases={
        '2.5 - x': dict(func=lambda a: 2.5 - a, reference=lambda a: 2.5 - a, shapes=UNARY)}),
    OpSpec('mul', F.mul, np.multiply, BINARY, order=3, cases={
        'x0 * x1': dict(func=lambda a, b: a * b, shapes=OPERATOR),
        '3 * x': dict(func=lambda a: 3 * a, reference=lambda a: 3 * a, shapes=UNARY, order=2)}),
    OpSpec('div', F.div, np.divide, BINARY, inputs=positive, order=3, avoid=POLE, cases={
        'x0 / x1': dict(func=lambda a, b: a / b, shapes=OPERATOR),
        'x / 4': dict(func=lambda a: a / 4, reference=lambda a: a / 4, shapes=UNARY[:2], order=2)}),
    OpSpec('rdiv', F.rdiv, lambda a, b: b / a, BINARY[:5], inputs=positive, avoid=POLE.replace('x1', 'x0'),
           cases={'2.0 / x': dict(func=lambda a: 2.0 / a, reference=lambda a: 2.0 / a, shapes=UNARY)}),
    OpSpec('neg', F.neg, np.negative, UNARY, cases={
        '-x': dict(func=lambda a: -a, shapes=UNARY[2:3])}),
    OpSpec('pow', F.pow, lambda a, c: a ** c, avoid='x <= 0 for a fractional or negative c: inputs in [0.5, 2)',
           cases={
               'c=3': dict(kwargs=dict(c=3), shapes=UNARY, order=3, avoid=''),
               'c=0.5': dict(kwargs=dict(c=0.5), shapes=UNARY, inputs=positive),
               'c=-2': dict(kwargs=dict(c=-2), shapes=UNARY[:3], inputs=positive),
               'x ** 2': dict(func=lambda a: a ** 2, reference=lambda a: a ** 2, shapes=UNARY[:3], order=3,
                              avoid='')}),
    OpSpec('power', F.power, np.power, BINARY, inputs=positive,
           avoid='x <= 0, where x ** y is not real and d/dy = x ** y log(x) is nan: inputs in [0.5, 2)', cases={
               'x ** y': dict(func=lambda a, b: a ** b, shapes=OPERATOR),
               '2.0 ** x': dict(func=lambda a: 2.0 ** a, reference=lambda a: 2.0 ** a, shapes=UNARY,
                                inputs=None, avoid='')}),
]

# Not a public function: several families chained, checked to the third order.
COMPOSITES = [
    OpSpec('composite', lambda a, b: F.tanh(a * b + F.exp(-a)) / (1 + b * b),
           lambda a, b: np.tanh(a * b + np.exp(-a)) / (1 + b * b), [((2, 3), (3,)), ((10, 10), (10, 10))],
           order=3),
]

globals().update(make_tests(SPECS + COMPOSITES))


def test_operators_are_the_functions():
    """The operators of Variable are the functions of this family (and matmul), so the specs that
    call them by name check the operators too."""
    assert Variable.__add__ is F.add and Variable.__radd__ is F.add and Variable.__mul__ is F.mul
    assert Variable.__sub__ is F.sub and Variable.__rsub__ is F.rsub and Variable.__neg__ is F.neg
    assert Variable.__truediv__ is F.div and Variable.__rtruediv__ is F.rdiv
    x = Variable(np.array([2.0, 3.0]))
    assert type((x ** 2).creator).__name__ == 'Pow' and type((x ** x).creator).__name__ == 'Power'
    assert type((2.0 ** x).creator).__name__ == 'Power'


# =============================================================================
# backward and backward(create_graph=True) give the same bits
# =============================================================================
def _labels(x):
    return np.arange(len(x)) % x.shape[1]


def _c(x, values, shape):
    """A constant array of x's dtype."""
    return np.asarray(values, dtype=x.dtype).reshape(shape)


GRAPHS = {
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
@pytest.mark.parametrize('name', sorted(GRAPHS))
def test_backward_gives_the_same_bits_with_and_without_create_graph(name, dtype):
    """Graphs where x reaches the loss along several paths (gradients accumulate) give the same
    gradient, bit for bit, whether backward records the graph of the gradient or not. (Each spec
    checks the same for its function alone: test_grad_same_bits_with_create_graph.)"""
    func, shapes = GRAPHS[name]
    for shape in shapes:
        data = np.random.default_rng(5).uniform(-1, 1, shape).astype(dtype)
        grads = []
        for create_graph in (False, True):
            x = Variable(data.copy())
            y = func(x)
            F.sum(y * y).backward(create_graph=create_graph)
            grads.append(x.grad)
        plain, recorded = grads
        assert plain.creator is None and recorded.creator is not None, name
        assert plain.dtype == recorded.dtype == dtype, name
        assert np.array_equal(plain.data, recorded.data), (name, shape, plain.data - recorded.data)
