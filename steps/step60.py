"""Step 60: LSTM and data loaders (LSTM과 데이터 로더).

Two improvements over step 59. ``L.LSTM(hidden_size)`` replaces the plain RNN: besides the hidden state
h it carries a memory cell c, updated through forget, input and output gates, which lets gradients flow
over long sequences. ``SeqDataLoader(train_set, batch_size=30)`` makes mini-batches for time series: it
cuts the sequence into 30 parallel streams and each batch advances every stream by one step, so the
order in time is kept while 30 examples are processed at once. Truncated BPTT works as in step 59.

The book backpropagates when ``count == seqlen``, the length of the data (999), but a ``SeqDataLoader``
yields only ceil(999 / 30) = 34 batches per epoch, so the condition never held and the last 4 batches of
every epoch were never learned from. This file uses ``count == len(dataloader)``, so every batch is
backpropagated. The prediction is read with ``y.data.item()``, because ``float()`` of a (1, 1) array is
an error in NumPy 2.4. ``DEZERO_STEPS_SMALL=1`` (or ``--small``) trains for 3 epochs instead of 100.

Prints ``| epoch k | loss x.xxxxxx`` for each epoch, the mean loss of the epoch (random initial weights,
so the numbers vary from run to run; the loss falls smoothly to below 0.01); then plots the predictions
for a cosine wave against the true curve in a window. Without a display (a server, or
``MPLBACKEND=Agg``) it saves the figure as ``step60.png`` in the current directory instead and prints
where.
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
    raise SystemExit('step 60 draws its figure with matplotlib, which is not installed: pip install matplotlib')
import numpy as np

import dezero
from dezero import Model
from dezero import SeqDataLoader
import dezero.functions as F
import dezero.layers as L

from book_data import small    # DEZERO_STEPS_SMALL=1 or --small: a short run (steps/book_data.py)


max_epoch = 3 if small() else 100
batch_size = 30
hidden_size = 100
bptt_length = 30

train_set = dezero.datasets.SinCurve(train=True)
dataloader = SeqDataLoader(train_set, batch_size=batch_size)


class BetterRNN(Model):
    def __init__(self, hidden_size, out_size):
        super().__init__()
        self.rnn = L.LSTM(hidden_size)
        self.fc = L.Linear(out_size)

    def reset_state(self):
        self.rnn.reset_state()

    def forward(self, x):
        y = self.rnn(x)
        y = self.fc(y)
        return y


model = BetterRNN(hidden_size, 1)
optimizer = dezero.optimizers.Adam().setup(model)

for epoch in range(max_epoch):
    model.reset_state()
    loss, count = 0, 0

    for x, t in dataloader:
        y = model(x)
        loss += F.mean_squared_error(y, t)
        count += 1

        if count % bptt_length == 0 or count == len(dataloader):
            model.cleargrads()
            loss.backward()
            loss.unchain_backward()
            optimizer.update()
    avg_loss = float(loss.data) / count
    print('| epoch %d | loss %f' % (epoch + 1, avg_loss))

# Plot
xs = np.cos(np.linspace(0, 4 * np.pi, 1000))
model.reset_state()
pred_list = []

with dezero.no_grad():
    for x in xs:
        x = np.array(x).reshape(1, 1)
        y = model(x)
        pred_list.append(y.data.item())

plt.plot(np.arange(len(xs)), xs, label='y=cos(x)')
plt.plot(np.arange(len(xs)), pred_list, label='predict')
plt.xlabel('x')
plt.ylabel('y')
plt.legend()

if matplotlib.get_backend().lower() == 'agg':   # no display to show a window on
    plt.savefig('step60.png')
    print('saved the plot to', os.path.abspath('step60.png'))
else:
    plt.show()
