"""The engine: Variable, Function, the graph they build (define-by-run) and the backward pass.

A Function keeps the input Variables its backward reads and, for the others, a VariableNode (no
array); every backward is written with Functions, so derivatives of any order work. It imports
NumPy, ``arrays`` and ``cuda`` only; ``dezero.functions`` installs Variable's operators and methods.
"""
from __future__ import annotations

import contextlib
import heapq
import threading
import weakref
from typing import Callable, Iterator, Sequence

import numpy as np

from dezero import cuda
from dezero.arrays import as_array  # noqa: F401  (the book imports it from the core)


# ---- Config: per-thread settings ---------------------------------------------------------------
class _Config(threading.local):
    """``Config``: the current thread's settings, read and written as attributes as in the book
    (``Config.enable_backprop = False``), but not seen by other threads. ``enable_backprop``
    records graphs; ``train`` runs dropout and batch norm in training mode."""
    enable_backprop = True
    train = True


Config = _settings = _Config()


@contextlib.contextmanager
def using_config(name: str, value: object) -> Iterator[None]:
    """Set ``Config.<name>`` to ``value`` inside a ``with`` block, restoring it afterwards."""
    old = getattr(Config, name)
    setattr(Config, name, value)
    try:
        yield
    finally:
        setattr(Config, name, old)


def no_grad() -> contextlib.AbstractContextManager:
    """Run without recording graphs (inference, or updates that must not be differentiated)."""
    return using_config('enable_backprop', False)


def test_mode() -> contextlib.AbstractContextManager:
    """Run dropout and batch norm in inference mode (``Config.train`` False); graphs are recorded."""
    return using_config('train', False)


NOT_RECORDED = False   # the ``node`` of a Variable that a Function made while no graph was recorded


# ---- Variable and its kin ----------------------------------------------------------------------
class Variable:
    """A box for an array (NumPy or CuPy) that remembers the Function that created it.

    ``grad`` is a Variable or None; ``creator`` is the Function that made ``data`` (None for a
    leaf); ``generation`` orders the Functions in backward; ``node`` is the VariableNode the graph
    keeps for it, once a Function needs one. ``repr`` prints ``variable([1. 2.])``, as the book.
    """
    __slots__ = ('data', 'name', 'grad', 'creator', 'generation', 'node', '__weakref__')
    __array_priority__ = 200   # ndarray <op> Variable defers to Variable's operator
    _is_variable = True        # how dezero.cuda recognises a Variable without importing this module

    def __init__(self, data: np.ndarray | None, name: str | None = None) -> None:
        if data is not None and data.__class__ is not np.ndarray:
            if isinstance(data, (np.generic, np.matrix)):
                data = np.asarray(data)      # a NumPy scalar becomes 0-d; a matrix multiplies elementwise
            elif not cuda.is_array(data):
                hint = repr(data) if len(repr(data)) <= 40 else '...'
                raise TypeError(f'{type(data)} is not supported: Variable takes a NumPy or CuPy '
                                f'array, e.g. Variable(np.array({hint}))')
        self.data, self.name, self.grad = data, name, None
        self.creator, self.generation, self.node = None, 0, None

    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: self.data.size)
    dtype = property(lambda self: self.data.dtype)

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        if self.data is None:
            return 'variable(None)'
        return 'variable(' + str(self.data).replace('\n', '\n' + ' ' * 9) + ')'

    def set_creator(self, func: Function) -> None:
        self.creator, self.generation = func, func.generation + 1

    def unchain(self) -> None:
        """Forget the creator, making this Variable a leaf for the Functions that use it too."""
        self.creator = None
        if self.node:
            self.node.creator = None

    def cleargrad(self) -> None:
        self.grad = None

    def backward(self, retain_grad: bool = False, create_graph: bool = False, retain_graph: bool = True) -> None:
        """Accumulate d(self)/d(leaf) into the ``grad`` of every leaf this Variable depends on. The
        seed is ``self.grad``, else ones; intermediate gradients are freed unless ``retain_grad``;
        ``create_graph`` records the gradients' graph (to differentiate again); ``retain_graph=False``
        lets each Function drop its kept arrays once its backward ran (no second backward then)."""
        if self.creator is None and self.node is NOT_RECORDED:
            raise RuntimeError('backward: this Variable was computed while no graph was recorded (under '
                               'dezero.no_grad() or Config.enable_backprop = False, or as a gradient '
                               'without create_graph=True), so there is nothing to differentiate')
        if self.grad is None:
            self.grad = Variable(cuda.get_array_module(self.data).ones_like(self.data))
        elif self.grad.shape != self.shape:
            raise ValueError(f'backward: the seed gradient self.grad has shape {self.grad.shape} '
                             f'but the Variable has shape {self.shape}')
        if self.creator is not None:
            _backprop({self: self.grad}, retain_grad, create_graph, retain_graph)

    def unchain_backward(self) -> None:
        """Cut the graph upstream of this Variable (keeps ``self.creator``), e.g. for truncated BPTT."""
        funcs, seen = [self.creator] if self.creator else [], {self.creator}
        while funcs:
            for x in funcs.pop().inputs:
                if x.creator is not None:
                    if x.creator not in seen:
                        seen.add(x.creator)
                        funcs.append(x.creator)
                    x.unchain()

    def to_cpu(self) -> None:
        self.data = None if self.data is None else cuda.as_numpy(self.data)
        if self.grad is not None:
            self.grad.to_cpu()

    def to_gpu(self) -> None:
        self.data = None if self.data is None else cuda.as_cupy(self.data)
        if self.grad is not None:
            self.grad.to_gpu()


class VariableNode:
    """What the graph keeps of a Variable whose array no backward reads: its creator, generation,
    shape, dtype and ``ref``, the weak reference ``creator.outputs[i]`` to it (see ``_key``)."""
    __slots__ = ('creator', 'generation', 'ref', 'shape', 'dtype')
    data = grad = node = None

    def __init__(self, creator: Function, generation: int, ref: weakref.ref, shape: tuple, dtype: np.dtype) -> None:
        self.creator, self.generation, self.ref = creator, generation, ref
        self.shape, self.dtype = shape, dtype

    name = property(lambda self: getattr(self.ref(), 'name', None))
    ndim = property(lambda self: len(self.shape))

    def unchain(self) -> None:
        """Make the Variable a leaf, for the Functions that hold this node too."""
        self.creator = None
        if (y := self.ref()) is not None:
            y.creator = None


class Parameter(Variable):
    """A Variable that a Layer registers as trainable."""
    __slots__ = ()


class Constant(Variable):
    """An operand given as a number or an array rather than a Variable: nobody holds it, so
    backward computes no gradient for it (``x * 2.0`` computes none for the 2.0)."""
    __slots__ = ()


def as_variable(obj: object) -> Variable:
    """``obj`` if it is a Variable, else a Variable holding it (a scalar becomes a 0-d array)."""
    return obj if isinstance(obj, Variable) else Variable(as_array(obj))


def as_constant(x: object, like: np.ndarray | None = None) -> Constant:
    """An operand ``x`` that is not a Variable, as a Constant on the device of array ``like``.
    Python numbers are weak (NEP 50), under NumPy 1 and 2 alike: they take ``like``'s float dtype
    (``float32 Variable * 2.0`` stays float32). Arrays keep their dtype."""
    xp = np if like is None or like.__class__ is np.ndarray else cuda.get_array_module(like)
    if like is not None and ((t := type(x)) is float or t is int or t is bool or t is complex):
        dtype = like.dtype if like.dtype.kind in 'fc' and t is not complex else np.result_type(like.dtype, x)
        x = xp.asarray(x, dtype=dtype)
    else:
        x = np.asarray(x) if isinstance(x, np.matrix) else as_array(x, xp)
    return _output(x, None, Constant)


def _output(y, node=None, cls=Variable, _new=object.__new__, _array=np.array, _scalar=np.generic):
    """A new Variable holding ``y`` (a 0-d array for a NumPy scalar), without Variable's checks."""
    v = _new(cls)
    v.data = y if y.__class__ is np.ndarray else _array(y) if isinstance(y, _scalar) else as_array(y)
    v.name = v.grad = v.creator = None
    v.generation, v.node = 0, node
    return v


# ---- Function ----------------------------------------------------------------------------------
class Function:
    """An operation of the graph: ``forward`` on arrays, ``backward`` on Variables, one gradient
    per output in (None: none received) and one per input out (None: no gradient); used once.
    ``keep_inputs`` lists the inputs whose Variables the backward reads (``self.inputs`` holds
    those and, for the others, VariableNodes); None, the default, keeps them all, as in the book.
    ``keep_outputs`` lists the outputs it reads, through ``retained_outputs()``.
    """
    keep_inputs = None
    keep_outputs = ()
    output_data = ()      # the arrays of the kept outputs
    released = False      # set by backward(retain_graph=False) once this Function's backward ran

    def __call__(self, *inputs):
        n = len(inputs)
        for x in inputs:
            if x.__class__ is not Variable and not isinstance(x, Variable):
                inputs = _as_inputs(inputs)
                break
        x0, x1 = (inputs[0], inputs[-1]) if n else (None, None)
        try:      # one and two inputs are the common cases, kept cheap: they run millions of times
            ys = self.forward(x0.data) if n == 1 else self.forward(x0.data, x1.data) if n == 2 else \
                self.forward(*[x.data for x in inputs])
        except TypeError:                 # CuPy's error for a CPU/GPU mix-up: say which arrays
            cuda.check_same_device(*[x.data for x in inputs], name=type(self).__name__, state=vars(self))
            raise
        single, record = ys.__class__ is not tuple or len(ys) == 1, _settings.enable_backprop
        if single:
            y = _output(ys if ys.__class__ is not tuple else ys[0], None if record else NOT_RECORDED)
            if not record:
                return y
        elif not record:
            return [_output(y, NOT_RECORDED) for y in ys]
        # Record: this Function becomes the creator of its outputs and keeps what backward reads.
        self.generation = g = x0.generation if n == 1 else \
            (x0.generation if x0.generation > x1.generation else x1.generation) if n == 2 else \
            max([x.generation for x in inputs])
        keep = self.keep_inputs
        self.inputs = list(inputs) if keep is None or len(keep) == n else \
            [x if i in keep else _node(x) for i, x in enumerate(inputs)] if keep else [_node(x) for x in inputs]
        if single:                        # its node is made when a Function needs it (_node)
            y.creator, y.generation, y.node = self, g + 1, None
            self.outputs = [weakref.ref(y)]
            if self.keep_outputs:
                self.output_data = (y.data,)
            return y
        outputs = [_output(y) for y in ys]
        self.outputs = [weakref.ref(y) for y in outputs]
        for y, ref in zip(outputs, self.outputs):
            y.creator, y.generation = self, g + 1
            y.node = None if keep is None else VariableNode(self, g + 1, ref, y.data.shape, y.data.dtype)
        self.output_data = tuple([outputs[i].data for i in self.keep_outputs])
        return outputs

    def retained_outputs(self):
        """The outputs listed in ``keep_outputs``, as Variables in this Function's graph (outside
        any graph when nothing is recorded)."""
        g, record = self.generation + 1, _settings.enable_backprop
        ys = [_output(d, VariableNode(self, g, self.outputs[i], d.shape, d.dtype) if record else NOT_RECORDED)
              for i, d in zip(self.keep_outputs, self.output_data)]
        for y in ys:
            y.creator, y.generation = (self, g) if record else (None, 0)
        return ys

    def forward(self, *xs):
        raise NotImplementedError()

    def backward(self, *gys):
        raise NotImplementedError()


def _as_inputs(inputs):
    """The inputs as Variables: others become Constants like the first Variable, or else like the
    first array (``as_constant``: a Python number takes its float dtype)."""
    v = [x for x in inputs if isinstance(x, Variable)]
    like = v[0].data if v else next((x for x in inputs if cuda.is_array(x)), None)
    return [x if isinstance(x, Variable) else as_constant(x, like) for x in inputs]


def _node(x):
    """The VariableNode of ``x``, made on first need; a leaf or a book-style output is its own node."""
    n, f = x.node, x.creator
    if n is None and f is not None and f.keep_inputs is not None and x.__class__ is not VariableNode:
        x.node = n = VariableNode(f, x.generation, f.outputs[0], x.data.shape, x.data.dtype)
    return n or x


# ---- The backward pass -------------------------------------------------------------------------
def _key(x):
    """(key, creator, stand-in) of an input ``x``: the gradient of a built-in Function's output waits
    under the id of ``creator.outputs[i]`` (its VariableNode's ``ref``), any other's under itself."""
    n, f = (x, x.creator) if x.__class__ is VariableNode else (x.node or x, x.creator)
    if n.__class__ is VariableNode:
        return id(n.ref), n.creator, n
    return (x if f is None or f.keep_inputs is None else id(f.outputs[0])), f, x


def _backprop(seeds, retain_grad, create_graph, retain_graph=True, targets=None, partial=False):
    """Reverse-mode pass from ``seeds`` ({Variable: gradient}): Functions pop from a heap, latest
    generation first, so each runs once, after all that use its outputs. Leaf gradients go to
    ``.grad``, unless ``targets`` (keys) are given: then {key: gradient} is returned (``partial``:
    the pass stops at the targets, whose own inputs are treated as independent of them)."""
    pending, found, heap, seen = {}, {}, [], set()
    given, own = set(), set()    # ids of the buffers given to leaves, of the sums this pass made
    f, routes, push, pop = None, seeds.items(), heapq.heappush, heapq.heappop   # routes: (x, gx) pairs
    old_mode = _settings.enable_backprop
    _settings.enable_backprop = create_graph
    try:
        while True:
            for x, gx in routes:
                if gx is None or x.__class__ is Constant:
                    continue
                d = x.data if x.__class__ is not VariableNode else x       # what has shape and dtype
                if gx.__class__ is not Variable or d is None or gx.data.shape != d.shape or \
                        gx.data.dtype is not d.dtype:
                    gx = _checked_grad(f, x, gx)
                key, c, n = (x, None, x) if x.creator is None and not x.node and \
                    x.__class__ is not VariableNode else _key(x)      # a leaf (the commonest case)
                if targets is not None and key in targets:
                    found[key] = gx if key not in found else _add(found[key], gx, create_graph)
                    if partial:
                        continue
                if c is not None:
                    g = pending.get(key)
                    pending[key] = gx if g is None else _add(g, gx, create_graph)
                    if c not in seen:
                        seen.add(c)
                        push(heap, (-c.generation, len(seen), c))
                    continue
                leaf = n.ref() if n.__class__ is VariableNode else n    # an unchained node's Variable
                if targets is not None or leaf is None:
                    continue
                g = leaf.grad
                if g is None:
                    leaf.grad = _leaf_grad(gx, given)
                elif not create_graph and id(g) in own and g.data.dtype is gx.data.dtype:
                    g.data += gx.data     # a sum this pass made: nobody else holds it
                else:
                    leaf.grad = _add(g, gx, create_graph)
                    own.add(id(leaf.grad))
            if not heap:
                return found
            f = pop(heap)[2]
            if f.released:
                raise RuntimeError(f'backward reached {type(f).__name__}, whose saved arrays an earlier '
                                   'backward(retain_graph=False) released; pass retain_graph=True to '
                                   'the first backward to go through the graph again')
            book = f.keep_inputs is None          # its outputs wait under themselves, not a node
            gys = [pending.pop(ref() if book else id(ref), None) for ref in f.outputs]
            if targets is None:                   # the gradients of intermediate Variables
                for ref, gy in zip(f.outputs, gys):
                    y = ref()
                    if y is not None:
                        y.grad = gy if retain_grad else None
            try:
                gxs = f.backward(*gys)
            except TypeError:
                cuda.check_same_device(*[x.data for x in f.inputs], name=type(f).__name__ + '.backward',
                                       state=dict(vars(f), **{f'gradient {i}': g for i, g in enumerate(gys)}))
                raise
            routes = zip(f.inputs, gxs if gxs.__class__ is tuple else (gxs,))
            if not retain_graph:
                routes = list(routes)
                f.inputs, f.output_data, f.released = [_node(x) for x in f.inputs], (), True
    finally:
        _settings.enable_backprop = old_mode


def _add(g, gx, create_graph):
    """g + gx, recorded in the graph only under create_graph (never in place: g may be shared)."""
    return g + gx if create_graph else _output(g.data + gx.data)


def _checked_grad(f, x, gx):
    """Wrap a raw array gradient and check it matches its input's shape and dtype kind."""
    gx = gx if isinstance(gx, Variable) else Variable(gx if cuda.is_array(gx) else as_array(gx))
    gd = gx.data
    if (x.data is not None or x.__class__ is VariableNode) and (      # (not for an input given as None)
            gd.shape != x.shape or (x.dtype.kind in 'fc' and gd.dtype.kind not in 'fc')):
        raise ValueError(f'{type(f).__name__}.backward returned a gradient of shape {gd.shape} '
                         f'and dtype {gd.dtype} for an input of shape {x.shape} and dtype '
                         f'{x.dtype}; the shapes must be equal (is a sum_to missing?)')
    return gx


def _leaf_grad(g, given):
    """A leaf's gradient must own writable memory that no other leaf's gradient uses (optimizers
    and their hooks update it in place). ``given`` holds the ids of buffers already handed out."""
    d = g.data
    if id(d if d.base is None else d.base) in given or \
            not (d.flags.writeable if d.__class__ is np.ndarray else 0 not in d.strides):
        g = g + 0 if _settings.enable_backprop else _output(d.copy())
        d = g.data
    given.add(id(d if d.base is None else d.base))
    return g


def _grads(outputs, inputs, grad_outputs, create_graph, retain_graph=True, partial=False):
    """d outputs / d inputs (None where they do not depend on an input); missing seeds are ones."""
    outputs = [outputs] if isinstance(outputs, Variable) else list(outputs)
    grad_outputs = [None] * len(outputs) if grad_outputs is None else \
        list(grad_outputs) if isinstance(grad_outputs, (list, tuple)) else [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(f'grad: {len(outputs)} outputs but {len(grad_outputs)} grad_outputs')
    seeds = {}
    for y, gy in zip(outputs, grad_outputs):
        gy = Variable(cuda.get_array_module(y.data).ones_like(y.data)) if gy is None else as_variable(gy)
        if gy.shape != y.shape:
            raise ValueError(f'grad: grad_output of shape {gy.shape} for an output of shape {y.shape}')
        seeds[y] = gy if y not in seeds else seeds[y] + gy
    found = _backprop(seeds, False, create_graph, retain_graph, {_key(x)[0] for x in inputs}, partial)
    return [found.get(_key(x)[0]) for x in inputs]


def grad(outputs: Variable | Sequence[Variable], inputs: Variable | Sequence[Variable],
         grad_outputs: Variable | np.ndarray | Sequence | None = None, create_graph: bool = False,
         retain_graph: bool = True, allow_unused: bool = False) -> Variable | tuple | None:
    """Gradients of ``outputs`` with respect to ``inputs``, without touching any ``.grad``.

    ``outputs`` and ``inputs`` are Variables or sequences of them (one input gives one gradient,
    a sequence a tuple); ``grad_outputs`` are the seeds (ones by default). An input the outputs do
    not depend on raises ValueError unless ``allow_unused`` (then its gradient is None). With
    ``create_graph`` the gradients can be differentiated again; ``retain_graph=False`` releases
    the graph's arrays on the way.

    Example:
        >>> x = Variable(np.array(2.0))
        >>> y = x ** 4 - 2 * x ** 2
        >>> gx = grad(y, x, create_graph=True)
        >>> gx, grad(gx, x), x.grad
        (variable(24.0), variable(44.0), None)
    """
    single = isinstance(inputs, Variable)
    inputs = [inputs] if single else list(inputs)
    result = _grads(outputs, inputs, grad_outputs, create_graph, retain_graph)
    for i, (x, gx) in enumerate(zip(inputs, result)):
        if gx is None and not allow_unused:
            raise ValueError(f'grad: the outputs do not depend on input {i} (shape {x.shape}); '
                             'pass allow_unused=True to get None for it')
    return result[0] if single else tuple(result)


def partial_vjp(func: Callable, inputs: Sequence[Variable], grad_outputs: Sequence) -> list[Variable | None]:
    """Run ``func(*inputs)`` recording a graph; return, recorded, the vector-Jacobian product with
    ``grad_outputs`` for each input (None where func does not depend on it), the pass stopping at
    the inputs: for a backward that recomputes a formula from its inputs to differentiate it."""
    with using_config('enable_backprop', True):
        pairs = [(y, g) for y, g in zip(func(*inputs), grad_outputs) if g is not None]
        return _grads([y for y, _ in pairs], list(inputs), [g for _, g in pairs], True, partial=True)
