"""The define-by-run core: Variable, Function, the backward engine and arithmetic.

Running a Function records it as the ``creator`` of its outputs, so the graph is
rebuilt on every forward pass (define-by-run). ``Variable.backward`` walks that
graph from the output, most recent function first, and every backward is
written with Functions again, which is what makes higher-order derivatives work.

This module imports no layer, optimizer or dataset. ``dezero.functions`` is
imported at the bottom (the two modules refer to each other).
"""
import contextlib
import heapq
import threading
import weakref

import numpy as np

from dezero import cuda, utils


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

    ``Config.enable_backprop`` (build graphs) and ``Config.train`` (training
    behaviour of dropout and batch norm) work as in the book, but a change made
    in one thread is not seen by the others.
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


# =============================================================================
# Variable
# =============================================================================
class Variable:
    """A box for an array (NumPy or CuPy) that remembers the Function that created it.

    ``grad`` is a Variable (or None); ``creator`` is the Function that produced
    ``data`` (None for leaves); ``generation`` orders functions during backward.
    The operators (``+ - * / ** @``, indexing) and the methods ``matmul``, ``dot``,
    ``max`` and ``min`` are installed by ``setup_variable()`` on import.

    Example:
        >>> x = Variable(np.array([[1, 2, 3], [4, 5, 6]]), name='x')
        >>> x.shape, len(x)
        ((2, 3), 2)
        >>> x
        variable([[1 2 3]
                  [4 5 6]])
    """
    __slots__ = ('data', 'name', 'grad', 'creator', 'generation', '__weakref__')
    __array_priority__ = 200   # ndarray <op> Variable defers to Variable's operator

    def __init__(self, data, name=None):
        if data is not None and data.__class__ is not np.ndarray:
            if isinstance(data, np.generic):
                data = np.asarray(data)
            elif not cuda.is_array(data):
                hint = repr(data) if len(repr(data)) <= 40 else '...'
                raise TypeError(f'{type(data)} is not supported: Variable takes a NumPy or CuPy '
                                f'array, e.g. Variable(np.array({hint}))')
        self.data = data
        self.name = name
        self.grad = None
        self.creator = None
        self.generation = 0

    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        return self.data.size

    @property
    def dtype(self):
        return self.data.dtype

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
        """Forget the creator, making this Variable a leaf."""
        self.creator = None

    def cleargrad(self):
        self.grad = None

    def backward(self, retain_grad=False, create_graph=False):
        """Accumulate d(self)/d(leaf) into the ``grad`` of every leaf this Variable depends on.

        The seed is ``self.grad`` if set, else ones. Gradients of intermediate
        Variables are freed unless ``retain_grad``. With ``create_graph`` the
        gradients carry a graph of their own and can be differentiated again.

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
        if self.grad is None:
            xp = cuda.get_array_module(self.data)
            self.grad = Variable(xp.ones_like(self.data))
        if self.creator is None:
            return
        _backprop({self: self.grad}, retain_grad, create_graph)

    def unchain_backward(self):
        """Cut the graph upstream of this Variable (keeps ``self.creator``), e.g. for truncated BPTT."""
        if self.creator is None:
            return
        funcs, seen = [self.creator], {self.creator}
        while funcs:
            f = funcs.pop()
            for x in f.inputs:
                if x.creator is not None:
                    if x.creator not in seen:
                        seen.add(x.creator)
                        funcs.append(x.creator)
                    x.unchain()

    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        return F.reshape(self, tuple(shape))

    def transpose(self, *axes):
        if len(axes) == 0:
            axes = None
        elif len(axes) == 1 and (isinstance(axes[0], (tuple, list)) or axes[0] is None):
            axes = axes[0]
        return F.transpose(self, axes)

    @property
    def T(self):
        return F.transpose(self)

    def sum(self, axis=None, keepdims=False):
        return F.sum(self, axis, keepdims)

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


class Parameter(Variable):
    """A Variable that a Layer registers as trainable."""


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


def _as_operand(x, like):
    """The other operand of a binary op on Variable data ``like``, as a Variable on the same device.

    Python numbers are weak, as in NumPy 2 (NEP 50), under NumPy 1 and 2 alike:
    ``float32 Variable * 2.0`` stays float32. Arrays follow NumPy promotion.
    """
    if isinstance(x, Variable):
        return x
    xp = np if like.__class__ is np.ndarray else cuda.get_array_module(like)
    t = type(x)
    if t is float or t is int or t is bool or t is complex:
        kind = like.dtype.kind
        dtype = like.dtype if kind in 'fc' and t is not complex else np.result_type(like.dtype, x)
        return Constant(xp.asarray(x, dtype=dtype))
    return Constant(as_array(x, xp))


class Constant(Variable):
    """An operand given as a number or an array rather than a Variable.

    Nobody holds it, so nobody can read its gradient: the arithmetic backwards
    skip it (``x * 2.0`` computes no gradient for the 2.0).
    """
    __slots__ = ()


# =============================================================================
# Function
# =============================================================================
class Function:
    """An operation of the graph: ``forward`` on arrays, ``backward`` on Variables.

    ``backward`` receives one gradient Variable per output (None for an output
    that received none) and returns one per input (None for no gradient).
    An instance is used once: every call creates a new node.

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

    def __call__(self, *inputs):
        inputs = [x if isinstance(x, Variable) else as_variable(x) for x in inputs]
        try:
            if len(inputs) == 1:          # the common cases, kept cheap: they run millions of times
                x, = inputs
                ys = self.forward(x.data)
                generation = x.generation
            elif len(inputs) == 2:
                x0, x1 = inputs
                ys = self.forward(x0.data, x1.data)
                generation = x0.generation if x0.generation > x1.generation else x1.generation
            else:
                ys = self.forward(*[x.data for x in inputs])
                generation = max([x.generation for x in inputs])
        except TypeError:                 # CuPy's error for a CPU/GPU mix-up: say which arrays
            cuda.check_same_device(*[x.data for x in inputs], name=type(self).__name__, state=vars(self))
            raise
        if ys.__class__ is not tuple:
            y = Variable(ys if ys.__class__ is np.ndarray else as_array(ys))
            if _settings.enable_backprop:
                self.generation = generation
                y.creator = self
                y.generation = generation + 1
                self.inputs = inputs
                self.outputs = [weakref.ref(y)]
            return y
        outputs = [Variable(y if y.__class__ is np.ndarray else as_array(y)) for y in ys]
        if _settings.enable_backprop:
            self.generation = generation
            for output in outputs:
                output.creator = self
                output.generation = generation + 1
            self.inputs = inputs
            self.outputs = [weakref.ref(output) for output in outputs]
        return outputs[0] if len(outputs) == 1 else outputs

    def forward(self, *xs):
        raise NotImplementedError()

    def backward(self, *gys):
        raise NotImplementedError()


# =============================================================================
# The backward engine
# =============================================================================
def _backprop(seeds, retain_grad, create_graph, targets=None):
    """Reverse-mode pass from ``seeds`` ({Variable: gradient Variable}).

    Functions are popped from a heap, latest generation first, so each one runs
    once, after every function that uses its outputs: O(n log n) overall.
    Without ``targets``, leaf gradients are accumulated into ``.grad``. With a
    collection of ``targets``, nothing is written to ``.grad`` and a dict
    {target: gradient or None} is returned.
    """
    grads = dict(seeds)          # pending gradients of Variables not yet processed
    found = {}
    heap, seen = [], set()
    given = set()                # ids of the buffers of the gradients stored in leaves' .grad
    heappush, heappop = heapq.heappush, heapq.heappop

    for y in seeds:
        f = y.creator
        if f is not None and f not in seen:
            seen.add(f)
            heappush(heap, (-f.generation, -len(seen), f))

    old_mode = _settings.enable_backprop
    _settings.enable_backprop = create_graph
    try:
        while heap:
            f = heappop(heap)[2]
            if len(f.outputs) == 1:       # the common case without list building
                y = f.outputs[0]()
                outputs, gys = (y,), (None if y is None else grads.pop(y, None),)
            else:
                outputs = [ref() for ref in f.outputs]
                gys = [None if y is None else grads.pop(y, None) for y in outputs]
            for y, gy in zip(outputs, gys):
                if y is not None:
                    if targets is None:
                        y.grad = gy if retain_grad else None
                    elif y in targets:
                        found[y] = gy
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
                if gx is None:
                    continue
                if (gx.__class__ is not Variable or x.data is None or gx.data.shape != x.data.shape
                        or gx.data.dtype is not x.data.dtype):
                    gx = _checked_grad(f, x, gx)
                if targets is None and x.creator is None:
                    if x.grad is not None:
                        x.grad = x.grad + gx if create_graph else Variable(x.grad.data + gx.data)
                    else:
                        x.grad = _leaf_grad(gx, given)
                else:
                    g = grads.get(x)
                    grads[x] = gx if g is None else g + gx if create_graph else Variable(g.data + gx.data)
                    c = x.creator
                    if c is not None and c not in seen:
                        seen.add(c)
                        heappush(heap, (-c.generation, -len(seen), c))
    finally:
        _settings.enable_backprop = old_mode
    if targets is not None:
        for t in targets:
            found.setdefault(t, grads.get(t))
        return found


def _checked_grad(f, x, gx):
    """Wrap a raw array gradient and check it matches its input's shape and dtype kind."""
    if not isinstance(gx, Variable):
        gx = as_variable(gx)
    xd, gd = x.data, gx.data
    if xd is not None and (gd.shape != xd.shape
                           or (xd.dtype.kind in 'fc' and gd.dtype.kind not in 'fc')):
        raise ValueError(f'{type(f).__name__}.backward returned a gradient of shape {gd.shape} '
                         f'and dtype {gd.dtype} for an input of shape {xd.shape} and dtype '
                         f'{xd.dtype}; the shapes must be equal (is a sum_to missing?)')
    return gx


def _fresh(g):
    """Same value and graph as ``g``, but a different object with its own array."""
    return g + 0 if _settings.enable_backprop else Variable(g.data.copy())


def _leaf_grad(g, given):
    """A leaf's gradient must own writable memory that no other leaf's gradient uses
    (optimizer hooks update it in place). ``given`` holds the ids of buffers already handed out."""
    d = g.data
    base = d if d.base is None else d.base
    if id(base) in given or not (d.flags.writeable if d.__class__ is np.ndarray else 0 not in d.strides):
        g = _fresh(g)
        d = g.data
        base = d if d.base is None else d.base
    given.add(id(base))
    return g


def grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=True,
         allow_unused=False):
    """Gradients of ``outputs`` with respect to ``inputs``, without touching any ``.grad``.

    ``outputs`` and ``inputs`` are Variables or sequences of them; a single input
    gives a single gradient, a sequence gives a tuple. ``grad_outputs`` are the
    seeds (ones by default). An input the outputs do not depend on raises
    ValueError unless ``allow_unused``, when its gradient is None. With
    ``create_graph`` the gradients can be differentiated again; without
    ``retain_graph`` the graph behind ``outputs`` is cut afterwards to free memory.

    Example:
        >>> x = Variable(np.array(2.0))
        >>> y = x ** 4 - 2 * x ** 2
        >>> gx = grad(y, x, create_graph=True)
        >>> gx, grad(gx, x), x.grad
        (variable(24.0), variable(44.0), None)
    """
    single = isinstance(inputs, Variable)
    inputs = [inputs] if single else list(inputs)
    outputs = [outputs] if isinstance(outputs, Variable) else list(outputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif not isinstance(grad_outputs, (list, tuple)):
        grad_outputs = [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(f'grad: {len(outputs)} outputs but {len(grad_outputs)} grad_outputs')
    seeds = {}
    for y, gy in zip(outputs, grad_outputs):
        if gy is None:
            gy = Variable(cuda.get_array_module(y.data).ones_like(y.data))
        gy = as_variable(gy)
        if gy.shape != y.shape:
            raise ValueError(f'grad: grad_output of shape {gy.shape} for an output of shape {y.shape}')
        seeds[y] = gy if y not in seeds else seeds[y] + gy
    found = _backprop(seeds, False, create_graph, targets=set(inputs))
    result = []
    for i, x in enumerate(inputs):
        gx = found.get(x)
        if gx is None and not allow_unused:
            raise ValueError(f'grad: the outputs do not depend on input {i} (shape {x.shape}); '
                             'pass allow_unused=True to get None for it')
        result.append(gx)
    if not retain_graph:
        for y in outputs:
            y.unchain_backward()
            y.unchain()
    return result[0] if single else tuple(result)


# =============================================================================
# Arithmetic, with broadcasting: gradients are summed back to each input's shape
# =============================================================================
def _sum_to(g, x):
    """The gradient ``g`` reduced to input ``x``'s shape, or None when ``x`` is a Constant."""
    if x.__class__ is Constant:
        return None
    return g if g.data.shape == x.data.shape else F.sum_to(g, x.data.shape)


def _summed(g, x):
    """``_sum_to`` at first order: array ``g`` reduced to x's shape, as a Variable (None for a Constant)."""
    if x.__class__ is Constant:
        return None
    shape = x.data.shape
    return Variable(g if g.shape == shape else utils.sum_to(g, shape))


def _binary(f, x0, x1):
    """Call the binary Function ``f`` on ``x0`` and ``x1``, with x1 converted to match x0."""
    x0 = as_variable(x0)
    return f(x0, _as_operand(x1, x0.data))


class Add(Function):
    def forward(self, x0, x1):
        return x0 + x1

    def backward(self, gy):
        x0, x1 = self.inputs
        if not _settings.enable_backprop:
            return _summed(gy.data, x0), _summed(gy.data, x1)
        return _sum_to(gy, x0), _sum_to(gy, x1)


def add(x0, x1):
    return _binary(Add(), x0, x1)


class Mul(Function):
    def forward(self, x0, x1):
        return x0 * x1

    def backward(self, gy):
        x0, x1 = self.inputs
        if not _settings.enable_backprop:
            g = gy.data
            return (None if x0.__class__ is Constant else _summed(g * x1.data, x0),
                    None if x1.__class__ is Constant else _summed(g * x0.data, x1))
        gx0 = None if x0.__class__ is Constant else _sum_to(gy * x1, x0)
        gx1 = None if x1.__class__ is Constant else _sum_to(gy * x0, x1)
        return gx0, gx1


def mul(x0, x1):
    return _binary(Mul(), x0, x1)


class Neg(Function):
    def forward(self, x):
        return -x

    def backward(self, gy):
        if not _settings.enable_backprop:
            return Variable(-gy.data)
        return -gy


def neg(x):
    return Neg()(x)


class Sub(Function):
    def forward(self, x0, x1):
        return x0 - x1

    def backward(self, gy):
        x0, x1 = self.inputs
        if not _settings.enable_backprop:
            return _summed(gy.data, x0), None if x1.__class__ is Constant else _summed(-gy.data, x1)
        gx1 = None if x1.__class__ is Constant else _sum_to(-gy, x1)
        return _sum_to(gy, x0), gx1


def sub(x0, x1):
    return _binary(Sub(), x0, x1)


def rsub(x0, x1):
    """x1 - x0 (for ``1 - Variable``)."""
    x0 = as_variable(x0)
    return Sub()(_as_operand(x1, x0.data), x0)


class Div(Function):
    def forward(self, x0, x1):
        return x0 / x1

    def backward(self, gy):
        x0, x1 = self.inputs
        if not _settings.enable_backprop:
            g0 = gy.data / x1.data
            return _summed(g0, x0), None if x1.__class__ is Constant else \
                _summed(g0 * (-x0.data / x1.data), x1)
        gx0 = gy / x1
        gx1 = None if x1.__class__ is Constant else \
            _sum_to(gx0 * (-x0 / x1), x1)   # -gy x0 / x1^2 without squaring (no integer overflow)
        return _sum_to(gx0, x0), gx1


def div(x0, x1):
    return _binary(Div(), x0, x1)


def rdiv(x0, x1):
    """x1 / x0 (for ``1 / Variable``)."""
    x0 = as_variable(x0)
    return Div()(_as_operand(x1, x0.data), x0)


class Pow(Function):
    """x ** c for a constant exponent c."""

    def __init__(self, c):
        self.c = c

    def forward(self, x):
        c = self.c
        if (type(c) is int or type(c) is float) and x.dtype.kind == 'f':
            c = x.dtype.type(c)      # weak: a 0-d float32 x stays float32 under NumPy 1 too
        return x ** c

    def backward(self, gy):
        x, = self.inputs
        c = self.c
        return c * x ** (c - 1) * gy


def pow(x, c):
    return Pow(c)(x)


class Power(Function):
    """x ** y where the exponent is a Variable too; d/dy is x**y log(x) (nan for x <= 0)."""

    def forward(self, x, y):
        return x ** y

    def backward(self, gz):
        x, y = self.inputs
        gx = None if x.__class__ is Constant else _sum_to(gz * y * x ** (y - 1), x)
        gy = None if y.__class__ is Constant else _sum_to(gz * x ** y * F.log(x), y)
        return gx, gy


def power(x, y):
    return _binary(Power(), x, y)


def _pow_operator(self, other):
    return power(self, other) if isinstance(other, Variable) else pow(self, other)


def _rpow_operator(self, other):
    return Power()(_as_operand(other, self.data), self)


def setup_variable():
    """Install the operators and the F-backed methods on Variable (done on import)."""
    Variable.__add__ = add
    Variable.__radd__ = add
    Variable.__mul__ = mul
    Variable.__rmul__ = mul
    Variable.__neg__ = neg
    Variable.__sub__ = sub
    Variable.__rsub__ = rsub
    Variable.__truediv__ = div
    Variable.__rtruediv__ = rdiv
    Variable.__pow__ = _pow_operator
    Variable.__rpow__ = _rpow_operator
    Variable.__getitem__ = lambda self, slices: F.get_item(self, slices)
    Variable.__matmul__ = lambda self, other: F.matmul(self, other)
    Variable.__rmatmul__ = lambda self, other: F.matmul(other, self)
    Variable.matmul = Variable.__matmul__
    Variable.matmaul = Variable.__matmul__   # the PyPI release's spelling
    Variable.dot = Variable.__matmul__
    Variable.max = lambda self, axis=None, keepdims=False: F.max(self, axis, keepdims)
    Variable.min = lambda self, axis=None, keepdims=False: F.min(self, axis, keepdims)


setup_variable()

import dezero.functions as F  # noqa: E402  (functions imports this module)
