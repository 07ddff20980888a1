"""A variational autoencoder on MNIST (book 3's examples/vae.py), with a 2-D latent space.

The encoder (3x3 convolutions with 32, 64, 64, 64 channels, the second with stride 2, then
Linear(32)) gives the mean mu and the log-variance log sigma^2 of q(z|x); z is drawn as
z = mu + sigma * eps with eps ~ N(0, I) (the reparameterisation trick, so gradients reach
mu and sigma); the decoder (Linear(64*14*14), a 4x4 deconvolution back to 28x28, a 3x3
convolution and a sigmoid) gives the pixel probabilities. The loss per image is the binary
cross entropy of the reconstruction plus KL(q(z|x) || N(0, I)) =
0.5 sum(mu^2 + sigma^2 - log sigma^2 - 1). Adam, mini-batches of 16, 10 epochs.

Fixes the original's bug: it drew z with exp(log sigma^2) as the standard deviation, that is
sigma^2 rather than sigma = exp(0.5 log sigma^2). ``metrics.json`` records the spread of
samples drawn with log sigma^2 = log 4, which must be 2.

Writes the decoded 15x15 grid over the latent space (at the normal quantiles 0.05 ... 0.95,
as the original), test digits with their reconstructions, and the test set's codes coloured
by digit. --quick trains 60 mini-batches and tests on 500 images. Without the full MNIST training set (see --root)
it trains on the first 8,000 test images and evaluates on the last 2,000.

    python examples/vae.py --out out/vae
"""
import math
import os
import sys
import time
from statistics import NormalDist

if __package__ in (None, ''):   # run as a script: import `examples` and `dezero` from this checkout
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir)))
from examples import common  # noqa: E402
from examples.classic.common.mnist import add_root_option, load_mnist  # noqa: E402

import numpy as np  # noqa: E402

import dezero  # noqa: E402
import dezero.functions as F  # noqa: E402
import dezero.layers as L  # noqa: E402
from dezero import optimizers  # noqa: E402
from dezero.models import Model  # noqa: E402

LATENT = 2


class Encoder(Model):
    def __init__(self, latent_size=LATENT):
        super().__init__()
        self.conv1 = L.Conv2d(32, kernel_size=3, stride=1, pad=1)
        self.conv2 = L.Conv2d(64, kernel_size=3, stride=2, pad=1)
        self.conv3 = L.Conv2d(64, kernel_size=3, stride=1, pad=1)
        self.conv4 = L.Conv2d(64, kernel_size=3, stride=1, pad=1)
        self.linear1 = L.Linear(32)
        self.linear2 = L.Linear(latent_size)     # mu
        self.linear3 = L.Linear(latent_size)     # log sigma^2

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.relu(self.conv3(x))
        x = F.relu(self.conv4(x))
        x = F.relu(self.linear1(F.flatten(x)))
        return self.linear2(x), self.linear3(x)


class Decoder(Model):
    def __init__(self):
        super().__init__()
        self.linear = L.Linear(64 * 14 * 14)
        self.deconv = L.Deconv2d(32, kernel_size=4, stride=2, pad=1)
        self.conv = L.Conv2d(1, kernel_size=3, stride=1, pad=1)

    def forward(self, z):
        x = F.relu(self.linear(z))
        x = F.reshape(x, (-1, 64, 14, 14))
        x = F.relu(self.deconv(x))
        return F.sigmoid(self.conv(x))


def reparameterize(mu, log_var):
    """z = mu + sigma * eps, eps ~ N(0, I), with sigma = exp(0.5 * log_var) (the original used exp(log_var))."""
    eps = np.random.randn(*mu.shape).astype(mu.dtype)
    return mu + F.exp(0.5 * log_var) * eps


class VAE(Model):
    def __init__(self, latent_size=LATENT):
        super().__init__()
        self.encoder = Encoder(latent_size)
        self.decoder = Decoder()

    def forward(self, x, C=1.0, k=1):
        """The loss averaged over the batch: reconstruction cross entropy (mean of k samples) + C * KL."""
        mu, log_var = self.encoder(x)
        rec_loss = 0
        for _ in range(k):
            y = self.decoder(reparameterize(mu, log_var))
            rec_loss += F.binary_cross_entropy(F.flatten(y), F.flatten(x)) / k
        kl_loss = C * F.sum(0.5 * (mu ** 2 + F.exp(log_var) - log_var - 1)) / len(x)
        return rec_loss + kl_loss


def test_loss(model, x, batch_size=200):
    """The loss on ``x`` (one sample of z per image), without building graphs."""
    total = 0.0
    with dezero.no_grad():
        for i in range(0, len(x), batch_size):
            total += float(model(x[i:i + batch_size]).data) * len(x[i:i + batch_size])
    return total / len(x)


def tile(images, rows, cols):
    """(rows * cols, 1, H, W) images as one (rows * H, cols * W) array."""
    H, W = images.shape[-2:]
    return images.reshape(rows, cols, H, W).transpose(0, 2, 1, 3).reshape(rows * H, cols * W)


def plot_manifold(decoder, out, n=15):
    quantiles = [NormalDist().inv_cdf(p) for p in np.linspace(0.05, 0.95, n)]
    z = np.array([[zx, zy] for zy in quantiles[::-1] for zx in quantiles], dtype=np.float32)
    with dezero.no_grad():
        images = decoder(z).data
    fig, ax = common.new_figure(figsize=(5.5, 5.5))
    ax.imshow(tile(images, n, n), cmap='gray', extent=(quantiles[0], quantiles[-1], quantiles[0], quantiles[-1]))
    ax.set(xlabel='z[0]', ylabel='z[1]', title='decoded latent grid (normal quantiles 0.05-0.95)')
    return common.save_figure(fig, out, 'vae_manifold.png', dpi=90)


def plot_reconstructions(model, x, out, n=10):
    with dezero.no_grad():
        mu, _ = model.encoder(x[:n])
        y = model.decoder(mu).data
    fig, ax = common.new_figure(figsize=(7, 1.6))
    ax.imshow(tile(np.concatenate([x[:n], y]), 2, n), cmap='gray')
    ax.set_title('test digits (top) and their reconstructions from z = mu (bottom)', fontsize=9)
    ax.axis('off')
    return common.save_figure(fig, out, 'vae_reconstructions.png')


def plot_codes(model, x, t, out):
    with dezero.no_grad():
        mu = np.concatenate([model.encoder(x[i:i + 500])[0].data for i in range(0, len(x), 500)])
    fig, ax = common.new_figure(figsize=(5.5, 4.6))
    sc = ax.scatter(mu[:, 0], mu[:, 1], c=t, cmap='tab10', s=4, vmin=-0.5, vmax=9.5)
    fig.colorbar(sc, ax=ax, ticks=range(10), label='digit')
    ax.set(xlabel='mu[0]', ylabel='mu[1]', title='test images in the latent space')
    return common.save_figure(fig, out, 'vae_latent.png')


def sampling_spread(log_var=math.log(4.0), n=100_000):
    """Standard deviation of z drawn by ``reparameterize`` with mu = 0 and the given log-variance."""
    mu = dezero.Variable(np.zeros((n, 1), dtype=np.float32))
    with dezero.no_grad():
        z = reparameterize(mu, dezero.Variable(np.full((n, 1), log_var, dtype=np.float32)))
    return float(z.data.std())


def main(argv=None):
    parser = common.make_parser(__doc__, 'vae', needs=('matplotlib',))
    add_root_option(parser)
    parser.add_argument('--epochs', type=int, default=10, help='epochs (default 10)')
    parser.add_argument('--batch-size', type=int, default=16, help='mini-batch size (default 16)')
    args = common.parse(parser, argv)
    max_iters = 60 if args.quick else None

    (x_train, _), (x_test, t_test), source = load_mnist(args.root, flatten=False, quick=args.quick,
                                                        n_test=500 if args.quick else None)
    model = VAE()
    optimizer = optimizers.Adam().setup(model)
    spread = sampling_spread()
    print(f'z drawn with log sigma^2 = log 4 spreads with std {spread:.3f} (sigma = 2)')

    initial_test_loss = test_loss(model, x_test)
    losses, epoch_test_losses = [], []
    iters_per_epoch = len(x_train) // args.batch_size
    epochs = 1 if args.quick else args.epochs
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        order = np.random.permutation(len(x_train))
        n_iters = iters_per_epoch if max_iters is None else min(max_iters, iters_per_epoch)
        for i in common.progress(range(n_iters), desc=f'epoch {epoch}'):
            x = x_train[order[i * args.batch_size:(i + 1) * args.batch_size]]
            loss = model(x)
            model.cleargrads()
            loss.backward()
            optimizer.update()
            losses.append(float(loss.data))
        epoch_test_losses.append(test_loss(model, x_test))
        print(f'epoch {epoch} | train loss {np.mean(losses[-n_iters:]):.2f} | test loss {epoch_test_losses[-1]:.2f} '
              f'| {time.perf_counter() - start:.0f} s')
    seconds = time.perf_counter() - start

    figures = [common.plot_curves(args.out, 'vae_loss.png', {'loss per image': losses}, 'iteration',
                                  'cross entropy + KL', window=50, title='VAE training loss'),
               plot_manifold(model.decoder, args.out),
               plot_reconstructions(model, x_test, args.out),
               plot_codes(model, x_test, t_test, args.out)]
    first = float(np.mean(losses[:10]))
    last = float(np.mean(losses[-10:]))
    metrics = {'data': source, 'iterations': len(losses), 'batch_size': args.batch_size,
               'loss_first_10': first, 'loss_last_10': last, 'initial_test_loss': initial_test_loss,
               'test_loss': epoch_test_losses[-1],
               'test_loss_per_epoch': epoch_test_losses, 'sampling_std_for_variance_4': spread,
               'train_seconds': round(seconds, 1)}
    summary = (f'vae: test loss per image {initial_test_loss:.1f} -> {epoch_test_losses[-1]:.1f} after '
               f'{len(losses)} iterations ({source}, {seconds:.0f} s)')
    return common.finish(args, metrics, summary, figures)


if __name__ == '__main__':
    main()
