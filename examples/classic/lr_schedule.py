"""Learning-rate schedules: the same network trained with a constant and with decaying rates.

Not a chapter of book 1, but its SGD advice taken one step further: a rate large enough to
learn fast is too large to settle into a minimum, so it is lowered as training goes on.
A 784-100-10 ReLU network (He initialisation) is trained on MNIST with momentum SGD
(lr 0.3, momentum 0.9, mini-batches of 100) for 10 epochs (--quick: 5), five times from the
same initial weights on the same batches: with a constant rate, and with dezero's schedulers
``StepLR`` (halve every 2 epochs), ``ExponentialLR`` (x0.7 per epoch), ``CosineAnnealingLR``
(down to 0 at the end) and ``LinearWarmup`` (1 epoch) followed by cosine annealing. Each
scheduler's ``step()`` is called once per epoch. The constant rate keeps bouncing around at
a training loss several times higher than the decaying schedules reach, and tests worse too.
(With a smaller rate, 0.1 or less here, a constant rate does as well: decay pays off when the
rate is large enough to learn quickly.)

    python examples/classic/lr_schedule.py --out out/lr_schedule
"""
import math
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

BASE_LR = 0.3


def make_schedules(epochs):
    """{name: (function making the scheduler for an optimizer or None, closed form lr(epoch))}."""
    return {
        'constant': (lambda opt: None, lambda e: BASE_LR),
        'StepLR': (lambda opt: optimizers.StepLR(opt, step_size=2, gamma=0.5),
                   lambda e: BASE_LR * 0.5 ** (e // 2)),
        'ExponentialLR': (lambda opt: optimizers.ExponentialLR(opt, gamma=0.7),
                          lambda e: BASE_LR * 0.7 ** e),
        'CosineAnnealingLR': (lambda opt: optimizers.CosineAnnealingLR(opt, T_max=epochs),
                              lambda e: BASE_LR * (1 + math.cos(math.pi * e / epochs)) / 2),
        'warmup + cosine': (lambda opt: optimizers.LinearWarmup(
                                opt, warmup_steps=1, start_factor=0.1,
                                after=optimizers.CosineAnnealingLR(opt, T_max=epochs - 1)),
                            lambda e: BASE_LR * 0.1 if e == 0 else
                            BASE_LR * (1 + math.cos(math.pi * (e - 1) / (epochs - 1))) / 2),
    }


def train(make_scheduler, data, epochs, init_seed, batch_seed, batch_size=100):
    """(lr used in each epoch, training-set loss and test accuracy after each epoch)."""
    (x, t), (x_test, t_test) = data
    np.random.seed(init_seed)
    model = MultiLayerNet([100], weight_init='he')
    optimizer = optimizers.MomentumSGD(BASE_LR, momentum=0.9).setup(model)
    scheduler = make_scheduler(optimizer)
    rng = np.random.RandomState(batch_seed)
    lrs, losses, accs = [], [], []
    for _ in range(epochs):
        lrs.append(optimizer.lr)
        for idx in np.array_split(rng.permutation(len(x)), len(x) // batch_size):
            train_step(model, optimizer, x[idx], t[idx])
        losses.append(evaluate(model, x, t)[0])
        accs.append(evaluate(model, x_test, t_test)[1])
        if scheduler is not None:
            scheduler.step()
    return lrs, losses, accs


def main(argv=None):
    parser = common.make_parser(__doc__, 'lr_schedule', needs=('matplotlib',))
    add_root_option(parser)
    parser.add_argument('--epochs', type=int, default=None, help='epochs (default 10, 5 with --quick)')
    args = common.parse(parser, argv)
    epochs = args.epochs or (5 if args.quick else 10)

    train_set, test_set, source = load_mnist(args.root, quick=args.quick)
    init_seed, batch_seed = np.random.randint(2 ** 31, size=2)
    results = {}
    start = time.perf_counter()
    for name, (make, closed_form) in common.progress(make_schedules(epochs).items(), desc='schedules', total=5):
        lrs, losses, accs = train(make, (train_set, test_set), epochs, init_seed, batch_seed)
        results[name] = {'lr': lrs, 'train_loss': losses, 'test_accuracy': accs,
                         'lr_matches_closed_form': bool(np.allclose(lrs, [closed_form(e) for e in range(epochs)],
                                                                    rtol=1e-12, atol=0))}
        common.log(f'{name:17s} lr {lrs[0]:.3g} -> {lrs[-1]:.3g} | training loss {losses[-1]:.4f} '
                   f'| test accuracy {accs[-1]:.4f}')
    seconds = time.perf_counter() - start

    fig, axes = common.new_figure(1, 2, figsize=(10, 3.8))
    x = np.arange(1, epochs + 1)
    for name, r in results.items():
        line, = axes[0].plot(x, r['lr'], marker='o', markersize=3, label=name)
        axes[1].plot(x, r['train_loss'], marker='o', markersize=3, color=line.get_color(), label=name)
    axes[0].set(xlabel='epoch', ylabel='learning rate', title='the rate in each epoch')
    axes[1].set(xlabel='epoch', ylabel='loss on the training set', yscale='log', title='784-100-10, momentum SGD')
    axes[0].legend(fontsize=8)
    for ax in axes:
        ax.grid(alpha=0.3)
    figures = [common.save_figure(fig, args.out, 'lr_schedule.png')]

    final = {name: r['train_loss'][-1] for name, r in results.items()}
    metrics = {'data': source, 'epochs': epochs, 'base_lr': BASE_LR, 'schedules': results,
               'final_train_loss': final,
               'final_test_accuracy': {name: r['test_accuracy'][-1] for name, r in results.items()},
               'train_seconds': round(seconds, 2)}
    best = min(final, key=final.get)
    summary = (f'lr_schedule: training loss after {epochs} epochs: constant {final["constant"]:.4f}, '
               f'lowest {best} {final[best]:.4f}')
    return common.finish(args, metrics, summary, figures)


if __name__ == '__main__':
    main()
