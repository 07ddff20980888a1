"""Step 28: Function optimization (함수 최적화).

Uses gradients to find a minimum: gradient descent on the Rosenbrock function
y = 100(x1 − x0²)² + (x0 − 1)², starting at (0, 2) with learning rate 0.001 for 1000 iterations. Each
iteration clears the gradients, backpropagates, and moves the variables against the gradient. The minimum
is at (1, 1); the narrow curved valley makes progress slow.

As in the book, this stage uses the simple core ``dezero.core_simple`` (gradients are plain arrays, so
``x0.data -= lr * x0.grad`` works) and calls its ``setup_variable()`` itself; nothing needs editing.

Prints 1000 lines ``variable(x0) variable(x1)``, from ``variable(0.0) variable(2.0)`` to
``variable(0.6834917840420289) variable(0.46565059996514135)``.
"""
if '__file__' in globals():
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))

import numpy as np

from dezero.core_simple import Variable
from dezero.core_simple import setup_variable

setup_variable()


def rosenbrock(x0, x1):
    y = 100 * (x1 - x0 ** 2) ** 2 + (x0 - 1) ** 2
    return y


x0 = Variable(np.array(0.0))
x1 = Variable(np.array(2.0))
lr = 0.001
iters = 1000

for i in range(iters):
    print(x0, x1)

    y = rosenbrock(x0, x1)

    x0.cleargrad()
    x1.cleargrad()
    y.backward()

    x0.data -= lr * x0.grad
    x1.data -= lr * x1.grad
