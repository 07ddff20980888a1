"""Models: ``Model`` (a Layer that can draw and summarise itself), ``Sequential``, ``MLP`` and the
image networks VGG16, ResNet-50/101/152 and SqueezeNet.

Pretrained weights are fetched with ``utils.get_file`` from the original DeZero's release
files, once, into the download folder (``DEZERO_HOME``); afterwards they load offline.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from dezero import utils
from dezero._checks import positive_int
from dezero.engine import no_grad, test_mode
from dezero.layers import Layer, _count_line
import dezero.functions as F
import dezero.layers as L

if TYPE_CHECKING:
    from numpy.typing import DTypeLike

    from dezero.engine import Variable
    from dezero.typing import Operand


class Model(Layer):
    def plot(self, *inputs: Operand, to_file: str | None = 'model.png') -> Any:
        """Run ``forward(*inputs)`` and draw its computation graph (with shapes) into ``to_file``."""
        y = self.forward(*inputs)
        return utils.plot_dot_graph(y, verbose=True, to_file=to_file)

    def summary(self, *inputs: Operand) -> None:
        """Print each layer's output shape and parameter count for ``inputs``, as Keras' summary does.

        Runs one forward pass in test mode without recording gradients. Like any first pass it
        creates the lazily shaped parameters, and recurrent layers keep the state it leaves
        (call ``reset_state()`` before training).

        >>> import numpy as np
        >>> MLP((10, 3)).summary(np.zeros((2, 4), dtype=np.float32))
        MLP: input (2, 4) -> output (2, 3)
        layer  type    output shape  parameters
        l0     Linear  (2, 10)               50
        l1     Linear  (2, 3)                33
        total parameters: 83
        """
        tree, shapes = _layer_tree(self), {}
        wrapped = {id(layer): layer for _, _, layer in tree}
        for layer in wrapped.values():
            layer.__dict__['forward'] = _recording(layer, shapes)
        try:
            with test_mode(), no_grad():
                y = self(*inputs)
        finally:
            for layer in wrapped.values():
                layer.__dict__.pop('forward', None)
        rows = [('layer', 'type', 'output shape', 'parameters')]
        for depth, name, layer in tree[1:]:
            seen = shapes.get(id(layer), [])
            shape = 'not called' if not seen else seen[0] + (f' x{len(seen)} calls' if len(seen) > 1 else '')
            count = sum(int(p.data.size) for p in layer.params() if p.data is not None)
            rows.append(('  ' * (depth - 1) + name, type(layer).__name__, shape, f'{count:,}'))
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        text = [f'{type(self).__name__}: input {", ".join(_shape_of(x) for x in inputs)} -> output {_shape_of(y)}']
        text += ['  '.join((r[0].ljust(widths[0]), r[1].ljust(widths[1]), r[2].ljust(widths[2]),
                            r[3].rjust(widths[3]))) for r in rows]
        text.append('total ' + _count_line(self))
        print('\n'.join(text))


def _layer_tree(layer, depth=0, name=''):
    """[(depth, name, layer)] of ``layer`` and all its sub-layers, in assignment order."""
    tree = [(depth, name, layer)]
    for key in layer.__dict__.get('_params', {}):
        obj = layer.__dict__[key]
        if isinstance(obj, Layer):
            tree += _layer_tree(obj, depth + 1, key)
    return tree


def _shape_of(x):
    """'(2, 3)' for an array or Variable; a tuple of outputs gives their shapes joined by commas."""
    if isinstance(x, (tuple, list)):
        return ', '.join(_shape_of(v) for v in x)
    return str(tuple(x.shape)) if hasattr(x, 'shape') else type(x).__name__


def _recording(layer, shapes):
    """A stand-in for ``layer.forward`` that records the shape of each output in ``shapes``."""
    forward = type(layer).forward.__get__(layer)

    def record(*args, **kwargs):
        out = forward(*args, **kwargs)
        shapes.setdefault(id(layer), []).append(_shape_of(out))
        return out
    return record


class Sequential(Model):
    """Apply ``layers`` in order; plain functions (``F.relu``, lambdas) may be mixed in."""

    def __init__(self, *layers: Layer | Callable[[Variable], Variable]) -> None:
        super().__init__()
        self.layers = []
        for i, layer in enumerate(layers):
            setattr(self, 'l' + str(i), layer)
            self.layers.append(layer)

    def forward(self, x: Operand) -> Variable:
        for layer in self.layers:
            x = layer(x)
        return x


class MLP(Model):
    """Fully connected layers ``l0, l1, ...`` of the given output sizes, ``activation`` between them.

    The last layer has no activation: it returns the raw scores (logits).
    """

    def __init__(self, fc_output_sizes: Sequence[int],
                 activation: Callable[[Variable], Variable] = F.sigmoid) -> None:
        super().__init__()
        if not isinstance(fc_output_sizes, (list, tuple)) or len(fc_output_sizes) == 0:
            raise TypeError('MLP: fc_output_sizes must be a non-empty list or tuple of positive ints, '
                            f'such as (10, 3), got {fc_output_sizes!r}')
        for i, size in enumerate(fc_output_sizes):
            positive_int('MLP', f'fc_output_sizes[{i}]', size)
        if not callable(activation):
            raise TypeError(f'MLP: activation must be a function such as F.relu, got {activation!r}')
        self.activation = activation
        self.layers = []

        for i, out_size in enumerate(fc_output_sizes):
            layer = L.Linear(out_size)
            setattr(self, 'l' + str(i), layer)
            self.layers.append(layer)

    def forward(self, x: Operand) -> Variable:
        for layer in self.layers[:-1]:
            x = self.activation(layer(x))
        return self.layers[-1](x)


# =============================================================================
# Pretrained weights
# =============================================================================
def load_pretrained(model: Layer, url: str) -> str:
    """Download (once) the weights file at ``url`` and load it into ``model``; returns its path.

    No checksum of the original DeZero's weight files is published, so the file is verified by
    its format instead, on download and on every later use: a NumPy ``.npz`` read without pickle,
    holding exactly the model's keys with the shapes its layers expect. A file that fails is
    reported as corrupt, naming it, and downloaded again; the model is changed only by a file
    that passed.
    """
    state = {}

    def verify(path):
        arrays = utils.read_npz(path, f'{type(model).__name__} weights file')
        model._check_state(arrays)      # raises CheckpointError (a ValueError) naming what differs
        state.clear()
        state.update(arrays)

    path = utils.get_file(url, verify=verify)
    model.load_state_dict(state)
    return path


# =============================================================================
# VGG16
# =============================================================================
class VGG16(Model):
    """VGG-16 (Simonyan and Zisserman) for 224x224 images; 1000 ImageNet scores.

    Dropout is active in its forward: run inference inside ``dezero.test_mode()``.
    """
    WEIGHTS_PATH = 'https://github.com/koki0702/dezero-models/releases/download/v0.1/vgg16.npz'

    def __init__(self, pretrained: bool = False) -> None:
        super().__init__()
        self.conv1_1 = L.Conv2d(64, kernel_size=3, stride=1, pad=1)
        self.conv1_2 = L.Conv2d(64, kernel_size=3, stride=1, pad=1)
        self.conv2_1 = L.Conv2d(128, kernel_size=3, stride=1, pad=1)
        self.conv2_2 = L.Conv2d(128, kernel_size=3, stride=1, pad=1)
        self.conv3_1 = L.Conv2d(256, kernel_size=3, stride=1, pad=1)
        self.conv3_2 = L.Conv2d(256, kernel_size=3, stride=1, pad=1)
        self.conv3_3 = L.Conv2d(256, kernel_size=3, stride=1, pad=1)
        self.conv4_1 = L.Conv2d(512, kernel_size=3, stride=1, pad=1)
        self.conv4_2 = L.Conv2d(512, kernel_size=3, stride=1, pad=1)
        self.conv4_3 = L.Conv2d(512, kernel_size=3, stride=1, pad=1)
        self.conv5_1 = L.Conv2d(512, kernel_size=3, stride=1, pad=1)
        self.conv5_2 = L.Conv2d(512, kernel_size=3, stride=1, pad=1)
        self.conv5_3 = L.Conv2d(512, kernel_size=3, stride=1, pad=1)
        self.fc6 = L.Linear(4096)
        self.fc7 = L.Linear(4096)
        self.fc8 = L.Linear(1000)

        if pretrained:
            load_pretrained(self, VGG16.WEIGHTS_PATH)

    def forward(self, x: Operand) -> Variable:
        x = F.relu(self.conv1_1(x))
        x = F.relu(self.conv1_2(x))
        x = F.pooling(x, 2, 2)
        x = F.relu(self.conv2_1(x))
        x = F.relu(self.conv2_2(x))
        x = F.pooling(x, 2, 2)
        x = F.relu(self.conv3_1(x))
        x = F.relu(self.conv3_2(x))
        x = F.relu(self.conv3_3(x))
        x = F.pooling(x, 2, 2)
        x = F.relu(self.conv4_1(x))
        x = F.relu(self.conv4_2(x))
        x = F.relu(self.conv4_3(x))
        x = F.pooling(x, 2, 2)
        x = F.relu(self.conv5_1(x))
        x = F.relu(self.conv5_2(x))
        x = F.relu(self.conv5_3(x))
        x = F.pooling(x, 2, 2)
        x = F.reshape(x, (x.shape[0], -1))
        x = F.dropout(F.relu(self.fc6(x)))
        x = F.dropout(F.relu(self.fc7(x)))
        x = self.fc8(x)
        return x

    @staticmethod
    def preprocess(image: Any, size: tuple[int, int] | None = (224, 224),
                   dtype: DTypeLike = np.float32) -> np.ndarray:
        """A PIL image to the network's input: RGB, resized, BGR, mean-subtracted, CHW (no batch axis)."""
        image = image.convert('RGB')
        if size:
            image = image.resize(size)
        image = np.asarray(image, dtype=dtype)
        image = image[:, :, ::-1]
        image = image - np.array([103.939, 116.779, 123.68], dtype=dtype)
        image = image.transpose((2, 0, 1))
        return image


# =============================================================================
# ResNet
# =============================================================================
class ResNet(Model):
    """ResNet (He et al.) with bottleneck blocks; ``n_layers`` is 50, 101 or 152; 1000 scores."""
    WEIGHTS_PATH = 'https://github.com/koki0702/dezero-models/releases/download/v0.1/resnet{}.npz'

    def __init__(self, n_layers: int = 152, pretrained: bool = False) -> None:
        super().__init__()

        if n_layers == 50:
            block = [3, 4, 6, 3]
        elif n_layers == 101:
            block = [3, 4, 23, 3]
        elif n_layers == 152:
            block = [3, 8, 36, 3]
        else:
            raise ValueError('The n_layers argument should be either 50, 101, or 152, '
                             'but {} was given.'.format(n_layers))

        self.conv1 = L.Conv2d(64, 7, 2, 3)
        self.bn1 = L.BatchNorm()
        self.res2 = BuildingBlock(block[0], 64, 64, 256, 1)
        self.res3 = BuildingBlock(block[1], 256, 128, 512, 2)
        self.res4 = BuildingBlock(block[2], 512, 256, 1024, 2)
        self.res5 = BuildingBlock(block[3], 1024, 512, 2048, 2)
        self.fc6 = L.Linear(1000)

        if pretrained:
            load_pretrained(self, ResNet.WEIGHTS_PATH.format(n_layers))

    def forward(self, x: Operand) -> Variable:
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.pooling(x, kernel_size=3, stride=2)
        x = self.res2(x)
        x = self.res3(x)
        x = self.res4(x)
        x = self.res5(x)
        x = _global_average_pooling_2d(x)
        x = self.fc6(x)
        return x


class ResNet152(ResNet):
    def __init__(self, pretrained: bool = False) -> None:
        super().__init__(152, pretrained)


class ResNet101(ResNet):
    def __init__(self, pretrained: bool = False) -> None:
        super().__init__(101, pretrained)


class ResNet50(ResNet):
    def __init__(self, pretrained: bool = False) -> None:
        super().__init__(50, pretrained)


def _global_average_pooling_2d(x):
    N, C, H, W = x.shape
    h = F.average_pooling(x, (H, W), stride=1)
    h = F.reshape(h, (N, C))
    return h


class BuildingBlock(Layer):
    """One ``BottleneckA`` (named ``a``) followed by ``n_layers - 1`` ``BottleneckB`` (``b1, b2, ...``)."""

    def __init__(self, n_layers: int | None = None, in_channels: int | None = None, mid_channels: int | None = None,
                 out_channels: int | None = None, stride: int | None = None, downsample_fb: bool | None = None
                 ) -> None:
        super().__init__()

        self.a = BottleneckA(in_channels, mid_channels, out_channels, stride, downsample_fb)
        self._forward = ['a']
        for i in range(n_layers - 1):
            name = 'b{}'.format(i + 1)
            bottleneck = BottleneckB(out_channels, mid_channels, downsample_fb)
            setattr(self, name, bottleneck)
            self._forward.append(name)

    def forward(self, x: Operand) -> Variable:
        for name in self._forward:
            x = getattr(self, name)(x)
        return x


class BottleneckA(Layer):
    """A bottleneck that changes the channel count and may downsample: a 1x1 projection shortcut.

    ``downsample_fb`` puts the stride on the 3x3 convolution (Facebook) instead of the
    first 1x1 (MSRA). ``in_channels`` is unused: the convolutions infer it.
    """

    def __init__(self, in_channels: int, mid_channels: int, out_channels: int, stride: int = 2,
                 downsample_fb: bool = False) -> None:
        super().__init__()
        stride_1x1, stride_3x3 = (1, stride) if downsample_fb else (stride, 1)

        self.conv1 = L.Conv2d(mid_channels, 1, stride_1x1, 0, nobias=True)
        self.bn1 = L.BatchNorm()
        self.conv2 = L.Conv2d(mid_channels, 3, stride_3x3, 1, nobias=True)
        self.bn2 = L.BatchNorm()
        self.conv3 = L.Conv2d(out_channels, 1, 1, 0, nobias=True)
        self.bn3 = L.BatchNorm()
        self.conv4 = L.Conv2d(out_channels, 1, stride, 0, nobias=True)
        self.bn4 = L.BatchNorm()

    def forward(self, x: Operand) -> Variable:
        h1 = F.relu(self.bn1(self.conv1(x)))
        h1 = F.relu(self.bn2(self.conv2(h1)))
        h1 = self.bn3(self.conv3(h1))
        h2 = self.bn4(self.conv4(x))
        return F.relu(h1 + h2)


class BottleneckB(Layer):
    """A bottleneck that keeps the shape: identity shortcut."""

    def __init__(self, in_channels: int, mid_channels: int, downsample_fb: bool = False) -> None:
        super().__init__()

        self.conv1 = L.Conv2d(mid_channels, 1, 1, 0, nobias=True)
        self.bn1 = L.BatchNorm()
        self.conv2 = L.Conv2d(mid_channels, 3, 1, 1, nobias=True)
        self.bn2 = L.BatchNorm()
        self.conv3 = L.Conv2d(in_channels, 1, 1, 0, nobias=True)
        self.bn3 = L.BatchNorm()

    def forward(self, x: Operand) -> Variable:
        h = F.relu(self.bn1(self.conv1(x)))
        h = F.relu(self.bn2(self.conv2(h)))
        h = self.bn3(self.conv3(h))
        return F.relu(h + x)


# =============================================================================
# SqueezeNet
# =============================================================================
class Fire(Layer):
    """SqueezeNet's module: a 1x1 squeeze, then 1x1 and 3x3 expands concatenated on the channels."""

    def __init__(self, squeeze: int, expand1x1: int, expand3x3: int) -> None:
        super().__init__()
        self.squeeze = L.Conv2d(squeeze, 1)
        self.expand1x1 = L.Conv2d(expand1x1, 1)
        self.expand3x3 = L.Conv2d(expand3x3, 3, pad=1)

    def forward(self, x: Operand) -> Variable:
        x = F.relu(self.squeeze(x))
        return F.concat([F.relu(self.expand1x1(x)), F.relu(self.expand3x3(x))], axis=1)


class SqueezeNet(Model):
    """SqueezeNet 1.1 (Iandola et al.): AlexNet-level accuracy with 1.2 M parameters.

    ``n_classes`` scores per image (1000 by default). Dropout before the classifier is
    active in training, as in VGG16. No pretrained weights exist for it in the original.
    """

    def __init__(self, pretrained: bool = False, n_classes: int = 1000) -> None:
        super().__init__()
        if pretrained:
            raise ValueError('SqueezeNet has no pretrained weights to download: the original DeZero '
                             'never published any. Train it, or load your own with load_weights().')
        self.conv1 = L.Conv2d(64, 3, stride=2)
        self.fire2 = Fire(16, 64, 64)
        self.fire3 = Fire(16, 64, 64)
        self.fire4 = Fire(32, 128, 128)
        self.fire5 = Fire(32, 128, 128)
        self.fire6 = Fire(48, 192, 192)
        self.fire7 = Fire(48, 192, 192)
        self.fire8 = Fire(64, 256, 256)
        self.fire9 = Fire(64, 256, 256)
        self.conv10 = L.Conv2d(n_classes, 1)

    def forward(self, x: Operand) -> Variable:
        x = F.relu(self.conv1(x))
        x = F.pooling(x, 3, stride=2)
        x = self.fire3(self.fire2(x))
        x = F.pooling(x, 3, stride=2)
        x = self.fire5(self.fire4(x))
        x = F.pooling(x, 3, stride=2)
        x = self.fire9(self.fire8(self.fire7(self.fire6(x))))
        x = F.dropout(x, 0.5)
        x = F.relu(self.conv10(x))
        return _global_average_pooling_2d(x)
