"""dezero.distributed: one process without MPI, and two under ``mpirun -n 2``.

The MPI tests launch tests/mpi_scripts/check_distributed.py once under ``mpirun -n 2`` (Open MPI
gets ``--oversubscribe`` and, as root, ``--allow-run-as-root``) and check what each process
recorded: two processes with batch B end with the parameters of one process with batch 2B on
the same data order; broadcast makes different seeds agree; the sharded loader covers the data
exactly once per epoch. They are skipped when mpirun or mpi4py is missing. Everything else runs
in this process with mpi4py hidden, as on a machine without it.
"""
import importlib.util
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import dezero
import dezero.distributed as dist
import dezero.functions as F
import dezero.layers as L
from dezero import DataLoader, optimizers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, 'tests', 'mpi_scripts', 'check_distributed.py')
SHARED_MNIST = os.path.join(ROOT, '..', 'shared', 'data', 'mnist')

_spec = importlib.util.spec_from_file_location('check_distributed', SCRIPT)
check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check)

MPIRUN = shutil.which('mpirun')
HAS_MPI4PY = importlib.util.find_spec('mpi4py') is not None
_INSTALL = 'apt-get install openmpi-bin libopenmpi-dev; pip install mpi4py'
needs_mpi = pytest.mark.skipif(
    MPIRUN is None or not HAS_MPI4PY,
    reason=f'needs an MPI launcher and mpi4py ({_INSTALL}): mpirun {"found" if MPIRUN else "missing"}, '
           f'mpi4py {"found" if HAS_MPI4PY else "missing"}')


# =============================================================================
# One process, no MPI
# =============================================================================
@pytest.fixture
def single(monkeypatch):
    """dezero.distributed as on a machine without mpi4py (importing it raises ImportError)."""
    monkeypatch.setitem(sys.modules, 'mpi4py', None)
    monkeypatch.setattr(dist, '_world', None)
    for name in dist._LAUNCHER_SIZE_VARS:
        monkeypatch.delenv(name, raising=False)
    return dist


def test_import_dezero_never_imports_mpi4py():
    code = ("import sys, dezero, dezero.distributed as d; "
            "assert 'mpi4py' not in sys.modules, 'mpi4py imported'; print('ok')")
    result = subprocess.run([sys.executable, '-W', 'error', '-c', code], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == 'ok', result.stderr


def test_single_process_without_mpi4py(single):
    assert (single.rank(), single.size(), single.is_main(), single.local_rank()) == (0, 1, True, 0)
    single.barrier()
    assert 'mpi4py' not in sys.modules or sys.modules['mpi4py'] is None


def test_launched_by_mpirun_without_mpi4py_is_an_error(single, monkeypatch):
    monkeypatch.setenv('OMPI_COMM_WORLD_SIZE', '2')
    with pytest.raises(RuntimeError, match='one of 2 .*pip install mpi4py'):
        single.init()


def test_single_process_optimizer_is_the_wrapped_one(single):
    x = np.random.RandomState(0).randn(6, 3).astype(np.float32)
    models, opts = [], []
    for wrap in (False, True):
        np.random.seed(0)
        model = dezero.models.MLP((4, 2))
        model(x)                       # the weights, from the same seed
        opt = optimizers.MomentumSGD(0.1).setup(model)
        if wrap:
            opt = single.DistributedOptimizer(opt)
        models.append(model)
        opts.append(opt)
    for _ in range(3):
        for model, opt in zip(models, opts):
            loss = F.sum(model(x) ** 2)
            model.cleargrads()
            loss.backward()
            opt.update()
    for p, q in zip(models[0].params(), models[1].params()):
        assert q.data.dtype == np.float32
        np.testing.assert_array_equal(p.data, q.data)


def test_distributed_optimizer_passes_attributes_through(single):
    inner = optimizers.SGD(0.1)
    opt = single.DistributedOptimizer(inner)
    model = dezero.models.MLP((2,))
    assert opt.setup(model) is opt and inner.target is model
    opt.lr = 0.5                       # a scheduler writes the rate through the wrapper
    assert inner.lr == 0.5 and opt.lr == 0.5
    hook = optimizers.WeightDecay(0.1)
    opt.add_hook(hook)
    assert inner.hooks == [hook]
    scheduler = optimizers.StepLR(opt, step_size=1, gamma=0.1)
    scheduler.step()
    assert inner.lr == pytest.approx(0.05) and inner.initial_lr == 0.5
    assert repr(opt) == 'DistributedOptimizer(SGD)'


def test_broadcast_needs_initialised_parameters_even_alone(single):
    model = dezero.models.MLP((3, 2))
    with pytest.raises(ValueError, match='not initialised yet: l0/W, l1/W.*model\\(x\\[:1\\]\\)'):
        single.broadcast_parameters(model)
    model(np.zeros((1, 4), dtype=np.float32))
    before = [p.data.copy() for p in model.params()]
    single.broadcast_parameters(model)
    single.broadcast_parameters(list(model.params()))
    for b, p in zip(before, model.params()):
        np.testing.assert_array_equal(b, p.data)
    with pytest.raises(ValueError, match='root must be a rank from 0 to 0'):
        single.broadcast_parameters(model, root=1)
    with pytest.raises(TypeError, match='takes a Layer'):
        single.broadcast_parameters(3)


def test_allreduce_alone_returns_the_value(single):
    assert single.allreduce_mean(2) == 2.0 and isinstance(single.allreduce_mean(2), float)
    assert single.allreduce_sum(3) == 3 and isinstance(single.allreduce_sum(3), int)
    a = np.array([1.5, 2.5], dtype=np.float32)
    m = single.allreduce_mean(a)
    assert m.dtype == np.float32 and m.tolist() == [1.5, 2.5] and m is not a
    assert single.allreduce_mean(dezero.Variable(np.array(0.25, dtype=np.float32))) == 0.25
    assert single.allreduce_sum([1, 2]).tolist() == [1, 2]
    with pytest.raises(TypeError, match='dtype <U1'):
        single.allreduce_sum(np.array(['a']))


def test_sharded_loader_alone_is_a_seeded_dataloader(single):
    ds = check.IndexDataset(10)
    loader = single.DistributedDataLoader(ds, 4, seed=5)
    assert len(loader) == len(DataLoader(ds, 4)) == 3
    epochs = check.seen_by_loader(loader, epochs=3)
    for batches in epochs:
        assert [len(b) for b in batches] == [4, 4, 2]
        assert sorted(sum(batches, [])) == list(range(10))
    assert epochs[0] != epochs[1]                      # reshuffled each epoch
    again = check.seen_by_loader(single.DistributedDataLoader(ds, 4, seed=5), epochs=3)
    assert again == epochs                             # the same seed, the same order
    ordered = check.seen_by_loader(single.DistributedDataLoader(ds, 4, shuffle=False), epochs=1)
    assert ordered == [[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]]
    x, t = next(iter(single.DistributedDataLoader(ds, 3, shuffle=False)))
    assert x.shape == (3, 1) and t.tolist() == [0, 1, 2]


def test_sharded_loader_restarts_an_abandoned_epoch(single):
    loader = single.DistributedDataLoader(check.IndexDataset(8), 2, seed=0)
    for _ in loader:
        break
    seen = sorted(sum(check.seen_by_loader(loader, epochs=1)[0], []))
    assert seen == list(range(8))


def test_sharded_loader_default_seed_comes_from_numpys_global_rng(single):
    np.random.seed(3)
    a = single.DistributedDataLoader(check.IndexDataset(6), 2).seed
    np.random.seed(3)
    b = single.DistributedDataLoader(check.IndexDataset(6), 2).seed
    assert a == b


def test_scatter_dataset_alone_is_the_whole_dataset(single):
    ds = check.IndexDataset(7)
    part = single.scatter_dataset(ds, seed=2)
    labels = [t for _, t in part]
    assert sorted(labels) == list(range(7)) and labels != list(range(7))
    assert [t for _, t in single.scatter_dataset(ds, shuffle=False)] == list(range(7))
    assert [t for _, t in part[1:3]] == labels[1:3]
    with pytest.raises(ValueError, match='0 examples cannot be shared'):
        single.scatter_dataset(check.IndexDataset(0))


# =============================================================================
# Two processes under mpirun
# =============================================================================
def _mpirun_command(n, args):
    version = subprocess.run([MPIRUN, '--version'], capture_output=True, text=True).stdout
    cmd = [MPIRUN, '-n', str(n)]
    if 'Open MPI' in version or 'OpenRTE' in version:
        cmd.append('--oversubscribe')
        if hasattr(os, 'geteuid') and os.geteuid() == 0:
            cmd.append('--allow-run-as-root')
    return cmd + [sys.executable] + args


def _mpi_env():
    env = dict(os.environ, OPENBLAS_NUM_THREADS='1', OMP_NUM_THREADS='1', MKL_NUM_THREADS='1',
               PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    # Containers often forbid the cross-process memory copy of Open MPI's shared-memory transport.
    env.setdefault('OMPI_MCA_btl_vader_single_copy_mechanism', 'none')
    return env


def _run_mpi(n, args, timeout):
    try:
        result = subprocess.run(_mpirun_command(n, args), cwd=ROOT, env=_mpi_env(),
                                capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f'mpirun did not finish in {timeout} s (a process waiting for another?)\n'
                    f'{e.stdout}\n{e.stderr}')
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope='module')
def ranks(tmp_path_factory):
    """What each of the two processes recorded: [(info, arrays) of rank 0, of rank 1]."""
    if MPIRUN is None or not HAS_MPI4PY:
        pytest.skip('needs mpirun and mpi4py')
    out = tmp_path_factory.mktemp('mpi')
    _run_mpi(2, [SCRIPT, str(out)], timeout=120)
    recorded = []
    for r in range(2):
        with open(out / f'rank{r}.json') as f:
            info = json.load(f)
        with np.load(out / f'rank{r}.npz', allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        recorded.append((info, arrays))
    return recorded


def _series(arrays, prefix):
    keys = sorted((k for k in arrays if k.startswith(prefix)), key=lambda k: int(k.rsplit('_', 1)[1]))
    return [arrays[k] for k in keys]


@needs_mpi
def test_two_processes_know_their_place(ranks):
    infos = [info for info, _ in ranks]
    assert [(i['rank'], i['size'], i['is_main'], i['local_rank']) for i in infos] == \
        [(0, 2, True, 0), (1, 2, False, 1)]


@needs_mpi
def test_broadcast_makes_different_seeds_agree(ranks):
    (_, a0), (_, a1) = ranks
    before0, before1 = _series(a0, 'before_bcast_'), _series(a1, 'before_bcast_')
    assert any(not np.array_equal(p, q) for p, q in zip(before0, before1))
    for p0, after0, after1 in zip(before0, _series(a0, 'after_bcast_'), _series(a1, 'after_bcast_')):
        np.testing.assert_array_equal(after0, p0)
        np.testing.assert_array_equal(after1, p0)
        assert after1.dtype == np.float32


@needs_mpi
@pytest.mark.parametrize('name, dtype, rtol', [('f64', np.float64, 1e-10), ('f32', np.float32, 1e-4)])
def test_two_processes_batch_b_match_one_process_batch_2b(ranks, single, name, dtype, rtol):
    model = check.make_model(dtype, seed=1000)        # rank 0's seed: its weights were broadcast
    initial = [p.data.copy() for p in model.params()]
    loader = single.DistributedDataLoader(check.make_data(dtype), 2 * check.BATCH, seed=check.LOADER_SEED)
    steps = check.train(model, loader, check.make_optimizer(model))
    expected = [p.data for p in model.params()]
    for info, arrays in ranks:
        trained = _series(arrays, f'trained_{name}_')
        assert info[f'steps_{name}'] == steps == check.EPOCHS * check.N_TRAIN // (2 * check.BATCH)
        for got, want, init in zip(trained, expected, initial):
            assert got.dtype == dtype
            assert not np.allclose(want, init)        # training moved the weights
            np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)


@needs_mpi
@pytest.mark.parametrize('name, dtype', [('f64', '<f8'), ('f32', '<f4')])
def test_one_message_per_step_in_the_parameters_dtype(ranks, name, dtype):
    n_params = 4
    n_values = 4 * 16 + 16 + 16 * 3 + 3
    for info, _ in ranks:
        assert info[f'messages_{name}'] == [[dtype, n_values + n_params]] * info[f'steps_{name}']
        assert info[f'grad_dtypes_{name}'] == [dtype]


@needs_mpi
def test_gradient_on_one_process_only_is_averaged_and_no_gradient_is_no_update(ranks):
    np.random.seed(5)
    a, b, unused = L.Linear(2, in_size=3), L.Linear(2, in_size=3), L.Linear(2, in_size=3)
    initial_unused = [p.data.copy() for p in unused.params()]
    model = dezero.models.Model()
    model.a, model.b, model.unused = a, b, unused
    optimizer = optimizers.SGD(0.5).setup(model)
    optimizer.add_hook(optimizers.WeightDecay(0.1))
    x0, x1 = (np.full((2, 3), v, dtype=np.float32) for v in (1.0, 2.0))
    loss = (F.sum((a(x0) + b(x0)) ** 2) + F.sum(a(x1) ** 2)) / 2    # the mean of the two processes' losses
    loss.backward()
    optimizer.update()
    expected = [p.data for p in model.params()]
    for info, arrays in ranks:
        assert info['unused_grad_is_none']
        got = _series(arrays, 'partial_')
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, rtol=1e-5)
        for g, init in zip(got[4:], initial_unused):
            np.testing.assert_array_equal(g, init)


def _check_cover(per_rank, n, batch_lengths):
    """Per epoch: the processes' batches are disjoint, cover range(n) once, and pair up."""
    for epoch in range(2):
        batches = [per_rank[r][epoch] for r in range(2)]
        assert [[len(b) for b in bs] for bs in batches] == batch_lengths
        seen = sum(batches[0], []) + sum(batches[1], [])
        assert len(seen) == len(set(seen))
        yield sorted(seen)


@needs_mpi
@pytest.mark.parametrize('name, n, lengths', [
    ('even', 32, [[4, 4, 4, 4], [4, 4, 4, 4]]),
    ('tail', 23, [[4, 4, 4], [4, 4, 3]]),
    ('merged', 17, [[4, 5], [4, 4]]),          # a remainder of 1 joins the batch before it
    ('ordered', 10, [[4, 1], [4, 1]]),
])
def test_sharded_loader_covers_the_dataset_once_per_epoch(ranks, name, n, lengths):
    per_rank = [info[f'loader_{name}'] for info, _ in ranks]
    assert all(info[f'loader_len_{name}'] == len(lengths[0]) for info, _ in ranks)
    for seen in _check_cover(per_rank, n, lengths):
        assert seen == list(range(n))
    if name == 'ordered':
        assert per_rank[0][0] == [[0, 1, 2, 3], [8]] and per_rank[1][0] == [[4, 5, 6, 7], [9]]
    else:
        assert per_rank[0][0] != per_rank[0][1]          # a new permutation each epoch


@needs_mpi
def test_sharded_loader_matches_one_process_with_the_global_batch(ranks, single):
    one = check.seen_by_loader(single.DistributedDataLoader(check.IndexDataset(32), 8, seed=3))
    per_rank = [info['loader_even'] for info, _ in ranks]
    for epoch in range(2):
        for i, global_batch in enumerate(one[epoch]):
            assert per_rank[0][epoch][i] + per_rank[1][epoch][i] == global_batch


@needs_mpi
def test_sharded_loader_drop_last_and_default_seed(ranks):
    per_rank = [info['loader_drop'] for info, _ in ranks]
    for seen in _check_cover(per_rank, 23, [[4, 4], [4, 4]]):
        assert len(seen) == 16 and set(seen) <= set(range(23))
    assert ranks[0][0]['loader_default_seed'] == ranks[1][0]['loader_default_seed']


@needs_mpi
def test_scatter_dataset_parts_are_disjoint_and_cover_it(ranks):
    p0, p1 = (info['scatter'] for info, _ in ranks)
    assert (len(p0), len(p1)) == (5, 6)
    assert sorted(p0 + p1) == list(range(11))
    e0, e1 = (info['scatter_equal'] for info, _ in ranks)
    assert len(e0) == len(e1) == 6 and e0[:5] == p0 and e1 == p1
    assert e0[5] == p1[-1]                           # topped up from the last part, not its own


@needs_mpi
def test_metrics_are_reduced(ranks):
    for info, _ in ranks:
        assert info['mean_of_rank'] == 0.5
        assert info['sum_of_ints'] == [1, 2]
        assert info['mean32'] == [0.5, 1.0] and info['mean32_dtype'] == '<f4'
        assert info['mean_of_variable'] == 1.5
        assert info['mean_of_f16'] == [0.5]


@needs_mpi
def test_mistakes_raise_on_every_process_instead_of_hanging(ranks):
    for info, _ in ranks:
        assert 'the processes hold different parameters' in info['error_different_models']
        assert 'not initialised yet' in info['error_lazy']
    assert '(rank 0: same as rank 0, another rank differs)' in ranks[0][0]['error_different_models']
    assert '(rank 1: 4 parameters here, 2 on rank 0)' in ranks[1][0]['error_different_models']


@needs_mpi
def test_plain_python_with_mpi4py_is_one_process():
    code = 'import dezero.distributed as d; print(d.rank(), d.size(), d.is_main())'
    env = {k: v for k, v in _mpi_env().items() if k not in dist._LAUNCHER_SIZE_VARS}
    result = subprocess.run([sys.executable, '-c', code], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ['0', '1', 'True']


@needs_mpi
@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists(os.path.join(SHARED_MNIST, 't10k-images-idx3-ubyte.gz')),
                    reason='the offline MNIST test split is not in ../shared/data/mnist')
def test_distributed_mnist_example_under_mpirun(tmp_path):
    example = os.path.join(ROOT, 'examples', 'distributed_mnist.py')
    result = _run_mpi(2, [example, '--quick', '--small', '--root', SHARED_MNIST, '--out', str(tmp_path)],
                      timeout=300)
    with open(tmp_path / 'metrics.json') as f:
        metrics = json.load(f)
    assert metrics['processes'] == 2
    assert metrics['test_accuracy'] > 0.85, result.stdout
    assert result.stdout.count('distributed_mnist:') == 1      # only rank 0 reports
