"""Argument checks for the public entry points: each error names the owner, the argument and the bad value.

A bottom module (it imports NumPy only), so that layers, models, optimizers, data loaders and
datasets share one wording. ``owner`` is what the user called, e.g. ``'Linear'`` or ``'SGD'``.
"""
import math
import numbers

import numpy as np


def _shown(value):
    """``value`` as the error shows it: its repr (shortened) and, for non-numbers, its type."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + '...'
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return text
    return f'{text} ({type(value).__name__})'


def is_int(value):
    """True for Python and NumPy integers, False for bools, floats and everything else."""
    return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, (bool, np.bool_))


def positive_int(owner, name, value):
    """``value`` as an int if it is an integer >= 1; else TypeError (not an int) or ValueError (< 1)."""
    if not is_int(value):
        raise TypeError(f'{owner}: {name} must be a positive int, got {_shown(value)}')
    if value < 1:
        raise ValueError(f'{owner}: {name} must be a positive int, got {value}')
    return int(value)


def real(owner, name, value, low=None, high=None, low_open=False, high_open=False):
    """``value`` itself if it is a finite real number in the interval; else TypeError or ValueError.

    ``low``/``high`` bound the interval (None: unbounded), ``*_open`` excludes the bound. Bools,
    strings, arrays with more than one element and NaN or infinity are refused.
    """
    number = value
    if isinstance(value, np.ndarray) and value.ndim == 0:
        number = value.item()
    if (isinstance(number, (bool, np.bool_)) or not isinstance(number, (numbers.Real, np.floating, np.integer))):
        raise TypeError(f'{owner}: {name} must be a real number, got {_shown(value)}')
    if not math.isfinite(float(number)):
        raise ValueError(f'{owner}: {name} must be a finite number, got {value}')
    too_low = low is not None and (number <= low if low_open else number < low)
    too_high = high is not None and (number >= high if high_open else number > high)
    if too_low or too_high:
        raise ValueError(f'{owner}: {name} must be {_interval(low, high, low_open, high_open)}, got {value}')
    return value


def _interval(low, high, low_open, high_open):
    if high is None:
        return f'{">" if low_open else ">="} {low:g}'
    if low is None:
        return f'{"<" if high_open else "<="} {high:g}'
    return f'in {"(" if low_open else "["}{low:g}, {high:g}{")" if high_open else "]"}'


def callable_or_none(owner, name, value):
    """``value`` if it is None or callable; else TypeError."""
    if value is not None and not callable(value):
        raise TypeError(f'{owner}: {name} must be callable (a function or a transform object) or None, '
                        f'got {_shown(value)}')
    return value
