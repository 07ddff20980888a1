"""Step 26: Visualizing computational graphs (2) (계산 그래프 시각화(2)).

``dezero.utils.get_dot_graph`` walks the graph behind a Variable and writes it in the DOT language, and
``plot_dot_graph`` hands that text to Graphviz's ``dot`` to draw an image. Here it draws the graph of the
Goldstein-Price function of step 24, with the variables named x, y and z.

Prints nothing; writes ``goldstein.png`` in the current directory. Without Graphviz it prints a one-line
message saying how to install it (the DOT text is saved as ``goldstein.dot``).
"""
if '__file__' in globals():
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))

import numpy as np

from dezero import Variable
from dezero.utils import plot_dot_graph, GraphvizNotFoundError


def goldstein(x, y):
    z = (1 + (x + y + 1)**2 * (19 - 14*x + 3*x**2 - 14*y + 6*x*y + 3*y**2)) * \
        (30 + (2*x - 3*y)**2 * (18 - 32*x + 12*x**2 + 48*y - 36*x*y + 27*y**2))
    return z


x = Variable(np.array(1.0))
y = Variable(np.array(1.0))
z = goldstein(x, y)
z.backward()

x.name = 'x'
y.name = 'y'
z.name = 'z'
try:
    plot_dot_graph(z, verbose=False, to_file='goldstein.png')
except GraphvizNotFoundError as e:
    print(e)
