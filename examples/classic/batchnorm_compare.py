"""Batch normalisation makes training insensitive to the initial weight scale (book 1, chapter 6.3).

For each of 16 weight scales from 1 down to 1e-4 (log-spaced; --quick: 4 of them), two
784-100x5-10 ReLU networks start from the same weights of that std, one with BatchNorm
before each activation and one without, and train for 20 epochs on 1,000 MNIST images with
SGD lr 0.01 and mini-batches of 100, as in the book. Without BatchNorm the small scales leave
the network stuck at chance; with it the network learns at every scale but the largest.
Also checks dezero's batch-norm gradients against central differences.

    python examples/classic/batchnorm_compare.py --out out/batchnorm_compare
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

import dezero.functions as F  # noqa: E402
from dezero import Variable, optimizers, utils  # noqa: E402

SCALES = np.logspace(0, -4, num=16)
QUICK_SCALES = SCALES[[0, 4, 7, 11]]        # 1, 0.086, 0.0136, 0.0012


def train(x, t, scale, use_batchnorm, init_seed, epochs=20, batch_size=100):
    """(train accuracy after each epoch, whether the loss overflowed) for one network."""
    np.random.seed(init_seed)
    model = MultiLayerNet([100] * 5, weight_init=float(scale), use_batchnorm=use_batchnorm)
    model(x[:2])                                # draw the weights now, the same for both nets
    optimizer = optimizers.SGD(0.01).setup(model)
    rng = np.random.RandomState(init_seed)
    accs, diverged = [], False
    # with std 1 and no BatchNorm the scores grow ~7x per layer, and the first updates overflow float32
    with np.errstate(over='ignore', invalid='ignore'):
        for _ in range(epochs):
            for _ in range(len(x) // batch_size):
                batch = rng.choice(len(x), batch_size)
                diverged |= not np.isfinite(train_step(model, optimizer, x[batch], t[batch]))
            accs.append(evaluate(model, x, t)[1])
    return accs, diverged


def batchnorm_gradient_check():
    """Largest mean |backprop - central difference| over x, gamma and beta of F.batch_norm (float64)."""
    rng = np.random.RandomState(0)
    x = rng.randn(8, 5)
    gamma, beta = rng.rand(5) + 0.5, rng.randn(5)
    w = rng.randn(8, 5)                         # a random linear read-out makes the check non-trivial

    def loss(x, gamma, beta):
        return F.sum(F.batch_norm(x, gamma, beta, np.zeros(5), np.ones(5)) * w)

    diffs = {}
    for i, name in enumerate(('x', 'gamma', 'beta')):
        args = [x, gamma, beta]
        num = utils.numerical_grad(lambda v: loss(*(args[:i] + [v] + args[i + 1:])), args[i])
        xs = [Variable(a) for a in args]
        loss(*xs).backward()
        diffs[name] = float(np.abs(xs[i].grad.data - num).mean())
    return diffs


def main(argv=None):
    parser = common.make_parser(__doc__, 'batchnorm_compare', needs=('matplotlib',))
    add_root_option(parser)
    parser.add_argument('--epochs', type=int, default=20, help='epochs per network (default 20)')
    args = common.parse(parser, argv)
    scales = QUICK_SCALES if args.quick else SCALES

    (x_train, t_train), _, source = load_mnist(args.root, quick=args.quick)
    x, t = x_train[:1000], t_train[:1000]
    results = []
    start = time.perf_counter()
    for scale in common.progress(scales, desc='weight scales'):
        init_seed = np.random.randint(2 ** 31)
        plain, plain_diverged = train(x, t, scale, False, init_seed, args.epochs)
        bn, bn_diverged = train(x, t, scale, True, init_seed, args.epochs)
        results.append({'scale': float(scale), 'plain': plain, 'batchnorm': bn,
                        'plain_diverged': plain_diverged, 'batchnorm_diverged': bn_diverged})
        common.log(f'weight std {scale:.2g}: train accuracy {plain[-1]:.3f} without BatchNorm'
                   f'{" (the loss overflowed)" if plain_diverged else ""}, {bn[-1]:.3f} with it'
                   f'{" (the loss overflowed)" if bn_diverged else ""}')
    seconds = time.perf_counter() - start

    cols = 4
    rows = -(-len(results) // cols)
    fig, axes = common.new_figure(rows, cols, figsize=(11, 2.4 * rows), sharex=True, sharey=True, squeeze=False)
    for ax, r in zip(axes.ravel(), results):
        epochs = np.arange(1, len(r['plain']) + 1)
        ax.plot(epochs, r['batchnorm'], label='BatchNorm')
        ax.plot(epochs, r['plain'], linestyle='--', label='plain')
        ax.set_title(f'weight std {r["scale"]:.2g}', fontsize=9)
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=8)
    for ax in axes[-1]:
        ax.set_xlabel('epoch')
    for ax in axes[:, 0]:
        ax.set_ylabel('train accuracy')
    figures = [common.save_figure(fig, args.out, 'batchnorm_grid.png', dpi=80)]

    grad_check = batchnorm_gradient_check()
    wins = sum(r['batchnorm'][-1] > r['plain'][-1] for r in results)
    metrics = {'data': source, 'train_images': len(x), 'epochs': args.epochs,
               'scales': [r['scale'] for r in results],
               'final_accuracy': [{'scale': r['scale'], 'plain': r['plain'][-1], 'batchnorm': r['batchnorm'][-1],
                                   'plain_diverged': r['plain_diverged'],
                                   'batchnorm_diverged': r['batchnorm_diverged']} for r in results],
               'batchnorm_wins': wins, 'gradient_check': grad_check, 'train_seconds': round(seconds, 2)}
    summary = (f'batchnorm_compare: BatchNorm ends with the higher train accuracy at {wins} of '
               f'{len(results)} weight scales; gradient check {max(grad_check.values()):.1e}')
    return common.finish(args, metrics, summary, figures)


if __name__ == '__main__':
    main()
