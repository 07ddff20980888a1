"""The GPU path end to end, and the GPU helpers of dezero.cuda.

The tests marked ``needs_gpu`` run only with CuPy and a device (they are skipped with the reason
"needs CuPy and a GPU"); each compares the GPU against the CPU on the same numbers. The per-op
checks on the GPU come from the harness (tests/harness.py adds the 'gpu' device). The other tests
run on the CPU: a device mix-up names both devices (with a stand-in for a GPU array).
"""
import os
import subprocess
import sys
import types

import numpy as np
import pytest

import dezero
import dezero.functions as F
import dezero.layers as L
from dezero import DataLoader, SeqDataLoader, Variable, cuda, functional, models, optimizers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _gpu_available():
    try:
        return cuda.gpu_enable and cuda.cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


GPU = _gpu_available()
needs_gpu = pytest.mark.skipif(not GPU, reason='needs CuPy and a GPU')


def _train(model, optimizer, x, t, steps):
    """``steps`` updates on one batch; the losses as Python floats."""
    losses = []
    for _ in range(steps):
        loss = F.softmax_cross_entropy(model(x), t)
        model.cleargrads()
        loss.backward()
        optimizer.update()
        losses.append(float(loss.data))
    return losses


def _gpu_twin(make_model, x):
    """(a model on the CPU, the same model on the GPU), with equal weights."""
    cpu = make_model()
    with dezero.test_mode():
        cpu(x)                                 # creates the lazy weights (and nothing else)
    gpu = make_model()
    gpu.load_state_dict(cpu.state_dict())
    gpu.to_gpu()
    return cpu, gpu


def _assert_same_params(cpu, gpu, rtol=1e-4, atol=1e-5):
    for (name, pc), (_, pg) in zip(cpu.named_params(), gpu.named_params()):
        assert cuda.is_cupy_array(pg.data), f'{name} left the GPU'
        np.testing.assert_allclose(cuda.as_numpy(pg.data), pc.data, rtol=rtol, atol=atol, err_msg=name)


class SmallCNN(dezero.Model):
    """conv, batch norm, max pooling, deconv, average pooling and linear: every image layer once."""

    def __init__(self):
        super().__init__()
        self.conv = L.Conv2d(4, 3, pad=1)
        self.bn = L.BatchNorm()
        self.deconv = L.Deconv2d(3, 2, stride=2)
        self.fc = L.Linear(3)

    def forward(self, x):
        h = F.pooling(F.relu(self.bn(self.conv(x))), 2, 2)
        h = F.average_pooling(F.tanh(self.deconv(h)), 2, 2)
        return self.fc(F.flatten(h))


OPTIMIZERS = [lambda: optimizers.SGD(0.1), lambda: optimizers.MomentumSGD(0.1),
              lambda: optimizers.Nesterov(0.1), lambda: optimizers.AdaGrad(0.05),
              lambda: optimizers.AdaDelta(), lambda: optimizers.RMSProp(0.01),
              lambda: optimizers.Adam(0.01), lambda: optimizers.AdamW(0.01)]


# =============================================================================
# Training on the GPU gives the CPU's numbers
# =============================================================================
@needs_gpu
@pytest.mark.parametrize('activation', [F.relu, F.sigmoid, F.tanh], ids=['relu', 'sigmoid', 'tanh'])
def test_mlp_training_on_gpu_matches_cpu(activation):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 8)).astype(np.float32)
    t = rng.integers(0, 4, 16)
    for make_optimizer in OPTIMIZERS:
        np.random.seed(0)
        cpu, gpu = _gpu_twin(lambda: models.MLP((12, 4), activation=activation), x)
        opts = []
        for model in (cpu, gpu):
            opt = make_optimizer().setup(model)
            opt.add_hook(optimizers.WeightDecay(1e-3))
            opt.add_hook(optimizers.ClipGrad(1.0))
            opts.append(opt)
        losses_cpu = _train(cpu, opts[0], x, t, 3)
        losses_gpu = _train(gpu, opts[1], cuda.as_cupy(x), cuda.as_cupy(t), 3)
        name = type(opts[0]).__name__
        np.testing.assert_allclose(losses_gpu, losses_cpu, rtol=1e-5, atol=1e-6, err_msg=name)
        _assert_same_params(cpu, gpu)
        for state in opts[1]._state_names:
            assert all(cuda.is_cupy_array(a) for a in getattr(opts[1], state).values()), name


@needs_gpu
def test_cnn_training_on_gpu_matches_cpu():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 2, 8, 8)).astype(np.float32)
    t = rng.integers(0, 3, 4)
    np.random.seed(0)
    cpu, gpu = _gpu_twin(SmallCNN, x)
    losses_cpu = _train(cpu, optimizers.MomentumSGD(0.05).setup(cpu), x, t, 3)
    losses_gpu = _train(gpu, optimizers.MomentumSGD(0.05).setup(gpu), cuda.as_cupy(x), cuda.as_cupy(t), 3)
    np.testing.assert_allclose(losses_gpu, losses_cpu, rtol=1e-5, atol=1e-6)
    _assert_same_params(cpu, gpu)          # batch norm's running statistics included
    with dezero.test_mode():
        y_cpu, y_gpu = cpu(x), gpu(cuda.as_cupy(x))
    assert cuda.is_cupy_array(y_gpu.data)
    np.testing.assert_allclose(cuda.as_numpy(y_gpu.data), y_cpu.data, rtol=1e-4, atol=1e-5)


@needs_gpu
def test_gpu_model_and_optimizer_save_and_load(tmp_path):
    rng = np.random.default_rng(2)
    x = cuda.as_cupy(rng.standard_normal((4, 2, 8, 8)).astype(np.float32))
    t = cuda.as_cupy(rng.integers(0, 3, 4))
    np.random.seed(0)
    model = SmallCNN()
    model.to_gpu()
    optimizer = optimizers.Adam(0.01).setup(model)
    _train(model, optimizer, x, t, 2)
    path = model.save_weights(tmp_path / 'weights')
    optimizer.save_state(tmp_path / 'adam')
    assert all(cuda.is_cupy_array(p.data) for p in model.params()), 'saving moved the model'

    fresh = SmallCNN()                     # lazy: its weights are created by the load, on the GPU
    fresh.to_gpu()
    fresh.load_weights(path)
    on_cpu = SmallCNN()
    on_cpu.load_weights(path)
    for (name, p), q, r in zip(model.named_params(), fresh.params(), on_cpu.params()):
        assert cuda.is_cupy_array(q.data) and isinstance(r.data, np.ndarray), name
        np.testing.assert_array_equal(cuda.as_numpy(q.data), cuda.as_numpy(p.data), err_msg=name)
        np.testing.assert_array_equal(r.data, cuda.as_numpy(p.data), err_msg=name)

    fresh_optimizer = optimizers.Adam(0.01).setup(fresh)
    fresh_optimizer.load_state(tmp_path / 'adam.npz')
    assert all(cuda.is_cupy_array(a) for a in fresh_optimizer.ms.values())
    np.testing.assert_allclose(_train(fresh, fresh_optimizer, x, t, 2), _train(model, optimizer, x, t, 2),
                               rtol=1e-6)


@needs_gpu
def test_dataloader_gives_gpu_batches_that_train():
    data = [(np.full(3, i, dtype=np.float32), i % 2) for i in range(10)]
    loader = DataLoader(data, 4, shuffle=False, gpu=True)
    batches = list(loader)
    assert len(batches) == 3
    for x, t in batches:
        assert cuda.is_cupy_array(x) and cuda.is_cupy_array(t)
    np.testing.assert_array_equal(cuda.as_numpy(batches[0][0]), np.repeat(np.arange(4.0), 3).reshape(4, 3))
    np.testing.assert_array_equal(cuda.as_numpy(batches[2][1]), [0, 1])

    loader = DataLoader(data, 4, shuffle=True)
    loader.to_gpu()
    x, t = next(iter(loader))
    assert cuda.is_cupy_array(x) and cuda.is_cupy_array(t)
    loader.to_cpu()
    x, t = next(iter(loader))
    assert isinstance(x, np.ndarray) and isinstance(t, np.ndarray)

    x, t = next(iter(SeqDataLoader(data, 2, gpu=True)))
    assert cuda.is_cupy_array(x) and cuda.is_cupy_array(t)

    model = models.MLP((5, 2))
    model.to_gpu()
    optimizer = optimizers.SGD(0.1).setup(model)
    for x, t in DataLoader(data, 5, gpu=True):
        _train(model, optimizer, x, t, 1)
    assert all(cuda.is_cupy_array(p.data) for p in model.params())


# =============================================================================
# Functions with a GPU path of their own
# =============================================================================
@needs_gpu
def test_higher_order_gradients_on_gpu():
    cp = cuda.cupy
    x = Variable(cp.array(2.0))
    y = x ** 4 - 2 * x ** 2
    y.backward(create_graph=True)
    assert cuda.is_cupy_array(x.grad.data)
    np.testing.assert_allclose(float(x.grad.data), 24.0, rtol=1e-12)
    for expected in (44.0, 48.0):          # the second and third derivatives
        gx = x.grad
        x.cleargrad()
        gx.backward(create_graph=True)
        assert cuda.is_cupy_array(x.grad.data)
        np.testing.assert_allclose(float(x.grad.data), expected, rtol=1e-12)

    H = functional.hessian(lambda v: F.sum(v ** 3), cp.array([1.0, 2.0]))
    assert cuda.is_cupy_array(H.data)
    np.testing.assert_allclose(cuda.as_numpy(H.data), [[6.0, 0.0], [0.0, 12.0]], rtol=1e-12)

    # A gradient penalty: the parameters' gradient of |d loss / d x|^2, through conv and pooling.
    rng = np.random.default_rng(3)
    x_np = rng.standard_normal((2, 2, 6, 6))
    W_np = rng.standard_normal((3, 2, 3, 3))
    results = []
    for to in (np.asarray, cuda.as_cupy):
        x, W = Variable(to(x_np)), Variable(to(W_np))
        h = F.pooling(F.tanh(F.conv2d(x, W, pad=1)), 2, 2)
        gx = dezero.grad(F.sum(h * h), x, create_graph=True)
        gW = dezero.grad(F.sum(gx * gx), W)
        results.append(cuda.as_numpy(gW.data))
    np.testing.assert_allclose(results[1], results[0], rtol=1e-8, atol=1e-12)


@needs_gpu
def test_get_item_and_embed_id_accumulate_repeated_indices_on_gpu():
    cp = cuda.cupy
    W = np.arange(12.0, dtype=np.float32).reshape(4, 3)
    ids = np.array([[1, 3], [1, 1]])
    weights = np.arange(1.0, 13.0, dtype=np.float32).reshape(2, 2, 3)
    expected = np.zeros_like(W)
    np.add.at(expected, ids, weights)
    for index in (cp.asarray(ids), ids):   # device ids, and host ids for a GPU Variable
        Wv = Variable(cp.asarray(W))
        y = F.embed_id(index, Wv)
        np.testing.assert_array_equal(cuda.as_numpy(y.data), W[ids])
        F.sum(y * Variable(cp.asarray(weights))).backward()
        assert cuda.is_cupy_array(Wv.grad.data)
        np.testing.assert_array_equal(cuda.as_numpy(Wv.grad.data), expected)

    x = Variable(cp.arange(6.0).reshape(2, 3))
    F.sum(x[cp.array([0, 1, 1]), cp.array([2, 2, 2])]).backward()
    np.testing.assert_array_equal(cuda.as_numpy(x.grad.data), [[0, 0, 1], [0, 0, 2]])
    x.cleargrad()
    F.sum(x[cp.array([True, False])]).backward()
    np.testing.assert_array_equal(cuda.as_numpy(x.grad.data), [[1, 1, 1], [0, 0, 0]])

    x.cleargrad()                          # second order: GetItemGrad's backward is get_item
    gx = dezero.grad(F.sum(x[cp.array([0, 0])] ** 2), x, create_graph=True)
    F.sum(gx * gx).backward()
    np.testing.assert_array_equal(cuda.as_numpy(x.grad.data), [[0, 32, 64], [0, 0, 0]])

    layer = L.EmbedID(5, 3, dtype=np.float32)
    layer.to_gpu()
    F.sum(layer(cp.array([[0, 4], [4, 4]]))).backward()
    np.testing.assert_array_equal(cuda.as_numpy(layer.W.grad.data)[:, 0], [1, 0, 0, 0, 3])


@needs_gpu
@pytest.mark.parametrize('kernel,stride,pad', [(2, 2, 0), (3, 1, 1), ((3, 2), (2, 1), (1, 0))])
def test_max_pooling_on_gpu_matches_cpu_to_second_order(kernel, stride, pad):
    """§6 bug 34: the original gathered with a host np.arange on the GPU."""
    rng = np.random.default_rng(4)
    x_np = rng.standard_normal((2, 3, 7, 6)).astype(np.float32)
    y_shape = F.pooling(x_np, kernel, stride, pad).shape
    gy_np = rng.standard_normal(y_shape).astype(np.float32)
    v_np = rng.standard_normal(x_np.shape).astype(np.float32)
    results = []
    for to in (np.asarray, cuda.as_cupy):
        x, gy, v = Variable(to(x_np)), Variable(to(gy_np)), Variable(to(v_np))
        y = F.pooling(x, kernel, stride, pad)
        gx = dezero.grad(F.sum(y * gy), x, create_graph=True)
        ggy = dezero.grad(F.sum(gx * v), gy)       # through Pooling2DWithIndexes
        assert cuda.is_cupy_array(ggy.data) == (to is cuda.as_cupy)
        results.append([cuda.as_numpy(a.data) for a in (y, gx, ggy)])
    for got, expected in zip(results[1], results[0]):
        np.testing.assert_array_equal(got, expected)


@needs_gpu
def test_dropout_draws_its_mask_on_the_gpu():
    cp = cuda.cupy
    cp.random.seed(0)
    x = Variable(cp.ones((200, 10), dtype=np.float32))
    y = F.dropout(x, 0.3)
    assert cuda.is_cupy_array(y.data) and y.dtype == np.float32
    values = np.unique(cuda.as_numpy(y.data))
    np.testing.assert_allclose(values, [0.0, 1 / 0.7], rtol=1e-6)
    y.backward()
    np.testing.assert_array_equal(cuda.as_numpy(x.grad.data), cuda.as_numpy(y.data))
    with dezero.test_mode():
        assert L.Dropout(0.3)(x) is x


@needs_gpu
def test_mixing_cpu_and_gpu_arrays_names_both_devices():
    cp = cuda.cupy
    a, b = Variable(cp.ones(3, dtype=np.float32)), Variable(np.ones(3, dtype=np.float32))
    for mixed in (lambda: a + b, lambda: b * a, lambda: F.matmul(F.reshape(a, (1, 3)), np.ones((3, 2)))):
        with pytest.raises(TypeError, match='arrays on different devices') as info:
            mixed()
        assert 'GPU 0' in str(info.value) and 'CPU' in str(info.value)
    model = models.MLP((4, 2))
    model(np.ones((1, 3), dtype=np.float32))
    model.to_gpu()
    with pytest.raises(TypeError, match=r'Linear: arrays on different devices.*CPU'):
        model(np.ones((1, 3), dtype=np.float32))


# =============================================================================
# On the CPU: a device mix-up names both devices
# =============================================================================
class FakeGPUArray(np.ndarray):
    """A stand-in for a CuPy array: it lives on 'GPU 0' and, like CuPy, refuses NumPy operands."""
    device = types.SimpleNamespace(id=0)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if any(type(a) is np.ndarray for a in inputs):
            raise TypeError(f'Unsupported type {np.ndarray}')
        inputs = [a.view(np.ndarray) if isinstance(a, FakeGPUArray) else a for a in inputs]
        return getattr(ufunc, method)(*inputs, **kwargs).view(FakeGPUArray)


def test_device_names():
    assert cuda.device_name(np.zeros(2)) == 'CPU'
    assert cuda.device_name(Variable(np.zeros(2))) == 'CPU'
    assert cuda.device_name(np.zeros(2).view(FakeGPUArray)) == 'GPU 0'
    assert cuda.device_name(2.0) == 'CPU'


def test_check_same_device_names_both_devices_and_the_arrays():
    gpu = np.ones((2, 3), dtype=np.float32).view(FakeGPUArray)
    cuda.check_same_device(np.ones(3), Variable(np.ones(2)), 1.5, name='Add')     # all on the CPU
    cuda.check_same_device(gpu, gpu, name='Add', state={'mask': gpu, 'scale': 2.0})
    with pytest.raises(TypeError) as info:
        cuda.check_same_device(np.ones(3), Variable(gpu), name='Mul')
    message = str(info.value)
    assert message.startswith('Mul: arrays on different devices: ')
    assert 'input 0 (float64 array of shape (3,)) is on CPU' in message
    assert 'input 1 (float32 array of shape (2, 3)) is on GPU 0' in message
    assert 'to_gpu()' in message
    with pytest.raises(TypeError, match=r"Dropout: .*input 0 .* is on GPU 0, mask .* is on CPU"):
        cuda.check_same_device(gpu, name='Dropout', state={'mask': np.ones(3), 'ratio': 0.5})


def test_a_function_mixing_devices_raises_the_clear_error():
    gpu = Variable(np.ones(3).view(FakeGPUArray))
    cpu = Variable(np.ones(3))
    with pytest.raises(TypeError, match=r'Add: arrays on different devices: input 0 .* is on CPU, '
                                        r'input 1 .* is on GPU 0'):
        cpu + gpu
    with pytest.raises(TypeError, match=r'Mul: arrays on different devices'):
        F.sum(gpu * cpu)


def test_a_backward_mixing_devices_raises_the_clear_error():
    x = Variable(np.linspace(0.0, 1.0, 3).view(FakeGPUArray))
    y = F.sin(x)
    y.grad = Variable(np.ones(3))          # a CPU seed for a GPU graph
    with pytest.raises(TypeError, match=r'Sin\.backward: arrays on different devices: input 0 .* is on '
                                        r'GPU 0, gradient 0 .* is on CPU'):
        y.backward()


def test_other_type_errors_keep_their_message():
    with pytest.raises(TypeError) as info:
        Variable(np.array(['a', 'b'])) * Variable(np.array(['c', 'd']))
    assert 'different devices' not in str(info.value)


# =============================================================================
# The GPU benchmark imports and explains itself on any machine
# =============================================================================
def _benchmark(*args, env=None):
    return subprocess.run([sys.executable, os.path.join(ROOT, 'benchmarks', 'gpu.py'), *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=120, env=env)


def test_gpu_benchmark_help():
    done = _benchmark('--help')
    assert done.returncode == 0, done.stderr
    for word in ('--quick', '--only', '--repeats', '--output', 'mlp100', 'mlp1000', 'conv2d', 'ops'):
        assert word in done.stdout


def test_gpu_benchmark_fails_fast_without_a_gpu():
    hidden = dict(os.environ, CUDA_VISIBLE_DEVICES='')      # no device, even on a GPU machine
    done = _benchmark('--quick', env=hidden)
    assert done.returncode != 0
    assert 'needs CuPy and an NVIDIA GPU' in done.stderr
