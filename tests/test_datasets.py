"""Datasets: indexing, the book's spiral and its RNG side effect, MNIST (real and written here), CIFAR,
the label files, and never touching the network when the files are there."""
import gzip
import hashlib
import io
import os
import pickle
import shutil
import subprocess
import sys
import tarfile
import urllib.request

import numpy as np
import pytest

import dezero
from dezero import datasets, utils
from dezero.transforms import Compose, ToFloat, Normalize

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_MNIST = os.path.join(ROOT, '..', 'shared', 'data', 'mnist')
needs_shared_mnist = pytest.mark.skipif(
    not os.path.exists(os.path.join(SHARED_MNIST, 't10k-images-idx3-ubyte.gz')),
    reason=f'the MNIST test split is not in {os.path.normpath(SHARED_MNIST)} (CI provides it)')


@pytest.fixture
def offline(monkeypatch):
    """Any download attempt fails (and is recorded)."""
    calls = []

    def refuse(url, *args, **kwargs):
        calls.append(url)
        raise OSError('network disabled in tests')

    monkeypatch.setattr(urllib.request, 'urlopen', refuse)
    return calls


@pytest.fixture
def home(tmp_path, monkeypatch):
    folder = tmp_path / 'dezero_home'
    folder.mkdir()
    monkeypatch.setenv('DEZERO_HOME', str(folder))
    return folder


# =============================================================================
# Dataset
# =============================================================================
class Squares(dezero.Dataset):
    def prepare(self):
        self.data = np.arange(5)
        self.label = np.arange(5) ** 2


def test_dataset_int_numpy_int_negative_slice_and_list_indices():
    ds = Squares(transform=lambda x: x * 10, target_transform=lambda t: -t)
    assert len(ds) == 5
    assert ds[2] == (20, -4)
    assert ds[np.int64(3)] == (30, -9)
    assert ds[-1] == (40, -16)
    assert ds[1:4:2] == [(10, -1), (30, -9)]
    assert ds[[0, 4]] == [(0, 0), (40, -16)]
    assert ds[np.array([1])] == [(10, -1)]
    assert ds[np.array(1)] == (10, -1)
    with pytest.raises(IndexError):
        ds[5]
    with pytest.raises(TypeError, match='Squares indices must be ints'):
        ds[1.5]
    assert list(ds)[-1] == (40, -16)       # iteration stops at IndexError


def test_dataset_without_labels_gives_none():
    class Unlabelled(dezero.Dataset):
        def prepare(self):
            self.data = np.ones((3, 2))

    x, t = Unlabelled()[0]
    assert t is None and x.shape == (2,)


# =============================================================================
# Spiral and SinCurve
# =============================================================================
def test_get_spiral_shapes_dtypes_and_classes():
    x, t = datasets.get_spiral()
    assert x.shape == (300, 2) and x.dtype == np.float32
    assert t.shape == (300,) and t.dtype == np.int64
    assert np.bincount(t).tolist() == [100, 100, 100]
    radius = np.sqrt((x ** 2).sum(axis=1))
    assert radius.max() < 1.0 and radius.min() == 0.0


def test_get_spiral_follows_the_book_draws_and_leaves_the_rng_where_the_book_does():
    np.random.seed(1984)
    noise = np.array([np.random.randn() for _ in range(300)])
    perm = np.random.permutation(300)
    after = np.random.rand()

    x, t = datasets.get_spiral(train=True)
    assert np.random.rand() == after               # the book's later numbers depend on this
    j = np.repeat(np.arange(3), 100)
    rate = np.tile(np.arange(100) / 100, 3)
    theta = j * 4.0 + 4.0 * rate + noise * 0.2
    expected = np.stack([rate * np.sin(theta), rate * np.cos(theta)], axis=1).astype(np.float32)
    np.testing.assert_array_equal(x, expected[perm])
    np.testing.assert_array_equal(t, j[perm])


def test_spiral_dataset_train_and_test_splits():
    x_test, t_test = datasets.get_spiral(train=False)
    ds = datasets.Spiral(train=False)
    np.testing.assert_array_equal(ds.data, x_test)
    np.testing.assert_array_equal(ds.label, t_test)
    assert not np.array_equal(ds.data, datasets.Spiral(train=True).data)
    x, t = ds[0]
    assert x.shape == (2,) and x.dtype == np.float32 and isinstance(t, np.int64)


def test_sin_curve():
    train, test = datasets.SinCurve(train=True), datasets.SinCurve(train=False)
    assert len(train) == 999 and train.data.shape == (999, 1) and train.label.shape == (999, 1)
    np.testing.assert_array_equal(train.data[1:], train.label[:-1])
    xs = np.linspace(0, 2 * np.pi, 1000)
    np.testing.assert_allclose(test.data[:, 0], np.cos(xs[:-1]))
    assert np.max(np.abs(train.data[:, 0] - np.sin(xs[:-1]))) <= 0.05


# =============================================================================
# MNIST
# =============================================================================
def _idx_bytes(array):
    header = bytes([0, 0, 0x08, array.ndim]) + b''.join(int(s).to_bytes(4, 'big') for s in array.shape)
    return header + array.astype(np.uint8).tobytes()


def _write_mnist(folder, prefix, n, seed=0):
    rng = np.random.RandomState(seed)
    images = rng.randint(0, 256, size=(n, 28, 28)).astype(np.uint8)
    labels = rng.randint(0, 10, size=n).astype(np.uint8)
    with gzip.open(os.path.join(folder, f'{prefix}-images-idx3-ubyte.gz'), 'wb') as f:
        f.write(_idx_bytes(images))
    with gzip.open(os.path.join(folder, f'{prefix}-labels-idx1-ubyte.gz'), 'wb') as f:
        f.write(_idx_bytes(labels))
    return images, labels


def test_mnist_reads_idx_files_from_root_without_network(tmp_path, offline):
    images, labels = _write_mnist(str(tmp_path), 'train', 7)
    ds = datasets.MNIST(train=True, root=tmp_path)
    assert ds.data.shape == (7, 1, 28, 28) and ds.data.dtype == np.uint8
    np.testing.assert_array_equal(ds.data[:, 0], images)
    np.testing.assert_array_equal(ds.label, labels)
    x, t = ds[3]
    assert x.shape == (784,) and x.dtype == np.float32
    np.testing.assert_allclose(x, images[3].ravel() / 255, rtol=1e-6)
    assert t == labels[3]
    assert offline == []


def test_mnist_test_split_alone(tmp_path, offline):
    _write_mnist(str(tmp_path), 't10k', 4)
    ds = datasets.MNIST(train=False, root=str(tmp_path))
    assert len(ds) == 4
    with pytest.raises(FileNotFoundError) as info:
        datasets.MNIST(train=True, root=str(tmp_path))
    message = str(info.value)
    assert 'train-images-idx3-ubyte.gz' in message and str(tmp_path) in message
    assert offline == []


def test_mnist_rejects_a_truncated_or_foreign_file(tmp_path):
    _write_mnist(str(tmp_path), 't10k', 4)
    path = os.path.join(str(tmp_path), 't10k-images-idx3-ubyte.gz')
    with gzip.open(path, 'rb') as f:
        raw = f.read()
    with gzip.open(path, 'wb') as f:
        f.write(raw[:-10])
    with pytest.raises(ValueError, match='truncated'):
        datasets.MNIST(train=False, root=str(tmp_path))
    with gzip.open(path, 'wb') as f:
        f.write(b'<html>not found</html>')
    with pytest.raises(ValueError, match='not an IDX file'):
        datasets.MNIST(train=False, root=str(tmp_path))


def test_mnist_offline_without_files_names_the_files_and_the_folder(home, offline, capsys):
    with pytest.raises(utils.DownloadError) as info:
        datasets.MNIST(train=False)
    message = str(info.value)
    assert 't10k-images-idx3-ubyte.gz' in message and 't10k-labels-idx1-ubyte.gz' in message
    assert str(home) in message
    assert offline[:2] == ['https://ossci-datasets.s3.amazonaws.com/mnist/t10k-images-idx3-ubyte.gz',
                           'https://storage.googleapis.com/cvdf-datasets/mnist/t10k-images-idx3-ubyte.gz']


def test_mnist_checksums_are_the_published_ones():
    table = dict(f for split in datasets.MNIST_FILES.values() for f in split)
    assert table == {
        'train-images-idx3-ubyte.gz': 'md5:f68b3c2dcbeaaa9fbdd348bbdeb94873',
        'train-labels-idx1-ubyte.gz': 'md5:d53e105ee54ea40749a09fcbcd1e9432',
        't10k-images-idx3-ubyte.gz': 'md5:9fb629c4189551a2d022fa330f9573f3',
        't10k-labels-idx1-ubyte.gz': 'md5:ec29112dd5afa0611ce80d1b7f02629c'}


@needs_shared_mnist
def test_shared_mnist_files_match_the_checksums():
    table = dict(f for split in datasets.MNIST_FILES.values() for f in split)
    for name in os.listdir(SHARED_MNIST):
        if name in table:
            with open(os.path.join(SHARED_MNIST, name), 'rb') as f:
                assert 'md5:' + hashlib.md5(f.read()).hexdigest() == table[name], name


@needs_shared_mnist
def test_real_mnist_test_split_from_root(offline):
    ds = datasets.MNIST(train=False, root=SHARED_MNIST)
    assert ds.data.shape == (10000, 1, 28, 28) and ds.label.shape == (10000,)
    assert np.bincount(ds.label).min() > 800
    assert ds.label[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    x, _ = ds[0]
    assert x.dtype == np.float32 and 0 <= x.min() and x.max() == 1.0
    assert offline == []


@needs_shared_mnist
def test_real_mnist_from_the_cache_folder_is_checksummed_and_offline(home, offline):
    for name in ('t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'):
        shutil.copy(os.path.join(SHARED_MNIST, name), home / name)
    ds = datasets.MNIST(train=False)
    assert len(ds) == 10000 and offline == []
    with open(home / 't10k-labels-idx1-ubyte.gz', 'ab') as f:    # a damaged cached copy
        f.write(b'x')
    with pytest.raises(utils.DownloadError) as info:             # is fetched again, never trusted
        datasets.MNIST(train=False)
    assert len(offline) == 2
    assert 't10k-labels-idx1-ubyte.gz: corrupt (md5 checksum mismatch' in str(info.value)   # not "missing"


def test_a_corrupt_cached_mnist_file_is_reported_as_corrupt_not_missing(home, offline, monkeypatch, capsys):
    _write_mnist(str(home), 't10k', 5)
    table = {name: 'md5:' + hashlib.md5((home / name).read_bytes()).hexdigest()
             for name in ('t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz')}
    monkeypatch.setitem(datasets.MNIST_FILES, 'test', tuple(table.items()))
    assert len(datasets.MNIST(train=False)) == 5 and offline == []     # verified, used offline
    with open(home / 't10k-images-idx3-ubyte.gz', 'r+b') as f:
        f.seek(40)
        f.write(b'\x00\x01\x02')
    with pytest.raises(utils.DownloadError) as info:
        datasets.MNIST(train=False)
    message = str(info.value)
    assert 't10k-images-idx3-ubyte.gz: corrupt (md5 checksum mismatch: expected ' in message
    assert '0 of them' not in message and 'missing' not in message
    assert 'is corrupt' in capsys.readouterr().out


def test_mnist_labels():
    assert datasets.MNIST.labels() == {i: str(i) for i in range(10)}


def test_mnist_show_draws_with_matplotlib(tmp_path, monkeypatch):
    plt = pytest.importorskip('matplotlib.pyplot')
    _write_mnist(str(tmp_path), 't10k', 12)
    shown = []
    monkeypatch.setattr(plt, 'show', lambda: shown.append(plt.gcf()))
    datasets.MNIST(train=False, root=tmp_path).show(row=2, col=3)
    assert len(shown) == 1
    plt.close('all')


# =============================================================================
# CIFAR
# =============================================================================
def _cifar_archive(path, top, members):
    """A .tar.gz of the binary CIFAR layout: ``members`` is {file name: bytes}."""
    with tarfile.open(path, 'w:gz') as tar:
        for name, raw in members.items():
            info = tarfile.TarInfo(f'{top}/{name}')
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))


def _records(*columns):
    """Binary CIFAR records: the label columns (one byte each) then the 3072 pixel bytes, row by row."""
    return np.concatenate([np.asarray(c, dtype=np.uint8).reshape(len(c), -1) for c in columns], axis=1).tobytes()


def _cifar10(folder, n=4):
    rng = np.random.RandomState(0)
    batches = {}
    for name in [f'data_batch_{i}' for i in range(1, 6)] + ['test_batch']:
        batches[name] = {'data': rng.randint(0, 256, size=(n, 3072)).astype(np.uint8),
                         'labels': rng.randint(0, 10, size=n).tolist()}
    _cifar_archive(os.path.join(folder, 'cifar-10-binary.tar.gz'), 'cifar-10-batches-bin',
                   {name + '.bin': _records(b['labels'], b['data']) for name, b in batches.items()})
    return batches


def test_cifar10_train_and_test_share_one_dtype_and_are_cached(tmp_path, offline, capsys):
    batches = _cifar10(str(tmp_path))
    train = datasets.CIFAR10(train=True, root=tmp_path)
    test = datasets.CIFAR10(train=False, root=tmp_path)
    assert train.data.shape == (20, 3, 32, 32) and test.data.shape == (4, 3, 32, 32)
    assert train.data.dtype == test.data.dtype == np.uint8          # bug #23
    assert train.label.dtype == test.label.dtype == np.int64
    np.testing.assert_array_equal(train.data[4:8].reshape(4, -1), batches['data_batch_2']['data'])
    assert train.label[4:8].tolist() == batches['data_batch_2']['labels']
    assert test.label.tolist() == batches['test_batch']['labels']
    x, _ = test[0]
    np.testing.assert_allclose(x, (batches['test_batch']['data'][0].reshape(3, 32, 32) - 0.5) / 0.5)
    assert os.path.exists(tmp_path / 'cifar-10-binary.tar.gz.train.npz')
    os.remove(tmp_path / 'cifar-10-binary.tar.gz')                  # the cache is enough now
    again = datasets.CIFAR10(train=True, root=tmp_path)
    np.testing.assert_array_equal(again.data, train.data)
    assert again.data.dtype == np.uint8 and offline == []


def test_cifar10_reads_an_original_float64_cache_as_uint8(tmp_path):
    data = np.random.randint(0, 256, size=(3, 3, 32, 32)).astype(np.float64)
    np.savez_compressed(tmp_path / 'cifar-10-python.tar.gz.train.npz', data=data, label=np.arange(3))
    ds = datasets.CIFAR10(train=True, root=tmp_path)
    assert ds.data.dtype == np.uint8
    np.testing.assert_array_equal(ds.data, data)


def test_cifar100_fine_and_coarse_labels_have_separate_caches(tmp_path, offline, capsys):
    rng = np.random.RandomState(1)
    members = {}
    for split in ('train', 'test'):
        members[split] = {'data': rng.randint(0, 256, size=(5, 3072)).astype(np.uint8),
                          'fine_labels': rng.randint(0, 100, size=5).tolist(),
                          'coarse_labels': rng.randint(0, 20, size=5).tolist()}
    _cifar_archive(str(tmp_path / 'cifar-100-binary.tar.gz'), 'cifar-100-binary',
                   {split + '.bin': _records(m['coarse_labels'], m['fine_labels'], m['data'])
                    for split, m in members.items()})
    fine = datasets.CIFAR100(train=True, root=tmp_path)
    coarse = datasets.CIFAR100(train=True, label_type='coarse', root=tmp_path)    # bug #24
    assert fine.label.tolist() == members['train']['fine_labels']
    assert coarse.label.tolist() == members['train']['coarse_labels']
    np.testing.assert_array_equal(fine.data.reshape(5, -1), members['train']['data'])
    test = datasets.CIFAR100(train=False, label_type='coarse', root=tmp_path)
    assert test.label.tolist() == members['test']['coarse_labels'] and test.data.dtype == np.uint8
    with pytest.raises(ValueError, match='label_type'):
        datasets.CIFAR100(label_type='medium', root=tmp_path)


def test_cifar_checksums_are_the_published_ones():
    # The md5sum column of https://www.cs.toronto.edu/~kriz/cifar.html, for the binary versions.
    assert datasets.CIFAR10.url == 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz'
    assert datasets.CIFAR10.checksum == 'md5:c32a1d4ab5d03f1284b67883e8d87530'
    assert datasets.CIFAR100.url == 'https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz'
    assert datasets.CIFAR100.checksum == 'md5:03b5dce01913d631647c71ecec9e9cb8'


def test_cifar_never_unpickles_what_it_finds_in_root(tmp_path, offline):
    """A tampered pickle archive (the python version the original read) sits in root=: it is not read,
    and the error says why; a pickled npz cache is refused, naming the file."""
    marker = tmp_path / 'EXECUTED'

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), 'w'))

    raw = pickle.dumps(Evil())
    with tarfile.open(tmp_path / 'cifar-10-python.tar.gz', 'w:gz') as tar:
        for name in [f'data_batch_{i}' for i in range(1, 6)] + ['test_batch']:
            info = tarfile.TarInfo(f'cifar-10-batches-py/{name}')
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    with pytest.raises(FileNotFoundError) as info:
        datasets.CIFAR10(train=False, root=tmp_path)
    message = str(info.value)
    assert 'cifar-10-binary.tar.gz: missing' in message and 'cifar-10-python.tar.gz is there' in message
    assert 'pickled' in message
    assert not marker.exists()

    np.savez(tmp_path / 'cifar-10-binary.tar.gz.test.npz', data=np.array([Evil()], dtype=object),
             label=np.arange(1))
    with pytest.raises(utils.CheckpointError, match='cifar-10-binary.tar.gz.test.npz') as info:
        datasets.CIFAR10(train=False, root=tmp_path)
    assert 'never unpickles' in str(info.value)
    assert not marker.exists()


@pytest.mark.parametrize('damage, words', [
    ('truncated', 'truncated'),
    ('not gzip', 'not a .tar.gz archive'),
    ('member missing', 'has no member test_batch.bin'),
    ('partial record', 'not a whole number of 3073-byte records'),
    ('label 10', 'label 10, but there are only 10 classes'),
])
def test_a_damaged_cifar_archive_is_an_error_naming_it(tmp_path, damage, words):
    path = tmp_path / 'cifar-10-binary.tar.gz'
    good = _records([1, 2], np.zeros((2, 3072)))
    if damage in ('truncated', 'not gzip'):
        _cifar_archive(str(path), 'cifar-10-batches-bin', {'test_batch.bin': good})
        raw = path.read_bytes()
        path.write_bytes(raw[:len(raw) // 2] if damage == 'truncated' else b'<html>moved</html>' + raw)
    else:
        content = {'member missing': {'data_batch_1.bin': good},
                   'partial record': {'test_batch.bin': good[:-1]},
                   'label 10': {'test_batch.bin': _records([1, 10], np.zeros((2, 3072)))}}[damage]
        _cifar_archive(str(path), 'cifar-10-batches-bin', content)
    with pytest.raises(ValueError) as info:
        datasets.CIFAR10(train=False, root=tmp_path)
    assert str(path) in str(info.value) and words in str(info.value)
    assert not (tmp_path / 'cifar-10-binary.tar.gz.test.npz').exists()


def test_cifar_labels():
    assert datasets.CIFAR10.labels()[0] == 'ariplane'       # the original's spelling, kept
    fine = datasets.CIFAR100.labels()                       # bug #25: was an empty list
    assert len(fine) == 100 and len(set(fine.values())) == 100
    assert fine[0] == 'apple' and fine[99] == 'worm' and fine[58] == 'pickup_truck'
    coarse = datasets.CIFAR100.labels('coarse')
    assert len(coarse) == 20 and coarse[19] == 'vehicles 2'


# =============================================================================
# ImageNet labels, Shakespeare
# =============================================================================
def test_imagenet_labels_are_parsed_not_executed(tmp_path):
    name = 'imagenet1000_clsidx_to_labels.txt'
    (tmp_path / name).write_text("{0: 'tench, Tinca tinca',\n 1: 'goldfish, Carassius auratus'}")
    assert datasets.ImageNet.labels(root=tmp_path) == {0: 'tench, Tinca tinca',
                                                       1: 'goldfish, Carassius auratus'}
    marker = tmp_path / 'executed'
    (tmp_path / name).write_text(f"__import__('pathlib').Path({str(marker)!r}).touch()")
    with pytest.raises(ValueError):
        datasets.ImageNet.labels(root=tmp_path)
    assert not marker.exists()
    with pytest.raises(NotImplementedError, match='labels'):
        datasets.ImageNet()


def test_shakespeare_ids_in_order_of_first_appearance(tmp_path, offline):
    (tmp_path / 'shakespear.txt').write_text('abca\nb', encoding='utf-8')
    ds = datasets.Shakespeare(root=tmp_path)
    assert datasets.Shakespeare is datasets.Shakespear
    assert ds.char_to_id == {'a': 0, 'b': 1, 'c': 2, '\n': 3}
    assert ds.data.tolist() == [0, 1, 2, 0, 3] and ds.label.tolist() == [1, 2, 0, 3, 1]
    assert ds.id_to_char[2] == 'c' and offline == []


def test_shakespeare_from_the_cache_folder_is_checksummed(home, offline, monkeypatch):
    (home / 'shakespear.txt').write_text('xyz', encoding='utf-8')
    monkeypatch.setattr(datasets.Shakespear, 'checksum', 'sha256:' + hashlib.sha256(b'xyz').hexdigest())
    assert datasets.Shakespear().data.tolist() == [0, 1]
    assert offline == []


def test_a_truncated_cached_shakespeare_is_reported_as_corrupt(home, offline, capsys):
    """It used to load as a tiny dataset; the published text's SHA-256 now rejects it."""
    assert datasets.Shakespear.checksum == \
        'sha256:86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed'
    (home / 'shakespear.txt').write_text('First Citizen:\nBefore we proceed', encoding='utf-8')
    with pytest.raises(utils.DownloadError) as info:
        datasets.Shakespear()
    message = str(info.value)
    assert 'shakespear.txt: corrupt (sha256 checksum mismatch' in message and str(home) in message
    assert offline == [datasets.Shakespear.url]


def test_cache_helpers_round_trip(home, capsys):
    assert datasets.load_cache_npz('http://host/archive.tgz', train=True) == (None, None)
    path = datasets.save_cache_npz(np.arange(3), np.arange(3) * 2, 'http://host/archive.tgz', train=True)
    assert path == os.path.join(str(home), 'archive.tgz.train.npz')
    data, label = datasets.load_cache_npz('http://host/archive.tgz', train=True)
    assert data.tolist() == [0, 1, 2] and label.tolist() == [0, 2, 4]


def test_importing_datasets_and_transforms_loads_neither_matplotlib_nor_pil():
    code = ('import sys, dezero.datasets, dezero.transforms, dezero.dataloaders, dezero.models\n'
            'print([m for m in ("matplotlib", "PIL") if m in sys.modules])')
    env = dict(os.environ, PYTHONPATH=ROOT)
    r = subprocess.run([sys.executable, '-W', 'error', '-c', code], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == '[]'


def test_default_mnist_transform_matches_the_original():
    t = datasets.MNIST.__init__.__defaults__[1]
    assert isinstance(t, Compose)
    assert [type(s) for s in t.transforms][1:] == [ToFloat, Normalize]
