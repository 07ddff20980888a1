"""examples/mnist.py on the offline MNIST test split: it trains, saves, resumes, and reports."""
import json
import os
import sys
import urllib.request

import pytest

from dezero import datasets

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_MNIST = os.path.join(ROOT, '..', 'shared', 'data', 'mnist')
sys.path.insert(0, ROOT)
from examples import mnist  # noqa: E402


@pytest.mark.skipif(not os.path.exists(os.path.join(SHARED_MNIST, 't10k-images-idx3-ubyte.gz')),
                    reason=f'the MNIST test split is not in {os.path.normpath(SHARED_MNIST)} (CI provides it)')
def test_quick_small_run_then_resume(tmp_path, capsys):
    out = str(tmp_path)
    first = mnist.main(['--quick', '--small', '--hidden', '100', '--root', SHARED_MNIST, '--out', out])
    assert first['train_images'] == 8000 and first['test_images'] == 2000
    assert first['test_accuracy'] >= 0.9
    assert os.path.exists(os.path.join(out, 'mnist_mlp.npz'))
    second = mnist.main(['--quick', '--small', '--hidden', '100', '--root', SHARED_MNIST, '--out', out,
                         '--resume'])
    assert 'resumed from' in capsys.readouterr().out
    assert second['test_accuracy'] >= 0.9
    assert json.loads((tmp_path / 'metrics.json').read_text())['model'] == 'mlp'


def test_without_data_offline_the_error_says_where_to_put_the_files(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv('DEZERO_HOME', str(tmp_path))

    def refuse(url, *args, **kwargs):
        raise OSError('network disabled in tests')

    monkeypatch.setattr(urllib.request, 'urlopen', refuse)
    with pytest.raises(SystemExit) as info:          # one line, as the steps print it, not a traceback
        mnist.main(['--quick', '--small', '--out', str(tmp_path / 'out')])
    assert info.value.code == 1
    printed = capsys.readouterr().out
    assert printed == (f'Downloading MNIST into {tmp_path} ... failed (network disabled in tests). Download '
                       't10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz from '
                       f'{datasets.MNIST_URL} into {tmp_path} (or set DEZERO_HOME to a folder that holds '
                       'them), then run this example again.\n')
    with pytest.raises(SystemExit) as info:
        mnist.main(['--quick', '--small', '--root', str(tmp_path), '--out', str(tmp_path / 'out')])
    assert info.value.code.startswith(f'MNIST: t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz are '
                                      f'not in {tmp_path} (--root).')
