"""Grad-CAM (book 3's examples/grad_cam.py): where in the image a network looks for the class it predicts.

The score of the predicted class is back-propagated to the output A of the last convolution;
each of its maps gets a weight, its gradient averaged over the positions, and the heat map is
ReLU(sum_k weight_k A_k), scaled to [0, 1] and laid over the image.

Two networks, picked by --net (default auto: vgg16 when its pretrained weights are there, else cnn):

* vgg16: the book's example. A photo goes through VGG16 at 224x224 and the map is taken at
  conv5_3 (512 maps of 14x14), resized to the photo and coloured with jet (NumPy, Pillow and
  matplotlib; no OpenCV). The image is --image (a path, a URL or 'random'; default matplotlib's
  sample photo of Grace Hopper, which the pretrained network calls a military uniform). Without
  the pretrained weights (see --weights and --download) VGG16 has random weights, says so, and its
  heat map means nothing. --quick feeds a 96x96 image (random weights only).
* cnn: what runs offline, and shows the method working. A small CNN (two 3x3 convolutions at full
  28x28 resolution, max pooling, dropout, a Linear layer) is trained on MNIST (--root, or the
  download folder; at most 10,000 images) for --epochs epochs (2), and Grad-CAM is taken at its
  last convolution (28x28) for the first 1,000 held-out digits. The map should sit on the
  strokes: the note printed and metrics.json give the share of the map's mass that falls on ink pixels (>= 0.5), against
  the share of pixels that are ink (what a map spread at random gets) and against the same maps
  laid over another digit (what a map that merely sits in the middle, where digits are, gets);
  and how often the map's peak falls on the digit's ink (dilated by one pixel). --quick trains
  one epoch on at most 8,000 images and checks 300 digits.

Fixes the original's bug: VGG16 applies dropout in its forward pass, so it must run in
``dezero.test_mode()``; the original did not, and its heat map changed from run to run. The
heat map is computed twice to check that it is now the same (and twice without test mode, to
show that it was not); the CNN has dropout too, for the same check. Only the gradient down to
the target layer is needed, so the graph is cut there with ``unchain()``.

    python examples/grad_cam.py --out out/grad_cam
    python examples/grad_cam.py --net vgg16 --download --out out/grad_cam_vgg16
"""
import os
import sys

if __package__ in (None, ''):   # run as a script: import `examples` and `dezero` from this checkout
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir)))
from examples import common  # noqa: E402
from examples import _vgg  # noqa: E402

import numpy as np  # noqa: E402

import dezero  # noqa: E402
import dezero.functions as F  # noqa: E402
import dezero.layers as L  # noqa: E402
from dezero import optimizers  # noqa: E402
from dezero.models import VGG16, Model  # noqa: E402
from examples.classic.common.mnist import add_root_option, load_mnist  # noqa: E402

INK = 0.5           # a pixel is ink when its intensity (in [0, 1]) is at least this


class DigitCNN(Model):
    """conv 3x3 (16) - ReLU - conv 3x3 (32) - ReLU - max pool 4 - dropout - Linear(10), on 28x28 digits.

    Both convolutions keep the full 28x28 resolution, so Grad-CAM at conv2 is as fine as the digit.
    """

    def __init__(self):
        super().__init__()
        self.conv1 = L.Conv2d(16, 3, pad=1, init='he')
        self.conv2 = L.Conv2d(32, 3, pad=1, init='he')
        self.fc = L.Linear(10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.pooling(F.relu(self.conv2(x)), 4, 4)
        x = F.dropout(x, 0.25)
        return self.fc(F.reshape(x, (x.shape[0], -1)))


def grad_cams(model, x, layer, class_ids=None, test_mode=True):
    """(heat maps (N, h, w) in [0, 1], class ids, their scores) for the batch x, at ``layer``'s output grid.

    Each image's map comes from its own score: the images of a batch do not mix (no batch
    statistics in the forward pass). ``class_ids`` None takes each image's top class.
    """
    layer.retain_outputs = True             # keep the layer's output (the relu after it keeps only its own)
    with dezero.using_config('train', not test_mode):
        y = model(x)
    A = layer.outputs[0]()                  # the layer's output (before its ReLU), (N, C, h, w)
    A.unchain()                             # the backward pass stops here
    if class_ids is None:
        class_ids = y.data.argmax(axis=1)
    rows = np.arange(len(x))
    scores = y[rows, class_ids]
    F.sum(scores).backward()
    weights = A.grad.data.mean(axis=(2, 3))                         # (N, C): one per map
    cams = np.maximum((A.data * weights[:, :, np.newaxis, np.newaxis]).sum(axis=1), 0)
    peak = cams.max(axis=(1, 2), keepdims=True)
    cams = np.where(peak > 0, cams / np.where(peak > 0, peak, 1), 0)
    return cams, np.asarray(class_ids), scores.data


def grad_cam(model, x, class_id=None, test_mode=True):
    """(heat map over VGG16's conv5_3 grid in [0, 1], class id, its score) for one image x (1, 3, H, W)."""
    cams, ids, scores = grad_cams(model, x, model.conv5_3, None if class_id is None else [class_id], test_mode)
    return cams[0], int(ids[0]), float(scores[0])


def overlay(image, cam, alpha=0.4):
    """The image (PIL) with the heat map resized to it and coloured with jet: an RGB float array in [0, 1]."""
    from matplotlib import colormaps
    from PIL import Image
    heat = Image.fromarray(cam.astype(np.float32)).resize(image.size, Image.BILINEAR)     # mode 'F'
    colour = colormaps['jet'](np.clip(np.asarray(heat), 0, 1))[:, :, :3]
    return np.clip((1 - alpha) * np.asarray(image, dtype=np.float32) / 255 + alpha * colour, 0, 1)


def class_label(class_id):
    """The ImageNet label of ``class_id`` if the label file is already downloaded, else ''."""
    from dezero.datasets import ImageNet
    name = ImageNet.url[ImageNet.url.rfind('/') + 1:]
    if not os.path.exists(os.path.join(dezero.utils.get_cache_dir(), name)):
        return ''
    return ImageNet.labels().get(class_id, '')


def ink_scores(cams, images):
    """How well heat maps (N, 28, 28) sit on the ink of their digits (N, 28, 28), with two baselines."""
    ink = images >= INK
    other = np.roll(ink, 1, axis=0)            # each map against the next digit's ink
    near = ink.copy()
    for axis, step in ((1, 1), (1, -1), (2, 1), (2, -1)):
        near |= np.roll(ink, step, axis=axis)  # ink dilated by one pixel, for the peak
    near_other = np.roll(near, 1, axis=0)

    def mass(k):
        return float(np.mean((cams * k).sum(axis=(1, 2)) / np.maximum(cams.sum(axis=(1, 2)), 1e-12)))

    peak = cams.reshape(len(cams), -1).argmax(axis=1)
    rows = np.arange(len(cams))
    return {'mass_on_ink': mass(ink), 'ink_fraction': float(ink.mean()), 'mass_on_other_ink': mass(other),
            'peak_on_ink': float(near.reshape(len(cams), -1)[rows, peak].mean()),
            'peak_on_other_ink': float(near_other.reshape(len(cams), -1)[rows, peak].mean()),
            'digits': len(cams)}


def train_cnn(args):
    """A DigitCNN trained on MNIST; returns (model, test images, test labels, accuracy, data source)."""
    (x_train, t_train), (x_test, t_test), source = load_mnist(args.root, flatten=False, quick=args.quick,
                                                              n_train=10000)
    model = DigitCNN()
    optimizer = optimizers.Adam(alpha=0.002).setup(model)
    epochs = args.epochs or (1 if args.quick else 2)
    for epoch in range(epochs):
        order = np.random.permutation(len(x_train))
        for i in common.progress(range(0, len(x_train), 100), desc=f'epoch {epoch + 1}'):
            idx = order[i:i + 100]
            loss = F.softmax_cross_entropy(model(x_train[idx]), t_train[idx])
            model.cleargrads()
            loss.backward()
            optimizer.update()
    with dezero.test_mode(), dezero.no_grad():
        accuracy = float(np.mean([F.accuracy(model(x_test[i:i + 500]), t_test[i:i + 500]).data
                                  for i in range(0, len(x_test), 500)]))
    print(f'DigitCNN: {len(x_train)} training images, {epochs} epoch{"s" if epochs > 1 else ""}, '
          f'test accuracy {accuracy:.4f}')
    return model, x_test, t_test, accuracy, source


def run_cnn(args):
    """Grad-CAM on the trained DigitCNN: the figure, the ink scores, the test-mode check."""
    model, x_test, t_test, accuracy, source = train_cnn(args)
    n = 300 if args.quick else 1000
    cams, ids = [], []
    for i in range(0, n, 100):
        c, k, _ = grad_cams(model, x_test[i:i + 100], model.conv2)
        cams.append(c)
        ids.append(k)
    cams, ids = np.concatenate(cams), np.concatenate(ids)
    scores = ink_scores(cams, x_test[:n, 0])
    again, _, _ = grad_cams(model, x_test[:100], model.conv2, ids[:100])
    train_a, _, _ = grad_cams(model, x_test[:100], model.conv2, ids[:100], test_mode=False)
    train_b, _, _ = grad_cams(model, x_test[:100], model.conv2, ids[:100], test_mode=False)
    print(f'Grad-CAM at conv2 ({cams.shape[1]}x{cams.shape[2]}) of {n} test digits: {scores["mass_on_ink"]:.1%} '
          f'of the map\'s mass lies on ink, which covers {scores["ink_fraction"]:.1%} of the pixels; laid over '
          f'another digit the same maps put {scores["mass_on_other_ink"]:.1%} on its ink. The peak is on the ink '
          f'in {scores["peak_on_ink"]:.1%} of the digits ({scores["peak_on_other_ink"]:.1%} on another digit\'s).')

    show = 8
    fig, axes = common.new_figure(2, show, figsize=(1.35 * show, 3.3))
    for j in range(show):
        axes[0, j].imshow(x_test[j, 0], cmap='gray', vmin=0, vmax=1)
        axes[0, j].set_title(f'label {t_test[j]}', fontsize=8)
        axes[1, j].imshow(x_test[j, 0], cmap='gray', vmin=0, vmax=1)
        axes[1, j].imshow(cams[j], cmap='jet', vmin=0, vmax=1, alpha=0.55)
        axes[1, j].set_title(f'class {ids[j]}', fontsize=8)
        for ax in axes[:, j]:
            ax.axis('off')
    fig.suptitle(f'Grad-CAM at conv2 of a CNN trained on MNIST (test accuracy {accuracy:.3f}): '
                 f'{scores["mass_on_ink"]:.0%} of the heat on ink covering {scores["ink_fraction"]:.0%} of the pixels',
                 fontsize=9)
    figures = [common.save_figure(fig, args.out, 'grad_cam.png')]
    metrics = {'net': 'cnn', 'pretrained': False, 'data': source, 'test_accuracy': accuracy,
               'cam_shape': list(cams.shape[1:]), 'cam_min': float(cams.min()), 'cam_max': float(cams.max()),
               'test_mode_difference': float(np.abs(cams[:100] - again).max()),
               'dropout_difference': float(np.abs(train_a - train_b).max()), **scores}
    summary = (f'grad_cam: CNN on MNIST (test accuracy {accuracy:.3f}); {scores["mass_on_ink"]:.1%} of the heat '
               f'map on ink covering {scores["ink_fraction"]:.1%} of the pixels (another digit\'s ink: '
               f'{scores["mass_on_other_ink"]:.1%}); peak on ink in {scores["peak_on_ink"]:.1%} of {n} digits; '
               f'the map is {"the same" if metrics["test_mode_difference"] == 0 else "DIFFERENT"} when computed '
               f'again in test mode')
    return metrics, summary, figures


def main(argv=None):
    parser = common.make_parser(__doc__, 'grad_cam', needs=('matplotlib',))
    _vgg.add_options(parser)
    add_root_option(parser)
    parser.add_argument('--net', choices=('auto', 'vgg16', 'cnn'), default='auto',
                        help='vgg16 (the book), cnn (trained here on MNIST) or auto (default): vgg16 when its '
                             'pretrained weights are there, else cnn')
    parser.add_argument('--image', default=None, help="vgg16's image: a path, a URL or 'random' "
                        "(default: matplotlib's sample photo)")
    parser.add_argument('--epochs', type=int, default=None, help="cnn's training epochs (default 2, 1 with --quick)")
    args = common.parse(parser, argv)
    net = args.net
    if net == 'auto':
        net = 'vgg16' if os.path.exists(args.weights) or args.download else 'cnn'
        print(f'--net auto: {net} (' + ('the pretrained VGG16 weights are there)' if net == 'vgg16' else
                                        f'no pretrained VGG16 weights at {args.weights}; --download fetches them)'))
    if net == 'cnn':
        metrics, summary, figures = run_cnn(args)
        return common.finish(args, metrics, summary, figures)
    common.require('grad_cam', 'PIL')

    model = VGG16()
    pretrained = _vgg.load_weights(model, args)
    size = 96 if args.quick and not pretrained else 224
    image, image_name = _vgg.load_image(args.image, args.seed)
    if max(image.size) > 400:                              # keep the figures small
        scale = 400 / max(image.size)
        image = image.resize((round(image.width * scale), round(image.height * scale)))
    x = _vgg.preprocess(image, size)

    cam, class_id, score = grad_cam(model, x)
    cam_again, _, _ = grad_cam(model, x, class_id)
    train_a, _, _ = grad_cam(model, x, class_id, test_mode=False)
    train_b, _, _ = grad_cam(model, x, class_id, test_mode=False)
    label = class_label(class_id) if pretrained else ''
    print(f'{image_name}, {size}x{size}: predicted class {class_id}{" (" + label + ")" if label else ""}, '
          f'score {score:.3f}')
    print(f'heat map {cam.shape[0]}x{cam.shape[1]}; computed twice in test mode: largest difference '
          f'{np.abs(cam - cam_again).max():.1e}; twice with dropout active (the original): '
          f'{np.abs(train_a - train_b).max():.2f}')

    blended = overlay(image, cam)
    fig, axes = common.new_figure(1, 3, figsize=(10, 3.8))
    axes[0].imshow(image)
    axes[0].set_title(image_name if len(image_name) < 40 else 'input image', fontsize=9)
    axes[1].imshow(cam, cmap='jet', vmin=0, vmax=1)
    axes[1].set_title(f'Grad-CAM at conv5_3 ({cam.shape[0]}x{cam.shape[1]})', fontsize=9)
    axes[2].imshow(blended)
    weights_note = 'pretrained' if pretrained else 'RANDOM weights'
    axes[2].set_title(f'class {class_id} {label} ({weights_note})'.replace('  ', ' '), fontsize=9)
    for ax in axes:
        ax.axis('off')
    figures = [common.save_figure(fig, args.out, 'grad_cam.png')]

    metrics = {'net': 'vgg16', 'pretrained': pretrained, 'image': image_name, 'input_size': size, 'class_id': class_id,
               'class_label': label, 'score': score, 'cam_shape': list(cam.shape),
               'cam_min': float(cam.min()), 'cam_max': float(cam.max()),
               'test_mode_difference': float(np.abs(cam - cam_again).max()),
               'dropout_difference': float(np.abs(train_a - train_b).max())}
    summary = (f'grad_cam: class {class_id}{" (" + label + ")" if label else ""} for {image_name} with '
               f'{"pretrained" if pretrained else "random"} weights; the heat map is '
               f'{"the same" if metrics["test_mode_difference"] == 0 else "DIFFERENT"} when computed again '
               f'in test mode (with dropout on it changes by up to {metrics["dropout_difference"]:.2f})')
    return common.finish(args, metrics, summary, figures)


if __name__ == '__main__':
    main()
