"""Step 53: Saving and loading models (모델 저장 및 읽어오기).

A trained model is only useful if it can be kept. ``Layer.save_weights(path)`` writes every parameter
into one ``.npz`` file, keyed by its path in the model (``l0/W``, ``l1/b``; flattened by
``_flatten_params``), and ``load_weights(path)`` reads them back. The stage trains step 51's network for 3
epochs and saves it as ``my_mlp.npz`` in the current directory; run it again and it first loads that
file, so training continues where it stopped and the loss keeps falling.

Needs MNIST, like step 51 (downloaded into ``~/.dezero`` or ``$DEZERO_HOME``; ``DEZERO_STEPS_SMALL=1``
or ``--small`` trains on 1,000 test images).

Prints ``epoch: k, loss: …`` for each of the 3 epochs (random shuffles, so the digits vary); writes
``my_mlp.npz``.
"""
if '__file__' in globals():
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))

import os

from dezero import optimizers
from dezero import DataLoader
import dezero.functions as F
from dezero.models import MLP

from book_data import mnist    # dezero.datasets.MNIST, from the download folder (steps/book_data.py)


max_epoch = 3
batch_size = 100

train_set = mnist(train=True)
train_loader = DataLoader(train_set, batch_size)
model = MLP((1000, 10))
optimizer = optimizers.SGD().setup(model)

if os.path.exists('my_mlp.npz'):
    model.load_weights('my_mlp.npz')

for epoch in range(max_epoch):
    sum_loss = 0

    for x, t in train_loader:
        y = model(x)
        loss = F.softmax_cross_entropy(y, t)
        model.cleargrads()
        loss.backward()
        optimizer.update()
        sum_loss += float(loss.data) * len(t)

    print('epoch: {}, loss: {:.4f}'.format(
        epoch + 1, sum_loss / len(train_set)))

model.save_weights('my_mlp.npz')
