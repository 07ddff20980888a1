"""dezero.functions.shape: reshape, transpose, expand_dims, flatten, squeeze, get_item, select_item, stack, concat,
split, broadcast_to and sum_to; specs against NumPy and the behaviour of indexing and splitting."""
import numpy as np
import pytest

import dezero.functions as F
from dezero import Variable, cuda
from harness import OpSpec, make_tests

UNARY = [((),), ((3,),), ((2, 3),), ((2, 3, 4),)]
IDX = np.array([0, 0, 2, 1, 0])
ROWS, COLS = np.array([0, 1, 1]), np.array([2, 2, 0])
MASK = np.array([True, False, True])
PICK = np.array([2, 0, 1, 2])                 # select_item's t for x of shape (4, 3)


def _on(x, *arrays):
    """Index arrays on the device of Variable ``x``."""
    moved = tuple(cuda.as_cupy(a) if cuda.is_cupy_array(x.data) else a for a in arrays)
    return moved if len(moved) > 1 else moved[0]


SPECS = [
    OpSpec('reshape', F.reshape, lambda a, shape: a.reshape(shape), cases={
        'shape=(3, 2)': dict(kwargs=dict(shape=(3, 2)), shapes=[((2, 3),), ((6,),)]),
        'shape=(1, 1)': dict(kwargs=dict(shape=(1, 1)), shapes=[((),)]),
        'x.reshape(-1)': dict(func=lambda a: a.reshape(-1), reference=lambda a: a.reshape(-1),
                              shapes=[((2, 3, 4),), ((),)]),
        'x.reshape(2, -1)': dict(func=lambda a: a.reshape(2, -1), reference=lambda a: a.reshape(2, -1),
                                 shapes=[((2, 3, 4),)])}),
    OpSpec('transpose', F.transpose, np.transpose, UNARY, cases={
        'axes=(1, -1, 0)': dict(func=lambda a: F.transpose(a, (1, -1, 0)),
                                reference=lambda a: np.transpose(a, (1, 2, 0)), shapes=[((2, 3, 4),)]),
        'x.T': dict(func=lambda a: a.T, reference=lambda a: a.T, shapes=[((2, 3),)]),
        'x.transpose(1, 0)': dict(func=lambda a: a.transpose(1, 0), reference=lambda a: a.transpose(1, 0),
                                  shapes=[((3, 2),)])}),
    OpSpec('expand_dims', F.expand_dims, np.expand_dims, cases={
        'axis=-1': dict(kwargs=dict(axis=-1), shapes=[((2, 3),)]),
        'axis=1': dict(kwargs=dict(axis=1), shapes=[((2, 3),)]),
        'axis=0': dict(kwargs=dict(axis=0), shapes=[((),), ((3,),)])}),
    OpSpec('flatten', F.flatten, lambda a: a.reshape(a.shape[0], -1), [((2, 3, 4),), ((3,),), ((2, 3),)]),
    OpSpec('squeeze', F.squeeze, np.squeeze, [((1, 3, 1),), ((),), ((2, 3),)], cases={
        'axis=-1': dict(kwargs=dict(axis=-1), shapes=[((2, 1),)]),
        'axis=(0, 2)': dict(kwargs=dict(axis=(0, 2)), shapes=[((1, 3, 1),)])}),
    OpSpec('get_item', F.get_item, None, cases={
        'x[1]': dict(func=lambda a: a[1], reference=lambda a: a[1], shapes=[((3, 4),)]),
        'x[:, 1:3]': dict(func=lambda a: a[:, 1:3], reference=lambda a: a[:, 1:3], shapes=[((3, 4),)]),
        'x[..., 0]': dict(func=lambda a: a[..., 0], reference=lambda a: a[..., 0], shapes=[((2, 3, 4),)]),
        'x[None]': dict(func=lambda a: a[None], reference=lambda a: a[None], shapes=[((),), ((2,),)]),
        'repeated indices': dict(func=lambda a: a[_on(a, IDX)], reference=lambda a: a[IDX], shapes=[((3, 2),)]),
        'index pairs': dict(func=lambda a: F.get_item(a, _on(a, ROWS, COLS)),
                            reference=lambda a: a[ROWS, COLS], shapes=[((2, 3),)]),
        'boolean mask': dict(func=lambda a: a[_on(a, MASK)], reference=lambda a: a[MASK], shapes=[((3, 2),)])}),
    OpSpec('select_item', lambda a: F.select_item(a, _on(a, PICK)), lambda a: a[np.arange(4), PICK],
           [((4, 3),)], cases={
               't (N, 1)': dict(func=lambda a: F.select_item(a, _on(a, PICK[:, None]))),
               'one row': dict(func=lambda a: F.select_item(a, _on(a, PICK[:1])),
                               reference=lambda a: a[[0], PICK[:1]], shapes=[((1, 3),)])}),
    OpSpec('stack', lambda a, b: F.stack([a, b], axis=-1), lambda a, b: np.stack([a, b], axis=-1),
           [((2, 3), (2, 3)), ((), ())], cases={
               'three, axis=0': dict(func=lambda *xs: F.stack(xs), reference=lambda *xs: np.stack(xs),
                                     shapes=[((2,), (2,), (2,))])}),
    OpSpec('concat', lambda a, b: F.concat([a, b], axis=1), lambda a, b: np.concatenate([a, b], axis=1),
           [((2, 3), (2, 1))], cases={
               'three, axis=0': dict(func=lambda *xs: F.concat(xs), reference=lambda *xs: np.concatenate(xs),
                                     shapes=[((1, 3), (2, 3), (3, 3)), ((2,), (1,), (3,))])}),
    OpSpec('split', F.split, lambda a, **kw: np.split(a, **kw), cases={
        'indices [1, 3], axis=1': dict(kwargs=dict(indices_or_sections=[1, 3], axis=1),
                                       shapes=[((2, 4),), ((2, 3, 2),)]),
        'sections 2, axis=-1': dict(kwargs=dict(indices_or_sections=2, axis=-1), shapes=[((3, 4),)])}),
    OpSpec('broadcast_to', F.broadcast_to, lambda a, shape: np.broadcast_to(a, shape), cases={
        'shape=(2, 3)': dict(kwargs=dict(shape=(2, 3)), shapes=[((3,),), ((1, 3),), ((),), ((2, 1),)]),
        'shape=(4, 2, 3)': dict(kwargs=dict(shape=(4, 2, 3)), shapes=[((2, 1),)])}),
    OpSpec('sum_to', F.sum_to, None, cases={
        'shape=(1, 3)': dict(kwargs=dict(shape=(1, 3)), reference=lambda a, shape: a.sum(axis=0, keepdims=True),
                             shapes=[((2, 3),)]),
        'shape=(3,)': dict(kwargs=dict(shape=(3,)), reference=lambda a, shape: a.sum(axis=(0, 1)),
                           shapes=[((4, 2, 3),)]),
        'shape=()': dict(kwargs=dict(shape=()), reference=lambda a, shape: a.sum(),
                         shapes=[((2, 3),), ((3,),), ((),)]),
        'shape=(2, 1)': dict(kwargs=dict(shape=(2, 1)), reference=lambda a, shape: a.sum(axis=(0, 2))[:, None],
                             shapes=[((3, 2, 4),)])}),
]

globals().update(make_tests(SPECS))


def test_split_gives_zero_gradients_to_unused_pieces():
    x = Variable(np.arange(6.0))
    a, b, c = F.split(x, 3)
    F.sum(b * 2).backward()
    np.testing.assert_array_equal(x.grad.data, [0, 0, 2, 2, 0, 0])
    assert len(F.split(x, 1)) == 1


def test_squeeze_rejects_an_axis_longer_than_one():
    with pytest.raises(ValueError, match=r'squeeze: axis 1 of x with shape \(1, 3\) has length 3'):
        F.squeeze(np.ones((1, 3)), axis=1)


@pytest.mark.parametrize('call, message', [
    (lambda: F.reshape(np.ones((2, 3)), (4,)),
     r'reshape: cannot reshape x of shape \(2, 3\) \(6 elements\) into \(4,\)'),
    (lambda: F.broadcast_to(np.ones(2), (3,)), r'broadcast_to: x of shape \(2,\) cannot be broadcast to \(3,\)'),
    (lambda: F.sum_to(np.ones((2, 3)), (4,)), r'sum_to: x of shape \(2, 3\) cannot be summed to shape \(4,\)'),
    (lambda: F.transpose(np.ones((2, 3)), (0, 0)), r'transpose: .*\(0, 0\)'),
    (lambda: F.transpose(np.ones((2, 3)), (0, 5)), r'transpose: axis 5 is out of bounds'),
    (lambda: F.transpose(np.ones((2, 3)), (0,)), r'transpose: axes \(0,\) are not a permutation'),
    (lambda: F.expand_dims(np.ones(2), 5), r'expand_dims: axis 5 is out of bounds'),
    (lambda: F.squeeze(np.ones((1, 2)), 3), r'squeeze: axis 3 is out of bounds'),
    (lambda: F.flatten(np.array(1.0)), 'flatten: x must have a batch axis'),
    (lambda: F.stack([]), 'stack: xs must be a non-empty list'),
    (lambda: F.stack([np.ones(2), np.ones(3)]), r'stack: cannot join xs of shapes \[\(2,\), \(3,\)\]'),
    (lambda: F.stack([np.ones(2), np.ones(2)], axis=2), r'stack: axis 2 is out of bounds'),
    (lambda: F.concat([np.ones(2), np.ones((3, 1))]), r'concat: cannot join xs of shapes \[\(2,\), \(3, 1\)\]'),
    (lambda: F.concat([np.ones((2, 3)), np.ones((2, 4))]), r'concat: cannot join .* along axis 0'),
    (lambda: F.concat([np.array(1.0), np.array(2.0)]), 'concat: cannot join'),
    (lambda: F.split(np.ones(5), 2), r'split: x of shape \(5,\) cannot be split into 2 equal sections'),
    (lambda: F.split(np.ones((2, 2)), 2, axis=2), r'split: axis 2 is out of bounds'),
    (lambda: F.split(np.array(1.0), [1]), r'split: x of shape \(\) has no axis to split'),
    (lambda: F.select_item(np.ones(3), PICK[:3]), r'select_item: x must be 2-D \(N, C\), got shape \(3,\)'),
    (lambda: F.select_item(np.ones((4, 3)), PICK[:3]),
     r'select_item: labels of shape \(3,\) do not fit x of shape \(4, 3\); expected \(4,\) or \(N, 1\)'),
    (lambda: F.select_item(np.ones((4, 3)), np.array([0, 1, 3, 0])),
     r'select_item: label 3 is not a class index: x has 3 classes'),
    (lambda: F.select_item(np.ones((4, 3)), np.array([0, -1, 2, 0])), r'select_item: label -1 is not a class index'),
], ids=['reshape', 'broadcast_to', 'sum_to', 'transpose repeated', 'transpose out of bounds', 'transpose short',
        'expand_dims', 'squeeze', 'flatten', 'stack empty', 'stack shapes', 'stack axis', 'concat ndim',
        'concat shapes', 'concat 0-d', 'split sections', 'split axis', 'split 0-d', 'select_item 1-D',
        'select_item t shape', 'select_item t too large', 'select_item t negative'])
def test_shape_functions_reject_bad_arguments_naming_themselves(call, message):
    """Errors name the function and the shapes or axes (stack, concat, split, sum_to, transpose,
    expand_dims and squeeze used to raise NumPy's or dezero.arrays' messages, naming none of them)."""
    with pytest.raises(ValueError, match=message):
        call()


def test_joining_and_splitting_still_take_arrays_and_numbers():
    x = Variable(np.ones(2))
    F.sum(F.stack([x, np.zeros(2)]) + F.concat([x, np.zeros(1)])[:2]).backward()   # (2, 2) + (2,)
    np.testing.assert_array_equal(x.grad.data, [3, 3])
    assert [y.shape for y in F.split(np.arange(6.0).reshape(2, 3), [1], axis=1)] == [(2, 1), (2, 2)]
    assert F.stack([1.0, 2.0]).shape == (2,)


def test_get_item_backward_scatters_through_the_backend_add_at(monkeypatch):
    """§6 bug 33: the GPU path called cupy.scatter_add, removed in CuPy 8; it goes through
    cuda.scatter_add (xp.add.at on either device)."""
    calls = []
    original = cuda.scatter_add

    def spy(a, indices, values):
        calls.append(type(a))
        return original(a, indices, values)

    monkeypatch.setattr(cuda, 'scatter_add', spy)
    x = Variable(np.arange(3.0))
    F.sum(x[np.array([0, 0, 2])]).backward()
    np.testing.assert_array_equal(x.grad.data, [2, 0, 1])
    assert calls == [np.ndarray]


def test_select_item_takes_float_labels_never():
    """Float indices would be truncated silently: they are refused, naming select_item."""
    with pytest.raises(TypeError, match='select_item: labels t must be integer class indices, got dtype float64'):
        F.select_item(np.ones((4, 3)), np.array([0.0, 1.0, 2.0, 0.0]))


def test_select_item_gradient_reaches_only_the_selected_entries():
    x = Variable(np.arange(12.0).reshape(4, 3))
    y = F.select_item(x, PICK)
    assert y.data.tolist() == [2.0, 3.0, 7.0, 11.0]
    y.backward()
    expected = np.zeros((4, 3))
    expected[np.arange(4), PICK] = 1
    assert (x.grad.data == expected).all()
