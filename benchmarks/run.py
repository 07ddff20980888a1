"""dezero against PyTorch on the CPU: eight workloads, one table.

    python benchmarks/run.py              # the full run; writes benchmarks/results/cpu.md
    python benchmarks/run.py --quick      # a smoke test, under a minute; writes nothing
    python benchmarks/run.py --only lstm,conv2d --repeats 20

Each workload runs in its own Python process (``--worker NAME``), dezero and PyTorch in the same
process taking turns run by run, so a busy machine slows both alike. BLAS is pinned to one thread
(``OPENBLAS_NUM_THREADS=1`` etc., set before NumPy is imported, and ``torch.set_num_threads(1)``).
Times are CPU time (``time.process_time``): the median of ``--repeats`` timed runs after warm-up
runs. Before timing, each workload checks that both frameworks compute the same numbers.

Memory is the peak of the bytes allocated during one forward+backward, above what was allocated
before it (parameters and input excluded, gradients included): ``tracemalloc`` for dezero (NumPy
reports its array buffers to it; Python objects such as Variables count too), and the allocation
events of PyTorch's own CPU allocator, recorded by ``torch.profiler`` with ``profile_memory=True``,
for PyTorch (tracemalloc does not see them). Both count every array buffer; neither counts the
memory the allocator keeps in reserve.

PyTorch is a benchmark-only dependency (``pip install torch``): the package and the tests never
import it.
"""
import os

for _name in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'VECLIB_MAXIMUM_THREADS',
              'NUMEXPR_NUM_THREADS'):
    os.environ[_name] = '1'

import argparse  # noqa: E402
import datetime  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, 'benchmarks', 'results', 'cpu.md')


# =============================================================================
# Timing
# =============================================================================
def median_times(funcs, repeats, warmup):
    """Median CPU time of each function; they take turns, so load on the machine hits all alike."""
    for f in funcs:
        for _ in range(warmup):
            f()
    times = [[] for _ in funcs]
    for _ in range(repeats):
        for f, ts in zip(funcs, times):
            gc.collect()
            start = time.process_time()
            f()
            ts.append(time.process_time() - start)
    return [statistics.median(ts) for ts in times]


def check_close(name, got, expected, rtol=1e-4):
    """Fail the workload if dezero's numbers are not PyTorch's (then its timing would mean nothing)."""
    import numpy as np
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if not np.allclose(got, expected, rtol=rtol, atol=rtol * float(np.abs(expected).max())):
        raise AssertionError(f'{name}: dezero and PyTorch disagree: {got} vs {expected}')


def count_functions(v):
    """Number of distinct Functions in the graph behind dezero Variable ``v``."""
    seen, todo = set(), [v.creator]
    while todo:
        f = todo.pop()
        if f is None or f in seen:
            continue
        seen.add(f)
        todo.extend(x.creator for x in f.inputs)
    return len(seen)


def count_torch_nodes(t):
    """Number of distinct autograd nodes behind tensor ``t``, leaf accumulators excluded."""
    seen, todo = set(), [t.grad_fn]
    while todo:
        f = todo.pop()
        if f is None or f in seen or type(f).__name__ == 'AccumulateGrad':
            continue
        seen.add(f)
        todo.extend(g for g, _ in f.next_functions)
    return len(seen)


# =============================================================================
# The workloads. Each returns {'dezero': x, 'torch': y, ...} in its unit.
# =============================================================================
WORKLOADS = {}


def workload(name, label, unit, target, setting):
    """Register a workload: its row label, unit, target ratio, and (full, quick) repeats and warm-ups."""
    def register(func):
        WORKLOADS[name] = dict(func=func, label=label, unit=unit, target=target, setting=setting)
        return func
    return register


@workload('ops', 'op overhead: 1,000 scalar ops (sin, ×0.5, exp, +x), forward+backward', 'µs/op', 0.9,
          dict(repeats=(40, 5), warmup=(5, 2)))
def bench_ops(torch, repeats, warmup):
    import numpy as np
    import dezero.functions as F
    from dezero import Variable

    def run_dezero():
        x = Variable(np.array(0.5))
        y = x
        for _ in range(250):
            y = F.sin(y)
            y = y * 0.5
            y = F.exp(y)
            y = y + x
        y.backward()
        return y.data, x.grad.data

    def run_torch():
        x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
        y = x
        for _ in range(250):
            y = torch.sin(y)
            y = y * 0.5
            y = torch.exp(y)
            y = y + x
        y.backward()
        return y.item(), x.grad.item()

    check_close('ops', run_dezero(), run_torch(), 1e-10)
    t_dezero, t_torch = median_times([run_dezero, run_torch], repeats, warmup)
    return {'dezero': t_dezero / 1000 * 1e6, 'torch': t_torch / 1000 * 1e6}


def _torch_linear_from(torch, dezero_linear):
    W = dezero_linear.W.data
    layer = torch.nn.Linear(W.shape[0], W.shape[1], bias=dezero_linear.b is not None)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(W.T.copy()))
        if dezero_linear.b is not None:
            layer.bias.copy_(torch.from_numpy(dezero_linear.b.data))
    return layer


@workload('mlp', 'MLP 784-1000-1000-10 ReLU, SGD, batch 100, 10,000 samples, one epoch', 's', 1.15,
          dict(repeats=(5, 1), warmup=(1, 1)))
def bench_mlp(torch, repeats, warmup):
    import numpy as np
    import dezero.functions as F
    from dezero import models, optimizers

    rng = np.random.default_rng(0)
    xs = rng.random((10000, 784), dtype=np.float32)
    ts = rng.integers(0, 10, 10000)
    np.random.seed(0)
    init = models.MLP((1000, 1000, 10), activation=F.relu)
    init(xs[:1])
    init_state = init.state_dict()

    def run_dezero(steps=100):
        model = models.MLP((1000, 1000, 10), activation=F.relu)
        model.load_state_dict(init_state)
        optimizer = optimizers.SGD(lr=0.1).setup(model)
        losses = []
        for i in range(0, 100 * steps, 100):
            loss = F.softmax_cross_entropy(model(xs[i:i + 100]), ts[i:i + 100])
            model.cleargrads()
            loss.backward()
            optimizer.update()
            losses.append(float(loss.data))
        return losses

    txs, tts = torch.from_numpy(xs), torch.from_numpy(ts)

    def run_torch(steps=100):
        model = torch.nn.Sequential(_torch_linear_from(torch, init.l0), torch.nn.ReLU(),
                                    _torch_linear_from(torch, init.l1), torch.nn.ReLU(),
                                    _torch_linear_from(torch, init.l2))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        losses = []
        for i in range(0, 100 * steps, 100):
            loss = torch.nn.functional.cross_entropy(model(txs[i:i + 100]), tts[i:i + 100])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses

    check_close('mlp', run_dezero(3), run_torch(3))
    t_dezero, t_torch = median_times([run_dezero, run_torch], repeats, warmup)
    return {'dezero': t_dezero, 'torch': t_torch}


@workload('cnn', 'CNN conv(1→32)-relu-pool-conv(32→64)-relu-pool-linear, batch 100, 1,000 images', 's', 2.0,
          dict(repeats=(7, 1), warmup=(1, 1)))
def bench_cnn(torch, repeats, warmup):
    import numpy as np
    import dezero.functions as F
    import dezero.layers as L
    from dezero import Model, optimizers

    class CNN(Model):
        def __init__(self):
            super().__init__()
            self.conv1 = L.Conv2d(32, 3, pad=1, in_channels=1)
            self.conv2 = L.Conv2d(64, 3, pad=1, in_channels=32)
            self.fc = L.Linear(10, in_size=64 * 7 * 7)

        def forward(self, x):
            x = F.pooling(F.relu(self.conv1(x)), 2, 2)
            x = F.pooling(F.relu(self.conv2(x)), 2, 2)
            return self.fc(F.reshape(x, (x.shape[0], -1)))

    rng = np.random.default_rng(0)
    xs = rng.standard_normal((1000, 1, 28, 28)).astype(np.float32)
    ts = rng.integers(0, 10, 1000)
    np.random.seed(0)
    init_state = CNN().state_dict()

    def run_dezero(steps=10):
        model = CNN()
        model.load_state_dict(init_state)
        optimizer = optimizers.SGD(lr=0.01).setup(model)
        losses = []
        for i in range(0, 100 * steps, 100):
            loss = F.softmax_cross_entropy(model(xs[i:i + 100]), ts[i:i + 100])
            model.cleargrads()
            loss.backward()
            optimizer.update()
            losses.append(float(loss.data))
        return losses

    nn, tf = torch.nn, torch.nn.functional
    txs, tts = torch.from_numpy(xs), torch.from_numpy(ts)

    def run_torch(steps=10):
        conv1, conv2 = nn.Conv2d(1, 32, 3, padding=1), nn.Conv2d(32, 64, 3, padding=1)
        fc = nn.Linear(64 * 7 * 7, 10)
        with torch.no_grad():
            for p, key in ((conv1.weight, 'conv1/W'), (conv1.bias, 'conv1/b'), (conv2.weight, 'conv2/W'),
                           (conv2.bias, 'conv2/b'), (fc.bias, 'fc/b')):
                p.copy_(torch.from_numpy(init_state[key]))
            fc.weight.copy_(torch.from_numpy(init_state['fc/W'].T.copy()))
        params = [conv1.weight, conv1.bias, conv2.weight, conv2.bias, fc.weight, fc.bias]
        optimizer = torch.optim.SGD(params, lr=0.01)
        losses = []
        for i in range(0, 100 * steps, 100):
            h = tf.max_pool2d(tf.relu(conv1(txs[i:i + 100])), 2, 2)
            h = tf.max_pool2d(tf.relu(conv2(h)), 2, 2)
            loss = tf.cross_entropy(fc(h.reshape(h.shape[0], -1)), tts[i:i + 100])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses

    check_close('cnn', run_dezero(3), run_torch(3))
    t_dezero, t_torch = median_times([run_dezero, run_torch], repeats, warmup)
    return {'dezero': t_dezero, 'torch': t_torch}


@workload('lstm', 'LSTM(100) + Linear(1), 1,000-step sin curve, BPTT 30, Adam, one epoch', 's', 2.0,
          dict(repeats=(9, 2), warmup=(1, 1)))
def bench_lstm(torch, repeats, warmup):
    import numpy as np
    import dezero.functions as F
    import dezero.layers as L
    from dezero import Model, optimizers

    class BetterRNN(Model):
        def __init__(self):
            super().__init__()
            self.rnn = L.LSTM(100, in_size=1)
            self.fc = L.Linear(1, in_size=100)

        def reset_state(self):
            self.rnn.reset_state()

        def forward(self, x):
            return self.fc(self.rnn(x))

    rng = np.random.default_rng(0)
    curve = (np.sin(np.linspace(0, 2 * np.pi, 1000)) + rng.uniform(-0.05, 0.05, 1000)).astype(np.float32)
    xs, ts = curve[:-1].reshape(-1, 1, 1), curve[1:].reshape(-1, 1, 1)
    np.random.seed(0)
    init_state = BetterRNN().state_dict()

    def run_dezero(steps=len(xs)):
        model = BetterRNN()
        model.load_state_dict(init_state)
        optimizer = optimizers.Adam().setup(model)
        model.reset_state()
        loss, losses = 0, []
        for count, (x, t) in enumerate(zip(xs[:steps], ts[:steps]), 1):
            loss += F.mean_squared_error(model(x), t)
            if count % 30 == 0 or count == steps:
                model.cleargrads()
                loss.backward()
                loss.unchain_backward()
                optimizer.update()
                losses.append(float(loss.data))
        return losses

    txs, tts = torch.from_numpy(xs), torch.from_numpy(ts)
    gates = ('x2i', 'x2f', 'x2u', 'x2o')        # PyTorch's gate order: input, forget, cell, output

    def run_torch(steps=len(xs)):
        cell, fc = torch.nn.LSTMCell(1, 100), torch.nn.Linear(100, 1)
        with torch.no_grad():
            cell.weight_ih.copy_(torch.from_numpy(np.concatenate([init_state[f'rnn/{g}/W'] for g in gates], 1).T))
            cell.weight_hh.copy_(torch.from_numpy(np.concatenate(
                [init_state[f'rnn/h2{g[2]}/W'] for g in gates], 1).T))
            cell.bias_ih.copy_(torch.from_numpy(np.concatenate([init_state[f'rnn/{g}/b'] for g in gates])))
            cell.bias_hh.zero_()
            fc.weight.copy_(torch.from_numpy(init_state['fc/W'].T.copy()))
            fc.bias.copy_(torch.from_numpy(init_state['fc/b']))
        cell.bias_hh.requires_grad_(False)          # dezero's LSTM has one bias per gate
        optimizer = torch.optim.Adam([cell.weight_ih, cell.weight_hh, cell.bias_ih, *fc.parameters()], lr=0.001)
        state, loss, losses = None, 0, []
        for count, (x, t) in enumerate(zip(txs[:steps], tts[:steps]), 1):
            state = cell(x, state)
            loss = loss + torch.nn.functional.mse_loss(fc(state[0]), t)
            if count % 30 == 0 or count == steps:
                optimizer.zero_grad()
                loss.backward()
                state = (state[0].detach(), state[1].detach())
                loss = loss.detach()
                optimizer.step()
                losses.append(loss.item())
        return losses

    check_close('lstm', run_dezero(95), run_torch(95), 1e-3)
    t_dezero, t_torch = median_times([run_dezero, run_torch], repeats, warmup)
    return {'dezero': t_dezero, 'torch': t_torch}


@workload('higher', '8th derivative of tanh by repeated backward(create_graph=True)', 'ms', 1.3,
          dict(repeats=(30, 5), warmup=(3, 1)))
def bench_higher(torch, repeats, warmup):
    import warnings
    import numpy as np
    import dezero.functions as F
    from dezero import Variable

    def run_dezero():
        x = Variable(np.array(1.0))
        y = F.tanh(x)
        y.backward(create_graph=True)
        for _ in range(7):
            gx = x.grad
            x.cleargrad()
            gx.backward(create_graph=True)
        return x.grad

    def run_torch():
        x = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
        y = torch.tanh(x)
        y.backward(create_graph=True)
        for _ in range(7):
            gx = x.grad
            x.grad = None
            gx.backward(create_graph=True)
        return x.grad

    warnings.filterwarnings('ignore', message='Using backward\\(\\) with create_graph=True')
    gd, gt = run_dezero(), run_torch()
    check_close('higher', float(gd.data), gt.item(), 1e-10)
    t_dezero, t_torch = median_times([run_dezero, run_torch], repeats, warmup)
    return {'dezero': t_dezero * 1e3, 'torch': t_torch * 1e3,
            'note': f'{count_functions(gd):,} graph functions vs {count_torch_nodes(gt):,}'}


def _memory(torch, retain_graph):
    """Peak bytes of one forward+backward of a 100-layer MLP (MB): dezero with ``retain_graph``,
    PyTorch with its default backward (which frees the graph as it goes)."""
    import tracemalloc
    import numpy as np
    import dezero.functions as F
    import dezero.layers as L
    from dezero import Model

    class Deep(Model):
        def __init__(self):
            super().__init__()
            self.layers = [L.Linear(256, in_size=256) for _ in range(100)]
            for i, layer in enumerate(self.layers):
                setattr(self, f'l{i}', layer)

        def forward(self, x):
            for layer in self.layers:
                x = F.relu(layer(x))
            return x

    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 256)).astype(np.float32)
    np.random.seed(0)
    model = Deep()

    def step_dezero():
        model.cleargrads()
        F.sum(model(x)).backward(retain_graph=retain_graph)

    layers = [_torch_linear_from(torch, layer) for layer in model.layers]
    tx = torch.from_numpy(x)

    def step_torch():
        for layer in layers:
            layer.zero_grad()
        h = tx
        for layer in layers:
            h = torch.relu(layer(h))
        h.sum().backward()             # PyTorch's default frees the graph as it goes

    step_dezero(), step_torch()
    check_close('memory', model.l0.W.grad.data, layers[0].weight.grad.numpy().T, 1e-3)

    model.cleargrads()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    step_dezero()
    peak_dezero = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()

    for layer in layers:
        layer.zero_grad()
    gc.collect()
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        step_torch()
    events = sorted((e for e in prof.profiler.kineto_results.events() if e.name() == '[memory]'),
                    key=lambda e: e.start_ns())
    live = peak_torch = 0
    for e in events:
        live += e.nbytes()
        peak_torch = max(peak_torch, live)
    return {'dezero': peak_dezero / 1e6, 'torch': peak_torch / 1e6}


@workload('memory', 'peak memory, forward+backward of a 100-layer 256-wide ReLU MLP, batch 256, '
          'backward(retain_graph=True) (dezero\'s default)', 'MB', 2.0, dict(repeats=(1, 1), warmup=(1, 1)))
def bench_memory(torch, repeats, warmup):
    return _memory(torch, retain_graph=True)


@workload('memory_free', 'the same with backward(retain_graph=False) (PyTorch\'s default)', 'MB', 1.0,
          dict(repeats=(1, 1), warmup=(1, 1)))
def bench_memory_free(torch, repeats, warmup):
    return _memory(torch, retain_graph=False)


@workload('conv2d', 'conv2d 64→64 3×3 pad 1, batch 32, 32×32, forward+backward', 'ms', 2.0,
          dict(repeats=(15, 3), warmup=(2, 1)))
def bench_conv2d(torch, repeats, warmup):
    import numpy as np
    import dezero.functions as F
    from dezero import Variable

    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 64, 32, 32)).astype(np.float32)
    W = (rng.standard_normal((64, 64, 3, 3)) * 0.05).astype(np.float32)
    b = rng.standard_normal(64).astype(np.float32)

    def run_dezero():
        xv, Wv, bv = Variable(x), Variable(W), Variable(b)
        y = F.conv2d(xv, Wv, bv, pad=1)
        y.backward()
        return y.data, xv.grad.data, Wv.grad.data, bv.grad.data

    def run_torch():
        xt, Wt, bt = (torch.from_numpy(a).requires_grad_() for a in (x, W, b))
        y = torch.nn.functional.conv2d(xt, Wt, bt, padding=1)
        y.backward(torch.ones_like(y))
        return y.detach().numpy(), xt.grad.numpy(), Wt.grad.numpy(), bt.grad.numpy()

    for got, expected in zip(run_dezero(), run_torch()):
        check_close('conv2d', got, expected, 1e-3)
    t_dezero, t_torch = median_times([run_dezero, run_torch], repeats, warmup)
    return {'dezero': t_dezero * 1e3, 'torch': t_torch * 1e3}


# =============================================================================
# Driver
# =============================================================================
def worker(name, quick, repeats):
    """Run one workload in this process and print its result as JSON on the last line."""
    sys.path.insert(0, ROOT)
    import numpy as np
    import torch
    torch.set_num_threads(1)
    spec = WORKLOADS[name]
    index = 1 if quick else 0
    result = spec['func'](torch, repeats or spec['setting']['repeats'][index], spec['setting']['warmup'][index])
    result['versions'] = {'numpy': np.__version__, 'torch': torch.__version__}
    print(json.dumps(result))


def machine():
    """The CPU model, the number of logical CPUs and the OS, for the results header."""
    model = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    return f'{model}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}'


def format_value(value, unit):
    return f'{value:.1f}' if unit in ('MB', 'ms') or value >= 10 else f'{value:.2f}'


def table(results):
    """The Markdown table: times or sizes, the ratio dezero / PyTorch and whether it meets the target."""
    lines = ['| workload | dezero | PyTorch | unit | dezero / PyTorch | target | met |',
             '|---|---:|---:|---|---:|---:|:---:|']
    for name, r in results.items():
        spec = WORKLOADS[name]
        ratio = r['dezero'] / r['torch']
        label = spec['label'] + (f' ({r["note"]})' if r.get('note') else '')
        lines.append(f'| {label} | {format_value(r["dezero"], spec["unit"])} | '
                     f'{format_value(r["torch"], spec["unit"])} | {spec["unit"]} | {ratio:.2f} | '
                     f'≤ {spec["target"]} | {"yes" if ratio <= spec["target"] else "**no**"} |')
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--quick', action='store_true', help='few repeats, no results file (under a minute)')
    parser.add_argument('--repeats', type=int, help='timed runs per workload (default: per workload)')
    parser.add_argument('--only', help='comma-separated workloads: ' + ','.join(WORKLOADS))
    parser.add_argument('--output', help=f'results file (default {os.path.relpath(RESULTS, ROOT)}; '
                                         'none with --quick)')
    parser.add_argument('--worker', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker, args.quick, args.repeats)

    names = args.only.split(',') if args.only else list(WORKLOADS)
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        parser.error(f'unknown workloads {unknown}; choose from {list(WORKLOADS)}')
    started = time.time()
    results, versions = {}, {}
    for name in names:
        command = [sys.executable, os.path.abspath(__file__), '--worker', name]
        command += ['--quick'] * args.quick + (['--repeats', str(args.repeats)] if args.repeats else [])
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=os.environ.copy())
        if done.returncode != 0:
            sys.stderr.write(done.stdout + done.stderr)
            raise SystemExit(f'workload {name} failed')
        results[name] = json.loads(done.stdout.strip().splitlines()[-1])
        versions = results[name].pop('versions')
        print(f'{name}: {results[name]}', flush=True)

    header = (f'Python {platform.python_version()}, NumPy {versions["numpy"]}, PyTorch {versions["torch"]}; '
              f'{machine()}; 1 BLAS thread; median CPU time after warm-up; '
              f'{"quick run" if args.quick else "full run"} of {time.time() - started:.0f} s')
    print('\n' + header + '\n\n' + table(results))
    output = args.output or (None if args.quick else RESULTS)
    if output:
        write_results(output, header, table(results))


def write_results(path, header, body):
    """Write the table to ``path``, keeping whatever follows the ``<!-- notes -->`` marker there."""
    sys.path.insert(0, ROOT)
    from dezero.utils import atomic_write
    notes = ''
    if os.path.exists(path):
        with open(path, encoding='utf-8') as f:
            notes = f.read().partition('<!-- notes -->')[2]
    text = (f'# dezero against PyTorch on the CPU\n\n'
            f'Produced by `python benchmarks/run.py` on {datetime.date.today().isoformat()}.\n'
            f'{header}.\n\n{body}\n\n<!-- notes -->{notes}')
    with atomic_write(path) as tmp:
        with open(tmp, 'w', encoding='utf-8') as f:
            f.write(text)
    print(f'wrote {os.path.relpath(path, ROOT)}')


if __name__ == '__main__':
    main()
