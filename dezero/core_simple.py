"""The simple core of steps 23-32: define-by-run autodiff on NumPy arrays, first order only.

This is the small engine the book builds before it turns gradients into Variables (step 33) and adds
broadcasting (step 40). Here ``Variable.grad`` is a raw ``np.ndarray`` and the backward passes work on raw
arrays, so the graph cannot be differentiated a second time. Steps 28 and 29 import it directly and call
``setup_variable()`` themselves; the full core lives in ``dezero/core.py``.

It depends on NumPy only. Compared with the original it also:
* accepts NumPy scalars such as ``np.float64(1)`` in ``Variable`` (stored as 0-d arrays);
* runs ``backward`` with a heap keyed by generation, so long chains and wide graphs stay fast;
* never lets two leaves share one gradient array;
* allows ``backward()`` on a leaf (it seeds ones);
* treats Python numbers as "weak" operands, so ``float32 * 2.0`` stays float32 on NumPy 1.x and 2.x.
"""
import contextlib
import heapq
import weakref

import numpy as np


# =============================================================================
# Config
# =============================================================================
class Config:
    """Process-wide switches. ``enable_backprop = False`` records no graph, which saves memory."""
    enable_backprop = True


@contextlib.contextmanager
def using_config(name, value):
    """Set ``Config.<name>`` to ``value`` inside a ``with`` block, restoring it afterwards."""
    old_value = getattr(Config, name)
    setattr(Config, name, value)
    try:
        yield
    finally:
        setattr(Config, name, old_value)


def no_grad():
    """Run a block without recording the graph (for inference or parameter updates)."""
    return using_config('enable_backprop', False)


# =============================================================================
# Variable / Function
# =============================================================================
class Variable:
    """A box for an ndarray that remembers the Function that created it, so gradients can flow back."""
    # Makes ``ndarray <op> Variable`` call the Variable's reflected operator and return a Variable.
    __array_priority__ = 200

    def __init__(self, data, name=None):
        if isinstance(data, np.generic):
            data = np.array(data)
        if data is not None and not isinstance(data, np.ndarray):
            raise TypeError('{} is not supported; wrap the value with np.array(...)'.format(type(data)))

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
        # Indent continuation lines so a matrix lines up under the opening parenthesis.
        return 'variable(' + str(self.data).replace('\n', '\n' + ' ' * 9) + ')'

    def set_creator(self, func):
        self.creator = func
        self.generation = func.generation + 1

    def cleargrad(self):
        self.grad = None

    def backward(self, retain_grad=False):
        """Accumulate d(self)/d(leaf) into the ``grad`` of every variable upstream of ``self``.

        A Function runs only after all its outputs have their full gradient: the heap always pops the
        pending Function with the highest generation. Gradients are summed out of place, so repeated
        calls accumulate until ``cleargrad()``. The grads of intermediate variables are freed unless
        ``retain_grad``.
        """
        if self.grad is None:
            self.grad = np.ones_like(self.data)

        # Heap of (-generation, -insertion order, function): the newest of the highest generation pops first.
        funcs = []
        seen = set()

        def add_func(f):
            if f not in seen:
                seen.add(f)
                heapq.heappush(funcs, (-f.generation, -len(seen), f))

        if self.creator is not None:
            add_func(self.creator)

        while funcs:
            f = heapq.heappop(funcs)[-1]
            gys = [output().grad for output in f.outputs]  # outputs are weakrefs
            gxs = f.backward(*gys)
            if not isinstance(gxs, tuple):
                gxs = (gxs,)

            for i, (x, gx) in enumerate(zip(f.inputs, gxs)):
                if any(gx is other for other in gxs[:i]):
                    gx = gx.copy()  # Add returns (gy, gy): give each input its own array
                # as_array: arithmetic on 0-d arrays returns NumPy scalars, but a grad is always an ndarray
                x.grad = as_array(gx if x.grad is None else x.grad + gx)
                if x.creator is not None:
                    add_func(x.creator)

            if not retain_grad:
                for y in f.outputs:
                    y().grad = None


def as_variable(obj):
    return obj if isinstance(obj, Variable) else Variable(obj)


def as_array(x):
    """Turn a scalar into a 0-d array (NumPy arithmetic on 0-d arrays returns NumPy scalars)."""
    return np.array(x) if np.isscalar(x) else x


class Function:
    """Base class of differentiable operations: subclasses define ``forward`` and ``backward`` on arrays."""

    def __call__(self, *inputs):
        inputs = [as_variable(x) for x in inputs]
        xs = [x.data for x in inputs]
        ys = self.forward(*xs)
        if not isinstance(ys, tuple):
            ys = (ys,)
        outputs = [Variable(as_array(y)) for y in ys]

        if Config.enable_backprop:
            self.generation = max([x.generation for x in inputs])
            for output in outputs:
                output.set_creator(self)
            self.inputs = inputs
            # Weak references break the Variable <-> Function cycle, so an unused graph is freed at once.
            self.outputs = [weakref.ref(output) for output in outputs]

        return outputs if len(outputs) > 1 else outputs[0]

    def forward(self, *xs):
        raise NotImplementedError()

    def backward(self, *gys):
        raise NotImplementedError()


# =============================================================================
# Arithmetic operators
# =============================================================================
def _as_operand(x, other):
    """Turn the second operand of a binary operator into an array or a Variable.

    A Python number is "weak", as in NumPy's own scalar arithmetic: it takes the dtype of ``other`` where
    it fits, so ``float32 * 2.0`` stays float32 on NumPy 1.x and 2.x (``np.array(2.0)`` would be float64).
    """
    dtype = getattr(other, 'dtype', None)
    if dtype is not None and isinstance(x, (int, float, complex)) and not isinstance(x, np.generic):
        return np.array(x, dtype=np.result_type(dtype, x))
    return as_array(x)


class Add(Function):
    def forward(self, x0, x1):
        return x0 + x1

    def backward(self, gy):
        return gy, gy


def add(x0, x1):
    return Add()(x0, _as_operand(x1, x0))


class Mul(Function):
    def forward(self, x0, x1):
        return x0 * x1

    def backward(self, gy):
        x0, x1 = self.inputs[0].data, self.inputs[1].data
        return gy * x1, gy * x0


def mul(x0, x1):
    return Mul()(x0, _as_operand(x1, x0))


class Neg(Function):
    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


def neg(x):
    return Neg()(x)


class Sub(Function):
    def forward(self, x0, x1):
        return x0 - x1

    def backward(self, gy):
        return gy, -gy


def sub(x0, x1):
    return Sub()(x0, _as_operand(x1, x0))


def rsub(x0, x1):
    """x1 - x0, for ``number - Variable``."""
    return Sub()(_as_operand(x1, x0), x0)


class Div(Function):
    def forward(self, x0, x1):
        return x0 / x1

    def backward(self, gy):
        x0, x1 = self.inputs[0].data, self.inputs[1].data
        gx0 = gy / x1
        gx1 = gy * (-x0 / x1 ** 2)
        return gx0, gx1


def div(x0, x1):
    return Div()(x0, _as_operand(x1, x0))


def rdiv(x0, x1):
    """x1 / x0, for ``number / Variable``."""
    return Div()(_as_operand(x1, x0), x0)


class Pow(Function):
    """x ** c for a constant exponent c."""

    def __init__(self, c):
        self.c = c

    def forward(self, x):
        return x ** self.c

    def backward(self, gy):
        x = self.inputs[0].data
        c = self.c
        return c * x ** (c - 1) * gy


def pow(x, c):
    return Pow(c)(x)


def setup_variable():
    """Install the arithmetic operators on Variable (the book calls this once, before using them)."""
    Variable.__add__ = add
    Variable.__radd__ = add
    Variable.__mul__ = mul
    Variable.__rmul__ = mul
    Variable.__neg__ = neg
    Variable.__sub__ = sub
    Variable.__rsub__ = rsub
    Variable.__truediv__ = div
    Variable.__rtruediv__ = rdiv
    Variable.__pow__ = pow
