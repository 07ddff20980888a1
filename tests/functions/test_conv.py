"""dezero.functions.conv: conv2d, deconv2d, conv2d_simple, im2col, col2im, pooling, pooling_simple and
average_pooling; specs against loop-based NumPy references (third order through a nonlinearity,
since these functions are (bi)linear), the im2col layout, and the §6 regressions (bugs 1, 2, 4-7)."""
import numpy as np
import pytest

import dezero
import dezero.functions as F
import dezero.functions_conv as FC
from dezero import Variable
from dezero.utils import pair
from harness import OpSpec, distinct, make_tests


# ----------------------------------------------------------------------------- loop references
def _padded(x, pad, value=0.0):
    ph, pw = pair(pad)
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def _windows(x, kernel, stride, pad, value=0.0):
    """Yield (i, j, window of shape (N, C, KH, KW)) for every output position."""
    kh, kw = pair(kernel)
    sh, sw = pair(stride)
    xp = _padded(x, pad, value)
    oh, ow = (xp.shape[2] - kh) // sh + 1, (xp.shape[3] - kw) // sw + 1
    for i in range(oh):
        for j in range(ow):
            yield i, j, xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw], (oh, ow)


def np_conv(x, W, b=None, stride=1, pad=0):
    out = None
    for i, j, win, (oh, ow) in _windows(x, W.shape[2:], stride, pad):
        if out is None:
            out = np.zeros((x.shape[0], W.shape[0], oh, ow), dtype=x.dtype)
        out[:, :, i, j] = np.einsum('nckl,ockl->no', win, W)
    return out if b is None else out + b.reshape(1, -1, 1, 1)


def np_deconv(x, W, b=None, stride=1, pad=0):
    N, C, H, Wd = x.shape
    _, OC, KH, KW = W.shape
    sh, sw = pair(stride)
    ph, pw = pair(pad)
    full = np.zeros((N, OC, sh * (H - 1) + KH, sw * (Wd - 1) + KW), dtype=x.dtype)
    for i in range(H):
        for j in range(Wd):
            full[:, :, i * sh:i * sh + KH, j * sw:j * sw + KW] += np.einsum('nc,cokl->nokl', x[:, :, i, j], W)
    out = full[:, :, ph:full.shape[2] - ph, pw:full.shape[3] - pw]
    return out if b is None else out + b.reshape(1, -1, 1, 1)


def np_max_pool(x, kernel, stride=1, pad=0):
    wins = list(_windows(x, kernel, stride, pad, value=-np.inf))
    oh, ow = wins[0][3]
    out = np.zeros(x.shape[:2] + (oh, ow), dtype=x.dtype)
    for i, j, win, _ in wins:
        out[:, :, i, j] = win.max(axis=(2, 3))
    return out


def np_avg_pool(x, kernel, stride=1, pad=0, count_include_pad=True):
    wins = list(_windows(x, kernel, stride, pad))
    counts = list(_windows(np.ones((1, 1) + x.shape[2:]), kernel, stride, pad))
    oh, ow = wins[0][3]
    out = np.zeros(x.shape[:2] + (oh, ow), dtype=x.dtype)
    for (i, j, win, _), (_, _, ones, _) in zip(wins, counts):
        n = win.shape[2] * win.shape[3] if count_include_pad else ones.sum()
        out[:, :, i, j] = win.sum(axis=(2, 3)) / n
    return out


def np_im2col(x, kernel, stride=1, pad=0, to_matrix=True):
    wins = list(_windows(x, kernel, stride, pad))
    oh, ow = wins[0][3]
    kh, kw = pair(kernel)
    col = np.zeros(x.shape[:2] + (kh, kw, oh, ow), dtype=x.dtype)
    for i, j, win, _ in wins:
        col[..., i, j] = win
    if to_matrix:
        col = col.transpose(0, 4, 5, 1, 2, 3).reshape(x.shape[0] * oh * ow, -1)
    return col


def np_col2im_via_adjoint(col, img_shape, kernel, stride, pad, to_matrix=True):
    """col2im as the transpose of the (linear) im2col: sum of col entries over the pixels they copy."""
    size = int(np.prod(img_shape))
    out = np.zeros(size, dtype=col.dtype)
    for k in range(size):
        e = np.zeros(size)
        e[k] = 1.0
        out[k] = np.sum(np_im2col(e.reshape(img_shape), kernel, stride, pad, to_matrix) * col)
    return out.reshape(img_shape)



# ----------------------------------------------------------------------------- specs
TIES = 'ties within a window, where the gradient goes to one element: values 0.05 apart'

SPECS = [
    # The convolutions and pooling are (bi)linear, so their own third derivatives vanish: the order-3
    # cases compose them with a nonlinearity, which sends non-zero gradients through every backward.
    OpSpec('conv2d', lambda x, W, b: F.conv2d(x, W, b, pad=1), lambda x, W, b: np_conv(x, W, b, pad=1),
           [((1, 2, 3, 3), (2, 2, 3, 3), (2,))], cases={
               'tanh(conv2d)': dict(func=lambda x, W, b: F.tanh(F.conv2d(x, W, b, pad=1)),
                                    reference=lambda x, W, b: np.tanh(np_conv(x, W, b, pad=1)), order=3),
               'stride=2, pad=1': dict(func=lambda x, W, b: F.conv2d(x, W, b, stride=2, pad=1),
                                       reference=lambda x, W, b: np_conv(x, W, b, 2, 1),
                                       shapes=[((2, 2, 5, 5), (3, 2, 3, 3), (3,))]),
               'stride=(2, 1), pad=(1, 0), no bias': dict(
                   func=lambda x, W: F.conv2d(x, W, stride=(2, 1), pad=(1, 0)),
                   reference=lambda x, W: np_conv(x, W, None, (2, 1), (1, 0)),
                   shapes=[((2, 3, 5, 4), (2, 3, 2, 3))])}),
    OpSpec('conv2d_simple', lambda x, W, b: F.conv2d_simple(x, W, b, stride=2, pad=1),
           lambda x, W, b: np_conv(x, W, b, 2, 1), [((2, 2, 4, 4), (3, 2, 3, 3), (3,))], cases={
               'no bias': dict(func=lambda x, W: F.conv2d_simple(x, W), reference=lambda x, W: np_conv(x, W),
                               shapes=[((1, 2, 3, 3), (2, 2, 2, 2))])}),
    OpSpec('deconv2d', lambda x, W, b: F.deconv2d(x, W, b, stride=2, pad=1),
           lambda x, W, b: np_deconv(x, W, b, 2, 1), [((2, 3, 3, 3), (3, 2, 3, 3), (2,))], cases={
               'stride=(1, 2), no bias': dict(func=lambda x, W: F.deconv2d(x, W, stride=(1, 2)),
                                              reference=lambda x, W: np_deconv(x, W, None, (1, 2)),
                                              shapes=[((1, 2, 3, 2), (2, 2, 2, 3))]),
               'stride=1, pad=1': dict(func=lambda x, W, b: F.deconv2d(x, W, b, pad=1),
                                       reference=lambda x, W, b: np_deconv(x, W, b, 1, 1),
                                       shapes=[((1, 2, 3, 3), (2, 3, 3, 3), (3,))]),
               'tanh(deconv2d)': dict(func=lambda x, W, b: F.tanh(F.deconv2d(x, W, b, stride=2, pad=1)),
                                      reference=lambda x, W, b: np.tanh(np_deconv(x, W, b, 2, 1)),
                                      shapes=[((1, 2, 2, 2), (2, 2, 3, 3), (2,))], order=3)}),
    OpSpec('im2col', lambda x: F.im2col(x, 2, stride=1, pad=1), lambda x: np_im2col(x, 2, 1, 1),
           [((2, 2, 3, 3),)], cases={
               'im2col ** 3': dict(func=lambda x: F.im2col(x, 2, stride=1, pad=1) ** 3,
                                   reference=lambda x: np_im2col(x, 2, 1, 1) ** 3, order=3),
               'to_matrix=False': dict(func=lambda x: F.im2col(x, (2, 3), stride=(2, 1), to_matrix=False),
                                       reference=lambda x: np_im2col(x, (2, 3), (2, 1), to_matrix=False),
                                       shapes=[((1, 2, 4, 4),)])}),
    OpSpec('col2im', lambda c: F.col2im(c, (2, 2, 3, 3), 2, stride=1, pad=1),
           lambda c: np_col2im_via_adjoint(c, (2, 2, 3, 3), 2, 1, 1), [((32, 8),)], cases={
               'col2im ** 3': dict(func=lambda c: F.col2im(c, (1, 2, 3, 3), 2, stride=1, pad=1) ** 3,
                                   reference=lambda c: np_col2im_via_adjoint(c, (1, 2, 3, 3), 2, 1, 1) ** 3,
                                   shapes=[((16, 8),)], order=3),
               'to_matrix=False': dict(func=lambda c: F.col2im(c, (1, 2, 4, 4), (2, 3), (2, 1), to_matrix=False),
                                       reference=lambda c: np_col2im_via_adjoint(c, (1, 2, 4, 4), (2, 3), (2, 1), 0,
                                                                                 to_matrix=False),
                                       shapes=[((1, 2, 2, 3, 2, 2),)])}),
    OpSpec('pooling', lambda x: F.pooling(x, 2, stride=2, pad=1), lambda x: np_max_pool(x, 2, 2, 1),
           [((2, 2, 3, 3),)], inputs=distinct(0.05, low=-1.0), piecewise=True, avoid=TIES, cases={
               'pooling ** 3': dict(func=lambda x: F.pooling(x, 2, stride=2, pad=1) ** 3,
                                    reference=lambda x: np_max_pool(x, 2, 2, 1) ** 3, order=3),
               'negative inputs, pad=1': dict(func=lambda x: F.pooling(x, 3, stride=2, pad=1),
                                              reference=lambda x: np_max_pool(x, 3, 2, 1), shapes=[((1, 2, 4, 5),)],
                                              inputs=distinct(0.05, low=-5.0)),
               'kernel (2, 3), default stride': dict(func=lambda x: F.pooling(x, (2, 3)),
                                                     reference=lambda x: np_max_pool(x, (2, 3)),
                                                     shapes=[((1, 2, 3, 4),)])}),
    OpSpec('pooling_simple', lambda x: F.pooling_simple(x, 2, stride=2, pad=1), lambda x: np_max_pool(x, 2, 2, 1),
           [((2, 2, 3, 3),)], inputs=distinct(0.05, low=-5.0), piecewise=True, avoid=TIES),
    OpSpec('average_pooling', lambda x: F.average_pooling(x, 2, stride=2), lambda x: np_avg_pool(x, 2, 2),
           [((2, 3, 4, 4),)], cases={
               'kernel (2, 3), stride (1, 2), pad=1': dict(
                   func=lambda x: F.average_pooling(x, (2, 3), stride=(1, 2), pad=1),
                   reference=lambda x: np_avg_pool(x, (2, 3), (1, 2), 1), shapes=[((1, 2, 4, 5),)]),
               'average_pooling ** 3': dict(func=lambda x: F.average_pooling(x, 2, stride=1, pad=1) ** 3,
                                            reference=lambda x: np_avg_pool(x, 2, 1, 1) ** 3,
                                            shapes=[((1, 2, 3, 3),)], order=3),
               'count_include_pad=False': dict(
                   func=lambda x: F.average_pooling(x, 3, stride=2, pad=1, count_include_pad=False),
                   reference=lambda x: np_avg_pool(x, 3, 2, 1, count_include_pad=False), shapes=[((1, 2, 5, 4),)])}),
]


globals().update(make_tests(SPECS))


# ----------------------------------------------------------------------------- layout and API
def test_im2col_layout_is_contiguous_and_views_as_a_batch_of_matrices():
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 5)).astype(np.float32)
    col = FC.im2col_array(x, 3, 1, 1, to_matrix=False)
    assert col.shape == (2, 3, 3, 3, 5, 5) and col.flags.c_contiguous and col.dtype == np.float32
    mat = col.reshape(2, 27, 25)
    assert np.shares_memory(mat, col)
    np.testing.assert_array_equal(col, np_im2col(x, 3, 1, 1, to_matrix=False))


def test_col2im_array_is_the_adjoint_of_im2col_array():
    rng = np.random.default_rng(1)
    x, kernel, stride, pad = rng.standard_normal((2, 3, 5, 4)), (3, 2), (2, 1), (1, 2)
    col = FC.im2col_array(x, kernel, stride, pad)
    c = rng.standard_normal(col.shape)
    img = FC.col2im_array(c, x.shape, kernel, stride, pad)
    assert img.shape == x.shape
    assert np.sum(col * c) == pytest.approx(np.sum(x * img))


def test_conv_names_are_reexported_by_functions():
    for name in ('conv2d', 'deconv2d', 'conv2d_simple', 'im2col', 'col2im', 'pooling', 'pooling_simple',
                 'average_pooling'):
        assert getattr(F, name) is getattr(FC, name)
        assert name in dir(F)
    with pytest.raises(AttributeError):
        F.no_such_function


def test_conv2d_keeps_float32_and_rejects_bad_shapes():
    x = np.ones((1, 2, 4, 4), dtype=np.float32)
    W = Variable(np.ones((3, 2, 3, 3), dtype=np.float32))
    y = F.conv2d(x, W, np.zeros(3, dtype=np.float32), pad=1)
    y.backward()
    assert y.dtype == np.float32 and W.grad.dtype == np.float32
    with pytest.raises(ValueError, match=r'conv2d: x of shape \(1, 2, 4, 4\) has 2 channels.*expects 3'):
        F.conv2d(x, np.ones((3, 3, 3, 3)))
    with pytest.raises(ValueError, match='conv2d: b must have shape'):
        F.conv2d(x, np.ones((3, 2, 3, 3)), np.ones(4))
    with pytest.raises(ValueError, match='does not fit'):
        F.conv2d(x, np.ones((3, 2, 7, 7)))
    with pytest.raises(ValueError, match='pooling: x must be a 4-D batch'):
        F.pooling(np.ones((2, 4, 4)), 2)


def test_deconv2d_outsize_reaches_the_conv_input_size_and_is_checked():
    x = np.random.default_rng(2).standard_normal((1, 2, 6, 6))
    W = np.random.default_rng(3).standard_normal((3, 2, 3, 3))
    y = F.conv2d(x, W, stride=2, pad=1)                       # (6 + 2 - 3) // 2 + 1 = 3
    assert F.deconv2d(y, W, stride=2, pad=1).shape == (1, 2, 5, 5)
    assert F.deconv2d(y, W, stride=2, pad=1, outsize=(6, 6)).shape == (1, 2, 6, 6)
    with pytest.raises(ValueError, match='deconv2d: outsize'):
        F.deconv2d(y, W, stride=2, pad=1, outsize=(9, 9))
    xv = Variable(x)
    F.conv2d(xv, W, stride=2, pad=1).backward()
    assert xv.grad.shape == x.shape


# ----------------------------------------------------------------------------- §6 regressions
def test_conv2d_higher_order_through_the_weight_gradient():
    """§6 bug 1: Conv2DGradW.backward used its own weakref output and crashed; now gradient penalties work."""
    rng = np.random.default_rng(4)
    x0, W0 = rng.standard_normal((2, 2, 4, 4)), rng.standard_normal((3, 2, 3, 3))

    def penalty(xd, Wd):
        x, W = Variable(xd), Variable(Wd)
        y = F.sum(F.tanh(F.conv2d(x, W, pad=1)))
        gW = dezero.grad(y, W, create_graph=True)
        return x, W, F.sum(gW * gW)

    x, W, p = penalty(x0, W0)
    gx, gW = dezero.grad(p, [x, W])
    for i, (g, u) in enumerate(((gx, rng.standard_normal(x0.shape)), (gW, rng.standard_normal(W0.shape)))):
        eps = 1e-6
        plus = [x0, W0]
        minus = [x0, W0]
        plus[i], minus[i] = plus[i] + eps * u, minus[i] - eps * u
        numeric = (float(penalty(*plus)[2].data) - float(penalty(*minus)[2].data)) / (2 * eps)
        assert float(np.sum(g.data * u)) == pytest.approx(numeric, rel=1e-5)


def _directional_check(scalar, x0, rng):
    """The gradient of scalar(x) (a Variable built from Variable x) against central differences."""
    x = Variable(x0)
    g = dezero.grad(scalar(x), x)
    v, eps = rng.standard_normal(x0.shape), 1e-6
    numeric = (float(scalar(Variable(x0 + eps * v)).data) - float(scalar(Variable(x0 - eps * v)).data)) / (2 * eps)
    assert float(np.sum(g.data * v)) == pytest.approx(numeric, rel=1e-5)
    assert numeric != 0


def test_max_pooling_third_derivative_through_a_gradient_penalty():
    """§6 bug 2: Pooling2DWithIndexes had no backward. It runs once a gradient of pooling enters a
    nonlinear function (here its squared norm) that is then differentiated twice more."""
    rng = np.random.default_rng(5)
    x0 = distinct(0.05, low=-1.0)(rng, [(1, 2, 4, 4)])[0]
    u = rng.standard_normal(x0.shape)

    def second_derivative_along_u(x):
        g = dezero.grad(F.sum(F.pooling(x, 2, 2) ** 3), x, create_graph=True)
        h = dezero.grad(F.sum(g * g), x, create_graph=True)
        return F.sum(h * u)

    _directional_check(second_derivative_along_u, x0, rng)


def test_max_pooling_pads_with_minus_infinity():
    """§6 bug 4: zero padding won over negative inputs."""
    x = -np.arange(1.0, 17.0).reshape(1, 1, 4, 4)
    for f in (F.pooling, F.pooling_simple):
        y = f(x, 2, stride=2, pad=1)
        np.testing.assert_array_equal(y.data[0, 0], [[-1, -2, -4], [-5, -6, -8], [-13, -14, -16]])


def test_pooling_default_stride_is_one_as_in_the_original():
    """§6 bug 5 is kept deliberately for compatibility: the stride defaults to 1, not to the kernel size."""
    x = np.zeros((1, 1, 4, 4))
    assert F.pooling(x, 2).shape == (1, 1, 3, 3)
    assert F.average_pooling(x, 2).shape == (1, 1, 3, 3)
    assert F.pooling_simple(x, 2).shape == (1, 1, 3, 3)


def test_average_pooling_backward_with_a_rectangular_kernel():
    """§6 bug 6: the kernel height and width were swapped in the backward (IndexError)."""
    x = Variable(np.ones((1, 1, 3, 4)))
    y = F.average_pooling(x, (2, 3), stride=(1, 1))
    assert y.shape == (1, 1, 2, 2)
    y.backward()
    np.testing.assert_allclose(x.grad.data[0, 0] * 6, [[1, 2, 2, 1], [2, 4, 4, 2], [1, 2, 2, 1]])


def test_average_pooling_padding_counts_by_default_and_can_be_excluded():
    """§6 bug 7: decided to keep counting the padded zeros (as Chainer and PyTorch do) by default."""
    x = np.full((1, 1, 2, 2), 4.0)
    np.testing.assert_allclose(F.average_pooling(x, 2, stride=2, pad=1).data, np.full((1, 1, 2, 2), 1.0))
    np.testing.assert_allclose(F.average_pooling(x, 2, stride=2, pad=1, count_include_pad=False).data,
                               np.full((1, 1, 2, 2), 4.0))


def test_pooling_ties_send_the_gradient_to_one_element_and_pooling_simple_shares_it():
    x = Variable(np.ones((1, 1, 2, 2)))
    F.pooling(x, 2, 2).backward()
    np.testing.assert_array_equal(x.grad.data, [[[[1, 0], [0, 0]]]])
    x.cleargrad()
    F.pooling_simple(x, 2, 2).backward()
    np.testing.assert_array_equal(x.grad.data, np.full((1, 1, 2, 2), 0.25))


def test_conv_functions_take_a_missing_bias_and_an_int_outsize():
    x, W = np.ones((1, 2, 3, 3)), np.ones((2, 2, 3, 3))
    for b in (None, Variable(None)):
        np.testing.assert_allclose(F.conv2d(x, W, b, pad=1).data, np_conv(x, W, None, pad=1))
        np.testing.assert_allclose(F.conv2d_simple(x, W, b, pad=1).data, np_conv(x, W, None, pad=1))
        assert F.deconv2d(x, W, b, stride=2, outsize=8).shape == (1, 2, 8, 8)


def test_conv2d_computes_no_gradient_for_array_images():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 1, 5, 5))
    W, b = Variable(rng.standard_normal((3, 1, 3, 3))), Variable(rng.standard_normal(3))
    y = F.conv2d(x, W, b, pad=1)
    y.backward()
    assert y.creator.inputs[0].grad is None
    xv = Variable(x)
    W2, b2 = Variable(W.data), Variable(b.data)
    F.conv2d(xv, W2, b2, pad=1).backward()
    np.testing.assert_allclose(W.grad.data, W2.grad.data)
    np.testing.assert_allclose(b.grad.data, b2.grad.data)
    assert xv.grad is not None
