"""Mini-batch iterators over a Dataset: ``DataLoader`` and ``SeqDataLoader`` (for truncated BPTT)."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from dezero import cuda
from dezero._checks import positive_int

if TYPE_CHECKING:
    from dezero.datasets import Dataset


class DataLoader:
    """Yield ``(x, t)`` batches of ``batch_size`` examples stacked into arrays.

    ``len(loader)`` is the number of batches per epoch; the last one is smaller
    unless ``drop_last``. Every ``for`` loop (every ``iter()``) starts a new epoch,
    reshuffled when ``shuffle``, even if the previous loop stopped early. With
    ``gpu`` (or after ``to_gpu()``) the batches are CuPy arrays.
    """

    def __init__(self, dataset: Dataset, batch_size: int, shuffle: bool = True, gpu: bool = False,
                 drop_last: bool = False) -> None:
        name = type(self).__name__
        batch_size = positive_int(name, 'batch_size', batch_size)
        if not (hasattr(dataset, '__len__') and hasattr(dataset, '__getitem__')):
            raise TypeError(f'{name}: dataset must support len() and indexing (a dezero Dataset, '
                            f'a list, an array), got {type(dataset).__name__}')
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.data_size = len(dataset)
        if drop_last:
            self.max_iter = self.data_size // batch_size
        else:
            self.max_iter = math.ceil(self.data_size / batch_size)
        self.gpu = gpu

        self.reset()

    def reset(self) -> None:
        self.iteration = 0
        if self.shuffle:
            self.index = np.random.permutation(len(self.dataset))
        else:
            self.index = np.arange(len(self.dataset))

    def __len__(self) -> int:
        return self.max_iter

    def __iter__(self):
        # A finished epoch has already reset (and reshuffled) in __next__, so the
        # random draws happen exactly when the original drew them; only an epoch
        # abandoned part-way is reset here (the original carried on with it).
        if self.iteration > 0:
            self.reset()
        return self

    def __next__(self) -> tuple[np.ndarray, np.ndarray]:
        if self.iteration >= self.max_iter:
            self.reset()
            raise StopIteration

        i, batch_size = self.iteration, self.batch_size
        batch_index = self.index[i * batch_size:(i + 1) * batch_size]
        batch = [self.dataset[int(j)] for j in batch_index]
        self.iteration += 1
        return self._stack(batch)

    def _stack(self, batch):
        x = np.array([example[0] for example in batch])
        labels = [example[1] for example in batch]
        t = None if all(label is None for label in labels) else np.array(labels)
        if self.gpu:
            x = cuda.as_cupy(x)
            t = None if t is None else cuda.as_cupy(t)
        return x, t

    def next(self) -> tuple[np.ndarray, np.ndarray]:
        return self.__next__()

    def to_cpu(self) -> None:
        self.gpu = False

    def to_gpu(self) -> None:
        self.gpu = True


class SeqDataLoader(DataLoader):
    """``batch_size`` parallel streams through an ordered dataset, for truncated backprop through time.

    Stream i starts at ``i * (N // batch_size)``; each batch advances every stream by one
    example. An epoch has ``ceil(N / batch_size)`` batches, as in the original (so the
    book's step 60 trains exactly as printed). A BPTT loop that back-propagates every
    ``bptt_length`` batches should also do so after the last one, e.g. with the
    condition ``count % bptt_length == 0 or count == len(dataloader)``.

    ``batch_size`` may not exceed the number of examples: with more streams than examples
    every stream would start at example 0, and all of them would be the same.
    """

    def __init__(self, dataset: Dataset, batch_size: int, gpu: bool = False) -> None:
        super().__init__(dataset=dataset, batch_size=batch_size, shuffle=False, gpu=gpu)
        if self.batch_size > self.data_size:
            raise ValueError(f'SeqDataLoader: batch_size {self.batch_size} is larger than the dataset '
                             f'({self.data_size} examples): the {self.batch_size} streams would all start '
                             'at example 0 and be identical. Use batch_size <= len(dataset).')

    def __next__(self) -> tuple[np.ndarray, np.ndarray]:
        if self.iteration >= self.max_iter:
            self.reset()
            raise StopIteration

        jump = self.data_size // self.batch_size
        batch_index = [(i * jump + self.iteration) % self.data_size for i in range(self.batch_size)]
        batch = [self.dataset[i] for i in batch_index]
        self.iteration += 1
        return self._stack(batch)
