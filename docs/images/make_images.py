"""Draw the images of the documentation with dezero, Graphviz and (for step 34) matplotlib.

    python docs/images/make_images.py            # rewrites the PNGs beside this file
    python docs/images/make_images.py --out DIR  # or writes them into DIR

The graphs of the pages are built here; the images of the steps guide (steps/) are the files that
the book's steps 27, 34, 35, 42, 43, 48, 59 and 60 write when run.

Node ids in DOT text are Python ids, so each run gives the same pictures but not the same bytes.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
sys.path.insert(0, ROOT)

from dezero import Variable  # noqa: E402
from dezero.utils import plot_dot_graph  # noqa: E402


def first_graph():
    """Getting started: y = x^4 - 2x^2, with shapes and dtypes (verbose)."""
    x = Variable(np.array(2.0), name='x')
    y = x ** 4 - 2 * x ** 2
    y.name = 'y'
    return y, True


def goldstein_graph():
    """The book's step 26: the Goldstein-Price function."""
    x = Variable(np.array(1.0), name='x')
    y = Variable(np.array(1.0), name='y')
    z = (1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x ** 2 - 14 * y + 6 * x * y + 3 * y ** 2)) * \
        (30 + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x ** 2 + 48 * y - 36 * x * y + 27 * y ** 2))
    z.name = 'z'
    return z, False


def generations_graph():
    """Concepts: a diamond y = a^2 + a^3 with a = x^2; each variable is labelled with its generation."""
    x = Variable(np.array(2.0))
    a = x ** 2
    b, c = a ** 2, a ** 3
    y = b + c
    for name, v in (('x', x), ('a', a), ('b', b), ('c', c), ('y', y)):
        v.name = f'{name}  (generation {v.generation})'
    return y, False


def newton_graph():
    """Concepts and the README: the graph of f'(x) for f(x) = x^4 - 2x^2, built by create_graph=True."""
    x = Variable(np.array(2.0), name='x')
    y = x ** 4 - 2 * x ** 2
    y.backward(create_graph=True)
    gx = x.grad
    gx.name = "f'(x)"
    return gx, False


GRAPHS = {
    'first_graph.png': first_graph,
    'goldstein.png': goldstein_graph,
    'generations.png': generations_graph,
    'newton_graph.png': newton_graph,
}


STEP_IMAGES = {'step27.py': 'my_sin.png', 'step34.py': 'step34.png', 'step35.py': 'tanh.png',
               'step42.py': 'step42.png', 'step43.py': 'step43.png', 'step48.py': 'step48.png',
               'step59.py': 'step59.png', 'step60.py': 'step60.png'}


def main(out):
    for file_name, build in GRAPHS.items():
        output, verbose = build()
        path = os.path.join(out, file_name)
        plot_dot_graph(output, verbose=verbose, to_file=path)
        print('wrote', path)
    os.makedirs(os.path.join(out, 'steps'), exist_ok=True)
    env = dict(os.environ, MPLBACKEND='Agg')
    for step, file_name in STEP_IMAGES.items():
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([sys.executable, os.path.join(ROOT, 'steps', step)], cwd=tmp, env=env,
                           check=True, stdout=subprocess.DEVNULL)
            path = os.path.join(out, 'steps', file_name)
            shutil.copyfile(os.path.join(tmp, file_name), path)
        print('wrote', path)


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default=os.path.dirname(os.path.abspath(__file__)))
    main(parser.parse_args().out)
