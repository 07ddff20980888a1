"""Step 40: Broadcasting functions (브로드캐스트 함수).

NumPy broadcasts operands of different shapes, and the gradient has to undo it: ``F.broadcast_to`` copies
a tensor to a larger shape, and its backward is ``F.sum_to``, which sums the gradient back down to the
original shape (and the other way round). The arithmetic Functions (``Add``, ``Mul``, ``Sub``, ``Div``)
remember their inputs' shapes and apply ``sum_to`` to each gradient, so ``x0 + x1`` with shapes (3,) and
(1,) works forward and backward.

Prints ``variable([11 12 13])`` (x1 broadcast to x0's shape) and ``variable([3])``, the gradient of x1: the
three ones of y's gradient summed into x1's single element.
"""
if '__file__' in globals():
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))

import numpy as np

from dezero import Variable


x0 = Variable(np.array([1, 2, 3]))
x1 = Variable(np.array([10]))
y = x0 + x1
print(y)

y.backward()
print(x1.grad)
