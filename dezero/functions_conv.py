"""The book's ``dezero.functions_conv``: convolution and pooling, which live in
``dezero.functions.conv`` (and are also ``F.conv2d``, ``F.pooling``...)."""
from dezero.arrays import get_conv_outsize, get_deconv_outsize, pair  # noqa: F401
from dezero.functions.conv import (  # noqa: F401
    AveragePooling, Col2im, Conv2d, Conv2DGradW, Deconv2d, Im2col, Pooling, Pooling2DGrad,
    Pooling2DWithIndexes, average_pooling, col2im, col2im_array, conv2d, conv2d_simple, deconv2d, im2col,
    im2col_array, pooling, pooling_simple)
from dezero.functions.linear import linear  # noqa: F401
from dezero.functions.reductions import sum  # noqa: F401
from dezero.functions.shape import broadcast_to, reshape, transpose  # noqa: F401
