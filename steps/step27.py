"""Step 27: Differentiating a Taylor series (테일러 급수 미분).

Two ways to get sin and its derivative. ``Sin`` is a Function with the exact forward (np.sin) and backward
(cos). ``my_sin`` instead adds up the Maclaurin series sin x = Σ (−1)^i x^(2i+1) / (2i+1)! with ordinary
operators until a term falls below ``threshold``; backpropagation differentiates the whole loop. At π/4 both
agree to about 5 digits, and the graph drawn for ``my_sin`` shows how big such a graph gets (pass a smaller
threshold, e.g. ``my_sin(x, threshold=1e-150)``, for a longer series and a larger graph).

Prints the value and gradient of each (``0.7071067811865475`` / ``variable(0.7071067811865476)`` and
``0.7071064695751781`` / ``variable(0.7071032148228457)``); writes ``my_sin.png`` in the current directory
(without Graphviz, a one-line message instead).
"""
if '__file__' in globals():
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))

import math

import numpy as np

from dezero import Variable, Function
from dezero.utils import plot_dot_graph, GraphvizNotFoundError


class Sin(Function):
    def forward(self, x):
        y = np.sin(x)
        return y

    def backward(self, gy):
        x = self.inputs[0].data
        gx = gy * np.cos(x)
        return gx


def sin(x):
    return Sin()(x)


x = Variable(np.array(np.pi / 4))
y = sin(x)
y.backward()
print('--- original sin ---')
print(y.data)
print(x.grad)


def my_sin(x, threshold=0.0001):
    y = 0
    for i in range(100000):
        c = (-1) ** i / math.factorial(2 * i + 1)
        t = c * x ** (2 * i + 1)
        y = y + t
        if abs(t.data) < threshold:
            break
    return y


x = Variable(np.array(np.pi / 4))
y = my_sin(x)
y.backward()
print('--- approximate sin ---')
print(y.data)
print(x.grad)

x.name = 'x'
y.name = 'y'
try:
    plot_dot_graph(y, verbose=False, to_file='my_sin.png')
except GraphvizNotFoundError as e:
    print(e)
