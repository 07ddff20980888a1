"""Type hints on the public API: every public function and method of the modules a user imports has
annotated parameters and a return annotation, each one valid Python, and the package ships the
``py.typed`` marker so that type checkers read them."""
import inspect
import os

import pytest

import dezero
from dezero import (cuda, dataloaders, datasets, engine, functional, initializers, layers, models, onnx,
                    optimizers, serialization, transforms, utils)
import dezero.functions as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULES = [engine, layers, models, optimizers, datasets, dataloaders, utils, functional, cuda, initializers,
           transforms, serialization, onnx]


def _public_callables():
    """(qualified name, function) for the public functions and the public methods (``__init__`` too) of
    the public classes defined in MODULES and in the dezero.functions family modules (not the Function
    subclasses, whose forward/backward are the framework's own protocol)."""
    found = []
    for name in sorted(dir(F)):
        obj = getattr(F, name)
        if name[:1].islower() and inspect.isfunction(obj) and obj.__module__.startswith('dezero.functions.'):
            found.append((f'F.{name}', obj))
    for module in MODULES:
        for name, obj in sorted(vars(module).items()):
            if name.startswith('_') or getattr(obj, '__module__', None) != module.__name__:
                continue
            where = module.__name__.replace('dezero.', '')
            if inspect.isfunction(obj):
                found.append((f'{where}.{name}', obj))
            elif inspect.isclass(obj) and not issubclass(obj, engine.Function):
                for attr, member in vars(obj).items():
                    if isinstance(member, (staticmethod, classmethod)):
                        member = member.__func__
                    elif isinstance(member, property):
                        member = member.fget
                    # (a lambda cannot carry annotations: the one-line properties such as Variable.shape)
                    if inspect.isfunction(member) and member.__name__ != '<lambda>' and \
                            (attr == '__init__' or not attr.startswith('_')):
                        found.append((f'{where}.{name}.{attr}', member))
    return found


CALLABLES = _public_callables()


def test_the_public_api_is_found():
    names = {name for name, _ in CALLABLES}
    assert {'F.sin', 'F.select_item', 'engine.Variable.backward', 'layers.Linear.__init__',
            'optimizers.SGD.__init__', 'dataloaders.DataLoader.__init__', 'utils.plot_dot_graph'} <= names
    assert len(CALLABLES) > 200


@pytest.mark.parametrize('name, func', CALLABLES, ids=[name for name, _ in CALLABLES])
def test_every_parameter_and_return_is_annotated(name, func):
    sig = inspect.signature(func)
    params = list(sig.parameters.values())
    if params and params[0].name in ('self', 'cls'):
        params = params[1:]
    missing = [p.name for p in params if p.annotation is inspect.Parameter.empty]
    assert not missing, f'{name}: parameters without a type hint: {missing}'
    assert sig.return_annotation is not inspect.Signature.empty, f'{name}: no return type hint'
    for hint in [p.annotation for p in params] + [sig.return_annotation]:
        if isinstance(hint, str):
            compile(hint, name, 'eval')         # a postponed annotation must still be an expression


def test_the_package_ships_the_py_typed_marker():
    assert os.path.isfile(os.path.join(os.path.dirname(dezero.__file__), 'py.typed'))
    with open(os.path.join(ROOT, 'setup.py'), encoding='utf-8') as f:
        assert "'py.typed'" in f.read()
