"""Data-parallel training over MPI: every process trains a copy of the model on its part of the data.

Launch the same script once per process, ``mpirun -n 4 python train.py``, and add four things to
an ordinary training loop::

    import dezero.distributed as dist

    model = MLP((100, 10))
    model(x[:1])                                        # create the lazily shaped weights
    dist.broadcast_parameters(model)                    # every process starts from rank 0's weights
    optimizer = dist.DistributedOptimizer(optimizers.SGD(0.1).setup(model))
    loader = dist.DistributedDataLoader(train_set, 100) # 100 examples per process, a disjoint part each
    for x, t in loader:
        loss = F.softmax_cross_entropy(model(x), t)
        model.cleargrads()
        loss.backward()
        optimizer.update()                              # gradients averaged over all processes first
    acc = dist.allreduce_mean(acc)                      # a metric, averaged over the processes
    if dist.is_main():
        model.save_weights('model.npz')

The runtime is MPI through mpi4py (``pip install mpi4py``, with Open MPI or MPICH installed), as in
ChainerMN. It is imported at the first call that needs it, never by ``import dezero``. Without
mpi4py, or run as a plain ``python train.py``, the script is a single process: ``size()`` is 1 and
every function here does nothing or returns its input, so one script serves both.

Gradients travel as one buffer per step (all parameters packed together, in their own dtype, so
float32 stays float32). CuPy arrays are reduced by NCCL (``cupy.cuda.nccl``) when CuPy has it, each
process using its own GPU (select it with ``cupy.cuda.Device(dist.local_rank()).use()``), and
otherwise through host memory by MPI.
"""
import math
import os

import numpy as np

from dezero import cuda
from dezero.core import Variable
from dezero.dataloaders import DataLoader
from dezero.datasets import Dataset

# Set by MPI launchers (Open MPI; MPICH and Intel MPI; MVAPICH) in each process: how many were started.
_LAUNCHER_SIZE_VARS = ('OMPI_COMM_WORLD_SIZE', 'PMI_SIZE', 'MV2_COMM_WORLD_SIZE')


# =============================================================================
# The processes
# =============================================================================
class _World:
    """The communicator in use: an mpi4py communicator, or none at all for a single process."""

    def __init__(self, comm=None, MPI=None, use_nccl=True):
        self.comm = comm
        self.MPI = MPI
        self.rank = comm.Get_rank() if comm is not None else 0
        self.size = comm.Get_size() if comm is not None else 1
        self.local_rank = 0
        if comm is not None and self.size > 1:
            node = comm.Split_type(MPI.COMM_TYPE_SHARED)
            self.local_rank = node.Get_rank()
            node.Free()
        self.use_nccl = use_nccl
        self.nccl = None            # (module, NcclCommunicator) once made, False if unavailable


_world = None


def init(comm=None, use_nccl=True):
    """Join the processes that ``mpirun`` started (the other functions call it when needed).

    ``comm`` is an mpi4py communicator to use instead of ``MPI.COMM_WORLD``. Without mpi4py the
    process runs alone (size 1), unless ``mpirun`` started several: then mpi4py is needed and
    its absence is an error rather than N copies training independently. ``use_nccl=False``
    reduces CuPy arrays through host memory even when NCCL is there (e.g. processes sharing a GPU).
    Calling it again replaces the communicator.
    """
    global _world
    if comm is None:
        try:
            from mpi4py import MPI
        except Exception as e:      # not installed, or no MPI library for it to load
            launched = _launched_size()
            if launched > 1:
                raise RuntimeError(f'this process is one of {launched} started by an MPI launcher, but '
                                   f'mpi4py cannot be imported ({type(e).__name__}: {e}). Install it in '
                                   'this Python environment: pip install mpi4py') from None
            _world = _World(use_nccl=use_nccl)
            return
        comm = MPI.COMM_WORLD
        launched = _launched_size()
        if launched > 1 and comm.Get_size() != launched:
            raise RuntimeError(f'the MPI launcher started {launched} processes but mpi4py sees '
                               f'{comm.Get_size()}: mpi4py was built for another MPI library than the '
                               'mpirun on PATH (e.g. MPICH and Open MPI). Use the matching mpirun, or '
                               'reinstall mpi4py: pip install --no-cache-dir --force-reinstall mpi4py')
    else:
        from mpi4py import MPI
    _world = _World(comm, MPI, use_nccl)


def _launched_size():
    for name in _LAUNCHER_SIZE_VARS:
        value = os.environ.get(name, '')
        if value.isdigit():
            return int(value)
    return 1


def _get():
    if _world is None:
        init()
    return _world


def rank():
    """This process's number, 0 to size() - 1."""
    return _get().rank


def size():
    """The number of processes (1 without MPI)."""
    return _get().size


def is_main():
    """True on rank 0: the process that prints, evaluates once and saves files."""
    return _get().rank == 0


def local_rank():
    """This process's number among those on the same machine: the GPU it should use."""
    return _get().local_rank


def barrier():
    """Wait until every process gets here."""
    world = _get()
    if world.size > 1:
        world.comm.Barrier()


# =============================================================================
# Collectives on one flat buffer: the only code that talks to MPI (and below, to NCCL)
# =============================================================================
def _allreduce_sum(world, buf):
    """Sum the 1-D contiguous ``buf`` over all processes, in place; returns it."""
    if world.size == 1:
        return buf
    if cuda.is_cupy_array(buf):
        return _gpu_collective(world, buf, 'sum')
    return _host_collective(world, buf, 'sum')


def _bcast(world, buf, root):
    """Overwrite ``buf`` everywhere with rank ``root``'s, in place; returns it."""
    if world.size == 1:
        return buf
    if cuda.is_cupy_array(buf):
        return _gpu_collective(world, buf, 'bcast', root)
    return _host_collective(world, buf, 'bcast', root)


def _host_collective(world, buf, op, root=0):
    if buf.dtype == np.float16:     # MPI has no 16-bit float type
        wide = buf.astype(np.float32)
        _host_collective(world, wide, op, root)
        buf[...] = wide
    elif op == 'sum':
        world.comm.Allreduce(world.MPI.IN_PLACE, buf, op=world.MPI.SUM)
    else:
        world.comm.Bcast(buf, root=root)
    return buf


def _bcast_object(world, obj, root=0):
    return obj if world.size == 1 else world.comm.bcast(obj, root=root)


def _all_true(world, flag):
    """True when ``flag`` is true on every process."""
    return bool(flag) if world.size == 1 else bool(world.comm.allreduce(int(bool(flag)), op=world.MPI.MIN))


def _check_root(world, root):
    if not 0 <= root < world.size:
        raise ValueError(f'root must be a rank from 0 to {world.size - 1}, got {root}')


# =============================================================================
# Parameters and gradients
# =============================================================================
def _named_params(target, caller):
    """[(name, Parameter)] of a Layer (by path, each once) or of an iterable of Parameters."""
    if hasattr(target, 'named_params'):
        items = target.named_params()
    elif hasattr(target, 'params'):
        items = ((f'param {i}', p) for i, p in enumerate(target.params()))
    else:
        try:
            items = ((f'param {i}', p) for i, p in enumerate(target))
        except TypeError:
            raise TypeError(f'{caller} takes a Layer, a Model or a list of Parameters, '
                            f'not {type(target).__name__}') from None
    named, seen = [], set()
    for name, p in items:
        if id(p) not in seen:
            seen.add(id(p))
            named.append((name, p))
    return named


def _check_same_params(world, named, caller):
    """Raise on every process unless all processes hold parameters of the same names, shapes and dtypes.

    Buffers of different lengths would make the collectives hang or mix up values, so this is
    checked once, before the first exchange.
    """
    layout = [(name, None if p.data is None else (tuple(p.data.shape), p.data.dtype.str))
              for name, p in named]
    root_layout = _bcast_object(world, layout)
    if _all_true(world, layout == root_layout):
        return
    diff = [f'{a[0]}: {a[1]} here, {b[1]} on rank 0' for a, b in zip(layout, root_layout) if a != b]
    if len(layout) != len(root_layout):
        diff.append(f'{len(layout)} parameters here, {len(root_layout)} on rank 0')
    raise ValueError(f'{caller}: the processes hold different parameters (rank {world.rank}: '
                     f'{"; ".join(diff) or "same as rank 0, another rank differs"}). Build the same model '
                     'in every process and run a forward pass before the first exchange.')


def _buffer(arrays, extra=0):
    """An uninitialised 1-D buffer for ``arrays`` packed end to end, plus ``extra`` slots.

    Its dtype is the arrays' common one (float32 for a float32 model), on their device.
    """
    xp = cuda.get_array_module(arrays[0])
    dtype = np.result_type(*[a.dtype for a in arrays])
    return xp.empty(sum(a.size for a in arrays) + extra, dtype=dtype)


def broadcast_parameters(model, root=0):
    """Copy rank ``root``'s parameter values into every process's ``model`` (in place), in one message.

    ``model`` is a Layer, a Model or a list of Parameters. Call it once after building the model
    so that all processes start from the same weights. Lazily shaped layers (``in_size=None``)
    must have run a forward pass first, e.g. ``model(x[:1])``; this raises ValueError otherwise,
    and also when the processes hold different parameters.
    """
    world = _get()
    _check_root(world, root)
    named = _named_params(model, 'broadcast_parameters')
    if world.size > 1:
        _check_same_params(world, named, 'broadcast_parameters')
    empty = [name for name, p in named if p.data is None]
    if empty:       # raised by a single process too, so that the script is right before it scales out
        raise ValueError(f'broadcast_parameters: parameters not initialised yet: {", ".join(empty)}. '
                         'Their shapes come from the first forward pass: call the model on a batch '
                         '(e.g. model(x[:1])) first, or give in_size / in_channels.')
    if world.size == 1 or not named:
        return
    arrays = [p.data for _, p in named]
    buf = _buffer(arrays)
    o = 0
    for a in arrays:
        buf[o:o + a.size] = a.ravel()
        o += a.size
    buf = _bcast(world, buf, root)
    o = 0
    for a in arrays:
        a[...] = buf[o:o + a.size].reshape(a.shape)
        o += a.size


class DistributedOptimizer:
    """Wrap an optimizer: ``update()`` first averages the gradients over all processes.

    ``DistributedOptimizer(optimizers.Adam().setup(model))``; everything else (``lr``, ``add_hook``,
    ``state_dict``, schedulers) goes to the wrapped optimizer, and its hooks see the averaged
    gradients. All gradients travel as one buffer per step, in the parameters' dtype. A parameter
    with a gradient on some processes only gets the average counting the others as zero (their
    loss did not depend on it); one with no gradient anywhere keeps ``grad = None`` and is not
    updated, as in a single process. Every process must call ``update()`` the same number of
    times (``DistributedDataLoader`` gives each the same number of batches).
    """

    def __init__(self, optimizer):
        object.__setattr__(self, 'optimizer', optimizer)
        object.__setattr__(self, '_checked', False)

    def __getattr__(self, name):
        if name == 'optimizer':
            raise AttributeError(name)
        return getattr(self.optimizer, name)

    def __setattr__(self, name, value):
        setattr(self.optimizer, name, value)

    def __repr__(self):
        return f'DistributedOptimizer({type(self.optimizer).__name__})'

    def setup(self, target):
        self.optimizer.setup(target)
        return self

    def update(self):
        self.allreduce_grads()
        self.optimizer.update()

    def allreduce_grads(self):
        """Replace each parameter's gradient by its mean over the processes (what ``update()`` does first)."""
        world = _get()
        if world.size == 1:
            return
        target = self.optimizer.target
        if target is None:
            raise RuntimeError(f'{type(self.optimizer).__name__}: call setup(model) before update()')
        named = [(name, p) for name, p in _named_params(target, 'DistributedOptimizer')
                 if p.data is not None]
        if not self._checked:
            _check_same_params(world, named, 'DistributedOptimizer')
            object.__setattr__(self, '_checked', True)
        if not named:
            return
        params = [p for _, p in named]
        n = len(params)
        # [gradient 1 | gradient 2 | ... | has-gradient flag of each parameter]
        buf = _buffer([p.data for p in params], extra=n)
        total = buf.size - n
        o = 0
        for p in params:
            size = p.data.size
            buf[o:o + size] = 0 if p.grad is None else p.grad.data.ravel()
            o += size
        has_grad = np.array([p.grad is not None for p in params], dtype=buf.dtype)
        buf[total:] = has_grad if isinstance(buf, np.ndarray) else cuda.as_cupy(has_grad)
        buf = _allreduce_sum(world, buf)
        buf[:total] /= world.size
        flags = cuda.as_numpy(buf[total:])
        o = 0
        for i, p in enumerate(params):
            size = p.data.size
            if flags[i] > 0:
                p.grad = Variable(buf[o:o + size].reshape(p.data.shape).astype(p.data.dtype, copy=False))
            o += size


def allreduce_sum(x):
    """The sum of ``x`` over all processes: a number, a list of numbers, an array or a Variable.

    A number (or a 0-d array or Variable) gives a Python number; anything else an array on
    the input's device. Several metrics in one list travel in one message.
    """
    return _allreduce(x, mean=False)


def allreduce_mean(x):
    """The mean of ``x`` over all processes (see ``allreduce_sum``): e.g. each process's accuracy."""
    return _allreduce(x, mean=True)


def _allreduce(x, mean):
    world = _get()
    if isinstance(x, Variable):
        x = x.data
    xp = cuda.get_array_module(x) if cuda.is_array(x) else np
    a = xp.asarray(x)
    if a.dtype.kind in 'biu':
        a = a.astype(np.int64)
    elif a.dtype.kind != 'f':
        raise TypeError(f'allreduce: expected numbers, got an array of dtype {a.dtype}')
    buf = xp.ascontiguousarray(a).ravel().copy()
    buf = _allreduce_sum(world, buf).reshape(a.shape)
    if mean:
        buf = buf / world.size if buf.dtype.kind != 'f' else buf / buf.dtype.type(world.size)
    return buf.item() if buf.ndim == 0 else buf


# =============================================================================
# Data: a disjoint part for each process
# =============================================================================
class SubDataset(Dataset):
    """The examples ``dataset[order[0]], dataset[order[1]], ...`` of another dataset, without copying it."""

    def __init__(self, dataset, order):
        self.dataset = dataset
        self.order = np.asarray(order, dtype=np.int64)
        super().__init__(train=getattr(dataset, 'train', True))

    def __getitem__(self, index):
        if isinstance(index, (int, np.integer)):
            return self.dataset[int(self.order[index])]
        return super().__getitem__(index)       # slices and lists come back here one int at a time

    def __len__(self):
        return len(self.order)


def scatter_dataset(dataset, shuffle=True, seed=0, equal_length=False):
    """This process's part of ``dataset``: the parts of all processes are disjoint and cover it once.

    With ``shuffle`` the examples are dealt from one permutation drawn from ``seed`` (the same in
    every process); the part sizes differ by at most one. With parts of different sizes a plain
    ``DataLoader`` may give processes different numbers of batches, and the process with fewer
    would stop while the others wait for it: train with ``DistributedDataLoader`` instead, or pass
    ``equal_length=True`` to top each shorter part up with one example of the last part (which
    is never short), as ChainerMN does, at the cost of seeing a few examples twice per epoch.
    """
    world = _get()
    n = len(dataset)
    if n < world.size:
        raise ValueError(f'scatter_dataset: {n} examples cannot be shared among {world.size} processes')
    order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    bounds = [n * r // world.size for r in range(world.size + 1)]
    part = order[bounds[world.rank]:bounds[world.rank + 1]]
    if equal_length:
        missing = math.ceil(n / world.size) - len(part)
        part = np.concatenate([part, order[n - missing:]])
    return SubDataset(dataset, part)


class DistributedDataLoader(DataLoader):
    """A DataLoader that gives each process ``batch_size`` examples of every global batch.

    In each epoch all processes draw the same permutation (from ``seed`` and the epoch number;
    ``seed=None`` takes rank 0's draw from NumPy's global RNG), cut it into global batches of
    ``batch_size * size()`` examples, and process r takes the r-th part of each. So the processes
    see disjoint parts that cover the dataset exactly once per epoch, and all of them get the same
    number of batches, as ``DistributedOptimizer`` needs. Two processes with ``batch_size`` B see
    what one process with ``2 * B`` would. The last global batch is split as evenly as possible;
    a remainder smaller than the number of processes joins the batch before it, so that no
    process gets an empty batch. ``drop_last`` drops the incomplete global batch instead.
    """

    def __init__(self, dataset, batch_size, shuffle=True, gpu=False, drop_last=False, seed=None):
        world = _get()
        self.num_replicas, self.rank = world.size, world.rank
        if seed is None:
            seed = _bcast_object(world, int(np.random.randint(2 ** 31)))
        self.seed = seed
        self.epoch = -1
        n, global_batch = len(dataset), batch_size * world.size
        if n < world.size or (drop_last and n < global_batch):
            raise ValueError(f'DistributedDataLoader: {n} examples are too few for {world.size} processes '
                             f'with batch_size {batch_size}{" and drop_last" if drop_last else ""}')
        super().__init__(dataset, batch_size, shuffle=shuffle, gpu=gpu, drop_last=drop_last)
        if drop_last:
            self.max_iter = n // global_batch
        else:
            self.max_iter = math.ceil(n / global_batch)
            if self.max_iter > 1 and n - (self.max_iter - 1) * global_batch < world.size:
                self.max_iter -= 1

    def reset(self):
        """Start the next epoch: a new permutation, common to all processes."""
        self.iteration = 0
        self.epoch += 1
        n = len(self.dataset)
        if self.shuffle:
            self.index = np.random.default_rng([self.seed, self.epoch]).permutation(n)
        else:
            self.index = np.arange(n)

    def batch_indices(self, i):
        """The dataset indices of this process's part of global batch ``i`` of the current epoch."""
        global_batch = self.batch_size * self.num_replicas
        start = i * global_batch
        stop = start + global_batch
        if i == self.max_iter - 1 and not self.drop_last:
            stop = len(self.index)
        return np.array_split(self.index[start:stop], self.num_replicas)[self.rank]

    def __next__(self):
        if self.iteration >= self.max_iter:
            self.reset()
            raise StopIteration
        batch = [self.dataset[int(j)] for j in self.batch_indices(self.iteration)]
        self.iteration += 1
        x = np.array([example[0] for example in batch])
        labels = [example[1] for example in batch]
        t = None if all(label is None for label in labels) else np.array(labels)
        if self.gpu:
            x = cuda.as_cupy(x)
            t = None if t is None else cuda.as_cupy(t)
        return x, t


# =============================================================================
# GPU: CuPy buffers go through NCCL when CuPy has it, otherwise through host memory
# =============================================================================
_NCCL_TYPES = {'float16': 'NCCL_FLOAT16', 'float32': 'NCCL_FLOAT32', 'float64': 'NCCL_FLOAT64',
               'int32': 'NCCL_INT32', 'int64': 'NCCL_INT64'}


def _nccl(world):
    """(cupy.cuda.nccl, an NcclCommunicator of all processes), made once, or None without NCCL.

    Collective: every process decides together, so that none waits in NCCL for one that uses MPI.
    Each process must have selected its own GPU before (``cupy.cuda.Device(local_rank()).use()``).
    """
    if world.nccl is None:
        nccl = None
        if world.use_nccl:
            try:
                import cupy
                from cupy.cuda import nccl
                if not (getattr(nccl, 'available', True) and getattr(cupy.cuda, 'nccl_enabled', True)):
                    nccl = None     # CuPy without the NCCL library
            except Exception:
                nccl = None
        world.nccl = False
        if _all_true(world, nccl is not None):
            uid = _bcast_object(world, nccl.get_unique_id() if world.rank == 0 else None)
            world.nccl = (nccl, nccl.NcclCommunicator(world.size, uid, world.rank))
    return world.nccl or None


def _gpu_collective(world, buf, op, root=0):
    import cupy
    pair = _nccl(world)
    if pair is not None and buf.dtype.name in _NCCL_TYPES:
        nccl, comm = pair
        dtype = getattr(nccl, _NCCL_TYPES[buf.dtype.name])
        stream = cupy.cuda.get_current_stream().ptr
        if op == 'sum':
            comm.allReduce(buf.data.ptr, buf.data.ptr, buf.size, dtype, nccl.NCCL_SUM, stream)
        else:
            comm.bcast(buf.data.ptr, buf.size, dtype, root, stream)
        return buf
    host = _host_collective(world, cupy.asnumpy(buf), op, root)
    buf.set(host)
    return buf
