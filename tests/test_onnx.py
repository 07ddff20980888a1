"""dezero.onnx.export: every model of tests/onnx_cases.py is exported, passes onnx.checker, and ONNX
Runtime gives dezero's outputs (float32, relative difference <= 1e-5) at the example's batch size and,
with a dynamic batch, at another one. Plus the errors: unmapped Functions, training-mode batch norm,
bad arguments, and the missing extra.

Needs the ``onnx`` extra (``pip install -e ".[onnx]"``); without it these tests are skipped, except
the ones that check the error you get without it.
"""
import os
import sys
import warnings

import numpy as np
import pytest

import dezero
import dezero.functions as F
import dezero.layers as L
import dezero.onnx
from dezero import Function, models

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import onnx_cases  # noqa: E402

try:
    import onnx
    import onnxruntime as ort
    MISSING = None
except Exception as e:        # ImportError; a wheel built for another NumPy raises others
    onnx = ort = None
    MISSING = f'{type(e).__name__}: {e}'
needs_onnx = pytest.mark.skipif(ort is None, reason='needs the onnx extra: pip install -e ".[onnx]" '
                                                     f'(onnx and onnxruntime): {MISSING}')
TOLERANCE = 1e-5        # max |onnx - dezero| / max |dezero|, over each output


def _case_params():
    return [pytest.param(name, marks=[pytest.mark.slow] if name in onnx_cases.SLOW else [])
            for name in onnx_cases.CASES]


@needs_onnx
@pytest.mark.parametrize('name', _case_params())
def test_exported_model_runs_in_onnx_runtime_like_dezero(name, tmp_path):
    path = tmp_path / f'{name}.onnx'
    result = onnx_cases.run_case(name, path, ort)
    onnx.checker.check_model(str(path), full_check=True)
    assert result['example'][1] <= TOLERANCE, result
    assert result['other'][1] <= TOLERANCE, result      # the same file, another batch size


@needs_onnx
def test_dynamic_batch_names_the_batch_axis_and_static_fixes_it(tmp_path):
    np.random.seed(0)
    model = models.MLP((5, 2))
    x = np.random.rand(3, 4).astype(np.float32)
    dynamic = dezero.onnx.export(model, x, tmp_path / 'dynamic.onnx')
    static = dezero.onnx.export(model, x, tmp_path / 'static.onnx', dynamic_batch=False,
                                input_names=['points'], output_names=['scores'])
    dims = [[d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
            for v in (onnx.load(dynamic).graph.input[0], onnx.load(dynamic).graph.output[0])]
    assert dims == [['batch', 4], ['batch', 2]]
    session = ort.InferenceSession(static, providers=['CPUExecutionProvider'])
    assert [i.name for i in session.get_inputs()] == ['points']
    assert [o.name for o in session.get_outputs()] == ['scores']
    with pytest.raises(Exception, match='(?i)dimension|shape'):
        session.run(None, {'points': np.zeros((5, 4), np.float32)})


@needs_onnx
@pytest.mark.parametrize('opset', [13, 17, 18])
def test_opsets_around_the_change_of_reduce_attributes(opset, tmp_path):
    def f(x):
        return F.max(x, axis=1), F.min(x, axis=(0, 2), keepdims=True), F.logsumexp(x, axis=-1), F.sum(x, 1)
    x = np.random.RandomState(0).randn(2, 3, 4).astype(np.float32)
    path = dezero.onnx.export(f, x, tmp_path / 'r.onnx', opset=opset)
    model = onnx.load(path)
    assert model.opset_import[0].version == opset
    got = ort.InferenceSession(path, providers=['CPUExecutionProvider']).run(None, {'input': x})
    for g, r in zip(got, f(dezero.Variable(x))):
        np.testing.assert_allclose(g, r.data, rtol=1e-6, atol=1e-6)


@needs_onnx
def test_initializers_are_named_by_parameter_paths(tmp_path):
    np.random.seed(0)
    model = models.MLP((5, 2))
    path = dezero.onnx.export(model, np.ones((1, 3), np.float32), tmp_path / 'm.onnx')
    names = {t.name for t in onnx.load(path).graph.initializer}
    assert {'l0/W', 'l0/b', 'l1/W', 'l1/b'} <= names


class Cube(Function):
    def forward(self, x):
        return x ** 3

    def backward(self, gy):
        return 3 * self.inputs[0] ** 2 * gy


@needs_onnx
def test_a_function_without_mapping_is_named_with_its_place(tmp_path):
    np.random.seed(0)
    layer = L.Linear(3)

    def f(x):
        return F.relu(Cube()(layer(x)))
    path = tmp_path / 'cube.onnx'
    with pytest.raises(NotImplementedError) as e:
        dezero.onnx.export(f, np.ones((2, 4), np.float32), path)
    message = str(e.value)
    assert 'Cube' in message and 'no ONNX mapping' in message
    assert 'node 1 of 3' in message and 'from Linear (node 0)' in message and 'goes to ReLU (node 2)' in message
    assert 'dezero.onnx.register(Cube)' in message
    assert not path.exists()          # nothing written


@needs_onnx
def test_register_adds_a_mapping(tmp_path, monkeypatch):
    monkeypatch.setattr(dezero.onnx, '_CONVERTERS', dict(dezero.onnx._CONVERTERS))

    @dezero.onnx.register(Cube)
    def _(ctx, f, inputs, outputs):
        three = ctx.constant(np.asarray(3, ctx.dtype(inputs[0])))
        ctx.node('Pow', [inputs[0], three], outputs)

    x = np.linspace(-2, 2, 8, dtype=np.float32).reshape(2, 4)
    path = dezero.onnx.export(lambda v: Cube()(v), x, tmp_path / 'cube.onnx')
    got, = ort.InferenceSession(path, providers=['CPUExecutionProvider']).run(None, {'input': x})
    np.testing.assert_allclose(got, x ** 3, rtol=1e-6)


@needs_onnx
def test_batch_norm_in_training_mode_is_refused(tmp_path):
    bn = L.BatchNorm()

    def f(x):
        with dezero.using_config('train', True):
            return bn(x)
    with pytest.raises(NotImplementedError, match='BatchNorm ran in training mode.*node 0 of 1'):
        dezero.onnx.export(f, np.random.rand(4, 3).astype(np.float32), tmp_path / 'bn.onnx')


@needs_onnx
def test_dropout_is_exported_as_the_identity(tmp_path):
    x = np.random.RandomState(0).rand(4, 3).astype(np.float32)
    path = dezero.onnx.export(lambda v: F.dropout(v * 2, 0.5), x, tmp_path / 'd.onnx')
    assert [n.op_type for n in onnx.load(path).graph.node] == ['Mul']
    got, = ort.InferenceSession(path, providers=['CPUExecutionProvider']).run(None, {'input': x})
    np.testing.assert_array_equal(got, x * 2)


@needs_onnx
def test_get_item_with_two_index_arrays_or_an_array_apart_from_an_int_is_refused(tmp_path):
    with pytest.raises(NotImplementedError, match='more than one index array.*node 0 of 1'):
        dezero.onnx.export(lambda x: x[np.array([0, 1]), np.array([1, 0])], np.ones((2, 3), np.float32),
                           tmp_path / 'g.onnx')
    with pytest.raises(NotImplementedError, match='an index array and an int apart'):
        dezero.onnx.export(lambda x: x[:, 0, :, [1, 0]], np.ones((2, 3, 4, 5), np.float32),
                           tmp_path / 'g.onnx')


@needs_onnx
def test_a_shape_holding_the_batch_size_warns(tmp_path):
    x = np.ones((2, 6), np.float32)
    with pytest.warns(UserWarning, match='Reshape reshapes .* batch size'):
        dezero.onnx.export(lambda v: F.reshape(v, (3, 4)), x, tmp_path / 'w.onnx')
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        dezero.onnx.export(lambda v: F.reshape(v, (3, 4)), x, tmp_path / 'w.onnx', dynamic_batch=False)
        dezero.onnx.export(lambda v: F.reshape(v, (-1, 3)), x, tmp_path / 'w.onnx')


@needs_onnx
@pytest.mark.parametrize('kwargs, match', [
    (dict(opset=12), 'opset must be an int from 13'),
    (dict(input_names=['a', 'b']), 'input_names must be 1 different'),
    (dict(output_names=['input']), 'both an input and an output'),
    (dict(dynamic_batch=[True, False]), 'dynamic_batch must be True, False or one bool per input'),
])
def test_bad_arguments_are_named(kwargs, match, tmp_path):
    with pytest.raises(ValueError, match=match):
        dezero.onnx.export(lambda x: x * 2, np.ones((2, 3), np.float32), tmp_path / 'x.onnx', **kwargs)


@needs_onnx
def test_bad_inputs_and_outputs_are_named(tmp_path):
    with pytest.raises(TypeError, match='example input 0 must be a NumPy array'):
        dezero.onnx.export(lambda x: x, ['text'], tmp_path / 'x.onnx')
    with pytest.raises(TypeError, match='must return a Variable'):
        dezero.onnx.export(lambda x: x.data, np.ones(3, np.float32), tmp_path / 'x.onnx')
    with pytest.raises(ValueError, match=r'different sizes on axis 0 \(\[2, 3\]\)'):
        dezero.onnx.export(lambda x, y: x, [np.ones((2, 1)), np.ones((3, 1))], tmp_path / 'x.onnx')


def test_without_the_extra_the_error_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, 'onnx', None)
    with pytest.raises(ImportError, match=r'pip install -e "\.\[onnx\]"'):
        dezero.onnx.export(lambda x: x, np.ones(2), tmp_path / 'x.onnx')
