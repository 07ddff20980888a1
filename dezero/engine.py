"""The engine: Variable, Function, the graph they build and the backward pass over it.

Running a Function records it as the ``creator`` of its outputs, so the graph is rebuilt on
every forward pass (define-by-run). ``Variable.backward`` walks that graph from the output,
latest Function first, and every backward is written with Functions again, which is what
makes higher-order derivatives work.

What the graph keeps. A Function keeps, for each input, either the input Variable itself or
its ``VariableNode``: a stand-in with the same creator, generation, shape and dtype but no
array. Functions of the book's kind (they declare nothing) keep their input Variables, as in
the book. Built-in Functions declare in ``keep_inputs`` and ``keep_outputs`` which arrays their
backward reads, and keep only those: an activation that nobody else holds is freed as soon as
the program drops it. ``backward(retain_graph=False)`` also releases what each Function kept
once its backward has run.

This module imports only NumPy and the two bottom modules (``arrays``, ``cuda``). The
arithmetic operators and the methods that call functions (``reshape``, ``sum``, ``x[i]``...)
are installed on Variable by ``dezero.functions``.
"""
import contextlib
import heapq
import threading
import weakref

import numpy as np

from dezero import cuda


# =============================================================================
# Config: per-thread settings
# =============================================================================
class _Settings(threading.local):
    """Each thread sees its own values; these class attributes are the defaults."""
    enable_backprop = True   # record graphs for backward
    train = True             # dropout and batch norm behave as in training


_settings = _Settings()


class _ConfigMeta(type):
    def __getattr__(cls, name):
        try:
            return getattr(_settings, name)
        except AttributeError:
            raise AttributeError(f'Config has no setting {name!r}') from None

    def __setattr__(cls, name, value):
        setattr(_settings, name, value)


class Config(metaclass=_ConfigMeta):
    """The current thread's settings, read and written as class attributes.

    ``Config.enable_backprop`` (build graphs) and ``Config.train`` (training behaviour of
    dropout and batch norm) work as in the book, but a change made in one thread is not seen
    by the others.
    """


@contextlib.contextmanager
def using_config(name, value):
    """Set ``Config.<name>`` to ``value`` inside a ``with`` block, restoring it afterwards.

    Example:
        >>> with using_config('enable_backprop', False):
        ...     print(Config.enable_backprop)
        False
        >>> Config.enable_backprop
        True
    """
    old = getattr(Config, name)
    setattr(Config, name, value)
    try:
        yield
    finally:
        setattr(Config, name, old)


def no_grad():
    """Run without recording graphs (inference, or updates that must not be differentiated).

    Example:
        >>> x = Variable(np.array(2.0))
        >>> with no_grad():
        ...     y = x * 3
        >>> y.creator is None
        True
    """
    return using_config('enable_backprop', False)


def test_mode():
    """Run dropout and batch norm in inference mode. Graphs are still recorded.

    Example:
        >>> x = Variable(np.array(2.0))
        >>> with test_mode():
        ...     y = x * 3
        ...     print(Config.train)
        False
        >>> y.creator is None
        False
    """
    return using_config('train', False)


class _NotRecorded:
    """The ``node`` of a Variable that a Function made while no graph was recorded (falsy)."""

    def __bool__(self):
        return False

    def __repr__(self):
        return 'NOT_RECORDED'


NOT_RECORDED = _NotRecorded()


# =============================================================================
# Variable and its kin
# =============================================================================
class Variable:
    """A box for an array (NumPy or CuPy) that remembers the Function that created it.

    ``grad`` is a Variable (or None); ``creator`` is the Function that produced ``data``
    (None for leaves); ``generation`` orders functions during backward; ``node`` is the
    stand-in that the graph keeps for it (None when the Variable stands for itself). The
    operators (``+ - * / ** @``, indexing) and the methods ``reshape``, ``transpose``, ``T``,
    ``sum``, ``matmul``, ``dot``, ``max`` and ``min`` are installed by ``dezero.functions``.

    Example:
        >>> x = Variable(np.array([[1, 2, 3], [4, 5, 6]]), name='x')
        >>> x.shape, len(x)
        ((2, 3), 2)
        >>> x
        variable([[1 2 3]
                  [4 5 6]])
    """
    __slots__ = ('data', 'name', 'grad', 'creator', 'generation', 'node', '__weakref__')
    __array_priority__ = 200   # ndarray <op> Variable defers to Variable's operator
    _is_variable = True        # how dezero.cuda recognises a Variable without importing this module

    def __init__(self, data, name=None):
        if data is not None and data.__class__ is not np.ndarray:
            if isinstance(data, (np.generic, np.matrix)):
                data = np.asarray(data)      # a NumPy scalar becomes 0-d; a matrix multiplies elementwise
            elif not cuda.is_array(data):
                hint = repr(data) if len(repr(data)) <= 40 else '...'
                raise TypeError(f'{type(data)} is not supported: Variable takes a NumPy or CuPy '
                                f'array, e.g. Variable(np.array({hint}))')
        self.data = data
        self.name = name
        self.grad = None
        self.creator = None
        self.generation = 0
        self.node = None

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

    def set_creator(self, func):
        self.creator = func
        self.generation = func.generation + 1

    def unchain(self):
        """Forget the creator, making this Variable a leaf for its consumers too."""
        self.creator = None
        if self.node:
            self.node.creator = None

    def cleargrad(self):
        self.grad = None

    def backward(self, retain_grad=False, create_graph=False, retain_graph=True):
        """Accumulate d(self)/d(leaf) into the ``grad`` of every leaf this Variable depends on.

        The seed is ``self.grad`` if set, else ones. Gradients of intermediate Variables are
        freed unless ``retain_grad``. With ``create_graph`` the gradients carry a graph of their
        own and can be differentiated again. With ``retain_graph=False`` each Function drops the
        arrays it kept as soon as its backward has run (less memory; no second backward).

        Example:
            >>> x = Variable(np.array(3.0))
            >>> y = x ** 2
            >>> y.backward(create_graph=True)
            >>> x.grad
            variable(6.0)
            >>> gx = x.grad
            >>> x.cleargrad()
            >>> gx.backward()
            >>> x.grad
            variable(2.0)
        """
        if self.creator is None and self.node is NOT_RECORDED:
            raise RuntimeError('backward: this Variable was computed while no graph was recorded '
                               '(under dezero.no_grad() or Config.enable_backprop = False, or it is '
                               'a gradient computed without create_graph=True), so there is nothing '
                               'to differentiate')
        if self.grad is None:
            self.grad = Variable(cuda.get_array_module(self.data).ones_like(self.data))
        elif self.grad.shape != self.shape:
            raise ValueError(f'backward: the seed gradient self.grad has shape {self.grad.shape} '
                             f'but the Variable has shape {self.shape}')
        if self.creator is not None:
            _backprop({self: self.grad}, retain_grad, create_graph, retain_graph)

    def unchain_backward(self):
        """Cut the graph upstream of this Variable (keeps ``self.creator``), e.g. for truncated BPTT."""
        if self.creator is None:
            return
        funcs, seen = [self.creator], {self.creator}
        while funcs:
            for x in funcs.pop().inputs:
                if x.creator is not None:
                    if x.creator not in seen:
                        seen.add(x.creator)
                        funcs.append(x.creator)
                    x.unchain()

    def to_cpu(self):
        if self.data is not None:
            self.data = cuda.as_numpy(self.data)
        if self.grad is not None:
            self.grad.to_cpu()

    def to_gpu(self):
        if self.data is not None:
            self.data = cuda.as_cupy(self.data)
        if self.grad is not None:
            self.grad.to_gpu()


class VariableNode:
    """What the graph keeps of a Variable that a Function made: its creator, generation, shape,
    dtype and a weak reference to it (``ref``), but not its array.

    A Function keeps the node instead of the Variable for an input whose array its backward does
    not read, so the array is freed when the program drops the Variable. Gradients wait in
    backward under the node's ``ref`` (the same object as ``creator.outputs[i]``).
    """
    __slots__ = ('creator', 'generation', 'ref', 'shape', 'dtype')
    data = grad = node = None

    def __init__(self, creator, generation, ref, shape, dtype):
        self.creator = creator
        self.generation = generation
        self.ref = ref
        self.shape = shape
        self.dtype = dtype

    name = property(lambda self: getattr(self.ref(), 'name', None))
    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: int(np.prod(self.shape)))

    def __repr__(self):
        return f'<VariableNode {self.shape} {self.dtype}, array not kept>'

    def unchain(self):
        """Make the Variable a leaf, for the Functions that hold this node too."""
        self.creator = None
        y = self.ref()
        if y is not None:
            y.creator = None


class Parameter(Variable):
    """A Variable that a Layer registers as trainable."""
    __slots__ = ()


class Constant(Variable):
    """An operand given as a number or an array rather than a Variable.

    Nobody holds it, so nobody can read its gradient: backward computes none for it
    (``x * 2.0`` computes no gradient for the 2.0).
    """
    __slots__ = ()


def as_array(x, array_module=np):
    """Turn a scalar (Python or NumPy) into a 0-d array; leave arrays as they are.

    Example:
        >>> as_array(1.5).shape
        ()
    """
    if isinstance(x, (np.generic, int, float, complex)):
        return array_module.array(x)
    return x


def as_variable(obj):
    """Return ``obj`` if it is a Variable, else wrap it (scalars become 0-d arrays).

    Example:
        >>> as_variable(np.array([1.0, 2.0]))
        variable([1. 2.])
    """
    if isinstance(obj, Variable):
        return obj
    return Variable(as_array(obj))


def as_constant(x, like=None):
    """An operand ``x`` that is not a Variable, as a Constant on the device of array ``like``.

    Python numbers are weak, as in NumPy 2 (NEP 50), under NumPy 1 and 2 alike: they take the
    float dtype of ``like`` (``float32 Variable * 2.0`` stays float32). Arrays keep their dtype.
    """
    xp = np if like is None or like.__class__ is np.ndarray else cuda.get_array_module(like)
    t = type(x)
    if like is not None and (t is float or t is int or t is bool or t is complex):
        dtype = like.dtype
        if dtype.kind not in 'fc' or t is complex:
            dtype = np.result_type(dtype, x)
        x = xp.asarray(x, dtype=dtype)
    elif isinstance(x, np.matrix):
        x = np.asarray(x)
    else:
        x = as_array(x, xp)
    c = _new(Constant)
    c.data, c.name, c.grad, c.creator, c.generation, c.node = x, None, None, None, 0, None
    return c


# =============================================================================
# Function
# =============================================================================
class Function:
    """An operation of the graph: ``forward`` on arrays, ``backward`` on Variables.

    ``backward`` receives one gradient Variable per output (None for an output that received
    none) and returns one per input (None for no gradient). An instance is used once.

    ``keep_inputs`` lists the inputs whose Variables the backward reads; ``self.inputs`` holds
    those Variables and, for the others, their VariableNodes (shape and dtype, no array). None,
    the default, keeps every input Variable, as in the book. ``keep_outputs`` lists the outputs
    the backward reads, through ``self.retained_outputs()``.

    Example:
        >>> class Square(Function):
        ...     def forward(self, x):
        ...         return x ** 2
        ...     def backward(self, gy):
        ...         x, = self.inputs
        ...         return 2 * x * gy
        >>> x = Variable(np.array(3.0))
        >>> y = Square()(x)
        >>> y.backward()
        >>> y, x.grad
        (variable(9.0), variable(6.0))
    """
    keep_inputs = None
    keep_outputs = ()
    output_data = ()      # the arrays of the kept outputs
    released = False      # set by backward(retain_graph=False) once this Function's backward ran

    def __call__(self, *inputs):
        n = len(inputs)
        if n == 1 or n == 2:              # the common cases, kept cheap: they run millions of times
            x0, x1 = inputs[0], inputs[-1]
            if (x0.__class__ is not Variable and not isinstance(x0, Variable)) or \
                    (x1.__class__ is not Variable and not isinstance(x1, Variable)):
                inputs = _as_inputs(inputs)
                x0, x1 = inputs[0], inputs[-1]
        else:
            for x in inputs:
                if not isinstance(x, Variable):
                    inputs = _as_inputs(inputs)
                    break
        try:
            ys = self.forward(x0.data) if n == 1 else self.forward(x0.data, x1.data) if n == 2 else \
                self.forward(*[x.data for x in inputs])
        except TypeError:                 # CuPy's error for a CPU/GPU mix-up: say which arrays
            cuda.check_same_device(*[x.data for x in inputs], name=type(self).__name__, state=vars(self))
            raise
        if ys.__class__ is not tuple:     # one output
            y = _new(Variable)
            y.data = ys if ys.__class__ is np.ndarray else as_array(ys)
            y.name = y.grad = None
            if not _settings.enable_backprop:
                y.creator, y.generation, y.node = None, 0, NOT_RECORDED
                return y
            outputs = (y,)
        elif not _settings.enable_backprop:
            outputs = [_output(y, NOT_RECORDED) for y in ys]
            return outputs[0] if len(outputs) == 1 else outputs
        else:
            outputs = [_output(y) for y in ys]
        # Record: this Function becomes the creator of the outputs and keeps what backward reads.
        if n == 1:
            g = x0.generation
        elif n == 2:
            g = x0.generation if x0.generation > x1.generation else x1.generation
        else:
            g = max([x.generation for x in inputs])
        self.generation = g
        keep = self.keep_inputs
        if keep is None or len(keep) == n:          # the book's Function keeps all its inputs
            self.inputs = list(inputs)
        elif keep:
            self.inputs = [x if i in keep else _node(x) for i, x in enumerate(inputs)]
        else:
            self.inputs = [_node(x) for x in inputs]
        if len(outputs) == 1:             # its node is made when a Function needs it (_node)
            y = outputs[0]
            if self.keep_outputs:
                self.output_data = (y.data,)
            y.creator, y.generation, y.node = self, g + 1, None
            self.outputs = [weakref.ref(y)]
            return y
        if self.keep_outputs:
            self.output_data = tuple([outputs[i].data for i in self.keep_outputs])
        self.outputs = refs = []
        for y in outputs:
            y.creator, y.generation = self, g + 1
            refs.append(weakref.ref(y))
            y.node = None if keep is None else VariableNode(self, g + 1, refs[-1], y.data.shape, y.data.dtype)
        return outputs

    def retained_outputs(self):
        """The outputs listed in ``keep_outputs``, as Variables in this Function's graph."""
        if not _settings.enable_backprop:             # nothing is recorded: no graph to join
            return [_output(data, NOT_RECORDED) for data in self.output_data]
        result = []
        for i, data in zip(self.keep_outputs, self.output_data):
            y = _output(data)
            y.creator, y.generation = self, self.generation + 1
            y.node = VariableNode(self, y.generation, self.outputs[i], data.shape, data.dtype)
            result.append(y)
        return result

    def forward(self, *xs):
        raise NotImplementedError()

    def backward(self, *gys):
        raise NotImplementedError()


def _output(y, node=None):
    """A new Variable holding ``y`` (a 0-d array for a NumPy scalar), without Variable's checks."""
    v = _new(Variable)
    v.data = y if y.__class__ is np.ndarray else as_array(y)
    v.name = v.grad = v.creator = None
    v.generation, v.node = 0, node
    return v


_new = object.__new__


def _as_inputs(inputs):
    """The inputs of a Function call as Variables: the others become Constants on the device of
    the first Variable, Python numbers taking its dtype (see ``as_constant``)."""
    like = None
    for x in inputs:
        if isinstance(x, Variable):
            like = x.data
            break
    return [x if isinstance(x, Variable) else as_constant(x, like) for x in inputs]


# =============================================================================
# The backward pass
# =============================================================================
def _node(x):
    """What a Function keeps of an input ``x`` whose array its backward does not read: the
    Variable's VariableNode (made on first need), or ``x`` itself for a leaf or for an output of
    the book's kind of Function (which stand for themselves, as in the book)."""
    n = x.node
    if n is None:
        f = x.creator
        if f is None or f.keep_inputs is None:
            return x
        x.node = n = _new(VariableNode)
        n.creator, n.generation, n.ref, n.shape, n.dtype = f, x.generation, f.outputs[0], x.data.shape, \
            x.data.dtype
    return n or x


def _key(x):
    """(key, creator, stand-in) of ``x``, an input of a Function, in backward.

    The gradient of ``x`` waits under the key: the id of the weak reference ``creator.outputs[i]``
    for an output of a built-in Function, else the Variable itself (a leaf, or an output of the
    book's kind of Function). The stand-in is its VariableNode if it has one, else ``x``.
    """
    if x.__class__ is VariableNode:
        return id(x.ref), x.creator, x
    n = x.node
    if n:
        return id(n.ref), n.creator, n
    f = x.creator
    return (x if f is None or f.keep_inputs is None else id(f.outputs[0])), f, x


def _backprop(seeds, retain_grad, create_graph, retain_graph=True, targets=None, partial=False):
    """Reverse-mode pass from ``seeds`` ({Variable: gradient Variable}).

    Gradients wait in ``pending`` under the key of each Variable (see ``_key``). Functions are
    popped from a heap, latest generation first, so each one runs once, after every function
    that uses its outputs: O(n log n) overall. Without ``targets``, leaf gradients are
    accumulated into ``.grad``. With a collection of ``targets`` (keys) nothing is written to
    ``.grad`` and {key: gradient} is returned; with ``partial`` the pass stops at the targets
    (their own inputs are treated as independent of them).
    """
    pending, found, heap, seen = {}, {}, [], set()
    given = set()                # ids of the buffers of the gradients stored in leaves' .grad
    own = set()                  # ids of leaf gradients this pass summed into new arrays
    push, pop = heapq.heappush, heapq.heappop
    f, routes = None, seeds.items()          # (Variable, its gradient) pairs to route
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
                if x.creator is None and not x.node and x.__class__ is not VariableNode:
                    key, c, n = x, None, x            # a leaf, the commonest case (see _key)
                else:
                    key, c, n = _key(x)
                if targets is not None and key in targets:
                    g = found.get(key)
                    found[key] = gx if g is None else _add(g, gx, create_graph)
                    if partial:
                        continue
                if c is None:    # a leaf; an unchained node passes the gradient to its Variable
                    leaf = n.ref() if n.__class__ is VariableNode else n
                    if targets is None and leaf is not None:
                        g = leaf.grad
                        if g is None:
                            leaf.grad = _leaf_grad(gx, given)
                        elif create_graph:
                            leaf.grad = g + gx
                        elif id(g) in own and g.data.dtype is gx.data.dtype:
                            g.data += gx.data     # a sum this pass made: nobody else holds it
                        else:
                            leaf.grad = _output(g.data + gx.data)
                            own.add(id(leaf.grad))
                    continue
                g = pending.get(key)
                pending[key] = gx if g is None else _add(g, gx, create_graph)
                if c not in seen:
                    seen.add(c)
                    push(heap, (-c.generation, len(seen), c))
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
                state = dict(vars(f), **{f'gradient {i}': g for i, g in enumerate(gys)})
                cuda.check_same_device(*[x.data for x in f.inputs], name=type(f).__name__ + '.backward',
                                       state=state)
                raise
            routes = zip(f.inputs, gxs if gxs.__class__ is tuple else (gxs,))
            if not retain_graph:
                routes = list(routes)
                f.inputs = [_node(x) for x in f.inputs]
                f.output_data = ()
                f.released = True
    finally:
        _settings.enable_backprop = old_mode


def _add(g, gx, create_graph):
    """g + gx, recorded in the graph only under create_graph (never in place: g may be shared)."""
    return g + gx if create_graph else _output(g.data + gx.data)


def _checked_grad(f, x, gx):
    """Wrap a raw array gradient and check it matches its input's shape and dtype kind."""
    if not isinstance(gx, Variable):
        gx = Variable(gx if cuda.is_array(gx) else as_array(gx))
    if x.data is None and x.__class__ is not VariableNode:     # an input given as None
        return gx
    gd = gx.data
    if gd.shape != x.shape or (x.dtype.kind in 'fc' and gd.dtype.kind not in 'fc'):
        raise ValueError(f'{type(f).__name__}.backward returned a gradient of shape {gd.shape} '
                         f'and dtype {gd.dtype} for an input of shape {x.shape} and dtype '
                         f'{x.dtype}; the shapes must be equal (is a sum_to missing?)')
    return gx


def _leaf_grad(g, given):
    """A leaf's gradient must own writable memory that no other leaf's gradient uses (optimizers
    and their hooks update it in place). ``given`` holds the ids of buffers already handed out."""
    d = g.data
    base = d if d.base is None else d.base
    if id(base) in given or not (d.flags.writeable if d.__class__ is np.ndarray else 0 not in d.strides):
        g = g + 0 if _settings.enable_backprop else _output(d.copy())
        d = g.data
        base = d if d.base is None else d.base
    given.add(id(base))
    return g


def partial_vjp(func, inputs, grad_outputs):
    """Run ``func(*inputs)`` recording a graph and return, for each input, the vector-Jacobian
    product with ``grad_outputs`` (None where func does not depend on it), itself recorded.

    The pass stops at the inputs: they are treated as independent variables. This is for
    backwards that recompute a formula from their inputs to differentiate it again.
    """
    with using_config('enable_backprop', True):
        seeds = {}
        for y, g in zip(func(*inputs), grad_outputs):
            if g is not None:
                seeds[y] = g if y not in seeds else seeds[y] + g
        found = _backprop(seeds, False, True, targets={_key(x)[0] for x in inputs}, partial=True)
    return [found.get(_key(x)[0]) for x in inputs]


def grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=True,
         allow_unused=False):
    """Gradients of ``outputs`` with respect to ``inputs``, without touching any ``.grad``.

    ``outputs`` and ``inputs`` are Variables or sequences of them; a single input gives a single
    gradient, a sequence gives a tuple. ``grad_outputs`` are the seeds (ones by default). An
    input the outputs do not depend on raises ValueError unless ``allow_unused``, when its
    gradient is None. With ``create_graph`` the gradients can be differentiated again; without
    ``retain_graph`` the graph behind ``outputs`` releases its arrays on the way.

    Example:
        >>> x = Variable(np.array(2.0))
        >>> y = x ** 4 - 2 * x ** 2
        >>> gx = grad(y, x, create_graph=True)
        >>> gx, grad(gx, x), x.grad
        (variable(24.0), variable(44.0), None)
    """
    single = isinstance(inputs, Variable)
    inputs = [inputs] if single else list(inputs)
    found = _backprop(_seeds('grad', outputs, grad_outputs), False, create_graph, retain_graph,
                      targets={_key(x)[0] for x in inputs})
    result = []
    for i, x in enumerate(inputs):
        gx = found.get(_key(x)[0])
        if gx is None and not allow_unused:
            raise ValueError(f'grad: the outputs do not depend on input {i} (shape {x.shape}); '
                             'pass allow_unused=True to get None for it')
        result.append(gx)
    return result[0] if single else tuple(result)


def _seeds(name, outputs, grad_outputs):
    """{output: seed gradient} for ``grad``; missing seeds are ones."""
    outputs = [outputs] if isinstance(outputs, Variable) else list(outputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif not isinstance(grad_outputs, (list, tuple)):
        grad_outputs = [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(f'{name}: {len(outputs)} outputs but {len(grad_outputs)} grad_outputs')
    seeds = {}
    for y, gy in zip(outputs, grad_outputs):
        gy = Variable(cuda.get_array_module(y.data).ones_like(y.data)) if gy is None else as_variable(gy)
        if gy.shape != y.shape:
            raise ValueError(f'{name}: grad_output of shape {gy.shape} for an output of shape {y.shape}')
        seeds[y] = gy if y not in seeds else seeds[y] + gy
    return seeds
