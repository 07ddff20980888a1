"""Step 33: Optimization with Newton's method, automatic (뉴턴 방법으로 푸는 최적화(자동 계산)).

Step 29 again, but the second derivative is no longer written by hand: ``y.backward(create_graph=True)``
keeps the graph of f′(x) in ``x.grad``, and backpropagating through that gradient gives f″(x) (double
backprop). Note the ``cleargrad()`` between the two passes, since gradients accumulate.

Prints the same as step 29: ``0 variable(2.0)``, ... ``6 variable(1.000000000002289)``, then
``variable(1.0)`` for iterations 7 to 9.
"""
if '__file__' in globals():
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))

import numpy as np

from dezero import Variable


def f(x):
    y = x ** 4 - 2 * x ** 2
    return y


x = Variable(np.array(2.0))
iters = 10

for i in range(iters):
    print(i, x)

    y = f(x)
    x.cleargrad()
    y.backward(create_graph=True)

    gx = x.grad
    x.cleargrad()
    gx.backward()
    gx2 = x.grad

    x.data -= gx.data / gx2.data
