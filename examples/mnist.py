"""MNIST digits (book 3, steps 51-53 and the original's examples/mnist.py): an MLP or a small CNN.

The default model is the original example's MLP((1000, 1000, 10)) with ReLU, trained with Adam and
weight decay 1e-4 for 5 epochs in batches of 100; --model cnn trains two 3x3 convolutions with
max pooling instead. MNIST is downloaded into ~/.dezero (or $DEZERO_HOME) on first use; --root
names a folder that already holds the files. With --small only the test split is needed: the
first 8,000 test images train the model and the last 2,000 evaluate it; --quick trains one
epoch on at most 8,000 images and tests on at most 2,000. The weights and the
optimizer state are saved after every epoch; --resume continues from them.

    python examples/mnist.py --out out/mnist
    python examples/mnist.py --root DIR --small --model cnn --quick
"""
import os
import sys
import time

if __package__ in (None, ''):   # run as a script: import `examples` and `dezero` from this checkout
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir)))
from examples import common  # noqa: E402

import dezero  # noqa: E402
import dezero.functions as F  # noqa: E402
import dezero.layers as L  # noqa: E402
from dezero import DataLoader, cuda, optimizers  # noqa: E402
from dezero.models import MLP, Model  # noqa: E402
from dezero.transforms import Compose, Flatten, Normalize, ToFloat  # noqa: E402


class CNN(Model):
    """conv 3x3 (16) - relu - pool 2 - conv 3x3 (32) - relu - pool 2 - linear (10)."""

    def __init__(self):
        super().__init__()
        self.conv1 = L.Conv2d(16, 3, pad=1, init='he')
        self.conv2 = L.Conv2d(32, 3, pad=1, init='he')
        self.fc = L.Linear(10)

    def forward(self, x):
        x = F.pooling(F.relu(self.conv1(x)), 2, 2)
        x = F.pooling(F.relu(self.conv2(x)), 2, 2)
        return self.fc(F.reshape(x, (x.shape[0], -1)))


def load_data(args):
    """(train set, test set): MNIST's own split, or with --small the test split cut 8,000 / 2,000."""
    flat = args.model == 'mlp'
    transform = Compose(([Flatten()] if flat else []) + [ToFloat(), Normalize(0., 255.)])
    folder, _ = common.fetch_mnist(args.root, ('test',) if args.small else ('train', 'test'))
    test_set = common.read_mnist(folder, train=False, transform=transform)
    if args.small:
        train_set = common.read_mnist(folder, train=False, transform=transform)
        train_set.data, train_set.label = train_set.data[:8000], train_set.label[:8000]
        test_set.data, test_set.label = test_set.data[8000:], test_set.label[8000:]
    else:
        train_set = common.read_mnist(folder, train=True, transform=transform)
    if args.quick:        # at most 8,000 training and 2,000 test images
        for ds, n in ((train_set, 8000), (test_set, 2000)):
            ds.data, ds.label = ds.data[:n], ds.label[:n]
    return train_set, test_set


def run_epoch(model, loader, optimizer=None):
    """Mean loss and accuracy over one pass of ``loader``; trains when an optimizer is given."""
    sum_loss = sum_acc = n = 0
    for x, t in common.progress(loader, desc='train' if optimizer else 'test'):
        if optimizer is None:
            with dezero.no_grad(), dezero.test_mode():
                y = model(x)
                loss = F.softmax_cross_entropy(y, t)
        else:
            y = model(x)
            loss = F.softmax_cross_entropy(y, t)
            model.cleargrads()
            loss.backward()
            optimizer.update()
        sum_loss += float(loss.data) * len(t)
        sum_acc += float(F.accuracy(y, t).data) * len(t)
        n += len(t)
    return sum_loss / n, sum_acc / n


def main(argv=None):
    parser = common.make_parser(__doc__, 'mnist')
    parser.add_argument('--model', choices=('mlp', 'cnn'), default='mlp', help='network (default mlp)')
    parser.add_argument('--hidden', type=int, default=1000, help='units of both MLP hidden layers (default 1000)')
    parser.add_argument('--epochs', type=int, default=None, help='epochs (default 5, or 1 with --quick)')
    parser.add_argument('--batch-size', type=int, default=100, help='mini-batch size (default 100)')
    parser.add_argument('--root', default=None, help='folder that holds the MNIST .gz files (no download)')
    parser.add_argument('--small', action='store_true',
                        help='use only the test split: train on 8,000 images, evaluate on 2,000')
    parser.add_argument('--resume', action='store_true', help='continue from the weights saved in --out')
    parser.add_argument('--gpu', action='store_true', help='train on the GPU (needs CuPy)')
    args = common.parse(parser, argv)
    epochs = args.epochs or (1 if args.quick else 5)
    try:
        import matplotlib  # noqa: F401
        plots = True
    except ImportError:
        plots = False
        print('matplotlib is not installed (pip install matplotlib): training runs, but draws no figure')

    train_set, test_set = load_data(args)
    train_loader = DataLoader(train_set, args.batch_size)
    test_loader = DataLoader(test_set, 500, shuffle=False)
    if args.model == 'mlp':
        model = MLP((args.hidden, args.hidden, 10), activation=F.relu)
        optimizer = optimizers.Adam().setup(model)
        optimizer.add_hook(optimizers.WeightDecay(1e-4))
    else:
        model = CNN()
        optimizer = optimizers.Adam(alpha=0.002).setup(model)
    print(f'MNIST: {len(train_set)} training and {len(test_set)} test images; model {args.model}')

    weights = os.path.join(args.out, f'mnist_{args.model}.npz')
    state = os.path.join(args.out, f'mnist_{args.model}_optimizer.npz')
    if args.resume and os.path.exists(weights):
        model.load_weights(weights)          # fills the lazily shaped layers
        optimizer.load_state(state)
        print(f'resumed from {weights}')
    if args.gpu:
        if not cuda.gpu_enable:
            parser.error('--gpu needs CuPy (pip install cupy-cuda12x)')
        model.to_gpu()
        train_loader.to_gpu()
        test_loader.to_gpu()

    history = []
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        train_loss, train_acc = run_epoch(model, train_loader, optimizer)
        test_loss, test_acc = run_epoch(model, test_loader)
        history.append((train_loss, train_acc, test_loss, test_acc))
        print(f'epoch {epoch} | train loss {train_loss:.4f}, accuracy {train_acc:.4f} '
              f'| test loss {test_loss:.4f}, accuracy {test_acc:.4f} | {time.perf_counter() - start:.1f} s')
        model.save_weights(weights)
        optimizer.save_state(state)
    seconds = time.perf_counter() - start

    figures = []
    if plots:
        figures.append(common.plot_curves(args.out, 'mnist_accuracy.png',
                                          {'train': [h[1] for h in history], 'test': [h[3] for h in history]},
                                          'epoch', 'accuracy', title=f'MNIST, {args.model}'))
    metrics = {'model': args.model, 'epochs': epochs, 'train_images': len(train_set),
               'test_images': len(test_set), 'train_accuracy': history[-1][1], 'test_accuracy': test_acc,
               'test_loss': test_loss, 'train_seconds': round(seconds, 1), 'weights': os.path.basename(weights)}
    summary = (f'mnist: {args.model} test accuracy {test_acc:.4f} after {epochs} epochs '
               f'({len(train_set)} training images, {seconds:.0f} s)')
    return common.finish(args, metrics, summary, figures)


if __name__ == '__main__':
    main()
