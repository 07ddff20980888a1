"""Run by tests/test_distributed.py under ``mpirun -n 2``: exercises dezero.distributed, records what it saw.

Each process writes ``rank<r>.json`` (numbers and lists) and ``rank<r>.npz`` (arrays) into the
folder given as the only argument; the test compares them with each other and with a single
process. The model, data and training loop are defined here once and imported by the test for
its single-process reference run.
"""
import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import dezero  # noqa: E402
import dezero.distributed as dist  # noqa: E402
import dezero.functions as F  # noqa: E402
import dezero.layers as L  # noqa: E402
from dezero import optimizers  # noqa: E402
from dezero.datasets import Dataset  # noqa: E402
from dezero.models import MLP, Model  # noqa: E402

N_TRAIN, BATCH, EPOCHS, LOADER_SEED = 96, 8, 3, 7


class Net(Model):
    """4 -> 16 -> 3 with tanh, all weights created at construction in ``dtype``."""

    def __init__(self, dtype):
        super().__init__()
        self.l1 = L.Linear(16, in_size=4, dtype=dtype)
        self.l2 = L.Linear(3, in_size=16, dtype=dtype)

    def forward(self, x):
        return self.l2(F.tanh(self.l1(x)))


class ArrayDataset(Dataset):
    def __init__(self, data, label):
        self._arrays = (data, label)
        super().__init__()

    def prepare(self):
        self.data, self.label = self._arrays


def make_data(dtype):
    rng = np.random.RandomState(0)
    x = rng.randn(N_TRAIN, 4).astype(dtype)
    t = (x[:, 0] + x[:, 1] * x[:, 2] > 0).astype(np.int64) + (x[:, 3] > 1)
    return ArrayDataset(x, t)


def make_model(dtype, seed):
    np.random.seed(seed)
    return Net(dtype)


def make_optimizer(model):
    optimizer = optimizers.MomentumSGD(lr=0.1, momentum=0.9).setup(model)
    optimizer.add_hook(optimizers.WeightDecay(1e-3))
    return optimizer


def train(model, loader, optimizer, epochs=EPOCHS):
    """The plain loop; returns the number of updates."""
    steps = 0
    for _ in range(epochs):
        for x, t in loader:
            loss = F.softmax_cross_entropy(model(x), t)
            model.cleargrads()
            loss.backward()
            optimizer.update()
            steps += 1
    return steps


def params_of(model):
    return [p.data.copy() for p in model.params()]


class IndexDataset(Dataset):
    """Example i is (array([i]), i)."""

    def __init__(self, n):
        self.n = n
        super().__init__()

    def prepare(self):
        self.data = np.arange(self.n, dtype=np.float64)[:, None]
        self.label = np.arange(self.n)


def seen_by_loader(loader, epochs=2):
    """[[indices of each batch] for each epoch]."""
    return [[t.tolist() for _, t in loader] for _ in range(epochs)]


def expect_error(f):
    """The message of the ValueError that ``f()`` raises, or None."""
    try:
        f()
    except ValueError as e:
        return str(e)
    return None


def main(out):
    r = dist.rank()
    info = {'rank': r, 'size': dist.size(), 'is_main': dist.is_main(), 'local_rank': dist.local_rank()}
    arrays = {}

    # Broadcast: different seeds, then rank 0's weights everywhere.
    np.random.seed(100 + r)
    model = MLP((5, 3))
    model(np.zeros((1, 4), dtype=np.float32))
    for i, p in enumerate(params_of(model)):
        arrays[f'before_bcast_{i}'] = p
    dist.broadcast_parameters(model)
    for i, p in enumerate(params_of(model)):
        arrays[f'after_bcast_{i}'] = p

    # Training: batch BATCH in each of 2 processes, against 2 * BATCH in one (done by the test).
    # Each process starts from its own seed; broadcast_parameters makes them rank 0's.
    for name, dtype in (('f64', np.float64), ('f32', np.float32)):
        model = make_model(dtype, seed=1000 + r)
        dist.broadcast_parameters(model)
        loader = dist.DistributedDataLoader(make_data(dtype), BATCH, seed=LOADER_SEED)
        optimizer = dist.DistributedOptimizer(make_optimizer(model))
        calls = []
        reduce_sum = dist._allreduce_sum

        def counting(world, buf):
            calls.append((buf.dtype.str, int(buf.size)))
            return reduce_sum(world, buf)

        dist._allreduce_sum = counting
        try:
            steps = train(model, loader, optimizer)
        finally:
            dist._allreduce_sum = reduce_sum
        info[f'steps_{name}'] = steps
        info[f'messages_{name}'] = calls
        info[f'grad_dtypes_{name}'] = sorted({p.grad.dtype.str for p in model.params()})
        for i, p in enumerate(params_of(model)):
            arrays[f'trained_{name}_{i}'] = p

    # A parameter used on rank 0 only, and one used nowhere (it must stay as it is).
    np.random.seed(5)
    a, b, unused = L.Linear(2, in_size=3), L.Linear(2, in_size=3), L.Linear(2, in_size=3)
    layers = [a, b, unused]
    optimizer = dist.DistributedOptimizer(optimizers.SGD(0.5))
    optimizer.setup(Model())
    optimizer.target.a, optimizer.target.b, optimizer.target.unused = layers
    optimizer.add_hook(optimizers.WeightDecay(0.1))
    x = np.full((2, 3), r + 1.0, dtype=np.float32)
    y = a(x) if r == 1 else a(x) + b(x)
    optimizer.target.cleargrads()
    F.sum(y * y).backward()
    optimizer.update()
    info['unused_grad_is_none'] = unused.W.grad is None
    for i, p in enumerate(params_of(optimizer.target)):
        arrays[f'partial_{i}'] = p

    # The sharded loader: what each process sees in two epochs.
    for name, n, kwargs in (('even', 32, {}), ('tail', 23, {}), ('merged', 17, {}),
                            ('drop', 23, {'drop_last': True}), ('ordered', 10, {'shuffle': False})):
        loader = dist.DistributedDataLoader(IndexDataset(n), 4, seed=3, **kwargs)
        info[f'loader_{name}'] = seen_by_loader(loader)
        info[f'loader_len_{name}'] = len(loader)
    loader = dist.DistributedDataLoader(IndexDataset(10), 2)     # seed=None: rank 0's draw
    info['loader_default_seed'] = loader.seed
    info['scatter'] = [int(t) for _, t in dist.scatter_dataset(IndexDataset(11), seed=1)]
    info['scatter_equal'] = [int(t) for _, t in dist.scatter_dataset(IndexDataset(11), seed=1,
                                                                     equal_length=True)]

    # Metrics.
    info['mean_of_rank'] = dist.allreduce_mean(float(r))
    info['sum_of_ints'] = dist.allreduce_sum([r, 1]).tolist()
    mean32 = dist.allreduce_mean(np.array([r, 2 * r], dtype=np.float32))
    info['mean32'] = mean32.tolist()
    info['mean32_dtype'] = mean32.dtype.str
    info['mean_of_variable'] = dist.allreduce_mean(dezero.Variable(np.array(r + 1.0, dtype=np.float32)))
    info['mean_of_f16'] = dist.allreduce_mean(np.array([r], dtype=np.float16)).tolist()

    # Mistakes: raised on every process, none left waiting.
    lopsided = Model()
    lopsided.l1 = L.Linear(2, in_size=3)
    if r == 1:
        lopsided.l2 = L.Linear(2, in_size=2)
    info['error_different_models'] = expect_error(lambda: dist.broadcast_parameters(lopsided))
    info['error_lazy'] = expect_error(lambda: dist.broadcast_parameters(MLP((3, 2))))
    dist.barrier()

    with open(os.path.join(out, f'rank{r}.json'), 'w') as f:
        json.dump(info, f)
    np.savez(os.path.join(out, f'rank{r}.npz'), **arrays)


if __name__ == '__main__':
    main(sys.argv[1])
