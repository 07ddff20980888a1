"""examples/spiral.py, README's main job: it trains, reports, and writes its figures and metrics.json."""
import json
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PNG_MAGIC = b'\x89PNG\r\n\x1a\n'
sys.path.insert(0, ROOT)
from examples import spiral  # noqa: E402


def _png(path):
    with open(path, 'rb') as f:
        return f.read(8) == PNG_MAGIC


def test_quick_run_writes_metrics_and_figures(tmp_path, capsys):
    out = tmp_path / 'out'
    result = spiral.main(['--quick', '--out', str(out)])
    printed = capsys.readouterr().out
    metrics = json.loads((out / 'metrics.json').read_text())
    assert metrics['epochs'] == 100 and metrics['quick'] is True
    assert 0.75 <= metrics['test_accuracy'] <= 1.0 and metrics['test_accuracy'] == result['test_accuracy']
    assert 'train accuracy: ' in printed and 'test accuracy: ' in printed
    assert printed.splitlines()[0].startswith('epoch   1 | train loss 1.0944, accuracy 0.4033')
    assert _png(out / 'spiral_decision_boundary.png')
    if shutil.which('dot'):
        assert _png(out / 'spiral_graph.png') and 'spiral_graph.png' in metrics['figures']
    else:
        assert 'Graphviz' in printed


def test_seed_changes_the_run_and_epochs_option(tmp_path, capsys):
    a = spiral.main(['--epochs', '2', '--out', str(tmp_path / 'a')])
    b = spiral.main(['--epochs', '2', '--seed', '3', '--out', str(tmp_path / 'b')])
    assert a['epochs'] == b['epochs'] == 2
    assert a['train_loss'] != b['train_loss']
    c = spiral.main(['--epochs', '2', '--seed', '3', '--out', str(tmp_path / 'c')])
    assert c['train_loss'] == b['train_loss']


def test_without_matplotlib_a_plain_png_is_written(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, 'matplotlib', None)
    spiral.main(['--epochs', '1', '--out', str(tmp_path)])
    assert 'matplotlib is not installed' in capsys.readouterr().out
    assert _png(tmp_path / 'spiral_decision_boundary.png')
    Image = pytest.importorskip('PIL.Image')
    monkeypatch.delitem(sys.modules, 'matplotlib')
    with Image.open(tmp_path / 'spiral_decision_boundary.png') as img:
        assert img.mode == 'RGB' and min(img.size) > 300


def test_runs_as_a_script_from_any_folder(tmp_path):
    env = dict(os.environ, MPLBACKEND='Agg')
    env.pop('PYTHONPATH', None)
    r = subprocess.run([sys.executable, os.path.join(ROOT, 'examples', 'spiral.py'), '--epochs', '1',
                        '--out', 'result'], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / 'result' / 'metrics.json').read_text())['epochs'] == 1


def test_export_onnx_writes_the_model_and_runs_it_in_onnx_runtime(tmp_path, capsys):
    try:
        import onnx
        import onnxruntime  # noqa: F401
    except Exception as e:       # missing, or a wheel built for another NumPy
        pytest.skip(f'needs the onnx extra: pip install -e ".[onnx]" ({e})')
    path = tmp_path / 'spiral.onnx'
    result = spiral.main(['--epochs', '5', '--out', str(tmp_path / 'out'), '--export-onnx', str(path)])
    printed = capsys.readouterr().out
    onnx.checker.check_model(str(path))
    assert f'exported the model to {path}' in printed and 'ONNX Runtime: test accuracy' in printed
    assert result['onnx']['test_accuracy'] == result['test_accuracy']
    assert result['onnx']['max_abs_difference'] < 1e-5
    saved = json.loads((tmp_path / 'out' / 'metrics.json').read_text())
    assert saved['onnx'] == result['onnx']
