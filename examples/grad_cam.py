"""Grad-CAM (book 3's examples/grad_cam.py): where in the image VGG16 looks for the class it predicts.

The image goes through VGG16 (224x224, the network's input size). The score of the top class
is back-propagated to the output A of the last convolution, conv5_3 (512 maps of 14x14);
each map's weight is its gradient averaged over the positions, and the heat map is
ReLU(sum_k weight_k A_k), scaled to [0, 1], resized to the image and overlaid with a jet
colour map (NumPy, Pillow and matplotlib; no OpenCV).

Fixes the original's bug: VGG16 applies dropout in its forward pass, so it must run in
``dezero.test_mode()``; the original did not, and its heat map changed from run to run. The
heat map is computed twice to check that it is now the same (and twice without test mode, to
show that it was not). Only the gradient down to conv5_3 is needed, so the graph is cut there
with ``unchain()``: the backward pass stops instead of going through the whole network.

Uses the pretrained weights when the file is there (see --weights and --download) and
random ones otherwise, saying so. The image is --image (a path, a URL or 'random'; default
matplotlib's sample photo of Grace Hopper, which the pretrained network calls a military
uniform). --quick feeds a 96x96 image (only with random weights: the pretrained network's
first Linear layer expects 224x224).

    python examples/grad_cam.py --out out/grad_cam --download
"""
import os
import sys

if __package__ in (None, ''):   # run as a script: import `examples` and `dezero` from this checkout
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir)))
from examples import common  # noqa: E402
from examples import _vgg  # noqa: E402

import numpy as np  # noqa: E402

import dezero  # noqa: E402
from dezero.models import VGG16  # noqa: E402


def grad_cam(model, x, class_id=None, test_mode=True):
    """(heat map over conv5_3's grid in [0, 1], class id, its score) for the input batch x (1, 3, H, W)."""
    with dezero.using_config('train', not test_mode):
        y = model(x)
    A = model.conv5_3.outputs[0]()          # conv5_3's output (before its ReLU), (1, 512, h, w)
    A.unchain()                             # the backward pass stops here
    if class_id is None:
        class_id = int(y.data.argmax())
    score = y[0, class_id]
    score.backward()
    weights = A.grad.data.mean(axis=(0, 2, 3))                      # one per channel
    cam = np.maximum((A.data[0] * weights[:, np.newaxis, np.newaxis]).sum(axis=0), 0)
    if cam.max() > 0:
        cam = cam / cam.max()
    return cam, class_id, float(score.data)


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


def main(argv=None):
    parser = common.make_parser(__doc__, 'grad_cam', needs=('matplotlib', 'PIL'))
    _vgg.add_options(parser)
    parser.add_argument('--image', default=None, help="image: a path, a URL or 'random' "
                        "(default: matplotlib's sample photo)")
    args = common.parse(parser, argv)

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

    metrics = {'pretrained': pretrained, 'image': image_name, 'input_size': size, 'class_id': class_id,
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
