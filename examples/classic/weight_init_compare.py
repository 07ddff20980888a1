"""How the initial weights decide whether a deep network can learn (book 1, chapter 6.2).

Part 1 sends 1,000 random inputs through 5 layers of 100 units and histograms each layer's
activations: with std 1 the sigmoid saturates at 0 and 1 (vanishing gradients), with std 0.01
every unit outputs about 0.5 (no diversity), Xavier (std sqrt(1/n)) keeps the sigmoid
activations spread; for ReLU, std 0.01 lets the signal die out layer by layer while He
(std sqrt(2/n)) keeps its scale.

Part 2 trains a 784-100-100-100-100-10 ReLU network on MNIST with std 0.01, Xavier and He
initial weights, SGD lr 0.01, the same mini-batches of 128 for all, 2,000 iterations
(--quick: 500): std 0.01 does not learn at all, He learns fastest.

    python examples/classic/weight_init_compare.py --out out/weight_init_compare
"""
import os
import sys
import time

if __package__ in (None, ''):   # run as a script: import `examples` and `dezero` from this checkout
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir)))
from examples import common  # noqa: E402
from examples.classic.common.mnist import add_root_option, load_mnist  # noqa: E402
from examples.classic.common.nets import MultiLayerNet, train_step  # noqa: E402

import numpy as np  # noqa: E402

import dezero  # noqa: E402
import dezero.functions as F  # noqa: E402
from dezero import initializers, optimizers  # noqa: E402

SETTINGS = {   # name: (activation, initializer)
    'sigmoid, std 1': (F.sigmoid, lambda shape: np.random.randn(*shape)),
    'sigmoid, std 0.01': (F.sigmoid, lambda shape: initializers.normal(shape, shape[0], shape[1], np.float64)),
    'sigmoid, Xavier': (F.sigmoid, lambda shape: initializers.xavier(shape, shape[0], shape[1], np.float64)),
    'ReLU, std 0.01': (F.relu, lambda shape: initializers.normal(shape, shape[0], shape[1], np.float64)),
    'ReLU, Xavier': (F.relu, lambda shape: initializers.xavier(shape, shape[0], shape[1], np.float64)),
    'ReLU, He': (F.relu, lambda shape: initializers.he(shape, shape[0], shape[1], np.float64)),
}
MNIST_INITS = {'std 0.01': 'normal', 'Xavier': 'xavier', 'He': 'he'}


def activations(activation, init, n_layers=5, width=100, n_inputs=1000):
    """The activations of each layer for random inputs: a list of arrays (n_inputs, width)."""
    x = np.random.randn(n_inputs, width)
    layers = []
    with dezero.no_grad():
        for _ in range(n_layers):
            x = activation(x @ init((width, width))).data
            layers.append(x)
    return layers


def plot_histograms(results, out):
    """One row per setting, one panel per layer; ReLU rows show the positive outputs on the range of
    layer 1's, so a signal that shrinks from layer to layer shows as bars squeezed to the left."""
    fig, axes = common.new_figure(len(results), 5, figsize=(12, 1.7 * len(results)), sharey='row')
    for row, (name, layers) in zip(axes, results.items()):
        span = (0, 1) if 'sigmoid' in name else (0, float(np.percentile(layers[0][layers[0] > 0], 99)))
        for i, (ax, a) in enumerate(zip(row, layers)):
            ax.hist(a.ravel() if 'sigmoid' in name else a[a > 0], bins=30, range=span, color='tab:blue')
            ax.set_yticks([])
            ax.tick_params(labelsize=7)
            ax.set_title(f'{name}: layer {i + 1}' if i == 0 else f'layer {i + 1}', fontsize=8)
    return common.save_figure(fig, out, 'activation_histograms.png', dpi=80)


def compare_on_mnist(x_train, t_train, iters, batch_size=128):
    losses = {name: [] for name in MNIST_INITS}
    nets, opts = {}, {}
    for name, init in MNIST_INITS.items():
        nets[name] = MultiLayerNet([100] * 4, weight_init=init)
        opts[name] = optimizers.SGD(0.01).setup(nets[name])
    for _ in common.progress(range(iters), desc='initial weights on MNIST'):
        batch = np.random.choice(len(x_train), batch_size)
        for name in MNIST_INITS:
            losses[name].append(train_step(nets[name], opts[name], x_train[batch], t_train[batch]))
    return losses


def main(argv=None):
    parser = common.make_parser(__doc__, 'weight_init_compare', needs=('matplotlib',))
    add_root_option(parser)
    parser.add_argument('--iters', type=int, default=None,
                        help='MNIST iterations per initialisation (default 2000, 500 with --quick)')
    args = common.parse(parser, argv)
    iters = args.iters or (500 if args.quick else 2000)

    results = {name: activations(act, init) for name, (act, init) in SETTINGS.items()}
    stats = {}
    for name, layers in results.items():
        stats[name] = {'std': [float(a.std()) for a in layers],
                       'saturated': [float(np.mean((a < 0.1) | (a > 0.9))) for a in layers]}
        if 'sigmoid' in name:
            detail = 'saturated (< 0.1 or > 0.9): ' + ' '.join(f'{s:.0%}' for s in stats[name]['saturated'])
        else:
            detail = 'std per layer: ' + ' '.join(f'{s:.2g}' for s in stats[name]['std'])
        print(f'{name:18s} {detail}')
    figures = [plot_histograms(results, args.out)]

    (x_train, t_train), _, source = load_mnist(args.root, quick=args.quick)
    start = time.perf_counter()
    losses = compare_on_mnist(x_train, t_train, iters)
    seconds = time.perf_counter() - start
    window = 50
    final = {name: float(np.mean(v[-window:])) for name, v in losses.items()}
    at_500 = {name: float(np.mean(v[450:500])) for name, v in losses.items() if len(v) >= 500}
    for name in MNIST_INITS:
        print(f'{name:8s} loss (mean of the last {window} iterations): {final[name]:.4f}')
    figures.append(common.plot_curves(args.out, 'weight_init_loss.png', losses, 'iteration', 'loss',
                                      title='784-100x4-10 ReLU, SGD lr 0.01', window=window))

    metrics = {'data': source, 'iterations': iters, 'activations': stats,
               'mnist_final_loss': final, 'mnist_loss_at_500': at_500,
               'mnist_min_loss': {name: float(np.min(common.moving_average(v, window)))
                                  for name, v in losses.items()},
               'train_seconds': round(seconds, 2)}
    summary = (f'weight_init_compare: loss after {iters} iterations: std 0.01 {final["std 0.01"]:.3f}, '
               f'Xavier {final["Xavier"]:.3f}, He {final["He"]:.3f}; ReLU layer-5 activation std: '
               f'std 0.01 {stats["ReLU, std 0.01"]["std"][-1]:.2g}, He {stats["ReLU, He"]["std"][-1]:.2f}')
    return common.finish(args, metrics, summary, figures)


if __name__ == '__main__':
    main()
