"""The documentation's promises: its examples run and print what they show, and it covers every module.

* every ``>>>`` example in a dezero docstring runs (doctest);
* every ```` ```pycon ```` block of a page under ``docs/`` runs, the blocks of one page in order and
  sharing their names, like a notebook, in a temporary folder (for the images they write);
* the Getting-started pages show the README's commands verbatim;
* every dezero module has an API page;
* the differences pages name regression tests that exist, and the examples gallery names scripts
  that exist and shows the same figures as ``examples/images``;
* the site builds with ``mkdocs build --strict`` (slow; skipped when MkDocs is not installed).
"""
import doctest
import glob
import html as html_module
import importlib
import inspect
import os
import pkgutil
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

import dezero

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, 'docs')
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _read(path):
    with open(path, encoding='utf-8') as f:
        return f.read()


def _modules():
    """dezero and its public modules, subpackages included (not ``__main__``, ``python -m dezero``)."""
    return ['dezero'] + sorted(m.name for m in pkgutil.walk_packages(dezero.__path__, 'dezero.')
                               if not m.name.rsplit('.', 1)[-1].startswith('_'))


def _run_doctests(tests):
    """Run doctest.DocTest objects; return (examples tried, examples failed, report of the failures)."""
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report = []
    for test in tests:
        runner.run(test, out=report.append, clear_globs=False)
    return runner.tries, runner.failures, ''.join(report)


@pytest.mark.parametrize('name', _modules())
def test_docstring_examples(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(name)
    tests = doctest.DocTestFinder().find(module, name)
    tried, failed, report = _run_doctests(tests)
    assert failed == 0, report
    if name in ('dezero.engine', 'dezero.arrays', 'dezero.functional', 'dezero.utils'):
        assert tried > 0, f'{name} lost its docstring examples'


def _pages():
    return sorted(glob.glob(os.path.join(DOCS, '**', '*.md'), recursive=True))


_PYCON = re.compile(r'^( *)```pycon[^\n]*\n(.*?)^\1```', re.S | re.M)


@pytest.mark.parametrize('page', [p for p in _pages() if '```pycon' in _read(p)],
                         ids=lambda p: os.path.relpath(p, DOCS))
def test_page_examples(page, tmp_path, monkeypatch):
    text = _read(page)
    if 'plot_dot_graph(' in text and shutil.which('dot') is None:
        pytest.skip('the page draws graphs and Graphviz dot is not installed')
    if 'import onnxruntime' in text:
        try:
            import onnx  # noqa: F401
            import onnxruntime  # noqa: F401
        except Exception as e:
            pytest.skip(f'the page runs ONNX Runtime: needs the onnx extra, pip install -e ".[onnx]" ({e})')
    monkeypatch.chdir(tmp_path)
    name = os.path.relpath(page, DOCS)
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    globs, report = {'__name__': '__docs__'}, []
    for m in _PYCON.finditer(text):
        lineno = text.count('\n', 0, m.start(2))
        test = parser.get_doctest(textwrap.dedent(m.group(2)), globs, name, page, lineno)
        runner.run(test, out=report.append, clear_globs=False)
        globs = test.globs     # DocTest copies its globals: hand the names on to the next block
    tried, failed, report = runner.tries, runner.failures, ''.join(report)
    assert tried > 0
    assert failed == 0, report


@pytest.mark.parametrize('page', ['getting-started.md', 'getting-started.ko.md'])
def test_getting_started_shows_the_readme_commands(page):
    commands = re.findall(r'```bash\n(.*?)\n```', _read(os.path.join(ROOT, 'README.md')), flags=re.S)
    assert commands
    text = _read(os.path.join(DOCS, page))
    for command in commands:
        assert command in text, f'{page} must show the README command:\n{command}'


def test_every_module_has_an_api_page():
    documented = set()
    for page in _pages():
        documented.update(re.findall(r'^::: ([\w.]+)', _read(page), flags=re.M))
    missing = [m for m in _modules()[1:] if m not in documented]
    assert not missing, ('add docs/api/<module>.md containing "::: <module>" and list it under '
                         f'"API reference" in mkdocs.yml for: {missing}')


@pytest.mark.parametrize('page', ['differences.md', 'differences.ko.md'])
def test_differences_name_regression_tests_that_exist(page):
    """`file::test` names a test of tests/file (file may be in a folder, e.g. functions/test_conv.py);
    a bare `::test` continues the file named before it."""
    text, current, seen = _read(os.path.join(DOCS, page)), None, 0
    for m in re.finditer(r'`((?:\w+/)?test_\w+\.py)?::(test_\w+)`', text):
        current = m.group(1) or current
        source = _read(os.path.join(ROOT, 'tests', current))
        assert re.search(r'^def %s\b' % m.group(2), source, re.M), f'{page}: {current}::{m.group(2)} not found'
        seen += 1
    assert seen > 34


@pytest.mark.parametrize('page', ['examples.md', 'examples.ko.md'])
def test_gallery_names_scripts_that_exist_and_their_figures(page):
    text = _read(os.path.join(DOCS, page))
    scripts = re.findall(r'`python (examples/[\w/]+\.py)', text)
    assert scripts
    missing = [s for s in scripts if not os.path.isfile(os.path.join(ROOT, s))]
    assert not missing, missing
    for image in re.findall(r'\]\((images/examples/[\w.]+\.png)\)', text):
        with open(os.path.join(DOCS, image), 'rb') as a, \
                open(os.path.join(ROOT, 'examples', 'images', os.path.basename(image)), 'rb') as b:
            assert a.read() == b.read(), f'{image} differs from examples/images: copy it again'


@pytest.mark.slow
def test_site_builds_without_warnings(tmp_path):
    pytest.importorskip('mkdocs')
    pytest.importorskip('mkdocstrings')
    pytest.importorskip('mkdocs_static_i18n')
    env = dict(os.environ, NO_MKDOCS_2_WARNING='1')
    result = subprocess.run([sys.executable, '-m', 'mkdocs', 'build', '--strict', '--site-dir',
                             str(tmp_path / 'site')], cwd=ROOT, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    for page in ('index.html', 'ko/index.html', 'getting-started/index.html',
                 'ko/getting-started/index.html', 'api/core/index.html'):
        assert (tmp_path / 'site' / page).is_file(), page
    for md in sorted(glob.glob(os.path.join(DOCS, 'api', '*.md'))):
        name = os.path.splitext(os.path.basename(md))[0]
        html = _read(str(tmp_path / 'site' / 'api' / ('' if name == 'index' else name) / 'index.html'))
        assert '<blockquote>' not in html, f'api/{name}: a docstring example rendered as a quote'
        code = html_module.unescape(re.sub(r'<[^>]+>', '', ' '.join(re.findall(r'<code>(.*?)</code>', html, re.S))))
        for example in _rendered_examples(_read(md)):
            assert '>>> ' + example in code, f'api/{name}: the example ">>> {example}" is not shown as code'


def _rendered_examples(page):
    """The first line of every docstring example that the ``:::`` blocks of an API page render."""
    found = []
    for block in re.split(r'^(?=::: )', page, flags=re.M)[1:]:
        name = block.split()[1]
        module = importlib.import_module(name)
        options = block.split('\n', 1)[1] if '\n' in block else ''
        if 'members: false' in options:
            objects = [module]
        elif 'members: [' in options:
            names = re.search(r'members: \[([^]]*)\]', options).group(1).replace(' ', '').split(',')
            objects = [module] + [getattr(module, n) for n in names]
        else:
            filters = re.findall(r'"!(\^[^"]*)"', options) or ['^_']
            objects = [module] + [value for key, value in vars(module).items()
                                  if getattr(value, '__module__', None) == name
                                  and not any(re.search(f, key) for f in filters)]
        for obj in objects:
            for test in doctest.DocTestFinder(recurse=inspect.isclass(obj)).find(obj, name):
                found += [test.examples[0].source.splitlines()[0]] if test.examples else []
    return found
