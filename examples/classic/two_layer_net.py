"""A two-layer network learns MNIST with mini-batch SGD (book 1, chapters 4 and 5).

784-50-10 with ReLU, weights drawn with std 0.01 as in the book's TwoLayerNet, softmax cross
entropy, SGD with lr 0.1 on random mini-batches of 100 (drawn with replacement, as the book
does) for 10,000 iterations; the train and test accuracy are measured once per epoch (one
epoch = training-set size / 100 iterations). The book computes the gradients by hand-written
backpropagation; here dezero's autograd does it. --quick runs 2,000 iterations.

Without the full MNIST training set (see --root) it trains on the first 8,000 test images and
evaluates on the last 2,000.

    python examples/classic/two_layer_net.py --out out/two_layer_net
"""
import os
import sys
import time

if __package__ in (None, ''):   # run as a script: import `examples` and `dezero` from this checkout
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir)))
from examples import common  # noqa: E402
from examples.classic.common.mnist import add_root_option, load_mnist  # noqa: E402
from examples.classic.common.nets import MultiLayerNet, evaluate, train_step  # noqa: E402

import numpy as np  # noqa: E402

from dezero import optimizers  # noqa: E402


def main(argv=None):
    parser = common.make_parser(__doc__, 'two_layer_net', needs=('matplotlib',))
    add_root_option(parser)
    parser.add_argument('--iters', type=int, default=None, help='iterations (default 10000, 2000 with --quick)')
    parser.add_argument('--hidden', type=int, default=50, help='hidden units (default 50)')
    parser.add_argument('--lr', type=float, default=0.1, help='SGD learning rate (default 0.1)')
    args = common.parse(parser, argv)
    iters = args.iters or (2000 if args.quick else 10000)
    batch_size = 100

    (x_train, t_train), (x_test, t_test), source = load_mnist(args.root, quick=args.quick)
    model = MultiLayerNet([args.hidden], weight_init='normal')
    optimizer = optimizers.SGD(args.lr).setup(model)
    iters_per_epoch = max(len(x_train) // batch_size, 1)

    losses, epochs = [], []
    start = time.perf_counter()
    for i in common.progress(range(1, iters + 1), desc='two_layer_net'):
        batch = np.random.choice(len(x_train), batch_size)
        losses.append(train_step(model, optimizer, x_train[batch], t_train[batch]))
        if i % iters_per_epoch == 0 or i == iters:
            _, train_acc = evaluate(model, x_train, t_train)
            _, test_acc = evaluate(model, x_test, t_test)
            epochs.append((i, train_acc, test_acc))
            common.log(f'iteration {i:5d} | train accuracy {train_acc:.4f} | test accuracy {test_acc:.4f}')
    seconds = time.perf_counter() - start

    fig, axes = common.new_figure(1, 2, figsize=(9.6, 3.6))
    axes[0].plot(np.arange(1, iters + 1), losses, linewidth=0.5, alpha=0.4, label='mini-batch loss')
    axes[0].plot(np.arange(1, iters + 1), common.moving_average(losses, 100), label='mean of 100')
    axes[0].set(xlabel='iteration', ylabel='loss', yscale='log', title='training loss')
    axes[0].legend()
    its = [e[0] for e in epochs]
    axes[1].plot(its, [e[1] for e in epochs], marker='o', markersize=3, label='train')
    axes[1].plot(its, [e[2] for e in epochs], marker='s', markersize=3, linestyle='--', label='test')
    axes[1].set(xlabel='iteration', ylabel='accuracy', ylim=(0.8, 1.0), title='accuracy, once per epoch')
    axes[1].legend(loc='lower right')
    for ax in axes:
        ax.grid(alpha=0.3)
    figures = [common.save_figure(fig, args.out, 'two_layer_net.png')]

    train_acc, test_acc = epochs[-1][1], epochs[-1][2]
    metrics = {'data': source, 'iterations': iters, 'hidden': args.hidden, 'lr': args.lr,
               'train_accuracy': train_acc, 'test_accuracy': test_acc,
               'accuracy_per_epoch': [{'iteration': i, 'train': a, 'test': b} for i, a, b in epochs],
               'final_loss_mean_100': float(np.mean(losses[-100:])), 'train_seconds': round(seconds, 2)}
    summary = (f'two_layer_net: test accuracy {test_acc:.4f} (train {train_acc:.4f}) after {iters} '
               f'iterations of SGD ({source}, {seconds:.1f} s)')
    return common.finish(args, metrics, summary, figures)


if __name__ == '__main__':
    main()
