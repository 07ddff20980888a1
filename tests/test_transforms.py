"""Transforms: the array ones (Normalize's bug #26 fixed), a real RandomHorizontalFlip, and the PIL ones."""
import numpy as np
import pytest

from dezero import transforms as T


def test_compose_applies_in_order_and_empty_is_identity():
    assert T.Compose([lambda x: x + 1, lambda x: x * 2])(3) == 8
    assert T.Compose()(5) == 5
    assert T.Compose([])(5) == 5


def test_normalize_scalar_keeps_float32():
    x = np.arange(6, dtype=np.float32).reshape(1, 2, 3)
    y = T.Normalize(mean=np.float64(1.0), std=2.0)(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, (x - 1) / 2)


def test_normalize_per_channel():
    x = np.ones((3, 2, 2), dtype=np.float32)
    y = T.Normalize(mean=[0, 1, 2], std=(1, 2, 4))(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y[:, 0, 0], [1, 0, -0.25])


def test_normalize_one_element_sequence():
    """Bug #26: a 1-element mean or std raised ValueError."""
    x = np.full((1, 28, 28), 3.0, dtype=np.float32)
    y = T.Normalize(mean=[1.0], std=[2.0])(x)
    assert y.shape == (1, 28, 28)
    np.testing.assert_allclose(y, 1.0)
    z = T.Normalize(mean=(0.5,), std=(0.5,))(np.ones((3, 4, 4), dtype=np.float32))
    np.testing.assert_allclose(z, 1.0)


def test_normalize_integer_images_gives_floats():
    y = T.Normalize(0., 255.)(np.array([0, 255], dtype=np.uint8))
    np.testing.assert_allclose(y, [0, 1])


def test_flatten_astype_toint():
    x = np.arange(6, dtype=np.uint8).reshape(2, 3)
    assert T.Flatten()(x).shape == (6,)
    assert T.AsType()(x).dtype == np.float32
    assert T.ToFloat is T.AsType
    assert T.ToInt()(np.array([1.7, -2.2])).tolist() == [1, -2]
    assert T.AsType(np.float64)(x).dtype == np.float64


def test_random_horizontal_flip_on_arrays():
    x = np.arange(12).reshape(1, 3, 4)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(x), x[:, :, ::-1])
    assert T.RandomHorizontalFlip(p=0.0)(x) is x
    np.random.seed(0)
    flips = [T.RandomHorizontalFlip()(x)[0, 0, 0] == 3 for _ in range(400)]
    assert 150 < sum(flips) < 250


def test_pil_transforms():
    Image = pytest.importorskip('PIL.Image')
    rgb = np.zeros((4, 6, 3), dtype=np.uint8)
    rgb[..., 0] = 10
    rgb[..., 2] = 200
    rgb[:, 0, 1] = 77                       # the left column is marked
    img = Image.fromarray(rgb)

    bgr = T.Convert('BGR')(img)
    assert np.asarray(bgr)[0, 1].tolist() == [200, 0, 10]
    assert T.Convert('L')(img).mode == 'L'

    assert T.Resize(8)(img).size == (8, 8)
    assert T.Resize((3, 2))(img).size == (3, 2)

    crop = T.CenterCrop((3, 2))(img)
    assert crop.size == (3, 2)

    arr = T.ToArray()(img)
    assert arr.shape == (3, 4, 6) and arr.dtype == np.float32
    assert arr[1, 0, 0] == 77
    assert T.ToArray()(arr) is arr
    assert T.ToArray()(T.Convert('L')(img)).shape == (1, 4, 6)
    with pytest.raises(TypeError, match='ToArray takes'):
        T.ToArray()([1, 2])

    back = T.ToPIL()(arr.astype(np.uint8))
    assert back.size == (6, 4)
    flipped = T.RandomHorizontalFlip(p=1.0)(img)
    assert np.asarray(flipped)[0, -1, 1] == 77


def test_center_crop_puts_odd_remainders_right_and_bottom():
    Image = pytest.importorskip('PIL.Image')
    img = Image.fromarray(np.arange(25, dtype=np.uint8).reshape(5, 5))
    assert np.asarray(T.CenterCrop(2)(img)).tolist() == [[6, 7], [11, 12]]
