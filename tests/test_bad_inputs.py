"""Bad input to the public API: each gives a clear error that names the class, function or argument
and shows the offending value, shape or type, instead of a bare NumPy error or a silently wrong result.

``CASES`` is one table: (label, a callable that passes the bad input, the exception type expected, the
words its message must contain). Add a row for each new check. Tests below the table check that a
refused input changed nothing (running statistics, parameters, optimizer state).
"""
import os
import shutil
import tempfile

import numpy as np
import pytest

import dezero
import dezero.functions as F
import dezero.layers as L
from dezero import DataLoader, SeqDataLoader, Variable, datasets, optimizers as O, utils
from dezero.models import MLP


# ----------------------------------------------------------------------------- helpers for the rows
class Three(dezero.Dataset):
    def prepare(self):
        self.data, self.label = np.arange(3), np.arange(3)


def mlp():
    np.random.seed(0)
    model = MLP((5, 3))
    model(np.zeros((1, 2), dtype=np.float32))
    return model


def with_state(optimizer, **changes):
    """``optimizer`` set up on a trained MLP, loading its own state_dict with ``changes``."""
    model = mlp()
    optimizer.setup(model)
    model(np.ones((2, 2), dtype=np.float32)).sum().backward()
    optimizer.update()
    state = optimizer.state_dict()
    state.update(changes)
    return optimizer.load_state_dict(state)


SCRATCH = tempfile.mkdtemp(prefix='dezero_bad_inputs_')     # the rows' files; removed after the module


@pytest.fixture(scope='module', autouse=True)
def remove_scratch():
    yield
    shutil.rmtree(SCRATCH, ignore_errors=True)


def bad_file(content, suffix='.npz'):
    """The path of a new temporary file holding ``content`` (bytes)."""
    fd, path = tempfile.mkstemp(suffix=suffix, prefix='dezero_bad_', dir=SCRATCH)
    with os.fdopen(fd, 'wb') as f:
        f.write(content)
    return path


def folder_with(**files):
    """A new temporary folder holding the given files ({name: bytes})."""
    folder = tempfile.mkdtemp(prefix='dezero_root_', dir=SCRATCH)
    for name, content in files.items():
        with open(os.path.join(folder, name.replace('__', '-').replace('_dot_', '.')), 'wb') as f:
            f.write(content)
    return folder


def batchnorm(x, train=True):
    bn = L.BatchNorm()
    bn(np.random.randn(4, 3).astype(np.float32))
    with dezero.using_config('train', train):
        return bn(x)


X23 = np.ones((2, 3), dtype=np.float32)


def unrecorded():
    with dezero.no_grad():
        return Variable(np.ones(3)) * 2


def backward_with_seed(seed):
    y = Variable(np.ones(3)) * 2
    y.grad = Variable(seed)
    y.backward()


def linear_layer_fed_other_features():
    layer = L.Linear(5)
    layer(X23)
    layer(np.ones((2, 4), dtype=np.float32))


IMG = np.ones((1, 1, 4, 4))

CASES = [
    # ---- functions and the engine -----------------------------------------------------------------
    ('softmax_cross_entropy label -1', lambda: F.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, -1])),
     ValueError, ['softmax_cross_entropy', 'label -1', '3 classes']),
    ('softmax_cross_entropy label equal to C', lambda: F.softmax_cross_entropy(np.zeros((2, 3)), np.array([3, 0])),
     ValueError, ['softmax_cross_entropy', 'label 3', '3 classes', '[0, 2]']),
    ('softmax_cross_entropy float labels', lambda: F.softmax_cross_entropy(np.zeros((2, 3)), np.array([0., 1.])),
     TypeError, ['softmax_cross_entropy', 'integer', 'float64']),
    ('binary_cross_entropy p above 1', lambda: F.binary_cross_entropy(np.array([0.5, 1.2]), np.array([0., 1.])),
     ValueError, ['binary_cross_entropy', '[0, 1]', '1.2', 'sigmoid_cross_entropy']),
    ('binary_cross_entropy p below 0', lambda: F.binary_cross_entropy(np.array([-0.1, 0.5]), np.array([0., 1.])),
     ValueError, ['binary_cross_entropy', '-0.1']),
    ('embed_id negative id', lambda: F.embed_id(np.array([1, -1]), np.ones((3, 2))), IndexError,
     ['embed_id', 'id -1', '3 rows']),
    ('embed_id id too large', lambda: F.embed_id(np.array([3]), np.ones((3, 2))), IndexError, ['embed_id', 'id 3']),
    ('backward of a result computed under no_grad', lambda: unrecorded().backward(), RuntimeError,
     ['backward', 'no graph was recorded', 'no_grad']),
    ('backward with a seed of another shape', lambda: backward_with_seed(np.ones(2)), ValueError,
     ['backward', 'seed', '(2,)', '(3,)']),
    ('grad with a seed of another shape', lambda: dezero.grad(Variable(np.ones(3)) * 2, Variable(np.ones(3)),
                                                             np.ones(2)), ValueError, ['grad', '(2,)', '(3,)']),
    ('reshape to a float size', lambda: F.reshape(np.ones(6), (2, 3.0)), TypeError, ['reshape', 'shape', '3.0']),
    ('reshape with two -1', lambda: F.reshape(np.ones(6), (-1, -1)), ValueError, ['reshape', '(-1, -1)', 'one -1']),
    ('reshape to another size', lambda: F.reshape(np.ones(6), (4, 2)), ValueError, ['reshape', '(6,)', '(4, 2)']),
    ('sum over axis a', lambda: F.sum(np.ones((2, 3)), axis='a'), TypeError, ['sum', "'a'", 'axis']),
    ('sum over an axis out of range', lambda: F.sum(np.ones((2, 3)), axis=2), ValueError,
     ['sum', 'axis 2', '2 dimensions']),
    ('max over a repeated axis', lambda: F.max(np.ones((2, 3)), axis=(1, -1)), ValueError, ['max', 'repeated']),
    ('broadcast_to an incompatible shape', lambda: F.broadcast_to(np.ones((2, 3)), (3, 3)), ValueError,
     ['broadcast_to', '(2, 3)', '(3, 3)']),
    ('transpose with axes that are no permutation', lambda: F.transpose(np.ones((2, 3)), (0, 0)), ValueError,
     ['transpose', '(0, 0)']),
    ('matmul of mismatched shapes', lambda: F.matmul(np.ones((2, 3)), np.ones((4, 5))), ValueError,
     ['matmul', '(2, 3)', '(4, 5)']),
    ('linear of mismatched shapes', lambda: F.linear(np.ones((2, 3)), np.ones((4, 5))), ValueError,
     ['linear', '(2, 3)', '(4, 5)']),
    ('linear with a bias of another size', lambda: F.linear(np.ones((2, 3)), np.ones((3, 5)), np.ones(4)),
     ValueError, ['linear', 'b of shape (4,)', '(5,)']),
    ('Linear layer fed other features', linear_layer_fed_other_features, ValueError,
     ['Linear', '3 input features', '(2, 4)']),
    ('layer_norm of a 0-d input', lambda: F.layer_norm(np.array(1.0)), ValueError, ['layer_norm', '0-d']),
    ('concat of nothing', lambda: F.concat([]), ValueError, ['concat', 'non-empty']),
    ('stack of a Variable instead of a list', lambda: F.stack(Variable(np.ones(2))), ValueError, ['stack', 'list']),
    ('accuracy of labels that do not fit', lambda: F.accuracy(np.ones((3, 2)), np.array([0, 1, 1, 0])), ValueError,
     ['accuracy', '(3, 2)', '(4,)']),
    ('clip with x_min above x_max', lambda: F.clip(np.ones(3), 1.0, 0.0), ValueError, ['clip', 'x_min', '1.0']),
    ('huber_loss with delta 0', lambda: F.huber_loss(np.ones(3), np.zeros(3), delta=0), ValueError,
     ['huber_loss', 'delta', '0']),
    ('conv2d with stride 0', lambda: F.conv2d(IMG, np.ones((1, 1, 3, 3)), stride=0), ValueError,
     ['conv2d', 'stride (0, 0)', 'positive']),
    ('conv2d with a negative pad', lambda: F.conv2d(IMG, np.ones((1, 1, 3, 3)), pad=-1), ValueError,
     ['conv2d', 'pad (-1, -1)']),
    ('deconv2d with stride 0', lambda: F.deconv2d(IMG, np.ones((1, 1, 3, 3)), stride=(1, 0)), ValueError,
     ['deconv2d', 'stride (1, 0)']),
    ('pooling with stride 0', lambda: F.pooling(IMG, 2, stride=0), ValueError, ['pooling', 'stride (0, 0)']),
    ('average_pooling with a negative pad', lambda: F.average_pooling(IMG, 2, pad=-1), ValueError,
     ['average_pooling', 'pad (-1, -1)']),
    ('pooling with a 0 kernel', lambda: F.pooling(IMG, 0), ValueError, ['pooling', 'kernel size (0, 0)']),
    ('conv2d with a 3-element stride', lambda: F.conv2d(IMG, np.ones((1, 1, 3, 3)), stride=(1, 1, 1)), ValueError,
     ['pair of ints', '(1, 1, 1)']),
    # ---- optimizers: hyperparameters are checked when set -------------------------------------
    ('SGD lr negative', lambda: O.SGD(lr=-0.1), ValueError, ['SGD', 'lr', '>= 0', '-0.1']),
    ('SGD lr nan', lambda: O.SGD(lr=float('nan')), ValueError, ['SGD', 'lr', 'finite', 'nan']),
    ('SGD lr inf', lambda: O.SGD(lr=float('inf')), ValueError, ['SGD', 'lr', 'finite', 'inf']),
    ('SGD lr a string', lambda: O.SGD(lr='0.1'), TypeError, ['SGD', 'lr', 'real number', "'0.1'", 'str']),
    ('SGD lr a bool', lambda: O.SGD(lr=True), TypeError, ['SGD', 'lr', 'True', 'bool']),
    ('SGD lr assigned later', lambda: setattr(O.SGD(), 'lr', -1), ValueError, ['SGD', 'lr', '-1']),
    ('MomentumSGD momentum negative', lambda: O.MomentumSGD(momentum=-1), ValueError,
     ['MomentumSGD', 'momentum', '[0, 1)', '-1']),
    ('MomentumSGD momentum 1', lambda: O.MomentumSGD(momentum=1.0), ValueError, ['momentum', '[0, 1)', '1.0']),
    ('Nesterov momentum assigned later', lambda: setattr(O.Nesterov(), 'momentum', 2), ValueError,
     ['Nesterov', 'momentum', '2']),
    ('Adam beta1 above 1', lambda: O.Adam(beta1=1.5), ValueError, ['Adam', 'beta1', '[0, 1)', '1.5']),
    ('Adam beta1 exactly 1', lambda: O.Adam(beta1=1.0), ValueError, ['Adam', 'beta1', '1.0']),
    ('Adam beta2 negative', lambda: O.Adam(beta2=-0.1), ValueError, ['Adam', 'beta2', '-0.1']),
    ('Adam eps negative', lambda: O.Adam(eps=-1e-8), ValueError, ['Adam', 'eps', '>= 0', '-1e-08']),
    ('Adam alpha negative', lambda: O.Adam(alpha=-0.001), ValueError, ['Adam', 'alpha', '-0.001']),
    ('Adam lr is read-only', lambda: setattr(O.Adam(), 'lr', 0.1), AttributeError, ['Adam', 'lr', 'alpha']),
    ('AdamW weight_decay negative', lambda: O.AdamW(weight_decay=-0.01), ValueError,
     ['AdamW', 'weight_decay', '-0.01']),
    ('AdaGrad eps negative', lambda: O.AdaGrad(eps=-1), ValueError, ['AdaGrad', 'eps', '-1']),
    ('AdaDelta rho above 1', lambda: O.AdaDelta(rho=1.5), ValueError, ['AdaDelta', 'rho', '1.5']),
    ('RMSProp decay_rate above 1', lambda: O.RMSProp(decay_rate=2), ValueError, ['RMSProp', 'decay_rate', '2']),
    ('ClipGrad max_norm 0', lambda: O.ClipGrad(0), ValueError, ['ClipGrad', 'max_norm', '> 0', '0']),
    ('ClipGrad max_norm negative', lambda: O.ClipGrad(-1.0), ValueError, ['ClipGrad', 'max_norm', '-1.0']),
    ('ClipGrad max_norm a string', lambda: O.ClipGrad('1'), TypeError, ['ClipGrad', 'max_norm', "'1'"]),
    ('WeightDecay rate negative', lambda: O.WeightDecay(-1e-4), ValueError, ['WeightDecay', 'rate', '-0.0001']),
    ('setup of an array', lambda: O.SGD().setup(np.ones(3)), TypeError, ['SGD.setup', 'Layer', 'ndarray']),
    ('setup of None', lambda: O.Adam().setup(None), TypeError, ['Adam.setup', 'NoneType']),
    ('ExponentialLR gamma negative', lambda: O.ExponentialLR(O.SGD(), gamma=-1.0), ValueError,
     ['ExponentialLR', 'gamma', '-1.0']),
    ('StepLR step_size a float', lambda: O.StepLR(O.SGD(), step_size=1.5), TypeError,
     ['StepLR', 'step_size', '1.5']),
    ('CosineAnnealingLR eta_min negative', lambda: O.CosineAnnealingLR(O.SGD(), T_max=5, eta_min=-1), ValueError,
     ['CosineAnnealingLR', 'eta_min', '-1']),
    ('LinearWarmup start_factor negative', lambda: O.LinearWarmup(O.SGD(), 3, start_factor=-0.5), ValueError,
     ['LinearWarmup', 'start_factor', '-0.5']),
    ('a scheduler on something else', lambda: O.StepLR(object(), 2), TypeError, ['StepLR', 'Optimizer', 'object']),
    # ---- optimizer state: all or nothing -------------------------------------------------------
    ('optimizer state with a negative lr', lambda: with_state(O.MomentumSGD(), lr=np.asarray(-5.0)),
     utils.CheckpointError, ['MomentumSGD', 'lr', '-5.0']),
    ('optimizer state of another optimizer', lambda: with_state(O.SGD(), momentum=np.asarray(0.9)),
     utils.CheckpointError, ['SGD', "unknown hyperparameter 'momentum'"]),
    ('optimizer state for a parameter the model lacks',
     lambda: with_state(O.MomentumSGD(), **{'vs/l9/W': np.zeros(3)}), KeyError, ['vs/l9/W', 'no parameter l9/W']),
    ('optimizer state with a wrong-shape buffer',
     lambda: with_state(O.MomentumSGD(), **{'vs/l0/W': np.zeros((7, 7))}), utils.CheckpointError,
     ['vs/l0/W', '(7, 7)', '(2, 5)']),
    ('optimizer state with an unknown state name', lambda: with_state(O.Adam(), **{'hs/l0/W': np.zeros((2, 5))}),
     utils.CheckpointError, ['Adam', "no state named 'hs'", 'ms, vs']),
    ('optimizer state with a string buffer',
     lambda: with_state(O.MomentumSGD(), **{'vs/l0/W': np.full((2, 5), 'x')}), utils.CheckpointError,
     ['vs/l0/W', 'not an array of numbers']),
    ('optimizer state with a negative t', lambda: with_state(O.Adam(), t=np.asarray(-1)), utils.CheckpointError,
     ['Adam', 't must be a non-negative int', '-1']),
    ('optimizer-state file empty', lambda: O.SGD().setup(mlp()).load_state(bad_file(b'')), utils.CheckpointError,
     ['optimizer-state file', 'dezero_bad_', 'empty']),
    ('optimizer-state file truncated', lambda: O.SGD().setup(mlp()).load_state(bad_file(b'PK\x03\x04 cut')),
     utils.CheckpointError, ['optimizer-state file', 'dezero_bad_', 'truncated']),
    # ---- data loaders and datasets --------------------------------------------------------------
    ('SeqDataLoader batch_size above the data', lambda: SeqDataLoader(Three(), batch_size=5), ValueError,
     ['SeqDataLoader', 'batch_size 5', '3 examples', 'identical']),
    ('DataLoader batch_size a string', lambda: DataLoader(Three(), batch_size='2'), TypeError,
     ['DataLoader', 'batch_size', "'2'", 'str']),
    ('DataLoader batch_size a float', lambda: DataLoader(Three(), batch_size=2.5), TypeError,
     ['DataLoader', 'batch_size', '2.5']),
    ('DataLoader batch_size 0', lambda: DataLoader(Three(), batch_size=0), ValueError,
     ['DataLoader', 'batch_size', '0']),
    ('DataLoader batch_size negative', lambda: DataLoader(Three(), batch_size=-4), ValueError, ['batch_size', '-4']),
    ('DataLoader batch_size None', lambda: DataLoader(Three(), batch_size=None), TypeError, ['batch_size', 'None']),
    ('DataLoader batch_size a bool', lambda: DataLoader(Three(), batch_size=True), TypeError, ['batch_size', 'bool']),
    ('DataLoader of a number', lambda: DataLoader(5, batch_size=2), TypeError, ['DataLoader', 'dataset', 'int']),
    ('Dataset transform not callable', lambda: Three(transform='abc'), TypeError,
     ['Three', 'transform', 'callable', "'abc'"]),
    ('Dataset target_transform not callable', lambda: Three(target_transform=3), TypeError,
     ['Three', 'target_transform', '3']),
    ('MNIST transform not callable', lambda: datasets.MNIST(transform='flatten'), TypeError,
     ['MNIST', 'transform', "'flatten'"]),
    ('CIFAR10 root with only the pickled archive',
     lambda: datasets.CIFAR10(root=folder_with(cifar__10__python_dot_tar_dot_gz=b'\x80\x04 evil')),
     FileNotFoundError, ['CIFAR10', 'cifar-10-binary.tar.gz: missing', 'cifar-10-python.tar.gz is there', 'pickled']),
    ('CIFAR10 root with a broken archive',
     lambda: datasets.CIFAR10(train=False, root=folder_with(cifar__10__binary_dot_tar_dot_gz=b'not gzip')),
     ValueError, ['cifar-10-binary.tar.gz', 'not a .tar.gz archive']),
    ('Shakespeare root with one character', lambda: datasets.Shakespeare(root=folder_with(shakespear_dot_txt=b'a')),
     ValueError, ['shakespear.txt', '1 characters', 'at least 2']),
    ('Shakespeare root not UTF-8', lambda: datasets.Shakespeare(root=folder_with(shakespear_dot_txt=b'\xff\xfe\xfa')),
     ValueError, ['shakespear.txt', 'not UTF-8']),
    ('ImageNet labels file of code',
     lambda: datasets.ImageNet.labels(root=folder_with(imagenet1000_clsidx_to_labels_dot_txt=b'__import__("os")')),
     ValueError, ['imagenet1000_clsidx_to_labels.txt', 'does not hold a dict of labels']),
    ('get_file timeout 0', lambda: utils.get_file('http://127.0.0.1:9/x.bin', timeout=0), ValueError,
     ['get_file', 'timeout', 'positive', '0']),
    # ---- layers and models ----------------------------------------------------------------------
    ('Linear out_size 0', lambda: L.Linear(0), ValueError, ['Linear', 'out_size', 'positive int', '0']),
    ('Linear out_size negative', lambda: L.Linear(-3), ValueError, ['Linear', 'out_size', '-3']),
    ('Linear out_size a float', lambda: L.Linear(2.5), TypeError, ['Linear', 'out_size', '2.5']),
    ('Linear out_size a string', lambda: L.Linear('3'), TypeError, ['Linear', 'out_size', "'3'", 'str']),
    ('Linear out_size None', lambda: L.Linear(None), TypeError, ['Linear', 'out_size', 'None']),
    ('Linear in_size 0', lambda: L.Linear(3, in_size=0), ValueError, ['Linear', 'in_size', '0']),
    ('Linear in_size a float', lambda: L.Linear(3, in_size=2.0), TypeError, ['Linear', 'in_size', '2.0']),
    ('Conv2d out_channels 0', lambda: L.Conv2d(0, 3), ValueError, ['Conv2d', 'out_channels', '0']),
    ('Deconv2d in_channels a float', lambda: L.Deconv2d(4, 3, in_channels=2.0), TypeError,
     ['Deconv2d', 'in_channels', '2.0']),
    ('MLP of an empty tuple', lambda: MLP(()), TypeError, ['MLP', 'fc_output_sizes', 'non-empty', '()']),
    ('MLP of an empty list', lambda: MLP([]), TypeError, ['MLP', 'fc_output_sizes', '[]']),
    ('MLP of an int', lambda: MLP(10), TypeError, ['MLP', 'fc_output_sizes', '(10, 3)', 'got 10']),
    ('MLP with a size 0', lambda: MLP((10, 0)), ValueError, ['MLP', 'fc_output_sizes[1]', '0']),
    ('MLP with a negative size', lambda: MLP((10, -1)), ValueError, ['MLP', 'fc_output_sizes[1]', '-1']),
    ('MLP with a string size', lambda: MLP((10, '3')), TypeError, ['MLP', 'fc_output_sizes[1]', "'3'"]),
    ('MLP activation not callable', lambda: MLP((10, 3), activation='relu'), TypeError,
     ['MLP', 'activation', "'relu'"]),
    ('BatchNorm on 1-D input', lambda: L.BatchNorm()(np.ones(5, dtype=np.float32)), ValueError,
     ['BatchNorm', '(N, C)', '(5,)']),
    ('BatchNorm on an empty batch', lambda: batchnorm(np.zeros((0, 3), dtype=np.float32)), ValueError,
     ['BatchNorm', 'empty batch', '(0, 3)']),
    ('BatchNorm on an empty image batch', lambda: batchnorm(np.zeros((0, 3, 4, 4), dtype=np.float32)), ValueError,
     ['BatchNorm', 'empty batch', '(0, 3, 4, 4)']),
    ('BatchNorm with other channels', lambda: batchnorm(np.zeros((2, 4), dtype=np.float32)), ValueError,
     ['BatchNorm', '3 channels', '(2, 4)']),
    ('EmbedID negative id', lambda: L.EmbedID(10, 4)(np.array([1, -1])), IndexError,
     ['EmbedID', 'id -1', 'in_size 10']),
    ('EmbedID id equal to in_size', lambda: L.EmbedID(10, 4)(np.array([[3, 10]])), IndexError,
     ['EmbedID', 'id 10', 'in_size 10']),
    ('EmbedID a single negative int', lambda: L.EmbedID(10, 4)(-2), IndexError, ['EmbedID', 'id -2']),
    ('EmbedID float ids', lambda: L.EmbedID(10, 4)(np.array([1.5])), TypeError,
     ['EmbedID', 'integers', '1.5', 'float64']),
    ('EmbedID in_size 0', lambda: L.EmbedID(0, 4), ValueError, ['EmbedID', 'in_size', '0']),
    ('LayerNorm with other features', lambda: (lambda ln: (ln(X23), ln(np.ones((2, 4), np.float32))))(L.LayerNorm()),
     ValueError, ['LayerNorm', '3 features', '(2, 4)']),
    # ---- weights: all or nothing, and files named ------------------------------------------------
    ('load_state_dict of a string array', lambda: mlp().load_state_dict(
        {**mlp().state_dict(), 'l1/W': np.full((5, 3), 'x')}), utils.CheckpointError, ['MLP', 'l1/W', '<U1']),
    ('load_state_dict of complex weights', lambda: mlp().load_state_dict(
        {k: v.astype(np.complex64) for k, v in mlp().state_dict().items()}), utils.CheckpointError,
     ['l0/W', 'complex64', 'float32']),
    ('load_state_dict of a list', lambda: mlp().load_state_dict([1, 2]), TypeError, ['MLP', 'dict', 'list']),
    ('load_state_dict into a lazy layer of another size',
     lambda: MLP((5, 3)).load_state_dict({**mlp().state_dict(), 'l0/W': np.zeros((2, 7), np.float32)}),
     utils.CheckpointError, ['l0/W', '(2, 7)', '(?, 5)']),
    ('load_weights of an empty file', lambda: mlp().load_weights(bad_file(b'')), utils.CheckpointError,
     ['weights file', 'dezero_bad_', 'empty']),
    ('load_weights of a truncated file', lambda: mlp().load_weights(bad_file(b'PK\x03\x04\x14\x00 cut')),
     utils.CheckpointError, ['weights file', 'dezero_bad_', 'truncated']),
    ('load_weights of a text file', lambda: mlp().load_weights(bad_file(b'not weights at all\n' * 9)),
     utils.CheckpointError, ['weights file', 'dezero_bad_', 'not an .npz archive']),
]


@pytest.mark.parametrize('label, trigger, error, words', CASES, ids=[c[0] for c in CASES])
def test_bad_input_gives_a_clear_error(label, trigger, error, words):
    with pytest.raises(error) as info:
        trigger()
    message = str(info.value)
    missing = [w for w in words if w not in message]
    assert not missing, f'{label}: the message lacks {missing}: {message}'


def test_labels_are_unique():
    labels = [c[0] for c in CASES]
    assert len(labels) == len(set(labels))


# ----------------------------------------------------------------------------- nothing changed
def test_a_refused_batch_leaves_the_running_statistics_alone():
    bn = L.BatchNorm()
    bn(np.random.randn(8, 3).astype(np.float32))
    mean, var = bn.avg_mean.data.copy(), bn.avg_var.data.copy()
    for bad in (np.zeros((0, 3), np.float32), np.zeros((2, 4), np.float32)):
        with pytest.raises(ValueError):
            bn(bad)
    np.testing.assert_array_equal(bn.avg_mean.data, mean)
    np.testing.assert_array_equal(bn.avg_var.data, var)
    with dezero.test_mode():                      # no statistics are updated in test mode: allowed
        assert bn(np.zeros((0, 3), np.float32)).shape == (0, 3)


def test_a_refused_state_dict_changes_no_parameter(tmp_path):
    model = mlp()
    before = {k: v.copy() for k, v in model.state_dict().items()}
    state = {k: v + 1 for k, v in before.items()}
    state['l1/b'] = np.array(['a', 'b', 'c'])             # the last array is the bad one
    with pytest.raises(utils.CheckpointError):
        model.load_state_dict(state)
    np.savez(tmp_path / 'w.npz', **state)
    with pytest.raises(utils.CheckpointError, match=str(tmp_path / 'w.npz')):
        model.load_weights(tmp_path / 'w.npz')
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_a_refused_optimizer_state_keeps_lr_and_buffers():
    model = mlp()
    opt = O.MomentumSGD(lr=0.1).setup(model)
    model(np.ones((2, 2), dtype=np.float32)).sum().backward()
    opt.update()
    buffers = {k: v.copy() for k, v in opt.vs.items()}
    state = opt.state_dict()
    state.update({'lr': np.asarray(0.5), 'vs/l9/W': np.zeros(3)})
    with pytest.raises(KeyError):
        opt.load_state_dict(state)
    assert opt.lr == 0.1 and opt.vs.keys() == buffers.keys()
    for key, value in opt.vs.items():
        np.testing.assert_array_equal(value, buffers[key])


def test_refused_hyperparameters_keep_the_previous_value():
    opt = O.Adam(alpha=0.01)
    for name, value in (('alpha', -1), ('beta1', 1.0), ('eps', float('nan'))):
        with pytest.raises(ValueError):
            setattr(opt, name, value)
    assert (opt.alpha, opt.beta1, opt.eps) == (0.01, 0.9, 1e-8)
    scheduler = O.StepLR(opt, step_size=1, gamma=0.5)
    scheduler.step()
    assert opt.alpha == 0.005                      # schedulers go through the same check


def test_good_edge_values_are_accepted():
    """The checks refuse only what is wrong: zero rates, numpy numbers and a batch of the data's size pass."""
    O.SGD(lr=0).setup(mlp())
    O.SGD(lr=np.float32(0.1))
    O.MomentumSGD(momentum=0)
    O.Adam(beta1=0.0, beta2=np.float64(0.999), eps=0)
    O.ClipGrad(np.float32(1e-3))
    DataLoader(Three(), batch_size=np.int64(2))
    assert len(SeqDataLoader(Three(), batch_size=3)) == 1
    L.Linear(np.int32(3), in_size=np.int64(2))
    assert L.EmbedID(10, 4)(np.array([0, 9], dtype=np.uint8)).shape == (2, 4)
    assert L.EmbedID(10, 4)(np.zeros((0,), dtype=np.int64)).shape == (0, 4)
