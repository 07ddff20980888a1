"""Layers: parameter registry, initialisation (the book's numbers), each layer's maths, checkpoints."""
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import dezero
import dezero.functions as F
import dezero.layers as L
from dezero import Parameter, Variable, optimizers, utils
from dezero.models import MLP

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HAS_CONV = hasattr(F, 'conv2d') and hasattr(F, 'deconv2d')
needs_conv = pytest.mark.skipif(not HAS_CONV, reason='F.conv2d / F.deconv2d are not available yet')


def _gpu_available():
    try:
        from dezero import cuda
        return cuda.gpu_enable and cuda.cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


needs_gpu = pytest.mark.skipif(not _gpu_available(), reason='needs CuPy and a GPU')


# =============================================================================
# The registry
# =============================================================================
class TwoLayer(dezero.Model):
    def __init__(self):
        super().__init__()
        self.zeta = L.Linear(3, in_size=2)
        self.alpha = L.Linear(2, in_size=3)
        self.scale = Parameter(np.ones(1, dtype=np.float32), name='scale')

    def forward(self, x):
        return self.alpha(F.relu(self.zeta(x))) * self.scale


def test_params_follow_assignment_order_not_names():
    model = TwoLayer()
    assert [k for k, _ in model.named_params()] == ['zeta/W', 'zeta/b', 'alpha/W', 'alpha/b', 'scale']
    assert [p.name for p in model.params()] == ['W', 'b', 'W', 'b', 'scale']


def test_params_order_is_the_same_under_any_hash_seed():
    code = ('import dezero.layers as L; from dezero.models import MLP; import numpy as np\n'
            'm = MLP((4, 5, 2)); m(np.zeros((1, 3), dtype=np.float32))\n'
            'print([k for k, _ in m.named_params()])')
    outs = set()
    for seed in ('1', '2', '3'):
        env = dict(os.environ, PYTHONPATH=ROOT, PYTHONHASHSEED=seed)
        r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env=env)
        assert r.returncode == 0, r.stderr
        outs.add(r.stdout)
    assert outs == {"['l0/W', 'l0/b', 'l1/W', 'l1/b', 'l2/W', 'l2/b']\n"}


def test_reassigning_or_deleting_an_attribute_unregisters_it():
    layer = L.Linear(3, in_size=2)
    layer.b = None
    assert [k for k, _ in layer.named_params()] == ['W']
    layer.extra = Parameter(np.zeros(2))
    del layer.extra
    assert [k for k, _ in layer.named_params()] == ['W']
    assert not hasattr(layer, 'extra')


def test_parameters_assigned_before_super_init_are_kept():
    class Early(L.Layer):
        def __init__(self):
            self.W = Parameter(np.zeros(2))
            super().__init__()

    assert [k for k, _ in Early().named_params()] == ['W']


def test_a_shared_parameter_is_yielded_once():
    model = dezero.Model()
    model.a = L.Linear(2, in_size=2)
    model.b = L.Linear(2, in_size=2)
    model.b.W = model.a.W
    assert len(list(model.params())) == 3
    assert [k for k, _ in model.named_params()] == ['a/W', 'a/b', 'b/W', 'b/b']


def test_cleargrads_clears_every_gradient():
    model = TwoLayer()
    F.sum(model(np.ones((4, 2), dtype=np.float32))).backward()
    assert all(p.grad is not None for p in model.params())
    model.cleargrads()
    assert all(p.grad is None for p in model.params())


def test_call_keeps_weak_references_to_inputs_and_outputs():
    layer = L.Linear(2, in_size=3)
    x = Variable(np.ones((1, 3), dtype=np.float32))
    y = layer(x)
    assert layer.inputs[0]() is x and layer.outputs[0]() is y
    del y
    assert layer.outputs[0]() is None


def test_retain_outputs_keeps_the_last_calls_outputs():
    layer = L.Linear(2, in_size=3)
    layer.retain_outputs = True
    x = Variable(np.ones((1, 3), dtype=np.float32))
    z = F.relu(layer(x))                 # relu keeps its output, not layer's
    assert layer.outputs[0]().shape == (1, 2)
    z.backward(retain_grad=True)
    assert layer.outputs[0]().grad.shape == (1, 2)


def test_forward_must_be_overridden():
    with pytest.raises(NotImplementedError, match='Layer must define forward'):
        L.Layer()(np.zeros(1))


# =============================================================================
# Initialisation: exactly the original's draws, and the dtype kept
# =============================================================================
def test_linear_initialises_W_as_the_original_and_keeps_float32():
    np.random.seed(3)
    expected = np.random.randn(5, 4) * np.sqrt(1 / 5)
    np.random.seed(3)
    layer = L.Linear(4, in_size=5)
    assert layer.W.dtype == np.float32 and layer.b.dtype == np.float32
    np.testing.assert_allclose(layer.W.data, expected, rtol=1e-6)
    np.testing.assert_array_equal(layer.b.data, np.zeros(4, dtype=np.float32))


def test_lazy_linear_draws_at_the_first_forward_with_the_input_size():
    np.random.seed(0)
    layer = L.Linear(3)
    assert layer.W.data is None
    x = np.random.rand(2, 6).astype(np.float32)
    expected = np.random.randn(6, 3) * np.sqrt(1 / 6)   # the draw that follows x's
    np.random.seed(0)
    np.random.rand(2, 6)
    y = layer(x)
    assert layer.in_size == 6 and y.shape == (2, 3) and y.dtype == np.float32
    np.testing.assert_allclose(layer.W.data, expected, rtol=1e-6)


def test_float64_linear_is_bit_identical_to_the_formula():
    np.random.seed(7)
    expected = np.random.randn(3, 2) * np.sqrt(1 / 3)
    np.random.seed(7)
    layer = L.Linear(2, in_size=3, dtype=np.float64)
    np.testing.assert_array_equal(layer.W.data, expected)


def test_book_step44_losses():
    """Step 44 prints 0.8165178492839196 first, then 0.24990280802148895 after 1000 iterations."""
    np.random.seed(0)
    x = np.random.rand(100, 1)
    y = np.sin(2 * np.pi * x) + np.random.rand(100, 1)
    l1, l2 = L.Linear(10), L.Linear(1)
    losses = []
    for i in range(1001):
        loss = F.mean_squared_error(y, l2(F.sigmoid(l1(x))))
        l1.cleargrads()
        l2.cleargrads()
        loss.backward()
        for layer in (l1, l2):
            for p in layer.params():
                p.data -= 0.2 * p.grad.data
        losses.append(float(loss.data))
    assert losses[0] == 0.8165178492839196
    assert losses[1000] == pytest.approx(0.24990280802148895, rel=1e-10)
    assert l1.W.dtype == np.float32


@pytest.mark.parametrize('init,std', [('xavier', np.sqrt(1 / 400)), ('he', np.sqrt(2 / 400)),
                                      ('normal', 0.01), ('glorot', np.sqrt(2 / 700))])
def test_named_initialisers_have_their_std(init, std):
    np.random.seed(1)
    W = L.Linear(300, in_size=400, init=init).W.data
    assert W.dtype == np.float32
    assert abs(W.std() / std - 1) < 0.02
    assert abs(W.mean()) < 0.05 * std


def test_xavier_is_the_default():
    np.random.seed(5)
    a = L.Linear(4, in_size=3).W.data
    np.random.seed(5)
    b = L.Linear(4, in_size=3, init='xavier').W.data
    np.testing.assert_array_equal(a, b)


def test_callable_initialiser_gets_shape_and_fans():
    seen = []

    def init(shape, fan_in, fan_out):
        seen.append((shape, fan_in, fan_out))
        return np.full(shape, 0.5)

    layer = L.Conv2d(4, 3, in_channels=2, init=init, dtype=np.float64)
    assert seen == [((4, 2, 3, 3), 18, 36)]
    assert layer.W.dtype == np.float64 and np.all(layer.W.data == 0.5)


def test_bad_initialisers_are_reported():
    with pytest.raises(ValueError, match="unknown init 'lecun'"):
        L.Linear(2, in_size=2, init='lecun')
    with pytest.raises(ValueError, match=r'shape \(3,\), expected \(2, 2\)'):
        L.Linear(2, in_size=2, init=lambda shape, fi, fo: np.zeros(3))
    with pytest.raises(TypeError, match='init must be'):
        L.Linear(2, in_size=2, init=3)


def test_conv_and_deconv_weight_layouts_and_scale():
    np.random.seed(2)
    expected = np.random.randn(8, 3, 3, 2) * np.sqrt(1 / (3 * 3 * 2))
    np.random.seed(2)
    conv = L.Conv2d(8, (3, 2), in_channels=3)
    assert conv.W.dtype == np.float32 and conv.b.shape == (8,)
    np.testing.assert_allclose(conv.W.data, expected, rtol=1e-6)

    np.random.seed(2)
    expected = np.random.randn(3, 8, 3, 3) * np.sqrt(1 / (3 * 3 * 3))
    np.random.seed(2)
    deconv = L.Deconv2d(8, 3, in_channels=3, nobias=True)
    assert deconv.b is None
    np.testing.assert_allclose(deconv.W.data, expected, rtol=1e-6)


@needs_conv
def test_conv_layers_infer_channels_and_keep_float32():
    x = np.random.rand(2, 3, 7, 7).astype(np.float32)
    conv = L.Conv2d(4, 3, stride=2, pad=1)
    y = conv(x)
    assert conv.in_channels == 3 and conv.W.shape == (4, 3, 3, 3)
    assert y.shape == (2, 4, 4, 4) and y.dtype == np.float32
    deconv = L.Deconv2d(3, 4, stride=2, pad=1)
    z = deconv(y)
    assert deconv.W.shape == (4, 3, 4, 4) and z.shape == (2, 3, 8, 8) and z.dtype == np.float32


# =============================================================================
# Recurrent layers, checked against NumPy written from the equations
# =============================================================================
def _lin(layer, x):
    y = x @ layer.W.data
    return y if layer.b is None else y + layer.b.data


def _sig(a):
    return 1 / (1 + np.exp(-a))


def test_rnn_with_in_size_different_from_hidden_size_runs_two_steps():
    """Bug #18: the original built h2h with in_size, which fails at the second step."""
    rnn = L.RNN(5, in_size=3)
    assert rnn.h2h.W.shape == (5, 5)
    x1, x2 = np.random.rand(2, 3), np.random.rand(2, 3)
    h1 = rnn(x1)
    h2 = rnn(x2)
    expected = np.tanh(_lin(rnn.x2h, x2) + _lin(rnn.h2h, np.tanh(_lin(rnn.x2h, x1))))
    np.testing.assert_allclose(h2.data, expected, rtol=1e-5)
    assert h1.shape == h2.shape == (2, 5)
    rnn.reset_state()
    assert rnn.h is None


def test_rnn_lazy_is_unchanged_from_the_original():
    rnn = L.RNN(4)
    rnn(np.random.rand(1, 2))
    assert rnn.h2h.W.data is None       # drawn at the second step, from h, as in the original
    rnn(np.random.rand(1, 2))
    assert rnn.h2h.W.shape == (4, 4)


def test_lstm_matches_its_equations():
    lstm = L.LSTM(4, in_size=3)
    xs = [np.random.rand(2, 3) for _ in range(3)]
    h = c = None
    for x in xs:
        y = lstm(x)
        if h is None:
            f, i, o, u = (_sig(_lin(lstm.x2f, x)), _sig(_lin(lstm.x2i, x)), _sig(_lin(lstm.x2o, x)),
                          np.tanh(_lin(lstm.x2u, x)))
            c = i * u
        else:
            f = _sig(_lin(lstm.x2f, x) + _lin(lstm.h2f, h))
            i = _sig(_lin(lstm.x2i, x) + _lin(lstm.h2i, h))
            o = _sig(_lin(lstm.x2o, x) + _lin(lstm.h2o, h))
            u = np.tanh(_lin(lstm.x2u, x) + _lin(lstm.h2u, h))
            c = f * c + i * u
        h = o * np.tanh(c)
        np.testing.assert_allclose(y.data, h, rtol=1e-5, atol=1e-7)
    lstm.reset_state()
    assert lstm.h is None and lstm.c is None


def test_gru_matches_its_equations_and_backprops_through_time():
    gru = L.GRU(4)
    xs = [Variable(np.random.rand(2, 3)) for _ in range(3)]
    h = None
    for x in xs:
        y = gru(x)
        xd = x.data
        if h is None:
            h = (1 - _sig(_lin(gru.x2z, xd))) * np.tanh(_lin(gru.x2u, xd))
        else:
            z = _sig(_lin(gru.x2z, xd) + _lin(gru.h2z, h))
            r = _sig(_lin(gru.x2r, xd) + _lin(gru.h2r, h))
            u = np.tanh(_lin(gru.x2u, xd) + _lin(gru.h2u, r * h))
            h = (1 - z) * u + z * h
        np.testing.assert_allclose(y.data, h, rtol=1e-5, atol=1e-7)
    F.sum(y).backward()
    assert xs[0].grad is not None and gru.h2r.W.grad is not None


def test_gru_gradient_against_finite_differences():
    np.random.seed(4)
    gru = L.GRU(3, in_size=2)
    for p in gru.params():
        p.data = p.data.astype(np.float64)
    x1 = np.random.rand(2, 2)

    def f(x2):
        gru.reset_state()
        gru(x1)
        return gru(x2)

    assert utils.gradient_check(f, np.random.rand(2, 2))


# =============================================================================
# EmbedID, BatchNorm, LayerNorm, Dropout
# =============================================================================
def test_embed_id_picks_rows_and_accumulates_repeated_ids():
    np.random.seed(0)
    expected = np.random.randn(10, 3)
    np.random.seed(0)
    embed = L.EmbedID(10, 3)
    assert embed.W.dtype == np.float64
    np.testing.assert_array_equal(embed.W.data, expected)
    ids = np.array([[1, 2], [1, 9]])
    y = embed(ids)
    np.testing.assert_array_equal(y.data, expected[ids])
    F.sum(y).backward()
    counts = np.bincount(ids.ravel(), minlength=10)[:, None]
    np.testing.assert_array_equal(embed.W.grad.data, np.broadcast_to(counts, (10, 3)))
    assert L.EmbedID(4, 2, dtype=np.float32).W.dtype == np.float32


def test_batchnorm_layer_trains_updates_running_stats_and_uses_them_in_test_mode():
    bn = L.BatchNorm()
    x = np.random.rand(8, 3).astype(np.float32) * 4 + 1
    y = bn(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.data.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(bn.avg_mean.data, 0.1 * x.mean(axis=0), rtol=1e-5)
    F.sum(y * y).backward()
    assert bn.gamma.grad is not None and bn.avg_mean.grad is None
    with dezero.test_mode():
        y_test = bn(x)
    expected = (x - bn.avg_mean.data) / np.sqrt(bn.avg_var.data + 2e-5)
    np.testing.assert_allclose(y_test.data, expected, rtol=1e-5)
    assert [k for k, _ in bn.named_params()] == ['avg_mean', 'avg_var', 'gamma', 'beta']


def test_layer_norm_normalises_the_last_axis():
    ln = L.LayerNorm()
    x = np.random.rand(2, 3, 5).astype(np.float32) * 3
    y = ln(x)
    assert y.dtype == np.float32 and ln.gamma.shape == (5,)
    np.testing.assert_allclose(y.data.mean(axis=-1), 0, atol=1e-5)
    np.testing.assert_allclose(y.data.var(axis=-1), 1, rtol=1e-3)

    ln64 = L.LayerNorm()
    ln64(np.zeros((1, 4)))
    ln64.gamma.data = np.random.rand(4) + 0.5
    ln64.beta.data = np.random.rand(4)
    assert utils.gradient_check(ln64, np.random.rand(3, 4))


def test_dropout_layer():
    drop = L.Dropout(0.5)
    x = np.ones((100, 100), dtype=np.float32)
    y = drop(x)
    assert set(np.unique(y.data)) == {0.0, 2.0} and y.dtype == np.float32
    with dezero.test_mode():
        np.testing.assert_array_equal(drop(x).data, x)


# =============================================================================
# State dicts and checkpoint files
# =============================================================================
def _trained_mlp():
    model = MLP((5, 3))
    model(np.random.rand(4, 2).astype(np.float32))
    return model


def test_state_dict_keys_are_slash_paths_and_values_are_copies():
    model = _trained_mlp()
    state = model.state_dict()
    assert list(state) == ['l0/W', 'l0/b', 'l1/W', 'l1/b']
    state['l0/W'][...] = 0
    assert np.any(model.l0.W.data != 0)
    params = {}
    model._flatten_params(params)
    assert list(params) == list(state)


def test_save_and_load_round_trip_with_original_keys(tmp_path):
    model = _trained_mlp()
    path = model.save_weights(str(tmp_path / 'model'))
    assert path.endswith('model.npz') and os.path.exists(path)
    with np.load(path, allow_pickle=False) as npz:
        assert sorted(npz.files) == ['l0/W', 'l0/b', 'l1/W', 'l1/b']
    other = _trained_mlp()
    other.load_weights(str(tmp_path / 'model'))          # the same name that was saved
    other.load_weights(path)
    for a, b in zip(model.params(), other.params()):
        np.testing.assert_array_equal(a.data, b.data)
        assert b.dtype == np.float32


def test_load_into_a_fresh_lazy_model_fills_it(tmp_path):
    model = _trained_mlp()
    model.save_weights(tmp_path / 'w.npz')
    fresh = MLP((5, 3))
    assert fresh.l0.W.data is None
    fresh.load_weights(tmp_path / 'w.npz')
    x = np.random.rand(3, 2).astype(np.float32)
    np.testing.assert_array_equal(fresh(x).data, model(x).data)


def test_saving_uninitialised_parameters_is_a_clear_error(tmp_path):
    model = MLP((5, 3))
    with pytest.raises(ValueError, match=r'not initialised yet: l0/W, l1/W.*forward pass'):
        model.save_weights(tmp_path / 'w.npz')
    assert not os.path.exists(tmp_path / 'w.npz')
    with pytest.raises(ValueError, match='not initialised'):
        model.state_dict()


def test_missing_unexpected_and_mismatched_keys_are_all_listed(tmp_path):
    model = _trained_mlp()
    state = model.state_dict()
    del state['l1/b']
    state['l9/W'] = np.zeros(2)
    state['l0/W'] = np.zeros((3, 5))
    before = model.l1.W.data.copy()
    state['l1/W'] = np.zeros_like(before)
    with pytest.raises(L.CheckpointError) as info:
        model.load_state_dict(state)
    message = str(info.value)
    assert 'missing keys: l1/b' in message and 'unexpected keys: l9/W' in message
    assert 'l0/W: checkpoint (3, 5), model (2, 5)' in message
    assert isinstance(info.value, KeyError) and isinstance(info.value, ValueError)
    np.testing.assert_array_equal(model.l1.W.data, before)     # nothing was changed

    del state['l0/W']
    model.load_state_dict(state, strict=False)
    np.testing.assert_array_equal(model.l1.W.data, 0)


def test_loaded_arrays_take_the_parameter_dtype(tmp_path):
    model = _trained_mlp()
    state = {k: v.astype(np.float64) for k, v in model.state_dict().items()}
    model.load_state_dict(state)
    assert all(p.dtype == np.float32 for p in model.params())


def test_load_refuses_pickled_files(tmp_path):
    path = str(tmp_path / 'evil.npz')
    np.savez(path, **{'l0/W': np.array([object()], dtype=object)})
    with pytest.raises(ValueError, match='allow_pickle'):
        _trained_mlp().load_weights(path)


def test_a_failed_save_keeps_the_previous_file(tmp_path, monkeypatch):
    model = _trained_mlp()
    path = str(tmp_path / 'w.npz')
    model.save_weights(path)
    saved = model.l0.W.data.copy()
    model.l0.W.data += 1

    def broken(f, **arrays):
        f.write(b'PK partial')
        raise KeyboardInterrupt

    monkeypatch.setattr(np, 'savez_compressed', broken)
    with pytest.raises(KeyboardInterrupt):
        model.save_weights(path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ['w.npz']
    fresh = MLP((5, 3))
    fresh.load_weights(path)
    np.testing.assert_array_equal(fresh.l0.W.data, saved)


@pytest.mark.parametrize('kind', ['save_weights', 'save_state'])
def test_processes_killed_during_save_leave_the_previous_file_and_at_most_one_temporary(tmp_path, kind):
    """kill -9 in the middle of a save, five times over: the last good file is still readable, and
    there is one leftover temporary file (the fixed name the next save reuses), not five. A save after
    the kills succeeds (the dead writers' locks are gone) and leaves the folder clean."""
    path = str(tmp_path / 'w.npz')
    save = 'model.save_weights(path)' if kind == 'save_weights' else 'opt.save_state(path)'
    writer = 'savez_compressed' if kind == 'save_weights' else 'savez'
    script = textwrap.dedent(f'''
        import sys, time
        import numpy as np
        from dezero import optimizers
        from dezero.models import MLP
        path = {path!r}
        np.random.seed(0)
        model = MLP((5, 3))
        model(np.zeros((1, 2), dtype=np.float32))
        opt = optimizers.MomentumSGD(lr=0.5).setup(model)
        if sys.argv[1] == 'first':
            {save}
            sys.exit(0)
        def hang(f, **arrays):
            f.write(b'PK half a file' * 1000)
            f.flush()
            print('writing', flush=True)
            time.sleep(60)
        np.{writer} = hang
        model.l0.W.data += 1
        opt.lr = 0.25
        {save}
    ''')
    env = dict(os.environ, PYTHONPATH=ROOT)
    subprocess.run([sys.executable, '-c', script, 'first'], env=env, check=True)
    for _ in range(5):
        proc = subprocess.Popen([sys.executable, '-c', script, 'again'], stdout=subprocess.PIPE, env=env,
                                text=True)
        try:
            assert proc.stdout.readline() == 'writing\n'
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.wait()
            proc.stdout.close()
        assert proc.returncode == -signal.SIGKILL
    assert sorted(os.listdir(tmp_path)) == ['w.npz', 'w.npz.tmp']

    np.random.seed(0)
    expected = MLP((5, 3))
    expected(np.zeros((1, 2), dtype=np.float32))
    if kind == 'save_weights':
        fresh = MLP((5, 3))
        fresh.load_weights(path)
        np.testing.assert_array_equal(fresh.l0.W.data, expected.l0.W.data)
        expected.save_weights(path)
    else:
        opt = optimizers.MomentumSGD(lr=0.1).setup(expected)
        opt.load_state(path)
        assert opt.lr == 0.5
        opt.save_state(path)
    assert sorted(os.listdir(tmp_path)) == ['w.npz']


def test_save_leaves_the_model_on_its_device(tmp_path):
    model = _trained_mlp()
    W = model.l0.W.data
    model.save_weights(tmp_path / 'w.npz')
    assert model.l0.W.data is W


@needs_gpu
def test_gpu_model_saves_stays_on_gpu_and_loads_onto_gpu(tmp_path):
    from dezero import cuda
    model = _trained_mlp()
    model.to_gpu()
    model.save_weights(tmp_path / 'w.npz')
    assert cuda.is_cupy_array(model.l0.W.data)
    fresh = MLP((5, 3))
    fresh.to_gpu()
    fresh.load_weights(tmp_path / 'w.npz')
    assert cuda.is_cupy_array(fresh.l0.W.data)
    y = fresh(cuda.as_cupy(np.ones((2, 2), dtype=np.float32)))
    assert cuda.is_cupy_array(y.data)
    model.to_cpu()
    assert isinstance(model.l0.W.data, np.ndarray)


def test_to_cpu_keeps_numpy_arrays():
    model = _trained_mlp()
    model.to_cpu()
    assert all(isinstance(p.data, np.ndarray) for p in model.params())

