"""Step 46: Updating parameters with Optimizer (Optimizer로 수행하는 매개변수 갱신).

The update rule moves out of the training loop into an ``Optimizer``: ``optimizers.SGD(lr).setup(model)``
is bound to a model, and ``optimizer.update()`` updates every parameter that has a gradient (other
rules, such as ``MomentumSGD``, ``AdaGrad`` and ``Adam``, are drop-in replacements). The network itself
becomes ``models.MLP((10, 1))``, a multi-layer perceptron given its layers' output sizes, with a sigmoid
between them. The computation is that of steps 44 and 45.

Prints the same 10 losses as step 44, from ``variable(0.8165178492839196)`` to
``variable(0.07618764131185572)``.
"""
if '__file__' in globals():
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))

import numpy as np

from dezero import optimizers
import dezero.functions as F
from dezero.models import MLP


np.random.seed(0)
x = np.random.rand(100, 1)
y = np.sin(2 * np.pi * x) + np.random.rand(100, 1)

lr = 0.2
max_iter = 10000
hidden_size = 10

model = MLP((hidden_size, 1))
optimizer = optimizers.SGD(lr).setup(model)
# or optimizers.MomentumSGD(lr)

for i in range(max_iter):
    y_pred = model(x)
    loss = F.mean_squared_error(y, y_pred)

    model.cleargrads()
    loss.backward()

    optimizer.update()
    if i % 1000 == 0:
        print(loss)
