"""The models that tests/test_onnx.py exports and runs in ONNX Runtime (and tools/onnx_report.py reports on).

Each case is a function returning ``(model_or_function, example_inputs, other_inputs)``: the model is
exported with ``example_inputs``, the inputs whose axis 0 has another size in ``other_inputs`` having
a dynamic batch axis, and run on both. Weights are random (seeded); batch norm gets running
statistics from a few training steps first, so test mode does more than the identity.
"""
import numpy as np

import dezero
import dezero.functions as F
import dezero.layers as L
from dezero import models


def _rand(*shape, seed=0):
    return np.random.RandomState(seed).randn(*shape).astype(np.float32)


def _ids(*shape, high=10, seed=0):
    return np.random.RandomState(seed).randint(0, high, size=shape).astype(np.int64)


# ---- an MLP with every activation ---------------------------------------------------------------
ACTIVATIONS = {
    'sigmoid': F.sigmoid, 'sigmoid_simple': F.sigmoid_simple, 'relu': F.relu, 'leaky_relu': F.leaky_relu,
    'softplus': F.softplus, 'softplus_beta2': lambda x: F.softplus(x, beta=2.0), 'elu': F.elu,
    'gelu': F.gelu, 'gelu_tanh': lambda x: F.gelu(x, approximate='tanh'), 'tanh': F.tanh,
    'softmax': F.softmax, 'log_softmax': F.log_softmax,
}


def _mlp(activation):
    def case():
        np.random.seed(1)
        model = models.MLP((16, 12, 3), activation=ACTIVATIONS[activation])
        return model, [_rand(4, 5)], [_rand(7, 5, seed=1)]
    return case


# ---- a CNN ---------------------------------------------------------------------------------------
class CNN(dezero.Model):
    """conv2d with stride and pad, batch norm, max and average pooling, dropout, flatten, linear."""

    def __init__(self):
        super().__init__()
        self.conv1 = L.Conv2d(8, kernel_size=3, stride=2, pad=1)
        self.bn1 = L.BatchNorm()
        self.conv2 = L.Conv2d(6, kernel_size=3, stride=1, pad=1)
        self.bn2 = L.BatchNorm()
        self.drop = L.Dropout(0.3)
        self.fc = L.Linear(10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.pooling(x, 2, stride=2)
        x = F.relu(self.bn2(self.conv2(x)))
        x = F.average_pooling(x, 3, stride=2, pad=1)
        x = self.drop(F.flatten(x))
        return self.fc(x)


def _trained_bn(model, x, steps=3):
    """A few training-mode forwards, so that the running statistics of batch norm are not 0 and 1."""
    for i in range(steps):
        model(x + i)
    return model


def cnn():
    np.random.seed(2)
    model = CNN()
    _trained_bn(model, _rand(8, 3, 16, 16, seed=5) * 2 + 1)
    return model, [_rand(2, 3, 16, 16)], [_rand(5, 3, 16, 16, seed=1)]


def average_pooling_without_pad_counting():
    def f(x):
        return F.average_pooling(x, 3, stride=2, pad=1, count_include_pad=False)
    return f, [_rand(2, 3, 9, 9)], [_rand(3, 3, 9, 9, seed=1)]


def deconv2d():
    np.random.seed(3)
    model = models.Sequential(L.Deconv2d(4, kernel_size=4, stride=2, pad=1), F.relu,
                              L.Deconv2d(2, kernel_size=3, stride=1, pad=1))
    return model, [_rand(2, 3, 5, 5)], [_rand(4, 3, 5, 5, seed=1)]


def deconv2d_outsize():
    W = _rand(3, 2, 3, 3, seed=4)
    b = _rand(2, seed=5)

    def f(x):
        return F.deconv2d(x, W, b, stride=2, pad=1, outsize=(10, 10))
    return f, [_rand(2, 3, 5, 5)], [_rand(3, 3, 5, 5, seed=1)]


# ---- recurrent networks, unrolled over a fixed sequence length ----------------------------------
def _recurrent(layer_class):
    def case():
        np.random.seed(4)
        layer = layer_class(6)
        fc = L.Linear(3)

        def unrolled(xs):             # xs: (N, T, D)
            layer.reset_state()
            hs = [layer(xs[:, t]) for t in range(xs.shape[1])]
            return fc(hs[-1]), F.stack(hs, axis=1)
        return unrolled, [_rand(2, 5, 4)], [_rand(3, 5, 4, seed=1)]
    return case


def embed_id():
    np.random.seed(5)
    embed = L.EmbedID(10, 4, dtype=np.float32)
    fc = L.Linear(3)

    def f(ids):
        return fc(F.sum(embed(ids), axis=1))
    return f, [_ids(2, 6)], [_ids(5, 6, seed=1)]


def softmax_and_log_softmax():
    def f(x):
        return F.softmax(x), F.log_softmax(x, axis=-1), F.softmax(x, axis=0)
    return f, [_rand(3, 4, 5) * 3], [_rand(6, 4, 5, seed=1) * 3]


# ---- arithmetic with broadcasting, elementwise functions, reductions ---------------------------
def arithmetic():
    def f(x, y):                       # x: (N, 3, 4), y: (4,)
        a = x + y - y * x / (F.abs(y) + 1)
        b = -x + 2.0 * x ** 2 - 1 / (x * x + 1) + 3 - x
        c = (F.abs(x) + 0.5) ** y + 2.0 ** y
        return a, b, c
    return f, [_rand(2, 3, 4), _rand(4, seed=1)], [_rand(5, 3, 4, seed=2), _rand(4, seed=1)]


def elementwise():
    def f(x):
        y = F.sin(x) + F.cos(x) * F.exp(x * 0.5) + F.log(F.abs(x) + 1) + F.sqrt(F.square(x) + 1)
        y = y + F.erf(x) + F.clip(x, -0.5, 0.5) + F.maximum(x, 0.2) + F.minimum(x, F.tanh(x))
        return y
    return f, [_rand(3, 4)], [_rand(6, 4, seed=1)]


def reductions():
    def f(x):
        return (F.sum(x, axis=1), F.mean(x, axis=(1, 2), keepdims=True), F.max(x, axis=2),
                F.min(x, axis=-1, keepdims=True), F.logsumexp(x, axis=1), F.sum(x))
    return f, [_rand(2, 3, 4)], [_rand(5, 3, 4, seed=1)]


def broadcast_and_sum_to():
    def f(x, y):                           # x: (N, 3, 4), y: (3, 1)
        return F.sum_to(x, (3, 1)) + F.broadcast_to(y, (3, 4)), F.broadcast_to(y, (2, 3, 4))
    return f, [_rand(2, 3, 4), _rand(3, 1, seed=1)], [_rand(5, 3, 4, seed=2), _rand(3, 1, seed=1)]


# ---- indexing, joining, transposing, matmul ------------------------------------------------------
def get_item():
    def f(x):                              # x: (N, 4, 5)
        return (x[:, 1:3], x[..., ::2], x[:, None, 0], x[:, -1], x[:, ::-1, 1:-1], x[:, [0, 2, 2]],
                x[:, :, -2:], F.get_item(x, (slice(None), 1, np.array([4, 0]))))
    return f, [_rand(2, 4, 5)], [_rand(3, 4, 5, seed=1)]


def concat_transpose_matmul():
    W = _rand(5, 3, seed=1)

    def f(x, y):                           # x: (N, 4, 5), y: (N, 2, 5)
        z = F.concat([x, y], axis=1)       # (N, 6, 5)
        t = F.transpose(z, (0, 2, 1))      # (N, 5, 6)
        m = F.matmul(z, t)                 # (N, 6, 6), batched
        w = F.matmul(F.reshape(z, (-1, 5)), W)
        s = F.stack([x[:, 0], y[:, 1]], axis=1)
        parts = F.split(z, [2, 5], axis=1)
        return m, w, s, parts[0] * 2, parts[1], parts[2], z.T
    return f, [_rand(2, 4, 5), _rand(2, 2, 5, seed=1)], [_rand(3, 4, 5, seed=2), _rand(3, 2, 5, seed=3)]


def shapes():
    def f(x):                              # x: (N, 2, 3)
        y = F.expand_dims(x, 1)
        return F.flatten(x), F.squeeze(y, 1) * 2, F.reshape(x, (x.shape[0], 3, 2)), x.reshape(-1, 3)
    return f, [_rand(2, 2, 3)], [_rand(5, 2, 3, seed=1)]


def layer_norm():
    np.random.seed(6)
    model = models.Sequential(L.Linear(8), L.LayerNorm(), F.relu, L.Linear(2))
    return model, [_rand(3, 5)], [_rand(4, 5, seed=1)]


# ---- the image networks ------------------------------------------------------------------------
def squeezenet():
    np.random.seed(7)
    return models.SqueezeNet(n_classes=10), [_rand(1, 3, 48, 48)], [_rand(2, 3, 48, 48, seed=1)]


def resnet50():
    np.random.seed(8)
    model = models.ResNet(50)
    _trained_bn(model, _rand(2, 3, 64, 64, seed=5), steps=1)
    return model, [_rand(1, 3, 64, 64)], [_rand(2, 3, 64, 64, seed=1)]


def vgg16():
    np.random.seed(9)
    return models.VGG16(), [_rand(1, 3, 224, 224)], [_rand(2, 3, 224, 224, seed=1)]


CASES = {f'mlp_{name}': _mlp(name) for name in ACTIVATIONS}
CASES.update({
    'cnn': cnn, 'average_pooling_count_include_pad_false': average_pooling_without_pad_counting,
    'deconv2d': deconv2d, 'deconv2d_outsize': deconv2d_outsize,
    'rnn': _recurrent(L.RNN), 'lstm': _recurrent(L.LSTM), 'gru': _recurrent(L.GRU), 'embed_id': embed_id,
    'softmax_log_softmax': softmax_and_log_softmax, 'arithmetic': arithmetic, 'elementwise': elementwise,
    'reductions': reductions, 'broadcast_to_sum_to': broadcast_and_sum_to, 'get_item': get_item,
    'concat_transpose_matmul': concat_transpose_matmul, 'shapes': shapes, 'layer_norm': layer_norm,
    'squeezenet': squeezenet, 'resnet50': resnet50, 'vgg16': vgg16,
})
SLOW = {'resnet50', 'vgg16'}


def dynamic_flags(inputs, other):
    """The inputs whose axis 0 is a batch axis: those whose size there differs in ``other``."""
    return [x.ndim > 0 and x.shape[0] != y.shape[0] for x, y in zip(inputs, other)]


def run_case(name, path, ort, other_batch=True):
    """Export case ``name`` to ``path`` and compare ONNX Runtime with dezero in test mode.

    Returns {'example': (max abs difference, relative difference), 'other': the same}; the
    relative difference is max|onnx - dezero| / max|dezero| over each output, the largest over outputs.
    """
    model, xs, other = CASES[name]()
    flags = dynamic_flags(xs, other)
    dezero.onnx.export(model, xs, path, dynamic_batch=flags)
    session = ort.InferenceSession(str(path), providers=['CPUExecutionProvider'])
    result = {'example': _compare(model, session, xs), 'other': None}
    if other_batch:
        result['other'] = _compare(model, session, other)
    return result


def _compare(model, session, xs):
    with dezero.test_mode(), dezero.no_grad():
        ref = model(*[dezero.Variable(x) for x in xs])
    ref = list(ref) if isinstance(ref, (tuple, list)) else [ref]
    got = session.run(None, {i.name: x for i, x in zip(session.get_inputs(), xs)})
    assert len(got) == len(ref)
    abs_diff = rel_diff = 0.0
    for g, r in zip(got, ref):
        assert g.shape == r.shape and g.dtype == r.dtype, (g.shape, r.shape, g.dtype, r.dtype)
        d = float(np.abs(g.astype(np.float64) - r.data).max()) if r.size else 0.0
        scale = float(np.abs(r.data).max()) if r.size else 0.0
        abs_diff = max(abs_diff, d)
        rel_diff = max(rel_diff, d / scale if scale else d)
    return abs_diff, rel_diff
