"""Step 37: Working with tensors (텐서를 다루다).

Until now every Variable held a scalar. Functions such as ``F.sin`` and the operators work elementwise, so
they take tensors (ndarrays of any shape) unchanged, and backpropagation works the same way: the gradient
of each element has the shape of that element's variable. The script adds two 2×3 matrices, sums all the
elements with ``F.sum`` and backpropagates with ``retain_grad=True`` to keep the gradients of the
intermediate variables; each gradient is an array of ones of the variable's shape (``x.grad`` always has
the shape of ``x``). The integer inputs give integer gradients, because the seed is ``ones_like`` of the
output.

Prints ``variable(1)`` (the seed y.grad), then ``t.grad``, ``x.grad`` and ``c.grad``: three 2×3 integer
arrays of ones.
"""
if '__file__' in globals():
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))

import numpy as np

from dezero import Variable
import dezero.functions as F


x = Variable(np.array([[1, 2, 3], [4, 5, 6]]))
c = Variable(np.array([[10, 20, 30], [40, 50, 60]]))
t = x + c
y = F.sum(t)

y.backward(retain_grad=True)
print(y.grad)
print(t.grad)
print(x.grad)
print(c.grad)
