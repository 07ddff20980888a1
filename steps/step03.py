"""Step 03: Connecting functions (함수 연결).

Adds ``Exp`` and chains three functions, y = (exp(x²))², because their inputs and outputs are all
Variables. A chain of functions is a composite function, the object that backpropagation will differentiate.

Prints ``1.648721270700128``.
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


class Exp(Function):
    def forward(self, x):
        return np.exp(x)


A = Square()
B = Exp()
C = Square()

x = Variable(np.array(0.5))
a = A(x)
b = B(a)
y = C(b)
print(y.data)
