"""Book 1's fully connected networks written with dezero, and their evaluation.

``MultiLayerNet`` is the book's ``MultiLayerNet``/``MultiLayerNetExtend``: Linear layers with
ReLU (or sigmoid) between them, optionally batch normalisation before each activation and
dropout after it. Its ``loss`` adds the book's L2 weight decay, 0.5 * lambda * sum(W^2) over
the weights (not the biases).
"""
import numpy as np

import dezero
import dezero.functions as F
import dezero.layers as L
from dezero.models import Model

ACTIVATIONS = {'relu': F.relu, 'sigmoid': F.sigmoid}


def std_init(std):
    """A Linear ``init=`` drawing N(0, std^2), like the book's ``weight_init_std`` given as a number."""
    def init(shape, fan_in, fan_out):
        return np.random.randn(*shape) * std
    return init


class MultiLayerNet(Model):
    """Linear layers of ``hidden_sizes`` then ``output_size``; the last returns raw scores.

    ``weight_init``: 'he' (std sqrt(2/n), for ReLU), 'xavier' (std sqrt(1/n), for sigmoid),
    'normal' (std 0.01), or a number: the std itself.
    """

    def __init__(self, hidden_sizes, output_size=10, activation='relu', weight_init='he',
                 use_batchnorm=False, dropout_ratio=0.0, weight_decay=0.0):
        super().__init__()
        init = std_init(weight_init) if isinstance(weight_init, (int, float)) else weight_init
        self.activation = ACTIVATIONS[activation]
        self.dropout_ratio = dropout_ratio
        self.weight_decay = weight_decay
        self.linears, self.norms = [], []
        for i, size in enumerate(list(hidden_sizes) + [output_size]):
            layer = L.Linear(size, init=init)
            setattr(self, f'l{i}', layer)
            self.linears.append(layer)
            if use_batchnorm and i < len(hidden_sizes):
                norm = L.BatchNorm()
                setattr(self, f'bn{i}', norm)
                self.norms.append(norm)

    def forward(self, x):
        for i, layer in enumerate(self.linears[:-1]):
            x = layer(x)
            if self.norms:
                x = self.norms[i](x)
            x = self.activation(x)
            if self.dropout_ratio:
                x = F.dropout(x, self.dropout_ratio)
        return self.linears[-1](x)

    def loss(self, x, t):
        """Softmax cross entropy, plus 0.5 * weight_decay * sum(W^2) when weight_decay is set."""
        loss = F.softmax_cross_entropy(self(x), t)
        if self.weight_decay:
            loss += 0.5 * self.weight_decay * sum(F.sum(layer.W * layer.W) for layer in self.linears)
        return loss


def evaluate(model, x, t, batch_size=2000):
    """(mean cross entropy, accuracy) of ``model`` on (x, t), in test mode and without graphs."""
    sum_loss = sum_acc = 0.0
    with dezero.no_grad(), dezero.test_mode():
        for i in range(0, len(x), batch_size):
            y = model(x[i:i + batch_size])
            n = len(y)
            sum_loss += float(F.softmax_cross_entropy(y, t[i:i + batch_size]).data) * n
            sum_acc += float(F.accuracy(y, t[i:i + batch_size]).data) * n
    return sum_loss / len(x), sum_acc / len(x)


def train_step(model, optimizer, x, t):
    """One update on the batch (x, t); returns the loss as a float."""
    loss = model.loss(x, t)
    model.cleargrads()
    loss.backward()
    optimizer.update()
    return float(loss.data)
