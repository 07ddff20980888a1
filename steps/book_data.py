"""The downloaded files of steps 51-53 (MNIST) and 58 (VGG16's weights, an image, the ImageNet labels).

Not a stage of the book: a helper those stages import, so that each of them stays as short as the book's.

* Files live in the download folder of ``dezero.utils.get_file``: ``~/.dezero``, or ``$DEZERO_HOME``
  when that is set. A file already there is used without the network, once it has passed its check
  (a checksum, or for files without one, a check of the format).
* A missing or corrupt file is downloaded there, as the book's stages do, with a progress line
  (size, speed, ETA; tqdm's bar when tqdm is installed). When that fails (no network, a firewall),
  the stage prints one line saying what to download, from where and into which folder, and exits
  with status 1: no traceback, and a stalled connection gives up after ``TIMEOUT`` seconds.
* ``DEZERO_STEPS_SMALL=1`` in the environment, or ``--small`` on the command line
  (``python steps/step51.py --small``), makes a stage run small, as a quick smoke test: steps 51-53 use
  only MNIST's test split (its first 1,000 images for training, the next 500 for testing), step 58
  uses random weights on a random image, steps 59 and 60 train for fewer epochs.

데이터를 내려받는 단계(51~53의 MNIST, 58의 VGG16 가중치·이미지·레이블)가 사용하는 도우미 모듈입니다.
파일은 ``~/.dezero``(또는 ``DEZERO_HOME`` 환경 변수가 가리키는 폴더)에 있으면 그대로 쓰고, 없으면 그
폴더로 내려받습니다. 내려받을 수 없으면 무엇을 어디서 받아 어느 폴더에 두어야 하는지 한 줄로 알려 주고
종료합니다. ``DEZERO_STEPS_SMALL=1`` 또는 ``--small``을 주면 작은 규모로 빠르게 실행합니다.
"""
import contextlib
import io
import os
import sys

from dezero import utils
from dezero.datasets import MNIST, MNIST_FILES, MNIST_MIRRORS, MNIST_URL

TIMEOUT = 60            # seconds without data before a download gives up
SMALL_TRAIN, SMALL_TEST = 1000, 500


def small():
    """True when the stage should run small: ``DEZERO_STEPS_SMALL`` set (not 0) or ``--small`` given."""
    flag = os.environ.get('DEZERO_STEPS_SMALL', '')
    return flag not in ('', '0') or '--small' in sys.argv[1:]


def fetch(what, files):
    """The paths of ``files`` ([(file_name, url, check)]) in the download folder, fetched if missing or corrupt.

    ``check`` is a checksum ('md5:...' or 'sha256:...'), a function that raises ValueError for a bad
    file (for files without a published checksum), or None (the reader checks the file). ``what``
    names them in the messages ('MNIST', 'the VGG16 weights (528 MB)'). Downloads show their progress
    on stderr. If a download fails, prints one line and exits with status 1.
    """
    folder = utils.get_cache_dir()
    paths, fetched = [], False
    for name, url, check in files:
        fetched = fetched or not os.path.exists(os.path.join(folder, name))
        mirrors = MNIST_MIRRORS if url.startswith(MNIST_URL) else ()
        checksum, verify = (None, check) if callable(check) else (check, None)
        try:
            with contextlib.redirect_stdout(io.StringIO()):   # get_file's messages; its progress is on stderr
                paths.append(utils.get_file(url, name, checksum=checksum, mirrors=mirrors, verify=verify,
                                            timeout=TIMEOUT))
        except (utils.DownloadError, OSError) as e:
            missing = [f for f in files if f[0] == name or not os.path.exists(os.path.join(folder, f[0]))]
            corrupt = getattr(e, 'cached_error', None)
            reason = _reason(e) if corrupt is None else f'{name} there is corrupt ({corrupt}); {_reason(e)}'
            print(f'Downloading {what} into {folder} failed ({reason}). Download {_sources(missing)} into '
                  f'{folder} (or set DEZERO_HOME to a folder that holds them), then run this step again.')
            sys.exit(1)
    if fetched:
        print(f'Downloaded {what} into {folder}.')
    return paths


def is_jpeg(path):
    """Raise ValueError unless ``path`` is a JPEG image that PIL can decode (no checksum is published)."""
    with open(path, 'rb') as f:
        if f.read(3) != b'\xff\xd8\xff':
            raise ValueError(f'{path} is not a JPEG image')
    from PIL import Image
    try:
        with Image.open(path) as image:
            image.load()
    except Exception as e:           # PIL raises OSError, SyntaxError, ... for a damaged image
        raise ValueError(f'{path} is a damaged JPEG image ({type(e).__name__}: {e})') from None


def _sources(files):
    """'a, b and c from https://host/dir/' when the URLs share their folder, else the URLs themselves."""
    bases = {url[:len(url) - len(name)] for name, url, _ in files if url.endswith('/' + name)}
    if len(bases) == 1 and all(url.endswith('/' + name) for name, url, _ in files):
        names = [name for name, _, _ in files]
        listed = names[0] if len(names) == 1 else ', '.join(names[:-1]) + ' and ' + names[-1]
        return f'{listed} from {bases.pop()}'
    urls = [url for _, url, _ in files]
    return urls[0] if len(urls) == 1 else ', '.join(urls[:-1]) + ' and ' + urls[-1]


def _reason(error):
    """The first URL's error out of get_file's DownloadError, or the error itself."""
    if getattr(error, 'errors', None):
        return str(error.errors[0][1])
    lines = str(error).splitlines()
    if len(lines) > 1 and ': ' in lines[1]:
        return lines[1].strip().split(': ', 1)[1]
    return str(error) or type(error).__name__


def mnist(train=True):
    """``dezero.datasets.MNIST(train=train)`` from the download folder; when ``small()``, a part of the
    test split."""
    split = 'test' if small() else ('train' if train else 'test')
    splits = ('test',) if small() else ('train', 'test')     # all the files the stage needs, at once
    files = [(name, MNIST_URL + name, md5) for s in splits for name, md5 in MNIST_FILES[s]]
    folder = os.path.dirname(fetch('MNIST', files)[0])
    try:
        # root= reads the files found or fetched above and never touches the network.
        dataset = MNIST(train=(split == 'train'), root=folder)
    except (OSError, ValueError) as e:
        print(f'MNIST: cannot read the files in {folder} ({e}); delete them and run this step again.')
        sys.exit(1)
    if small():
        part = slice(0, SMALL_TRAIN) if train else slice(SMALL_TRAIN, SMALL_TRAIN + SMALL_TEST)
        dataset.data, dataset.label = dataset.data[part], dataset.label[part]
        if train:
            print(f'(small run: {len(dataset)} training and {SMALL_TEST} test images '
                  'from the MNIST test split)')
    return dataset
