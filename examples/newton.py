"""Newton's method by double backprop (book step 33), with the graph rendered to an image.

Minimises f(x) = x^4 - 2x^2 from x = 2: the first derivative comes from
``backward(create_graph=True)``, the second from differentiating that gradient.
Reaches the minimum x = 1 in 7 iterations, then draws the graph of f'(x).

    python examples/newton.py --out out
"""
import argparse
import os
import sys

if __package__ in (None, ''):   # run as a script: import `dezero` from this checkout
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir)))

import numpy as np  # noqa: E402

import dezero  # noqa: E402
from dezero import Variable  # noqa: E402
from dezero.utils import plot_dot_graph, GraphvizNotFoundError  # noqa: E402


def f(x):
    return x ** 4 - 2 * x ** 2


def newton(x, iters=10):
    for i in range(iters):
        print(i, x)
        y = f(x)
        x.cleargrad()
        y.backward(create_graph=True)
        gx = x.grad
        x.cleargrad()
        gx.backward()
        gx2 = x.grad
        x.data = x.data - gx.data / gx2.data
    return x


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='.', help='folder for the graph image')
    args = parser.parse_args()

    x = newton(Variable(np.array(2.0), name='x'))
    print(f'minimum at x = {float(x.data)}')

    x = Variable(np.array(2.0), name='x')
    y = f(x)
    y.backward(create_graph=True)
    gx = x.grad
    gx.name = "f'(x)"
    path = os.path.join(args.out, 'newton_graph.png')
    try:
        plot_dot_graph(gx, verbose=False, to_file=path)
        print(f'computation graph of f\'(x) written to {path}')
    except GraphvizNotFoundError as e:
        print(e)
    print(f'dezero {dezero.__version__}')


if __name__ == '__main__':
    main()
