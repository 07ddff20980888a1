"""Step 41: Matrix multiplication (행렬의 곱).

Adds ``F.matmul``, the matrix product y = xW, whose backward is gx = gy Wᵀ and gW = xᵀ gy (written with
``matmul`` and ``transpose``, so it can be differentiated again). Gradients keep their variables' shapes:
with x of shape (2, 3) and W of shape (3, 4), y is (2, 4), x.grad is (2, 3) and W.grad is (3, 4). The
inputs are random, and only the shapes are printed.

Prints ``(2, 3)`` and ``(3, 4)``, the shapes of x.grad and W.grad.
"""
if '__file__' in globals():
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))

import numpy as np

from dezero import Variable
import dezero.functions as F


x = Variable(np.random.randn(2, 3))
W = Variable(np.random.randn(3, 4))
y = F.matmul(x, W)
y.backward()

print(x.grad.shape)
print(W.grad.shape)
