"""Run a program as if some optional packages were not installed.

``env_without(folder, modules)`` writes a ``sitecustomize.py`` into ``folder`` that makes importing any
of ``modules`` (and their submodules) raise ``ModuleNotFoundError``, as on a machine without them, and
returns an environment whose ``PYTHONPATH`` starts with that folder. Python imports ``sitecustomize``
at start-up, so the block holds from the first line of the program run with that environment.
"""
import os

SITECUSTOMIZE = '''\
import sys

BLOCKED = {modules!r}


class _Blocker:
    """A meta-path finder that refuses the blocked top-level packages."""

    def find_spec(self, name, path=None, target=None):
        if name.partition('.')[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None


sys.meta_path.insert(0, _Blocker())
'''


def env_without(folder, modules, base=None):
    """An environment (a copy of ``base`` or ``os.environ``) in which ``modules`` cannot be imported."""
    folder = os.fspath(folder)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, 'sitecustomize.py'), 'w', encoding='utf-8') as f:
        f.write(SITECUSTOMIZE.format(modules=sorted(modules)))
    env = dict(os.environ if base is None else base)
    env['PYTHONPATH'] = os.pathsep.join(p for p in (folder, env.get('PYTHONPATH', '')) if p)
    return env
