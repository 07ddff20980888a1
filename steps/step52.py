"""Step 52: GPU support (GPU 지원).

DeZero runs on an NVIDIA GPU through CuPy, a NumPy-compatible array library: ``dezero.cuda`` picks NumPy
or CuPy according to the arrays it is given (``get_array_module``), ``model.to_gpu()`` moves the
parameters to the GPU and ``DataLoader.to_gpu()`` makes it yield CuPy batches, and the same Functions then
run there. When CuPy is installed (``dezero.cuda.gpu_enable``) this stage trains step 51's network on the
GPU; otherwise on the CPU, with the same code. Each epoch is timed, to compare the two.

Needs MNIST, like step 51 (downloaded into ``~/.dezero`` or ``$DEZERO_HOME``; ``DEZERO_STEPS_SMALL=1``
or ``--small`` trains on 1,000 test images).

Prints ``epoch: k, loss: …, time: …[sec]`` for each of the 5 epochs (random shuffles, so the digits vary;
the loss falls from about 1.9 to about 0.63).
"""
if '__file__' in globals():
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))

import time

import dezero
from dezero import optimizers
from dezero import DataLoader
import dezero.functions as F
from dezero.models import MLP

from book_data import mnist    # dezero.datasets.MNIST, from the download folder (steps/book_data.py)


max_epoch = 5
batch_size = 100

train_set = mnist(train=True)
train_loader = DataLoader(train_set, batch_size)
model = MLP((1000, 10))
optimizer = optimizers.SGD().setup(model)

# GPU mode
if dezero.cuda.gpu_enable:
    train_loader.to_gpu()
    model.to_gpu()

for epoch in range(max_epoch):
    start = time.time()
    sum_loss = 0

    for x, t in train_loader:
        y = model(x)
        loss = F.softmax_cross_entropy(y, t)
        model.cleargrads()
        loss.backward()
        optimizer.update()
        sum_loss += float(loss.data) * len(t)

    elapsed_time = time.time() - start
    print('epoch: {}, loss: {:.4f}, time: {:.4f}[sec]'.format(
        epoch + 1, sum_loss / len(train_set), elapsed_time))
