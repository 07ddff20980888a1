"""Preprocessing callables for datasets: ``Compose``, PIL image transforms and array transforms.

Pillow is imported only by the transforms that handle images, when they run.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from dezero.utils import pair

if TYPE_CHECKING:
    from numpy.typing import DTypeLike


def _pil_image():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError('this transform needs Pillow: pip install pillow') from None
    return Image


class Compose:
    """Apply ``transforms`` in order; an empty list is the identity."""

    def __init__(self, transforms: Sequence[Callable] | None = None) -> None:
        self.transforms = [] if transforms is None else list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img


# =============================================================================
# Transforms for PIL images
# =============================================================================
class Convert:
    """``img.convert(mode)``; mode ``'BGR'`` gives an RGB image with its channels in B, G, R order."""

    def __init__(self, mode: str = 'RGB') -> None:
        self.mode = mode

    def __call__(self, img):
        if self.mode == 'BGR':
            img = img.convert('RGB')
            r, g, b = img.split()
            return _pil_image().merge('RGB', (b, g, r))
        return img.convert(self.mode)


class Resize:
    """Resize to ``size`` (an int for a square, or (width, height)); ``mode`` is the resampling filter."""

    def __init__(self, size: int | tuple[int, int], mode: int | None = None) -> None:
        self.size = pair(size)
        self.mode = mode

    def __call__(self, img):
        mode = _pil_image().BILINEAR if self.mode is None else self.mode
        return img.resize(self.size, mode)


class CenterCrop:
    """Crop the centre ``size`` (an int or (width, height)); odd remainders go right and bottom."""

    def __init__(self, size: int | tuple[int, int]) -> None:
        self.size = pair(size)

    def __call__(self, img):
        W, H = img.size
        OW, OH = self.size
        left = (W - OW) // 2
        up = (H - OH) // 2
        return img.crop((left, up, left + OW, up + OH))


class ToArray:
    """A PIL image to a CHW array of ``dtype``; arrays pass through unchanged."""

    def __init__(self, dtype: DTypeLike = np.float32) -> None:
        self.dtype = dtype

    def __call__(self, img):
        if isinstance(img, np.ndarray):
            return img
        if hasattr(img, 'getbands'):      # a PIL image
            img = np.asarray(img)
            if img.ndim == 2:             # one band: CHW with C = 1
                img = img[:, :, np.newaxis]
            return img.transpose(2, 0, 1).astype(self.dtype)
        raise TypeError(f'ToArray takes a PIL image or an ndarray, got {type(img).__name__}')


class ToPIL:
    """A CHW array to a PIL image."""

    def __call__(self, array):
        data = array.transpose(1, 2, 0)
        if data.shape[2] == 1:
            data = data[:, :, 0]
        return _pil_image().fromarray(data)


class RandomHorizontalFlip:
    """Mirror left-right with probability ``p`` (a PIL image, or an array whose last axis is the width)."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def __call__(self, img):
        if np.random.rand() >= self.p:
            return img
        if isinstance(img, np.ndarray):
            return img[..., ::-1].copy()
        Image = _pil_image()
        flip = getattr(Image, 'Transpose', Image).FLIP_LEFT_RIGHT
        return img.transpose(flip)


# =============================================================================
# Transforms for ndarrays
# =============================================================================
class Normalize:
    """(array - mean) / std; a sequence of means or stds applies one per entry of axis 0 (channels)."""

    def __init__(self, mean: float | Sequence[float] | np.ndarray = 0,
                 std: float | Sequence[float] | np.ndarray = 1) -> None:
        self.mean = mean
        self.std = std

    def _per_channel(self, value, array):
        dtype = array.dtype if array.dtype.kind == 'f' else np.float64
        if np.isscalar(value):
            return np.dtype(dtype).type(value)
        value = np.asarray(value, dtype=dtype)
        if value.ndim == 0:
            return value
        shape = [1] * array.ndim
        shape[0] = len(value)       # a 1-element sequence broadcasts (the original used len(array))
        return value.reshape(*shape)

    def __call__(self, array):
        return (array - self._per_channel(self.mean, array)) / self._per_channel(self.std, array)


class Flatten:
    """``array.flatten()``."""

    def __call__(self, array):
        return array.flatten()


class AsType:
    """``array.astype(dtype)``."""

    def __init__(self, dtype: DTypeLike = np.float32) -> None:
        self.dtype = dtype

    def __call__(self, array):
        return array.astype(self.dtype)


ToFloat = AsType


class ToInt(AsType):
    """``array.astype(int)`` by default."""

    def __init__(self, dtype: DTypeLike = int) -> None:
        self.dtype = dtype
