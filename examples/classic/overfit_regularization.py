"""Overfitting, and two cures: weight decay and dropout (book 1, chapter 6.4).

A 784-100x6-10 ReLU network (He initialisation) trained on only 300 MNIST images with SGD
lr 0.01 and mini-batches of 100 learns them by heart: train accuracy reaches 1.0 while test
accuracy stalls far below. Two regularised runs from the same initial weights shrink that
gap: L2 weight decay (lambda 0.1, the book's 0.5 * lambda * sum(W^2) added to the loss) and
dropout after every hidden layer. Runs are 200 epochs (none, weight decay) and 300 epochs
(dropout), as in the book; accuracy is measured every epoch (--quick: every 10th).

Dropout ratio 0.3, not the book's 0.2: dezero's ``F.dropout`` is *inverted* dropout (as in
Chainer and PyTorch), scaling the kept units by 1 / (1 - ratio) in training and doing nothing
at test time, while book 1's layer leaves them unscaled in training and multiplies by
(1 - ratio) at test time. Through six ReLU layers the book's version shrinks the training-time
scores about four-fold, which slows its learning down; with inverted dropout 0.2 this network
learns almost as fast as without dropout and overfits as much, and 0.3 gives the book's
picture (train about 0.6, test about 0.5 after 300 epochs).

    python examples/classic/overfit_regularization.py --out out/overfit_regularization
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



def run(options, epochs, data, init_seed, eval_every, batch_size=100):
    """[(epoch, train accuracy, test accuracy)] of one network trained on ``data``."""
    (x_train, t_train), (x_test, t_test) = data
    np.random.seed(init_seed)
    model = MultiLayerNet([100] * 6, weight_init='he', **options)
    optimizer = optimizers.SGD(0.01).setup(model)
    rng = np.random.RandomState(init_seed)
    history = []
    for epoch in range(1, epochs + 1):
        for idx in np.array_split(rng.permutation(len(x_train)), len(x_train) // batch_size):
            train_step(model, optimizer, x_train[idx], t_train[idx])
        if epoch % eval_every == 0 or epoch == epochs:
            history.append((epoch, evaluate(model, x_train, t_train)[1], evaluate(model, x_test, t_test)[1]))
    return history


def main(argv=None):
    parser = common.make_parser(__doc__, 'overfit_regularization', needs=('matplotlib',))
    add_root_option(parser)
    parser.add_argument('--train-size', type=int, default=300, help='training images (default 300)')
    parser.add_argument('--weight-decay', type=float, default=0.1, help='lambda of the L2 penalty (default 0.1)')
    parser.add_argument('--dropout', type=float, default=0.3, help='dropout ratio (default 0.3)')
    args = common.parse(parser, argv)
    runs = {'none': ({}, 200),                                                    # name: (options, epochs)
            f'weight decay {args.weight_decay:g}': ({'weight_decay': args.weight_decay}, 200),
            f'dropout {args.dropout:g}': ({'dropout_ratio': args.dropout}, 300)}

    (x_train, t_train), test, source = load_mnist(args.root, quick=args.quick)
    data = ((x_train[:args.train_size], t_train[:args.train_size]), test)
    init_seed = np.random.randint(2 ** 31)
    results = {}
    start = time.perf_counter()
    for name, (options, epochs) in common.progress(runs.items(), desc='runs', total=len(runs)):
        results[name] = run(options, epochs, data, init_seed, eval_every=10 if args.quick else 1)
        _, train_acc, test_acc = results[name][-1]
        common.log(f'{name:17s} after {epochs} epochs: train accuracy {train_acc:.3f}, test accuracy '
                   f'{test_acc:.3f}, gap {train_acc - test_acc:.3f}')
    seconds = time.perf_counter() - start

    fig, axes = common.new_figure(1, len(results), figsize=(4.0 * len(results), 3.4), sharey=True)
    for ax, (name, history) in zip(axes, results.items()):
        epochs = [h[0] for h in history]
        ax.plot(epochs, [h[1] for h in history], label='train')
        ax.plot(epochs, [h[2] for h in history], linestyle='--', label='test')
        ax.set(xlabel='epoch', title=f'regularisation: {name}', ylim=(0, 1.02))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel('accuracy')
    axes[0].legend(loc='lower right')
    figures = [common.save_figure(fig, args.out, 'overfit_regularization.png')]

    final = {name: {'epochs': h[-1][0], 'train': h[-1][1], 'test': h[-1][2], 'gap': h[-1][1] - h[-1][2]}
             for name, h in results.items()}
    metrics = {'data': source, 'train_images': args.train_size, 'test_images': len(test[0]),
               'final': final, 'none': final['none'], 'weight_decay': list(final.values())[1],
               'dropout': list(final.values())[2], 'train_seconds': round(seconds, 2)}
    summary = ('overfit_regularization: train-test gap ' +
               ', '.join(f'{name} {r["gap"]:.3f}' for name, r in final.items()) +
               f' (no regularisation: train {final["none"]["train"]:.3f}, test {final["none"]["test"]:.3f})')
    return common.finish(args, metrics, summary, figures)


if __name__ == '__main__':
    main()
