"""save_model / load_model / register_model: whole models (structure, weights, optimizer, metadata) in one
.npz file read without pickle; a training run saved and resumed gives the same losses, bit for bit."""
import json
import os
import sys

import numpy as np
import pytest

import dezero
import dezero.functions as F
import dezero.layers as L
from dezero import Model, Parameter, models, optimizers, utils
from dezero.utils import CheckpointError


def _same_params(a, b):
    pa, pb = dict(a.named_params()), dict(b.named_params())
    assert list(pa) == list(pb)
    for key in pa:
        assert pa[key].data.dtype == pb[key].data.dtype, key
        np.testing.assert_array_equal(pa[key].data, pb[key].data, err_msg=key)


def _x(*shape, seed=0):
    return np.random.RandomState(seed).rand(*shape).astype(np.float32)


# ---- the built-in models and any composition of dezero.layers -------------------------------------
@pytest.mark.parametrize('make, shape', [
    (lambda: models.MLP((6, 5, 3), activation=F.relu), (2, 4)),
    (lambda: models.Sequential(L.Linear(6), F.tanh, L.Linear(2, nobias=True)), (2, 4)),
    (lambda: models.VGG16(), (1, 3, 32, 32)),
    (lambda: models.ResNet(50), (1, 3, 32, 32)),
    (lambda: models.ResNet101(), (1, 3, 32, 32)),
    (lambda: models.SqueezeNet(n_classes=7), (1, 3, 48, 48)),
], ids=['MLP', 'Sequential', 'VGG16', 'ResNet50', 'ResNet101', 'SqueezeNet'])
def test_builtin_models_load_with_no_user_code(make, shape, tmp_path):
    np.random.seed(0)
    model = make()
    x = _x(*shape)
    model(x)                                    # initialise the lazy weights (and batch statistics)
    with dezero.test_mode():
        y = model(x)
    path = dezero.save_model(model, tmp_path / 'model')
    assert path.endswith('model.npz')
    loaded = dezero.load_model(path)
    assert type(loaded) is type(model)
    _same_params(model, loaded)
    with dezero.test_mode():
        np.testing.assert_array_equal(loaded(x).data, y.data)


def test_every_layer_in_a_bare_model_loads(tmp_path):
    np.random.seed(1)
    model = Model()                      # a container built by assignment, not by a constructor
    model.linear = L.Linear(3, nobias=True, dtype=np.float64)
    model.conv = L.Conv2d(2, 3, stride=2, pad=1, init='he')
    model.deconv = L.Deconv2d(2, 3, stride=1, pad=1)
    model.rnn, model.lstm, model.gru = L.RNN(4), L.LSTM(4), L.GRU(4)
    model.embed = L.EmbedID(5, 3)
    model.bn, model.ln, model.drop = L.BatchNorm(decay=0.8), L.LayerNorm(eps=1e-3), L.Dropout(0.25)
    x, img, ids = _x(2, 3), _x(2, 1, 5, 5), np.array([[1, 4], [0, 2]])
    runs = {'linear': x.astype(np.float64), 'conv': img, 'deconv': img, 'embed': ids, 'bn': x, 'ln': x}
    for name, arg in runs.items():
        getattr(model, name)(arg)
    for name in ('rnn', 'lstm', 'gru'):
        layer = getattr(model, name)
        layer(x), layer(x)                     # two steps: the hidden-to-hidden weights exist
        layer.reset_state()
    path = dezero.save_model(model, tmp_path / 'layers.npz')
    loaded = dezero.load_model(path)
    assert type(loaded) is Model
    _same_params(model, loaded)
    assert loaded.bn.decay == 0.8 and loaded.ln.eps == 1e-3 and loaded.drop.dropout_ratio == 0.25
    assert loaded.linear.dtype is np.float64 and loaded.conv.init == 'he' and loaded.conv.stride == 2
    with dezero.test_mode():
        for name, arg in runs.items():
            np.testing.assert_array_equal(getattr(loaded, name)(arg).data, getattr(model, name)(arg).data)
        for name in ('rnn', 'lstm', 'gru'):
            a, b = getattr(model, name), getattr(loaded, name)
            for _ in range(2):
                np.testing.assert_array_equal(a(x).data, b(x).data)


def test_the_file_is_plain_npz_with_a_json_manifest(tmp_path):
    np.random.seed(0)
    model = models.MLP((4, 2), activation=F.relu)
    model(_x(1, 3))
    path = dezero.save_model(model, tmp_path / 'm.npz', epoch=3)
    with np.load(path, allow_pickle=False) as npz:
        keys = set(npz.files)
        manifest = json.loads(str(npz['manifest']))
    assert keys == {'manifest', 'model/l0/W', 'model/l0/b', 'model/l1/W', 'model/l1/b'}
    spec = manifest['model']
    assert spec['class'] == 'dezero.models.MLP'
    assert spec['args'] == [{'tuple': [4, 2]}]
    assert spec['kwargs'] == {'activation': {'function': 'dezero.functions.relu'}}
    assert [name for name, _ in spec['contents']] == ['l0', 'l1']
    assert manifest['metadata'] == {'epoch': 3}


def test_the_constructor_arguments_of_every_class_are_recorded():
    layer = L.Conv2d(4, 3, pad=1)
    assert layer._init_args == ((4, 3), {'pad': 1})
    model = models.ResNet50()           # ResNet50 calls ResNet.__init__(50, ...): the outer call counts
    assert model._init_args == ((), {})
    import inspect
    assert list(inspect.signature(L.Conv2d).parameters)[:3] == ['out_channels', 'kernel_size', 'stride']


# ---- your own models ---------------------------------------------------------------------------------
class TwoLayer(Model):
    def __init__(self, hidden, activation=F.sigmoid, scale=1.0):
        super().__init__()
        self.fc1 = L.Linear(hidden)
        self.fc2 = L.Linear(2)
        self.activation = activation
        self.scale = scale

    def forward(self, x):
        return self.fc2(self.activation(self.fc1(x))) * self.scale


def _two_layer():
    np.random.seed(2)
    model = TwoLayer(5, activation=F.tanh, scale=0.5)
    model(_x(2, 3))
    return model


def test_a_user_model_loads_only_if_made_loadable(tmp_path, monkeypatch):
    model = _two_layer()
    path = dezero.save_model(model, tmp_path / 'mine.npz')
    with pytest.raises(CheckpointError) as e:
        dezero.load_model(path)
    message = str(e.value)
    assert path in message and 'test_serialization.TwoLayer' in message
    assert 'register_model' in message and 'classes=' in message

    loaded = dezero.load_model(path, classes=[TwoLayer])
    assert type(loaded) is TwoLayer and loaded.activation is F.tanh and loaded.scale == 0.5
    _same_params(model, loaded)

    monkeypatch.setattr(dezero.serialization, '_registry', {})
    assert dezero.register_model(TwoLayer) is TwoLayer
    loaded = dezero.load_model(path)
    np.testing.assert_array_equal(loaded(_x(2, 3)).data, model(_x(2, 3)).data)


def test_a_registered_class_matches_by_name_under_another_module(tmp_path, monkeypatch):
    model = _two_layer()
    path = dezero.save_model(model, tmp_path / 'mine.npz')
    _edit_manifest(path, lambda m: m['model'].update({'class': '__main__.TwoLayer'}))
    assert type(dezero.load_model(path, classes=[TwoLayer])) is TwoLayer


def test_an_argument_that_is_code_is_refused_at_save_time(tmp_path):
    model = TwoLayer(4, activation=lambda x: x * 2)
    model(_x(1, 3))
    target = tmp_path / 'x.npz'
    with pytest.raises(TypeError, match="argument 'activation' of TwoLayer \\(the model\\).*<lambda>"):
        dezero.save_model(model, target)
    assert not target.exists()
    seq = models.Sequential(L.Linear(2), lambda h: h + 1)
    with pytest.raises(TypeError, match=r"argument 'layers\[1\]' of Sequential"):
        dezero.save_model(seq, target)
    nested = models.Sequential(models.MLP((3, 2), activation=np.tanh))
    with pytest.raises(TypeError, match="argument 'activation' of MLP"):
        dezero.save_model(nested, target)


def test_a_file_naming_other_code_is_refused_without_importing_it(tmp_path):
    model = _two_layer()
    path = dezero.save_model(model, tmp_path / 'evil.npz')
    assert 'this' not in sys.modules           # the Zen of Python prints itself when imported
    _edit_manifest(path, lambda m: m['model'].update({'class': 'this.Zen'}))
    with pytest.raises(CheckpointError, match="class 'this.Zen'.*never makes dezero import or run code"):
        dezero.load_model(path)
    assert 'this' not in sys.modules

    model = models.MLP((2,), activation=F.relu)
    model(_x(1, 3))
    path = dezero.save_model(model, tmp_path / 'f.npz')
    _edit_manifest(path, lambda m: m['model']['kwargs'].update(activation={'function': 'os.system'}))
    with pytest.raises(CheckpointError, match="'os.system', which is not one of dezero's functions"):
        dezero.load_model(path)
    _edit_manifest(path, lambda m: m['model'].update({'class': 'dezero.models.load_pretrained'}))
    with pytest.raises(CheckpointError, match='dezero.models.load_pretrained'):
        dezero.load_model(path)


def test_only_classes_defined_in_dezero_modules_are_reached(tmp_path):
    model = _two_layer()
    optimizer = optimizers.SGD().setup(model)
    optimizer.add_hook(optimizers.WeightDecay(0.1))
    path = dezero.save_model(model, tmp_path / 'h.npz', optimizer)
    written = tmp_path / 'written.bin'
    hook = {'class': 'dezero.optimizers.np.memmap',      # would create a file if it were called
            'kwargs': {'filename': str(written), 'mode': 'w+', 'shape': 8}}
    _edit_manifest(path, lambda m: m['optimizer']['hooks'].__setitem__(0, hook))
    with pytest.raises(CheckpointError, match="optimizer hook 0 is of class 'dezero.optimizers.np.memmap'"):
        dezero.load_model(path, optimizer=True, classes=[TwoLayer])
    assert not written.exists()


def test_a_malformed_manifest_is_reported_as_such(tmp_path):
    model = _two_layer()
    path = dezero.save_model(model, tmp_path / 'm.npz')
    _edit_manifest(path, lambda m: m['model'].update({'contents': [['fc1', 7]]}))
    with pytest.raises(CheckpointError, match='m.npz: its manifest is malformed'):
        dezero.load_model(path, classes=[TwoLayer])
    _edit_manifest(path, lambda m: m.update({'version': 99}))
    with pytest.raises(CheckpointError, match='version 99'):
        dezero.load_model(path, classes=[TwoLayer])


def _edit_manifest(path, change):
    arrays = utils.read_npz(path)
    manifest = json.loads(str(arrays['manifest']))
    change(manifest)
    arrays['manifest'] = np.array(json.dumps(manifest))
    np.savez(path, **arrays)


def test_changes_made_after_construction_are_kept(tmp_path):
    np.random.seed(3)
    model = models.VGG16()
    x = _x(1, 3, 32, 32)
    with dezero.test_mode():
        model(x)
    model.fc8 = L.Linear(10)                        # transfer learning: a new head
    model.extra = L.Linear(4, in_size=10)           # a layer added
    model.temperature = Parameter(np.array([2.0], np.float32))
    model.head = model.fc8                          # shared: one layer, two names

    def run(m):
        with dezero.test_mode():
            return m.extra(m(x)) * m.temperature
    y = run(model)
    path = dezero.save_model(model, tmp_path / 'vgg.npz')
    loaded = dezero.load_model(path)
    assert loaded.fc8.out_size == 10 and loaded.head is loaded.fc8
    assert [k for k, _ in loaded.named_params()] == [k for k, _ in model.named_params()]
    _same_params(model, loaded)
    np.testing.assert_array_equal(run(loaded).data, y.data)


def test_a_layer_deleted_after_construction_stays_deleted(tmp_path):
    model = _two_layer()
    del model.fc2
    path = dezero.save_model(model, tmp_path / 'd.npz')
    loaded = dezero.load_model(path, classes=[TwoLayer])
    assert not hasattr(loaded, 'fc2') and [k for k, _ in loaded.named_params()] == ['fc1/W', 'fc1/b']


def test_pretrained_is_saved_as_false(tmp_path):
    class Net(Model):
        def __init__(self, pretrained=False):
            super().__init__()
            self.fc = L.Linear(2, in_size=3)
            self.downloaded = pretrained

    path = dezero.save_model(Net(pretrained=True), tmp_path / 'n.npz')
    assert dezero.load_model(path, classes=[Net]).downloaded is False


# ---- metadata ----------------------------------------------------------------------------------------
def test_metadata_round_trips_exactly(tmp_path):
    model = _two_layer()
    meta = dict(epoch=7, name='run 1', lr=0.1, best=float('inf'), missing=None, flags=[True, False],
                shape=(2, 3), metrics={'acc': np.float32(0.75), 'loss': [1.5, float('nan')]},
                history=np.arange(5, dtype=np.int16), rng=np.random.RandomState(0).get_state(),
                dtype=np.float16)
    path = dezero.save_model(model, tmp_path / 'meta.npz', **meta)
    got = dezero.load_model(path, classes=[TwoLayer]).metadata
    assert set(got) == set(meta)
    assert got['epoch'] == 7 and got['name'] == 'run 1' and got['lr'] == 0.1 and got['best'] == float('inf')
    assert got['missing'] is None and got['flags'] == [True, False] and got['shape'] == (2, 3)
    assert type(got['metrics']['acc']) is np.float32 and got['metrics']['acc'] == np.float32(0.75)
    assert np.isnan(got['metrics']['loss'][1]) and got['dtype'] is np.float16
    assert got['history'].dtype == np.int16 and (got['history'] == np.arange(5)).all()
    assert got['rng'][0] == 'MT19937' and (got['rng'][1] == meta['rng'][1]).all()


@pytest.mark.parametrize('value, match', [
    (object(), "metadata 'note'.*object"),
    ({1: 'a'}, "metadata 'note' is a dict with the key 1"),
    (np.array([None]), 'array of Python objects'),
    ([1, lambda: 0], r"metadata 'note'\[1\]"),
])
def test_metadata_that_json_cannot_hold_is_refused(value, match, tmp_path):
    with pytest.raises(TypeError, match=match):
        dezero.save_model(_two_layer(), tmp_path / 'm.npz', note=value)
    assert not (tmp_path / 'm.npz').exists()


# ---- files: all or nothing ------------------------------------------------------------------------
def test_bad_files_raise_errors_naming_them(tmp_path):
    model = _two_layer()
    for name, content in (('empty.npz', b''), ('cut.npz', b'PK\x03\x04\x14\x00 cut'), ('text.npz', b'hello\n' * 9)):
        bad = tmp_path / name
        bad.write_bytes(content)
        with pytest.raises(CheckpointError, match=name):
            dezero.load_model(bad)
    weights = model.save_weights(tmp_path / 'weights.npz')
    with pytest.raises(CheckpointError, match='weights.npz.*not a model file.*load_weights'):
        dezero.load_model(weights)
    path = dezero.save_model(model, tmp_path / 'good.npz')
    arrays = utils.read_npz(path)
    arrays['model/fc1/W'] = arrays['model/fc1/W'][:, :2]
    np.savez(tmp_path / 'shape.npz', **arrays)
    with pytest.raises(CheckpointError, match=r'shape.npz: .*fc1/W: checkpoint \(3, 2\), model \(\?, 5\)'):
        dezero.load_model(tmp_path / 'shape.npz', classes=[TwoLayer])
    with pytest.raises(CheckpointError, match='good.npz: it holds no optimizer'):
        dezero.load_model(path, optimizer=True, classes=[TwoLayer])


def test_a_failed_save_keeps_the_previous_file(tmp_path, monkeypatch):
    model = _two_layer()
    path = dezero.save_model(model, tmp_path / 'm.npz')
    before = open(path, 'rb').read()

    def broken(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(np, 'savez', broken)
    with pytest.raises(KeyboardInterrupt):
        dezero.save_model(_two_layer(), path)
    assert open(path, 'rb').read() == before
    assert os.listdir(tmp_path) == ['m.npz']


def test_loading_leaves_the_random_state_alone(tmp_path):
    model = models.MLP((30, 20))
    model(_x(2, 10))
    path = dezero.save_model(model, tmp_path / 'm.npz')
    np.random.seed(5)
    expected = np.random.rand(3)
    np.random.seed(5)
    dezero.load_model(path)                   # builds two Linear layers, which draw random weights
    np.testing.assert_array_equal(np.random.rand(3), expected)


def test_a_model_saved_before_its_first_forward_is_refused(tmp_path):
    with pytest.raises(ValueError, match='not initialised yet: l0/W'):
        dezero.save_model(models.MLP((3, 2)), tmp_path / 'm.npz')


# ---- optimizers: state, hooks, schedules; bit-for-bit resume ------------------------------------
class Net(Model):
    """Dropout and batch norm, so that resuming also needs the random state and the running statistics."""

    def __init__(self):
        super().__init__()
        self.fc1 = L.Linear(16)
        self.bn = L.BatchNorm()
        self.fc2 = L.Linear(3)

    def forward(self, x):
        return self.fc2(F.dropout(F.relu(self.bn(self.fc1(x))), 0.2))


def _data():
    rs = np.random.RandomState(0)
    return rs.randn(60, 4).astype(np.float32), rs.randint(0, 3, 60)


def _train(model, optimizer, scheduler, epochs, x, t):
    losses = []
    for _ in range(epochs):
        index = np.random.permutation(len(x))
        for i in range(0, len(x), 20):
            batch = index[i:i + 20]
            loss = F.softmax_cross_entropy(model(x[batch]), t[batch])
            model.cleargrads()
            loss.backward()
            optimizer.update()
            losses.append(float(loss.data))
        if scheduler is not None:
            scheduler.step()
    return losses


def _setup(name):
    optimizer = getattr(optimizers, name)()
    model = Net()
    optimizer.setup(model)
    optimizer.add_hook(optimizers.WeightDecay(1e-3))
    optimizer.add_hook(optimizers.ClipGrad(1.0))
    scheduler = None
    if name != 'AdaDelta':
        cosine = optimizers.CosineAnnealingLR(optimizer, T_max=6, eta_min=1e-4)
        scheduler = optimizers.LinearWarmup(optimizer, warmup_steps=2, start_factor=0.5, after=cosine)
    return model, optimizer, scheduler


@pytest.mark.parametrize('name', ['SGD', 'MomentumSGD', 'Nesterov', 'AdaGrad', 'AdaDelta', 'RMSProp',
                                  'Adam', 'AdamW'])
def test_a_run_saved_and_resumed_gives_the_same_losses_bit_for_bit(name, tmp_path):
    x, t = _data()
    np.random.seed(11)
    model, optimizer, scheduler = _setup(name)
    uninterrupted = _train(model, optimizer, scheduler, 6, x, t)

    np.random.seed(11)
    model, optimizer, scheduler = _setup(name)
    first = _train(model, optimizer, scheduler, 3, x, t)
    path = dezero.save_model(model, tmp_path / 'run.npz', optimizer, epoch=3, rng=np.random.get_state())
    del model, optimizer, scheduler
    np.random.seed(999)                         # another program, its random state elsewhere

    model, optimizer = dezero.load_model(path, optimizer=True, classes=[Net])
    assert model.metadata['epoch'] == 3 and type(optimizer) is getattr(optimizers, name)
    np.random.set_state(model.metadata['rng'])
    scheduler = optimizer.schedulers[-1] if optimizer.schedulers else None
    assert [type(h) for h in optimizer.hooks] == [optimizers.WeightDecay, optimizers.ClipGrad]
    resumed = first + _train(model, optimizer, scheduler, 3, x, t)
    assert resumed == uninterrupted


def test_optimizer_hyperparameters_hooks_and_schedules_are_restored(tmp_path):
    np.random.seed(0)
    model = Net()
    model(_x(4, 4))
    optimizer = optimizers.MomentumSGD(lr=0.3, momentum=0.8).setup(model)
    optimizer.add_hook(optimizers.FreezeParam(model.fc1))
    step = optimizers.StepLR(optimizer, step_size=2, gamma=0.5)
    for _ in range(3):
        step.step()
    path = dezero.save_model(model, tmp_path / 'o.npz', optimizer)
    loaded, opt = dezero.load_model(path, optimizer=True, classes=[Net])
    assert opt.target is loaded and opt.lr == optimizer.lr == 0.15 and opt.momentum == 0.8
    assert opt.initial_lr == 0.3
    freeze, = opt.hooks
    assert [id(p) for p in freeze.freeze_params] == [id(loaded.fc1.W), id(loaded.fc1.b)]
    s, = opt.schedulers
    assert type(s) is optimizers.StepLR and (s.step_size, s.gamma, s.last_epoch, s.base) == (2, 0.5, 3, 0.3)
    s.step()
    assert opt.lr == 0.075


def test_optimizer_parts_that_are_code_are_refused(tmp_path):
    model = _two_layer()
    optimizer = optimizers.SGD().setup(model)
    optimizer.add_hook(lambda params: None)
    with pytest.raises(TypeError, match='optimizer hook 0.*a function is code'):
        dezero.save_model(model, tmp_path / 'o.npz', optimizer)
    with pytest.raises(ValueError, match='not set up on this model'):
        dezero.save_model(model, tmp_path / 'o.npz', optimizers.SGD().setup(_two_layer()))
    with pytest.raises(TypeError, match='optimizer must be a dezero Optimizer'):
        dezero.save_model(model, tmp_path / 'o.npz', 'sgd')
    assert not (tmp_path / 'o.npz').exists()


def test_a_distributed_optimizer_is_saved_as_the_one_it_wraps(tmp_path):
    from dezero.distributed import DistributedOptimizer
    model = _two_layer()
    optimizer = DistributedOptimizer(optimizers.Adam(alpha=0.01).setup(model))
    optimizers.ExponentialLR(optimizer, gamma=0.9).step()
    path = dezero.save_model(model, tmp_path / 'd.npz', optimizer)
    _, opt = dezero.load_model(path, optimizer=True, classes=[TwoLayer])
    assert type(opt) is optimizers.Adam and opt.alpha == pytest.approx(0.009) and len(opt.schedulers) == 1


def test_on_the_gpu_the_model_loads_on_the_gpu(tmp_path):
    cupy = pytest.importorskip('cupy', reason='needs CuPy and a GPU')
    if not dezero.cuda.gpu_enable or cupy.cuda.runtime.getDeviceCount() == 0:
        pytest.skip('needs CuPy and a GPU')
    model = _two_layer()
    model.to_gpu()
    path = dezero.save_model(model, tmp_path / 'g.npz')
    loaded = dezero.load_model(path, classes=[TwoLayer])
    assert dezero.cuda.is_cupy_array(loaded.fc1.W.data)
    np.testing.assert_array_equal(dezero.cuda.as_numpy(loaded.fc1.W.data), dezero.cuda.as_numpy(model.fc1.W.data))
