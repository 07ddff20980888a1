"""Step 35: Computational graph of higher-order derivatives (고차 미분 계산 그래프).

Draws the graph that double backprop builds: y = tanh(x) (``F.tanh``, whose derivative is 1 − y²) is
differentiated twice with ``create_graph=True``, and the graph of the second derivative ``gx2`` is written
with ``plot_dot_graph``. Raising ``iters`` gives higher derivatives and quickly much larger graphs.

Prints nothing; writes ``tanh.png`` (the graph of gx2) in the current directory. Without Graphviz it prints
a one-line message saying how to install it.
"""
if '__file__' in globals():
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))

import numpy as np

from dezero import Variable
from dezero.utils import plot_dot_graph, GraphvizNotFoundError
import dezero.functions as F


x = Variable(np.array(1.0))
y = F.tanh(x)
x.name = 'x'
y.name = 'y'
y.backward(create_graph=True)

iters = 1

for i in range(iters):
    gx = x.grad
    x.cleargrad()
    gx.backward(create_graph=True)

gx = x.grad
gx.name = 'gx' + str(iters + 1)
try:
    plot_dot_graph(gx, verbose=False, to_file='tanh.png')
except GraphvizNotFoundError as e:
    print(e)
