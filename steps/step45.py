"""Step 45: Layers that hold layers (계층을 모아두는 계층).

A ``Layer`` can hold other layers as attributes, and ``params()`` walks into them, so a whole network
becomes one object. ``Model`` is a Layer with ``plot()``, which draws the network's computation graph.
The two-layer network of step 44 becomes a ``TwoLayerNet(Model)`` class: ``__init__`` creates the
layers, ``forward`` connects them, and the training loop calls ``model(x)``, ``model.cleargrads()`` and
``model.params()``. The random numbers are drawn in the same order, so the run is that of step 44.

Prints the same 10 losses as step 44, from ``variable(0.8165178492839196)`` to
``variable(0.07618764131185572)``.
"""
if '__file__' in globals():
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))

import numpy as np

from dezero import Model
import dezero.functions as F
import dezero.layers as L


# Dataset
np.random.seed(0)
x = np.random.rand(100, 1)
y = np.sin(2 * np.pi * x) + np.random.rand(100, 1)

# Hyperparameters
lr = 0.2
max_iter = 10000
hidden_size = 10


# Model definition
class TwoLayerNet(Model):
    def __init__(self, hidden_size, out_size):
        super().__init__()
        self.l1 = L.Linear(hidden_size)
        self.l2 = L.Linear(out_size)

    def forward(self, x):
        y = F.sigmoid(self.l1(x))
        y = self.l2(y)
        return y


model = TwoLayerNet(hidden_size, 1)

for i in range(max_iter):
    y_pred = model(x)
    loss = F.mean_squared_error(y, y_pred)

    model.cleargrads()
    loss.backward()

    for p in model.params():
        p.data -= lr * p.grad.data
    if i % 1000 == 0:
        print(loss)
