"""Step 38: Shape-changing functions (형상 변환 함수).

Adds the functions that change a tensor's shape without changing its elements: ``F.reshape`` (also
``x.reshape(6)`` or ``x.reshape(3, 2)`` on a Variable) and ``F.transpose`` (also ``x.transpose()`` and
``x.T``). Their backward passes only rearrange the gradient: ``Reshape`` reshapes it back to the input's
shape and ``Transpose`` transposes it back, so the gradient keeps the shape of the input.

Prints ``x.grad`` after a reshape from (2, 3) to (6,) and after a transpose: both are 2×3 integer arrays
of ones.
"""
if '__file__' in globals():
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))

import numpy as np

from dezero import Variable
import dezero.functions as F


x = Variable(np.array([[0, 1, 2], [3, 4, 5]]))
y = F.reshape(x, (6,))  # y = x.reshape(6)
y.backward(retain_grad=True)
print(x.grad)

x = Variable(np.array([[1, 2, 3], [4, 5, 6]]))
y = F.transpose(x)  # y = x.T
y.backward()
print(x.grad)
