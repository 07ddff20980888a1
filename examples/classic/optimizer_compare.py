"""SGD, Momentum, Nesterov, AdaGrad, RMSProp and Adam compared (book 1, chapter 6.1).

Part 1 follows each optimizer for 30 updates over f(x, y) = x^2 / 20 + y^2 from (-7, 2), the
book's elongated bowl, with the book's learning rates (SGD 0.95, Momentum 0.1, Nesterov 0.1,
AdaGrad 1.5, RMSProp 0.1, Adam 0.3) and its epsilon of 1e-7: dezero's optimizers then land on
exactly the book's points. SGD zig-zags across the valley; AdaGrad ends nearest the minimum.

Part 2 trains the same 784-100-100-100-100-10 ReLU network (He initialisation) with each
optimizer on identical mini-batches of 128 MNIST images for 2,000 iterations (--quick: 500),
with the book's rates (SGD, Momentum, Nesterov, AdaGrad, RMSProp 0.01; Adam 0.001), and plots
the smoothed loss curves.

    python examples/classic/optimizer_compare.py --out out/optimizer_compare
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

from dezero import Parameter, optimizers  # noqa: E402
from dezero.models import Model  # noqa: E402

NAMES = ('SGD', 'Momentum', 'Nesterov', 'AdaGrad', 'RMSProp', 'Adam')
# the book's epsilon is 1e-7 (dezero's AdaGrad and Adam default to 1e-8, as Chainer's)
PATH_OPTIMIZERS = {'SGD': lambda: optimizers.SGD(0.95),
                   'Momentum': lambda: optimizers.MomentumSGD(0.1),
                   'Nesterov': lambda: optimizers.Nesterov(0.1),
                   'AdaGrad': lambda: optimizers.AdaGrad(1.5, eps=1e-7),
                   'RMSProp': lambda: optimizers.RMSProp(0.1),
                   'Adam': lambda: optimizers.Adam(0.3, eps=1e-7)}
MNIST_OPTIMIZERS = {'SGD': lambda: optimizers.SGD(0.01),
                    'Momentum': lambda: optimizers.MomentumSGD(0.01),
                    'Nesterov': lambda: optimizers.Nesterov(0.01),
                    'AdaGrad': lambda: optimizers.AdaGrad(0.01, eps=1e-7),
                    'RMSProp': lambda: optimizers.RMSProp(0.01),
                    'Adam': lambda: optimizers.Adam(0.001, eps=1e-7)}


def f(p):
    """x^2 / 20 + y^2 for p = (x, y), a Variable."""
    return p[0] ** 2 / 20 + p[1] ** 2


def follow(make_optimizer, start=(-7.0, 2.0), steps=30):
    """The points visited by an optimizer over f, start included: an array (steps + 1, 2)."""
    holder = Model()
    holder.p = Parameter(np.array(start))
    optimizer = make_optimizer().setup(holder)
    path = [holder.p.data.copy()]
    for _ in range(steps):
        holder.cleargrads()
        f(holder.p).backward()
        optimizer.update()
        path.append(holder.p.data.copy())
    return np.array(path)


def plot_paths(paths, out):
    fig, axes = common.new_figure(2, 3, figsize=(12, 6.4))
    x, y = np.meshgrid(np.arange(-10, 10, 0.05), np.arange(-5, 5, 0.05))
    z = x ** 2 / 20 + y ** 2
    for ax, (name, path) in zip(axes.ravel(), paths.items()):
        ax.contour(x, y, z, levels=np.linspace(0.5, 12, 10), colors='gray', linewidths=0.6)
        ax.plot(path[:, 0], path[:, 1], 'o-', color='tab:red', markersize=3, linewidth=1)
        ax.plot(0, 0, '+', color='black', markersize=10)
        ax.set(xlim=(-10, 10), ylim=(-5, 5), title=f'{name}: ends at ({path[-1, 0]:.3f}, {path[-1, 1]:.3f})')
    return common.save_figure(fig, out, 'optimizer_paths.png')


def compare_on_mnist(x_train, t_train, iters, batch_size=128):
    """Loss of each optimizer at every iteration, every one on the same batches from the same start."""
    losses = {name: [] for name in NAMES}
    nets, opts = {}, {}
    init_seed = np.random.randint(2 ** 31)
    for name in NAMES:
        np.random.seed(init_seed)                  # the same initial weights for all
        nets[name] = MultiLayerNet([100] * 4, weight_init='he')
        nets[name](x_train[:1])                    # create the lazily shaped weights now
        opts[name] = MNIST_OPTIMIZERS[name]().setup(nets[name])
    rng = np.random.RandomState(np.random.randint(2 ** 31))
    for _ in common.progress(range(iters), desc='optimizers on MNIST'):
        batch = rng.choice(len(x_train), batch_size)
        for name in NAMES:
            losses[name].append(train_step(nets[name], opts[name], x_train[batch], t_train[batch]))
    return losses


def main(argv=None):
    parser = common.make_parser(__doc__, 'optimizer_compare', needs=('matplotlib',))
    add_root_option(parser)
    parser.add_argument('--iters', type=int, default=None,
                        help='MNIST iterations per optimizer (default 2000, 500 with --quick)')
    args = common.parse(parser, argv)
    iters = args.iters or (500 if args.quick else 2000)

    paths = {name: follow(PATH_OPTIMIZERS[name]) for name in NAMES}
    ends = {name: path[-1] for name, path in paths.items()}
    distances = {name: float(np.hypot(*end)) for name, end in ends.items()}
    sgd_y = paths['SGD'][:, 1]
    zigzag = bool(np.all(np.sign(sgd_y[1:11]) != np.sign(sgd_y[:10])))
    for name in NAMES:
        print(f'{name:9s} ends at ({ends[name][0]: .4f}, {ends[name][1]: .4f}), '
              f'{distances[name]:.4f} from the minimum')
    figures = [plot_paths(paths, args.out)]

    (x_train, t_train), _, source = load_mnist(args.root, quick=args.quick)
    start = time.perf_counter()
    losses = compare_on_mnist(x_train, t_train, iters)
    seconds = time.perf_counter() - start
    window = 50
    smoothed = {name: float(np.mean(values[-window:])) for name, values in losses.items()}
    for name in NAMES:
        print(f'{name:9s} loss (mean of the last {window} iterations): {smoothed[name]:.4f}')
    figures.append(common.plot_curves(args.out, 'optimizer_mnist_loss.png', losses, 'iteration', 'loss',
                                      title='784-100x4-10 on MNIST, the same batches for all',
                                      window=window, logy=True))

    metrics = {'data': source, 'iterations': iters,
               'path_ends': {name: [float(v) for v in end] for name, end in ends.items()},
               'path_distances': distances,
               'closest_to_minimum': min(distances, key=distances.get),
               'sgd_zigzags': zigzag,
               'mnist_final_loss': smoothed,
               'mnist_loss_window': window, 'train_seconds': round(seconds, 2)}
    best = min(smoothed, key=smoothed.get)
    summary = (f'optimizer_compare: after {iters} iterations on MNIST the loss is SGD {smoothed["SGD"]:.3f}, '
               f'Adam {smoothed["Adam"]:.3f}, lowest {best} {smoothed[best]:.4f}; on x^2/20 + y^2 '
               f'{metrics["closest_to_minimum"]} ends closest to the minimum')
    return common.finish(args, metrics, summary, figures)


if __name__ == '__main__':
    main()
