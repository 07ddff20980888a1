"""Export to ONNX: ``export(model_or_function, example_inputs, path)`` writes a ``.onnx`` file that
other runtimes (ONNX Runtime, TensorRT, OpenVINO, browsers...) run.

dezero is define-by-run: a model is Python code, not a graph. ``export`` runs the model once on
``example_inputs`` in test mode (dropout off, batch norm on its running statistics), recording the
graph as usual, then walks the recorded Functions from the outputs back to the inputs and writes
one ONNX node (or a few) for each. Parameters and constants become the file's initializers (named
by their paths, ``l0/W``). Python control flow is frozen at the path the example took: an RNN is
unrolled over the example's sequence length.

The ``onnx`` package is needed (``pip install -e ".[onnx]"``, which also installs ONNX Runtime);
it is imported when ``export`` is called, never by ``import dezero``.

Mapped Functions: the arithmetic (``+ - * / ** -x``, broadcasting), sin, cos, tanh, exp, log, abs,
sqrt, square, erf, clip, maximum, minimum, where; reshape, transpose, get_item (ints, slices,
None, Ellipsis and one integer array, e.g. ``EmbedID``), stack, concat, split, broadcast_to,
sum_to; sum, mean, max, min, logsumexp; matmul, linear; sigmoid, relu, leaky_relu, softplus, elu,
softmax, log_softmax (gelu is built from them); batch_norm in test mode; conv2d, deconv2d,
pooling, average_pooling; the fused LSTM step. Any other Function raises an error naming its class
and its place in the graph; ``register`` adds a mapping for your own Functions.
"""
from __future__ import annotations

import os
import sys
import warnings
from typing import Callable, Sequence

import numpy as np

from dezero import cuda, utils
from dezero.arrays import pair
from dezero.engine import Parameter, Variable, VariableNode, using_config
import dezero.functions as F
from dezero.layers import Layer

DEFAULT_OPSET = 17
MIN_OPSET = 13
_INT64_MAX = np.iinfo(np.int64).max
_INT64_MIN = np.iinfo(np.int64).min

_CONVERTERS = {}


def register(*function_classes: type) -> Callable[[Callable], Callable]:
    """Decorator: ``convert(ctx, f, inputs, outputs)`` writes the ONNX nodes of Functions of these classes.

    ``f`` is the recorded Function (its attributes are its settings); ``inputs`` and ``outputs`` are
    the names of its input and output tensors. ``ctx.node(op_type, inputs, outputs, **attributes)``
    adds a node (``outputs`` may be a count: fresh names are returned), ``ctx.constant(array)`` adds
    an initializer and returns its name, ``ctx.shape(name)`` and ``ctx.dtype(name)`` tell what the
    trace saw and ``ctx.opset`` is the opset being written. For example::

        @dezero.onnx.register(MySwish)
        def _(ctx, f, inputs, outputs):
            s = ctx.node('Sigmoid', inputs, 1)
            ctx.node('Mul', [inputs[0], s], outputs)
    """
    for cls in function_classes:
        if not isinstance(cls, type):
            raise TypeError(f'dezero.onnx.register: expected Function classes, got {cls!r}')

    def decorator(convert):
        for cls in function_classes:
            _CONVERTERS[cls] = convert
        return convert
    return decorator


# =============================================================================
# export
# =============================================================================
def export(model_or_function: Layer | Callable, example_inputs: object, path: str | os.PathLike,
           input_names: Sequence[str] | None = None, output_names: Sequence[str] | None = None,
           dynamic_batch: bool | Sequence[bool] = True, opset: int | None = None) -> str | os.PathLike:
    """Trace ``model_or_function(*example_inputs)`` once and write it to ``path`` as an ONNX model.

    ``model_or_function`` is a Layer or Model, or any function of Variables that returns a Variable
    or a tuple or list of them (a loop over the steps of an RNN, say). ``example_inputs`` is an
    array (or Variable), or a tuple or list of them, one per input; integer arrays are fine (the ids
    of ``EmbedID``). ``input_names`` and ``output_names`` name the graph's tensors (by default
    ``input`` / ``output``, or ``input0, input1, ...`` when there are several). ``dynamic_batch``:
    True lets axis 0 of every input (and what follows from it) take any size at run time, False
    fixes every shape, or give one bool per input. ``opset`` is the ONNX opset written (default 17,
    at least 13). The file is written atomically and checked by ``onnx.checker``; returns ``path``.

    Shapes that the model computes from the batch size and hands to a Function as numbers
    (``reshape(x, (3, N * 2))``) cannot follow a new batch size: such a Function gets a warning.
    """
    onnx = _import_onnx()
    opset = DEFAULT_OPSET if opset is None else opset
    max_opset = onnx.defs.onnx_opset_version()
    if not isinstance(opset, int) or not MIN_OPSET <= opset <= max_opset:
        raise ValueError(f'dezero.onnx.export: opset must be an int from {MIN_OPSET} to {max_opset} '
                         f'(the installed onnx), got {opset!r}')
    if not callable(model_or_function):
        raise TypeError('dezero.onnx.export: model_or_function must be a Layer, a Model or a function, '
                        f'got {type(model_or_function).__name__}')
    xs = _example_variables(example_inputs)
    input_names = _names('input_names', input_names, len(xs), 'input')
    dynamic = _dynamic_flags(dynamic_batch, xs)

    with using_config('train', False), using_config('enable_backprop', True):
        ys = model_or_function(*xs)
    single = isinstance(ys, Variable)
    ys = [ys] if single else list(ys) if isinstance(ys, (tuple, list)) else None
    if ys is None or not ys or not all(isinstance(y, Variable) for y in ys):
        raise TypeError('dezero.onnx.export: the model must return a Variable or a tuple or list of '
                        'Variables')
    output_names = _names('output_names', output_names, len(ys), 'output')
    if set(input_names) & set(output_names):
        raise ValueError(f'dezero.onnx.export: a name is both an input and an output: '
                         f'{sorted(set(input_names) & set(output_names))}')

    ctx = _Context(onnx, opset)
    model = _build_graph(ctx, model_or_function, xs, ys, input_names, output_names, dynamic)
    path = os.fspath(path)
    with utils.atomic_write(path) as tmp:
        data = model.SerializeToString()
        del model
        with open(tmp, 'wb') as f:
            f.write(data)
        del data
        onnx.checker.check_model(tmp)        # the file as written (read from disk: no copy in Python)
    return path


def _import_onnx():
    try:
        import onnx
        import onnx.checker
        import onnx.helper
        import onnx.numpy_helper
        import onnx.shape_inference
    except Exception as e:    # ImportError, or a wheel that does not fit the installed NumPy
        raise ImportError('dezero.onnx.export needs the onnx package: pip install -e ".[onnx]" '
                          f'(or pip install onnx onnxruntime); importing it failed: {type(e).__name__}: {e}') from e
    return onnx


def _example_variables(example_inputs):
    items = list(example_inputs) if isinstance(example_inputs, (tuple, list)) else [example_inputs]
    if not items:
        raise ValueError('dezero.onnx.export: example_inputs is empty; give one array per input')
    xs = []
    for i, x in enumerate(items):
        data = x.data if isinstance(x, Variable) else x
        if isinstance(data, (np.generic, int, float)):
            data = np.asarray(data)
        if not cuda.is_array(data) or data.dtype.kind not in 'biuf':
            raise TypeError(f'dezero.onnx.export: example input {i} must be a NumPy array or Variable of '
                            f'numbers, got {type(x).__name__}')
        xs.append(Variable(data))
    return xs


def _names(what, names, n, stem):
    if names is None:
        return [stem] if n == 1 else [f'{stem}{i}' for i in range(n)]
    names = [names] if isinstance(names, str) else list(names)
    if len(names) != n or not all(isinstance(s, str) and s for s in names) or len(set(names)) != n:
        raise ValueError(f'dezero.onnx.export: {what} must be {n} different non-empty strings (one per '
                         f'{stem}), got {names!r}')
    return names


def _dynamic_flags(dynamic_batch, xs):
    flags = list(dynamic_batch) if isinstance(dynamic_batch, (list, tuple)) else [dynamic_batch] * len(xs)
    if len(flags) != len(xs) or not all(isinstance(b, (bool, np.bool_)) for b in flags):
        raise ValueError(f'dezero.onnx.export: dynamic_batch must be True, False or one bool per input '
                         f'({len(xs)}), got {dynamic_batch!r}')
    flags = [bool(b) and x.ndim > 0 for b, x in zip(flags, xs)]
    sizes = {x.shape[0] for b, x in zip(flags, xs) if b}
    if len(sizes) > 1:
        raise ValueError(f'dezero.onnx.export: the inputs with a dynamic batch axis have different sizes '
                         f'on axis 0 ({sorted(sizes)}); pass dynamic_batch as one bool per input')
    return flags


# =============================================================================
# The graph: from the recorded Functions to ONNX nodes
# =============================================================================
class _Context:
    """What a converter writes into: nodes, initializers, and what the trace knows of each tensor."""

    def __init__(self, onnx, opset):
        self.onnx = onnx
        self.opset = opset
        self.nodes = []
        self.initializers = []
        self.used = set()
        self.info = {}          # tensor name -> (shape, dtype) seen in the trace
        self.batch = {}         # tensor name -> the axis that is the batch axis, or None
        self.input_arrays = {}  # id(array of an example input) -> input name (index arrays of get_item)
        self.function = None    # the Function being converted (for warnings)

    def fresh(self, stem):
        stem = stem.replace(' ', '_') or 't'
        name, k = stem, 1
        while name in self.used:
            name, k = f'{stem}_{k}', k + 1
        self.used.add(name)
        return name

    def node(self, op_type, inputs, outputs=1, **attributes):
        """Add a node; ``outputs`` is a list of names or a count. Returns the output name (a list if several)."""
        if isinstance(outputs, int):
            outputs = [self.fresh(f'{op_type}_out') for _ in range(outputs)]
        outputs = list(outputs)
        self.nodes.append(self.onnx.helper.make_node(op_type, list(inputs), outputs,
                                                     name=self.fresh(op_type), **attributes))
        return outputs[0] if len(outputs) == 1 else outputs

    def constant(self, array, stem='const'):
        """Add ``array`` as an initializer; returns its name."""
        array = np.asarray(cuda.as_numpy(array), order='C')
        name = self.fresh(stem)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        self.info[name] = (array.shape, array.dtype)
        self.batch[name] = None
        return name

    def ints(self, values):
        return self.constant(np.asarray(values, dtype=np.int64), 'ints')

    def shape(self, name):
        return self.info[name][0]

    def dtype(self, name):
        return self.info[name][1]

    def cast(self, name, dtype):
        """``name`` as ``dtype`` (a Cast node when the dtypes differ)."""
        dtype = np.dtype(dtype)
        if self.dtype(name) == dtype:
            return name
        out = self.node('Cast', [name], 1, to=self.onnx.helper.np_dtype_to_tensor_dtype(dtype))
        self.info[out] = (self.shape(name), dtype)
        self.batch[out] = self.batch.get(name)
        return out

    def same_dtype(self, names):
        """The inputs cast to their common NumPy result type (ONNX operands must agree)."""
        dtype = np.result_type(*[self.dtype(n) for n in names])
        return [self.cast(n, dtype) for n in names], dtype

    def warn_static(self, what):
        f = self.function
        warnings.warn(f'dezero.onnx.export: {type(f).__name__} {what}; the exported file runs only with the '
                      'batch size of the example. Write the shape with -1 (reshape(x, (x.shape[0], -1))) '
                      'or pass dynamic_batch=False', stacklevel=4)


def _key(x):
    """The identity of a tensor of the graph: a Function output's weak reference, or a leaf Variable."""
    if isinstance(x, VariableNode):
        return id(x.ref)
    c = x.creator
    if c is not None:
        for ref in c.outputs:
            if ref() is x:
                return id(ref)
    return id(x)


def _functions(ys):
    """The Functions that made ``ys``, each once, inputs before users (by generation)."""
    seen, order, stack = set(), [], [y.creator for y in ys if y.creator is not None]
    while stack:
        f = stack.pop()
        if id(f) in seen:
            continue
        seen.add(id(f))
        order.append(f)
        stack.extend(x.creator for x in f.inputs if x.creator is not None)
    order.sort(key=lambda f: f.generation)
    return order


def _build_graph(ctx, model_or_function, xs, ys, input_names, output_names, dynamic):
    onnx, helper = ctx.onnx, ctx.onnx.helper
    funcs = _functions(ys)
    place = {id(f): i for i, f in enumerate(funcs)}
    names = {}                                     # tensor key -> ONNX name
    leaves = {}                                    # key -> leaf Variable (kept alive while we work)
    param_names = {}
    if isinstance(model_or_function, Layer):
        for path, p in model_or_function.named_params():
            param_names.setdefault(id(p), path)

    inputs = []
    for x, name, dyn in zip(xs, input_names, dynamic):
        names[id(x)] = name
        ctx.used.add(name)
        ctx.info[name] = (x.shape, x.dtype)
        ctx.batch[name] = 0 if dyn else None
        ctx.input_arrays[id(x.data)] = name
        dims = ['batch' if dyn and i == 0 else n for i, n in enumerate(x.shape)]
        inputs.append(helper.make_tensor_value_info(name, _tensor_type(helper, x.dtype), dims))
    ctx.used.update(output_names)

    # What the trace knows of every tensor: shapes and dtypes from the Variables and nodes the graph kept.
    known = {}
    for f in funcs:
        for x in f.inputs:
            known.setdefault(_key(x), x)
    for y in ys:
        known.setdefault(_key(y), y)

    def name_of(x):
        key = _key(x)
        if key in names:
            return names[key]
        if x.creator is not None:                 # made by a Function not yet converted: cannot happen
            raise RuntimeError('dezero.onnx.export: the graph is not in order')
        if isinstance(x, VariableNode):
            raise ValueError('dezero.onnx.export: the graph holds a leaf whose array is gone '
                             '(unchain() was called on a tensor of this forward)')
        stem = param_names.get(id(x)) or x.name or ('param' if isinstance(x, Parameter) else 'const')
        name = ctx.constant(x.data, stem)
        names[key] = name
        leaves[key] = x
        return name

    # A graph output made by a Function takes the output's name directly.
    claimed = {}
    for y, name in zip(ys, output_names):
        if y.creator is not None and _key(y) not in claimed:
            claimed[_key(y)] = name

    for f in funcs:
        convert = _CONVERTERS.get(type(f))
        if convert is None:
            raise NotImplementedError(_no_mapping_message(f, funcs, place))
        in_names = [name_of(x) for x in f.inputs]
        out_names = []
        for ref in f.outputs:
            key = id(ref)
            name = claimed.get(key) or ctx.fresh(type(f).__name__)
            names[key] = name
            x = known.get(key)
            if x is not None:
                ctx.info[name] = (tuple(x.shape), np.dtype(x.dtype))
            out_names.append(name)
        ctx.function = f
        try:
            convert(ctx, f, in_names, out_names)
        except NotImplementedError as e:
            raise NotImplementedError(f'{e} ({_place(f, funcs, place)})') from None
        for name in out_names:                  # the batch axis, unless the converter said
            if name not in ctx.batch:
                ctx.batch[name] = _follow_batch(ctx, in_names, name)

    outputs = []
    for y, name in zip(ys, output_names):
        source = name_of(y)
        if source != name:
            ctx.node('Identity', [source], [name])
        outputs.append(helper.make_tensor_value_info(name, _tensor_type(helper, y.dtype), None))

    graph = helper.make_graph(ctx.nodes, type(model_or_function).__name__ if isinstance(model_or_function, Layer)
                              else getattr(model_or_function, '__name__', 'dezero'),
                              inputs, outputs, ctx.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', ctx.opset)],
                              producer_name='dezero',
                              producer_version=getattr(sys.modules.get('dezero'), '__version__', ''))
    model.ir_version = helper.find_min_ir_version_for(list(model.opset_import))
    _output_shapes(onnx, model, ys, xs, dynamic)
    return model


def _skeleton(onnx, model):
    """A copy of ``model`` whose large initializers are graph inputs of the same type and shape: for
    shape inference and the full check, without copying the weights (VGG16's are 0.5 GB)."""
    helper = onnx.helper
    graph = model.graph
    small = [t for t in graph.initializer if np.prod(t.dims, dtype=np.int64) <= 64]
    large = [helper.make_tensor_value_info(t.name, t.data_type, list(t.dims))
             for t in graph.initializer if np.prod(t.dims, dtype=np.int64) > 64]
    skeleton = helper.make_model(
        helper.make_graph(graph.node, graph.name, list(graph.input) + large, graph.output, small),
        opset_imports=model.opset_import, producer_name=model.producer_name)
    skeleton.ir_version = model.ir_version
    return skeleton


def _output_shapes(onnx, model, ys, xs, dynamic):
    """Declare the outputs' shapes as ONNX's shape inference finds them from the inputs' (the axes
    that follow the batch are ``batch``, or unnamed when they are a multiple of it), after checking
    them against the shapes the trace gave; then check the whole graph."""
    skeleton = _skeleton(onnx, model)
    inferred = onnx.shape_inference.infer_shapes(skeleton, strict_mode=True)
    batch = next((x.shape[0] for x, d in zip(xs, dynamic) if d), None)
    for out, found, y in zip(model.graph.output, inferred.graph.output, ys):
        dims = found.type.tensor_type.shape.dim
        ok = found.type.tensor_type.HasField('shape') and len(dims) == y.ndim
        for i, (d, n) in enumerate(zip(dims, y.shape) if ok else ()):
            if d.HasField('dim_value'):
                ok = ok and d.dim_value == n
            elif d.dim_param == 'batch':
                ok = ok and n == batch
            else:
                d.dim_param = f'{out.name}_dim{i}'
        if not ok:
            raise RuntimeError(f'dezero.onnx.export: ONNX infers for output {out.name!r} a shape other than '
                               f'the traced {tuple(y.shape)}: {found.type.tensor_type.shape}')
        out.type.CopyFrom(found.type)
    for out, declared in zip(skeleton.graph.output, model.graph.output):
        out.type.CopyFrom(declared.type)
    onnx.checker.check_model(skeleton, full_check=True)


def _tensor_type(helper, dtype):
    return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


def _follow_batch(ctx, in_names, out):
    """The batch axis of ``out``: that of the first input with one, if ``out`` keeps it there."""
    if out not in ctx.info:
        return None
    out_shape = ctx.shape(out)
    for name in in_names:
        b = ctx.batch.get(name)
        if b is None:
            continue
        shape = ctx.shape(name)
        b_out = b + len(out_shape) - len(shape)        # broadcasting aligns the last axes
        if 0 <= b_out < len(out_shape) and out_shape[b_out] == shape[b]:
            return b_out
        return None
    return None


def _place(f, funcs, place):
    def where(x):
        c = x.creator
        return 'an input or a parameter' if c is None else f'{type(c).__name__} (node {place[id(c)]})'
    ins = ', '.join(f'{tuple(x.shape)} {np.dtype(x.dtype)} from {where(x)}' for x in f.inputs)
    users = sorted({f'{type(g).__name__} (node {place[id(g)]})' for g in funcs
                    if any(x.creator is f for x in g.inputs)})
    tail = f'; its output goes to {", ".join(users)}' if users else '; its output is an output of the model'
    return f'node {place[id(f)]} of {len(funcs)} in the traced forward; inputs: {ins}{tail}'


def _no_mapping_message(f, funcs, place):
    return (f'dezero.onnx.export: the Function {type(f).__module__}.{type(f).__name__} has no ONNX mapping '
            f'({_place(f, funcs, place)}). Write the forward with functions that have one, or add a '
            f'mapping with @dezero.onnx.register({type(f).__name__})')


# =============================================================================
# Converters
# =============================================================================
def _simple(op_type, *classes):
    @register(*classes)
    def convert(ctx, f, xs, ys):
        ctx.node(op_type, xs, ys)


for _op, _cls in (('Neg', F.Neg), ('Sin', F.Sin), ('Cos', F.Cos),
                  ('Tanh', F.Tanh), ('Exp', F.Exp), ('Log', F.Log),
                  ('Abs', F.Abs), ('Sqrt', F.Sqrt), ('Erf', F.Erf),
                  ('Sigmoid', F.Sigmoid), ('Relu', F.ReLU)):
    _simple(_op, _cls)


def _binary(op_type, *classes):
    @register(*classes)
    def convert(ctx, f, xs, ys):
        xs, _ = ctx.same_dtype(xs)
        ctx.node(op_type, xs, ys)


for _op, _cls in (('Add', F.Add), ('Sub', F.Sub), ('Mul', F.Mul),
                  ('Div', F.Div), ('Pow', F.Power), ('Max', F.Maximum),
                  ('Min', F.Minimum), ('MatMul', F.MatMul)):
    _binary(_op, _cls)


@register(F.Pow)
def _pow(ctx, f, xs, ys):
    dtype = ctx.dtype(xs[0])
    c = np.asarray(f.c, dtype=dtype if dtype.kind == 'f' else None)
    ctx.node('Pow', [xs[0], ctx.constant(c, 'exponent')], ys)


@register(F.Square)
def _square(ctx, f, xs, ys):
    ctx.node('Mul', [xs[0], xs[0]], ys)


@register(F.Clip)
def _clip(ctx, f, xs, ys):
    dtype = ctx.dtype(xs[0])
    ctx.node('Clip', [xs[0], ctx.constant(np.asarray(f.x_min, dtype), 'min'),
                      ctx.constant(np.asarray(f.x_max, dtype), 'max')], ys)


@register(F.Where)
def _where(ctx, f, xs, ys):
    xs, _ = ctx.same_dtype(xs)
    ctx.node('Where', [ctx.constant(np.asarray(cuda.as_numpy(f.condition), bool), 'condition')] + xs, ys)


@register(F.LeakyReLU)
def _leaky_relu(ctx, f, xs, ys):
    ctx.node('LeakyRelu', xs, ys, alpha=float(f.slope))


@register(F.ELU)
def _elu(ctx, f, xs, ys):
    ctx.node('Elu', xs, ys, alpha=float(f.alpha))


@register(F.Softplus)
def _softplus(ctx, f, xs, ys):
    if f.beta == 1:
        ctx.node('Softplus', xs, ys)
        return
    beta = ctx.constant(np.asarray(f.beta, ctx.dtype(xs[0])), 'beta')
    s = ctx.node('Softplus', [ctx.node('Mul', [xs[0], beta], 1)], 1)
    ctx.node('Div', [s, beta], ys)


@register(F.Softmax)
def _softmax(ctx, f, xs, ys):
    ctx.node('Softmax', xs, ys, axis=int(f.axis))


@register(F.LogSoftmax)
def _log_softmax(ctx, f, xs, ys):
    ctx.node('LogSoftmax', xs, ys, axis=int(f.axis))


# ---- shape ---------------------------------------------------------------------------------------
@register(F.Reshape)
def _reshape(ctx, f, xs, ys):
    x = xs[0]
    in_shape, target = ctx.shape(x), [int(s) for s in f.shape]
    b = ctx.batch.get(x)
    ctx.batch[ys[0]] = None
    if b == 0 and target and target[0] == in_shape[0]:
        target[0] = 0                   # 0: the input's size on that axis, the batch at run time
        ctx.batch[ys[0]] = 0
    elif b == 0 and target and (target[0] == -1 or (-1 not in target and in_shape[0]
                                                     and target[0] % in_shape[0] == 0)):
        target[0] = -1                  # (N, T, D) to (N * T, D): the other axes are fixed, -1 follows N
    elif b is not None:
        ctx.warn_static(f'reshapes {tuple(in_shape)} to {tuple(f.shape)}, a shape that holds the batch '
                        'size as a number')
    ctx.node('Reshape', [x, ctx.ints(target)], ys)


@register(F.Transpose)
def _transpose(ctx, f, xs, ys):
    ndim = len(ctx.shape(xs[0]))
    perm = list(range(ndim))[::-1] if f.axes is None else [int(a) % ndim for a in f.axes]
    ctx.node('Transpose', xs, ys, perm=perm)
    b = ctx.batch.get(xs[0])
    ctx.batch[ys[0]] = None if b is None else perm.index(b)


@register(F.Concat)
def _concat(ctx, f, xs, ys):
    xs, _ = ctx.same_dtype(xs)
    ctx.node('Concat', xs, ys, axis=int(f.axis))


@register(F.Stack)
def _stack(ctx, f, xs, ys):
    xs, _ = ctx.same_dtype(xs)
    axis = int(f.axis) % (len(ctx.shape(xs[0])) + 1)
    axes = ctx.ints([axis])
    ctx.node('Concat', [ctx.node('Unsqueeze', [x, axes], 1) for x in xs], ys, axis=axis)
    b = ctx.batch.get(xs[0])
    ctx.batch[ys[0]] = None if b is None else b + (axis <= b)


@register(F.Split)
def _split(ctx, f, xs, ys):
    axis = int(f.axis) % len(ctx.shape(xs[0]))
    sizes = [s[axis] for s in f.shapes]
    if ctx.batch.get(xs[0]) == axis:
        ctx.warn_static('splits the batch axis into pieces of fixed sizes')
    ctx.node('Split', [xs[0], ctx.ints(sizes)], ys, axis=axis)


@register(F.BroadcastTo)
def _broadcast_to(ctx, f, xs, ys):
    in_shape, target = ctx.shape(xs[0]), list(f.shape)
    lead = len(target) - len(in_shape)
    for i, n in enumerate(in_shape):       # Expand broadcasts both ways: 1 keeps the input's size,
        if n == target[lead + i]:           # which may be a batch of another size at run time
            target[lead + i] = 1
    ctx.node('Expand', [xs[0], ctx.ints(target)], ys)


@register(F.SumTo)
def _sum_to(ctx, f, xs, ys):
    in_shape, target = ctx.shape(xs[0]), tuple(f.shape)
    lead = len(in_shape) - len(target)
    axes = list(range(lead)) + [lead + i for i, n in enumerate(target) if n == 1 and in_shape[lead + i] != 1]
    x = ctx.node('ReduceSum', [xs[0], ctx.ints(axes)], 1, keepdims=1) if axes else xs[0]
    if lead:
        ctx.node('Squeeze', [x, ctx.ints(list(range(lead)))], ys)
    else:
        ctx.node('Identity', [x], ys)


@register(F.GetItem)
def _get_item(ctx, f, xs, ys):
    x, b = xs[0], ctx.batch.get(xs[0])
    items = _index_items(f.slices, len(ctx.shape(x)))
    axis = 0
    for item in items:
        if item is None:
            x = ctx.node('Unsqueeze', [x, ctx.ints([axis])], 1)
            b = None if b is None else b + (axis <= b)
            axis += 1
        elif isinstance(item, slice):
            if item != slice(None):
                x = _slice(ctx, x, axis, item)
                if b == axis:
                    b = None
            axis += 1
        elif isinstance(item, (int, np.integer)):
            x = ctx.node('Gather', [x, ctx.constant(np.asarray(int(item), np.int64), 'index')], 1, axis=axis)
            b = None if b is None or b == axis else b - (axis < b)
        else:                                # an integer array (one at most)
            indices = ctx.input_arrays.get(id(item))
            idx_b = None
            if indices is None:
                indices = ctx.constant(np.asarray(cuda.as_numpy(item), np.int64), 'indices')
            else:
                indices = ctx.cast(indices, np.int64)
                idx_b = ctx.batch.get(indices)
            x = ctx.node('Gather', [x, indices], 1, axis=axis)
            ndim = item.ndim
            if b is not None and b != axis:
                b = b if b < axis else b + ndim - 1
            else:
                b = None if idx_b is None else axis + idx_b
            axis += ndim
    ctx.node('Identity', [x], ys)
    ctx.batch[ys[0]] = b


def _index_items(slices, ndim):
    """The index as a list of None, slices, ints and at most one integer array, Ellipsis expanded."""
    items = list(slices) if isinstance(slices, tuple) else [slices]
    out = []
    for s in items:
        if isinstance(s, list) or (hasattr(s, 'dtype') and hasattr(s, 'shape') and s.ndim > 0):
            a = cuda.as_numpy(s) if hasattr(s, 'dtype') else np.asarray(s)
            if a.dtype == bool:
                if a.ndim != 1:
                    raise NotImplementedError('dezero.onnx.export: get_item with a boolean mask of more than '
                                              'one axis has no ONNX mapping')
                s = np.nonzero(a)[0]
            elif a.dtype.kind not in 'iu':
                raise NotImplementedError(f'dezero.onnx.export: get_item with an index array of dtype '
                                          f'{a.dtype} has no ONNX mapping')
            elif isinstance(s, list):
                s = a
        elif hasattr(s, 'dtype') and getattr(s, 'ndim', 1) == 0:
            s = int(s)
        out.append(s)
    if sum(hasattr(s, 'dtype') for s in out) > 1:
        raise NotImplementedError('dezero.onnx.export: get_item with more than one index array (x[a, b]) '
                                  'has no ONNX mapping; index with one array at a time')
    advanced = [k for k, s in enumerate(out) if hasattr(s, 'dtype') or isinstance(s, (int, np.integer))]
    if any(hasattr(s, 'dtype') for s in out) and advanced[-1] - advanced[0] + 1 != len(advanced):
        raise NotImplementedError('dezero.onnx.export: get_item with an index array and an int apart '
                                  '(x[0, :, a]) puts the indexed axes first, as NumPy does; it has no ONNX '
                                  'mapping: index in two steps (x[0][:, a])')
    used = sum(s is not None and s is not Ellipsis for s in out)     # the axes of x the index reads
    ellipsis = [k for k, s in enumerate(out) if s is Ellipsis]
    if ellipsis:
        out[ellipsis[0]:ellipsis[0] + 1] = [slice(None)] * (ndim - used)
    return out


def _slice(ctx, x, axis, s):
    step = 1 if s.step is None else int(s.step)
    if step > 0:
        start = 0 if s.start is None else int(s.start)
        stop = _INT64_MAX if s.stop is None else int(s.stop)
    else:
        start = -1 if s.start is None else int(s.start)
        stop = _INT64_MIN if s.stop is None else int(s.stop)
    return ctx.node('Slice', [x, ctx.ints([start]), ctx.ints([stop]), ctx.ints([axis]), ctx.ints([step])], 1)


# ---- reductions -----------------------------------------------------------------------------------
def _axes(f, ndim):
    axis = f.axis
    if axis is None:
        return list(range(ndim))
    return [int(a) % ndim for a in (axis if isinstance(axis, (tuple, list)) else (axis,))]


def _reduce(ctx, op_type, f, xs, ys):
    ndim = len(ctx.shape(xs[0]))
    axes = _axes(f, ndim)
    if not axes:                              # a 0-d input: nothing to reduce
        ctx.node('Identity', xs, ys)
        return
    keepdims = int(bool(f.keepdims))
    if op_type == 'ReduceSum' or ctx.opset >= 18:
        ctx.node(op_type, [xs[0], ctx.ints(axes)], ys, keepdims=keepdims)
    else:
        ctx.node(op_type, xs, ys, axes=axes, keepdims=keepdims)
    b = ctx.batch.get(xs[0])
    if b is not None:
        ctx.batch[ys[0]] = None if b in axes else b if keepdims else b - sum(a < b for a in axes)


@register(F.Sum)
def _sum(ctx, f, xs, ys):
    _reduce(ctx, 'ReduceSum', f, xs, ys)


@register(F.Max)
def _max(ctx, f, xs, ys):
    _reduce(ctx, 'ReduceMax', f, xs, ys)


@register(F.Min)
def _min(ctx, f, xs, ys):
    _reduce(ctx, 'ReduceMin', f, xs, ys)


@register(F.LogSumExp)
def _logsumexp(ctx, f, xs, ys):
    _reduce(ctx, 'ReduceLogSumExp', f, xs, ys)


# ---- linear, normalisation, convolution, pooling ------------------------------------------------
@register(F.Linear)
def _linear(ctx, f, xs, ys):
    xs, _ = ctx.same_dtype(xs)
    if len(xs) == 2:
        ctx.node('MatMul', xs, ys)
    else:
        ctx.node('Add', [ctx.node('MatMul', xs[:2], 1), xs[2]], ys)


@register(F.BatchNorm)
def _batch_norm(ctx, f, xs, ys):
    if f.train:
        raise NotImplementedError('dezero.onnx.export: BatchNorm ran in training mode, which uses the '
                                  "batch's statistics; export traces in test mode, so the model must not "
                                  'switch Config.train on')
    x, gamma, beta = xs
    dtype = ctx.dtype(x)
    mean = ctx.constant(cuda.as_numpy(f.avg_mean).astype(dtype).reshape(-1), 'running_mean')
    var = ctx.constant(cuda.as_numpy(f.avg_var).astype(dtype).reshape(-1), 'running_var')
    gamma, beta = ctx.cast(gamma, dtype), ctx.cast(beta, dtype)
    ctx.node('BatchNormalization', [x, gamma, beta, mean, var], ys, epsilon=float(f.eps))


def _conv_attributes(W_shape, stride, pad):
    ph, pw = pair(pad)
    return dict(kernel_shape=list(W_shape[2:]), strides=list(pair(stride)), pads=[ph, pw, ph, pw])


@register(F.Conv2d)
def _conv2d(ctx, f, xs, ys):
    xs, _ = ctx.same_dtype(xs)
    ctx.node('Conv', xs, ys, **_conv_attributes(ctx.shape(xs[1]), f.stride, f.pad))


@register(F.Deconv2d)
def _deconv2d(ctx, f, xs, ys):
    xs, _ = ctx.same_dtype(xs)
    W_shape, (H, Wd) = ctx.shape(xs[1]), ctx.shape(xs[0])[2:]
    attributes = _conv_attributes(W_shape, f.stride, f.pad)
    if f.outsize is not None:
        (sh, sw), (ph, pw), (kh, kw) = pair(f.stride), pair(f.pad), W_shape[2:]
        natural = (sh * (H - 1) + kh - 2 * ph, sw * (Wd - 1) + kw - 2 * pw)
        attributes['output_padding'] = [o - n for o, n in zip(pair(f.outsize), natural)]
    ctx.node('ConvTranspose', xs, ys, **attributes)


@register(F.Pooling)
def _pooling(ctx, f, xs, ys):
    ph, pw = pair(f.pad)
    ctx.node('MaxPool', xs, ys, kernel_shape=list(pair(f.kernel_size)), strides=list(pair(f.stride)),
             pads=[ph, pw, ph, pw])


@register(F.AveragePooling)
def _average_pooling(ctx, f, xs, ys):
    ph, pw = pair(f.pad)
    ctx.node('AveragePool', xs, ys, kernel_shape=list(pair(f.kernel_size)), strides=list(pair(f.stride)),
             pads=[ph, pw, ph, pw], count_include_pad=int(bool(f.count_include_pad)))


@register(F.LSTMCell)
def _lstm_cell(ctx, f, xs, ys):
    x, Wx, b = xs[0], xs[1:5], xs[5:9]
    h, Wh = (xs[9], xs[10:14]) if f.has_h else (None, None)
    c = xs[-1] if f.has_c else None
    a = [ctx.node('Add', [ctx.node('MatMul', [x, W], 1), bk], 1) for W, bk in zip(Wx, b)]
    if h is not None:
        a = [ctx.node('Add', [ak, ctx.node('MatMul', [h, W], 1)], 1) for ak, W in zip(a, Wh)]
    gate_f, gate_i, gate_o = (ctx.node('Sigmoid', [ak], 1) for ak in a[:3])
    u = ctx.node('Tanh', [a[3]], 1)
    iu = ctx.node('Mul', [gate_i, u], 1)
    if c is None:
        ctx.node('Identity', [iu], [ys[1]])
    else:
        ctx.node('Add', [ctx.node('Mul', [gate_f, c], 1), iu], [ys[1]])
    ctx.node('Mul', [gate_o, ctx.node('Tanh', [ys[1]], 1)], [ys[0]])
    b_x = ctx.batch.get(x)
    ctx.batch[ys[0]] = ctx.batch[ys[1]] = b_x if b_x == 0 else None
