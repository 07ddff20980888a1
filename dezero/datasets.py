"""Datasets: ``Dataset`` and the book's data (spiral, MNIST, CIFAR-10/100, a sine curve, Shakespeare).

Downloads go through ``utils.get_file`` (mirrors, timeouts, progress, the ``DEZERO_HOME``
cache folder). Every downloaded file is checked against its published checksum (or, where none
exists, its format) before it is used, when downloaded and again when read from the cache; a file
that fails is reported as corrupt. ``root=`` names a local folder that already holds the files;
then nothing is downloaded, and the readers check the files' format. Nothing is ever unpickled:
CIFAR is read from its binary distribution. matplotlib is imported only by ``show()``.
"""
from __future__ import annotations

import ast
import gzip
import os
import tarfile
import zlib
from typing import Callable

import numpy as np

from dezero import utils
from dezero._checks import callable_or_none
from dezero.transforms import Compose, Flatten, ToFloat, Normalize


# =============================================================================
# Dataset
# =============================================================================
class Dataset:
    """Pairs ``(transform(data[i]), target_transform(label[i]))``; subclasses fill data and label in ``prepare()``.

    ``dataset[i]`` gives one example (``(x, None)`` when there are no labels);
    ``dataset[a:b]`` and ``dataset[[i, j]]`` give a list of examples.
    """

    def __init__(self, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None) -> None:
        callable_or_none(type(self).__name__, 'transform', transform)
        callable_or_none(type(self).__name__, 'target_transform', target_transform)
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        if self.transform is None:
            self.transform = lambda x: x
        if self.target_transform is None:
            self.target_transform = lambda x: x

        self.data = None
        self.label = None
        self.prepare()

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray | None]:
        if isinstance(index, np.ndarray) and index.ndim == 0:
            index = int(index)
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if isinstance(index, (list, tuple, np.ndarray)):
            return [self[i] for i in np.asarray(index).ravel().tolist()]
        if not isinstance(index, (int, np.integer)):
            raise TypeError(f'{type(self).__name__} indices must be ints, slices or lists of ints, '
                            f'not {type(index).__name__}')
        if self.label is None:
            return self.transform(self.data[index]), None
        return self.transform(self.data[index]), self.target_transform(self.label[index])

    def __len__(self) -> int:
        return len(self.data)

    def prepare(self) -> None:
        pass


# =============================================================================
# Toy datasets
# =============================================================================
def get_spiral(train: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """300 points of 3 interleaved spirals: x (300, 2) float32 and t (300,) int64.

    Like the original it reseeds NumPy's global RNG (1984 for train, 2020 for test),
    so everything random afterwards (weights, shuffling) repeats the book's numbers.
    """
    seed = 1984 if train else 2020
    np.random.seed(seed=seed)

    num_data, num_class, input_dim = 100, 3, 2
    data_size = num_class * num_data
    x = np.zeros((data_size, input_dim), dtype=np.float32)
    t = np.zeros(data_size, dtype=np.int64)

    for j in range(num_class):
        for i in range(num_data):
            rate = i / num_data
            radius = 1.0 * rate
            theta = j * 4.0 + 4.0 * rate + np.random.randn() * 0.2
            ix = num_data * j + i
            x[ix] = np.array([radius * np.sin(theta), radius * np.cos(theta)]).flatten()
            t[ix] = j
    indices = np.random.permutation(num_data * num_class)
    return x[indices], t[indices]


class Spiral(Dataset):
    def prepare(self) -> None:
        self.data, self.label = get_spiral(self.train)


class SinCurve(Dataset):
    """999 (y_k, y_{k+1}) pairs along sin (train, with noise) or cos (test) over [0, 2 pi]; float64 (999, 1)."""

    def prepare(self) -> None:
        num_data = 1000
        dtype = np.float64

        x = np.linspace(0, 2 * np.pi, num_data)
        noise_range = (-0.05, 0.05)
        noise = np.random.uniform(noise_range[0], noise_range[1], size=x.shape)
        if self.train:
            y = np.sin(x) + noise
        else:
            y = np.cos(x)
        y = y.astype(dtype)
        self.data = y[:-1][:, np.newaxis]
        self.label = y[1:][:, np.newaxis]


# =============================================================================
# Finding and fetching files
# =============================================================================
def _fetch(name, files, root, mirrors=(), other_names=()):
    """Paths of ``files`` ([(file_name, url, checksum)] or [(file_name, url, checksum, verify)]),
    from ``root`` or the download cache.

    With ``root`` nothing is downloaded: a missing file is an error naming the folder (and
    ``other_names``, files found there that dezero does not read, with why). Files there are not held
    to the checksums (a re-compressed copy is fine); readers check their format. Otherwise each file
    goes through ``utils.get_file``, which verifies cached copies too; if that fails the error names
    every file the dataset needs, the folder to put them in, and which are missing or corrupt.
    """
    files = [tuple(f) + (None,) * (4 - len(f)) for f in files]
    if root is not None:
        root = os.path.abspath(os.path.expanduser(os.fspath(root)))
        paths = [os.path.join(root, f) for f, _, _, _ in files]
        missing = [f for (f, _, _, _), p in zip(files, paths) if not os.path.exists(p)]
        if missing:
            problems = [(f, 'missing') for f in missing]
            message = _missing_message(name, files, problems, root)
            found = [(f, why) for f, why in other_names if os.path.exists(os.path.join(root, f))]
            message += ''.join(f'\n({f} is there, but {why}.)' for f, why in found)
            raise FileNotFoundError(message)
        return paths

    paths = []
    for i, (f, url, checksum, verify) in enumerate(files):
        try:
            paths.append(utils.get_file(url, f, checksum=checksum, mirrors=mirrors, verify=verify))
        except utils.DownloadError as e:
            folder = utils.get_cache_dir()
            problems = [(f, 'missing, and the download failed' if e.cached_error is None
                         else f'corrupt ({e.cached_error}), and downloading it again failed')]
            problems += [(g, 'missing') for g, _, _, _ in files[i + 1:]
                         if not os.path.exists(os.path.join(folder, g))]
            raise utils.DownloadError(_missing_message(name, files, problems, folder) + '\n\n' + str(e),
                                      e.file_path, e.errors, e.cached_error) from None
    return paths


def _missing_message(name, files, problems, folder):
    """``name`` needs ``files`` in ``folder``; ``problems`` ([(file_name, what is wrong)]) say which fail."""
    lines = [f'{name} needs these files in {folder}:']
    lines += [f'  {f}  (from {url})' for f, url, _, _ in files]
    lines += [f'{f}: {what}.' for f, what in problems]
    lines.append(f'Put them in {folder} (or pass root= the folder that holds them); '
                 'the DEZERO_HOME environment variable moves the download folder.')
    return '\n'.join(lines)


# =============================================================================
# MNIST
# =============================================================================
MNIST_URL = 'https://ossci-datasets.s3.amazonaws.com/mnist/'
MNIST_MIRRORS = ('https://storage.googleapis.com/cvdf-datasets/mnist/',)
MNIST_FILES = {
    'train': (('train-images-idx3-ubyte.gz', 'md5:f68b3c2dcbeaaa9fbdd348bbdeb94873'),
              ('train-labels-idx1-ubyte.gz', 'md5:d53e105ee54ea40749a09fcbcd1e9432')),
    'test': (('t10k-images-idx3-ubyte.gz', 'md5:9fb629c4189551a2d022fa330f9573f3'),
             ('t10k-labels-idx1-ubyte.gz', 'md5:ec29112dd5afa0611ce80d1b7f02629c')),
}


def _read_idx(path):
    """An IDX file (gzip-compressed or not) of unsigned bytes, as a uint8 array of its declared shape."""
    opener = gzip.open if path.endswith('.gz') else open
    try:
        with opener(path, 'rb') as f:
            raw = f.read()
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:
        raise ValueError(f'{path} is truncated or corrupt: it cannot be decompressed '
                         f'({type(e).__name__}: {e})') from e
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f'{path} is not an IDX file of unsigned bytes')
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f'{path} is truncated: it ends inside its header')
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=header)
    if data.size != int(np.prod(shape)):
        raise ValueError(f'{path} is truncated: its header says {shape} but it holds {data.size} bytes')
    return data.reshape(shape)


class MNIST(Dataset):
    """Handwritten digits: ``data`` uint8 (N, 1, 28, 28), ``label`` uint8 (N,); 60,000 train or 10,000 test.

    The default transform gives flat float32 vectors of 784 values in [0, 1]. Files are
    checked against their MD5 sums; ``train=False`` needs only the two t10k files.
    """

    def __init__(self, train: bool = True,
                 transform: Callable | None = Compose([Flatten(), ToFloat(), Normalize(0., 255.)]),
                 target_transform: Callable | None = None, root: str | os.PathLike | None = None) -> None:
        self.root = root
        super().__init__(train, transform, target_transform)

    def prepare(self) -> None:
        files = [(f, MNIST_URL + f, md5) for f, md5 in MNIST_FILES['train' if self.train else 'test']]
        image_path, label_path = _fetch('MNIST', files, self.root, MNIST_MIRRORS)
        images = _read_idx(image_path)
        labels = _read_idx(label_path)
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(f'MNIST: images of shape {images.shape} and labels of shape {labels.shape} '
                             'do not match')
        self.data = images.reshape(len(images), 1, images.shape[1], images.shape[2])
        self.label = labels

    def show(self, row: int = 10, col: int = 10) -> None:
        """Show ``row`` x ``col`` random digits with matplotlib."""
        import matplotlib.pyplot as plt
        H, W = self.data.shape[2:]
        img = np.zeros((H * row, W * col))
        for r in range(row):
            for c in range(col):
                img[r * H:(r + 1) * H, c * W:(c + 1) * W] = \
                    self.data[np.random.randint(0, len(self.data) - 1)].reshape(H, W)
        plt.imshow(img, cmap='gray', interpolation='nearest')
        plt.axis('off')
        plt.show()

    @staticmethod
    def labels() -> dict[int, str]:
        return {0: '0', 1: '1', 2: '2', 3: '3', 4: '4', 5: '5', 6: '6', 7: '7', 8: '8', 9: '9'}


# =============================================================================
# CIFAR-10 / CIFAR-100
# =============================================================================
def load_cache_npz(filename: str, train: bool = False, folder: str | os.PathLike | None = None
                   ) -> tuple[np.ndarray, np.ndarray] | tuple[None, None]:
    """(data, label) from the npz cache next to a downloaded archive, or (None, None).

    The file is read without pickle; one that cannot be read raises CheckpointError naming it.
    """
    folder = utils.get_cache_dir() if folder is None else folder
    filepath = _cache_file(filename, train, folder)
    if not os.path.exists(filepath):
        return None, None
    loaded = utils.read_npz(filepath, 'dataset cache file')
    if set(loaded) != {'data', 'label'}:
        raise utils.CheckpointError(f'the dataset cache file {filepath} holds {sorted(loaded)}, not data and '
                                    'label: delete it, and it will be rebuilt')
    return loaded['data'], loaded['label']


def _cache_file(filename, train, folder):
    name = filename[filename.rfind('/') + 1:]
    return os.path.join(folder, name + ('.train.npz' if train else '.test.npz'))


def save_cache_npz(data: np.ndarray, label: np.ndarray, filename: str, train: bool = False,
                   folder: str | os.PathLike | None = None) -> str | None:
    """Write (data, label) to ``<file name>.train.npz`` (or ``.test.npz``) in the folder, atomically."""
    folder = utils.get_cache_dir() if folder is None else folder
    filepath = _cache_file(filename, train, folder)
    if os.path.exists(filepath):
        return filepath
    print('Saving: ' + os.path.basename(filepath))
    try:
        with utils.atomic_write(filepath) as tmp:
            with open(tmp, 'wb') as f:
                np.savez_compressed(f, data=data, label=label)
    except OSError:          # a read-only folder: the cache is only a speed-up
        return None
    print(' Done')
    return filepath


class CIFAR10(Dataset):
    """32x32 colour images in 10 classes: ``data`` uint8 (N, 3, 32, 32) (train and test alike), ``label`` int64.

    Read from the binary distribution, whose records are a label byte and 3072 pixel bytes: the
    python distribution the original used is pickled, and unpickling a file can run any code.
    """
    url = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz'
    checksum = 'md5:c32a1d4ab5d03f1284b67883e8d87530'    # published on https://www.cs.toronto.edu/~kriz/cifar.html
    python_archive = 'cifar-10-python.tar.gz'             # the original's download: never read
    n_classes = (10,)                                     # the classes of each label byte of a record

    def __init__(self, train: bool = True,
                 transform: Callable | None = Compose([ToFloat(), Normalize(mean=0.5, std=0.5)]),
                 target_transform: Callable | None = None, root: str | os.PathLike | None = None) -> None:
        self.root = root
        super().__init__(train, transform, target_transform)

    def _cache_names(self):
        """The npz caches to look for, newest first: ours, then the one the original DeZero wrote."""
        return [self.url, self.url.replace('-binary.', '-python.')]

    def _folder_and_archive(self):
        name = self.url[self.url.rfind('/') + 1:]
        folder = utils.get_cache_dir() if self.root is None else os.path.abspath(os.fspath(self.root))
        return folder, name

    def prepare(self) -> None:
        folder, name = self._folder_and_archive()
        for cache in self._cache_names():
            data, label = load_cache_npz(cache, self.train, folder)
            if data is not None:
                # The original cached its training data as float64: keep one dtype for both splits.
                self.data, self.label = _checked_cache(data, label, _cache_file(cache, self.train, folder))
                return
        why = 'dezero reads only the binary version, because the python version is pickled'
        path, = _fetch(type(self).__name__, [(name, self.url, self.checksum)], self.root,
                       other_names=[(self.python_archive, why)])
        self.data, self.label = self._read(path)
        save_cache_npz(self.data, self.label, self._cache_names()[0], self.train, folder)

    def _members(self):
        return [f'data_batch_{i}.bin' for i in range(1, 6)] if self.train else ['test_batch.bin']

    def _read(self, path):
        """(data, label) of this split from the binary archive; its label bytes picked by ``_label_byte``."""
        records = _read_binary_records(path, self._members(), len(self.n_classes))
        data = records[:, len(self.n_classes):].reshape(-1, 3, 32, 32)
        i = self._label_byte()
        label = records[:, i].astype(np.int64)
        if label.size and label.max() >= self.n_classes[i]:
            raise ValueError(f'{path} is not a {type(self).__name__} archive: it has label '
                             f'{int(label.max())}, but there are only {self.n_classes[i]} classes')
        return np.ascontiguousarray(data), label

    def _label_byte(self):
        return 0

    def show(self, row: int = 10, col: int = 10) -> None:
        """Show ``row`` x ``col`` random images with matplotlib."""
        import matplotlib.pyplot as plt
        H, W = 32, 32
        img = np.zeros((H * row, W * col, 3))
        for r in range(row):
            for c in range(col):
                i = np.random.randint(0, len(self.data) - 1)
                img[r * H:(r + 1) * H, c * W:(c + 1) * W] = self.data[i].reshape(3, H, W).transpose(1, 2, 0) / 255
        plt.imshow(img, interpolation='nearest')
        plt.axis('off')
        plt.show()

    @staticmethod
    def labels() -> dict[int, str]:
        # 'ariplane' is the original's spelling, kept for compatibility.
        return {0: 'ariplane', 1: 'automobile', 2: 'bird', 3: 'cat', 4: 'deer', 5: 'dog', 6: 'frog',
                7: 'horse', 8: 'ship', 9: 'truck'}


def _read_binary_records(path, members, label_bytes):
    """The records of the named members of a CIFAR binary ``.tar.gz``, as a uint8 array (N, label_bytes + 3072).

    Members are found by their base name and read in memory; nothing is extracted to disk. An
    archive that cannot be read, lacks a member or has a member that is not whole records raises
    ValueError naming the archive.
    """
    record = label_bytes + 3 * 32 * 32
    chunks = []
    try:
        with tarfile.open(path, 'r:gz') as tar:
            by_name = {os.path.basename(m.name): m for m in tar.getmembers() if m.isfile()}
            for member in members:
                if member not in by_name:
                    raise ValueError(f'{path} is not the expected archive: it has no member {member} '
                                     f'(it has {", ".join(sorted(by_name)) or "no files"})')
                info = by_name[member]
                if info.size == 0 or info.size % record:
                    raise ValueError(f'{path}: {member} holds {info.size} bytes, not a whole number of '
                                     f'{record}-byte records (a label and 32x32x3 pixels)')
                raw = tar.extractfile(info).read()
                if len(raw) != info.size:
                    raise ValueError(f'{path} is truncated: {member} ends after {len(raw)} of {info.size} bytes')
                chunks.append(np.frombuffer(raw, dtype=np.uint8).reshape(-1, record))
    except (tarfile.TarError, EOFError, zlib.error, OSError) as e:
        if isinstance(e, FileNotFoundError):
            raise
        raise ValueError(f'cannot read {path}: it is truncated, corrupt or not a .tar.gz archive '
                         f'({type(e).__name__}: {e})') from e
    return np.concatenate(chunks)


def _checked_cache(data, label, path):
    """The cached (data, label) as uint8 (N, 3, 32, 32) and int64 (N,), after checking they are that."""
    if (data.ndim != 4 or data.shape[1:] != (3, 32, 32) or label.shape != (len(data),)
            or data.dtype.kind not in 'biuf' or label.dtype.kind not in 'biuf'):
        raise utils.CheckpointError(f'the dataset cache file {path} holds data {data.shape} {data.dtype} and '
                                    f'labels {label.shape} {label.dtype}, not CIFAR images (N, 3, 32, 32) '
                                    'and N labels: delete it, and it will be rebuilt')
    return data.astype(np.uint8, copy=False), label.astype(np.int64, copy=False)


CIFAR100_FINE = (
    'apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus butterfly '
    'camel can castle caterpillar cattle chair chimpanzee clock cloud cockroach couch crab crocodile cup '
    'dinosaur dolphin elephant flatfish forest fox girl hamster house kangaroo keyboard lamp lawn_mower '
    'leopard lion lizard lobster man maple_tree motorcycle mountain mouse mushroom oak_tree orange orchid '
    'otter palm_tree pear pickup_truck pine_tree plain plate poppy porcupine possum rabbit raccoon ray '
    'road rocket rose sea seal shark shrew skunk skyscraper snail snake spider squirrel streetcar '
    'sunflower sweet_pepper table tank telephone television tiger tractor train trout tulip turtle '
    'wardrobe whale willow_tree wolf woman worm').split()

CIFAR100_COARSE = (
    'aquatic mammals', 'fish', 'flowers', 'food containers', 'fruit and vegetables',
    'household electrical device', 'household furniture', 'insects', 'large carnivores',
    'large man-made outdoor things', 'large natural outdoor scenes', 'large omnivores and herbivores',
    'medium-sized mammals', 'non-insect invertebrates', 'people', 'reptiles', 'small mammals', 'trees',
    'vehicles 1', 'vehicles 2')


class CIFAR100(CIFAR10):
    """32x32 colour images in 100 fine classes (or 20 coarse ones with ``label_type='coarse'``).

    Read from the binary distribution, whose records are a coarse label byte, a fine label byte
    and 3072 pixel bytes.
    """
    url = 'https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz'
    checksum = 'md5:03b5dce01913d631647c71ecec9e9cb8'    # published on https://www.cs.toronto.edu/~kriz/cifar.html
    python_archive = 'cifar-100-python.tar.gz'
    n_classes = (20, 100)                                 # coarse, then fine

    def __init__(self, train: bool = True,
                 transform: Callable | None = Compose([ToFloat(), Normalize(mean=0.5, std=0.5)]),
                 target_transform: Callable | None = None, label_type: str = 'fine',
                 root: str | os.PathLike | None = None) -> None:
        if label_type not in ('fine', 'coarse'):
            raise ValueError(f"CIFAR100: label_type must be 'fine' or 'coarse', got {label_type!r}")
        self.label_type = label_type
        super().__init__(train, transform, target_transform, root)

    def _cache_names(self):
        return [name + '.' + self.label_type for name in super()._cache_names()]   # one per label type

    def _members(self):
        return ['train.bin' if self.train else 'test.bin']

    def _label_byte(self):
        return 1 if self.label_type == 'fine' else 0

    @staticmethod
    def labels(label_type: str = 'fine') -> dict[int, str]:
        names = CIFAR100_FINE if label_type == 'fine' else CIFAR100_COARSE
        return dict(enumerate(names))


# =============================================================================
# ImageNet (labels only), Shakespeare
# =============================================================================
class ImageNet(Dataset):
    """Only ``ImageNet.labels()``: the images cannot be downloaded."""
    url = ('https://gist.githubusercontent.com/yrevar/942d3a0ac09ec9e5eb3a/raw/'
           '238f720ff059c1f82f368259d1ca4ffa5dd8f9f5/imagenet1000_clsidx_to_labels.txt')

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise NotImplementedError('the ImageNet images are not available for download; '
                                  'only ImageNet.labels() is provided')

    @staticmethod
    def labels(root: str | os.PathLike | None = None) -> dict[int, str]:
        """{class index: label} for the 1000 ImageNet classes (the file is parsed, never executed).

        No checksum of the file is published, so a download is verified by its content instead:
        a dict of 1000 int indices to str labels.
        """
        name = ImageNet.url[ImageNet.url.rfind('/') + 1:]
        path, = _fetch('ImageNet.labels', [(name, ImageNet.url, None, _check_imagenet_labels)], root)
        return _read_labels(path)


def _read_labels(path):
    """The {int: str} dict written as a Python literal in the text file ``path``."""
    try:
        with open(path, encoding='utf-8') as f:
            labels = ast.literal_eval(f.read())
    except (SyntaxError, ValueError, UnicodeDecodeError) as e:
        raise ValueError(f'{path} does not hold a dict of labels: {type(e).__name__}: {e}') from None
    if not isinstance(labels, dict) or not all(isinstance(k, int) and isinstance(v, str)
                                               for k, v in labels.items()):
        raise ValueError(f'{path} does not hold a dict of int class indices to str labels')
    return labels


def _check_imagenet_labels(path):
    """Raise ValueError unless ``path`` holds the labels of the 1000 ImageNet classes, 0 to 999."""
    labels = _read_labels(path)
    if sorted(labels) != list(range(1000)):
        raise ValueError(f'{path} holds {len(labels)} labels, not the 1000 ImageNet classes')


class Shakespear(Dataset):
    """Tiny Shakespeare as character ids: data = ids[:-1], label = ids[1:] (next-character prediction).

    Ids follow the order of first appearance; ``char_to_id`` and ``id_to_char`` map both ways.
    The class keeps the original's spelling; ``Shakespeare`` is the same class. The download
    (1,115,394 bytes) is verified by its SHA-256, in the cache too; a text of your own can be
    given as ``shakespear.txt`` in ``root=``.
    """
    url = 'https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt'
    checksum = 'sha256:86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed'
    file_name = 'shakespear.txt'

    def __init__(self, train: bool = True, transform: Callable | None = None, target_transform: Callable | None = None,
                 root: str | os.PathLike | None = None) -> None:
        self.root = root
        super().__init__(train, transform, target_transform)

    def prepare(self) -> None:
        path, = _fetch(type(self).__name__, [(self.file_name, self.url, self.checksum)], self.root)
        try:
            with open(path, 'r', encoding='utf-8') as f:
                data = f.read()
        except UnicodeDecodeError as e:
            raise ValueError(f'{path} is not UTF-8 text: {e}') from None
        if len(data) < 2:
            raise ValueError(f'{path} holds {len(data)} characters: a text needs at least 2 to make one '
                             'example (a character and the next)')
        chars = list(data)

        char_to_id = {}
        id_to_char = {}
        for word in data:
            if word not in char_to_id:
                new_id = len(char_to_id)
                char_to_id[word] = new_id
                id_to_char[new_id] = word

        indices = np.array([char_to_id[c] for c in chars])
        self.data = indices[:-1]
        self.label = indices[1:]
        self.char_to_id = char_to_id
        self.id_to_char = id_to_char


Shakespeare = Shakespear
