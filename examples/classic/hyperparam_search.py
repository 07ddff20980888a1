"""Random search for the learning rate and weight decay, on a log scale (book 1, chapter 6.5).

500 MNIST images are split into 400 for training and 100 for validation (the test images are
never looked at). Each trial draws lr = 10^U(-6, -2) and weight decay = 10^U(-8, -4), trains a
784-100x6-10 ReLU network with SGD for 50 epochs in mini-batches of 100 and records the
validation accuracy; 100 trials (--quick: 20). The good trials all have a
learning rate near 1e-2, while the weight decay hardly matters in this range: the book's
conclusion, which narrows the next search.

    python examples/classic/hyperparam_search.py --out out/hyperparam_search
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


def trial(lr, weight_decay, train, val, epochs, batch_size=100):
    """Validation and train accuracy after each epoch for one setting."""
    (x, t), (x_val, t_val) = train, val
    model = MultiLayerNet([100] * 6, weight_init='he', weight_decay=weight_decay)
    optimizer = optimizers.SGD(lr).setup(model)
    val_accs, train_accs = [], []
    for _ in range(epochs):
        for idx in np.array_split(np.random.permutation(len(x)), len(x) // batch_size):
            train_step(model, optimizer, x[idx], t[idx])
        val_accs.append(evaluate(model, x_val, t_val)[1])
        train_accs.append(evaluate(model, x, t)[1])
    return val_accs, train_accs


def plot_top(trials, out, n=20):
    top = sorted(trials, key=lambda r: -r['val'][-1])[:n]
    cols = 5
    rows = -(-len(top) // cols)
    fig, axes = common.new_figure(rows, cols, figsize=(11, 1.9 * rows), sharex=True, sharey=True, squeeze=False)
    for i, (ax, r) in enumerate(zip(axes.ravel(), top)):
        ax.plot(r['val'], label='validation')
        ax.plot(r['train'], linestyle='--', label='train')
        ax.set_title(f'#{i + 1} lr {r["lr"]:.1e}, wd {r["weight_decay"]:.0e}', fontsize=7)
        ax.set_ylim(0, 1.02)
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[len(top):]:
        ax.axis('off')
    axes[0, 0].legend(fontsize=6)
    return common.save_figure(fig, out, 'hyperparam_top.png', dpi=80)


def plot_scatter(trials, out):
    fig, ax = common.new_figure(figsize=(5.2, 4.0))
    sc = ax.scatter([r['lr'] for r in trials], [r['weight_decay'] for r in trials],
                    c=[r['val'][-1] for r in trials], cmap='viridis', vmin=0, vmax=1, s=30)
    ax.set(xscale='log', yscale='log', xlabel='learning rate', ylabel='weight decay',
           title='validation accuracy of each trial')
    fig.colorbar(sc, ax=ax)
    return common.save_figure(fig, out, 'hyperparam_scatter.png')


def main(argv=None):
    parser = common.make_parser(__doc__, 'hyperparam_search', needs=('matplotlib',))
    add_root_option(parser)
    parser.add_argument('--trials', type=int, default=None, help='trials (default 100, 20 with --quick)')
    parser.add_argument('--epochs', type=int, default=50, help='epochs per trial (default 50)')
    args = common.parse(parser, argv)
    n_trials = args.trials or (20 if args.quick else 100)
    epochs = args.epochs

    (x_train, t_train), _, source = load_mnist(args.root, quick=args.quick)
    x, t = x_train[:500], t_train[:500]
    perm = np.random.permutation(len(x))
    x, t = x[perm], t[perm]
    n_val = len(x) // 5
    val, train = (x[:n_val], t[:n_val]), (x[n_val:], t[n_val:])

    trials = []
    start = time.perf_counter()
    for _ in common.progress(range(n_trials), desc='trials'):
        lr = 10 ** np.random.uniform(-6, -2)
        weight_decay = 10 ** np.random.uniform(-8, -4)
        val_accs, train_accs = trial(lr, weight_decay, train, val, epochs)
        trials.append({'lr': lr, 'weight_decay': weight_decay, 'val': val_accs, 'train': train_accs})
    seconds = time.perf_counter() - start

    ranked = sorted(trials, key=lambda r: -r['val'][-1])
    for i, r in enumerate(ranked[:5]):
        print(f'best {i + 1}: validation accuracy {r["val"][-1]:.2f} | lr {r["lr"]:.2e}, '
              f'weight decay {r["weight_decay"]:.2e}')
    figures = [plot_top(trials, args.out), plot_scatter(trials, args.out)]
    best = ranked[0]
    metrics = {'data': source, 'trials': n_trials, 'epochs': epochs,
               'best': {'val_accuracy': best['val'][-1], 'lr': best['lr'], 'weight_decay': best['weight_decay']},
               'top5_lr': [r['lr'] for r in ranked[:5]],
               'all': [{'lr': r['lr'], 'weight_decay': r['weight_decay'], 'val_accuracy': r['val'][-1]}
                       for r in ranked],
               'train_seconds': round(seconds, 2)}
    summary = (f'hyperparam_search: best validation accuracy {best["val"][-1]:.2f} of {n_trials} trials '
               f'(lr {best["lr"]:.1e}, weight decay {best["weight_decay"]:.1e}); top-5 learning rates '
               f'{min(metrics["top5_lr"]):.1e} to {max(metrics["top5_lr"]):.1e}')
    return common.finish(args, metrics, summary, figures)


if __name__ == '__main__':
    main()
