"""Numerical differentiation and gradient checking (book 1, chapters 4 and 5).

1. The central difference (f(x + h) - f(x - h)) / 2h with h = 1e-4 on f(x) = 0.01 x^2 + 0.1 x,
   against the exact derivative that dezero's backprop gives.
2. The gradient field of f(x0, x1) = x0^2 + x1^2, and gradient descent on it from (-3, 4) with
   learning rates 0.1 (converges), 10 (diverges) and 1e-10 (hardly moves).
3. Gradient checking: a two-layer network (784 inputs, 50 hidden units, 10 classes, weights of
   standard deviation 0.01, float64) built from dezero Variables with F.matmul, F.sigmoid or
   F.relu and F.softmax_cross_entropy; the backprop gradient of every parameter is compared
   with its numerical gradient, on three random 784-pixel inputs (the check does not need real
   images). With sigmoid hidden units the two agree to about 1e-10; with ReLU, as in the book,
   a pre-activation that lies within h of the kink at 0 can make the numerical gradient wrong
   there, hence the book's looser tolerance. --quick uses 10 hidden units.

    python examples/classic/gradient_check.py --out out/gradient_check
"""
import os
import sys

if __package__ in (None, ''):   # run as a script: import `examples` and `dezero` from this checkout
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir)))
from examples import common  # noqa: E402

import numpy as np  # noqa: E402

import dezero  # noqa: E402
import dezero.functions as F  # noqa: E402
from dezero import Variable  # noqa: E402
from dezero.utils import numerical_grad  # noqa: E402


# =============================================================================
# 1-2. Numerical derivatives and gradient descent, as in the book (NumPy only)
# =============================================================================
def numerical_diff(f, x):
    h = 1e-4
    return (f(x + h) - f(x - h)) / (2 * h)


def function_1(x):
    return 0.01 * x ** 2 + 0.1 * x


def function_2(x):
    return np.sum(x ** 2)


def numerical_gradient(f, x):
    """Central differences along each coordinate of the float array ``x``."""
    h = 1e-4
    grad = np.zeros_like(x)
    for idx in range(x.size):
        tmp = x[idx]
        x[idx] = tmp + h
        fxh1 = f(x)
        x[idx] = tmp - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp
    return grad


def gradient_descent(f, init_x, lr=0.01, step_num=100):
    """Returns the final x and the path of every step."""
    x = np.array(init_x, dtype=float)
    path = [x.copy()]
    for _ in range(step_num):
        x -= lr * numerical_gradient(f, x)
        path.append(x.copy())
    return x, np.array(path)


def backprop_derivative(f, x):
    v = Variable(np.array(x))
    f(v).backward()
    return float(v.grad.data)


# =============================================================================
# 3. A two-layer network in dezero Variables
# =============================================================================
class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, activation, weight_init_std=0.01):
        self.activation = activation
        self.params = {
            'W1': Variable(weight_init_std * np.random.randn(input_size, hidden_size), name='W1'),
            'b1': Variable(np.zeros(hidden_size), name='b1'),
            'W2': Variable(weight_init_std * np.random.randn(hidden_size, output_size), name='W2'),
            'b2': Variable(np.zeros(output_size), name='b2'),
        }

    def loss(self, x, t):
        p = self.params
        h = self.activation(F.matmul(x, p['W1']) + p['b1'])
        y = F.matmul(h, p['W2']) + p['b2']
        return F.softmax_cross_entropy(y, t)

    def backprop_gradients(self, x, t):
        for p in self.params.values():
            p.cleargrad()
        self.loss(x, t).backward()
        return {name: p.grad.data for name, p in self.params.items()}

    def numerical_gradients(self, x, t):
        """Perturb each parameter array in place, one element at a time (no graph is recorded)."""
        with dezero.no_grad():
            return {name: numerical_grad(lambda _: self.loss(x, t), p.data)
                    for name, p in self.params.items()}


def check_network(activation, hidden, x, t):
    """Mean and max |backprop - numerical| for each parameter of a fresh network."""
    net = TwoLayerNet(x.shape[1], hidden, 10, activation)
    bp = net.backprop_gradients(x, t)
    num = net.numerical_gradients(x, t)
    return {name: {'mean_abs_diff': float(np.mean(np.abs(bp[name] - num[name]))),
                   'max_abs_diff': float(np.max(np.abs(bp[name] - num[name])))} for name in bp}


# =============================================================================
# Figures
# =============================================================================
def plot_gradient_field(out):
    fig, ax = common.new_figure(figsize=(5, 4.6))
    x0, x1 = np.meshgrid(np.arange(-2, 2.5, 0.25), np.arange(-2, 2.5, 0.25))
    points = np.stack([x0.ravel(), x1.ravel()], axis=1)
    grads = np.array([numerical_gradient(function_2, p.copy()) for p in points])
    ax.quiver(points[:, 0], points[:, 1], -grads[:, 0], -grads[:, 1], angles='xy', color='#666666')
    ax.set(xlim=(-2, 2), ylim=(-2, 2), xlabel='x0', ylabel='x1', aspect='equal',
           title='minus the gradient of x0^2 + x1^2')
    ax.grid(alpha=0.3)
    return common.save_figure(fig, out, 'gradient_field.png')


def plot_descent(out, path):
    fig, ax = common.new_figure(figsize=(5, 4.6))
    x0, x1 = np.meshgrid(np.linspace(-4.5, 4.5, 91), np.linspace(-4.5, 4.5, 91))
    ax.contour(x0, x1, x0 ** 2 + x1 ** 2, levels=[1, 4, 9, 16], colors='lightgray')
    ax.plot(path[:, 0], path[:, 1], 'o-', markersize=3)
    ax.plot([0], [0], '+', color='black')
    ax.set(xlim=(-4.5, 4.5), ylim=(-4.5, 4.5), xlabel='x0', ylabel='x1', aspect='equal',
           title='gradient descent from (-3, 4), lr 0.1')
    return common.save_figure(fig, out, 'gradient_descent_path.png')


def main(argv=None):
    parser = common.make_parser(__doc__, 'gradient_check', needs=('matplotlib',))
    parser.add_argument('--hidden', type=int, default=None, help='hidden units (default 50, 10 with --quick)')
    args = common.parse(parser, argv)
    hidden = args.hidden or (10 if args.quick else 50)

    diffs = {x: numerical_diff(function_1, x) for x in (5.0, 10.0)}
    exact = {x: backprop_derivative(function_1, x) for x in (5.0, 10.0)}
    grad_at = {str(p): numerical_gradient(function_2, np.array(p, dtype=float)).tolist()
               for p in [(3.0, 4.0), (0.0, 2.0), (3.0, 0.0)]}
    descents = {lr: gradient_descent(function_2, (-3.0, 4.0), lr=lr) for lr in (0.1, 10.0, 1e-10)}

    x = np.random.rand(3, 784)
    t = np.random.randint(0, 10, size=3)
    checks = {'sigmoid': check_network(F.sigmoid, hidden, x, t),
              'relu': check_network(F.relu, hidden, x, t)}

    figures = [plot_gradient_field(args.out), plot_descent(args.out, descents[0.1][1])]
    metrics = {
        'numerical_diff': {'x=5': diffs[5.0], 'x=10': diffs[10.0]},
        'backprop_diff': {'x=5': exact[5.0], 'x=10': exact[10.0]},
        'gradient': grad_at,
        'descent': {str(lr): {'final': xf.tolist(), 'norm': float(np.linalg.norm(xf))}
                    for lr, (xf, _) in descents.items()},
        'network': {'input': 784, 'hidden': hidden, 'output': 10, 'samples': 3, 'dtype': 'float64'},
        'gradient_check': checks,
    }
    worst = {act: max(c['mean_abs_diff'] for c in check.values()) for act, check in checks.items()}
    summary = (f'gradient_check: numerical d/dx(0.01x^2 + 0.1x) = {diffs[5.0]!r} at 5, {diffs[10.0]!r} at '
               f'10; GD lr 0.1 ends at |x| = {metrics["descent"]["0.1"]["norm"]:.1e}; 784-{hidden}-10 net, '
               f'worst mean |backprop - numerical|: sigmoid {worst["sigmoid"]:.1e}, ReLU {worst["relu"]:.1e}')
    common.finish(args, metrics, summary, figures)


if __name__ == '__main__':
    main()
