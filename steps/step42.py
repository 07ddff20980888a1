"""Step 42: Linear regression (선형 회귀).

The first machine-learning problem: fit y = Wx + b to 100 noisy points of y = 5 + 2x + U(0, 1) (seed 0).
The prediction is ``F.matmul(x, W) + b``, the loss the mean squared error written with ``F.sum`` (divided
by the number of points), and gradient descent with learning rate 0.1 updates ``W.data`` and ``b.data``
directly for 100 iterations. W approaches 2 and b approaches 5.5 (5 plus the noise's mean of 0.5).

Prints 100 lines ``W b loss``, from ``variable([[0.64433458]]) variable([1.29473389])
variable(42.296340129442335)`` to ``variable([[2.11807369]]) variable([5.46608905])
variable(0.07908606512411756)``; then plots the points and the fitted line in a window. Without a display
(a server, or ``MPLBACKEND=Agg``) it saves the figure as ``step42.png`` in the current directory instead
and prints where.
"""
if '__file__' in globals():
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))

import os

try:
    import matplotlib
    import matplotlib.pyplot as plt
except ImportError:     # one line instead of a traceback
    raise SystemExit('step 42 draws its figure with matplotlib, which is not installed: pip install matplotlib')
import numpy as np

from dezero import Variable
import dezero.functions as F


# Toy dataset
np.random.seed(0)
x = np.random.rand(100, 1)
y = 5 + 2 * x + np.random.rand(100, 1)
x, y = Variable(x), Variable(y)

W = Variable(np.zeros((1, 1)))
b = Variable(np.zeros(1))


def predict(x):
    y = F.matmul(x, W) + b
    return y


def mean_squared_error(x0, x1):
    diff = x0 - x1
    return F.sum(diff ** 2) / len(diff)


lr = 0.1
iters = 100

for i in range(iters):
    y_pred = predict(x)
    loss = mean_squared_error(y, y_pred)

    W.cleargrad()
    b.cleargrad()
    loss.backward()

    # Update the .data of the parameters (the update itself needs no graph)
    W.data -= lr * W.grad.data
    b.data -= lr * b.grad.data
    print(W, b, loss)


# Plot
plt.scatter(x.data, y.data, s=10)
plt.xlabel('x')
plt.ylabel('y')
y_pred = predict(x)
plt.plot(x.data, y_pred.data, color='r')

if matplotlib.get_backend().lower() == 'agg':   # no display to show a window on
    plt.savefig('step42.png')
    print('saved the plot to', os.path.abspath('step42.png'))
else:
    plt.show()
