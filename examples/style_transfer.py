"""Neural style transfer (book 3's examples/style_transfer.py; Gatys et al. 2015).

An image is optimised so that VGG16's features match the *content* of one picture (conv5_2's
activations) and the *style* of another (the Gram matrices, channel-by-channel correlations,
of conv1_1, conv2_1, conv3_1, conv4_1 and conv5_1), with a small total-variation penalty for
smoothness. The image itself is the only Parameter (held by a bare ``Model``), initialised
from the content picture and updated by AdaGrad (lr 5.0); VGG16 runs with average pooling, as
in the original. Loss = 1e-4 * content + 1.0 * sum of style terms + 1e-6 * variation, each
style term being sum((G_style - G_image)^2) / (4 (C H W)^2).

Content is --content (default matplotlib's sample photo of Grace Hopper), style is --style
(default a generated swirl of colours; the original used Van Gogh's Starry Night, which
--style https://raw.githubusercontent.com/jcjohnson/neural-style/master/examples/inputs/starry_night_google.jpg
fetches). Both are paths or URLs, resized to --size (default 224). 300 iterations (the
original: 2,000 on a GPU), with snapshots after a third, two thirds and all of them
(--quick: 64x64 and 15 iterations).

Uses the pretrained VGG16 weights when the file is there (see --weights and --download) and
random ones otherwise, saying so: random features still transfer some colour and texture.

    python examples/style_transfer.py --out out/style_transfer --download
"""
import os
import sys
import time

if __package__ in (None, ''):   # run as a script: import `examples` and `dezero` from this checkout
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir)))
from examples import common  # noqa: E402
from examples import _vgg  # noqa: E402

import numpy as np  # noqa: E402

import dezero  # noqa: E402
import dezero.functions as F  # noqa: E402
from dezero import Parameter, optimizers  # noqa: E402
from dezero.models import VGG16, Model  # noqa: E402

CONTENT_LAYER = 'conv5_2'
STYLE_LAYERS = ('conv1_1', 'conv2_1', 'conv3_1', 'conv4_1', 'conv5_1')
CONTENT_WEIGHT, STYLE_WEIGHT, TOTAL_VARIATION_WEIGHT = 1e-4, 1.0, 1e-6


class FeatureVGG16(VGG16):
    """VGG16 that returns the ReLU outputs of its convolutions, with average pooling (no Linear layers)."""

    BLOCKS = (('conv1_1', 'conv1_2'), ('conv2_1', 'conv2_2'), ('conv3_1', 'conv3_2', 'conv3_3'),
              ('conv4_1', 'conv4_2', 'conv4_3'), ('conv5_1', 'conv5_2'))

    def extract(self, x):
        features = {}
        for i, block in enumerate(self.BLOCKS):
            if i:
                x = F.average_pooling(x, 2, 2)
            for name in block:
                x = F.relu(getattr(self, name)(x))
                features[name] = x
        return features


def gram_matrix(x):
    """(C, C) inner products of the C feature maps of x (1, C, H, W)."""
    features = F.reshape(x, (x.shape[1], -1))
    return F.matmul(features, features.T)


def style_loss(style_gram, x):
    _, C, H, W = x.shape
    return F.sum((style_gram - gram_matrix(x)) ** 2) / (4 * (C * H * W) ** 2)


def content_loss(base, x):
    return F.sum((base - x) ** 2) / 2


def total_variation_loss(x):
    a = (x[:, :, :-1, :-1] - x[:, :, 1:, :-1]) ** 2
    b = (x[:, :, :-1, :-1] - x[:, :, :-1, 1:]) ** 2
    return F.sum(a + b)


def swirl(size=224, seed=0):
    """A colourful swirl with brush-like streaks: the default style picture (a PIL image)."""
    from matplotlib import colormaps
    from PIL import Image
    rng = np.random.RandomState(seed)
    y, x = np.mgrid[-1:1:size * 1j, -1:1:size * 1j]
    r, theta = np.hypot(x, y), np.arctan2(y, x)
    field = np.sin(12 * r - 3 * theta + 2 * np.sin(5 * r)) + 0.5 * np.sin(40 * (x + 0.3 * np.sin(6 * y)))
    field += 0.3 * rng.randn(size, size)
    rgb = colormaps['twilight_shifted']((field - field.min()) / np.ptp(field))[:, :, :3]
    return Image.fromarray((rgb * 255).astype(np.uint8))


def load_pictures(args, size):
    content, content_name = _vgg.load_image(args.content, args.seed)
    if args.style is None:
        style, style_name = swirl(size, args.seed), 'a generated swirl'
    else:
        style, style_name = _vgg.load_image(args.style, args.seed + 1)
    return content, content_name, style, style_name


def main(argv=None):
    parser = common.make_parser(__doc__, 'style_transfer', needs=('matplotlib', 'PIL'))
    _vgg.add_options(parser)
    parser.add_argument('--content', default=None, help="content picture: a path, a URL or 'random' "
                        "(default: matplotlib's sample photo)")
    parser.add_argument('--style', default=None, help='style picture: a path or a URL (default: a generated swirl)')
    parser.add_argument('--size', type=int, default=None, help='image size (default 224, 64 with --quick)')
    parser.add_argument('--iters', type=int, default=None, help='iterations (default 300, 15 with --quick)')
    args = common.parse(parser, argv)
    size = args.size or (64 if args.quick else 224)
    iters = args.iters or (15 if args.quick else 300)

    model = FeatureVGG16()
    pretrained = _vgg.load_weights(model, args)
    content, content_name, style, style_name = load_pictures(args, size)
    content_x, style_x = _vgg.preprocess(content, size), _vgg.preprocess(style, size)
    with dezero.no_grad():
        content_feature = model.extract(content_x)[CONTENT_LAYER].data
        style_grams = {name: gram_matrix(f).data for name, f in model.extract(style_x).items()
                       if name in STYLE_LAYERS}

    image = Model()
    image.param = Parameter(content_x.copy())
    optimizer = optimizers.AdaGrad(lr=5.0).setup(image)

    def losses():
        features = model.extract(image.param)
        c = CONTENT_WEIGHT * content_loss(content_feature, features[CONTENT_LAYER])
        s = STYLE_WEIGHT * sum(style_loss(style_grams[name], features[name]) for name in STYLE_LAYERS)
        v = TOTAL_VARIATION_WEIGHT * total_variation_loss(image.param)
        return c, s, v

    history, snapshots = [], []
    start = time.perf_counter()
    snapshot_at = set(np.linspace(0, iters, 4).astype(int).tolist())      # start, thirds, end
    for i in common.progress(range(iters + 1), desc='style transfer'):
        c, s, v = losses()
        loss = c + s + v
        history.append((float(loss.data), float(c.data), float(s.data), float(v.data)))
        if i in snapshot_at:
            snapshots.append((i, _vgg.deprocess(image.param.data[0])))
            common.log(f'iteration {i:4d} | loss {history[-1][0]:.4g} (content {history[-1][1]:.4g}, style '
                       f'{history[-1][2]:.4g}, variation {history[-1][3]:.4g}) | {time.perf_counter() - start:.0f} s')
        if i == iters:
            break
        image.cleargrads()
        loss.backward()
        optimizer.update()
    seconds = time.perf_counter() - start

    panels = [(content_name, np.asarray(content.resize((size, size)))),
              (style_name, np.asarray(style.resize((size, size))))] + \
             [(f'iteration {i}', img) for i, img in snapshots[1:]]
    fig, axes = common.new_figure(1, len(panels), figsize=(2.6 * len(panels), 3.0))
    for ax, (title, img) in zip(axes, panels):
        ax.imshow(img)
        ax.set_title(title if len(title) < 30 else title[:27] + '...', fontsize=8)
        ax.axis('off')
    fig.suptitle(f'style transfer with {"pretrained" if pretrained else "RANDOM"} VGG16 weights', fontsize=10)
    figures = [common.save_figure(fig, args.out, 'style_transfer.png', dpi=90),
               common.plot_curves(args.out, 'style_transfer_loss.png',
                                  {'total': [h[0] for h in history], 'content': [h[1] for h in history],
                                   'style': [h[2] for h in history]},
                                  'iteration', 'weighted loss', logy=True, title='style transfer losses')]
    first, last = history[0], history[-1]
    metrics = {'pretrained': pretrained, 'content': content_name, 'style': style_name, 'size': size,
               'iterations': iters, 'loss_initial': first[0], 'loss_final': last[0],
               'style_loss_initial': first[2], 'style_loss_final': last[2],
               'content_loss_initial': first[1], 'content_loss_final': last[1],
               'seconds': round(seconds, 1)}
    summary = (f'style_transfer: loss {first[0]:.4g} -> {last[0]:.4g} (style {first[2]:.4g} -> {last[2]:.4g}) in '
               f'{iters} iterations at {size}x{size} with {"pretrained" if pretrained else "random"} weights')
    return common.finish(args, metrics, summary, figures)


if __name__ == '__main__':
    main()
