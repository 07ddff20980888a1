"""Step 43: Neural networks (신경망).

A two-layer neural network written by hand fits the nonlinear data y = sin(2πx) + U(0, 1) (100 points,
seed 0). ``F.linear`` computes xW + b, ``F.sigmoid`` is the activation between the layers, and
``F.mean_squared_error`` is the loss. The weights W1 (1×10) and W2 (10×1) start as 0.01 × N(0, 1), the
biases at zero, and plain gradient descent (learning rate 0.2) runs for 10,000 iterations.

Prints the loss every 1000 iterations, 10 lines from ``variable(0.8473695850105871)`` to
``variable(0.07722132399559317)``; then plots the data and the network's curve in a window. Without a
display (a server, or ``MPLBACKEND=Agg``) it saves the figure as ``step43.png`` in the current directory
instead and prints where.
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
    raise SystemExit('step 43 draws its figure with matplotlib, which is not installed: pip install matplotlib')
import numpy as np

from dezero import Variable
import dezero.functions as F


# Dataset
np.random.seed(0)
x = np.random.rand(100, 1)
y = np.sin(2 * np.pi * x) + np.random.rand(100, 1)

# Initialise the weights
I, H, O = 1, 10, 1
W1 = Variable(0.01 * np.random.randn(I, H))
b1 = Variable(np.zeros(H))
W2 = Variable(0.01 * np.random.randn(H, O))
b2 = Variable(np.zeros(O))


# Prediction of the neural network
def predict(x):
    y = F.linear(x, W1, b1)
    y = F.sigmoid(y)
    y = F.linear(y, W2, b2)
    return y


lr = 0.2
iters = 10000

# Training
for i in range(iters):
    y_pred = predict(x)
    loss = F.mean_squared_error(y, y_pred)

    W1.cleargrad()
    b1.cleargrad()
    W2.cleargrad()
    b2.cleargrad()
    loss.backward()

    W1.data -= lr * W1.grad.data
    b1.data -= lr * b1.grad.data
    W2.data -= lr * W2.grad.data
    b2.data -= lr * b2.grad.data
    if i % 1000 == 0:
        print(loss)


# Plot
plt.scatter(x, y, s=10)
plt.xlabel('x')
plt.ylabel('y')
t = np.arange(0, 1, .01)[:, np.newaxis]
y_pred = predict(t)
plt.plot(t, y_pred.data, color='r')

if matplotlib.get_backend().lower() == 'agg':   # no display to show a window on
    plt.savefig('step43.png')
    print('saved the plot to', os.path.abspath('step43.png'))
else:
    plt.show()
