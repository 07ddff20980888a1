"""Step 47: Softmax and cross-entropy error (소프트맥스 함수와 교차 엔트로피 오차).

Prepares multi-class classification. Indexing a Variable (``x[1]``, ``x[:, 2]``) is now a differentiable
function, ``F.get_item``, whose backward scatters the gradient back into a zero array of the input's
shape. The softmax turns a row of scores into probabilities, exp(yᵢ) / Σⱼ exp(yⱼ): the script writes a
one-row version ``softmax1d`` by hand and uses ``F.softmax`` for a batch. The cross-entropy error
``F.softmax_cross_entropy(y, t)`` takes the scores and the correct class indices t and returns the mean of
−log pₜ; it is differentiable like everything else. The model is ``MLP((10, 3))`` with seed 0.

Prints the scores ``variable([[-0.61505778 -0.42790161  0.31733289]])`` of one input and their softmax
``variable([[0.21068639 0.25404893 0.53526469]])``, the 4×3 scores and probabilities of a batch of four
inputs, and the loss ``variable(1.496744252405306)``.
"""
if '__file__' in globals():
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))

import numpy as np

from dezero import Variable, as_variable
import dezero.functions as F
from dezero.models import MLP


def softmax1d(x):
    x = as_variable(x)
    y = F.exp(x)
    sum_y = F.sum(y)
    return y / sum_y


np.random.seed(0)
model = MLP((10, 3))

x = Variable(np.array([[0.2, -0.4]]))
y = model(x)
p = softmax1d(y)
print(y)
print(p)

x = np.array([[0.2, -0.4], [0.3, 0.5], [1.3, -3.2], [2.1, 0.3]])
t = np.array([2, 0, 1, 0])

y = model(x)
p = F.softmax(y)
print(y)
print(p)

loss = F.softmax_cross_entropy(y, t)
loss.backward()
print(loss)
