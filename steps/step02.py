"""Step 02: Functions that create variables (변수를 낳는 함수).

Adds the ``Function`` base class: calling a Function takes the array out of the input Variable,
runs ``forward`` on it and puts the result in a new Variable. ``Square`` is the first concrete function.

Prints the type of the output (``<class '__main__.Variable'>``) and ``100``.
"""
import numpy as np


class Variable:
    def __init__(self, data):
        self.data = data


class Function:
    def __call__(self, input):
        x = input.data
        y = self.forward(x)
        output = Variable(y)
        return output

    def forward(self, x):
        raise NotImplementedError()


class Square(Function):
    def forward(self, x):
        return x ** 2


x = Variable(np.array(10))
f = Square()
y = f(x)
print(type(y))
print(y.data)
