"""Step 59: Time-series data with an RNN (RNN을 활용한 시계열 데이터 처리).

A recurrent neural network keeps a hidden state: ``L.RNN(hidden_size)`` computes
h = tanh(x W_x + b + h_prev W_h) and remembers h until ``reset_state()``, so each output depends on the
whole sequence seen so far. ``SimpleRNN`` (an RNN and a ``Linear`` output layer) learns to predict the
next value of a noisy sine wave (``datasets.SinCurve``, 999 pairs), one value at a time, trained with
``Adam``. Backpropagating through the whole sequence would be costly, so the loop uses truncated BPTT:
every 30 steps (and at the end of the sequence) it backpropagates, then ``loss.unchain_backward()`` cuts
the graph behind the loss, so the next segment starts from the current hidden state without going back
any further. The value of ``loss`` keeps adding up over the whole epoch (unchaining cuts only the
graph), so ``float(loss.data) / count`` is the mean loss of the epoch.

One change from the book's file: the prediction is read with ``y.data.item()``, because ``float()``
of a (1, 1) array is an error in NumPy 2.4 (and deprecated since 1.25). ``DEZERO_STEPS_SMALL=1`` (or ``--small``)
trains for 3 epochs instead of 100.

Prints ``| epoch k | loss x.xxxxxx`` for each epoch (the initial weights are random, so the numbers vary
from run to run; the loss falls to a few thousandths, with occasional spikes); then plots the
predictions for a cosine wave, which the network never saw, against the true curve in a window. Without
a display (a server, or ``MPLBACKEND=Agg``) it saves the figure as ``step59.png`` in the current
directory instead and prints where.
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
    raise SystemExit('step 59 draws its figure with matplotlib, which is not installed: pip install matplotlib')
import numpy as np

import dezero
from dezero import Model
import dezero.functions as F
import dezero.layers as L

from book_data import small    # DEZERO_STEPS_SMALL=1 or --small: a short run (steps/book_data.py)


# Hyperparameters
max_epoch = 3 if small() else 100
hidden_size = 100
bptt_length = 30

train_set = dezero.datasets.SinCurve(train=True)
seqlen = len(train_set)


class SimpleRNN(Model):
    def __init__(self, hidden_size, out_size):
        super().__init__()
        self.rnn = L.RNN(hidden_size)
        self.fc = L.Linear(out_size)

    def reset_state(self):
        self.rnn.reset_state()

    def forward(self, x):
        h = self.rnn(x)
        y = self.fc(h)
        return y


model = SimpleRNN(hidden_size, 1)
optimizer = dezero.optimizers.Adam().setup(model)

# Start training
for epoch in range(max_epoch):
    model.reset_state()
    loss, count = 0, 0

    for x, t in train_set:
        x = x.reshape(1, 1)
        y = model(x)
        loss += F.mean_squared_error(y, t)
        count += 1

        # Adjust the timing of truncated BPTT
        if count % bptt_length == 0 or count == seqlen:
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
    plt.savefig('step59.png')
    print('saved the plot to', os.path.abspath('step59.png'))
else:
    plt.show()
