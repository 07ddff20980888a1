"""dezero.functions.noise: dropout; specs with the mask drawn from a seeded generator (the function
and the reference draw the same one), a fixed mask, and test mode; the original's draw and scaling."""
import numpy as np
import pytest

import dezero
import dezero.functions as F
from dezero import Variable, cuda
from harness import OpSpec, make_tests, on_device_of

UNARY = [((),), ((3,),), ((2, 3),), ((2, 3, 4),)]
SEED, RATIO = 7, 0.3
_DEVICE = {}


def _seeded_dropout(x):
    """dropout with the generator of x's device seeded first: the same mask at every call."""
    xp = cuda.get_array_module(x.data)
    _DEVICE['xp'] = xp
    xp.random.seed(SEED)
    return F.dropout(x, dropout_ratio=RATIO)


def _np_dropout(x):
    """The original's inverted dropout: keep where rand(*x.shape) > ratio, scale by 1 / (1 - ratio).
    The uniform draws come from the generator the function used (NumPy's, or CuPy's on the GPU)."""
    xp = _DEVICE['xp']
    xp.random.seed(SEED)
    keep = cuda.as_numpy(xp.asarray(xp.random.rand(*x.shape))) > RATIO
    return np.where(keep, x / x.dtype.type(1 - RATIO), x.dtype.type(0))


MASK = np.array([[2.0, 0.0, 2.0], [0.0, 0.0, 2.0]])


def _in_test_mode(x):
    with dezero.test_mode():
        return F.dropout(x)


SPECS = [
    OpSpec('dropout', _seeded_dropout, _np_dropout, UNARY, cases={
        'Dropout(fixed mask)': dict(func=lambda x: F.Dropout(on_device_of(x, MASK.astype(x.dtype)))(x),
                                    reference=lambda a: a * MASK, shapes=[((2, 3),)]),
        'test mode': dict(func=_in_test_mode, reference=lambda a: a, shapes=UNARY[:3])}),
]

globals().update(make_tests(SPECS))


def test_dropout_is_the_identity_in_test_mode():
    x = Variable(np.ones((2, 3)))
    with dezero.test_mode():
        assert F.dropout(x) is x


def test_dropout_draws_the_originals_mask_and_scales_the_kept_elements():
    x = Variable(np.arange(1.0, 1001.0, dtype=np.float32))
    np.random.seed(3)
    y = F.dropout(x, dropout_ratio=0.3)
    np.random.seed(3)
    keep = np.random.rand(1000) > 0.3
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.data, np.where(keep, x.data / np.float32(0.7), 0), rtol=1e-6)
    y.backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.data, keep / np.float32(0.7), rtol=1e-6)
    assert 600 < keep.sum() < 800


def test_dropout_of_a_0d_input():
    """Regression: np.random.rand() with no shape returns a Python float, which has no astype."""
    np.random.seed(0)
    y = F.dropout(Variable(np.array(2.0, dtype=np.float32)), 0.5)
    assert y.shape == () and y.dtype == np.float32
    np.random.seed(0)
    assert float(y.data) == (4.0 if np.random.rand() > 0.5 else 0.0)


def test_dropout_rejects_a_ratio_outside_0_1():
    with pytest.raises(ValueError, match='dropout_ratio'):
        F.dropout(np.ones(3), 1.0)
