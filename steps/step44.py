"""Step 44: Layers that hold parameters (매개변수를 모아두는 계층).

The network of step 43 again, with its parameters managed by objects. ``Parameter`` is a Variable that
marks a trainable weight; a ``Layer`` collects the Parameters assigned to its attributes, so
``params()`` and ``cleargrads()`` reach all of them. ``L.Linear(out_size)`` owns W and b and creates W
at the first call, when it sees the input's size (W ~ N(0, 1/in_size), float32 as in the book). Two
Linear layers with a sigmoid between them are trained by gradient descent (learning rate 0.2, 10,000
iterations).

Prints the loss every 1000 iterations, 10 lines from ``variable(0.8165178492839196)`` to
``variable(0.07618764131185572)``.
"""
if '__file__' in globals():
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))

import numpy as np

import dezero.functions as F
import dezero.layers as L


# Dataset
np.random.seed(0)
x = np.random.rand(100, 1)
y = np.sin(2 * np.pi * x) + np.random.rand(100, 1)

l1 = L.Linear(10)  # output size
l2 = L.Linear(1)


def predict(x):
    y = l1(x)
    y = F.sigmoid(y)
    y = l2(y)
    return y


lr = 0.2
iters = 10000

for i in range(iters):
    y_pred = predict(x)
    loss = F.mean_squared_error(y, y_pred)

    l1.cleargrads()
    l2.cleargrads()
    loss.backward()

    for l in [l1, l2]:
        for p in l.params():
            p.data -= lr * p.grad.data
    if i % 1000 == 0:
        print(loss)
