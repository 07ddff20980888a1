"""Step 23: Packaging (패키지로 정리).

The classes of steps 1-22 move into the ``dezero`` package (the book's ``dezero/core_simple.py``), with
``setup_variable()`` installing the operators when the package is imported. From this stage on the steps
``import dezero``; the ``sys.path`` lines at the top let them find the package of this repository from
any working directory (``python steps/step23.py`` or, inside ``steps/``, ``python step23.py``).

This repository always imports the full core (``dezero/core.py``), so gradients are Variables and the
second line is ``variable(8.0)``; the book's simple core prints ``8.0`` there.

Prints ``variable(16.0)`` and ``variable(8.0)``: y = (x + 3)² at x = 1 and dy/dx.
"""
if '__file__' in globals():
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))

import numpy as np

from dezero import Variable


x = Variable(np.array(1.0))
y = (x + 3) ** 2
y.backward()

print(y)
print(x.grad)
