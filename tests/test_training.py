"""End-to-end training: the book's spiral run (step 50, its printed numbers) and MNIST on the real
test split (train on 8,000 images, evaluate on the other 2,000): an MLP and a small CNN."""
import os

import numpy as np
import pytest

import dezero
import dezero.functions as F
import dezero.layers as L
from dezero import DataLoader, datasets, optimizers
from dezero.models import MLP, Model
from dezero.transforms import Compose, Flatten, Normalize, ToFloat

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_MNIST = os.path.join(ROOT, '..', 'shared', 'data', 'mnist')
needs_shared_mnist = pytest.mark.skipif(
    not os.path.exists(os.path.join(SHARED_MNIST, 't10k-images-idx3-ubyte.gz')),
    reason=f'the MNIST test split is not in {os.path.normpath(SHARED_MNIST)} (CI provides it)')


def _epoch(model, loader, optimizer=None):
    """Mean loss and accuracy over one pass; trains when an optimizer is given."""
    sum_loss = sum_acc = n = 0
    for x, t in loader:
        if optimizer is None:
            with dezero.no_grad(), dezero.test_mode():
                y = model(x)
                loss = F.softmax_cross_entropy(y, t)
        else:
            y = model(x)
            loss = F.softmax_cross_entropy(y, t)
            model.cleargrads()
            loss.backward()
            optimizer.update()
        sum_loss += float(loss.data) * len(t)
        sum_acc += float(F.accuracy(y, t).data) * len(t)
        n += len(t)
    return sum_loss / n, sum_acc / n


def test_book_step50_spiral_run():
    """MLP((10, 3)), SGD lr 1.0, batch 30, 300 epochs; the book prints these numbers."""
    train_set, test_set = datasets.Spiral(train=True), datasets.Spiral(train=False)
    train_loader = DataLoader(train_set, 30)
    test_loader = DataLoader(test_set, 30, shuffle=False)
    model = MLP((10, 3))
    optimizer = optimizers.SGD(1.0).setup(model)
    printed = []
    for epoch in range(300):
        train = _epoch(model, train_loader, optimizer)
        test = _epoch(model, test_loader)
        if epoch in (0, 299):
            printed.append('train loss: {:.4f}, accuracy: {:.4f}'.format(*train))
            printed.append('test loss: {:.4f}, accuracy: {:.4f}'.format(*test))
    assert printed == ['train loss: 1.0944, accuracy: 0.4033', 'test loss: 1.0468, accuracy: 0.3267',
                       'train loss: 0.1082, accuracy: 0.9667', 'test loss: 0.1458, accuracy: 0.9600']
    assert test[1] >= 0.9
    assert all(p.dtype == np.float32 for p in model.params())


def _mnist_split(transform):
    """The real test split: the first 8,000 images to train on, the last 2,000 to evaluate."""
    train = datasets.MNIST(train=False, root=SHARED_MNIST, transform=transform)
    test = datasets.MNIST(train=False, root=SHARED_MNIST, transform=transform)
    train.data, train.label = train.data[:8000], train.label[:8000]
    test.data, test.label = test.data[8000:], test.label[8000:]
    return DataLoader(train, 100), DataLoader(test, 500, shuffle=False)


@pytest.mark.slow
@needs_shared_mnist
def test_mnist_mlp_reaches_90_percent():
    np.random.seed(0)
    train_loader, test_loader = _mnist_split(Compose([Flatten(), ToFloat(), Normalize(0., 255.)]))
    model = MLP((100, 10), activation=F.relu)
    optimizer = optimizers.Adam().setup(model)
    optimizer.add_hook(optimizers.WeightDecay(1e-4))
    for _ in range(5):
        _epoch(model, train_loader, optimizer)
    loss, acc = _epoch(model, test_loader)
    print(f'MNIST MLP: test accuracy {acc:.4f}, loss {loss:.4f}')
    assert acc >= 0.90


class SmallCNN(Model):
    def __init__(self):
        super().__init__()
        self.conv1 = L.Conv2d(8, 3, pad=1)
        self.conv2 = L.Conv2d(16, 3, pad=1)
        self.fc = L.Linear(10)

    def forward(self, x):
        x = F.pooling(F.relu(self.conv1(x)), 2, 2)
        x = F.pooling(F.relu(self.conv2(x)), 2, 2)
        return self.fc(F.reshape(x, (x.shape[0], -1)))


@pytest.mark.slow
@needs_shared_mnist
@pytest.mark.skipif(not (hasattr(F, 'conv2d') and hasattr(F, 'pooling')), reason='needs F.conv2d and F.pooling')
def test_mnist_small_cnn_reaches_95_percent():
    np.random.seed(0)
    train_loader, test_loader = _mnist_split(Compose([ToFloat(), Normalize(0., 255.)]))
    model = SmallCNN()
    optimizer = optimizers.Adam(alpha=0.003).setup(model)
    for _ in range(4):
        _epoch(model, train_loader, optimizer)
    loss, acc = _epoch(model, test_loader)
    print(f'MNIST CNN: test accuracy {acc:.4f}, loss {loss:.4f}')
    assert acc >= 0.95
    assert model.conv1.W.dtype == np.float32
