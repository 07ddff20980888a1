"""Activation functions (book 1, chapter 3): step, sigmoid, ReLU, tanh, and a softmax that never overflows.

The NumPy definitions of the book are drawn next to their derivatives, which dezero computes
by backprop (F.sigmoid, F.relu, F.tanh); each dezero function is checked against the NumPy
definition, and its backprop derivative against central differences and the closed form. softmax on
[1010, 1000, 990] overflows when written naively (exp(1010) is inf, inf / inf is nan) and is
exact once the largest input is subtracted first. Instant; --quick changes nothing.

    python examples/classic/activations.py --out out/activations
"""
import os
import sys

if __package__ in (None, ''):   # run as a script: import `examples` and `dezero` from this checkout
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir)))
from examples import common  # noqa: E402

import numpy as np  # noqa: E402

import dezero.functions as F  # noqa: E402
from dezero import Variable  # noqa: E402
from dezero.utils import numerical_grad  # noqa: E402


# =============================================================================
# The book's NumPy definitions
# =============================================================================
def step_function(x):
    return (x > 0).astype(int)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def relu(x):
    return np.maximum(0, x)


def softmax_naive(a):
    exp_a = np.exp(a)
    return exp_a / np.sum(exp_a)


def softmax(a):
    """Subtracting the largest input changes nothing mathematically and keeps exp() finite."""
    exp_a = np.exp(a - np.max(a))
    return exp_a / np.sum(exp_a)


def backprop_derivative(f, x):
    """df/dx at every point of ``x`` (elementwise functions), by dezero's backward."""
    v = Variable(x.copy())
    f(v).backward()
    return v.grad.data


def main(argv=None):
    parser = common.make_parser(__doc__, 'activations', needs=('matplotlib',))
    args = common.parse(parser, argv)

    # an even number of points: none falls within the finite-difference step of ReLU's kink at 0
    x = np.linspace(-5.0, 5.0, 100)
    dezero_fns = {'sigmoid': F.sigmoid, 'ReLU': F.relu, 'tanh': F.tanh}
    numpy_fns = {'sigmoid': sigmoid, 'ReLU': relu, 'tanh': np.tanh}
    closed_forms = {'sigmoid': sigmoid(x) * (1 - sigmoid(x)), 'ReLU': (x > 0).astype(float),
                    'tanh': 1 - np.tanh(x) ** 2}
    checks, derivatives = {}, {}
    for name, f in dezero_fns.items():
        derivatives[name] = backprop_derivative(f, x)
        numeric = numerical_grad(f, x.copy())
        checks[name] = {
            'forward_max_error': float(np.max(np.abs(f(Variable(x)).data - numpy_fns[name](x)))),
            'backprop_vs_numerical': float(np.max(np.abs(derivatives[name] - numeric))),
            'backprop_vs_closed_form': float(np.max(np.abs(derivatives[name] - closed_forms[name]))),
        }

    a = np.array([1010.0, 1000.0, 990.0])
    with np.errstate(over='ignore', invalid='ignore'):
        naive = softmax_naive(a)
    stable = softmax(a)

    fig, (ax0, ax1) = common.new_figure(1, 2, figsize=(10, 3.8))
    ax0.plot(x, step_function(x), label='step', linestyle='--')
    for name, f in numpy_fns.items():
        ax0.plot(x, f(x), label=name)
    ax0.set(xlabel='x', ylabel='h(x)', ylim=(-1.1, 1.6), title='activation functions')
    for name, d in derivatives.items():
        ax1.plot(x, d, label=f"{name}'")
    ax1.set(xlabel='x', ylabel="h'(x)", ylim=(-0.1, 1.1), title='derivatives by dezero backprop')
    for ax in (ax0, ax1):
        ax.legend()
        ax.grid(alpha=0.3)
    figure = common.save_figure(fig, args.out, 'activations.png')

    metrics = {
        'sigmoid_at_0': float(sigmoid(np.array(0.0))),
        'dezero_sigmoid_at_0': float(F.sigmoid(Variable(np.array(0.0))).data),
        'step_function': step_function(np.array([-1.0, 0.0, 1.0])).tolist(),
        'softmax_naive': [str(v) for v in naive],
        'softmax_stable': stable.tolist(),
        'softmax_stable_sum': float(stable.sum()),
        'gradient_checks': checks,
    }
    worst = max(c['backprop_vs_numerical'] for c in checks.values())
    summary = (f'activations: sigmoid(0) = {metrics["sigmoid_at_0"]}; softmax([1010, 1000, 990]) '
               f'naive {np.round(naive, 4).tolist()}, stable {np.round(stable, 6).tolist()}; '
               f'backprop vs numerical derivatives of sigmoid, ReLU, tanh: max difference {worst:.1e}')
    common.finish(args, metrics, summary, [figure])


if __name__ == '__main__':
    main()
