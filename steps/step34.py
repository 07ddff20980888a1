"""Step 34: Higher-order derivatives of sin (sin 함수 고차 미분).

``dezero.functions`` (imported as ``F``) holds functions whose backward is written with Variables, so they
can be differentiated any number of times: ``F.sin``'s backward uses ``F.cos``, whose backward uses
``F.sin``. The script takes sin over 200 points of [−7, 7] and differentiates it three times with
``backward(create_graph=True)``; the gradient of a vector-valued output is the elementwise derivative,
because the seed is all ones.

Plots sin x and its first three derivatives (cos x, −sin x, −cos x: shifted copies of one another) in a
window. Without a display (a server, or ``MPLBACKEND=Agg``) it saves the figure as ``step34.png`` in the
current directory instead and prints where.
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
    raise SystemExit('step 34 draws its figure with matplotlib, which is not installed: pip install matplotlib')
import numpy as np

from dezero import Variable
import dezero.functions as F


x = Variable(np.linspace(-7, 7, 200))
y = F.sin(x)
y.backward(create_graph=True)

logs = [y.data]

for i in range(3):
    logs.append(x.grad.data)
    gx = x.grad
    x.cleargrad()
    gx.backward(create_graph=True)

labels = ["y=sin(x)", "y'", "y''", "y'''"]
for i, v in enumerate(logs):
    plt.plot(x.data, logs[i], label=labels[i])
plt.legend(loc='lower right')

if matplotlib.get_backend().lower() == 'agg':   # no display to show a window on
    plt.savefig('step34.png')
    print('saved the plot to', os.path.abspath('step34.png'))
else:
    plt.show()
