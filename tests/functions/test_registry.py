"""The registry of op specs against dezero.functions and docs/functions.md.

* every module of dezero/functions/ has its test module with SPECS;
* every public function has exactly one spec (its aliases count through ``aliases``), no spec names
  something that does not exist, and each spec lives in the test module of its function's family;
* every spec checks float32 and float64, first and second order (or is forward-only), 0-d inputs and
  broadcasting where they apply, and says which points its inputs avoid;
* docs/functions.md lists every public function, its "differentiable again" and "GPU" columns say
  what the specs say, and its list of functions checked to the third order is the registry's.

The checks are functions of their inputs, and the last tests feed them a function without a spec
and a drifted table to show that they fail then.
"""
import os
import re
import types

import numpy as np
import pytest

import dezero.functions as F
import dezero.functions_conv as FC
from functions import specs as registry

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCS = os.path.join(ROOT, 'docs', 'functions.md')

# Where a 0-d input does not apply, and why.
NO_ZERO_D = {
    'matmul': 'np.matmul refuses 0-d operands', 'linear': 'x (..., in) @ W (in, out)',
    'linear_simple': 'x (..., in) @ W (in, out)',
    'embed_id': 'W is a matrix of rows (0-d ids are its case "ids 0-d")',
    'softmax': 'normalises along an axis', 'softmax_simple': 'normalises along an axis',
    'log_softmax': 'normalises along an axis', 'layer_norm': 'normalises over trailing axes',
    'softmax_cross_entropy': 'x has a class axis', 'softmax_cross_entropy_simple': 'x has a class axis',
    'accuracy': 'y has a class axis', 'batch_norm': 'x has a channel axis',
    'flatten': 'keeps the batch axis', 'concat': 'joins along an existing axis',
    'split': 'splits along an existing axis', 'lstm_cell': 'x is a batch (N, in)',
    'select_item': 'one entry per row of x (N, C)', 'categorical_log_prob': 'logits have a class axis',
    'categorical_entropy': 'logits have a class axis', 'gaussian_entropy': "sums over the last axis (the action's)",
    **{name: 'NCHW images' for name in ('conv2d', 'conv2d_simple', 'deconv2d', 'im2col', 'col2im', 'pooling',
                                        'pooling_simple', 'average_pooling')},
}
# Functions of two operands that broadcast them: some case must pair different shapes.
BROADCASTING = ('add', 'sub', 'rsub', 'mul', 'div', 'rdiv', 'power', 'maximum', 'minimum', 'where', 'matmul',
                'linear', 'gaussian_log_prob')
# Names in the table that are array helpers of dezero.functions_conv, not functions of F.
ARRAY_HELPERS = ('im2col_array', 'col2im_array')


def _read_docs():
    with open(DOCS, encoding='utf-8') as f:
        return f.read()


# =============================================================================
# The checks, as functions
# =============================================================================
def coverage_problems(public, specs):
    """Public names without exactly one spec, and spec names that are not public names."""
    claims = {}
    for spec in specs:
        for name in (spec.name, *spec.aliases):
            claims.setdefault(name, []).append(spec.name)
    problems = [f'{name}: no spec (add an OpSpec to tests/functions/test_<family>.py)'
                for name in sorted(public - set(claims))]
    problems += [f'{name}: claimed by several specs {claims[name]}'
                 for name in sorted(claims) if len(claims[name]) > 1]
    problems += [f'{name}: a spec names it, but dezero.functions has no such public function'
                 for name in sorted(set(claims) - public)]
    return problems


def _cells(line):
    return [c.strip() for c in re.split(r'(?<!\\)\|', line.strip().strip('|'))]


def table_rows(text):
    """(line number, names, {column: cell}) for each row of the tables with a "differentiable again" column."""
    rows, header = [], None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.startswith('|'):
            header = None
            continue
        cells = _cells(line)
        if header is None:
            header = cells
        elif 'differentiable again' in header and not set(''.join(cells)) <= set('-: '):
            names = [m.group(1) for span in re.findall(r'`([^`]+)`', cells[0])
                     for m in [re.fullmatch(r'([a-z_][a-z0-9_]*)(\(.*\))?', span)] if m]
            rows.append((number, names, dict(zip(header, cells))))
    return rows


def _says(cell):
    cell = cell.strip().lower()
    if cell.startswith('yes'):
        return 'yes (piecewise)' if 'piecewise' in cell else 'yes'
    if cell.startswith(('no', '–', '-')):
        return 'no'
    return cell


def table_problems(text, specs, public):
    """Every disagreement between docs/functions.md's tables and prose and the registry."""
    by_name = {name: spec for spec in specs for name in (spec.name, *spec.aliases)}
    problems, listed = [], set()
    for number, names, cols in table_rows(text):
        for name in names:
            listed.add(name)
            if name in ARRAY_HELPERS and name not in public:
                if not hasattr(FC, name) or _says(cols['differentiable again']) != 'no':
                    problems.append(f'line {number}: `{name}` must be an array helper of dezero.functions_conv, '
                                    'not differentiable')
                continue
            spec = by_name.get(name)
            if spec is None:
                problems.append(f'line {number}: `{name}` is in the table but has no spec')
                continue
            want = {'differentiable again': registry.differentiable_again(spec), 'GPU': 'yes' if spec.gpu else 'no'}
            for column, value in want.items():
                if _says(cols[column]) != value:
                    problems.append(f'line {number}: `{name}`: the column "{column}" says {cols[column]!r}, '
                                    f'the spec says {value!r}')
    problems += [f'`{name}` is missing from the table' for name in sorted(public - listed)]
    m = re.search(r'<!-- third-order -->(.*?)<!-- /third-order -->', text, re.S)
    expected = registry.third_order_text(specs)
    if m is None or ' '.join(m.group(1).split()) != expected:
        problems.append('the list of functions checked to the third order must read, between '
                        f'<!-- third-order --> and <!-- /third-order -->: {expected}')
    return problems


# =============================================================================
# The registry against dezero.functions
# =============================================================================
def test_every_family_has_a_test_module_with_specs():
    found = registry.family_specs()
    assert sorted(found) == registry.families(), \
        f'add tests/functions/test_<family>.py with SPECS for: {sorted(set(registry.families()) - set(found))}'
    assert all(found.values())


def test_every_public_function_has_exactly_one_spec():
    public = registry.public_names()
    assert len(public) > 60 and {'as_array', 'as_variable', 'setup_variable'}.isdisjoint(public)
    problems = coverage_problems(public, registry.all_specs())
    assert not problems, '\n'.join(problems)


def test_aliases_are_the_same_function():
    for spec in registry.all_specs():
        for alias in spec.aliases:
            assert getattr(F, alias) is getattr(F, spec.name), f'{alias} is not {spec.name}'


def test_each_spec_lives_in_the_test_module_of_its_family():
    for family, specs in registry.family_specs().items():
        for spec in specs:
            assert getattr(F, spec.name).__module__ == f'dezero.functions.{family}', \
                f'the spec of {spec.name} belongs in test_{getattr(F, spec.name).__module__.split(".")[-1]}.py'


@pytest.mark.parametrize('spec', registry.all_specs(), ids=lambda s: s.name)
def test_spec_checks_dtypes_orders_shapes_and_avoided_points(spec):
    cases = spec.expand()
    assert cases and all(case.shapes for case in cases), f'{spec.name}: a case without shapes'
    for case in cases:
        assert {np.float32, np.float64} <= set(case.dtypes), f'{case.name}: check float32 and float64'
    orders = {case.order for case in cases}
    assert orders == {0} or min(orders) >= 2, f'{spec.name}: first and second order, or forward-only (order=0)'
    shapes = [s for case in cases for shapes in case.shapes for s in shapes]
    assert () in shapes or spec.name in NO_ZERO_D, f'{spec.name}: add a case with a 0-d input'
    assert spec.name not in NO_ZERO_D or () not in shapes, f'{spec.name} has 0-d inputs: drop it from NO_ZERO_D'
    if spec.name in BROADCASTING:
        assert any(len(set(shapes)) > 1 for case in cases for shapes in case.shapes), \
            f'{spec.name}: add a case that broadcasts operands of different shapes'
    if spec.piecewise:
        assert spec.avoid, f'{spec.name} is piecewise: say in avoid which kinks its inputs avoid'
    for case in cases:
        if case.avoid:
            assert case.inputs is not None or (case.low, case.high) != (-1.0, 1.0), \
                f'{case.name}: avoid says {case.avoid!r}, but the inputs are the default uniform ones'


# =============================================================================
# The registry against docs/functions.md
# =============================================================================
def test_the_functions_table_agrees_with_the_registry():
    problems = table_problems(_read_docs(), registry.all_specs(), registry.public_names())
    assert not problems, 'docs/functions.md disagrees with the specs (python tests/functions/specs.py ' \
                         'prints what they say):\n' + '\n'.join(problems)


def test_there_is_no_korean_functions_page_to_keep_in_sync():
    """docs/functions.md has no Korean translation; if one is added, check it here as well."""
    assert not os.path.exists(os.path.join(ROOT, 'docs', 'functions.ko.md'))


# =============================================================================
# The checks fail when they should
# =============================================================================
def test_a_public_function_without_a_spec_fails_the_registry():
    def cube(x):
        return x ** 3
    cube.__module__ = 'dezero.functions.elementwise'
    namespace = types.SimpleNamespace(**{name: getattr(F, name) for name in dir(F) if not name.startswith('__')},
                                      cube=cube)
    public = registry.public_names(namespace)
    assert public == registry.public_names() | {'cube'}
    assert coverage_problems(public, registry.all_specs()) == [
        'cube: no spec (add an OpSpec to tests/functions/test_<family>.py)']
    specs = [s for s in registry.all_specs() if s.name != 'relu']
    assert coverage_problems(registry.public_names(), specs + specs[:1]) == [
        'relu: no spec (add an OpSpec to tests/functions/test_<family>.py)',
        f'{specs[0].name}: claimed by several specs {[specs[0].name] * 2}']


def test_a_drifted_table_fails_the_registry():
    text, specs, public = _read_docs(), registry.all_specs(), registry.public_names()
    assert table_problems(text, specs, public) == []
    row = next(line for line in text.splitlines() if line.startswith('| `relu(x)`'))
    drifted = text.replace(row, row.replace('yes (piecewise)', 'yes'))
    assert any('`relu`: the column "differentiable again"' in p for p in table_problems(drifted, specs, public))
    dropped = text.replace(row + '\n', '')
    assert '`relu` is missing from the table' in table_problems(dropped, specs, public)
    prose = text.replace('`sigmoid`, ', '', 1)
    assert any('third order' in p for p in table_problems(prose, specs, public))
