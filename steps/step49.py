"""Step 49: Dataset class and preprocessing (Dataset 클래스와 전처리).

Data gets its own abstraction: a ``Dataset`` gives one example with ``dataset[i]`` (an ``(x, t)`` pair)
and its size with ``len(dataset)``, so a training loop no longer cares whether the data sit in one big
array or are loaded one by one. Subclasses fill ``data`` and ``label`` in ``prepare()``;
``datasets.Spiral`` is the spiral data of step 48, and a ``transform`` (for example
``transforms.Normalize``) can preprocess each example as it is read. The loop of step 48 now builds its
mini-batches from ``train_set[i]``; the random numbers are drawn in the same order, so the run is the
same.

Prints the same 300 lines as step 48, from ``epoch 1, loss 1.13`` to ``epoch 300, loss 0.13``; no plot.
"""
if '__file__' in globals():
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))

import math

import numpy as np

import dezero
from dezero import optimizers
import dezero.functions as F
from dezero.models import MLP


max_epoch = 300
batch_size = 30
hidden_size = 10
lr = 1.0

train_set = dezero.datasets.Spiral(train=True)
model = MLP((hidden_size, 3))
optimizer = optimizers.SGD(lr).setup(model)

data_size = len(train_set)
max_iter = math.ceil(data_size / batch_size)

for epoch in range(max_epoch):
    # Shuffle the indices of the data
    index = np.random.permutation(data_size)
    sum_loss = 0

    for i in range(max_iter):
        # Create a mini-batch
        batch_index = index[i * batch_size:(i + 1) * batch_size]
        batch = [train_set[i] for i in batch_index]
        batch_x = np.array([example[0] for example in batch])
        batch_t = np.array([example[1] for example in batch])

        y = model(batch_x)
        loss = F.softmax_cross_entropy(y, batch_t)
        model.cleargrads()
        loss.backward()
        optimizer.update()

        sum_loss += float(loss.data) * len(batch_t)

    # Print the loss every epoch
    avg_loss = sum_loss / data_size
    print('epoch %d, loss %.2f' % (epoch + 1, avg_loss))
