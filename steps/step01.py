"""Step 01: Variables as boxes (상자로서의 변수).

A ``Variable`` is a box that holds a NumPy array in ``data``; the value inside can be read and
replaced. Everything later in the book grows out of this class.

Prints ``1.0`` then ``2.0``.
"""
import numpy as np


class Variable:
    def __init__(self, data):
        self.data = data


data = np.array(1.0)
x = Variable(data)
print(x.data)

x.data = np.array(2.0)
print(x.data)
