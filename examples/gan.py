"""A DCGAN on MNIST (book 3's examples/gan.py): a generator learns to draw digits by fooling a discriminator.

The generator turns 62 random numbers into a 28x28 image: Linear(1024) - BN - ReLU -
Linear(128*7*7) - BN - ReLU - 4x4 deconvolution to 64x14x14 - BN - ReLU - 4x4 deconvolution to
1x28x28 - sigmoid. The discriminator gives the probability that an image is real: 4x4
convolutions with stride 2 to 64x14x14 and 128x7x7 (BN), Linear(1024) (BN), Linear(1) -
sigmoid, with leaky ReLU between. Both are ``Sequential`` models mixing layers and functions;
every weight is redrawn from N(0, 0.02^2) after a first forward pass has shaped them.

Each iteration trains the discriminator on a real batch (label 1) and a generated one
(label 0, detached from the generator with ``.data``), then the generator through the
discriminator's verdict on its images with label 1. Binary cross entropy, Adam with lr 2e-4
and beta1 0.5 for both, mini-batches of 128 (the last, incomplete one is skipped), 5 epochs.
--quick trains 10 iterations on mini-batches of 64 (a smoke test: the digits take hundreds).

Writes a grid of generated digits (the same noise every time), the losses, and in
``metrics.json`` how far the generated images' mean is from the real images' mean.
Without the full MNIST training set (see --root) it trains on the first 8,000 test images.

    python examples/gan.py --out out/gan
"""
import os
import sys
import time

if __package__ in (None, ''):   # run as a script: import `examples` and `dezero` from this checkout
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir)))
from examples import common  # noqa: E402
from examples.classic.common.mnist import add_root_option, load_mnist  # noqa: E402

import numpy as np  # noqa: E402

import dezero  # noqa: E402
import dezero.functions as F  # noqa: E402
import dezero.layers as L  # noqa: E402
from dezero import optimizers  # noqa: E402
from dezero.models import Sequential  # noqa: E402

LATENT = 62


def make_generator():
    return Sequential(
        L.Linear(1024), L.BatchNorm(), F.relu,
        L.Linear(128 * 7 * 7), L.BatchNorm(), F.relu,
        lambda x: F.reshape(x, (-1, 128, 7, 7)),
        L.Deconv2d(64, kernel_size=4, stride=2, pad=1), L.BatchNorm(), F.relu,
        L.Deconv2d(1, kernel_size=4, stride=2, pad=1), F.sigmoid)


def make_discriminator():
    return Sequential(
        L.Conv2d(64, kernel_size=4, stride=2, pad=1), F.leaky_relu,
        L.Conv2d(128, kernel_size=4, stride=2, pad=1), L.BatchNorm(), F.leaky_relu,
        F.flatten,
        L.Linear(1024), L.BatchNorm(), F.leaky_relu,
        L.Linear(1), F.sigmoid)


def init_weights(gen, dis, batch_size):
    """Shape the lazy weights with one forward pass, then redraw every W from N(0, 0.02^2)."""
    with dezero.test_mode(), dezero.no_grad():
        dis(gen(np.random.randn(batch_size, LATENT).astype(np.float32)))
    for model in (gen, dis):
        for layer in model.layers:
            if isinstance(layer, (L.Linear, L.Conv2d)):          # Deconv2d is a Conv2d
                W = layer.W.data
                W[...] = np.random.randn(*W.shape).astype(W.dtype) * W.dtype.type(0.02)


def sample_grid(gen, z, rows=5, cols=5):
    with dezero.test_mode(), dezero.no_grad():
        images = gen(z).data
    H, W = images.shape[-2:]
    return images[:rows * cols].reshape(rows, cols, H, W).transpose(0, 2, 1, 3).reshape(rows * H, cols * W)


def main(argv=None):
    parser = common.make_parser(__doc__, 'gan', needs=('matplotlib',))
    add_root_option(parser)
    parser.add_argument('--epochs', type=int, default=5, help='epochs (default 5)')
    parser.add_argument('--batch-size', type=int, default=None, help='mini-batch size (default 128, 64 with --quick)')
    args = common.parse(parser, argv)
    batch_size = args.batch_size or (64 if args.quick else 128)

    (x_train, _), _, source = load_mnist(args.root, flatten=False, quick=args.quick)
    gen, dis = make_generator(), make_discriminator()
    init_weights(gen, dis, batch_size)
    opt_g = optimizers.Adam(alpha=0.0002, beta1=0.5).setup(gen)
    opt_d = optimizers.Adam(alpha=0.0002, beta1=0.5).setup(dis)
    z_fixed = np.random.randn(25, LATENT).astype(np.float32)
    real_mean = x_train.mean(axis=0)
    grids = [('before training', sample_grid(gen, z_fixed))]

    def distance_to_real_mean():
        with dezero.test_mode(), dezero.no_grad():
            fake = gen(np.random.randn(500, LATENT).astype(np.float32)).data
        return float(np.abs(fake.mean(axis=0) - real_mean).mean())

    initial_distance = distance_to_real_mean()
    iters_per_epoch = len(x_train) // batch_size
    total_iters = 10 if args.quick else iters_per_epoch * args.epochs
    ones = np.ones((batch_size, 1), dtype=np.int32)
    zeros = np.zeros((batch_size, 1), dtype=np.int32)
    loss_g_history, loss_d_history, d_real, d_fake = [], [], [], []

    start = time.perf_counter()
    it = 0
    for epoch in range(args.epochs):
        order = np.random.permutation(len(x_train))
        for i in common.progress(range(min(iters_per_epoch, total_iters - it)), desc=f'epoch {epoch + 1}'):
            x = x_train[order[i * batch_size:(i + 1) * batch_size]]
            z = np.random.randn(batch_size, LATENT).astype(np.float32)

            # discriminator: real images are 1, generated ones 0 (the generator is not trained here)
            fake = gen(z)
            y_real, y_fake = dis(x), dis(fake.data)
            loss_d = F.binary_cross_entropy(y_real, ones) + F.binary_cross_entropy(y_fake, zeros)
            dis.cleargrads()
            loss_d.backward()
            opt_d.update()

            # generator: make the discriminator answer 1 for its images
            y_fake = dis(fake)
            loss_g = F.binary_cross_entropy(y_fake, ones)
            gen.cleargrads()
            loss_g.backward()
            opt_g.update()

            it += 1
            loss_g_history.append(float(loss_g.data))
            loss_d_history.append(float(loss_d.data))
            d_real.append(float(y_real.data.mean()))
            d_fake.append(float(y_fake.data.mean()))
            if it % 100 == 0 or it == total_iters:
                common.log(f'epoch {it / iters_per_epoch:.2f} | loss_g {np.mean(loss_g_history[-100:]):.4f} '
                           f'| loss_d {np.mean(loss_d_history[-100:]):.4f} | {time.perf_counter() - start:.0f} s')
        grids.append((f'after {it} iterations', sample_grid(gen, z_fixed)))
        if it >= total_iters:
            break
    seconds = time.perf_counter() - start
    final_distance = distance_to_real_mean()

    fig, axes = common.new_figure(1, 2, figsize=(7, 3.6))
    for ax, (title, grid) in zip(axes, (grids[0], grids[-1])):
        ax.imshow(grid, cmap='gray', vmin=0, vmax=1)
        ax.set_title(title, fontsize=9)
        ax.axis('off')
    figures = [common.save_figure(fig, args.out, 'gan_samples.png'),
               common.plot_curves(args.out, 'gan_loss.png', {'generator': loss_g_history,
                                                             'discriminator': loss_d_history},
                                  'iteration', 'binary cross entropy', window=20, title='DCGAN losses')]
    metrics = {'data': source, 'iterations': it, 'batch_size': batch_size,
               'loss_g_last_10': float(np.mean(loss_g_history[-10:])),
               'loss_d_last_10': float(np.mean(loss_d_history[-10:])),
               'D_real_last_10': float(np.mean(d_real[-10:])), 'D_fake_last_10': float(np.mean(d_fake[-10:])),
               'mean_image_distance_initial': initial_distance, 'mean_image_distance_final': final_distance,
               'train_seconds': round(seconds, 1)}
    summary = (f'gan: {it} iterations in {seconds:.0f} s; loss_g {metrics["loss_g_last_10"]:.3f}, loss_d '
               f'{metrics["loss_d_last_10"]:.3f}; mean |generated mean image - real mean image| '
               f'{initial_distance:.3f} -> {final_distance:.3f}')
    return common.finish(args, metrics, summary, figures)


if __name__ == '__main__':
    main()
