"""Step 51: Training on MNIST (MNIST 학습).

A real dataset: MNIST, 70,000 handwritten digits of 28×28 pixels (60,000 to train on, 10,000 to test).
``datasets.MNIST`` reads the files (flattened to 784 float32 values in [0, 1] by its default transform)
and the loop of step 50 trains ``MLP((1000, 10))`` (sigmoid) with ``SGD()`` (learning rate 0.01) in
mini-batches of 100 for 5 epochs. As the book suggests, ``MLP((1000, 1000, 10), activation=F.relu)``
with ``optimizers.Adam()`` learns much faster.

The files are downloaded into ``~/.dezero`` (or ``$DEZERO_HOME``) on the first run, about 11 MB; without
the network the stage says in one line what to download and where to put it (``book_data.py``).
``DEZERO_STEPS_SMALL=1`` (or ``--small``) trains on 1,000 test images for a quick check.

Prints ``epoch: k``, ``train loss: …, accuracy: …`` and ``test loss: …, accuracy: …`` for each of the 5
epochs; the training data is shuffled at random, so the digits vary from run to run (the train loss falls
from about 1.91 to about 0.63, as in the book's notebook).
"""
if '__file__' in globals():
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))

import dezero
from dezero import optimizers
from dezero import DataLoader
import dezero.functions as F
from dezero.models import MLP

from book_data import mnist    # dezero.datasets.MNIST, from the download folder (steps/book_data.py)


max_epoch = 5
batch_size = 100
hidden_size = 1000

train_set = mnist(train=True)
test_set = mnist(train=False)
train_loader = DataLoader(train_set, batch_size)
test_loader = DataLoader(test_set, batch_size, shuffle=False)

model = MLP((hidden_size, 10))
optimizer = optimizers.SGD().setup(model)
# model = MLP((hidden_size, hidden_size, 10), activation=F.relu)
# optimizer = optimizers.Adam().setup(model)

for epoch in range(max_epoch):
    sum_loss, sum_acc = 0, 0

    for x, t in train_loader:
        y = model(x)
        loss = F.softmax_cross_entropy(y, t)
        acc = F.accuracy(y, t)
        model.cleargrads()
        loss.backward()
        optimizer.update()

        sum_loss += float(loss.data) * len(t)
        sum_acc += float(acc.data) * len(t)

    print('epoch: {}'.format(epoch + 1))
    print('train loss: {:.4f}, accuracy: {:.4f}'.format(
        sum_loss / len(train_set), sum_acc / len(train_set)))

    sum_loss, sum_acc = 0, 0
    with dezero.no_grad():
        for x, t in test_loader:
            y = model(x)
            loss = F.softmax_cross_entropy(y, t)
            acc = F.accuracy(y, t)
            sum_loss += float(loss.data) * len(t)
            sum_acc += float(acc.data) * len(t)

    print('test loss: {:.4f}, accuracy: {:.4f}'.format(
        sum_loss / len(test_set), sum_acc / len(test_set)))
