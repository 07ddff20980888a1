"""conv2d forward+backward and a small CNN training epoch: dezero against PyTorch on the CPU.

    python benchmarks/conv_cnn.py [--repeats 10] [--quick]

Both frameworks run in this process with BLAS pinned to one thread (OPENBLAS_NUM_THREADS=1 etc.,
set before NumPy is imported, and torch.set_num_threads(1)). Every figure is the median of
``--repeats`` timed runs (CPU time, taking turns) after warm-up runs. PyTorch is a benchmark-only dependency
(``pip install torch``); nothing in the package or the tests imports it.

Rows:
* conv2d: x (32, 64, 32, 32), W (64, 64, 3, 3), b (64,), pad 1, float32; forward, and forward
  plus backward with a ones seed (gradients for x, W and b);
* "original algorithm": the same computation done as the original DeZero does it (im2col to a
  6-D array, ``tensordot``, ``rollaxis``), with NumPy only, to show what the layout change buys;
* im2col layouts: the forward product and the weight gradient from differently laid-out cols;
* CNN epoch: conv(1->16, 3x3) - relu - maxpool 2 - conv(16->32, 3x3) - relu - maxpool 2 -
  linear(1568->10), softmax cross entropy, plain SGD, batch 64, 1,024 random 28x28 images.
"""
import os

for _name in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ[_name] = '1'

import argparse  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import dezero  # noqa: E402
import dezero.functions as F  # noqa: E402
from dezero import Variable  # noqa: E402
from dezero.functions_conv import col2im_array, im2col_array  # noqa: E402


def median_times(funcs, repeats, warmup=2):
    """Median CPU time of each function; the functions take turns, so a busy machine slows all alike.

    CPU time (``time.process_time``) rather than wall time: with one BLAS thread the work runs
    on this process's main thread, and other processes on the machine do not inflate it.
    """
    for f in funcs:
        for _ in range(warmup):
            f()
    times = [[] for _ in funcs]
    for _ in range(repeats):
        for f, ts in zip(funcs, times):
            start = time.process_time()
            f()
            ts.append(time.process_time() - start)
    return [statistics.median(ts) for ts in times]


# ----------------------------------------------------------------------------- conv2d
def conv_inputs(rng):
    x = rng.standard_normal((32, 64, 32, 32)).astype(np.float32)
    W = (rng.standard_normal((64, 64, 3, 3)) * 0.05).astype(np.float32)
    b = rng.standard_normal(64).astype(np.float32)
    return x, W, b


def dezero_conv(x, W, b, backward):
    xv, Wv, bv = Variable(x), Variable(W), Variable(b)
    if not backward:
        with dezero.no_grad():
            return F.conv2d(xv, Wv, bv, pad=1).data
    y = F.conv2d(xv, Wv, bv, pad=1)
    y.backward()
    return y.data, xv.grad.data, Wv.grad.data, bv.grad.data


def original_conv(x, W, b, backward):
    """The original's algorithm: tensordot over the non-contiguous axes of the 6-D col."""
    col = im2col_array(x, 3, 1, 1, to_matrix=False)
    y = np.tensordot(col, W, ((1, 2, 3), (1, 2, 3)))
    y += b
    y = np.rollaxis(y, 3, 1)
    if not backward:
        return y
    gy = np.ones_like(y)
    gcol = np.rollaxis(np.tensordot(W, gy, (0, 1)), 3)
    gx = col2im_array(gcol, x.shape, 3, 1, 1, to_matrix=False)
    col = im2col_array(x, 3, 1, 1, to_matrix=False)          # Conv2DGradW recomputes it
    gW = np.tensordot(gy, col, ((0, 2, 3), (0, 4, 5)))
    return y, gx, gW, gy.sum(axis=(0, 2, 3))


def torch_conv(torch, x, W, b, backward):
    xt, Wt, bt = (torch.from_numpy(a).requires_grad_(backward) for a in (x, W, b))
    if not backward:
        with torch.no_grad():
            return torch.nn.functional.conv2d(xt, Wt, bt, padding=1).numpy()
    y = torch.nn.functional.conv2d(xt, Wt, bt, padding=1)
    y.backward(torch.ones_like(y))
    return y.detach().numpy(), xt.grad.numpy(), Wt.grad.numpy(), bt.grad.numpy()


# ----------------------------------------------------------------------------- im2col layouts
def layout_variants(x, W):
    """The forward product and the weight gradient computed from differently laid-out cols."""
    N, C, H, Wd = x.shape
    OC = W.shape[0]
    W2 = W.reshape(OC, -1)
    gy = np.ones((N, OC, H, Wd), dtype=x.dtype)

    def col6():
        return im2col_array(x, 3, 1, 1, to_matrix=False)

    def fwd_tensordot():
        return np.rollaxis(np.tensordot(col6(), W, ((1, 2, 3), (1, 2, 3))), 3, 1)

    def fwd_matrix():
        col = im2col_array(x, 3, 1, 1, to_matrix=True)
        return (col @ W2.T).reshape(N, H, Wd, OC).transpose(0, 3, 1, 2)

    def fwd_batched():
        return np.matmul(W2, col6().reshape(N, -1, H * Wd))

    def fwd_chunked():
        with dezero.no_grad():
            return F.conv2d(x, W, pad=1).data

    def gw_tensordot():
        return np.tensordot(gy, col6(), ((0, 2, 3), (0, 4, 5)))

    def gw_batched():
        return np.matmul(gy.reshape(N, OC, -1), col6().reshape(N, -1, H * Wd).transpose(0, 2, 1)).sum(0)

    def gw_chunked():
        from dezero.functions_conv import Conv2DGradW
        return Conv2DGradW((3, 3), (1, 1), (1, 1)).forward(x, gy)

    return [('forward: 6-D col, tensordot (original)', fwd_tensordot),
            ('forward: matrix col (N·OH·OW, C·KH·KW) @ Wᵀ, then NCHW transpose', fwd_matrix),
            ('forward: contiguous (N, C·KH·KW, OH·OW) col, batched matmul', fwd_batched),
            ('forward: same, in ~4 MiB batch chunks (dezero)', fwd_chunked),
            ('weight gradient: 6-D col, tensordot (original)', gw_tensordot),
            ('weight gradient: contiguous col, batched matmul, sum over N', gw_batched),
            ('weight gradient: same, in ~4 MiB batch chunks (dezero)', gw_chunked)]


# ----------------------------------------------------------------------------- small CNN
def cnn_init(rng):
    shapes = [(16, 1, 3, 3), (16,), (32, 16, 3, 3), (32,), (32 * 7 * 7, 10), (10,)]
    params = []
    for s in shapes:
        fan_in = int(np.prod(s[1:])) if len(s) == 4 else s[0]
        scale = np.sqrt(2.0 / fan_in) if len(s) > 1 else 0.0
        params.append((rng.standard_normal(s) * scale).astype(np.float32))
    return params


def dezero_epoch(params, images, labels, batch, lr):
    W1, b1, W2, b2, W3, b3 = params
    losses = []
    for i in range(0, len(images), batch):
        x, t = images[i:i + batch], labels[i:i + batch]
        h = F.pooling(F.relu(F.conv2d(x, W1, b1, pad=1)), 2, 2)
        h = F.pooling(F.relu(F.conv2d(h, W2, b2, pad=1)), 2, 2)
        loss = F.softmax_cross_entropy(F.linear(F.reshape(h, (len(x), -1)), W3, b3), t)
        for p in params:
            p.cleargrad()
        loss.backward()
        for p in params:
            p.data -= lr * p.grad.data
        losses.append(float(loss.data))
    return losses


def torch_epoch(torch, params, images, labels, batch, lr):
    tf = torch.nn.functional
    W1, b1, W2, b2, W3, b3 = params
    losses = []
    for i in range(0, len(images), batch):
        x, t = images[i:i + batch], labels[i:i + batch]
        h = tf.max_pool2d(tf.relu(tf.conv2d(x, W1, b1, padding=1)), 2, 2)
        h = tf.max_pool2d(tf.relu(tf.conv2d(h, W2, b2, padding=1)), 2, 2)
        loss = tf.cross_entropy(h.reshape(len(x), -1) @ W3 + b3, t)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
        losses.append(loss.item())
    return losses


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeats', type=int, default=10)
    parser.add_argument('--quick', action='store_true', help='3 repeats, for a smoke test')
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else args.repeats

    import torch
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    x, W, b = conv_inputs(rng)

    for ref, got in zip(torch_conv(torch, x, W, b, True), dezero_conv(x, W, b, True)):
        np.testing.assert_allclose(got, ref, rtol=1e-3, atol=1e-3 * np.abs(ref).max())

    rows = []
    for label, backward in (('conv2d forward', False), ('conv2d forward+backward', True)):
        t_dezero, t_torch, t_orig = median_times([lambda: dezero_conv(x, W, b, backward),
                                                  lambda: torch_conv(torch, x, W, b, backward),
                                                  lambda: original_conv(x, W, b, backward)], repeats)
        rows.append((label, t_dezero, t_torch, t_orig))

    variants = layout_variants(x, W)
    layout_times = median_times([f for _, f in variants], repeats)

    images = rng.standard_normal((1024, 1, 28, 28)).astype(np.float32)
    labels = rng.integers(0, 10, 1024)
    init = cnn_init(rng)

    def run_dezero():
        return dezero_epoch([Variable(p.copy()) for p in init], images, labels, 64, 0.01)

    def run_torch():
        params = [torch.from_numpy(p.copy()).requires_grad_() for p in init]
        return torch_epoch(torch, params, torch.from_numpy(images), torch.from_numpy(labels), 64, 0.01)

    np.testing.assert_allclose(run_dezero()[:3], run_torch()[:3], rtol=1e-3)
    cnn_repeats = max(3, repeats // 2)
    t_dezero, t_torch = median_times([run_dezero, run_torch], cnn_repeats, warmup=1)
    rows.append(('small CNN, one epoch (16 steps)', t_dezero, t_torch, None))

    print(f'Python {platform.python_version()}, NumPy {np.__version__}, PyTorch {torch.__version__}, '
          f'{platform.machine()}, 1 BLAS thread, median CPU time of {repeats} runs (CNN: {cnn_repeats})\n')
    print('| benchmark | dezero (ms) | PyTorch (ms) | dezero / PyTorch | original algorithm (ms) | '
          'original / PyTorch |')
    print('|---|---:|---:|---:|---:|---:|')
    for label, t_dezero, t_torch, t_orig in rows:
        orig = ('–', '–') if t_orig is None else (f'{t_orig * 1e3:.1f}', f'{t_orig / t_torch:.2f}')
        print(f'| {label} | {t_dezero * 1e3:.1f} | {t_torch * 1e3:.1f} | {t_dezero / t_torch:.2f} | '
              f'{orig[0]} | {orig[1]} |')
    print('\n| im2col layout (conv2d above, NumPy only) | ms |')
    print('|---|---:|')
    for (label, _), t in zip(variants, layout_times):
        print(f'| {label} | {t * 1e3:.1f} |')


if __name__ == '__main__':
    main()
