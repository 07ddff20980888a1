"""Higher-order derivatives of tanh (book 3, step 35), and the graph that computes them.

Each ``backward(create_graph=True)`` records the computation of the gradient as a new graph,
so the gradient can itself be differentiated: repeating it gives the 2nd, 3rd, ... derivative.
The graph of the --order-th derivative (default 4, labelled gx4, as in the book's tanh.py) is
drawn with Graphviz; each order makes it several times larger. Every derivative is checked
against its closed form: the n-th derivative of tanh is a polynomial in t = tanh(x), obtained
by repeatedly applying d/dx P(t) = P'(t) (1 - t^2). A second figure plots tanh and its first
derivatives over [-3, 3]. Without Graphviz the graph is saved as DOT text and the rest still
runs. --quick changes nothing (it takes well under a second).

    python examples/tanh.py --order 4 --out out/tanh
"""
import os
import sys

if __package__ in (None, ''):   # run as a script: import `examples` and `dezero` from this checkout
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir)))
from examples import common  # noqa: E402

import numpy as np  # noqa: E402
from numpy.polynomial import polynomial as P  # noqa: E402

import dezero.functions as F  # noqa: E402
from dezero import Variable  # noqa: E402
from dezero.utils import GraphvizNotFoundError, plot_dot_graph  # noqa: E402


def nth_derivative(x, order):
    """The ``order``-th derivative of tanh at ``x`` (a Variable), still attached to its graph."""
    y = F.tanh(x)
    y.name = 'y'
    y.backward(create_graph=True)
    for _ in range(order - 1):
        gx = x.grad
        x.cleargrad()
        gx.backward(create_graph=True)
    return x.grad


def closed_form(x, order):
    """The ``order``-th derivative of tanh from its polynomial in t = tanh(x)."""
    poly = np.array([0.0, 1.0])                  # tanh(x) = t
    one_minus_t2 = np.array([1.0, 0.0, -1.0])    # dt/dx = 1 - t^2
    for _ in range(order):
        poly = P.polymul(P.polyder(poly), one_minus_t2)
    return P.polyval(np.tanh(x), poly)


def graph_size(v):
    """(functions, variables) in the graph that produced ``v``."""
    funcs, seen, variables = [v.creator], {v.creator}, {id(v)}
    while funcs:
        f = funcs.pop()
        for x in f.inputs:
            variables.add(id(x))
            if x.creator is not None and x.creator not in seen:
                seen.add(x.creator)
                funcs.append(x.creator)
    return len(seen), len(variables)


def main(argv=None):
    parser = common.make_parser(__doc__, 'tanh', needs=('matplotlib',))
    parser.add_argument('--order', type=int, default=4, help='which derivative to draw (default 4)')
    args = common.parse(parser, argv)
    if args.order < 1:
        parser.error('--order must be at least 1')

    x = Variable(np.array(1.0), name='x')
    gx = nth_derivative(x, args.order)
    gx.name = f'gx{args.order}'
    n_funcs, n_vars = graph_size(gx)
    figures, graph_error = [], None
    try:
        plot_dot_graph(gx, verbose=False, to_file=os.path.join(args.out, 'tanh.png'))
        figures.append('tanh.png')
    except GraphvizNotFoundError as e:
        graph_error = str(e)
        print(graph_error)

    xs = np.linspace(-3, 3, 201)
    curves, errors = {}, {}
    for order in range(0, 5):
        v = Variable(xs.copy())
        values = F.tanh(v).data if order == 0 else nth_derivative(v, order).data
        curves[order] = values
        errors[order] = float(np.max(np.abs(values - closed_form(xs, order))))
    fig, ax = common.new_figure(figsize=(6, 4))
    for order, values in curves.items():
        ax.plot(xs, values, label='tanh' if order == 0 else f'derivative {order}')
    ax.set(xlabel='x', title='tanh and its derivatives, by repeated backprop')
    ax.legend()
    ax.grid(alpha=0.3)
    figures.append(common.save_figure(fig, args.out, 'tanh_derivatives.png'))

    value, expected = float(gx.data), float(closed_form(1.0, args.order))
    metrics = {'order': args.order, 'x': 1.0, 'derivative': value, 'closed_form': expected,
               'abs_error': abs(value - expected), 'graph_functions': n_funcs,
               'graph_variables': n_vars, 'graph_image': 'tanh.png' if graph_error is None else None,
               'graph_error': graph_error, 'curve_max_errors': errors}
    drawn = (f'graph drawn to {os.path.join(args.out, "tanh.png")}' if graph_error is None
             else 'graph not drawn (Graphviz missing)')
    summary = (f'tanh: derivative {args.order} at x = 1 is {value:.6f} (closed form {expected:.6f}); '
               f'its graph has {n_funcs} functions and {n_vars} variables; {drawn}')
    common.finish(args, metrics, summary, figures)


if __name__ == '__main__':
    main()
