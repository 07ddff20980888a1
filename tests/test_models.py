"""Models: Sequential, MLP, Model.plot, and the image networks (structure, parameter counts,
pretrained loading from a small weight file made here, never from the network)."""
import os
import shutil
import urllib.request

import numpy as np
import pytest

import dezero
import dezero.functions as F
import dezero.layers as L
from dezero import models, utils
from dezero.models import MLP, Sequential

HAS_CONV = all(hasattr(F, name) for name in ('conv2d', 'pooling', 'average_pooling'))
needs_conv = pytest.mark.skipif(not HAS_CONV, reason='the convolution functions are not available yet')


@pytest.fixture
def offline(monkeypatch):
    calls = []

    def refuse(url, *args, **kwargs):
        calls.append(url)
        raise OSError('network disabled in tests')

    monkeypatch.setattr(urllib.request, 'urlopen', refuse)
    return calls


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv('DEZERO_HOME', str(tmp_path))
    return tmp_path


def test_sequential_mixes_layers_and_functions():
    model = Sequential(L.Linear(4), F.relu, lambda h: h * 2, L.Linear(2))
    x = np.random.rand(3, 5).astype(np.float32)
    y = model(x)
    expected = (np.maximum(x @ model.l0.W.data + model.l0.b.data, 0) * 2) @ model.l3.W.data + model.l3.b.data
    np.testing.assert_allclose(y.data, expected, rtol=1e-5)
    assert [k for k, _ in model.named_params()] == ['l0/W', 'l0/b', 'l3/W', 'l3/b']


def test_mlp_applies_the_activation_between_layers_only():
    np.random.seed(3)
    model = MLP((4, 3))
    x = np.random.rand(2, 5).astype(np.float32)
    y = model(x)
    h = 1 / (1 + np.exp(-(x @ model.l0.W.data + model.l0.b.data)))
    # float32 on both sides, summed in a different order: outputs near 0 need an absolute tolerance
    np.testing.assert_allclose(y.data, h @ model.l1.W.data + model.l1.b.data, rtol=1e-5, atol=1e-6)
    assert y.dtype == np.float32
    relu = MLP((4, 3), activation=F.relu)
    y = relu(x)
    h = np.maximum(x @ relu.l0.W.data + relu.l0.b.data, 0)
    np.testing.assert_allclose(y.data, h @ relu.l1.W.data + relu.l1.b.data, rtol=1e-5, atol=1e-6)


def test_book_step47_scores():
    """Step 47 prints variable([[-0.61505778 -0.42790161  0.31733289]]) for seed 0."""
    np.random.seed(0)
    model = MLP((10, 3))
    x = np.array([[0.2, -0.4]])
    np.testing.assert_allclose(model(x).data, [[-0.61505778, -0.42790161, 0.31733289]], rtol=1e-7)


def test_model_plot_writes_the_graph(tmp_path):
    model = MLP((3, 2))
    x = np.random.rand(1, 2).astype(np.float32)
    path = str(tmp_path / 'model.png')
    if shutil.which('dot') is None:
        with pytest.raises(utils.GraphvizNotFoundError):
            model.plot(x, to_file=path)
        assert os.path.exists(str(tmp_path / 'model.dot'))
    else:
        model.plot(x, to_file=path)
        with open(path, 'rb') as f:
            assert f.read(4) == b'\x89PNG'


# =============================================================================
# Image networks
# =============================================================================
def _count(model):
    return sum(p.data.size for p in model.params())


@needs_conv
@pytest.mark.slow
def test_vgg16_structure_and_parameter_count():
    model = models.VGG16()
    model.conv5_3.retain_outputs = True                           # what grad_cam reads
    with dezero.test_mode():
        y = model(np.random.rand(1, 3, 32, 32).astype(np.float32))
    assert y.shape == (1, 1000) and y.dtype == np.float32
    # 138,357,544 at 224x224; at 32x32 fc6 sees 512 inputs instead of 7 * 7 * 512.
    assert _count(model) == 138357544 - (7 * 7 * 512 - 512) * 4096
    assert model.conv5_3.outputs[0]().shape == (1, 512, 2, 2)
    assert model.conv5_2.outputs[0]() is None      # relu keeps only its output: this one is freed


@needs_conv
@pytest.mark.slow
def test_resnet50_parameter_count_includes_batchnorm_statistics():
    model = models.ResNet50()
    with dezero.test_mode(), dezero.no_grad():
        y = model(np.random.rand(1, 3, 32, 32).astype(np.float32))
    assert y.shape == (1, 1000) and y.dtype == np.float32
    assert _count(model) == 25610216
    keys = [k for k, _ in model.named_params()]
    assert 'res2/a/conv1/W' in keys and 'res2/b1/bn2/gamma' in keys and 'res5/b2/bn3/avg_var' in keys
    assert len(model.res4._forward) == 6


def test_resnet_depths():
    assert [len(getattr(models.ResNet101(), f'res{i}')._forward) for i in (2, 3, 4, 5)] == [3, 4, 23, 3]
    assert len(models.ResNet152().res3._forward) == 8
    with pytest.raises(ValueError, match='50, 101, or 152'):
        models.ResNet(34)


@needs_conv
def test_bottlenecks_shapes_and_strides():
    x = np.random.rand(2, 4, 8, 8).astype(np.float32)
    for fb in (False, True):
        a = models.BottleneckA(4, 2, 6, stride=2, downsample_fb=fb)
        y = a(x)
        assert y.shape == (2, 6, 4, 4)
        assert (a.conv1.stride, a.conv2.stride) == ((1, 2) if fb else (2, 1))
    b = models.BottleneckB(6, 3)
    z = b(y)
    assert z.shape == y.shape and np.all(z.data >= 0)
    block = models.BuildingBlock(3, 4, 2, 6, 1)
    assert block._forward == ['a', 'b1', 'b2'] and block(x).shape == (2, 6, 8, 8)


@needs_conv
def test_squeezenet_is_a_real_network():
    np.random.seed(0)
    model = models.SqueezeNet(n_classes=5)
    x = np.random.rand(2, 3, 32, 32).astype(np.float32)
    y = model(x)
    assert y.shape == (2, 5) and y.dtype == np.float32
    F.sum(y).backward()
    assert model.conv1.W.grad is not None and model.fire9.expand3x3.W.grad is not None
    full = models.SqueezeNet()
    with dezero.test_mode(), dezero.no_grad():
        full(x[:1])
    assert _count(full) == 1235496          # SqueezeNet 1.1
    with pytest.raises(ValueError, match='no pretrained weights'):
        models.SqueezeNet(pretrained=True)


def _vgg_weights_for_32x32():
    """VGG16's keys and shapes (fc6 sized for 32x32 inputs): zero weights, random biases."""
    rng = np.random.RandomState(0)
    weights, c_in = {}, 3
    for block, n, c in ((1, 2, 64), (2, 2, 128), (3, 3, 256), (4, 3, 512), (5, 3, 512)):
        for i in range(1, n + 1):
            weights[f'conv{block}_{i}/W'] = np.zeros((c, c_in, 3, 3), dtype=np.float32)
            weights[f'conv{block}_{i}/b'] = rng.rand(c).astype(np.float32)
            c_in = c
    for name, shape in (('fc6', (512, 4096)), ('fc7', (4096, 4096)), ('fc8', (4096, 1000))):
        weights[f'{name}/W'] = np.zeros(shape, dtype=np.float32)
        weights[f'{name}/b'] = rng.randn(shape[1]).astype(np.float32)
    weights['fc8/W'][:, :3] = rng.randn(4096, 3)
    return weights


@needs_conv
@pytest.mark.slow
def test_pretrained_vgg16_loads_from_the_cache_folder_offline(home, offline):
    weights = _vgg_weights_for_32x32()
    np.savez_compressed(home / 'vgg16.npz', **weights)
    model = models.VGG16(pretrained=True)
    assert offline == []
    np.testing.assert_array_equal(model.conv3_2.b.data, weights['conv3_2/b'])
    with dezero.test_mode(), dezero.no_grad():
        y = model(np.random.rand(2, 3, 32, 32).astype(np.float32))
    h7 = np.maximum(weights['fc7/b'], 0)               # zero weights: each layer passes on relu(bias)
    expected = h7 @ weights['fc8/W'] + weights['fc8/b']
    np.testing.assert_allclose(y.data, np.stack([expected, expected]), rtol=1e-5, atol=1e-4)


def test_pretrained_weights_offline_and_absent_name_the_file(home, offline, capsys):
    with pytest.raises(utils.DownloadError, match='resnet50.npz'):
        models.ResNet50(pretrained=True)
    assert offline == [models.ResNet.WEIGHTS_PATH.format(50)]


@pytest.mark.parametrize('damage, words', [
    ('truncated', 'truncated, corrupt or not an .npz archive'),
    ('empty', 'it is empty'),
    ('pickled', 'never unpickles'),
    ('wrong keys', 'missing keys: conv1_1/b'),
    ('wrong shape', 'conv1_1/W: checkpoint (64, 3, 5, 5), model (64, ?, 3, 3)'),
])
def test_a_damaged_cached_weights_file_is_reported_as_corrupt_naming_it(home, offline, capsys, damage, words):
    """No checksum of the pretrained files is published: their format is checked instead (an .npz read
    without pickle, the model's keys, the shapes its layers know), and a failure names the file."""
    path = home / 'vgg16.npz'
    if damage in ('truncated', 'empty'):
        np.savez(path, **{'conv1_1/W': np.zeros((64, 3, 3, 3), np.float32)})
        path.write_bytes(path.read_bytes()[:200] if damage == 'truncated' else b'')
    elif damage == 'pickled':
        np.savez(path, **{'conv1_1/W': np.array([None, 1], dtype=object)})
    else:
        W = np.zeros((64, 3, 5, 5) if damage == 'wrong shape' else (64, 3, 3, 3), np.float32)
        np.savez(path, **{'conv1_1/W': W, 'conv1_1/b': np.zeros(64, np.float32)})
        if damage == 'wrong keys':
            np.savez(path, **{'conv1_1/W': W})
    with pytest.raises(utils.DownloadError) as info:
        models.VGG16(pretrained=True)
    message = str(info.value)
    assert f'The copy already in the cache, {path}, is corrupt' in message and words in message
    assert f'{path} is corrupt' in capsys.readouterr().out
    assert offline == [models.VGG16.WEIGHTS_PATH]             # tried to download it again


def test_vgg16_preprocess():
    Image = pytest.importorskip('PIL.Image')
    img = Image.fromarray(np.full((10, 20, 3), (200, 100, 50), dtype=np.uint8))
    x = models.VGG16.preprocess(img, size=(8, 6))
    assert x.shape == (3, 6, 8) and x.dtype == np.float32
    np.testing.assert_allclose(x[:, 0, 0], [50 - 103.939, 100 - 116.779, 200 - 123.68], rtol=1e-5)


def test_package_exports_the_original_names():
    import dezero.dataloaders
    import dezero.datasets
    assert dezero.Layer is L.Layer and dezero.Model is models.Model
    assert dezero.Dataset is dezero.datasets.Dataset
    assert dezero.DataLoader is dezero.dataloaders.DataLoader
    assert dezero.SeqDataLoader is dezero.dataloaders.SeqDataLoader
    for name in ('datasets', 'dataloaders', 'optimizers', 'layers', 'transforms', 'models'):
        assert getattr(dezero, name).__name__ == 'dezero.' + name
