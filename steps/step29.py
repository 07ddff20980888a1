"""Step 29: Optimization with Newton's method, by hand (뉴턴 방법으로 푸는 최적화(수동 계산)).

Newton's method uses the second derivative too: x ← x − f′(x) / f″(x), which is gradient descent with a
step size chosen by the curvature. For f(x) = x⁴ − 2x² from x = 2, backpropagation gives f′(x) while
f″(x) = 12x² − 4 is still written by hand (``gx2``); the minimum x = 1 is reached in 7 iterations, where
gradient descent needs more than a hundred. Step 33 computes f″ automatically as well.

As in the book, this stage uses the simple core ``dezero.core_simple`` and calls its ``setup_variable()``
itself; nothing needs editing.

Prints ``0 variable(2.0)``, ``1 variable(1.4545454545454546)``, ... ``6 variable(1.000000000002289)``,
then ``variable(1.0)`` for iterations 7 to 9.
"""
if '__file__' in globals():
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))

import numpy as np

from dezero.core_simple import Variable
from dezero.core_simple import setup_variable

setup_variable()


def f(x):
    y = x ** 4 - 2 * x ** 2
    return y


def gx2(x):
    return 12 * x ** 2 - 4


x = Variable(np.array(2.0))
iters = 10

for i in range(iters):
    print(i, x)

    y = f(x)
    x.cleargrad()
    y.backward()

    x.data -= x.grad / gx2(x.data)
