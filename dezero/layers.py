"""Layers: objects that own Parameters, imported as ``L``.

A ``Layer`` finds its Parameters and sub-layers by attribute assignment
(``self.W = Parameter(...)``, ``self.l1 = Linear(10)``) and keeps them in
assignment order, so ``params()`` is the same in every run. Weights whose
shape depends on the input (``in_size=None``) are created at the first forward.

Checkpoints are ``.npz`` files keyed by attribute paths (``l0/W``, ``bn/gamma``),
as in the original DeZero, written atomically and read without pickle.

>>> import numpy as np
>>> import dezero.layers as L
>>> layer = L.Linear(3)                     # in_size comes from the first input
>>> y = layer(np.ones((2, 4), dtype=np.float32))
>>> y.shape, layer.W.shape, y.dtype
((2, 3), (4, 3), dtype('float32'))
>>> [name for name, _ in layer.named_params()]
['W', 'b']
"""
from __future__ import annotations

import functools
import math
import os
import weakref
from typing import TYPE_CHECKING, Any, Iterator, Mapping

import numpy as np

from dezero import cuda, utils
from dezero import initializers
from dezero._checks import positive_int
from dezero.engine import Config, Parameter
import dezero.functions as F
from dezero.functions.recurrent import lstm_update

if TYPE_CHECKING:
    from numpy.typing import DTypeLike

    from dezero.engine import Variable
    from dezero.typing import Initializer, Operand, Pair


CheckpointError = utils.CheckpointError   # raised by load_state_dict and load_weights


# =============================================================================
# Layer: the parameter registry, device moves, state dicts and checkpoints
# =============================================================================
class Layer:
    """Base class of layers and models: override ``forward``; call the layer to run it.

    After a call, ``inputs`` and ``outputs`` hold weak references to the call's Variables, as
    in the original. The graph keeps only the arrays that backward needs, so an output that
    only the graph held (one that went straight into relu, say) is gone once the forward pass
    returns; set ``retain_outputs = True`` to keep the last call's outputs (Grad-CAM reads a
    convolution's output and its gradient this way).

    A subclass's constructor arguments are recorded (``_init_args``), so that
    ``dezero.save_model`` can store the model's structure and ``load_model`` build it again.
    """
    retain_outputs = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if '__init__' in cls.__dict__:
            cls.__init__ = _recording_init(cls.__dict__['__init__'])

    def __init__(self) -> None:
        # Attribute names of the Parameters and Layers, in assignment order (kept if a
        # subclass assigned some before calling this).
        self.__dict__.setdefault('_params', {})

    def __setattr__(self, name, value):
        if '_params' not in self.__dict__:
            object.__setattr__(self, '_params', {})
        if isinstance(value, (Parameter, Layer)):
            self._params[name] = None
        else:
            self._params.pop(name, None)
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        self.__dict__.get('_params', {}).pop(name, None)
        object.__delattr__(self, name)

    def __call__(self, *inputs: Any, **kwargs: Any) -> Any:
        outputs = self.forward(*inputs, **kwargs)
        if not isinstance(outputs, tuple):
            outputs = (outputs,)
        self.inputs = [_ref(x) for x in inputs]
        self.outputs = [(lambda y=y: y) if self.retain_outputs else _ref(y) for y in outputs]
        return outputs if len(outputs) > 1 else outputs[0]

    def forward(self, *inputs: Any) -> Any:
        raise NotImplementedError(f'{type(self).__name__} must define forward()')

    def named_params(self, prefix: str = '') -> Iterator[tuple[str, Parameter]]:
        """Yield (path, Parameter) for every Parameter below this layer; paths join names with '/'."""
        for name in self.__dict__.get('_params', {}):
            obj = self.__dict__[name]
            if isinstance(obj, Layer):
                yield from obj.named_params(prefix + name + '/')
            else:
                yield prefix + name, obj

    def params(self) -> Iterator[Parameter]:
        """Yield every Parameter once, in assignment order (a shared one only the first time)."""
        seen = set()
        for _, param in self.named_params():
            if id(param) not in seen:
                seen.add(id(param))
                yield param

    def cleargrads(self) -> None:
        for param in self.params():
            param.cleargrad()

    def to_cpu(self) -> None:
        for param in self.params():
            param.to_cpu()
        self._set_gpu(False)

    def to_gpu(self) -> None:
        for param in self.params():
            param.to_gpu()
        self._set_gpu(True)

    def _set_gpu(self, flag):
        """Remember the device, for parameters that are created or loaded later."""
        object.__setattr__(self, '_gpu', flag)
        for name in self.__dict__.get('_params', {}):
            obj = self.__dict__[name]
            if isinstance(obj, Layer):
                obj._set_gpu(flag)

    def __repr__(self) -> str:
        """The layer tree with each parameter's shape, then the parameter count (as PyTorch and Keras show).

        >>> import dezero.layers as L
        >>> print(L.Linear(3, in_size=4))
        Linear(W: (4, 3), b: (3,))
        parameters: 15
        """
        return '\n'.join(_tree_lines(self)) + '\n' + _count_line(self)

    def _flatten_params(self, params_dict, parent_key=''):
        """Fill ``params_dict`` with {path: Parameter} (the original's helper)."""
        prefix = parent_key + '/' if parent_key else ''
        for key, param in self.named_params(prefix):
            params_dict[key] = param

    # ---- state dicts --------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """{path: copy of the parameter's array}, on the parameter's device.

        Raises ValueError if a parameter is not initialised yet (run a forward pass first).
        """
        named = list(self.named_params())
        _check_initialised(self, named)
        return {key: param.data.copy() for key, param in named}

    def load_state_dict(self, state: Mapping[str, np.ndarray], strict: bool = True) -> None:
        """Copy the arrays of ``state`` ({path: array}) into the parameters, all of them or none.

        Each array goes to its parameter's current device and dtype. A parameter
        not initialised yet (a lazy layer that has not run) takes the array as it
        is, which is how a freshly built model is loaded before its first forward;
        the dimensions its layer already knows (``Linear(5)``: W is (?, 5)) must match.
        Missing or unexpected keys (unless ``strict=False``), shape mismatches and arrays
        that are not numbers castable to the parameter's dtype raise CheckpointError
        listing all of them, and then nothing is changed.
        """
        named, state = self._check_state(state, strict)
        on_gpu = getattr(self, '_gpu', False)
        placed = {key: _placed(state[key], param.data, on_gpu)
                  for key, (param, _, _) in named.items() if key in state}
        for key, array in placed.items():         # every check passed: now assign them all
            named[key][0].data = array

    def _check_state(self, state, strict=True):
        """Check ``state`` against the parameters without changing anything; raise CheckpointError if it
        does not fit. Returns ({path: (Parameter, owner, attribute)}, state with its values as arrays)."""
        if not isinstance(state, dict):
            raise TypeError(f'{type(self).__name__}.load_state_dict: state must be a dict of arrays '
                            f'{{path: array}}, got {type(state).__name__}')
        named = {key: (param, owner, attr) for key, param, owner, attr in _param_slots(self)}
        state = {key: _as_array(value) for key, value in state.items()}
        missing = [k for k in named if k not in state]
        unexpected = [k for k in state if k not in named]
        mismatched, bad_types = [], []
        for key, (param, owner, attr) in named.items():
            if key not in state:
                continue
            value = state[key]
            if not _is_numeric_array(value):
                bad_types.append(f'{key}: {_describe_value(value)}')
                continue
            shape = tuple(np.shape(value))
            if param.data is not None:
                expected = param.data.shape
                if not np.can_cast(value.dtype, param.data.dtype, 'same_kind'):
                    bad_types.append(f'{key}: dtype {value.dtype} cannot become {param.data.dtype}')
            else:
                expected = owner._lazy_shape(attr)
                if value.dtype.kind == 'c':
                    bad_types.append(f'{key}: dtype {value.dtype} is complex')
            if expected is not None and not _shape_fits(shape, expected):
                mismatched.append(f'{key}: checkpoint {shape}, model {_shape_text(expected)}')
        problems = []
        if strict and missing:
            problems.append('missing keys: ' + ', '.join(missing))
        if strict and unexpected:
            problems.append('unexpected keys: ' + ', '.join(unexpected))
        if mismatched:
            problems.append('shape mismatches: ' + '; '.join(mismatched))
        if bad_types:
            problems.append('arrays that are not numbers of a usable dtype: ' + '; '.join(bad_types))
        if problems:
            raise CheckpointError(f'cannot load the weights into {type(self).__name__}: '
                                  + '. '.join(problems))
        return named, state

    def _lazy_shape(self, name):
        """The shape parameter ``name`` will have, with None for the dimensions still unknown
        (taken from the first input), or None when the layer cannot tell."""
        return None

    # ---- files --------------------------------------------------------------
    def save_weights(self, path: str | os.PathLike) -> str:
        """Save every parameter to the ``.npz`` file ``path`` (``.npz`` is appended if missing).

        The file is written under a temporary name and renamed, so an interrupted save
        leaves the previous file intact. The model stays on its device.
        """
        named = list(self.named_params())
        _check_initialised(self, named)
        arrays = {key: cuda.as_numpy(param.data) for key, param in named}
        path = _npz_path(path)
        with utils.atomic_write(path) as tmp:
            with open(tmp, 'wb') as f:
                np.savez_compressed(f, **arrays)
        return path

    def load_weights(self, path: str | os.PathLike, strict: bool = True) -> None:
        """Load a file written by ``save_weights`` (``'model'`` finds ``model.npz`` too), all or nothing.

        An empty, truncated or corrupt file, or one whose arrays do not fit the model, raises
        CheckpointError naming the file; the model is then unchanged.
        """
        path = os.fspath(path)
        if not os.path.exists(path) and os.path.exists(_npz_path(path)):
            path = _npz_path(path)
        state = utils.read_npz(path, 'weights file')
        try:
            self.load_state_dict(state, strict=strict)
        except CheckpointError as e:
            raise CheckpointError(f'{path}: {e}') from None


def _param_text(param):
    """A parameter's shape for the layer tree, or 'not initialised'."""
    return 'not initialised' if param.data is None else str(tuple(param.data.shape))


def _tree_lines(layer):
    """``Type(p: shape, ...)`` for a layer without sub-layers; else one line per parameter and sub-layer."""
    items = [(name, layer.__dict__[name]) for name in layer.__dict__.get('_params', {})]
    name = type(layer).__name__
    if not any(isinstance(obj, Layer) for _, obj in items):
        return [f'{name}(' + ', '.join(f'{k}: {_param_text(p)}' for k, p in items) + ')']
    lines = [name + '(']
    for key, obj in items:
        sub = _tree_lines(obj) if isinstance(obj, Layer) else [_param_text(obj)]
        lines.append(f'  {key}: {sub[0]}')
        lines += ['  ' + line for line in sub[1:]]
    return lines + [')']


def _count_line(layer):
    """'parameters: N' (each shared Parameter once), and how many are not initialised yet."""
    total = sum(int(p.data.size) for p in layer.params() if p.data is not None)
    lazy = sum(p.data is None for p in layer.params())
    if not lazy:
        return f'parameters: {total:,}'
    return (f'parameters: {total:,} so far, and {lazy} not initialised yet '
            '(their shapes come with the first forward pass)')


def _recording_init(init):
    """``init`` wrapped to record the arguments of the outermost constructor call (``_init_args``)
    and, once it returns, weak references to the sub-layers and parameters it made (``_init_attrs``).

    ``dezero.save_model`` stores the arguments, so that ``load_model`` can build the layer again by
    calling its class (Python keeps no other record of them), and tells the sub-layers the
    constructor made from those assigned later. Only the first (most derived) ``__init__`` of a call
    records: the ``super().__init__(...)`` calls inside it do not.
    """
    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        if '_init_args' in self.__dict__:
            return init(self, *args, **kwargs)
        object.__setattr__(self, '_init_args', (args, kwargs))
        init(self, *args, **kwargs)
        made = {name: weakref.ref(self.__dict__[name]) for name in self.__dict__.get('_params', {})}
        object.__setattr__(self, '_init_attrs', made)
    return __init__


def _ref(x):
    """A weak reference to ``x`` when it supports one; otherwise a callable returning ``x``."""
    try:
        return weakref.ref(x)
    except TypeError:
        return lambda: x


def _npz_path(path):
    path = os.fspath(path)
    return path if path.endswith('.npz') else path + '.npz'


def _param_slots(layer, prefix=''):
    """Yield (path, Parameter, owning layer, attribute name) for every Parameter below ``layer``."""
    for name in layer.__dict__.get('_params', {}):
        obj = layer.__dict__[name]
        if isinstance(obj, Layer):
            yield from _param_slots(obj, prefix + name + '/')
        else:
            yield prefix + name, obj, layer, name


def _as_array(value):
    """Arrays as they are; lists and numbers as NumPy arrays; anything else unchanged (and refused later)."""
    if hasattr(value, 'dtype') and hasattr(value, 'shape'):
        return value
    if isinstance(value, (list, tuple, int, float)):
        try:
            return np.asarray(value)
        except ValueError:        # a ragged list
            return value
    return value


def _is_numeric_array(value):
    """True for NumPy/CuPy arrays (and NumPy scalars) of booleans, integers, floats or complex numbers."""
    return hasattr(value, 'dtype') and hasattr(value, 'shape') and value.dtype.kind in 'biufc'


def _describe_value(value):
    if hasattr(value, 'dtype'):
        return f'dtype {value.dtype}'
    return f'a {type(value).__name__}, not an array'


def _shape_fits(shape, expected):
    return len(shape) == len(expected) and all(e is None or s == e for s, e in zip(shape, expected))


def _shape_text(shape):
    return '(' + ', '.join('?' if d is None else str(d) for d in shape) + (',)' if len(shape) == 1 else ')')


def _check_initialised(layer, named):
    empty = [key for key, param in named if param.data is None]
    if empty:
        raise ValueError(f'{type(layer).__name__} has parameters that are not initialised yet: '
                         f'{", ".join(empty)}. Their shapes are inferred at the first forward pass: '
                         'call the model on an input first (or give in_size / in_channels).')


def _placed(array, current, on_gpu):
    """``array`` on the device (and in the dtype) of ``current``, the parameter's present data."""
    if current is None:
        return cuda.as_cupy(array) if on_gpu else cuda.as_numpy(array).copy()
    if cuda.is_cupy_array(current):
        return cuda.as_cupy(array).astype(current.dtype, copy=False)
    return np.array(cuda.as_numpy(array), dtype=current.dtype)


# =============================================================================
# Linear, convolution and deconvolution
# =============================================================================
class Linear(Layer):
    """y = x W + b, with W of shape (in_size, out_size); in_size is inferred from x if None."""

    def __init__(self, out_size: int, nobias: bool = False, dtype: DTypeLike = np.float32,
                 in_size: int | None = None, init: Initializer = None) -> None:
        super().__init__()
        out_size = positive_int(type(self).__name__, 'out_size', out_size)
        if in_size is not None:
            in_size = positive_int(type(self).__name__, 'in_size', in_size)
        self.in_size = in_size
        self.out_size = out_size
        self.dtype = dtype
        self.init = init

        self.W = Parameter(None, name='W')
        if self.in_size is not None:
            self._init_W()

        if nobias:
            self.b = None
        else:
            self.b = Parameter(np.zeros(out_size, dtype=dtype), name='b')

    def _init_W(self, xp=np):
        I, O = self.in_size, self.out_size
        self.W.data = initializers.initialize(self.init, (I, O), I, O, self.dtype, xp)

    def _init_for(self, x):
        """Create W on the first input, whose last axis gives in_size."""
        if self.W.data is None:
            self.in_size = x.shape[-1]
            self._init_W(cuda.get_array_module(x))

    def forward(self, x: Operand) -> Variable:
        self._init_for(x)
        if x.ndim < 1 or x.shape[-1] != self.W.shape[0]:
            raise ValueError(f'Linear: this layer takes {self.W.shape[0]} input features (W has shape '
                             f'{self.W.shape}), got input of shape {tuple(x.shape)}')
        return F.linear(x, self.W, self.b)

    def _lazy_shape(self, name):
        return (None, self.out_size) if name == 'W' else None


class Conv2d(Layer):
    """2-D convolution with W of shape (OC, C, KH, KW); C is inferred from x if None."""

    def __init__(self, out_channels: int, kernel_size: Pair, stride: Pair = 1, pad: Pair = 0,
                 nobias: bool = False, dtype: DTypeLike = np.float32, in_channels: int | None = None,
                 init: Initializer = None) -> None:
        super().__init__()
        out_channels = positive_int(type(self).__name__, 'out_channels', out_channels)
        if in_channels is not None:
            in_channels = positive_int(type(self).__name__, 'in_channels', in_channels)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.pad = pad
        self.dtype = dtype
        self.init = init

        self.W = Parameter(None, name='W')
        if in_channels is not None:
            self._init_W()

        if nobias:
            self.b = None
        else:
            self.b = Parameter(np.zeros(out_channels, dtype=dtype), name='b')

    def _weight_shape(self):
        KH, KW = utils.pair(self.kernel_size)
        return (self.out_channels, self.in_channels, KH, KW)

    def _lazy_shape(self, name):
        return self._weight_shape() if name == 'W' else None

    def _init_W(self, xp=np):
        C, OC = self.in_channels, self.out_channels
        KH, KW = utils.pair(self.kernel_size)
        self.W.data = initializers.initialize(self.init, self._weight_shape(), C * KH * KW,
                                              OC * KH * KW, self.dtype, xp)

    def forward(self, x: Operand) -> Variable:
        if self.W.data is None:
            self.in_channels = x.shape[1]
            self._init_W(cuda.get_array_module(x))
        return F.conv2d(x, self.W, self.b, self.stride, self.pad)


class Deconv2d(Conv2d):
    """Transposed 2-D convolution with W of shape (C, OC, KH, KW), as the original."""

    def _weight_shape(self):
        KH, KW = utils.pair(self.kernel_size)
        return (self.in_channels, self.out_channels, KH, KW)

    def forward(self, x: Operand) -> Variable:
        if self.W.data is None:
            self.in_channels = x.shape[1]
            self._init_W(cuda.get_array_module(x))
        return F.deconv2d(x, self.W, self.b, self.stride, self.pad)


# =============================================================================
# Recurrent layers
# =============================================================================
class RNN(Layer):
    """h = tanh(x W_x + b + h W_h); the state persists across calls until ``reset_state()``."""

    def __init__(self, hidden_size: int, in_size: int | None = None) -> None:
        super().__init__()
        self.x2h = Linear(hidden_size, in_size=in_size)
        # h2h reads h, so its input size is hidden_size (the original used in_size: bug #18).
        # Left lazy when in_size is None, which keeps the original's order of random draws.
        self.h2h = Linear(hidden_size, in_size=None if in_size is None else hidden_size,
                          nobias=True)
        self.h = None

    def reset_state(self) -> None:
        self.h = None

    def forward(self, x: Operand) -> Variable:
        if self.h is None:
            h_new = F.tanh(self.x2h(x))
        else:
            h_new = F.tanh(self.x2h(x) + self.h2h(self.h))
        self.h = h_new
        return h_new


class LSTM(Layer):
    """Long short-term memory with forget (f), input (i) and output (o) gates and update u.

    A step runs as one ``F.LSTMCell`` Function, which computes the same numbers as the book's
    21 Functions (``_forward_composed``) several times faster; gate layers that are not plain
    Linear layers get the book's step.
    """

    def __init__(self, hidden_size: int, in_size: int | None = None) -> None:
        super().__init__()
        H, I = hidden_size, in_size
        self.x2f = Linear(H, in_size=I)
        self.x2i = Linear(H, in_size=I)
        self.x2o = Linear(H, in_size=I)
        self.x2u = Linear(H, in_size=I)
        self.h2f = Linear(H, in_size=H, nobias=True)
        self.h2i = Linear(H, in_size=H, nobias=True)
        self.h2o = Linear(H, in_size=H, nobias=True)
        self.h2u = Linear(H, in_size=H, nobias=True)
        self.reset_state()

    def reset_state(self) -> None:
        self.h = None
        self.c = None

    def forward(self, x: Operand) -> Variable:
        gates = (self.x2f, self.x2i, self.x2o, self.x2u)
        hidden = (self.h2f, self.h2i, self.h2o, self.h2u)
        if (_plain_linears(gates, True) and _plain_linears(hidden, False) and x.ndim == 2
                and all(l.W.data is not None for l in hidden)):
            for layer in gates:               # the composed path below creates them in this order too
                layer._init_for(x)
            self.h, self.c = F.lstm_cell(x, self.h, self.c, [l.W for l in gates], [l.b for l in gates],
                                         [l.W for l in hidden])
            return self.h
        return self._forward_composed(x)

    def _forward_composed(self, x):
        """The step as the book writes it, for gate layers that are not plain Linear layers."""
        if self.h is None:
            a = [self.x2f(x), self.x2i(x), self.x2o(x), self.x2u(x)]
        else:
            a = [self.x2f(x) + self.h2f(self.h), self.x2i(x) + self.h2i(self.h),
                 self.x2o(x) + self.h2o(self.h), self.x2u(x) + self.h2u(self.h)]
        self.h, self.c, _ = lstm_update(*a, self.c, F.sigmoid, F.tanh)
        return self.h


def _plain_linears(layers, bias):
    """True when each layer is exactly a Linear layer, with a bias iff ``bias``."""
    return all(type(l) is Linear and (l.b is not None) == bias for l in layers)


class GRU(Layer):
    """Gated recurrent unit: update gate z, reset gate r; h = (1 - z) u + z h_prev."""

    def __init__(self, hidden_size: int, in_size: int | None = None) -> None:
        super().__init__()
        H, I = hidden_size, in_size
        self.x2z = Linear(H, in_size=I)
        self.x2r = Linear(H, in_size=I)
        self.x2u = Linear(H, in_size=I)
        self.h2z = Linear(H, in_size=H, nobias=True)
        self.h2r = Linear(H, in_size=H, nobias=True)
        self.h2u = Linear(H, in_size=H, nobias=True)
        self.reset_state()

    def reset_state(self) -> None:
        self.h = None

    def forward(self, x: Operand) -> Variable:
        if self.h is None:      # h_prev = 0
            z = F.sigmoid(self.x2z(x))
            u = F.tanh(self.x2u(x))
            h_new = (1 - z) * u
        else:
            z = F.sigmoid(self.x2z(x) + self.h2z(self.h))
            r = F.sigmoid(self.x2r(x) + self.h2r(self.h))
            u = F.tanh(self.x2u(x) + self.h2u(r * self.h))
            h_new = (1 - z) * u + z * self.h
        self.h = h_new
        return h_new


# =============================================================================
# Embedding, normalisation and dropout
# =============================================================================
class EmbedID(Layer):
    """Row lookup ``W[x]`` for integer ids x; W is randn(in_size, out_size) (float64 as the original)."""

    def __init__(self, in_size: int, out_size: int, dtype: DTypeLike | None = None) -> None:
        super().__init__()
        in_size = positive_int('EmbedID', 'in_size', in_size)
        out_size = positive_int('EmbedID', 'out_size', out_size)
        W = np.random.randn(in_size, out_size)
        self.W = Parameter(W if dtype is None else W.astype(dtype), name='W')

    def forward(self, x: Operand) -> Variable:
        _check_ids(x, self.W.shape[0])
        return self.W[x]


def _check_ids(x, in_size):
    """Raise unless every id in ``x`` (an int, a list or an integer array) is in [0, in_size).

    Negative ids would silently pick rows from the end, as NumPy indexing does.
    """
    ids = x.data if hasattr(x, 'creator') else x      # a Variable of ids
    xp = cuda.get_array_module(ids)
    ids = xp.asarray(ids)
    if ids.dtype.kind not in 'iu':
        raise TypeError(f'EmbedID: ids must be integers, got {_shown_ids(ids)} of dtype {ids.dtype}')
    if ids.size == 0:
        return
    # One reduction: seen as unsigned, a negative id is huge, so max() catches both ends.
    unsigned = ids.view(np.dtype(f'u{ids.dtype.itemsize}')) if ids.dtype.kind == 'i' else ids
    if int(unsigned.max()) >= in_size:
        low, high = int(ids.min()), int(ids.max())
        bad = low if low < 0 else high
        raise IndexError(f'EmbedID: id {bad} is out of range for in_size {in_size} '
                         f'(ids must be in [0, {in_size - 1}])')


def _shown_ids(ids):
    text = repr(cuda.as_numpy(ids).ravel()[:5].tolist())
    return text[:-1] + ', ...]' if ids.size > 5 else text


class BatchNorm(Layer):
    """Batch normalisation over axis 0 (per channel for (N, C, H, W) inputs).

    ``gamma`` and ``beta`` are trained; ``avg_mean`` and ``avg_var`` are the running
    statistics used in ``test_mode``. They are Parameters only so that checkpoints
    store them: they never receive gradients, so optimizers leave them alone.
    """

    def __init__(self, decay: float = 0.9, eps: float = 2e-5) -> None:
        super().__init__()
        self.decay = decay
        self.eps = eps
        self.avg_mean = Parameter(None, name='avg_mean')
        self.avg_var = Parameter(None, name='avg_var')
        self.gamma = Parameter(None, name='gamma')
        self.beta = Parameter(None, name='beta')

    def _init_params(self, x):
        xp = cuda.get_array_module(x)
        D = x.shape[1]
        if self.avg_mean.data is None:
            self.avg_mean.data = xp.zeros(D, dtype=x.dtype)
        if self.avg_var.data is None:
            self.avg_var.data = xp.ones(D, dtype=x.dtype)
        if self.gamma.data is None:
            self.gamma.data = xp.ones(D, dtype=x.dtype)
        if self.beta.data is None:
            self.beta.data = xp.zeros(D, dtype=x.dtype)

    def forward(self, x: Operand) -> Variable:
        shape = tuple(x.shape)
        if len(shape) < 2:
            raise ValueError(f'BatchNorm: input must be (N, C) or (N, C, H, W) with the channels on '
                             f'axis 1, got shape {shape}')
        if Config.train and shape[0] * math.prod(shape[2:]) == 0:
            # The batch statistics of no examples are NaN, and would poison the running ones for good.
            raise ValueError(f'BatchNorm: got an empty batch of shape {shape} in training mode; '
                             'it has no statistics to normalise with')
        if self.avg_mean.data is None or self.gamma.data is None:
            self._init_params(x)
        C = self.avg_mean.data.shape[0]
        if shape[1] != C:
            raise ValueError(f'BatchNorm: this layer normalises {C} channels, got input of shape {shape} '
                             f'with {shape[1]} on axis 1')
        return F.batch_norm(x, self.gamma, self.beta, self.avg_mean.data, self.avg_var.data,
                            decay=self.decay, eps=self.eps)

    def _lazy_shape(self, name):
        C = next((p.data.shape[0] for p in (self.avg_mean, self.avg_var, self.gamma, self.beta)
                  if p.data is not None), None)
        return (C,)


class LayerNorm(Layer):
    """Normalise over the last axis, then scale by ``gamma`` and shift by ``beta`` (both of that size)."""

    def __init__(self, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.gamma = Parameter(None, name='gamma')
        self.beta = Parameter(None, name='beta')

    def forward(self, x: Operand) -> Variable:
        if self.gamma.data is None:
            xp = cuda.get_array_module(x)
            D = x.shape[-1]
            dtype = x.dtype if x.dtype.kind == 'f' else np.float32
            self.gamma.data = xp.ones(D, dtype=dtype)
            self.beta.data = xp.zeros(D, dtype=dtype)
        if x.shape[-1] != self.gamma.data.shape[0]:
            raise ValueError(f'LayerNorm: this layer normalises {self.gamma.data.shape[0]} features, got '
                             f'input of shape {tuple(x.shape)}')
        return F.layer_norm(x, self.gamma, self.beta, self.eps)


    def _lazy_shape(self, name):
        other = self.beta if name == 'gamma' else self.gamma
        return (None,) if other.data is None else other.data.shape


class Dropout(Layer):
    """``F.dropout`` as a layer: active in training, the identity in ``test_mode``."""

    def __init__(self, dropout_ratio: float = 0.5) -> None:
        super().__init__()
        self.dropout_ratio = dropout_ratio

    def forward(self, x: Operand) -> Variable:
        return F.dropout(x, self.dropout_ratio)

