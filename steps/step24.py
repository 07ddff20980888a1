"""Step 24: Differentiating complex functions (복잡한 함수의 미분).

Uses the package on three classic optimization benchmarks, written exactly like the mathematical
formulas thanks to operator overloading: the sphere x² + y², the Matyas function
0.26(x² + y²) − 0.48xy, and the Goldstein-Price function. Backpropagation differentiates each one with no
extra code; the script differentiates Goldstein-Price at (1, 1).

Prints ``variable(-5376.0) variable(8064.0)`` (the book's simple core prints ``-5376.0 8064.0``).
"""
if '__file__' in globals():
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))

import numpy as np

from dezero import Variable


def sphere(x, y):
    z = x ** 2 + y ** 2
    return z


def matyas(x, y):
    z = 0.26 * (x ** 2 + y ** 2) - 0.48 * x * y
    return z


def goldstein(x, y):
    z = (1 + (x + y + 1)**2 * (19 - 14*x + 3*x**2 - 14*y + 6*x*y + 3*y**2)) * \
        (30 + (2*x - 3*y)**2 * (18 - 32*x + 12*x**2 + 48*y - 36*x*y + 27*y**2))
    return z


x = Variable(np.array(1.0))
y = Variable(np.array(1.0))
z = goldstein(x, y)
z.backward()
print(x.grad, y.grad)
