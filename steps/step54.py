"""Step 54: Dropout and test mode (드롭아웃과 테스트 모드).

Dropout fights overfitting: during training it zeroes each element at random with probability
``dropout_ratio`` (0.5 by default) and scales the survivors by 1 / (1 − ratio) (inverted dropout), so
that at test time nothing needs rescaling and the input passes through unchanged. ``F.dropout`` reads the
mode from ``Config.train``, which ``dezero.test_mode()`` switches off inside a ``with`` block.

Prints the input ``[1. 1. 1. 1. 1.]``, then a random training-mode output (each element 0 or 2, for
example ``variable([2. 0. 0. 2. 0.])``; it changes from run to run), then the test-mode output
``variable([1. 1. 1. 1. 1.])``.
"""
if '__file__' in globals():
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))

import numpy as np

from dezero import test_mode
import dezero.functions as F


x = np.ones(5)
print(x)

# When training
y = F.dropout(x)
print(y)

# When testing (predicting)
with test_mode():
    y = F.dropout(x)
    print(y)
