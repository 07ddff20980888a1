"""The registry of op specs: the SPECS list of every family's test module (tests/functions/test_<family>.py,
one per module of dezero/functions/), and what the registry says about dezero.functions' public names.

``python tests/functions/specs.py`` prints, for each spec, what docs/functions.md's columns must say
and the list of functions checked to the third order (the text the docs carry).
"""
import importlib
import importlib.util
import os
import pkgutil
import sys

import dezero.functions as F


def families():
    """The modules of the dezero.functions package (arithmetic, elementwise, shape, ...)."""
    return sorted(m.name for m in pkgutil.iter_modules(F.__path__) if not m.name.startswith('_'))


def family_specs():
    """{family: SPECS of tests/functions/test_<family>.py}; a family without a test module is missing."""
    return {family: importlib.import_module(f'functions.test_{family}').SPECS for family in families()
            if importlib.util.find_spec(f'functions.test_{family}') is not None}


def all_specs():
    return [spec for specs in family_specs().values() for spec in specs]


def public_names(namespace=F):
    """The public functions: lowercase callables defined in a dezero.functions.<family> module and
    re-exported by dezero.functions (so not as_array, as_variable or setup_variable, which the package
    re-exports from the engine or defines itself, nor the classes)."""
    names = set()
    for name in dir(namespace):
        obj = getattr(namespace, name)
        module = getattr(obj, '__module__', None) or ''
        if name[:1].islower() and callable(obj) and not isinstance(obj, type) and \
                module.startswith(F.__name__ + '.'):
            names.add(name)
    return names


def differentiable_again(spec):
    """What the "differentiable again" column says for ``spec``: yes, yes (piecewise) or no."""
    if spec.max_order < 2:
        return 'no'
    return 'yes (piecewise)' if spec.piecewise else 'yes'


def third_order(specs):
    """The names of the specs checked to the third order (or more), sorted."""
    return sorted(s.name for s in specs if s.max_order >= 3)


def third_order_text(specs):
    return ', '.join(f'`{name}`' for name in third_order(specs))


if __name__ == '__main__':
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    specs = all_specs()
    for spec in sorted(specs, key=lambda s: s.name):
        aliases = f" (also {', '.join(spec.aliases)})" if spec.aliases else ''
        print(f'{spec.name}{aliases}: differentiable again: {differentiable_again(spec)}; '
              f"GPU: {'yes' if spec.gpu else 'no'}; order {spec.max_order}" +
              (f'; avoids {spec.avoid}' if spec.avoid else ''))
    print('\nthird order:', third_order_text(specs))
