"""Data-parallel MNIST on MPI: each process trains a copy of the MLP on its part of every batch.

The original example's MLP((1000, 1000, 10)) with ReLU, Adam and weight decay 1e-4, trained by
N processes at once: rank 0's initial weights are broadcast, each process takes --batch-size
examples of every global batch of N x --batch-size, and the gradients are averaged over the
processes before each update, so all copies stay equal. The test images are split among the
processes too, and the accuracies are summed over them. Only rank 0 prints and writes files.
MNIST comes from ~/.dezero (or $DEZERO_HOME), or from --root; --small needs only the test
split (8,000 images train, 2,000 evaluate); --quick trains one epoch on at most 8,000 images.
Run as a plain script it is one process: the same code, size 1.

    mpirun -n 2 python examples/distributed_mnist.py --out out/distributed_mnist
    mpirun -n 2 python examples/distributed_mnist.py --root DIR --small --quick
    mpirun -n 8 --hostfile hosts python examples/distributed_mnist.py --epochs 10
"""
import os
import sys
import time

if __package__ in (None, ''):   # run as a script: import `examples` and `dezero` from this checkout
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir)))
from examples import common  # noqa: E402

import numpy as np  # noqa: E402

import dezero  # noqa: E402
import dezero.distributed as dist  # noqa: E402
import dezero.functions as F  # noqa: E402
from dezero import DataLoader, cuda, optimizers  # noqa: E402
from dezero.models import MLP  # noqa: E402


def load_data(args):
    """(train set, test set): MNIST's own split, or with --small the test split cut 8,000 / 2,000.

    Rank 0 downloads what is missing while the others wait, then every process reads the files.
    """
    splits = ('test',) if args.small else ('train', 'test')
    if dist.is_main():
        common.fetch_mnist(args.root, splits)
    dist.barrier()
    folder, _ = common.fetch_mnist(args.root, splits)
    train_set = common.read_mnist(folder, train=not args.small)
    test_set = common.read_mnist(folder, train=False)
    if args.small:
        train_set.data, train_set.label = train_set.data[:8000], train_set.label[:8000]
        test_set.data, test_set.label = test_set.data[8000:], test_set.label[8000:]
    if args.quick:
        for ds, n in ((train_set, 8000), (test_set, 2000)):
            ds.data, ds.label = ds.data[:n], ds.label[:n]
    return train_set, test_set


def run_epoch(model, loader, optimizer=None):
    """(loss, accuracy) over one pass, summed over all processes; trains when an optimizer is given."""
    sum_loss = sum_correct = n = 0
    for x, t in loader:
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
        sum_correct += float(F.accuracy(y, t).data) * len(t)
        n += len(t)
    sum_loss, sum_correct, n = dist.allreduce_sum([sum_loss, sum_correct, n])    # one message
    return sum_loss / n, sum_correct / n


def main(argv=None):
    parser = common.make_parser(__doc__, 'distributed_mnist')
    parser.add_argument('--epochs', type=int, default=None, help='epochs (default 5, or 1 with --quick)')
    parser.add_argument('--batch-size', type=int, default=100,
                        help='examples per process in each step (default 100)')
    parser.add_argument('--root', default=None, help='folder that holds the MNIST .gz files (no download)')
    parser.add_argument('--small', action='store_true',
                        help='use only the test split: train on 8,000 images, evaluate on 2,000')
    parser.add_argument('--gpu', action='store_true', help='one GPU per process (needs CuPy)')
    args = common.parse(parser, argv)
    epochs = args.epochs or (1 if args.quick else 5)
    main_process = dist.is_main()
    log = print if main_process else (lambda *a, **k: None)

    if args.gpu:
        if not cuda.gpu_enable:
            parser.error('--gpu needs CuPy (pip install cupy-cuda12x)')
        cuda.cupy.cuda.Device(dist.local_rank()).use()
    train_set, test_set = load_data(args)
    train_loader = dist.DistributedDataLoader(train_set, args.batch_size, gpu=args.gpu)
    test_loader = DataLoader(dist.scatter_dataset(test_set, shuffle=False), 500, shuffle=False, gpu=args.gpu)

    model = MLP((1000, 1000, 10), activation=F.relu)
    model(np.zeros((1, 784), dtype=np.float32))        # create the weights, then take rank 0's
    if args.gpu:
        model.to_gpu()
    dist.broadcast_parameters(model)
    optimizer = dist.DistributedOptimizer(optimizers.Adam().setup(model))
    optimizer.add_hook(optimizers.WeightDecay(1e-4))
    log(f'MNIST on {dist.size()} processes: {len(train_set)} training and {len(test_set)} test images, '
        f'{len(train_loader)} steps per epoch of {args.batch_size} x {dist.size()} images')

    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        train_loss, train_acc = run_epoch(model, train_loader, optimizer)
        test_loss, test_acc = run_epoch(model, test_loader)
        log(f'epoch {epoch} | train loss {train_loss:.4f}, accuracy {train_acc:.4f} '
            f'| test loss {test_loss:.4f}, accuracy {test_acc:.4f} | {time.perf_counter() - start:.1f} s')
    seconds = time.perf_counter() - start

    if not main_process:
        return None
    weights = model.save_weights(os.path.join(args.out, 'distributed_mnist_mlp.npz'))
    metrics = {'processes': dist.size(), 'epochs': epochs, 'batch_per_process': args.batch_size,
               'train_images': len(train_set), 'test_images': len(test_set), 'train_accuracy': train_acc,
               'test_accuracy': test_acc, 'test_loss': test_loss, 'train_seconds': round(seconds, 1),
               'weights': os.path.basename(weights)}
    summary = (f'distributed_mnist: test accuracy {test_acc:.4f} after {epochs} epochs on {dist.size()} '
               f'processes ({len(train_set)} training images, {seconds:.0f} s)')
    return common.finish(args, metrics, summary)


if __name__ == '__main__':
    main()
