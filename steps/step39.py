"""Step 39: The sum function (합계 함수).

``F.sum`` adds up the elements of a tensor, all of them or along ``axis``, and ``keepdims=True`` keeps the
summed axes with length 1. Its backward copies the output's gradient back to every element that was added
(``broadcast_to``), after restoring the summed axes when ``keepdims`` was False. The same function is
available as the method ``x.sum(axis, keepdims)``.

Prints the sum of a vector (``variable(21)``) and its gradient (six ones), the sum of a 2×3 matrix and its
gradient (a 2×3 of ones), the sum along axis 0 (``variable([5 7 9])``) and its gradient (a 2×3 of ones),
and the shape ``(1, 1, 1, 1)`` of a 4-D sum with ``keepdims=True``.
"""
if '__file__' in globals():
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))

import numpy as np

from dezero import Variable
import dezero.functions as F


x = Variable(np.array([1, 2, 3, 4, 5, 6]))
y = F.sum(x)
y.backward()
print(y)
print(x.grad)

x = Variable(np.array([[1, 2, 3], [4, 5, 6]]))
y = F.sum(x)
y.backward()
print(y)
print(x.grad)

x = Variable(np.array([[1, 2, 3], [4, 5, 6]]))
y = F.sum(x, axis=0)
y.backward()
print(y)
print(x.grad)

x = Variable(np.random.randn(2, 3, 4, 5))
y = x.sum(keepdims=True)
print(y.shape)
