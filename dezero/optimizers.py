"""Optimizers, their hooks and learning-rate schedules.

``optimizer = SGD(lr).setup(model)``; after ``loss.backward()``, ``optimizer.update()``
updates every parameter that has a gradient, in place (a float32 parameter stays
float32). Hooks (``add_hook``) see the list of those parameters first and may edit
their gradients. ``state_dict()`` / ``load_state_dict()`` (or ``save_state`` /
``load_state`` for a file) let training resume exactly where it stopped.

>>> from dezero import optimizers
>>> optimizer = optimizers.SGD(lr=1.0)
>>> scheduler = optimizers.StepLR(optimizer, step_size=2, gamma=0.5)
>>> for epoch in range(5):
...     print(epoch, optimizer.lr)        # train one epoch here, then:
...     scheduler.step()
0 1.0
1 1.0
2 0.5
3 0.5
4 0.25
"""
from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Any, Callable, Mapping

import numpy as np

from dezero import cuda, utils
from dezero._checks import is_int, positive_int, real
from dezero.engine import Parameter

if TYPE_CHECKING:
    from typing_extensions import Self

    from dezero.layers import Layer


# The allowed values of each hyperparameter, checked whenever one is set (in __init__, by a later
# assignment such as ``optimizer.lr = 0.01``, by a scheduler, by load_state_dict):
# (low, high, low excluded, high excluded); None means unbounded.
_RULES = {
    'lr': (0, None, False, False),
    'alpha': (0, None, False, False),
    'eps': (0, None, False, False),
    'weight_decay': (0, None, False, False),
    'momentum': (0, 1, False, True),
    'beta1': (0, 1, False, True),
    'beta2': (0, 1, False, True),
    'rho': (0, 1, False, True),
    'decay_rate': (0, 1, False, True),
}


def _check_rule(owner, name, value):
    low, high, low_open, high_open = _RULES[name]
    return real(owner, name, value, low, high, low_open, high_open)


# =============================================================================
# Optimizer (base class)
# =============================================================================
class Optimizer:
    """Base class: subclasses define ``update_one(param)``.

    Per-parameter state lives in the dicts named in ``_state_names`` (keyed by
    ``id(param)``, as in the original); ``_hyperparams`` are the numbers saved by
    ``state_dict``; ``_lr_name`` is the attribute that schedulers drive.
    """
    _state_names = ()
    _hyperparams = ('lr',)
    _lr_name = 'lr'
    schedulers = ()       # the learning-rate schedulers attached, in the order they were made

    def __init__(self) -> None:
        self.target = None
        self.hooks = []

    def __setattr__(self, name, value):
        if name in _RULES:
            if name == 'lr' and isinstance(getattr(type(self), 'lr', None), property) \
                    and type(self).lr.fset is None:
                raise AttributeError(f'{type(self).__name__}: lr is computed from {self._lr_name} and the '
                                     f'step count; set {self._lr_name} instead')
            _check_rule(type(self).__name__, name, value)
        object.__setattr__(self, name, value)

    def setup(self, target: Layer) -> Self:
        """Optimise the parameters of ``target`` (a Layer or Model); returns self for chaining."""
        if not callable(getattr(target, 'params', None)):
            raise TypeError(f'{type(self).__name__}.setup: target must be a Layer or Model (something with '
                            f'a params() method), got {type(target).__name__}')
        self.target = target
        return self

    def _params(self):
        if self.target is None:
            raise RuntimeError(f'{type(self).__name__}: call setup(model) before update()')
        return list(self.target.params())

    def update(self) -> None:
        """Run the hooks, then update each parameter that has a gradient (and still has one after the hooks)."""
        # backward never gives two parameters one gradient array, so in-place updates are safe
        params, seen = [], set()
        for p in self._params():
            if p.grad is not None and id(p) not in seen:
                seen.add(id(p))
                params.append(p)

        for f in self.hooks:
            f(params)

        for param in params:
            if param.grad is not None:      # FreezeParam clears gradients
                self.update_one(param)

    def update_one(self, param: Parameter) -> None:
        raise NotImplementedError()

    def add_hook(self, f: Callable[[list[Parameter]], None]) -> None:
        self.hooks.append(f)

    # ---- learning rate ------------------------------------------------------
    @property
    def base_lr(self) -> float:
        """The learning rate a scheduler drives (``lr``, or ``alpha`` for Adam and AdamW)."""
        if self._lr_name is None:
            raise TypeError(f'{type(self).__name__} has no learning rate to schedule')
        return getattr(self, self._lr_name)

    @base_lr.setter
    def base_lr(self, value: float) -> None:
        if self._lr_name is None:
            raise TypeError(f'{type(self).__name__} has no learning rate to schedule')
        setattr(self, self._lr_name, value)

    # ---- state --------------------------------------------------------------
    def _param_names(self):
        """{id(param): name}: the model's paths (``l0/W``), or positions for other targets."""
        names = {}
        if hasattr(self.target, 'named_params'):
            items = self.target.named_params()
        else:
            items = ((f'p{i}', p) for i, p in enumerate(self.target.params()))
        for name, p in items:
            names.setdefault(id(p), name)
        return names

    def state_dict(self) -> dict[str, Any]:
        """A flat dict of NumPy arrays: the hyperparameters, counters and per-parameter state.

        Keys are ``lr`` (each hyperparameter), ``t`` (Adam's counter) and
        ``<state>/<parameter path>`` such as ``vs/l0/W``; ``np.savez`` can store it as is.
        """
        state = {name: np.asarray(getattr(self, name)) for name in self._hyperparams}
        if hasattr(self, 't'):
            state['t'] = np.asarray(self.t)
        if self._state_names:
            names = self._param_names()
            for sname in self._state_names:
                for key, array in getattr(self, sname).items():
                    if key in names:
                        state[f'{sname}/{names[key]}'] = cuda.as_numpy(array).copy()
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what ``state_dict`` returned; call after ``setup(model)`` on a model of the same structure.

        All or nothing: the hyperparameters (known names, allowed values), the counter, the state
        names, the parameter paths and each array's shape and dtype are checked first; any problem
        raises CheckpointError listing them all, and the optimizer is left as it was. Arrays go to the
        device of their parameter.
        """
        name = type(self).__name__
        if not isinstance(state, dict):
            raise TypeError(f'{name}.load_state_dict: state must be a dict, got {type(state).__name__}')
        if self.target is None and any('/' in k for k in state):
            raise RuntimeError(f'{name}: call setup(model) before load_state_dict()')
        params = {}
        if self.target is not None and self._state_names:
            by_id = {id(p): p for p in self.target.params()}
            params = {pname: by_id[i] for i, pname in self._param_names().items()}

        by_pid = {id(p): p for p in params.values()}
        problems, hyper, tables = [], {}, {sname: {} for sname in self._state_names}
        for key, value in state.items():
            if '/' not in key:
                if key == 't' and hasattr(self, 't'):
                    t = _python_number(value)
                    if not is_int(t) or t < 0:
                        problems.append(f't must be a non-negative int, got {t!r}')
                    else:
                        hyper['t'] = int(t)
                elif key in self._hyperparams:
                    try:
                        hyper[key] = _check_rule(name, key, _python_number(value)) if key in _RULES \
                            else _python_number(value)
                    except (TypeError, ValueError) as e:
                        problems.append(str(e).split(': ', 1)[1])
                else:
                    problems.append(f'unknown hyperparameter {key!r} (this optimizer has '
                                    f'{", ".join(self._hyperparams)})')
                continue
            sname, pname = key.split('/', 1)
            if sname not in self._state_names:
                problems.append(f'no state named {sname!r} (in {key}); {name} keeps '
                                f'{", ".join(self._state_names) or "no per-parameter state"}')
                continue
            if pname not in params:
                problems.append(f'{key}: the model has no parameter {pname}')
                continue
            p = params[pname]
            if not (hasattr(value, 'dtype') and hasattr(value, 'shape')) or value.dtype.kind not in 'biuf':
                problems.append(f'{key}: not an array of numbers ({getattr(value, "dtype", type(value).__name__)})')
                continue
            if p.data is not None and tuple(value.shape) != tuple(p.data.shape):
                problems.append(f'{key}: shape {tuple(value.shape)}, but the parameter is {tuple(p.data.shape)}')
                continue
            tables[sname][id(p)] = value
        if problems:
            raise utils.CheckpointError(f'{name}: cannot load this optimizer state: ' + '; '.join(problems))

        for key, value in hyper.items():           # everything checked: now assign it all
            object.__setattr__(self, key, value)
        for sname, entries in tables.items():
            table = getattr(self, sname)
            table.clear()
            for pid, array in entries.items():
                array = np.array(cuda.as_numpy(array))
                table[pid] = cuda.as_cupy(array) if cuda.is_cupy_array(by_pid[pid].data) else array

    def save_state(self, path: str | os.PathLike) -> str:
        """Save ``state_dict()`` to the ``.npz`` file ``path``, atomically."""
        path = os.fspath(path)
        if not path.endswith('.npz'):
            path += '.npz'
        with utils.atomic_write(path) as tmp:
            with open(tmp, 'wb') as f:
                np.savez(f, **self.state_dict())
        return path

    def load_state(self, path: str | os.PathLike) -> None:
        """Load a file written by ``save_state``, all or nothing.

        An empty, truncated or corrupt file, or a state that does not fit, raises CheckpointError
        naming the file; the optimizer is then unchanged.
        """
        path = os.fspath(path)
        if not os.path.exists(path) and os.path.exists(path + '.npz'):
            path += '.npz'
        state = utils.read_npz(path, 'optimizer-state file')
        try:
            self.load_state_dict(state)
        except utils.CheckpointError as e:
            raise utils.CheckpointError(f'{path}: {e}') from None


def _python_number(a):
    a = np.asarray(a)
    return a.item() if a.ndim == 0 else a


def _slot(table, param):
    """The state array of ``param`` in ``table``, created as zeros on first use."""
    key = id(param)
    if key not in table:
        table[key] = cuda.get_array_module(param.data).zeros_like(param.data)
    return table[key]


# =============================================================================
# Hooks: called with the list of parameters about to be updated
# =============================================================================
class WeightDecay:
    """Add ``rate * W`` to each gradient: the same as adding (rate / 2) * sum(W^2) to the loss."""

    def __init__(self, rate: float) -> None:
        self.rate = rate

    def __setattr__(self, name, value):
        if name == 'rate':
            real('WeightDecay', 'rate', value, low=0)
        object.__setattr__(self, name, value)

    def __call__(self, params: list[Parameter]) -> None:
        for param in params:
            if param.grad is not None:
                param.grad.data += self.rate * param.data


class ClipGrad:
    """Scale all gradients together so that their global L2 norm is at most ``max_norm``."""

    def __init__(self, max_norm: float) -> None:
        self.max_norm = max_norm

    def __setattr__(self, name, value):
        if name == 'max_norm':        # 0 or less would flip the sign of every gradient
            real('ClipGrad', 'max_norm', value, low=0, low_open=True)
        object.__setattr__(self, name, value)

    def __call__(self, params: list[Parameter]) -> None:
        grads = [p.grad.data for p in params if p.grad is not None]
        total_norm = math.sqrt(sum(float((g * g).sum()) for g in grads))
        rate = self.max_norm / (total_norm + 1e-6)
        if rate < 1:
            for g in grads:
                g *= rate


class FreezeParam:
    """Keep the given layers' (or parameters') weights fixed: their gradients are dropped before the update."""

    def __init__(self, *layers: Layer) -> None:
        self.freeze_params = []
        for layer in layers:
            if isinstance(layer, Parameter):
                self.freeze_params.append(layer)
            else:
                self.freeze_params.extend(layer.params())

    def __call__(self, params: list[Parameter]) -> None:
        for p in self.freeze_params:
            p.grad = None


# =============================================================================
# Optimizers
# =============================================================================
class SGD(Optimizer):
    """W -= lr * g."""

    def __init__(self, lr: float = 0.01) -> None:
        super().__init__()
        self.lr = lr

    def update_one(self, param: Parameter) -> None:
        _subtract_scaled(param.data, self.lr, param.grad.data)


_PIECE = 1 << 16      # elements: 256 KiB of float32, well inside the L2 cache


def _subtract_scaled(p, a, g):
    """``p -= a * g`` in place. A big array goes through in cache-sized pieces, so the product
    never fills an array-sized temporary in main memory (1.5x faster for a 1000 x 1000 weight)."""
    if (p.size <= _PIECE or p.__class__ is not np.ndarray or g.__class__ is not np.ndarray
            or p.shape != g.shape or not (p.flags.c_contiguous and g.flags.c_contiguous)):
        p -= a * g
        return
    p, g = p.reshape(-1), g.reshape(-1)
    for i in range(0, p.size, _PIECE):
        p[i:i + _PIECE] -= a * g[i:i + _PIECE]


class MomentumSGD(Optimizer):
    """v = momentum * v - lr * g;  W += v."""
    _state_names = ('vs',)
    _hyperparams = ('lr', 'momentum')

    def __init__(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        super().__init__()
        self.lr = lr
        self.momentum = momentum
        self.vs = {}

    def update_one(self, param: Parameter) -> None:
        v = _slot(self.vs, param)
        v *= self.momentum
        v -= self.lr * param.grad.data
        param.data += v


class Nesterov(MomentumSGD):
    """Nesterov's accelerated gradient: v = momentum * v - lr * g;  W += momentum * v - lr * g.

    The standard form (Sutskever et al., 2013; the same update as PyTorch's ``SGD(nesterov=True)``).
    """

    def update_one(self, param: Parameter) -> None:
        v = _slot(self.vs, param)
        g = param.grad.data
        v *= self.momentum
        v -= self.lr * g
        param.data += self.momentum * v - self.lr * g


class AdaGrad(Optimizer):
    """h += g^2;  W -= lr * g / (sqrt(h) + eps)."""
    _state_names = ('hs',)
    _hyperparams = ('lr', 'eps')

    def __init__(self, lr: float = 0.001, eps: float = 1e-8) -> None:
        super().__init__()
        self.lr = lr
        self.eps = eps
        self.hs = {}

    def update_one(self, param: Parameter) -> None:
        xp = cuda.get_array_module(param.data)
        h = _slot(self.hs, param)
        grad = param.grad.data
        h += grad * grad
        param.data -= self.lr * grad / (xp.sqrt(h) + self.eps)


class AdaDelta(Optimizer):
    """AdaGrad with decaying averages and unit correction; it has no learning rate."""
    _state_names = ('msg', 'msdx')
    _hyperparams = ('rho', 'eps')
    _lr_name = None

    def __init__(self, rho: float = 0.95, eps: float = 1e-6) -> None:
        super().__init__()
        self.rho = rho
        self.eps = eps
        self.msg = {}
        self.msdx = {}

    def update_one(self, param: Parameter) -> None:
        xp = cuda.get_array_module(param.data)
        msg = _slot(self.msg, param)
        msdx = _slot(self.msdx, param)
        rho, eps = self.rho, self.eps
        grad = param.grad.data

        msg *= rho
        msg += (1 - rho) * grad * grad
        dx = xp.sqrt((msdx + eps) / (msg + eps)) * grad
        msdx *= rho
        msdx += (1 - rho) * dx * dx
        param.data -= dx


class RMSProp(Optimizer):
    """h = decay_rate * h + (1 - decay_rate) * g^2;  W -= lr * g / (sqrt(h) + eps) (the book's, vol. 1)."""
    _state_names = ('hs',)
    _hyperparams = ('lr', 'decay_rate', 'eps')

    def __init__(self, lr: float = 0.01, decay_rate: float = 0.99, eps: float = 1e-7) -> None:
        super().__init__()
        self.lr = lr
        self.decay_rate = decay_rate
        self.eps = eps
        self.hs = {}

    def update_one(self, param: Parameter) -> None:
        xp = cuda.get_array_module(param.data)
        h = _slot(self.hs, param)
        grad = param.grad.data
        h *= self.decay_rate
        h += (1 - self.decay_rate) * grad * grad
        param.data -= self.lr * grad / (xp.sqrt(h) + self.eps)


RMSprop = RMSProp


class Adam(Optimizer):
    """Adam as in the original (Chainer's form): the step size ``lr`` carries the bias correction.

    m += (1 - beta1)(g - m);  v += (1 - beta2)(g^2 - v);  W -= lr * m / (sqrt(v) + eps), with
    ``lr = alpha * sqrt(1 - beta2^t) / (1 - beta1^t)`` read-only; ``t`` counts ``update()`` calls.
    Schedulers change ``alpha``. Before the first update ``lr`` is the step size that update
    will use (t = 1), not a division by zero.

    >>> opt = Adam(alpha=0.1)
    >>> round(opt.lr, 6), opt.t                 # 0.1 * sqrt(1 - 0.999) / (1 - 0.9)
    (0.031623, 0)
    """
    _state_names = ('ms', 'vs')
    _hyperparams = ('alpha', 'beta1', 'beta2', 'eps')
    _lr_name = 'alpha'

    def __init__(self, alpha: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8) -> None:
        super().__init__()
        self.t = 0
        self.alpha = alpha
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.ms = {}
        self.vs = {}

    def update(self, *args: Any, **kwargs: Any) -> None:
        self.t += 1
        super().update(*args, **kwargs)

    @property
    def lr(self) -> float:
        t = max(self.t, 1)      # update() counts t before it reads lr: t = 0 means the first update
        fix1 = 1. - math.pow(self.beta1, t)
        fix2 = 1. - math.pow(self.beta2, t)
        return self.alpha * math.sqrt(fix2) / fix1

    def update_one(self, param: Parameter) -> None:
        xp = cuda.get_array_module(param.data)
        m = _slot(self.ms, param)
        v = _slot(self.vs, param)
        beta1, beta2, eps = self.beta1, self.beta2, self.eps
        grad = param.grad.data

        m += (1 - beta1) * (grad - m)
        v += (1 - beta2) * (grad * grad - v)
        param.data -= self.lr * m / (xp.sqrt(v) + eps)


class AdamW(Adam):
    """Adam with decoupled weight decay: W -= alpha * weight_decay * W before each Adam step.

    Unlike the ``WeightDecay`` hook, the decay does not pass through Adam's scaling.
    """
    _hyperparams = Adam._hyperparams + ('weight_decay',)

    def __init__(self, alpha: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.01) -> None:
        super().__init__(alpha, beta1, beta2, eps)
        self.weight_decay = weight_decay

    def update_one(self, param: Parameter) -> None:
        param.data -= (self.alpha * self.weight_decay) * param.data
        super().update_one(param)


# =============================================================================
# Learning-rate schedules: call step() once per epoch (or per iteration)
# =============================================================================
class LRScheduler:
    """Sets the optimizer's learning rate from the number of ``step()`` calls so far.

    The rate the optimizer had when the first scheduler was attached is the base
    (kept as ``optimizer.initial_lr``), so schedulers never compound. The rate for
    step 0 is applied at construction. The optimizer lists its schedulers in
    ``optimizer.schedulers``, in the order they were made.
    """

    def __init__(self, optimizer: Optimizer) -> None:
        try:
            optimizer.base_lr          # AdaDelta raises its own TypeError: it has no learning rate
        except AttributeError:
            raise TypeError(f'{type(self).__name__}: optimizer must be a dezero Optimizer, '
                            f'got {type(optimizer).__name__}') from None
        self.optimizer = optimizer
        # The optimizer lists its schedulers, in order, so that dezero.save_model can store them.
        optimizer.schedulers = list(getattr(optimizer, 'schedulers', ())) + [self]
        if getattr(optimizer, 'initial_lr', None) is None:
            optimizer.initial_lr = optimizer.base_lr
        self.base = optimizer.initial_lr
        self.last_epoch = 0
        self._apply()

    def lr_at(self, epoch: int) -> float:
        raise NotImplementedError()

    @property
    def lr(self) -> float:
        """The rate in force now."""
        return self.lr_at(self.last_epoch)

    def step(self) -> None:
        self.last_epoch += 1
        self._apply()

    def _apply(self):
        self.optimizer.base_lr = self.lr_at(self.last_epoch)

    def state_dict(self) -> dict[str, np.ndarray]:
        return {'last_epoch': np.asarray(self.last_epoch), 'base': np.asarray(self.base)}

    def load_state_dict(self, state: Mapping[str, np.ndarray]) -> None:
        self.last_epoch = int(state['last_epoch'])
        self.base = float(state['base'])
        self._apply()


class StepLR(LRScheduler):
    """Multiply the rate by ``gamma`` every ``step_size`` steps."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = positive_int('StepLR', 'step_size', step_size)
        self.gamma = real('StepLR', 'gamma', gamma, low=0)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        return self.base * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """Multiply the rate by ``gamma`` at every step."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = real('ExponentialLR', 'gamma', gamma, low=0)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        return self.base * self.gamma ** epoch


class CosineAnnealingLR(LRScheduler):
    """From the base rate down to ``eta_min`` along half a cosine over ``T_max`` steps; then ``eta_min``."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        self.T_max = positive_int('CosineAnnealingLR', 'T_max', T_max)
        self.eta_min = real('CosineAnnealingLR', 'eta_min', eta_min, low=0)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        e = min(epoch, self.T_max)
        return self.eta_min + (self.base - self.eta_min) * (1 + math.cos(math.pi * e / self.T_max)) / 2


class LinearWarmup(LRScheduler):
    """Rise linearly from ``start_factor * base`` to the base over ``warmup_steps`` steps.

    Afterwards the rate is the base, or follows ``after`` (another scheduler on the same
    optimizer, counted from the end of the warm-up); then call only this one's ``step()``.
    """

    def __init__(self, optimizer: Optimizer, warmup_steps: int, start_factor: float = 0.1,
                 after: LRScheduler | None = None) -> None:
        self.warmup_steps = positive_int('LinearWarmup', 'warmup_steps', warmup_steps)
        self.start_factor = real('LinearWarmup', 'start_factor', start_factor, low=0)
        self.after = after
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        if epoch < self.warmup_steps:
            f = self.start_factor + (1 - self.start_factor) * epoch / self.warmup_steps
            return self.base * f
        if self.after is not None:
            return self.after.lr_at(epoch - self.warmup_steps)
        return self.base
