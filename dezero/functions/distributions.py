"""Log-probabilities and entropies of the policies of reinforcement learning: a categorical
distribution given by logits (softmax over axis 1) and a diagonal Gaussian given by its mean and
log standard deviation. Each is written with other functions of this package, so it can be
differentiated again (the second derivatives of policy-gradient objectives come for free).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from dezero.engine import Variable, as_variable
from dezero.functions.activations import log_softmax
from dezero.functions.elementwise import exp
from dezero.functions.reductions import sum
from dezero.functions.shape import _select_item

if TYPE_CHECKING:
    from dezero.typing import Operand

LOG_2PI = math.log(2 * math.pi)


def _logits(name, logits):
    logits = as_variable(logits)
    if logits.ndim != 2:
        raise ValueError(f'{name}: logits must be 2-D (N, C), one row of class scores per example; '
                         f'got shape {logits.shape}')
    return logits


def categorical_log_prob(logits: Operand, t: Operand) -> Variable:
    """log softmax(logits)[n, t[n]]: the log-probability of action ``t[n]`` under row n's softmax.

    ``logits`` is (N, C), ``t`` integer of shape (N,) or (N, 1); the result is (N,). The derivative
    by logits[n, j] is [j == t[n]] - softmax(logits)[n, j]. Computed through ``log_softmax``, so it
    stays finite where a probability underflows (``log(softmax(x))`` would give -inf).
    """
    return _select_item('categorical_log_prob', log_softmax(_logits('categorical_log_prob', logits), axis=1), t)


def categorical_entropy(logits: Operand) -> Variable:
    """The entropy -sum_j p[n, j] log p[n, j] of each row's softmax p, shape (N,) for logits (N, C).

    Largest (log C) for equal logits; A2C and PPO add it to the objective to keep exploring.
    The derivative by logits[n, j] is -p[n, j] (log p[n, j] + H[n]).
    """
    log_p = log_softmax(_logits('categorical_entropy', logits), axis=1)
    return -sum(exp(log_p) * log_p, axis=1)


def gaussian_log_prob(x: Operand, mean: Operand, log_std: Operand) -> Variable:
    """log N(x | mean, diag(exp(log_std) ** 2)), summed over the last axis (an action's dimensions).

    ``x`` and ``mean`` have one shape (..., D); ``log_std`` has that shape or broadcasts to it (one
    learned value per dimension, as in PPO). The result has shape (...). With z = (x - mean) / std,
    the derivatives are z / std by mean, z ** 2 - 1 by log_std and -z / std by x.
    """
    x, mean, log_std = as_variable(x), as_variable(mean), as_variable(log_std)
    if x.shape != mean.shape or x.ndim == 0:
        raise ValueError(f'gaussian_log_prob: x and mean must have one shape (..., D), got {x.shape} '
                         f'and {mean.shape}')
    if log_std.ndim > mean.ndim or any(s not in (1, m) for s, m in zip(log_std.shape[::-1], mean.shape[::-1])):
        raise ValueError(f'gaussian_log_prob: log_std of shape {log_std.shape} does not broadcast to '
                         f"the mean's shape {mean.shape}")
    z = (x - mean) * exp(-log_std)
    return sum(-0.5 * z ** 2 - log_std - 0.5 * LOG_2PI, axis=-1)


def gaussian_entropy(log_std: Operand) -> Variable:
    """The entropy of a diagonal Gaussian, sum(log_std + (1 + log 2 pi) / 2) over the last axis.

    ``log_std`` is (..., D), the result (...); it does not depend on the mean, and its derivative
    by each log_std is 1.
    """
    log_std = as_variable(log_std)
    if log_std.ndim == 0:
        raise ValueError('gaussian_entropy: log_std must have an axis of dimensions (..., D), got a 0-d array')
    return sum(log_std + 0.5 * (1 + LOG_2PI), axis=-1)
