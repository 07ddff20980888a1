"""dezero against PyTorch on an NVIDIA GPU: four workloads, one table.

    python benchmarks/gpu.py                  # the full run; writes benchmarks/results/gpu-<device>.md
    python benchmarks/gpu.py --quick          # a smoke test: few repeats, writes nothing
    python benchmarks/gpu.py --only mlp1000,conv2d --repeats 20 --output /tmp/gpu.md

The workloads of issue 7, each built the same way in both frameworks, with the data already on
the device and the same initial weights:

* mlp100: MLP 784-1000-1000-10 (ReLU), SGD, softmax cross entropy, batch 100, an epoch of 60,000
  samples (600 updates);
* mlp1000: MLP 784-4096-4096-10 the same way with batch 1,000 (60 updates);
* conv2d: conv2d 64->64 3x3 pad 1 on a batch of 32 images of 32x32, forward and backward;
* ops: a chain of 1,000 scalar ops (sin, x0.5, exp, +x, 250 times) on 0-d float64 arrays, forward
  and backward.

Times are wall-clock seconds between two device synchronisations, the median of ``--repeats``
runs after warm-up; dezero and PyTorch take turns run by run. Before timing, each workload checks
that both compute the same numbers. Matrix products and convolutions are full float32 on both
sides: PyTorch's TF32 is switched off for cuBLAS and cuDNN (CuPy never uses TF32 unless
``CUPY_TF32=1``); ``--tf32`` switches it on for both.

Needs CuPy and an NVIDIA GPU, and PyTorch with CUDA (``--no-torch`` times dezero alone). Neither
is a dependency of dezero: the package and its tests never import PyTorch.
"""
import argparse
import datetime
import os
import platform
import re
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, 'benchmarks', 'results')

# name: (label, unit, unit per second, original DeZero's time / PyTorch's on an H100, target)
WORKLOADS = {
    'mlp100': ('MLP 784-1000-1000-10 ReLU, SGD, batch 100, one epoch of 60,000 samples', 's', 1, 2.0, 1.5),
    'mlp1000': ('MLP 784-4096-4096-10 ReLU, SGD, batch 1,000, one epoch of 60,000 samples', 's', 1, 1.4, 1.2),
    'conv2d': ('conv2d 64→64 3×3 pad 1, batch 32, 32×32, forward+backward', 'ms', 1e3, 2.2, 1.2),
    'ops': ('chain of 1,000 scalar ops (sin, ×0.5, exp, +x), forward+backward', 'µs/op', 1e6 / 1000, 2.8, None),
}
SETTINGS = {'full': dict(repeats=7, warmup=2), 'quick': dict(repeats=2, warmup=1)}


class Bench:
    """The modules and the device synchronisation shared by the workloads."""

    def __init__(self, use_torch):
        import cupy
        import numpy as np
        self.cp, self.np = cupy, np
        self.torch = None
        if use_torch:
            import torch
            self.torch = torch

    def sync(self):
        self.cp.cuda.Device().synchronize()
        if self.torch is not None:
            self.torch.cuda.synchronize()

    def time(self, funcs, repeats, warmup):
        """Median wall time of each function (None entries skipped); they take turns."""
        for f in funcs:
            for _ in range(warmup if f else 0):
                f()
        self.sync()
        times = [[] for _ in funcs]
        for _ in range(repeats):
            for f, ts in zip(funcs, times):
                if f is None:
                    continue
                self.sync()
                start = time.perf_counter()
                f()
                self.sync()
                ts.append(time.perf_counter() - start)
        return [statistics.median(ts) if ts else None for ts in times]

    def check_close(self, name, got, expected, rtol):
        np = self.np
        got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
        if not np.allclose(got, expected, rtol=rtol, atol=rtol * float(np.abs(expected).max())):
            raise AssertionError(f'{name}: dezero and PyTorch disagree: {got.ravel()[:5]} vs {expected.ravel()[:5]}')


# =============================================================================
# Workloads: each returns {'dezero': seconds, 'torch': seconds or None}
# =============================================================================
def _mlp(b, sizes, batch, samples, repeats, warmup):
    import dezero.functions as F
    from dezero import models, optimizers
    cp, np, torch = b.cp, b.np, b.torch
    rng = np.random.default_rng(0)
    xs = cp.asarray(rng.random((samples, sizes[0]), dtype=np.float32))
    ts = cp.asarray(rng.integers(0, sizes[-1], samples))
    steps = samples // batch
    np.random.seed(0)
    init = models.MLP(sizes[1:], activation=F.relu)
    init(np.zeros((1, sizes[0]), dtype=np.float32))
    state = init.state_dict()

    def make_dezero():
        model = models.MLP(sizes[1:], activation=F.relu)
        model.load_state_dict(state)
        model.to_gpu()
        return model, optimizers.SGD(lr=0.1).setup(model)

    def epoch_dezero(model, optimizer, steps):
        losses = []
        for i in range(0, batch * steps, batch):
            loss = F.softmax_cross_entropy(model(xs[i:i + batch]), ts[i:i + batch])
            model.cleargrads()
            loss.backward()
            optimizer.update()
            losses.append(loss.data)
        return cp.stack(losses).get()

    dezero_pair = make_dezero()
    run_dezero = lambda: epoch_dezero(*dezero_pair, steps)  # noqa: E731
    if torch is None:
        return {'dezero': b.time([run_dezero], repeats, warmup)[0], 'torch': None}
    txs, tts = torch.as_tensor(xs, device='cuda'), torch.as_tensor(ts, device='cuda')

    def make_torch():
        layers = []
        for i in range(len(sizes) - 1):
            W, bias = state[f'l{i}/W'], state[f'l{i}/b']
            linear = torch.nn.Linear(*W.shape).cuda()
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(W.T.copy()))
                linear.bias.copy_(torch.from_numpy(bias))
            layers += [linear, torch.nn.ReLU()]
        model = torch.nn.Sequential(*layers[:-1])
        return model, torch.optim.SGD(model.parameters(), lr=0.1)

    def epoch_torch(model, optimizer, steps):
        losses = []
        for i in range(0, batch * steps, batch):
            loss = torch.nn.functional.cross_entropy(model(txs[i:i + batch]), tts[i:i + batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.detach())
        return torch.stack(losses).cpu().numpy()

    b.check_close('mlp', epoch_dezero(*make_dezero(), 5), epoch_torch(*make_torch(), 5), 1e-3)
    torch_pair = make_torch()
    t_dezero, t_torch = b.time([run_dezero, lambda: epoch_torch(*torch_pair, steps)], repeats, warmup)
    return {'dezero': t_dezero, 'torch': t_torch}


def bench_mlp100(b, repeats, warmup):
    return _mlp(b, (784, 1000, 1000, 10), 100, 60000, repeats, warmup)


def bench_mlp1000(b, repeats, warmup):
    return _mlp(b, (784, 4096, 4096, 10), 1000, 60000, repeats, warmup)


def bench_conv2d(b, repeats, warmup, inner=20):
    import dezero.functions as F
    from dezero import Variable
    cp, np, torch = b.cp, b.np, b.torch
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 64, 32, 32)).astype(np.float32)
    W = (rng.standard_normal((64, 64, 3, 3)) * 0.05).astype(np.float32)
    bias = rng.standard_normal(64).astype(np.float32)
    xg, Wg, bg = cp.asarray(x), cp.asarray(W), cp.asarray(bias)

    def step_dezero():
        xv, Wv, bv = Variable(xg), Variable(Wg), Variable(bg)
        y = F.conv2d(xv, Wv, bv, pad=1)
        y.backward()
        return y.data, xv.grad.data, Wv.grad.data, bv.grad.data

    def run_dezero():
        for _ in range(inner):
            step_dezero()

    if torch is None:
        return {'dezero': b.time([run_dezero], repeats, warmup)[0] / inner, 'torch': None}
    xt, Wt, bt = (torch.as_tensor(a, device='cuda') for a in (x, W, bias))

    def step_torch():
        xr, Wr, br = (a.detach().requires_grad_() for a in (xt, Wt, bt))
        y = torch.nn.functional.conv2d(xr, Wr, br, padding=1)
        y.backward(torch.ones_like(y))
        return y.detach(), xr.grad, Wr.grad, br.grad

    def run_torch():
        for _ in range(inner):
            step_torch()

    for got, expected in zip(step_dezero(), step_torch()):
        b.check_close('conv2d', cp.asnumpy(got), expected.cpu().numpy(), 1e-3)
    t_dezero, t_torch = b.time([run_dezero, run_torch], repeats, warmup)
    return {'dezero': t_dezero / inner, 'torch': t_torch / inner}


def bench_ops(b, repeats, warmup):
    import dezero.functions as F
    from dezero import Variable
    cp, torch = b.cp, b.torch

    def run_dezero():
        x = Variable(cp.array(0.5))
        y = x
        for _ in range(250):
            y = F.sin(y)
            y = y * 0.5
            y = F.exp(y)
            y = y + x
        y.backward()
        return float(y.data), float(x.grad.data)

    if torch is None:
        return {'dezero': b.time([run_dezero], repeats, warmup)[0], 'torch': None}

    def run_torch():
        x = torch.tensor(0.5, dtype=torch.float64, device='cuda', requires_grad=True)
        y = x
        for _ in range(250):
            y = torch.sin(y)
            y = y * 0.5
            y = torch.exp(y)
            y = y + x
        y.backward()
        return y.item(), x.grad.item()

    b.check_close('ops', run_dezero(), run_torch(), 1e-10)
    t_dezero, t_torch = b.time([run_dezero, run_torch], repeats, warmup)
    return {'dezero': t_dezero, 'torch': t_torch}


BENCHES = {'mlp100': bench_mlp100, 'mlp1000': bench_mlp1000, 'conv2d': bench_conv2d, 'ops': bench_ops}


# =============================================================================
# Driver
# =============================================================================
def _require_gpu(use_torch):
    """Stop with a clear message unless CuPy sees a GPU (and PyTorch too, when it is used)."""
    try:
        import cupy
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:      # ImportError, or a CUDA error without a driver or device
        raise SystemExit(f'benchmarks/gpu.py needs CuPy and an NVIDIA GPU: {type(e).__name__}: {e}. '
                         "Install CuPy for your CUDA version (pip install 'dezero[gpu-cuda12x]' or "
                         "'dezero[gpu-cuda13x]'); see docs/gpu.md.")
    if count < 1:
        raise SystemExit('benchmarks/gpu.py needs CuPy and an NVIDIA GPU: CuPy sees no device.')
    if use_torch:
        try:
            import torch
        except ImportError:
            raise SystemExit('benchmarks/gpu.py compares with PyTorch: install torch with CUDA, '
                             'or pass --no-torch to time dezero alone.')
        if not torch.cuda.is_available():
            raise SystemExit('benchmarks/gpu.py: PyTorch sees no CUDA device (a CPU-only build?); '
                             'install a CUDA build, or pass --no-torch.')


def describe(b):
    """(device slug for the file name, header line with device and versions)."""
    cp, np = b.cp, b.np
    props = cp.cuda.runtime.getDeviceProperties(cp.cuda.Device().id)
    name = props['name'].decode() if isinstance(props['name'], bytes) else str(props['name'])
    runtime = cp.cuda.runtime.runtimeGetVersion()
    driver = cp.cuda.runtime.driverGetVersion()
    found = re.search(r'\b([A-Z]\d{2,4}[A-Za-z]?)\b', name)
    slug = found.group(1).lower() if found else re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')
    versions = f'Python {platform.python_version()}, NumPy {np.__version__}, CuPy {cp.__version__}'
    if b.torch is not None:
        versions += f', PyTorch {b.torch.__version__}'
    cuda = f'CUDA runtime {runtime // 1000}.{runtime % 1000 // 10}, driver API {driver // 1000}.{driver % 1000 // 10}'
    return slug, f'{name} ({props["totalGlobalMem"] / 2 ** 30:.0f} GiB, {cuda}); {versions}'


def _fmt(value, unit):
    if value is None:
        return '—'
    return f'{value:.1f}' if unit in ('ms', 'µs/op') or value >= 10 else f'{value:.3f}'


def table(results):
    lines = ['| workload | dezero | PyTorch | unit | dezero / PyTorch | original DeZero / PyTorch | target | met |',
             '|---|---:|---:|---|---:|---:|---:|:---:|']
    for name, r in results.items():
        label, unit, scale, original, target = WORKLOADS[name]
        d = r['dezero'] * scale
        t = None if r['torch'] is None else r['torch'] * scale
        ratio = None if t is None else d / t
        met = '—' if ratio is None or target is None else ('yes' if ratio <= target else '**no**')
        lines.append(f'| {label} | {_fmt(d, unit)} | {_fmt(t, unit)} | {unit} | '
                     f'{"—" if ratio is None else f"{ratio:.2f}"} | {original} | '
                     f'{"—" if target is None else f"≤ {target}"} | {met} |')
    return '\n'.join(lines)


def write_results(path, header, body):
    """Write the table to ``path``, keeping whatever follows the ``<!-- notes -->`` marker there."""
    sys.path.insert(0, ROOT)
    from dezero.utils import atomic_write
    notes = ''
    if os.path.exists(path):
        with open(path, encoding='utf-8') as f:
            notes = f.read().partition('<!-- notes -->')[2]
    text = (f'# dezero against PyTorch on an NVIDIA GPU\n\n'
            f'Produced by `python benchmarks/gpu.py` on {datetime.date.today().isoformat()}.\n'
            f'{header}.\n\n{body}\n\n<!-- notes -->{notes}')
    with atomic_write(path) as tmp:
        with open(tmp, 'w', encoding='utf-8') as f:
            f.write(text)
    print(f'wrote {path}')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--quick', action='store_true', help='few repeats; writes no file unless --output')
    parser.add_argument('--repeats', type=int, help='timed runs per workload (default 7; 2 with --quick)')
    parser.add_argument('--only', help='comma-separated workloads: ' + ','.join(WORKLOADS))
    parser.add_argument('--output', help='results file (default benchmarks/results/gpu-<device>.md, '
                                         'e.g. gpu-h100.md; none with --quick)')
    parser.add_argument('--no-torch', action='store_true', help='time dezero alone')
    parser.add_argument('--tf32', action='store_true', help='allow TF32 matrix products in both frameworks')
    args = parser.parse_args(argv)
    names = args.only.split(',') if args.only else list(WORKLOADS)
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        parser.error(f'unknown workloads {unknown}; choose from {list(WORKLOADS)}')

    if args.tf32:
        os.environ['CUPY_TF32'] = '1'      # read by CuPy when it is imported
    _require_gpu(not args.no_torch)
    sys.path.insert(0, ROOT)
    b = Bench(not args.no_torch)
    if b.torch is not None:
        b.torch.backends.cuda.matmul.allow_tf32 = args.tf32
        b.torch.backends.cudnn.allow_tf32 = args.tf32
    setting = SETTINGS['quick' if args.quick else 'full']
    repeats = args.repeats or setting['repeats']
    started = time.time()
    results = {}
    for name in names:
        results[name] = BENCHES[name](b, repeats, setting['warmup'])
        print(f'{name}: {results[name]}', flush=True)
        b.cp.get_default_memory_pool().free_all_blocks()
        if b.torch is not None:
            b.torch.cuda.empty_cache()

    slug, device = describe(b)
    header = (f'{device}; {"TF32 allowed" if args.tf32 else "full float32 (no TF32)"}; median wall time '
              f'between device synchronisations over {repeats} runs after warm-up; '
              f'{"quick run" if args.quick else "full run"} of {time.time() - started:.0f} s')
    body = table(results)
    print('\n' + header + '\n\n' + body)
    output = args.output or (None if args.quick else os.path.join(RESULTS, f'gpu-{slug}.md'))
    if output:
        write_results(output, header, body)


if __name__ == '__main__':
    main()
