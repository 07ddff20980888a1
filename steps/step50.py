"""Step 50: DataLoader for mini-batches (미니배치를 뽑아주는 DataLoader).

``DataLoader(dataset, batch_size, shuffle=True)`` is an iterator that makes the mini-batches: each ``for``
loop over it is one epoch, shuffled anew, and yields ``(x, t)`` arrays. ``F.accuracy(y, t)`` gives the
fraction of correct predictions (it is not differentiable). The spiral network of step 48 is now trained
with a DataLoader and, after every epoch, evaluated on a separate test set (``Spiral(train=False)``,
unshuffled, under ``dezero.no_grad()``, which records no graph).

Prints, for each of the 300 epochs, ``epoch: k``, ``train loss: …, accuracy: …`` and
``test loss: …, accuracy: …``: the first epoch gives 1.0944/0.4033 (train) and 1.0468/0.3267 (test), the
last 0.1082/0.9667 and 0.1458/0.9600.
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


max_epoch = 300
batch_size = 30
hidden_size = 10
lr = 1.0

train_set = dezero.datasets.Spiral(train=True)
test_set = dezero.datasets.Spiral(train=False)
train_loader = DataLoader(train_set, batch_size)
test_loader = DataLoader(test_set, batch_size, shuffle=False)

model = MLP((hidden_size, 3))
optimizer = optimizers.SGD(lr).setup(model)

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
