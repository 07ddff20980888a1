"""Step 48: Multi-class classification (다중 클래스 분류).

The first classification task: 300 points of three interleaved spirals (``datasets.get_spiral``), to be
told apart by ``MLP((10, 3))`` trained with ``softmax_cross_entropy`` and ``SGD(lr=1.0)``. The training
loop is written by hand: every epoch shuffles the indices with ``np.random.permutation`` and walks through
them in mini-batches of 30, and the average loss of the epoch is printed. ``get_spiral`` seeds NumPy's
random generator, so the weights and the shuffles, and the printed losses, are the book's.

Prints 300 lines, from ``epoch 1, loss 1.13`` to ``epoch 300, loss 0.13``; then plots the decision regions
the network learned, with the data points, in a window. Without a display (a server, or
``MPLBACKEND=Agg``) it saves the figure as ``step48.png`` in the current directory instead and prints
where. The book's grid step is 0.001, about 5 million points; this file uses 0.005 (about 200,000 points),
which draws the same picture in a fraction of the time and memory.
"""
if '__file__' in globals():
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))

import math
import os

try:
    import matplotlib
    import matplotlib.pyplot as plt
except ImportError:     # one line instead of a traceback
    raise SystemExit('step 48 draws its figure with matplotlib, which is not installed: pip install matplotlib')
import numpy as np

import dezero
from dezero import optimizers
import dezero.functions as F
from dezero.models import MLP


# Hyperparameters
max_epoch = 300
batch_size = 30
hidden_size = 10
lr = 1.0

x, t = dezero.datasets.get_spiral(train=True)
model = MLP((hidden_size, 3))
optimizer = optimizers.SGD(lr).setup(model)

data_size = len(x)
max_iter = math.ceil(data_size / batch_size)

for epoch in range(max_epoch):
    # Shuffle the indices of the data
    index = np.random.permutation(data_size)
    sum_loss = 0

    for i in range(max_iter):
        batch_index = index[i * batch_size:(i + 1) * batch_size]
        batch_x = x[batch_index]
        batch_t = t[batch_index]

        y = model(batch_x)
        loss = F.softmax_cross_entropy(y, batch_t)
        model.cleargrads()
        loss.backward()
        optimizer.update()

        sum_loss += float(loss.data) * len(batch_t)

    # Print the loss every epoch
    avg_loss = sum_loss / data_size
    print('epoch %d, loss %.2f' % (epoch + 1, avg_loss))


# Plot the regions of the classes the model predicts
h = 0.005
x_min, x_max = x[:, 0].min() - .1, x[:, 0].max() + .1
y_min, y_max = x[:, 1].min() - .1, x[:, 1].max() + .1
xx, yy = np.meshgrid(np.arange(x_min, x_max, h), np.arange(y_min, y_max, h))
X = np.c_[xx.ravel(), yy.ravel()]

with dezero.no_grad():
    score = model(X)
predict_cls = np.argmax(score.data, axis=1)
Z = predict_cls.reshape(xx.shape)
plt.contourf(xx, yy, Z)

# Plot the data points of the dataset
markers = ['o', 'x', '^']
colors = ['orange', 'blue', 'green']
for c in range(3):
    plt.scatter(x[t == c, 0], x[t == c, 1], s=40, marker=markers[c], c=colors[c])

if matplotlib.get_backend().lower() == 'agg':   # no display to show a window on
    plt.savefig('step48.png')
    print('saved the plot to', os.path.abspath('step48.png'))
else:
    plt.show()
