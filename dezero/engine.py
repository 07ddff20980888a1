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


class VariableNode(Variable):
    """What the graph keeps of a Variable whose array no backward needs: no array, the rest alike.

    It has the Variable's ``creator``, ``generation``, ``shape``, ``dtype`` and ``name``, and
    ``ref``, a weak reference to the Variable (the gradient of an unchained node goes there).
    """
    __slots__ = ('ref', '_shape', '_dtype')

    def __init__(self, y, creator):
        self.data = self.grad = self.node = None
        self.creator = creator
        self.generation = y.generation
        self.ref = weakref.ref(y)
        self._shape = y.data.shape
        self._dtype = y.data.dtype

    shape = property(lambda self: self._shape)
    ndim = property(lambda self: len(self._shape))
    size = property(lambda self: int(np.prod(self._shape)))
    dtype = property(lambda self: self._dtype)
    name = property(lambda self: getattr(self.ref(), 'name', None))

    def __len__(self):
        return self._shape[0]

    def __bool__(self):          # a node is always there (``x.node or x``), whatever its length
        return True

    def __repr__(self):
        return f'variable node ({self._shape} {self._dtype}, data not kept)'

    def unchain(self):
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
        kind = like.dtype.kind
        dtype = like.dtype if kind in 'fc' and t is not complex else np.result_type(like.dtype, x)
        return Constant(xp.asarray(x, dtype=dtype))
    if isinstance(x, np.matrix):
        x = np.asarray(x)
    return Constant(as_array(x, xp))


# =============================================================================
# Function
# =============================================================================
class Function:
    """An operation of the graph: ``forward`` on arrays, ``backward`` on Variables.

    ``backward`` receives one gradient Variable per output (None for an output that received
    none) and returns one per input (None for no gradient). An instance is used once.

    ``keep_inputs`` lists the inputs whose Variables the backward reads (``self.inputs[i]``
    then is that Variable; the others are VariableNodes, with shape and dtype but no array);
    None, the default, keeps them all, as in the book. ``keep_outputs`` lists the outputs the
    backward reads through ``self.retained_outputs()``.

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
        for x in inputs:
            if not isinstance(x, Variable):
                inputs = _as_inputs(inputs)
                break
        try:
            ys = self.forward(*[x.data for x in inputs])
        except TypeError:                 # CuPy's error for a CPU/GPU mix-up: say which arrays
            cuda.check_same_device(*[x.data for x in inputs], name=type(self).__name__, state=vars(self))
            raise
        if ys.__class__ is not tuple:
            ys = (ys,)
        outputs = [Variable(y if y.__class__ is np.ndarray else as_array(y)) for y in ys]
        if _settings.enable_backprop:
            self._record(inputs, outputs)
        else:
            for y in outputs:
                y.node = NOT_RECORDED
        return outputs[0] if len(outputs) == 1 else outputs

    def _record(self, inputs, outputs):
        """Make this Function the creator of ``outputs`` and keep what its backward needs."""
        self.generation = generation = max([x.generation for x in inputs])
        keep = self.keep_inputs
        if keep is None:               # the book's Function: inputs and outputs are the Variables
            self.inputs = list(inputs)
            for y in outputs:
                y.creator, y.generation = self, generation + 1
            self.outputs = [weakref.ref(y) for y in outputs]
            return
        self.inputs = [x if i in keep else (x.node or x) for i, x in enumerate(inputs)]
        nodes = []
        for y in outputs:
            y.creator, y.generation = self, generation + 1
            y.node = VariableNode(y, self)
            nodes.append(weakref.ref(y.node))
        self.outputs = nodes
        if self.keep_outputs:
            self.output_data = tuple(outputs[i].data for i in self.keep_outputs)

    def retained_outputs(self):
        """The outputs listed in ``keep_outputs``, as Variables in this Function's graph."""
        result = []
        for i, data in zip(self.keep_outputs, self.output_data):
            node = self.outputs[i]()
            if node is None:           # nobody held that output: a new node stands for it
                node = VariableNode(Variable(data), self)
                node.generation = self.generation + 1
                self.outputs[i] = weakref.ref(node)
            y = Variable(data)
            y.creator, y.generation, y.node = self, node.generation, node
            result.append(y)
        return result

    def forward(self, *xs):
        raise NotImplementedError()

    def backward(self, *gys):
        raise NotImplementedError()


def _as_inputs(inputs):
    """The inputs of a Function call as Variables: the others become Constants on the device of
    the first Variable, Python numbers taking its dtype (see ``as_constant``)."""
    like = next((x.data for x in inputs if isinstance(x, Variable)), None)
    return [x if isinstance(x, Variable) else as_constant(x, like) for x in inputs]


# =============================================================================
# The backward pass
# =============================================================================
def _backprop(seeds, retain_grad, create_graph, retain_graph=True, targets=None, partial=False):
    """Reverse-mode pass from ``seeds`` ({Variable: gradient Variable}).

    Gradients wait in ``pending``, keyed by the node the graph keeps for each Variable.
    Functions are popped from a heap, latest generation first, so each one runs once, after
    every function that uses its outputs: O(n log n) overall. Without ``targets``, leaf
    gradients are accumulated into ``.grad``. With a collection of ``targets`` nothing is
    written to ``.grad`` and {target node: gradient} is returned; with ``partial`` the pass
    stops at the targets (their own inputs are treated as independent of them).
    """
    pending, found, heap, seen = {}, {}, [], set()
    given = set()                # ids of the buffers of the gradients stored in leaves' .grad

    def send(x, gx):
        """Route gradient ``gx`` to input ``x`` of a function: into a leaf's grad or pending."""
        node = x.node or x
        if targets is not None and node in targets:
            g = found.get(node)
            found[node] = gx if g is None else _add(g, gx, create_graph)
            if partial:
                return
        f = node.creator
        if f is None:
            if targets is None:
                leaf = node.ref() if node.__class__ is VariableNode else node
                if leaf is not None:
                    leaf.grad = _leaf_grad(gx, given) if leaf.grad is None else \
                        _add(leaf.grad, gx, create_graph)
            return
        g = pending.get(node)
        pending[node] = gx if g is None else _add(g, gx, create_graph)
        if f not in seen:
            seen.add(f)
            heapq.heappush(heap, (-f.generation, len(seen), f))

    old_mode = _settings.enable_backprop
    _settings.enable_backprop = create_graph
    try:
        for y, gy in seeds.items():
            send(y, gy)
        while heap:
            f = heapq.heappop(heap)[2]
            if f.released:
                raise RuntimeError(f'backward reached {type(f).__name__}, whose saved arrays an earlier '
                                   'backward(retain_graph=False) released; pass retain_graph=True to '
                                   'the first backward to go through the graph again')
            nodes = [ref() for ref in f.outputs]
            gys = [None if n is None else pending.pop(n, None) for n in nodes]
            if targets is None:
                for n, gy in zip(nodes, gys):
                    y = n.ref() if n.__class__ is VariableNode else n
                    if y is not None:
                        y.grad = gy if retain_grad else None
            try:
                gxs = f.backward(*gys)
            except TypeError:
                state = dict(vars(f), **{f'gradient {i}': g for i, g in enumerate(gys)})
                cuda.check_same_device(*[x.data for x in f.inputs], name=type(f).__name__ + '.backward',
                                       state=state)
                raise
            if not isinstance(gxs, tuple):
                gxs = (gxs,)
            for x, gx in zip(f.inputs, gxs):
                if gx is not None and x.__class__ is not Constant:
                    if gx.__class__ is not Variable or gx.data.shape != x.shape or gx.data.dtype is not x.dtype:
                        gx = _checked_grad(f, x, gx)
                    send(x, gx)
            if not retain_graph:
                f.inputs = [x.node or x for x in f.inputs]
                f.output_data = ()
                f.released = True
    finally:
        _settings.enable_backprop = old_mode
    return found


def _add(g, gx, create_graph):
    """g + gx, recorded in the graph only under create_graph (never in place: g may be shared)."""
    return g + gx if create_graph else Variable(g.data + gx.data)


def _checked_grad(f, x, gx):
    """Wrap a raw array gradient and check it matches its input's shape and dtype kind."""
    if not isinstance(gx, Variable):
        gx = Variable(gx if cuda.is_array(gx) else as_array(gx))
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
        g = g + 0 if _settings.enable_backprop else Variable(d.copy())
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
        found = _backprop(seeds, False, True, targets={x.node or x for x in inputs}, partial=True)
    return [found.get(x.node or x) for x in inputs]


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
                      targets={x.node or x for x in inputs})
    result = []
    for i, x in enumerate(inputs):
        gx = found.get(x.node or x)
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
