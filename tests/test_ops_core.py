"""Forward, first-, second- (and some third-) order checks of the core's arithmetic and
the functions the core relies on, through the per-op harness."""
import numpy as np

import dezero.functions as F
from harness import OpSpec, make_tests

UNARY = [((),), ((3,),), ((2, 3),), ((2, 3, 4),)]
BINARY = [((), ()), ((2, 3), (2, 3)), ((2, 3), ()), ((2, 3), (3,)), ((2, 1), (1, 3)),
          ((3,), (2, 3)), ((2, 3, 4), (3, 1))]


def _positive(rng, shapes):
    return [rng.uniform(0.5, 2.0, size=s) for s in shapes]


def _distinct(rng, shapes):
    """Values far apart, so max/min have a unique winner and finite differences stay on one side."""
    out = []
    for s in shapes:
        n = int(np.prod(s))
        out.append((rng.permutation(n) * 0.1 + rng.uniform(-0.02, 0.02, size=n)).reshape(s))
    return out


SPECS = [
    OpSpec('add', lambda a, b: a + b, np.add, BINARY),
    OpSpec('sub', lambda a, b: a - b, np.subtract, BINARY),
    OpSpec('mul', lambda a, b: a * b, np.multiply, BINARY, order=3),
    OpSpec('div', lambda a, b: a / b, np.divide, BINARY, inputs=_positive, order=3),
    OpSpec('neg', lambda a: -a, np.negative, UNARY),
    OpSpec('radd_scalar', lambda a: 2.5 + a, lambda a: 2.5 + a, UNARY),
    OpSpec('rsub_scalar', lambda a: 2.5 - a, lambda a: 2.5 - a, UNARY),
    OpSpec('rmul_scalar', lambda a: 3 * a, lambda a: 3 * a, UNARY),
    OpSpec('rdiv_scalar', lambda a: 2.0 / a, lambda a: 2.0 / a, UNARY, inputs=_positive),
    OpSpec('pow_const', lambda a: a ** 3, lambda a: a ** 3, UNARY, order=3),
    OpSpec('pow_frac', lambda a: a ** 0.5, np.sqrt, UNARY, inputs=_positive),
    OpSpec('power', lambda a, b: a ** b, np.power, BINARY, inputs=_positive),
    OpSpec('rpow', lambda a: 2.0 ** a, lambda a: 2.0 ** a, UNARY),
    OpSpec('sin', F.sin, np.sin, UNARY, order=3),
    OpSpec('cos', F.cos, np.cos, UNARY, order=3),
    OpSpec('tanh', F.tanh, np.tanh, UNARY, order=3),
    OpSpec('exp', F.exp, np.exp, UNARY, order=3),
    OpSpec('log', F.log, np.log, UNARY, inputs=_positive, order=3),
    OpSpec('reshape', lambda a: F.reshape(a, (3, 2)), lambda a: a.reshape(3, 2), [((2, 3),), ((6,),)]),
    OpSpec('reshape_-1', lambda a: a.reshape(-1), lambda a: a.reshape(-1), [((2, 3, 4),), ((),)]),
    OpSpec('transpose', F.transpose, np.transpose, UNARY),
    OpSpec('transpose_axes', lambda a: F.transpose(a, (1, -1, 0)),
           lambda a: np.transpose(a, (1, 2, 0)), [((2, 3, 4),)]),
    OpSpec('T', lambda a: a.T, lambda a: a.T, [((2, 3),)]),
    OpSpec('sum', F.sum, np.sum, UNARY),
    OpSpec('sum_axis', lambda a: F.sum(a, axis=1), lambda a: a.sum(axis=1), [((2, 3),), ((2, 3, 4),)]),
    OpSpec('sum_neg_axis_keepdims', lambda a: F.sum(a, axis=-1, keepdims=True),
           lambda a: a.sum(axis=-1, keepdims=True), [((2, 3),), ((3,),)]),
    OpSpec('sum_tuple_axis', lambda a: F.sum(a, axis=(0, 2)), lambda a: a.sum(axis=(0, 2)), [((2, 3, 4),)]),
    OpSpec('sum_list_axis', lambda a: F.sum(a, axis=[0, -1], keepdims=True),
           lambda a: a.sum(axis=(0, -1), keepdims=True), [((2, 3, 4),)]),
    OpSpec('sum_to', lambda a: F.sum_to(a, (1, 3)), lambda a: a.sum(axis=0, keepdims=True), [((2, 3),)]),
    OpSpec('sum_to_lead', lambda a: F.sum_to(a, (3,)), lambda a: a.sum(axis=(0, 1)), [((4, 2, 3),)]),
    OpSpec('broadcast_to', lambda a: F.broadcast_to(a, (2, 3)), lambda a: np.broadcast_to(a, (2, 3)),
           [((3,),), ((1, 3),), ((),), ((2, 1),)]),
    OpSpec('average', F.average, np.mean, UNARY),
    OpSpec('mean_axis', lambda a: F.mean(a, axis=0), lambda a: a.mean(axis=0), [((2, 3),)]),
    OpSpec('max', F.max, np.max, UNARY, inputs=_distinct),
    OpSpec('max_axis', lambda a: F.max(a, axis=-1), lambda a: a.max(axis=-1), [((2, 3),), ((2, 3, 4),)],
           inputs=_distinct),
    OpSpec('min_axis_keepdims', lambda a: a.min(axis=0, keepdims=True),
           lambda a: a.min(axis=0, keepdims=True), [((2, 3),)], inputs=_distinct),
    OpSpec('matmul', F.matmul, np.matmul, [((2, 3), (3, 4)), ((1, 1), (1, 1))], order=3),
    OpSpec('matmul_batched', F.matmul, np.matmul,
           [((5, 2, 3), (5, 3, 4)), ((5, 2, 3), (3, 4)), ((2, 3), (4, 3, 2)), ((2, 1, 2, 3), (3, 3, 2))]),
    OpSpec('matmul_vector', F.matmul, np.matmul, [((3,), (3, 4)), ((2, 3), (3,)), ((3,), (3,)),
                                                   ((4, 2, 3), (3,))]),
    OpSpec('matmul_operator', lambda a, b: a @ b, np.matmul, [((2, 3), (3, 4))]),
    OpSpec('get_item_int', lambda a: a[1], lambda a: a[1], [((3, 4),)]),
    OpSpec('get_item_slices', lambda a: a[:, 1:3], lambda a: a[:, 1:3], [((3, 4),)]),
    OpSpec('get_item_ellipsis', lambda a: a[..., 0], lambda a: a[..., 0], [((2, 3, 4),)]),
    OpSpec('get_item_repeated', lambda a: a[np.array([0, 0, 2, 1, 0])],
           lambda a: a[np.array([0, 0, 2, 1, 0])], [((3, 2),)]),
    OpSpec('get_item_pairs', lambda a: F.get_item(a, (np.array([0, 1, 1]), np.array([2, 2, 0]))),
           lambda a: a[np.array([0, 1, 1]), np.array([2, 2, 0])], [((2, 3),)]),
    OpSpec('get_item_mask', lambda a: a[np.array([True, False, True])],
           lambda a: a[np.array([True, False, True])], [((3, 2),)]),
    OpSpec('expand_dims', lambda a: F.expand_dims(a, -1), lambda a: np.expand_dims(a, -1), [((2, 3),)]),
    OpSpec('flatten', F.flatten, lambda a: a.reshape(a.shape[0], -1), [((2, 3, 4),)]),
    OpSpec('stack', lambda a, b: F.stack([a, b], axis=-1), lambda a, b: np.stack([a, b], axis=-1),
           [((2, 3), (2, 3)), ((), ())]),
    OpSpec('concat', lambda a, b: F.concat([a, b], axis=1), lambda a, b: np.concatenate([a, b], axis=1),
           [((2, 3), (2, 1))]),
    OpSpec('composite', lambda a, b: F.tanh(a * b + F.exp(-a)) / (1 + b * b),
           lambda a, b: np.tanh(a * b + np.exp(-a)) / (1 + b * b), [((2, 3), (3,)), ((10, 10), (10, 10))],
           order=3),
]

test_forward, test_grad, test_second_order_grad, test_higher_order_grad, test_float32_grad = make_tests(SPECS)
