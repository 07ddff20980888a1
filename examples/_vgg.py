"""VGG16 weights and images for grad_cam.py and style_transfer.py.

The pretrained weights are the original DeZero's ``vgg16.npz`` (528 MB), which
``dezero.models.VGG16(pretrained=True)`` downloads into the download folder (``~/.dezero`` or
``$DEZERO_HOME``) with ``dezero.utils.get_file``. The examples use that file when it is
there, download it with ``--download``, and otherwise run with random weights and say so.
Offline, ``grad_cam.py`` trains a small CNN on MNIST instead, and ``style_transfer.py`` scales
the random features so that they still carry texture.
"""
import os

import numpy as np

from dezero import utils
from dezero.models import VGG16, load_pretrained

MEAN_BGR = np.array([103.939, 116.779, 123.68], dtype=np.float32)


def add_options(parser):
    default = os.path.join(utils.get_cache_dir(), os.path.basename(VGG16.WEIGHTS_PATH))
    parser.add_argument('--weights', default=default,
                        help=f'pretrained VGG16 weights (.npz; default {default})')
    parser.add_argument('--download', action='store_true',
                        help='download the pretrained weights (528 MB) if --weights is missing')
    return parser


def load_weights(model, args, without='so the result shows nothing meaningful'):
    """Load the pretrained weights into ``model`` if possible; True if loaded, False for random ones.

    ``without`` ends the line printed when the weights are missing: what the random weights mean.
    """
    path = args.weights
    if not os.path.exists(path) and args.download:
        path = load_pretrained(model, VGG16.WEIGHTS_PATH)      # downloaded with progress, format-checked
        print(f'pretrained VGG16 weights: {path}')
        return True
    if os.path.exists(path):
        model.load_weights(path)           # all or nothing; a damaged file is an error naming it
        print(f'pretrained VGG16 weights: {path}')
        return True
    print(f'pretrained VGG16 weights not found at {path} (--download fetches them, 528 MB): '
          f'using RANDOM weights, {without}')
    return False


def load_image(spec, seed=0):
    """(PIL RGB image, description): a path, an http(s) URL (downloaded once, cached),
    'random' (uniform noise, 224x224), or None for matplotlib's sample photo (random if missing)."""
    from PIL import Image
    if spec is None:
        try:
            from matplotlib import cbook
            path = cbook.get_sample_data('grace_hopper.jpg', asfileobj=False)
        except (ImportError, OSError, ValueError):
            path = None
        if path is None or not os.path.exists(path):
            print("matplotlib's sample photo grace_hopper.jpg is not installed: using a random image")
            spec = 'random'
        else:
            return Image.open(path).convert('RGB'), 'grace_hopper.jpg (matplotlib sample)'
    if spec == 'random':
        pixels = np.random.RandomState(seed).randint(0, 256, size=(224, 224, 3), dtype=np.uint8)
        return Image.fromarray(pixels), 'a random image'
    if spec.startswith(('http://', 'https://')):
        path = utils.get_file(spec)
    else:
        path = spec
    return Image.open(path).convert('RGB'), os.path.basename(path)


def preprocess(image, size):
    """A PIL image as VGG16's input batch (1, 3, size, size): BGR, mean-subtracted, float32."""
    return VGG16.preprocess(image, size=(size, size))[np.newaxis]


def deprocess(x):
    """The inverse of ``preprocess`` for one image (3, H, W): an RGB uint8 array (H, W, 3)."""
    image = x.transpose(1, 2, 0) + MEAN_BGR
    return np.clip(image[:, :, ::-1], 0, 255).astype(np.uint8)
