"""MNIST as plain arrays for the examples, with a fallback to the test split alone.

``load_mnist(root)`` returns ``(x_train, t_train), (x_test, t_test), source``: images as
float32 in [0, 1] (flat (N, 784) vectors, or (N, 1, 28, 28) with ``flatten=False``) and
labels as int64. It reads the files with ``dezero.datasets.MNIST``: from ``root`` when given
(nothing is downloaded), else from the download folder (``~/.dezero`` or ``$DEZERO_HOME``),
downloading them once (``examples.common.fetch_mnist``: without the test split, the example
ends with one line saying what to download and where to put it).

When the training files are missing it says so and uses what is there: the official test
split, cut into its first 8,000 images for training and its last 2,000 for evaluation (the
offline copy that CI has holds only the test split). Those last
2,000 digits are among the easier half of the test set, so the accuracies come out a little
higher than on the real test set. ``source`` says which data was used: ``'train/test'``
or ``'test split 8000/2000'``.
"""

import numpy as np

from examples import common

SPLIT_TRAIN = 8000      # test-split images used for training when the training set is absent


def add_root_option(parser):
    """Add ``--root``: the folder holding the MNIST .gz files."""
    parser.add_argument('--root', default=None,
                        help='folder that holds the MNIST .gz files (default: the download folder, '
                             '~/.dezero, downloading them once); with only the test files there, '
                             'its first 8,000 images train and the last 2,000 evaluate')
    return parser


def _arrays(dataset, flatten):
    x = dataset.data.astype(np.float32) / np.float32(255)
    if flatten:
        x = x.reshape(len(x), -1)
    return x, dataset.label.astype(np.int64)


def load_mnist(root=None, flatten=True, quick=False, n_train=None, n_test=None, verbose=True):
    """((x_train, t_train), (x_test, t_test), source); at most ``n_train`` / ``n_test`` images of each.

    ``quick`` (the examples' --quick) caps them at 8,000 / 2,000, so that a quick run takes the
    same time whether the full training set is there or not.
    """
    if quick:
        n_train = min(n_train or SPLIT_TRAIN, SPLIT_TRAIN)
        n_test = min(n_test or 10000 - SPLIT_TRAIN, 10000 - SPLIT_TRAIN)
    folder, found = common.fetch_mnist(root, ('test',), optional=('train',))
    test = common.read_mnist(folder, train=False, transform=None)
    if 'train' not in found:
        note = (f'The MNIST training set is not in {folder}: using the test split instead, its first '
                f'{SPLIT_TRAIN:,} images to train and the last {10000 - SPLIT_TRAIN:,} to evaluate')
        x, t = _arrays(test, flatten)
        (x_train, t_train), (x_test, t_test) = (x[:SPLIT_TRAIN], t[:SPLIT_TRAIN]), (x[SPLIT_TRAIN:], t[SPLIT_TRAIN:])
        source = 'test split 8000/2000'
    else:
        train = common.read_mnist(folder, train=True, transform=None)
        (x_train, t_train), (x_test, t_test) = _arrays(train, flatten), _arrays(test, flatten)
        note = f'MNIST: {len(x_train):,} training and {len(x_test):,} test images'
        source = 'train/test'
    if n_train is not None:
        x_train, t_train = x_train[:n_train], t_train[:n_train]
    if n_test is not None:
        x_test, t_test = x_test[:n_test], t_test[:n_test]
    if verbose:
        print(note)
    return (x_train, t_train), (x_test, t_test), source
