"""Convolution and pooling on NCHW images: conv2d, deconv2d, max and average pooling, im2col, col2im.

``dezero.functions_conv``, the book's module, re-exports this one.

Layout. ``im2col_array(..., to_matrix=False)`` gives a C-contiguous array of
shape (N, C, KH, KW, OH, OW), which is free to view as (N, C*KH*KW, OH*OW).
A convolution is then one batched matrix product, ``W (OC, C*KH*KW) @ col``,
whose result (N, OC, OH*OW) is already NCHW: no 6-D transpose is copied
(the original's ``tensordot`` spent more than half of conv2d's time doing that).
The same holds for the weight gradient (``gy @ col^T`` summed over N) and for
deconv2d (``W^T @ x`` then col2im). On the CPU the batch goes through in
cache-sized chunks. Max and average pooling read the KH*KW strided window views
of the image and build no col. See benchmarks/results/conv.md.

Every backward is written with Functions of this module, which form closed
families (Conv2d / Deconv2d / Conv2DGradW, Pooling / Pooling2DGrad /
Pooling2DWithIndexes, Im2col / Col2im, AveragePooling), so derivatives of any
order flow through all of them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from dezero import cuda
from dezero.arrays import add_bias, get_conv_outsize, get_deconv_outsize, pair
from dezero.engine import Constant, Function, as_variable
from dezero.functions.linear import _no_bias, _operand, linear
from dezero.functions.reductions import sum
from dezero.functions.shape import broadcast_to, reshape, transpose

if TYPE_CHECKING:
    from dezero.engine import Variable
    from dezero.typing import Operand, Pair, Shape


# =============================================================================
# im2col / col2im on arrays
# =============================================================================
def _check_geometry(name, kh, kw, sh, sw, ph, pw):
    if kh < 1 or kw < 1 or sh < 1 or sw < 1 or ph < 0 or pw < 0:
        raise ValueError(f'{name}: kernel size ({kh}, {kw}) and stride ({sh}, {sw}) must be positive and '
                         f'pad ({ph}, {pw}) must not be negative')


def _out_size(name, H, W, kh, kw, sh, sw, ph, pw):
    """The output height and width, after checking the kernel size, stride and pad."""
    _check_geometry(name, kh, kw, sh, sw, ph, pw)
    oh, ow = get_conv_outsize(H, kh, sh, ph), get_conv_outsize(W, kw, sw, pw)
    if oh < 1 or ow < 1:
        raise ValueError(f'{name}: a {kh}x{kw} kernel with pad ({ph}, {pw}) does not fit an input of '
                         f'height and width ({H}, {W})')
    return oh, ow


def im2col_array(img, kernel_size, stride, pad, to_matrix=True, pad_value=0):
    """The sliding windows of ``img`` (N, C, H, W) as a new C-contiguous array.

    Returns (N, C, KH, KW, OH, OW), or with ``to_matrix`` the original's matrix of
    shape (N*OH*OW, C*KH*KW) (rows (n, oh, ow), columns (c, kh, kw)). The border is
    filled with ``pad_value`` (max pooling pads with -inf).
    """
    xp = cuda.get_array_module(img)
    N, C, H, W = img.shape
    kh, kw = pair(kernel_size)
    sh, sw = pair(stride)
    ph, pw = pair(pad)
    oh, ow = _out_size('im2col', H, W, kh, kw, sh, sw, ph, pw)
    if ph or pw:
        img = xp.pad(img, ((0, 0), (0, 0), (ph, ph), (pw, pw)), mode='constant',
                     constant_values=pad_value)
    s0, s1, s2, s3 = img.strides
    windows = xp.lib.stride_tricks.as_strided(
        img, (N, C, kh, kw, oh, ow), (s0, s1, s2, s3, s2 * sh, s3 * sw))
    col = windows.copy()
    if to_matrix:
        col = col.transpose((0, 4, 5, 1, 2, 3)).reshape(N * oh * ow, -1)
    return col


def col2im_array(col, img_shape, kernel_size, stride, pad, to_matrix=True):
    """The adjoint of ``im2col_array``: every window is added back into an image of ``img_shape``."""
    xp = cuda.get_array_module(col)
    N, C, H, W = img_shape
    kh, kw = pair(kernel_size)
    sh, sw = pair(stride)
    ph, pw = pair(pad)
    oh, ow = _out_size('col2im', H, W, kh, kw, sh, sw, ph, pw)
    if to_matrix:
        col = col.reshape(N, oh, ow, C, kh, kw).transpose((0, 3, 4, 5, 1, 2))
    img = xp.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=col.dtype)
    for i in range(kh):
        for j in range(kw):
            img[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw] += col[:, :, i, j]
    return img[:, :, ph:H + ph, pw:W + pw]


_CHUNK_BYTES = 4 << 20


def _chunks(xp, n, bytes_per_image):
    """Slices of a batch of n images, each needing about 4 MiB of im2col data (the whole batch on a GPU).

    On the CPU a cache-sized col that is multiplied right after it is filled never goes
    through main memory: conv2d is about 1.3x faster than with one batch-sized col.
    """
    step = n if xp is not np else max(1, _CHUNK_BYTES // max(1, bytes_per_image))
    return [slice(i, i + step) for i in range(0, n, step)]


# =============================================================================
# Differentiable im2col / col2im
# =============================================================================
class Im2col(Function):
    keep_inputs = ()

    def __init__(self, kernel_size, stride, pad, to_matrix, pad_value=0):
        self.kernel_size = kernel_size
        self.stride = stride
        self.pad = pad
        self.to_matrix = to_matrix
        self.pad_value = pad_value

    def forward(self, x):
        self.input_shape = x.shape
        return im2col_array(x, self.kernel_size, self.stride, self.pad, self.to_matrix, self.pad_value)

    def backward(self, gy):
        return col2im(gy, self.input_shape, self.kernel_size, self.stride, self.pad, self.to_matrix)


def im2col(x: Operand, kernel_size: Pair, stride: Pair = 1, pad: Pair = 0, to_matrix: bool = True) -> Variable:
    """Extract the sliding windows of x (N, C, H, W); see ``im2col_array`` for the layouts."""
    return Im2col(kernel_size, stride, pad, to_matrix)(x)


class Col2im(Function):
    keep_inputs = ()

    def __init__(self, input_shape, kernel_size, stride, pad, to_matrix):
        self.input_shape = input_shape
        self.kernel_size = kernel_size
        self.stride = stride
        self.pad = pad
        self.to_matrix = to_matrix

    def forward(self, x):
        return col2im_array(x, self.input_shape, self.kernel_size, self.stride, self.pad, self.to_matrix)

    def backward(self, gy):
        return im2col(gy, self.kernel_size, self.stride, self.pad, self.to_matrix)


def col2im(x: Operand, input_shape: Shape, kernel_size: Pair, stride: Pair = 1, pad: Pair = 0,
        to_matrix: bool = True) -> Variable:
    """Sum windows back into an image of ``input_shape``: the adjoint (and backward) of im2col."""
    return Col2im(tuple(input_shape), kernel_size, stride, pad, to_matrix)(x)


# =============================================================================
# conv2d / deconv2d / conv2d_simple
# =============================================================================
def _conv2d_array(x, W, b, stride, pad):
    """conv2d on arrays: for each cache-sized chunk of the batch, one im2col and one batched product."""
    xp = cuda.get_array_module(x)
    N, C, H, Wd = x.shape
    OC, _, KH, KW = W.shape
    oh, ow = _out_size('conv2d', H, Wd, KH, KW, *stride, *pad)
    W2 = W.reshape(OC, -1)
    y = xp.empty((N, OC, oh * ow), dtype=np.result_type(x.dtype, W.dtype))
    for s in _chunks(xp, N, W2.shape[1] * oh * ow * x.itemsize):
        col = im2col_array(x[s], (KH, KW), stride, pad, to_matrix=False)
        xp.matmul(W2, col.reshape(col.shape[0], W2.shape[1], oh * ow), out=y[s])
        if b is not None:
            y[s] += b.reshape(-1, 1)           # while the chunk is still in the cache
    return y.reshape(N, OC, oh, ow)


class Conv2d(Function):
    keep_inputs = (0, 1)

    def __init__(self, stride=1, pad=0):
        self.stride = pair(stride)
        self.pad = pair(pad)

    def forward(self, x, W, b=None):
        return _conv2d_array(x, W, b, self.stride, self.pad)

    def backward(self, gy):
        x, W = self.inputs[:2]
        gx = None if x.__class__ is Constant else deconv2d(gy, W, None, self.stride, self.pad,
                                                           outsize=x.shape[2:])
        gW = None if W.__class__ is Constant else Conv2DGradW(W.shape[2:], self.stride, self.pad)(x, gy)
        if len(self.inputs) == 2:
            return gx, gW
        return gx, gW, None if self.inputs[2].__class__ is Constant else sum(gy, axis=(0, 2, 3))


def _check_conv(name, x, W, b, channel_axis):
    if x.ndim != 4 or W.ndim != 4:
        raise ValueError(f'{name}: x and W must be 4-D (NCHW images and a 4-D kernel), got shapes '
                         f'{x.shape} and {W.shape}')
    if x.shape[1] != W.shape[channel_axis]:
        raise ValueError(f'{name}: x of shape {x.shape} has {x.shape[1]} channels but W of shape '
                         f'{W.shape} expects {W.shape[channel_axis]}')
    out_channels = W.shape[1 - channel_axis]
    if b is not None and b.shape != (out_channels,):
        raise ValueError(f'{name}: b must have shape ({out_channels},), got {b.shape}')


def conv2d(x: Operand, W: Operand, b: Operand | None = None, stride: Pair = 1, pad: Pair = 0) -> Variable:
    """2-D convolution (cross-correlation) of x (N, C, H, W) with W (OC, C, KH, KW), plus b (OC,).

    An operand given as an array (a Constant, e.g. the input images) gets no gradient.
    """
    x, W = _operand(x), _operand(W)
    b = None if _no_bias(b) else _operand(b)
    _check_conv('conv2d', x, W, b, channel_axis=1)
    _out_size('conv2d', *x.shape[2:], *W.shape[2:], *pair(stride), *pair(pad))
    if b is None:
        return Conv2d(stride, pad)(x, W)
    return Conv2d(stride, pad)(x, W, b)


class Deconv2d(Function):
    keep_inputs = (0, 1)

    def __init__(self, stride=1, pad=0, outsize=None):
        self.stride = pair(stride)
        self.pad = pair(pad)
        self.outsize = outsize

    def forward(self, x, W, b=None):
        xp = cuda.get_array_module(x)
        C, OC, KH, KW = W.shape
        N, _, H, Wd = x.shape
        sh, sw = self.stride
        ph, pw = self.pad
        if self.outsize is None:
            out_h, out_w = get_deconv_outsize(H, KH, sh, ph), get_deconv_outsize(Wd, KW, sw, pw)
        else:
            out_h, out_w = pair(self.outsize)
        if (get_conv_outsize(out_h, KH, sh, ph), get_conv_outsize(out_w, KW, sw, pw)) != (H, Wd):
            raise ValueError(f'deconv2d: outsize {(out_h, out_w)} is not an input size whose conv2d '
                             f'output is {(H, Wd)} (kernel {(KH, KW)}, stride {self.stride}, pad {self.pad})')
        if (sh, sw) == (1, 1) and ph < KH and pw < KW:
            # With stride 1 this is the convolution of x with W flipped, padded by K - 1 - pad: one
            # im2col and one product, cheaper than the product and col2im's KH*KW scattered adds.
            Wc = xp.ascontiguousarray(W.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1])
            y = _conv2d_array(x, Wc, None, (1, 1), (KH - 1 - ph, KW - 1 - pw))
            return y if b is None else add_bias(y, b.reshape(1, -1, 1, 1))
        WT = W.reshape(C, -1).T
        x3 = x.reshape(N, C, H * Wd)
        y = xp.empty((N, OC, out_h, out_w), dtype=np.result_type(x.dtype, W.dtype))
        for s in _chunks(xp, N, WT.shape[0] * H * Wd * x.itemsize):
            gcol = xp.matmul(WT, x3[s]).reshape(-1, OC, KH, KW, H, Wd)
            y[s] = col2im_array(gcol, (gcol.shape[0], OC, out_h, out_w), (KH, KW), self.stride, self.pad,
                                to_matrix=False)
        return y if b is None else add_bias(y, b.reshape(1, -1, 1, 1))

    def backward(self, gy):
        x, W = self.inputs[:2]
        gx = conv2d(gy, W, None, self.stride, self.pad)
        gW = Conv2DGradW(W.shape[2:], self.stride, self.pad)(gy, x)
        if len(self.inputs) == 2:
            return gx, gW
        return gx, gW, sum(gy, axis=(0, 2, 3))


def deconv2d(x: Operand, W: Operand, b: Operand | None = None, stride: Pair = 1, pad: Pair = 0,
        outsize: Pair | None = None) -> Variable:
    """Transposed convolution of x (N, C, H, W) with W (C, OC, KH, KW) (Chainer's layout), plus b (OC,).

    The output size is ``stride * (H - 1) + KH - 2 * pad`` per axis unless ``outsize`` is given.
    """
    x, W = as_variable(x), as_variable(W)
    b = None if _no_bias(b) else as_variable(b)
    _check_conv('deconv2d', x, W, b, channel_axis=0)
    _check_geometry('deconv2d', *W.shape[2:], *pair(stride), *pair(pad))
    f = Deconv2d(stride, pad, None if outsize is None else pair(outsize))
    return f(x, W) if b is None else f(x, W, b)


class Conv2DGradW(Function):
    """The kernel gradient of conv2d, sum over n of gy[n] @ col(x)[n]^T; bilinear in (x, gy)."""
    keep_inputs = (0, 1)

    def __init__(self, kernel_size, stride, pad):
        self.kernel_size = tuple(kernel_size)
        self.stride = stride
        self.pad = pad

    def forward(self, x, gy):
        xp = cuda.get_array_module(x)
        N, OC, oh, ow = gy.shape
        ckk = x.shape[1] * self.kernel_size[0] * self.kernel_size[1]
        g3 = gy.reshape(N, OC, oh * ow)
        gW = xp.zeros((OC, ckk), dtype=np.result_type(x.dtype, gy.dtype))
        for s in _chunks(xp, N, ckk * oh * ow * x.itemsize):
            col = im2col_array(x[s], self.kernel_size, self.stride, self.pad, to_matrix=False)
            col = col.reshape(col.shape[0], ckk, oh * ow)
            gW += xp.matmul(g3[s], col.transpose(0, 2, 1)).sum(axis=0)
        return gW.reshape((OC, x.shape[1]) + self.kernel_size)

    def backward(self, ggW):
        x, gy = self.inputs
        gx = deconv2d(gy, ggW, None, self.stride, self.pad, outsize=x.shape[2:])
        ggy = conv2d(x, ggW, None, self.stride, self.pad)
        return gx, ggy


def conv2d_simple(x: Operand, W: Operand, b: Operand | None = None, stride: Pair = 1, pad: Pair = 0) -> Variable:
    """conv2d written with im2col (matrix layout), linear, reshape and transpose."""
    x, W = as_variable(x), as_variable(W)
    b = None if _no_bias(b) else as_variable(b)
    _check_conv('conv2d_simple', x, W, b, channel_axis=1)
    N, C, H, Wd = x.shape
    OC, C, KH, KW = W.shape
    sh, sw = pair(stride)
    ph, pw = pair(pad)
    OH, OW = _out_size('conv2d_simple', H, Wd, KH, KW, sh, sw, ph, pw)
    col = im2col(x, (KH, KW), stride, pad, to_matrix=True)
    Weight = transpose(reshape(W, (OC, -1)))
    t = linear(col, Weight, b)
    return transpose(reshape(t, (N, OH, OW, OC)), (0, 3, 1, 2))


# =============================================================================
# Max pooling: pooling / pooling_simple
# =============================================================================
def _lowest(dtype):
    """The padding of max pooling: -inf, or the smallest integer."""
    return -np.inf if np.dtype(dtype).kind == 'f' else np.iinfo(dtype).min


def _windows(x, kernel_size, stride, pad, pad_value=0):
    """For each kernel offset (i, j), the strided view of the padded x that window position
    (oh, ow) reads there: KH*KW views of shape (N, C, OH, OW), with no copy of the windows."""
    xp = cuda.get_array_module(x)
    N, C, H, W = x.shape
    kh, kw = pair(kernel_size)
    sh, sw = pair(stride)
    ph, pw = pair(pad)
    oh, ow = _out_size('pooling', H, W, kh, kw, sh, sw, ph, pw)
    if ph or pw:
        x = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), mode='constant', constant_values=pad_value)
    return [x[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw] for i in range(kh) for j in range(kw)]


class Pooling(Function):
    keep_inputs = ()

    def __init__(self, kernel_size, stride=1, pad=0):
        self.kernel_size = pair(kernel_size)
        self.stride = stride
        self.pad = pad

    def forward(self, x):
        xp = cuda.get_array_module(x)
        self.input_shape = x.shape
        views = _windows(x, self.kernel_size, self.stride, self.pad, _lowest(x.dtype))
        y = views[0].copy()
        indexes = xp.zeros(y.shape, dtype=np.int32)     # offset of each window's first maximum
        for k, view in enumerate(views[1:], 1):         # (arithmetic beats where= and masks here)
            larger = view > y
            xp.maximum(y, view, out=y)
            indexes += larger * (k - indexes)
        self.indexes = indexes
        return y

    def backward(self, gy):
        return Pooling2DGrad(self)(gy)


class _MaxPoolingChain(Function):
    """A Function of max pooling's derivative chain: linear in its input, it carries the forward's
    window settings, input shape and argmax indexes (from ``mpool``, the Function before it)."""
    keep_inputs = ()

    def __init__(self, mpool):
        self.kernel_size, self.stride, self.pad = mpool.kernel_size, mpool.stride, mpool.pad
        self.input_shape = mpool.input_shape
        self.indexes = mpool.indexes


class Pooling2DGrad(_MaxPoolingChain):
    """Add gy to the position of each window's maximum (linear in gy)."""

    def forward(self, gy):
        xp = cuda.get_array_module(gy)
        N, C, H, W = self.input_shape
        ph, pw = pair(self.pad)
        gx = xp.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=gy.dtype)
        for k, view in enumerate(_windows(gx, self.kernel_size, self.stride, 0)):
            view += (self.indexes == k) * gy        # views of gx: adds in place
        return gx[:, :, ph:H + ph, pw:W + pw]

    def backward(self, ggx):
        return Pooling2DWithIndexes(self)(ggx)


class Pooling2DWithIndexes(_MaxPoolingChain):
    """Pick from each window of x the element where the forward's maximum was (linear in x)."""

    def __init__(self, mpool):
        super().__init__(mpool)
        self.input_shpae = self.input_shape     # the original's spelling

    def forward(self, x):
        xp = cuda.get_array_module(x)
        views = _windows(x, self.kernel_size, self.stride, self.pad)
        y = xp.zeros(self.indexes.shape, dtype=x.dtype)
        for k, view in enumerate(views):
            y += (self.indexes == k) * view
        return y

    def backward(self, gy):
        return Pooling2DGrad(self)(gy)


def _check_image(name, x):
    if x.ndim != 4:
        raise ValueError(f'{name}: x must be a 4-D batch of images (N, C, H, W), got shape {x.shape}')


def pooling(x: Operand, kernel_size: Pair, stride: Pair = 1, pad: Pair = 0) -> Variable:
    """Max pooling of x (N, C, H, W). The border is padded with -inf, so padding never wins.

    The default stride is 1, as in the original (Chainer and PyTorch default it to
    the kernel size). Each window's gradient goes to its first maximal element.
    """
    x = as_variable(x)
    _check_image('pooling', x)
    return Pooling(kernel_size, stride, pad)(x)


def pooling_simple(x: Operand, kernel_size: Pair, stride: Pair = 1, pad: Pair = 0) -> Variable:
    """Max pooling written with im2col (padded with -inf) and F.max (tied maxima share the gradient)."""
    x = as_variable(x)
    _check_image('pooling_simple', x)
    N, C, H, W = x.shape
    KH, KW = pair(kernel_size)
    OH, OW = _out_size('pooling_simple', H, W, KH, KW, *pair(stride), *pair(pad))
    col = Im2col(kernel_size, stride, pad, True, pad_value=_lowest(x.dtype))(x)
    col = reshape(col, (-1, KH * KW))
    y = col.max(axis=1)
    return transpose(reshape(y, (N, OH, OW, C)), (0, 3, 1, 2))


# =============================================================================
# Average pooling
# =============================================================================
class AveragePooling(Function):
    keep_inputs = ()

    def __init__(self, kernel_size, stride=1, pad=0, count_include_pad=True):
        self.kernel_size = pair(kernel_size)
        self.stride = stride
        self.pad = pad
        self.count_include_pad = count_include_pad

    def forward(self, x):
        self.input_shape = x.shape
        views = _windows(x, self.kernel_size, self.stride, self.pad)
        y = views[0].copy()
        for view in views[1:]:
            y += view
        self.divisor = self._divisor(x)
        return y / self.divisor

    def _divisor(self, x):
        """KH*KW (as x's scalar type), or per output position the number of real pixels in the window."""
        KH, KW = self.kernel_size
        if self.count_include_pad or pair(self.pad) == (0, 0):
            return x.dtype.type(KH * KW) if x.dtype.kind == 'f' else KH * KW
        ones = cuda.get_array_module(x).ones((1, 1) + x.shape[2:], dtype=x.dtype)
        return im2col_array(ones, self.kernel_size, self.stride, self.pad, to_matrix=False).sum(axis=(2, 3))

    def backward(self, gy):
        N, C, OH, OW = gy.shape
        KH, KW = self.kernel_size
        gy = reshape(gy / self.divisor, (N, C, 1, 1, OH, OW))
        gcol = broadcast_to(gy, (N, C, KH, KW, OH, OW))
        return col2im(gcol, self.input_shape, self.kernel_size, self.stride, self.pad, to_matrix=False)


def average_pooling(x: Operand, kernel_size: Pair, stride: Pair = 1, pad: Pair = 0,
        count_include_pad: bool = True) -> Variable:
    """Average pooling of x (N, C, H, W); rectangular kernels, strides and pads are fine.

    By default the padded zeros count in each window's mean, as in the original,
    Chainer and PyTorch; with ``count_include_pad=False`` each mean is over the
    real pixels only. The default stride is 1, as in the original.
    """
    x = as_variable(x)
    _check_image('average_pooling', x)
    _check_geometry('average_pooling', *pair(kernel_size), *pair(stride), *pair(pad))
    return AveragePooling(kernel_size, stride, pad, count_include_pad)(x)
