"""Type aliases used in the annotations of dezero's public API (as ``numpy.typing`` is NumPy's).

The modules annotate with ``from __future__ import annotations``, so nothing here is evaluated
when dezero runs: the aliases are for readers, editors and type checkers.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Sequence, Tuple, Union

import numpy as np

if TYPE_CHECKING:
    from dezero.engine import Variable

#: What a function takes as an operand: a Variable, a NumPy (or CuPy) array or a Python number.
Operand = Union['Variable', np.ndarray, float, int]
#: A shape, or one length.
Shape = Union[int, Tuple[int, ...]]
#: Axes to reduce over: None (all), one axis or several.
Axis = Union[None, int, Sequence[int]]
#: A kernel size, stride or pad: one int for both axes, or (height, width).
Pair = Union[int, Tuple[int, int]]
#: A weight initialiser (a layer's ``init=``): None (the default), a name such as ``'he'``, or a
#: callable ``init(shape, fan_in, fan_out)`` returning an array of that shape.
Initializer = Union[None, str, Callable[[Tuple[int, ...], int, int], np.ndarray]]
