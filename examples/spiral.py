"""Spiral classification (book 3, steps 48-50): a two-layer network learns three interleaved spirals.

MLP((10, 3)) with sigmoid, softmax cross entropy, SGD with lr 1.0, mini-batches of 30, 300
epochs. With the default seed this is the book's own run: it ends with train accuracy 0.9667
and test accuracy 0.9600, as printed in the book. Writes the decision regions
(spiral_decision_boundary.png), the computation graph of the loss (spiral_graph.png, needs
Graphviz) and metrics.json; --quick trains 100 epochs. --export-onnx PATH also writes the trained
model to PATH as ONNX and runs that file in ONNX Runtime on the test set (needs the onnx extra:
pip install -e ".[onnx]").

    python examples/spiral.py --out out
    python examples/spiral.py --out out --export-onnx out/spiral.onnx
"""
import os
import struct
import sys
import time
import zlib

if __package__ in (None, ''):   # run as a script: import `examples` and `dezero` from this checkout
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir)))
from examples import common  # noqa: E402

import numpy as np  # noqa: E402

import dezero  # noqa: E402
import dezero.functions as F  # noqa: E402
from dezero import DataLoader, optimizers, utils  # noqa: E402
from dezero.datasets import Spiral  # noqa: E402
from dezero.models import MLP  # noqa: E402

COLORS = np.array([[31, 119, 180], [255, 127, 14], [44, 160, 44]], dtype=np.uint8)   # class 0, 1, 2


def evaluate(model, loader):
    """Mean loss and accuracy over one pass of ``loader``, without building graphs."""
    sum_loss = sum_acc = n = 0
    with dezero.no_grad(), dezero.test_mode():
        for x, t in loader:
            y = model(x)
            sum_loss += float(F.softmax_cross_entropy(y, t).data) * len(t)
            sum_acc += float(F.accuracy(y, t).data) * len(t)
            n += len(t)
    return sum_loss / n, sum_acc / n


def train(model, optimizer, train_loader, test_loader, epochs, report_every):
    history = []
    for epoch in range(1, epochs + 1):
        sum_loss = sum_acc = n = 0
        for x, t in train_loader:
            y = model(x)
            loss = F.softmax_cross_entropy(y, t)
            acc = F.accuracy(y, t)
            model.cleargrads()
            loss.backward()
            optimizer.update()
            sum_loss += float(loss.data) * len(t)
            sum_acc += float(acc.data) * len(t)
            n += len(t)
        test_loss, test_acc = evaluate(model, test_loader)
        history.append((sum_loss / n, sum_acc / n, test_loss, test_acc))
        if epoch == 1 or epoch % report_every == 0 or epoch == epochs:
            print(f'epoch {epoch:3d} | train loss {sum_loss / n:.4f}, accuracy {sum_acc / n:.4f} '
                  f'| test loss {test_loss:.4f}, accuracy {test_acc:.4f}')
    return history


def predict_grid(model, x, step=0.005):
    """Predicted class on a grid covering the points ``x`` (rows from the top)."""
    x_min, x_max = x[:, 0].min() - 0.1, x[:, 0].max() + 0.1
    y_min, y_max = x[:, 1].min() - 0.1, x[:, 1].max() + 0.1
    xx, yy = np.meshgrid(np.arange(x_min, x_max, step), np.arange(y_min, y_max, step))
    grid = np.c_[xx.ravel(), yy.ravel()].astype(np.float32)
    with dezero.no_grad(), dezero.test_mode():
        scores = model(grid)
    return xx, yy, np.argmax(scores.data, axis=1).reshape(xx.shape)


def plot_decision_boundary(model, x, t, out, filename='spiral_decision_boundary.png'):
    """Decision regions and the training points; with matplotlib if present, else a plain raster."""
    xx, yy, classes = predict_grid(model, x)
    try:
        fig, ax = common.new_figure(figsize=(5, 5))
    except ImportError:
        print('matplotlib is not installed (pip install matplotlib): drawing a plain image instead')
        return _raster(xx, yy, classes, x, t, out, filename)
    ax.contourf(xx, yy, classes, levels=[-0.5, 0.5, 1.5, 2.5], colors=COLORS / 255, alpha=0.3)
    for c, marker in zip(range(3), 'ox^'):
        ax.scatter(x[t == c, 0], x[t == c, 1], s=30, marker=marker, color=COLORS[c] / 255, label=f'class {c}')
    ax.set(xlabel='x0', ylabel='x1', title='spiral: decision regions of MLP((10, 3))')
    ax.legend(loc='upper right', fontsize=8)
    return common.save_figure(fig, out, filename)


def _raster(xx, yy, classes, x, t, out, filename):
    """Regions in light colours, points as dark squares: an RGB array written as PNG with zlib."""
    img = (255 - (255 - COLORS[classes[::-1]]) * 0.3).astype(np.uint8)
    H, W = classes.shape
    cols = np.clip(((x[:, 0] - xx[0, 0]) / (xx[0, -1] - xx[0, 0]) * (W - 1)).astype(int), 2, W - 3)
    rows = np.clip(((yy[-1, 0] - x[:, 1]) / (yy[-1, 0] - yy[0, 0]) * (H - 1)).astype(int), 2, H - 3)
    for r, c, label in zip(rows, cols, t):
        img[r - 2:r + 3, c - 2:c + 3] = COLORS[label] // 2
    raw = b''.join(b'\x00' + img[i].tobytes() for i in range(H))

    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))

    png = (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', W, H, 8, 2, 0, 0, 0))
           + chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b''))
    with utils.atomic_write(os.path.join(out, filename), suffix='.png') as tmp:
        with open(tmp, 'wb') as f:
            f.write(png)
    return filename


def plot_graph(model, x, t, out, filename='spiral_graph.png'):
    """The computation graph of the loss of one mini-batch; None (and a message) without Graphviz."""
    x_var = dezero.Variable(x, name='x')
    loss = F.softmax_cross_entropy(model(x_var), dezero.Variable(t, name='t'))
    loss.name = 'loss'
    for key, param in model.named_params():
        param.name = key
    try:
        utils.plot_dot_graph(loss, verbose=True, to_file=os.path.join(out, filename))
    except utils.GraphvizNotFoundError as e:
        print(e)
        return None
    return filename


def export_onnx(model, test_set, path):
    """Write ``model`` to ``path`` as ONNX, run the file in ONNX Runtime on the test set, and compare
    its scores with dezero's. Returns the numbers for metrics.json."""
    import dezero.onnx
    dezero.onnx.export(model, test_set.data[:1], path, input_names=['points'], output_names=['scores'])
    print(f'exported the model to {path}')
    try:
        import onnxruntime
    except ImportError:
        print('onnxruntime is not installed (pip install -e ".[onnx]"): the file was not run')
        return {'path': path}
    session = onnxruntime.InferenceSession(path, providers=['CPUExecutionProvider'])
    scores, = session.run(None, {'points': test_set.data})      # all 300 points in one batch
    with dezero.no_grad(), dezero.test_mode():
        expected = model(test_set.data).data
    difference = float(np.abs(scores - expected).max())
    accuracy = float((scores.argmax(axis=1) == test_set.label).mean())
    print(f'ONNX Runtime: test accuracy {accuracy:.4f}, largest difference from dezero {difference:.1e}')
    return {'path': path, 'test_accuracy': accuracy, 'max_abs_difference': difference}


def main(argv=None):
    parser = common.make_parser(__doc__, 'spiral')
    parser.set_defaults(seed=None)
    for action in parser._actions:
        if action.dest == 'seed':
            action.help = ("seed for the weights and the shuffling (default: the book's run, which "
                           'takes them from the RNG as the spiral generator leaves it)')
    parser.add_argument('--epochs', type=int, default=None, help='epochs (default 300, or 100 with --quick)')
    parser.add_argument('--export-onnx', metavar='PATH', default=None,
                        help='also write the trained model to PATH as ONNX and run it in ONNX Runtime')
    args = common.parse(parser, argv)
    epochs = args.epochs or (100 if args.quick else 300)

    train_set = Spiral(train=True)        # reseeds NumPy's RNG (1984), as in the book ...
    test_set = Spiral(train=False)        # ... and again (2020)
    if args.seed is not None:
        np.random.seed(args.seed)
    train_loader = DataLoader(train_set, batch_size=30)
    test_loader = DataLoader(test_set, batch_size=30, shuffle=False)
    model = MLP((10, 3))
    optimizer = optimizers.SGD(lr=1.0).setup(model)

    start = time.perf_counter()
    history = train(model, optimizer, train_loader, test_loader, epochs, report_every=max(epochs // 10, 1))
    seconds = time.perf_counter() - start
    train_loss, train_acc, test_loss, test_acc = history[-1]
    print(f'train accuracy: {train_acc:.4f}, test accuracy: {test_acc:.4f} ({epochs} epochs, {seconds:.1f} s)')

    figures = [plot_decision_boundary(model, train_set.data, train_set.label, args.out)]
    graph = plot_graph(model, train_set.data[:30], train_set.label[:30], args.out)
    if graph is not None:
        figures.append(graph)
    metrics = {'train_accuracy': train_acc, 'test_accuracy': test_acc, 'train_loss': train_loss,
               'test_loss': test_loss, 'epochs': epochs, 'train_seconds': round(seconds, 2)}
    if args.export_onnx:
        metrics['onnx'] = export_onnx(model, test_set, args.export_onnx)
    summary = (f'spiral: test accuracy {test_acc:.4f} (train {train_acc:.4f}) after {epochs} epochs; '
               f'figures in {args.out}')
    return common.finish(args, metrics, summary, figures)


if __name__ == '__main__':
    main()
