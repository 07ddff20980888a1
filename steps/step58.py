"""Step 58: A representative CNN, VGG16 (대표적인 CNN(VGG16)).

``models.VGG16`` is the 16-layer network that took second place in ILSVRC 2014: thirteen 3×3
convolutions with ReLU in five blocks separated by 2×2 max pooling, then three fully connected layers, the
first two with dropout. ``VGG16(pretrained=True)`` loads the weights trained on ImageNet (138 million
parameters, 528 MB), ``VGG16.preprocess`` turns a PIL image into the network's input (224×224, BGR, the
ImageNet mean subtracted), and inference runs inside ``dezero.test_mode()`` so that dropout is off. The
stage classifies a photo of a zebra and draws the network's graph with ``model.plot``.

The image, the weights and the ImageNet labels are downloaded into ``~/.dezero`` (or ``$DEZERO_HOME``) on
the first run; without the network the stage says in one line what to download and where
(``book_data.py``). ``DEZERO_STEPS_SMALL=1`` (or ``--small``) runs VGG16 with random weights on a random
32×32 image instead, as a quick check that needs no download; its prediction means nothing.

Prints ``zebra`` (the top class), then writes the graph of the network as ``vgg.pdf`` (needs Graphviz;
without it, one line saying how to install it). The book prints the label after drawing the graph.
"""
if '__file__' in globals():
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))

import numpy as np
try:
    from PIL import Image
except ImportError:     # one line instead of a traceback
    raise SystemExit('step 58 reads the photo with Pillow, which is not installed: pip install pillow')

import dezero
from dezero.models import VGG16
from dezero.utils import GraphvizNotFoundError

from book_data import fetch, is_jpeg, small    # the download folder (steps/book_data.py)


url = 'https://github.com/oreilly-japan/deep-learning-from-scratch-3/raw/images/zebra.jpg'
if small():
    print('(small run: VGG16 with random weights on a random 32x32 image)')
    img = Image.fromarray(np.random.randint(0, 256, size=(32, 32, 3), dtype=np.uint8))
    x = VGG16.preprocess(img, size=(32, 32))
    model = VGG16()
    labels = {i: 'class {}'.format(i) for i in range(1000)}
else:
    img_path, _, _ = fetch('the zebra photo, the VGG16 weights (528 MB) and the ImageNet labels',
                           [('zebra.jpg', url, is_jpeg),
                            ('vgg16.npz', VGG16.WEIGHTS_PATH, None),
                            ('imagenet1000_clsidx_to_labels.txt', dezero.datasets.ImageNet.url, None)])
    img = Image.open(img_path)
    x = VGG16.preprocess(img)
    model = VGG16(pretrained=True)
    labels = dezero.datasets.ImageNet.labels()
x = x[np.newaxis]

with dezero.test_mode():
    y = model(x)
predict_id = np.argmax(y.data)
print(labels[predict_id])

try:
    model.plot(x, to_file='vgg.pdf')
except GraphvizNotFoundError as e:
    print(e)
