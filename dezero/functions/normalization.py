"""Normalisation: batch_norm (and the book's spelling batch_nrom) and layer_norm."""
from __future__ import annotations

from typing import TYPE_CHECKING

from dezero import cuda
from dezero.arrays import scalar
from dezero.engine import Config, Function, as_variable
from dezero.functions.reductions import mean, sum
from dezero.functions.shape import reshape

if TYPE_CHECKING:
    import numpy as np
    from dezero.engine import Variable
    from dezero.typing import Operand


class BatchNorm(Function):
    """Normalise over every axis but axis 1 (the channels), then scale by gamma and shift by beta.

    Training mode uses the batch statistics and updates the running ``mean`` and ``var`` arrays
    in place; test mode uses them. The backward recomputes the statistics from x with
    Functions, so second derivatives are exact.
    """
    keep_inputs = (0, 1)

    def __init__(self, mean, var, decay, eps):
        self.avg_mean = mean
        self.avg_var = var
        self.decay = decay
        self.eps = eps

    def forward(self, x, gamma, beta):
        xp = cuda.get_array_module(x)
        self.axis = (0,) + tuple(range(2, x.ndim))
        self.shape = (1, -1) + (1,) * (x.ndim - 2)       # gamma's shape, broadcastable to x
        self.train = Config.train
        if self.train:
            mean = x.mean(axis=self.axis, keepdims=True)
            var = x.var(axis=self.axis, keepdims=True)
            m = x.size // gamma.size
            adjust = m / (m - 1 if m - 1 > 1 else 1)        # unbiased running variance
            self.avg_mean *= self.decay
            self.avg_mean += (1 - self.decay) * mean.reshape(self.avg_mean.shape)
            self.avg_var *= self.decay
            self.avg_var += (1 - self.decay) * adjust * var.reshape(self.avg_var.shape)
        else:
            mean = self.avg_mean.astype(x.dtype).reshape(self.shape)    # copies: the running
            var = self.avg_var.astype(x.dtype).reshape(self.shape)      # arrays change later
            self.mean = mean
        self.inv_std = 1 / xp.sqrt(var + scalar(var, self.eps))
        xc = (x - mean) * self.inv_std
        return gamma.reshape(self.shape) * xc + beta.reshape(self.shape)

    def backward(self, gy):
        x, gamma, beta = self.inputs
        g = reshape(gamma, self.shape)
        if self.train:
            B = x.size // gamma.size
            xc = x - mean(x, axis=self.axis, keepdims=True)
            inv_std = (mean(xc * xc, axis=self.axis, keepdims=True) + self.eps) ** -0.5
            xhat = xc * inv_std
        else:
            inv_std = self.inv_std
            xhat = (x - self.mean) * inv_std
        gbeta = sum(gy, axis=self.axis)
        ggamma = sum(xhat * gy, axis=self.axis)
        if self.train:
            gy = gy - reshape(gbeta, self.shape) / B - xhat * reshape(ggamma, self.shape) / B
        gx = gy * g * inv_std
        return gx, reshape(ggamma, gamma.shape), reshape(gbeta, beta.shape)


def batch_norm(x: Operand, gamma: Operand, beta: Operand, mean: np.ndarray, var: np.ndarray, decay: float = 0.9,
        eps: float = 2e-05) -> Variable:
    """Batch normalisation of x (N, C) or (N, C, H, W) (any ndim >= 2; channels on axis 1).

    ``mean`` and ``var`` are the running statistics, arrays of shape (C,) updated in place in
    training mode: avg <- decay * avg + (1 - decay) * batch statistic (the variance made
    unbiased). Test mode normalises with them instead.
    """
    x, gamma, beta = as_variable(x), as_variable(gamma), as_variable(beta)
    mean, var = cuda.unwrap(mean), cuda.unwrap(var)
    if x.ndim < 2:
        raise ValueError(f'batch_norm: x must be (N, C) or (N, C, ...), got shape {x.shape}')
    C = x.shape[1]
    for name, a in (('gamma', gamma), ('beta', beta), ('mean', mean), ('var', var)):
        if a.size != C:
            raise ValueError(f'batch_norm: {name} has shape {a.shape} but x of shape {x.shape} '
                             f'has {C} channels on axis 1')
    if Config.train and x.size == 0:
        raise ValueError(f'batch_norm: x of shape {x.shape} is an empty batch; its statistics are '
                         'undefined (the running mean and variance are left unchanged)')
    return BatchNorm(mean, var, decay, eps)(x, gamma, beta)


batch_nrom = batch_norm    # the original's spelling, kept for compatibility


def layer_norm(x: Operand, gamma: Operand | None = None, beta: Operand | None = None, eps: float = 1e-05) -> Variable:
    """Normalise x over its trailing axes (those of gamma's shape; the last one without gamma),
    then scale by gamma and shift by beta. Built from Functions, so every order is exact."""
    x = as_variable(x)
    if x.ndim == 0:
        raise ValueError('layer_norm: x must have at least one axis to normalise over, got a 0-d input')
    params = [p for p in (gamma, beta) if p is not None]
    shape = as_variable(params[0]).shape if params else x.shape[-1:]
    if x.ndim < len(shape) or x.shape[x.ndim - len(shape):] != shape or \
            any(as_variable(p).shape != shape for p in params):
        raise ValueError(f'layer_norm: gamma and beta must have the shape of the trailing axes of x; '
                         f'got x {x.shape}, gamma {None if gamma is None else as_variable(gamma).shape}, '
                         f'beta {None if beta is None else as_variable(beta).shape}')
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    xc = x - mean(x, axis=axes, keepdims=True)
    y = xc * (mean(xc * xc, axis=axes, keepdims=True) + eps) ** -0.5
    if gamma is not None:
        y = y * gamma
    if beta is not None:
        y = y + beta
    return y
