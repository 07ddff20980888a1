"""Step 36: Uses beyond higher-order derivatives (고차 미분 이외의 용도).

Double backprop is not only for higher derivatives: a gradient computed with ``create_graph=True`` can be
used inside a new expression that is differentiated again. With y = x² and z = (dy/dx)³ + y, the script
computes dz/dx = 3(2x)²·2 + 2x, which is 100 at x = 2. The same mechanism serves gradient penalties (as in
WGAN-GP) and Hessian-vector products.

Prints ``variable(100.0)``.
"""
if '__file__' in globals():
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))

import numpy as np

from dezero import Variable


x = Variable(np.array(2.0))
y = x ** 2
y.backward(create_graph=True)
gx = x.grad
x.cleargrad()

z = gx ** 3 + y
z.backward()
print(x.grad)
