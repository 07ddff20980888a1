"""DataLoader and SeqDataLoader: batches, epochs, the original's order of random draws, bug #28 and #29."""
import math

import numpy as np
import pytest

import dezero
from dezero import DataLoader, SeqDataLoader, datasets


class Numbers(dezero.Dataset):
    def __init__(self, n, **kwargs):
        self.n = n
        super().__init__(**kwargs)

    def prepare(self):
        self.data = np.arange(self.n, dtype=np.float32).reshape(-1, 1) * np.ones((1, 2), dtype=np.float32)
        self.label = np.arange(self.n)


def _epoch(loader):
    return [(x.copy(), t.copy()) for x, t in loader]


def test_batches_cover_the_dataset_once_per_epoch():
    loader = DataLoader(Numbers(10), batch_size=3)
    assert len(loader) == 4
    batches = _epoch(loader)
    assert [len(t) for _, t in batches] == [3, 3, 3, 1]
    labels = np.concatenate([t for _, t in batches])
    assert sorted(labels.tolist()) == list(range(10))
    for x, t in batches:
        assert x.shape == (len(t), 2) and x.dtype == np.float32
        np.testing.assert_array_equal(x[:, 0], t)


def test_drop_last():
    loader = DataLoader(Numbers(10), batch_size=3, shuffle=False, drop_last=True)
    assert len(loader) == 3
    assert [t.tolist() for _, t in loader] == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]


def test_unshuffled_order_and_every_epoch_is_complete():
    loader = DataLoader(Numbers(5), batch_size=2, shuffle=False)
    for _ in range(3):
        assert [t.tolist() for _, t in loader] == [[0, 1], [2, 3], [4]]


def test_random_draws_happen_when_the_original_made_them():
    """One permutation at construction and one at the end of each epoch, as in the original."""
    np.random.seed(0)
    perms = [np.random.permutation(7) for _ in range(3)]
    np.random.seed(0)
    loader = DataLoader(Numbers(7), batch_size=7)
    for perm in perms[:2]:
        (x, t), = list(loader)
        np.testing.assert_array_equal(t, perm)
    np.testing.assert_array_equal(loader.index, perms[2])


def test_an_abandoned_epoch_does_not_leak_into_the_next_loop():
    """Bug #28: breaking out of a loop used to make the next loop continue the old epoch."""
    loader = DataLoader(Numbers(10), batch_size=3, shuffle=False)
    for _ in loader:
        break
    assert len(list(loader)) == 4
    shuffled = DataLoader(Numbers(10), batch_size=3)
    for _ in shuffled:
        break
    labels = np.concatenate([t for _, t in shuffled])
    assert sorted(labels.tolist()) == list(range(10))


def test_next_and_stop_iteration():
    loader = DataLoader(Numbers(3), batch_size=2, shuffle=False)
    assert loader.next()[1].tolist() == [0, 1]
    assert next(loader)[1].tolist() == [2]
    with pytest.raises(StopIteration):
        next(loader)
    assert next(loader)[1].tolist() == [0, 1]     # a new epoch


def test_unlabelled_dataset_gives_none_labels():
    class Unlabelled(dezero.Dataset):
        def prepare(self):
            self.data = np.ones((4, 2))

    (x, t), = list(DataLoader(Unlabelled(), batch_size=4))
    assert x.shape == (4, 2) and t is None


def test_gpu_flag_and_bad_batch_size():
    loader = DataLoader(Numbers(3), batch_size=2)
    loader.to_gpu()
    assert loader.gpu
    loader.to_cpu()
    assert not loader.gpu
    x, t = loader.next()
    assert isinstance(x, np.ndarray)
    with pytest.raises(ValueError, match='batch_size'):
        DataLoader(Numbers(3), batch_size=0)


def test_transforms_are_applied_per_example():
    ds = Numbers(4, transform=lambda x: x * 2, target_transform=lambda t: t + 100)
    x, t = DataLoader(ds, batch_size=4, shuffle=False).next()
    np.testing.assert_array_equal(x[:, 0], [0, 2, 4, 6])
    np.testing.assert_array_equal(t, [100, 101, 102, 103])


def test_seq_data_loader_streams_as_the_original():
    ds = Numbers(10)
    loader = SeqDataLoader(ds, batch_size=3)
    assert len(loader) == math.ceil(10 / 3)
    batches = [t.tolist() for _, t in loader]
    jump = 10 // 3
    assert batches == [[(i * jump + k) % 10 for i in range(3)] for k in range(4)]
    assert [t.tolist() for _, t in loader] == batches       # never shuffled


def test_bptt_loop_with_len_flushes_the_last_segment():
    """Bug #29: step 60's `count == seqlen` never fires; `count == len(dataloader)` does."""
    loader = SeqDataLoader(datasets.SinCurve(), batch_size=30)
    assert len(loader) == 34
    bptt_length, count, flushed = 30, 0, []
    for x, t in loader:
        assert x.shape == (30, 1) and t.shape == (30, 1)
        count += 1
        if count % bptt_length == 0 or count == len(loader):
            flushed.append(count)
    assert flushed == [30, 34]
