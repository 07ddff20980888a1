"""Promises about the project itself: clean import, lazy heavy imports, README and CI in agreement."""
import os
import re
import subprocess
import sys

import dezero

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run_python(code):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, '-W', 'error', '-c', code], capture_output=True,
                          text=True, env=env, cwd=ROOT)


def test_import_is_clean_under_warnings_as_errors():
    result = _run_python('import dezero')
    assert result.returncode == 0, result.stderr
    assert result.stderr == ''


def test_import_loads_no_heavy_module():
    code = ('import sys, dezero; import dezero.functions, dezero.utils, dezero.cuda, dezero.functional\n'
            'print(",".join(m for m in ("matplotlib", "PIL", "graphviz", "cupy", "IPython", "scipy", "torch",'
            ' "onnx", "onnxruntime")'
            ' if m in sys.modules))')
    result = _run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ''


def test_public_names_of_the_original_are_exported():
    for name in ('Variable', 'Parameter', 'Function', 'using_config', 'no_grad', 'test_mode',
                 'as_array', 'as_variable', 'setup_variable', 'Config', 'functions', 'utils', 'cuda'):
        assert hasattr(dezero, name), name
    assert re.fullmatch(r'\d+\.\d+\.\d+', dezero.__version__)


def _readme_commands():
    with open(os.path.join(ROOT, 'README.md'), encoding='utf-8') as f:
        text = f.read()
    return re.findall(r'```bash\n(.*?)\n```', text, flags=re.S)


def test_readme_has_exactly_two_setup_commands_and_ci_runs_the_test_one():
    commands = _readme_commands()
    assert len(commands) == 2, commands
    install_and_run, install_and_test = commands
    assert 'pip install' in install_and_run and 'examples/' in install_and_run
    assert 'pytest' in install_and_test
    with open(os.path.join(ROOT, '.ci', 'run'), encoding='utf-8') as f:
        ci = f.read().splitlines()
    assert install_and_test in ci


def test_version_is_written_once_and_setup_reads_it():
    with open(os.path.join(ROOT, 'setup.py'), encoding='utf-8') as f:
        assert not re.search(r"['\"]\d+\.\d+\.\d+['\"]", f.read()), 'setup.py must not repeat the version'
    result = subprocess.run([sys.executable, 'setup.py', '--version'], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == dezero.__version__
