"""Whole models in one file: ``save_model``, ``load_model`` and ``register_model``.

``save_model(model, path, optimizer=None, **metadata)`` writes one ``.npz`` archive that
``np.load(path, allow_pickle=False)`` reads:

* ``manifest``: a JSON text (a 0-d string array) describing the model's structure (each layer's class,
  the arguments its constructor was called with, its sub-layers and parameters), the optimizer
  (class, hooks, learning-rate schedules) and the user's metadata;
* ``model/<path>``: each parameter (the keys of ``save_weights``);
* ``optimizer/<key>``: the optimizer's ``state_dict()``;
* ``arrays/<n>``: NumPy arrays and scalars given as constructor arguments, hook arguments or metadata.

``load_model(path)`` builds the model again by calling its classes with the recorded arguments,
then puts the saved arrays in its parameters, bit for bit. Only dezero's own classes and functions,
the classes decorated with ``@register_model`` and those passed as ``classes=`` are ever called: a
file naming anything else is refused, so a model file never makes dezero import or run code.
Nothing is pickled.

>>> import numpy as np, dezero, dezero.functions as F
>>> from dezero.models import MLP
>>> model = MLP((8, 3), activation=F.relu)
>>> y = model(np.ones((2, 4), dtype=np.float32))
>>> path = dezero.save_model(model, 'mlp.npz', epoch=10)
>>> same = dezero.load_model(path)
>>> type(same).__name__, same.activation is F.relu, same.metadata
('MLP', True, {'epoch': 10})
>>> bool((same(np.ones((2, 4), dtype=np.float32)).data == y.data).all())
True
"""
from __future__ import annotations

import inspect
import json
import math
import os
import sys
import types
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

import dezero.functions  # noqa: F401  (dezero's functions are stored by name and found here)
import dezero.initializers  # noqa: F401
import dezero.models  # noqa: F401  (its classes load with no user code)
from dezero import cuda, optimizers, utils
from dezero.engine import Parameter
from dezero.layers import Layer, _check_initialised, _npz_path

if TYPE_CHECKING:
    from dezero.optimizers import Optimizer

CheckpointError = utils.CheckpointError

FORMAT = 'dezero-model'
VERSION = 1
_MANIFEST = 'manifest'
# The modules whose classes and functions a model file may name without any registration.
_BUILTIN_MODULES = ('dezero.layers', 'dezero.models', 'dezero.optimizers')
_FUNCTION_MODULES = ('dezero.functions', 'dezero.initializers')
_registry = {}          # 'module.qualname' -> class, filled by register_model


def register_model(cls: type) -> type:
    """Make the class ``cls`` loadable by ``load_model`` in this program; returns ``cls`` (a decorator).

    Use it on your own ``Model`` subclasses (and on your own optimizer, hook or scheduler classes):

        @dezero.register_model
        class MyNet(dezero.Model):
            ...

    Its constructor arguments are recorded whether or not it is registered; registering only
    allows ``load_model`` to call the class. ``load_model(path, classes=[MyNet])`` does the same
    for one call.
    """
    if not isinstance(cls, type):
        raise TypeError(f'register_model: expected a class (write @dezero.register_model above '
                        f'"class MyNet(dezero.Model):"), got {cls!r}')
    _registry[_class_name(cls)] = cls
    return cls


def _class_name(cls):
    return f'{cls.__module__}.{cls.__qualname__}'


# =============================================================================
# Saving
# =============================================================================
def save_model(model: Layer, path: str | os.PathLike, optimizer: Optimizer | None = None,
               **metadata: Any) -> str:
    """Save ``model`` (its structure and weights), optionally ``optimizer``, and ``metadata`` to ``path``.

    ``path`` gets ``.npz`` appended if missing; the file is written under a temporary name and
    renamed, so an interrupted save leaves the previous file intact. ``optimizer`` must be set up on
    ``model``; its hyperparameters, state, hooks and schedulers (``optimizer.schedulers``) are
    saved. ``metadata`` values (epoch, metrics, ...) may be numbers, strings, lists, tuples, dicts
    with string keys, NumPy arrays and scalars. Returns the path written.

    Each layer's constructor arguments must be such values, NumPy dtypes, layers, or dezero's own
    functions (``F.relu``, stored by name); anything else (a lambda, an object) raises TypeError
    naming the argument, before anything is written. An argument named ``pretrained`` is saved as
    False: the weights are in the file.
    """
    if not isinstance(model, Layer):
        raise TypeError(f'save_model: model must be a dezero Layer or Model, got {type(model).__name__}')
    writer = _Writer()
    manifest = {'format': FORMAT, 'version': VERSION, 'model': writer.layer(model, None)}
    named = list(model.named_params())
    _check_initialised(model, named)
    manifest['gpu'] = any(cuda.is_cupy_array(p.data) for _, p in named)
    arrays = {'model/' + key: cuda.as_numpy(param.data) for key, param in named}
    if optimizer is not None:
        optimizer = _unwrapped(optimizer)
        if optimizer.target is not model:
            raise ValueError(f'save_model: the {type(optimizer).__name__} optimizer is not set up on this '
                             'model; pass the optimizer that trains it (optimizer.setup(model))')
        manifest['optimizer'] = writer.optimizer(optimizer, model)
        arrays.update({'optimizer/' + key: cuda.as_numpy(value)
                       for key, value in optimizer.state_dict().items()})
    manifest['metadata'] = {key: writer.value(value, f'metadata {key!r}') for key, value in metadata.items()}
    arrays.update(writer.arrays)
    arrays[_MANIFEST] = np.array(json.dumps(manifest, allow_nan=False))
    path = _npz_path(path)
    with utils.atomic_write(path) as tmp:
        with open(tmp, 'wb') as f:
            np.savez(f, **arrays)    # not compressed: weights hardly compress, and it is much faster
    return path


def _unwrapped(optimizer):
    """The dezero Optimizer itself (a DistributedOptimizer is saved as the optimizer it wraps)."""
    inner = optimizer.__dict__.get('optimizer') if hasattr(optimizer, '__dict__') else None
    if not isinstance(optimizer, optimizers.Optimizer) and isinstance(inner, optimizers.Optimizer):
        optimizer = inner
    if not isinstance(optimizer, optimizers.Optimizer):
        raise TypeError(f'save_model: optimizer must be a dezero Optimizer, got {type(optimizer).__name__}')
    return optimizer


class _Writer:
    """Turns layers, optimizers and argument values into JSON, collecting the arrays met on the way."""

    def __init__(self):
        self.arrays = {}
        self.ids = {}           # id(layer) -> its number in the manifest, for layers met again
        self.keep = []          # the layers numbered (so that their ids stay theirs)

    # ---- layers -------------------------------------------------------------------------------
    def layer(self, layer, path, made_by_parent=False, where=None):
        """The spec of ``layer`` at attribute path ``path`` (None for the model itself)."""
        if id(layer) in self.ids:
            return {'same_as': self.ids[id(layer)]}
        self.ids[id(layer)] = n = len(self.ids)
        self.keep.append(layer)
        cls = type(layer)
        where = where or ('the model' if path is None else f'the layer {path!r}')
        spec = {'class': _class_name(cls), 'id': n}
        if made_by_parent:
            spec['made_by_parent'] = True
        else:
            args, kwargs = _recorded_args(layer, where)
            names = _argument_names(cls, args, kwargs)
            spec['args'] = [self.value(a, f'argument {names[i]!r} of {cls.__name__} ({where})', names[i])
                            for i, a in enumerate(args)]
            spec['kwargs'] = {k: self.value(v, f'argument {k!r} of {cls.__name__} ({where})', k)
                              for k, v in kwargs.items()}
        made = layer.__dict__.get('_init_attrs', {})
        contents = []
        for name in layer.__dict__.get('_params', {}):
            obj = layer.__dict__[name]
            if isinstance(obj, Layer):
                ref = made.get(name)
                by_parent = ref is not None and ref() is obj
                contents.append([name, self.layer(obj, name if path is None else f'{path}/{name}', by_parent)])
            else:
                contents.append([name, 'param'])
        spec['contents'] = contents
        return spec

    # ---- values ---------------------------------------------------------------------------------
    def value(self, v, what, name=None):
        """``v`` as JSON (see load's ``_Reader.value``); ``what`` names it in errors."""
        if name == 'pretrained':
            return False            # the weights are in the file: loading must not download them
        if v is None or isinstance(v, (bool, str)) or type(v) is int:
            return v
        if type(v) is float:
            return v if math.isfinite(v) else {'float': repr(v)}
        if isinstance(v, list):
            return [self.value(x, f'{what}[{i}]') for i, x in enumerate(v)]
        if isinstance(v, tuple):
            return {'tuple': [self.value(x, f'{what}[{i}]') for i, x in enumerate(v)]}
        if isinstance(v, dict):
            bad = [k for k in v if not isinstance(k, str)]
            if bad:
                raise TypeError(f'save_model: {what} is a dict with the key {bad[0]!r}; a model file '
                                'holds dicts with string keys only')
            return {'dict': {k: self.value(x, f'{what}[{k!r}]') for k, x in v.items()}}
        if isinstance(v, np.dtype) or (isinstance(v, type) and issubclass(v, np.generic)):
            return {'dtype': np.dtype(v).str, 'type': isinstance(v, type)}
        if isinstance(v, (np.ndarray, np.generic)) or cuda.is_cupy_array(v):
            a = cuda.as_numpy(np.asarray(v) if isinstance(v, np.generic) else v)
            if a.dtype.hasobject:
                raise TypeError(f'save_model: {what} is an array of Python objects, which only pickle '
                                'could store; a model file never holds pickled data')
            key = f'arrays/{len(self.arrays)}'
            self.arrays[key] = a
            return {'scalar' if isinstance(v, np.generic) else 'array': key}
        if isinstance(v, Layer):
            return {'layer': self.layer(v, f'<{what}>', where=f'the layer given as {what}')}
        function = _function_name(v)
        if function is not None:
            return {'function': function}
        raise TypeError(f'save_model: cannot store {what}: {_short(v)}. A model file holds numbers, '
                        'strings, None, lists, tuples, dicts, NumPy arrays and dtypes, layers, and '
                        "dezero's own functions (such as F.relu); it never holds code. Use one of those, "
                        'or build the object inside your Model subclass and register the class '
                        '(@dezero.register_model)')

    # ---- optimizers ------------------------------------------------------------------------------
    def optimizer(self, optimizer, model):
        cls = type(optimizer)
        spec = {'class': _class_name(cls),
                'initial_lr': self.value(getattr(optimizer, 'initial_lr', None), 'optimizer.initial_lr'),
                'hooks': [self.hook(h, i, model) for i, h in enumerate(optimizer.hooks)]}
        schedulers = list(getattr(optimizer, 'schedulers', ()))
        spec['schedulers'] = [self.scheduler(s, i, schedulers) for i, s in enumerate(schedulers)]
        return spec

    def hook(self, hook, i, model):
        what = f'optimizer hook {i} ({_short(hook)})'
        if isinstance(hook, optimizers.FreezeParam):
            paths = {}
            for key, p in model.named_params():
                paths.setdefault(id(p), key)
            missing = [p for p in hook.freeze_params if id(p) not in paths]
            if missing:
                raise ValueError(f'save_model: {what} freezes parameters that are not in the model')
            return {'class': _class_name(type(hook)), 'params': [paths[id(p)] for p in hook.freeze_params]}
        if isinstance(hook, (types.FunctionType, types.BuiltinFunctionType, types.MethodType)):
            raise TypeError(f'save_model: cannot store {what}: a function is code, which a model file never '
                            'holds. Hooks that can be saved are objects whose constructor arguments are '
                            'attributes of the same names: WeightDecay, ClipGrad, FreezeParam, or your own '
                            'class registered with @dezero.register_model')
        return {'class': _class_name(type(hook)), 'kwargs': self.attributes(hook, what, skip=0)}

    def scheduler(self, scheduler, i, schedulers):
        what = f'learning-rate scheduler {i} ({type(scheduler).__name__})'
        kwargs = self.attributes(scheduler, what, skip=1, schedulers=schedulers[:i])
        return {'class': _class_name(type(scheduler)), 'kwargs': kwargs,
                'last_epoch': self.value(scheduler.last_epoch, f'{what}.last_epoch'),
                'base': self.value(scheduler.base, f'{what}.base')}

    def attributes(self, obj, what, skip, schedulers=()):
        """{name: value} for the constructor parameters of ``obj`` (after the first ``skip``), read
        from the attributes of the same names."""
        if type(obj).__init__ is object.__init__:
            return {}
        params = list(inspect.signature(type(obj).__init__).parameters.values())[1 + skip:]
        kwargs = {}
        for p in params:
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or not hasattr(obj, p.name):
                raise TypeError(f'save_model: cannot store {what}: its constructor parameter {p.name!r} is '
                                'not an attribute of the same name, so its value is unknown')
            v = getattr(obj, p.name)
            if isinstance(v, optimizers.LRScheduler):
                index = next((j for j, s in enumerate(schedulers) if s is v), None)
                if index is None:
                    raise ValueError(f'save_model: {what} refers to a scheduler ({p.name}) that is not one '
                                     'of the optimizer\'s earlier schedulers')
                kwargs[p.name] = {'scheduler': index}
            else:
                kwargs[p.name] = self.value(v, f'{p.name!r} of {what}')
        return kwargs


def _recorded_args(layer, where):
    recorded = layer.__dict__.get('_init_args')
    if recorded is not None:
        return recorded
    if type(layer).__init__ is Layer.__init__:
        return (), {}
    raise TypeError(f'save_model: {where} ({type(layer).__name__}) was not made by calling its class, so '
                    'its constructor arguments are unknown')


def _argument_names(cls, args, kwargs):
    """The parameter name of each positional argument (``layers[2]`` for ``*layers``)."""
    try:
        params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    except (TypeError, ValueError):
        params = []
    names = []
    for i in range(len(args)):
        if i < len(params) and params[i].kind in (params[i].POSITIONAL_ONLY, params[i].POSITIONAL_OR_KEYWORD):
            names.append(params[i].name)
        else:
            star = next((p.name for p in params if p.kind == p.VAR_POSITIONAL), 'args')
            first = sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)
            names.append(f'{star}[{i - first}]')
    return names


def _function_name(f):
    """'dezero.functions.relu' for one of dezero's own functions, else None."""
    if not isinstance(f, types.FunctionType):
        return None
    for module in _FUNCTION_MODULES:
        if getattr(sys.modules[module], f.__name__, None) is f:
            return f'{module}.{f.__name__}'
    return None


def _short(v):
    if isinstance(v, (types.FunctionType, types.BuiltinFunctionType, types.MethodType)):
        return f'the function {getattr(v, "__module__", None) or "?"}.{v.__qualname__}'
    text = repr(v)
    return text if len(text) <= 80 else text[:77] + '...'


# =============================================================================
# Loading
# =============================================================================
def load_model(path: str | os.PathLike, optimizer: bool = False, classes: Sequence[type] = ()
               ) -> Layer | tuple[Layer, Optimizer]:
    """Build the model saved in ``path`` and load its weights; with ``optimizer=True``, return
    ``(model, optimizer)``, the optimizer set up on the model with its state, hooks and schedulers
    (``optimizer.schedulers``, in the order they were made).

    The user's metadata is ``model.metadata`` (a dict). The model goes on the GPU if it was saved
    from one and CuPy is available, else on the CPU. Your own classes must be registered with
    ``@dezero.register_model`` or passed in ``classes``. All or nothing: an unreadable file, a class
    that is not loadable, or weights that do not fit raise CheckpointError naming the file; the
    global random state is left as it was (building the layers draws their initial weights).
    """
    path = os.fspath(path)
    if not os.path.exists(path) and os.path.exists(_npz_path(path)):
        path = _npz_path(path)
    arrays = utils.read_npz(path, 'model file')
    try:
        return _load(arrays, optimizer, classes)
    except CheckpointError as e:
        raise CheckpointError(f'{path}: {e}') from e.__cause__
    except (KeyError, TypeError, AttributeError, IndexError, ValueError) as e:
        raise CheckpointError(f'{path}: its manifest is malformed ({type(e).__name__}: {e})') from e


def _load(arrays, with_optimizer, classes):
    if _MANIFEST not in arrays:
        raise CheckpointError('it is not a model file (it has no manifest; files of save_weights load with '
                              'model.load_weights)')
    try:
        manifest = json.loads(str(arrays[_MANIFEST][()]))
    except (ValueError, TypeError) as e:
        raise CheckpointError(f'its manifest is not valid JSON ({e})') from e
    if not isinstance(manifest, dict) or manifest.get('format') != FORMAT:
        raise CheckpointError('its manifest does not describe a dezero model')
    if manifest.get('version') != VERSION:
        raise CheckpointError(f'it is a model file of version {manifest.get("version")!r}; this dezero reads '
                              f'version {VERSION}')
    reader = _Reader(arrays, _Classes(classes))
    rng = np.random.get_state()
    try:
        model = reader.root(manifest.get('model'))
    finally:
        np.random.set_state(rng)
    weights = {k[len('model/'):]: v for k, v in arrays.items() if k.startswith('model/')}
    named, weights = model._check_state(weights)
    for key, (param, _, _) in named.items():
        param.data = weights[key]
    if manifest.get('gpu') and cuda.gpu_enable:
        model.to_gpu()
    optimizer = None
    if with_optimizer:
        if manifest.get('optimizer') is None:
            raise CheckpointError('it holds no optimizer (it was saved without one): call '
                                  'load_model(path) and make a new optimizer')
        state = {k[len('optimizer/'):]: v for k, v in arrays.items() if k.startswith('optimizer/')}
        optimizer = reader.optimizer(manifest['optimizer'], model, state)
    model.metadata = reader.value({'dict': manifest.get('metadata', {})}, 'the metadata')
    return (model, optimizer) if with_optimizer else model


class _Classes:
    """The classes a model file may name: dezero's own, the registered ones and those passed in."""

    def __init__(self, extra):
        if isinstance(extra, type):
            extra = [extra]
        self.known = dict(_registry)
        for cls in extra:
            if not isinstance(cls, type):
                raise TypeError(f'load_model: classes must be a list of classes, got {cls!r}')
            self.known[_class_name(cls)] = cls

    def get(self, name, base, what):
        cls = None
        if isinstance(name, str):
            for module in _BUILTIN_MODULES:
                if name.startswith(module + '.'):
                    # Only a public class defined in that module: not whatever its namespace reaches
                    # (dezero.optimizers.np.memmap would write files).
                    qualname = name[len(module) + 1:]
                    obj = sys.modules[module]
                    for part in qualname.split('.'):
                        obj = None if part.startswith('_') else getattr(obj, part, None)
                    if isinstance(obj, type) and obj.__module__ == module and obj.__qualname__ == qualname:
                        cls = obj
                    break
            else:
                cls = self.known.get(name)
                if cls is None:       # the same class defined under another module name (__main__)
                    same = [c for c in self.known.values() if name.endswith('.' + c.__qualname__)]
                    cls = same[0] if len(same) == 1 else None
        if cls is None:
            raise CheckpointError(
                f'{what} is of class {name!r}, which this program has not made loadable: decorate the '
                'class with @dezero.register_model, or pass load_model(path, classes=[...]). A model file '
                'never makes dezero import or run code that you did not name')
        if base is not None and not issubclass(cls, base):
            raise CheckpointError(f'{what} is of class {name!r}, which is not a {base.__name__}')
        return cls


class _Reader:
    """Builds layers, optimizers and values back from the manifest."""

    def __init__(self, arrays, classes):
        self.arrays = arrays
        self.classes = classes
        self.built = {}        # manifest number -> layer

    # ---- layers -------------------------------------------------------------------------------
    def root(self, spec):
        if not isinstance(spec, dict) or 'class' not in spec:
            raise CheckpointError('its manifest has no model')
        return self.build(spec, 'the model')

    def build(self, spec, where):
        """A layer made by calling its class, then given the sub-layers added after construction."""
        if 'same_as' in spec:
            return self.get_built(spec, where)
        cls = self.classes.get(spec.get('class'), Layer, where)
        if spec.get('made_by_parent') or 'args' not in spec:
            raise CheckpointError(f'its manifest gives no constructor arguments for {where}')
        args = [self.value(a, where) for a in spec['args']]
        kwargs = {k: self.value(v, where) for k, v in spec.get('kwargs', {}).items()}
        try:
            layer = cls(*args, **kwargs)
        except Exception as e:
            raise CheckpointError(f'building {where} as {cls.__name__}(...) with the saved arguments raised '
                                  f'{type(e).__name__}: {e}') from e
        self.built[spec.get('id')] = layer
        self.fill(layer, spec, where)
        return layer

    def get_built(self, spec, where):
        layer = self.built.get(spec['same_as'])
        if layer is None:
            raise CheckpointError(f'its manifest refers {where} to a layer it does not describe')
        return layer

    def fill(self, layer, spec, where):
        """Make the sub-layers and parameters of ``layer`` those of ``spec``, in its order."""
        contents = spec.get('contents', [])
        names = [name for name, _ in contents]
        for name, entry in contents:
            place = name if where == 'the model' else f'{where}/{name}'
            current = layer.__dict__.get(name)
            if entry == 'param':
                if not isinstance(current, Parameter):
                    setattr(layer, name, Parameter(None, name=name))
            elif 'same_as' in entry:
                target = self.get_built(entry, repr(place))
                if current is not target:
                    setattr(layer, name, target)
            elif entry.get('made_by_parent'):
                cls = self.classes.get(entry.get('class'), Layer, repr(place))
                if type(current) is not cls:
                    raise CheckpointError(f'the layer {place!r} was made by the constructor of '
                                          f'{type(layer).__name__} as a {cls.__name__}, but the constructor '
                                          f'now makes {_short(current)}; the class has changed since the save')
                self.built[entry.get('id')] = current
                self.fill(current, entry, place)
            else:
                setattr(layer, name, self.build(entry, repr(place)))
        for name in [n for n in layer.__dict__.get('_params', {}) if n not in names]:
            delattr(layer, name)           # removed after construction in the saved model
        order = layer.__dict__.get('_params', {})
        layer._params = {name: order[name] for name in names if name in order}

    # ---- values ---------------------------------------------------------------------------------
    def value(self, v, where):
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        if isinstance(v, list):
            return [self.value(x, where) for x in v]
        if isinstance(v, dict) and len(v) in (1, 2):
            (tag, x), = list(v.items())[:1]
            if tag == 'tuple':
                return tuple(self.value(y, where) for y in x)
            if tag == 'dict':
                return {k: self.value(y, where) for k, y in x.items()}
            if tag == 'float':
                return float(x)
            if tag == 'dtype':
                dtype = np.dtype(x)
                return dtype.type if v.get('type') else dtype
            if tag in ('array', 'scalar'):
                if x not in self.arrays:
                    raise CheckpointError(f'the array {x} of {where} is missing')
                a = self.arrays[x]
                return a[()] if tag == 'scalar' else a
            if tag == 'function':
                module, _, name = str(x).rpartition('.')
                f = getattr(sys.modules[module], name, None) if module in _FUNCTION_MODULES else None
                if not isinstance(f, types.FunctionType):
                    raise CheckpointError(f'{where} names the function {x!r}, which is not one of dezero\'s '
                                          'functions; a model file never makes dezero run other code')
                return f
            if tag == 'layer':
                return self.build(x, f'a layer given to {where}')
        raise CheckpointError(f'its manifest holds a value that dezero does not know in {where}: {_short(v)}')

    # ---- optimizers ------------------------------------------------------------------------------
    def optimizer(self, spec, model, state):
        cls = self.classes.get(spec.get('class'), optimizers.Optimizer, 'the optimizer')
        try:
            optimizer = cls()
        except Exception as e:
            raise CheckpointError(f'making the optimizer {cls.__name__}() raised {type(e).__name__}: {e}') from e
        optimizer.setup(model)
        if spec.get('initial_lr') is not None:
            optimizer.initial_lr = self.value(spec['initial_lr'], 'the optimizer')
        for i, h in enumerate(spec.get('hooks', [])):
            optimizer.add_hook(self.hook(h, i, model))
        schedulers = []
        for i, s in enumerate(spec.get('schedulers', [])):
            what = f'learning-rate scheduler {i}'
            scls = self.classes.get(s.get('class'), optimizers.LRScheduler, what)
            kwargs = {k: schedulers[v['scheduler']] if isinstance(v, dict) and 'scheduler' in v
                      else self.value(v, what) for k, v in s.get('kwargs', {}).items()}
            scheduler = self.call(scls, what, optimizer, **kwargs)
            scheduler.last_epoch = int(s['last_epoch'])
            scheduler.base = self.value(s['base'], what)
            schedulers.append(scheduler)
        # Last: the saved hyperparameters replace the rates the schedulers applied when they were made.
        optimizer.load_state_dict(state)
        return optimizer

    def hook(self, spec, i, model):
        what = f'optimizer hook {i}'
        cls = self.classes.get(spec.get('class'), None, what)
        if cls is optimizers.FreezeParam:
            params = dict(model.named_params())
            missing = [p for p in spec.get('params', []) if p not in params]
            if missing:
                raise CheckpointError(f'{what} (FreezeParam) names parameters the model lacks: {missing}')
            return optimizers.FreezeParam(*[params[p] for p in spec.get('params', [])])
        kwargs = {k: self.value(v, what) for k, v in spec.get('kwargs', {}).items()}
        return self.call(cls, what, **kwargs)

    def call(self, cls, what, *args, **kwargs):
        try:
            return cls(*args, **kwargs)
        except Exception as e:
            raise CheckpointError(f'making {what} as {cls.__name__}(...) with the saved arguments raised '
                                  f'{type(e).__name__}: {e}') from e
