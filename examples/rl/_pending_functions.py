"""Functions of the chapter-10 RL examples that belong in ``dezero.functions`` (pending the move).

dezero has no dedicated function for these yet; each is written here as a composition of
existing dezero functions, so that backprop (and double backprop) come for free. When they
move into ``dezero.functions`` with their spec, tests and docs, the examples' imports
``from examples.rl._pending_functions import ...`` become ``dezero.functions``. Each docstring
gives the NumPy reference and the derivative that the composition produces.

Already in dezero and used as they are: ``F.minimum`` (the gradient goes to the smaller input),
``F.clip`` (zero gradient outside [x_min, x_max]), ``F.log_softmax``, ``F.softmax``.
"""
import math

import numpy as np

import dezero.functions as F
from dezero import as_variable

LOG_2PI = math.log(2 * math.pi)


def _check_rows(name, x, t):
    if x.ndim != 2:
        raise ValueError(f'{name}: x must be 2-D (batch, classes), got shape {x.shape}')
    t = np.asarray(t)
    if t.shape != (x.shape[0],) or t.dtype.kind not in 'iu':
        raise ValueError(f'{name}: t must hold one integer index per row of x, shape ({x.shape[0]},); '
                         f'got shape {t.shape} and dtype {t.dtype}')
    if t.size and (t.min() < 0 or t.max() >= x.shape[1]):
        raise IndexError(f'{name}: t must lie in [0, {x.shape[1]}), got values from {t.min()} to {t.max()}')
    return t


def select_item(x, t):
    """One value per row: ``y[i] = x[i, t[i]]`` (Chainer's ``F.select_item``; PyTorch's ``gather``).

    NumPy reference: ``x[np.arange(len(t)), t]``, shape (N,). Derivative: dy[i]/dx[i, j] = 1 if
    j == t[i] else 0, so gx is zero but for gx[i, t[i]] = gy[i]. ``t`` is an integer array and
    gets no gradient. Used for Q(s, a) in DQN and log pi(a|s) in policy gradients.
    """
    x = as_variable(x)
    t = _check_rows('select_item', x, t)
    return F.get_item(x, (np.arange(len(t)), t))


def categorical_log_prob(logits, t):
    """log pi(t | logits) of a softmax policy, one value per row: ``log_softmax(logits)[i, t[i]]``.

    NumPy reference: ``z = logits - logits.max(1, keepdims=True);
    (z - np.log(np.exp(z).sum(1, keepdims=True)))[np.arange(N), t]``. Derivative:
    d/dlogits[i, j] = [j == t[i]] - softmax(logits)[i, j]. Computed from the logits through
    ``log_softmax`` rather than as ``log(softmax(.))``, so it stays finite when a probability
    underflows.
    """
    return select_item(F.log_softmax(logits, axis=1), t)


def categorical_entropy(logits):
    """Entropy of each row's softmax distribution: ``H[i] = -sum_j p[i, j] log p[i, j]``.

    NumPy reference: ``p = softmax(logits); -(p * log_softmax(logits)).sum(axis=1)``, shape (N,).
    Derivative: dH[i]/dlogits[i, j] = -p[i, j] (log p[i, j] + H[i]). Maximal (log K) for a
    uniform distribution; PPO and A2C add it to the objective to keep exploring.
    """
    logits = as_variable(logits)
    if logits.ndim != 2:
        raise ValueError(f'categorical_entropy: logits must be 2-D (batch, classes), got shape {logits.shape}')
    return -F.sum(F.softmax(logits, axis=1) * F.log_softmax(logits, axis=1), axis=1)


def gaussian_log_prob(x, mean, log_std):
    """log N(x | mean, diag(exp(log_std)^2)), summed over the last axis (the action's dimensions).

    NumPy reference: ``(-0.5 * ((x - mean) / np.exp(log_std)) ** 2 - log_std - 0.5 * np.log(2 * np.pi)).sum(-1)``;
    ``log_std`` broadcasts against ``mean`` (one learned value per dimension, as in PPO).
    Derivatives, with z = (x - mean) / std: d/dmean = z / std, d/dlog_std = z^2 - 1, d/dx = -z / std.
    """
    x, mean, log_std = as_variable(x), as_variable(mean), as_variable(log_std)
    if x.shape != mean.shape:
        raise ValueError(f'gaussian_log_prob: x and mean must have the same shape, got {x.shape} and {mean.shape}')
    z = (x - mean) * F.exp(-log_std)
    return F.sum(-0.5 * z ** 2 - log_std - 0.5 * LOG_2PI, axis=-1)


def gaussian_entropy(log_std):
    """Entropy of a diagonal Gaussian, summed over the last axis: ``sum(log_std + 0.5 log(2 pi e))``.

    NumPy reference: ``(log_std + 0.5 * (1 + np.log(2 * np.pi))).sum(-1)``. Derivative: 1 for each
    element of ``log_std``; it does not depend on the mean.
    """
    log_std = as_variable(log_std)
    return F.sum(log_std + 0.5 * (1 + LOG_2PI), axis=-1)
