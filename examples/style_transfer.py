"""Neural style transfer (book 3's examples/style_transfer.py; Gatys et al. 2015).

An image is optimised so that VGG16's features match the *content* of one picture and the
*style* of another: the Gram matrices (channel-by-channel correlations) of several layers. The
image itself is the only Parameter (held by a bare ``Model``), initialised from the content
picture; VGG16 runs with average pooling, as in the original.

With the pretrained weights (see --weights and --download) it is the original's recipe: content
at conv5_2, style at conv1_1, conv2_1, conv3_1, conv4_1 and conv5_1, loss = 1e-4 * content +
1.0 * sum of style terms + 1e-6 * total variation, each style term sum((G_style - G_image)^2) /
(4 (C H W)^2), AdaGrad (lr 5.0), 300 iterations at 224x224.

Without them (offline) VGG16 keeps its random weights, and the recipe is changed so that random
features still carry texture (as Ustyuzhaninov et al. 2016 and He et al. 2016 found): each layer's
features are divided by their spread (standard deviation) on the style picture, so that every
layer counts alike instead of the deep ones fading away; style is matched at the eight layers
conv1_1 ... conv4_1 (the mean of mean((G_style - G_image)^2), with G = F F^T / (H W)), content
at conv4_2 with weight 0.005; Adam (alpha 6, in pixel units), 200 iterations at 128x128. The
style distance is also measured with a second random VGG16 (another seed) that the optimisation
never sees: it falls too, so the image took on the style, not a quirk of one set of filters.

Content is --content (default matplotlib's sample photo of Grace Hopper), style is --style
(default: generated brush strokes swirling in blues and yellows; the original used Van Gogh's
Starry Night, which --style https://raw.githubusercontent.com/jcjohnson/neural-style/master/examples/inputs/starry_night_google.jpg
fetches). Both are paths or URLs, resized to --size. Snapshots after a third, two thirds and
all of the --iters iterations (--quick: 64x64 and 15 iterations).

    python examples/style_transfer.py --out out/style_transfer
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
# with random weights: features scaled per layer, more and shallower style layers, Adam
RANDOM_CONTENT_LAYER = 'conv4_2'
RANDOM_STYLE_LAYERS = ('conv1_1', 'conv1_2', 'conv2_1', 'conv2_2', 'conv3_1', 'conv3_2', 'conv3_3', 'conv4_1')
RANDOM_CONTENT_WEIGHT, RANDOM_LR = 0.005, 6.0


class FeatureVGG16(VGG16):
    """VGG16 that returns the ReLU outputs of its convolutions, with average pooling (no Linear layers)."""

    BLOCKS = (('conv1_1', 'conv1_2'), ('conv2_1', 'conv2_2'), ('conv3_1', 'conv3_2', 'conv3_3'),
              ('conv4_1', 'conv4_2', 'conv4_3'), ('conv5_1', 'conv5_2'))

    def extract(self, x, last='conv5_2'):
        """{layer name: ReLU output} of every convolution up to ``last``."""
        features = {}
        for i, block in enumerate(self.BLOCKS):
            if i:
                x = F.average_pooling(x, 2, 2)
            for name in block:
                x = F.relu(getattr(self, name)(x))
                features[name] = x
                if name == last:
                    return features
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


def brush_strokes(size=224, seed=0):
    """Short, thick brush strokes in blues and yellows, swirling around the centre: the default style (PIL)."""
    from PIL import Image
    rng = np.random.RandomState(seed)
    palette = np.array([[25, 45, 120], [40, 90, 190], [240, 200, 40], [250, 240, 170], [20, 20, 40],
                        [90, 160, 220]], dtype=np.float32)
    image = np.empty((size, size, 3), np.float32)
    image[:] = palette[0]
    yy, xx = np.mgrid[0:size, 0:size]
    half, width = max(4, size // 16), max(1.0, size / 110)
    for _ in range(size * size // 12):
        cy, cx = rng.uniform(0, size, 2)
        angle = np.arctan2(cy - size / 2, cx - size / 2) + np.pi / 2 + 0.4 * np.sin(cx / size * 6)
        dy, dx = np.sin(angle), np.cos(angle)
        y0, y1 = int(max(cy - half, 0)), int(min(cy + half + 1, size))
        x0, x1 = int(max(cx - half, 0)), int(min(cx + half + 1, size))
        py, px = yy[y0:y1, x0:x1] - cy, xx[y0:y1, x0:x1] - cx
        along, across = np.abs(py * dy + px * dx), np.abs(py * dx - px * dy)
        mask = (along < half * rng.uniform(0.5, 1)) & (across < width * rng.uniform(0.8, 1.6))
        image[y0:y1, x0:x1][mask] = palette[rng.randint(len(palette))] + rng.randn(3) * 10
    return Image.fromarray(np.clip(image, 0, 255).astype(np.uint8))


class ScaledStyle:
    """The offline recipe's losses: features divided by their spread on the style picture, per layer."""

    def __init__(self, model, style_x, content_x):
        self.model = model
        with dezero.no_grad():
            style = model.extract(style_x, last=RANDOM_CONTENT_LAYER)
            self.scale = {name: float(f.data.std()) + 1e-12 for name, f in style.items()}
            self.grams = {name: self.gram(style[name], name).data for name in RANDOM_STYLE_LAYERS}
            content = model.extract(content_x, last=RANDOM_CONTENT_LAYER)[RANDOM_CONTENT_LAYER]
            self.content = content.data / self.scale[RANDOM_CONTENT_LAYER]

    def gram(self, f, name):
        _, C, H, W = f.shape
        m = F.reshape(f / self.scale[name], (C, H * W))
        return F.matmul(m, m.T) / (H * W)

    def losses(self, x):
        """(weighted content loss, style loss) of the image batch x."""
        features = self.model.extract(x, last=RANDOM_CONTENT_LAYER)
        s = sum(F.sum((self.gram(features[n], n) - self.grams[n]) ** 2) / self.grams[n].size
                for n in RANDOM_STYLE_LAYERS) / len(RANDOM_STYLE_LAYERS)
        c = F.sum((features[RANDOM_CONTENT_LAYER] / self.scale[RANDOM_CONTENT_LAYER] - self.content) ** 2)
        return RANDOM_CONTENT_WEIGHT * c / self.content.size, s


def _random_vgg(like, seed):
    """Another FeatureVGG16 with random weights drawn from its own seed (the global RNG is left as it was)."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        other = FeatureVGG16()
        with dezero.no_grad():
            other.extract(np.zeros((1, 3, 32, 32), dtype=np.float32), last=RANDOM_CONTENT_LAYER)
    finally:
        np.random.set_state(state)
    return other


def load_pictures(args, size):
    content, content_name = _vgg.load_image(args.content, args.seed)
    if args.style is None:
        style, style_name = brush_strokes(size, args.seed), 'generated brush strokes'
    else:
        style, style_name = _vgg.load_image(args.style, args.seed + 1)
    return content, content_name, style, style_name


def main(argv=None):
    parser = common.make_parser(__doc__, 'style_transfer', needs=('matplotlib', 'PIL'))
    _vgg.add_options(parser)
    parser.add_argument('--content', default=None, help="content picture: a path, a URL or 'random' "
                        "(default: matplotlib's sample photo)")
    parser.add_argument('--style', default=None,
                        help='style picture: a path or a URL (default: generated brush strokes)')
    parser.add_argument('--size', type=int, default=None,
                        help='image size (default 224 pretrained, 128 random; 64 with --quick)')
    parser.add_argument('--iters', type=int, default=None,
                        help='iterations (default 300 pretrained, 200 random; 15 with --quick)')
    args = common.parse(parser, argv)

    model = FeatureVGG16()
    pretrained = _vgg.load_weights(model, args, without='with the offline recipe: features scaled per layer')
    size = args.size or (64 if args.quick else (224 if pretrained else 128))
    iters = args.iters or (15 if args.quick else (300 if pretrained else 200))
    content, content_name, style, style_name = load_pictures(args, size)
    content_x, style_x = _vgg.preprocess(content, size), _vgg.preprocess(style, size)
    image = Model()
    image.param = Parameter(content_x.copy())

    if pretrained:
        with dezero.no_grad():
            content_feature = model.extract(content_x)[CONTENT_LAYER].data
            style_grams = {name: gram_matrix(f).data for name, f in model.extract(style_x).items()
                           if name in STYLE_LAYERS}
        optimizer = optimizers.AdaGrad(lr=5.0).setup(image)

        def losses():
            features = model.extract(image.param)
            c = CONTENT_WEIGHT * content_loss(content_feature, features[CONTENT_LAYER])
            s = STYLE_WEIGHT * sum(style_loss(style_grams[name], features[name]) for name in STYLE_LAYERS)
            v = TOTAL_VARIATION_WEIGHT * total_variation_loss(image.param)
            return c, s, v
    else:
        scaled = ScaledStyle(model, style_x, content_x)
        held_out = ScaledStyle(_random_vgg(model, args.seed + 1), style_x, content_x)   # never optimised
        optimizer = optimizers.Adam(alpha=RANDOM_LR).setup(image)

        def losses():
            c, s = scaled.losses(image.param)
            return c, s, 0 * s

        def held_out_style():
            with dezero.no_grad():
                return float(held_out.losses(image.param)[1].data)

    history, snapshots, held_out_at = [], [], []
    start = time.perf_counter()
    snapshot_at = set(np.linspace(0, iters, 4).astype(int).tolist())      # start, thirds, end
    for i in common.progress(range(iters + 1), desc='style transfer'):
        c, s, v = losses()
        loss = c + s + v
        history.append((float(loss.data), float(c.data), float(s.data), float(v.data)))
        if i in snapshot_at:
            snapshots.append((i, _vgg.deprocess(image.param.data[0])))
            if not pretrained:
                held_out_at.append((i, held_out_style()))
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
    fig, axes = common.new_figure(1, len(panels) + 1, figsize=(2.6 * (len(panels) + 1), 3.0))
    for ax, (title, img) in zip(axes, panels):
        ax.imshow(img)
        ax.set_title(title if len(title) < 30 else title[:27] + '...', fontsize=8)
        ax.axis('off')
    ax = axes[-1]                          # the style distance falling
    ax.plot(np.arange(len(history)), [h[2] for h in history], label='style loss')
    if held_out_at:
        ax.plot(*zip(*held_out_at), 'o--', markersize=4, label='another random VGG16')
    ax.set_yscale('log')
    ax.set_title('style distance', fontsize=8)
    ax.set_xlabel('iteration', fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.suptitle('style transfer with pretrained VGG16 weights' if pretrained else
                 'style transfer with RANDOM VGG16 weights, each layer scaled by its spread on the style',
                 fontsize=10)
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
    held_out_note = ''
    if not pretrained:
        metrics.update(held_out_style_initial=held_out_at[0][1], held_out_style_final=held_out_at[-1][1])
        held_out_note = (f'; measured by a second random VGG16 {metrics["held_out_style_initial"]:.4g} -> '
                         f'{metrics["held_out_style_final"]:.4g}')
    summary = (f'style_transfer: loss {first[0]:.4g} -> {last[0]:.4g} (style {first[2]:.4g} -> {last[2]:.4g}'
               f'{held_out_note}) in {iters} iterations at {size}x{size} with '
               f'{"pretrained" if pretrained else "random, scaled"} weights')
    return common.finish(args, metrics, summary, figures)


if __name__ == '__main__':
    main()
