"""Step 57: conv2d and pooling functions (conv2d 함수와 pooling 함수).

Convolution and pooling become matrix products thanks to ``F.im2col``, which copies every window the
kernel visits into one row of a matrix (``to_matrix=True``): a (1, 3, 7, 7) input with a 5×5 kernel has
3×3 = 9 windows of 3·5·5 = 75 values, a batch of 10 such images 90 of them. ``F.conv2d_simple`` then
multiplies that matrix by the kernels reshaped to (C·KH·KW, OC), adds the bias and reshapes the result to
(N, OC, OH, OW); it is built from differentiable functions, so its backward comes for free. The library
also has ``F.conv2d`` (the same result with its own backward), ``F.pooling`` and ``F.average_pooling``,
and the layer ``L.Conv2d``.

Prints the shapes ``(9, 75)`` and ``(90, 75)`` of two im2col matrices, then ``(1, 8, 15, 15)``, the output
of a 3×3 convolution with padding 1 from 5 to 8 channels, and ``(1, 5, 15, 15)``, its input's gradient.
"""
if '__file__' in globals():
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))

import numpy as np

from dezero import Variable
import dezero.functions as F


# im2col
x1 = np.random.rand(1, 3, 7, 7)
col1 = F.im2col(x1, kernel_size=5, stride=1, pad=0, to_matrix=True)
print(col1.shape)  # (9, 75)

x2 = np.random.rand(10, 3, 7, 7)  # 10 images
kernel_size = (5, 5)
stride = (1, 1)
pad = (0, 0)
col2 = F.im2col(x2, kernel_size, stride, pad, to_matrix=True)
print(col2.shape)  # (90, 75)

# conv2d
N, C, H, W = 1, 5, 15, 15
OC, (KH, KW) = 8, (3, 3)
x = Variable(np.random.randn(N, C, H, W))
W = np.random.randn(OC, C, KH, KW)
y = F.conv2d_simple(x, W, b=None, stride=1, pad=1)
y.backward()
print(y.shape)  # (1, 8, 15, 15)
print(x.grad.shape)  # (1, 5, 15, 15)
