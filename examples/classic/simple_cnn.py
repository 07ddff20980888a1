"""A simple convolutional network on MNIST (book 1, chapter 7).

The book's SimpleConvNet: convolution with 30 filters of 5x5 - ReLU - 2x2 max pooling -
Linear(100) - ReLU - Linear(10), weights drawn with std 0.01, trained with Adam (lr 0.001)
in mini-batches of 100 for 20 epochs (--quick: 2). After each epoch the train accuracy is
measured on 1,000 training images (as the book does) and the test accuracy on all. Also checks
dezero's convolution gradients against central differences, and draws the 30 filters before
and after training: the trained ones have become edge and blob detectors.

Without the full MNIST training set (see --root) it trains on the first 8,000 test images and
evaluates on the last 2,000.

    python examples/classic/simple_cnn.py --out out/simple_cnn
"""
import os
import sys
import time

if __package__ in (None, ''):   # run as a script: import `examples` and `dezero` from this checkout
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir)))
from examples import common  # noqa: E402
from examples.classic.common.mnist import add_root_option, load_mnist  # noqa: E402
from examples.classic.common.nets import evaluate, std_init  # noqa: E402

import numpy as np  # noqa: E402

import dezero.functions as F  # noqa: E402
import dezero.layers as L  # noqa: E402
from dezero import Variable, optimizers, utils  # noqa: E402
from dezero.models import Model  # noqa: E402


class SimpleConvNet(Model):
    """conv 5x5 (30) - relu - pool 2 - linear (100) - relu - linear (10)."""

    def __init__(self, filters=30, hidden=100, weight_std=0.01):
        super().__init__()
        init = std_init(weight_std)
        self.conv = L.Conv2d(filters, kernel_size=5, init=init)
        self.fc1 = L.Linear(hidden, init=init)
        self.fc2 = L.Linear(10, init=init)

    def forward(self, x):
        h = F.pooling(F.relu(self.conv(x)), 2, 2)
        h = F.relu(self.fc1(F.reshape(h, (len(h), -1))))
        return self.fc2(h)

    def loss(self, x, t):
        return F.softmax_cross_entropy(self(x), t)


def conv_gradient_check():
    """Mean |backprop - central difference| for x, W and b of F.conv2d (float64)."""
    rng = np.random.RandomState(0)
    x, W, b = rng.randn(2, 3, 7, 7), rng.randn(4, 3, 3, 3), rng.randn(4)
    w = rng.randn(2, 4, 4, 4)                    # a random read-out of the 2x2-strided output

    def loss(x, W, b):
        return F.sum(F.conv2d(x, W, b, stride=2, pad=1) * w)

    diffs = {}
    for i, name in enumerate(('x', 'W', 'b')):
        args = [x, W, b]
        num = utils.numerical_grad(lambda v: loss(*(args[:i] + [v] + args[i + 1:])), args[i])
        xs = [Variable(a) for a in args]
        loss(*xs).backward()
        diffs[name] = float(np.abs(xs[i].grad.data - num).mean())
    return diffs


def plot_filters(before, after, out, cols=10):
    """The first-layer filters before and after training, each scaled to its own range."""
    fig, axes = common.new_figure(1, 2, figsize=(9, 2.0))
    for ax, W, title in zip(axes, (before, after), ('before training', 'after training')):
        rows = -(-len(W) // cols)
        k = W.shape[-1]
        tiles = np.full((rows * (k + 1) - 1, cols * (k + 1) - 1), np.nan)
        for i, w in enumerate(W[:, 0]):
            r, c = divmod(i, cols)
            tiles[r * (k + 1):r * (k + 1) + k, c * (k + 1):c * (k + 1) + k] = (w - w.min()) / (np.ptp(w) + 1e-12)
        ax.imshow(tiles, cmap='gray_r', interpolation='nearest')
        ax.set_title(f'the {len(W)} {k}x{k} filters, {title}', fontsize=9)
        ax.axis('off')
    return common.save_figure(fig, out, 'cnn_filters.png')


def main(argv=None):
    parser = common.make_parser(__doc__, 'simple_cnn', needs=('matplotlib',))
    add_root_option(parser)
    parser.add_argument('--epochs', type=int, default=None, help='epochs (default 20, 2 with --quick)')
    args = common.parse(parser, argv)
    epochs = args.epochs or (2 if args.quick else 20)
    batch_size = 100

    (x_train, t_train), (x_test, t_test), source = load_mnist(args.root, flatten=False, quick=args.quick)
    model = SimpleConvNet()
    model(x_train[:1])
    before = model.conv.W.data.copy()
    optimizer = optimizers.Adam(0.001).setup(model)

    history = []
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        for idx in common.progress(np.array_split(np.random.permutation(len(x_train)), len(x_train) // batch_size),
                                   desc=f'epoch {epoch}'):
            loss = model.loss(x_train[idx], t_train[idx])
            model.cleargrads()
            loss.backward()
            optimizer.update()
        _, train_acc = evaluate(model, x_train[:1000], t_train[:1000], batch_size=500)
        _, test_acc = evaluate(model, x_test, t_test, batch_size=500)
        history.append((train_acc, test_acc))
        print(f'epoch {epoch:2d} | train accuracy {train_acc:.4f} | test accuracy {test_acc:.4f} '
              f'| {time.perf_counter() - start:.0f} s')
    seconds = time.perf_counter() - start

    figures = [common.plot_curves(args.out, 'cnn_accuracy.png',
                                  {'train': [h[0] for h in history], 'test': [h[1] for h in history]},
                                  'epoch', 'accuracy', title='SimpleConvNet on MNIST'),
               plot_filters(before, model.conv.W.data, args.out)]
    grad_check = conv_gradient_check()
    train_acc, test_acc = history[-1]
    metrics = {'data': source, 'train_images': len(x_train), 'test_images': len(x_test), 'epochs': epochs,
               'train_accuracy': train_acc, 'test_accuracy': test_acc, 'gradient_check': grad_check,
               'train_seconds': round(seconds, 1)}
    summary = (f'simple_cnn: test accuracy {test_acc:.4f} (train {train_acc:.4f}) after {epochs} epochs on '
               f'{len(x_train)} images ({seconds:.0f} s); conv gradient check {max(grad_check.values()):.1e}')
    return common.finish(args, metrics, summary, figures)


if __name__ == '__main__':
    main()
