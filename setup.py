"""Packaging for dezero. The version is read from dezero/__init__.py (its one place), without importing
the package, which would need NumPy before it is installed."""
import os
import re

from setuptools import setup, find_packages

HERE = os.path.dirname(os.path.abspath(__file__))


def read_version():
    """The ``__version__ = '...'`` string of dezero/__init__.py."""
    with open(os.path.join(HERE, 'dezero', '__init__.py'), encoding='utf-8') as f:
        match = re.search(r"^__version__ = ['\"]([^'\"]+)['\"]", f.read(), re.M)
    if match is None:
        raise RuntimeError('dezero/__init__.py has no __version__ line')
    return match.group(1)


VERSION = read_version()
# ale-py's wheels (3 MB, NumPy only) need Python 3.10; on 3.9 the Atari example's test is skipped
ALE_PY = 'ale-py>=0.9; python_version >= "3.10"'

extras = {
    'gpu': ['cupy-cuda12x'],
    'gpu-cuda12x': ['cupy-cuda12x'],
    'gpu-cuda13x': ['cupy-cuda13x'],
    'images': ['pillow'],
    'examples': ['matplotlib', 'pillow', 'gymnasium>=1.0', 'tqdm', ALE_PY],
    # the RL examples: gymnasium's CartPole and Pendulum, and Atari games (ale-py ships the ROMs)
    'rl': ['matplotlib', 'gymnasium>=1.0', ALE_PY],
    # tqdm and IPython: the progress-bar and notebook-display tests run in CI instead of skipping
    'test': ['pytest>=7', 'hypothesis', 'matplotlib', 'pillow', 'gymnasium>=1.0', ALE_PY, 'tqdm', 'ipython'],
    'distributed': ['mpi4py'],
    # dezero.onnx.export, and ONNX Runtime to run the files (the tests compare it with dezero)
    'onnx': ['onnx>=1.13', 'onnxruntime>=1.14'],
    'docs': ['mkdocs>=1.6,<2', 'mkdocs-material>=9.5', 'mkdocstrings[python]>=0.26',
             'mkdocs-autorefs>=1.3', 'mkdocs-static-i18n>=1.2', 'ruff'],   # ruff wraps long signatures
}
# 'all' leaves out the GPU builds and mpi4py, which need CUDA or an MPI library on the machine.
extras['all'] = sorted({p for name, pkgs in extras.items()
                        if not name.startswith('gpu') and name != 'distributed' for p in pkgs})

with open(os.path.join(HERE, 'README.md'), encoding='utf-8') as f:
    long_description = f.read()

setup(
    name='dezero',
    version=VERSION,
    description='A define-by-run deep-learning framework in Python and NumPy, compatible with DeZero',
    long_description=long_description,
    long_description_content_type='text/markdown',
    license='MIT',
    packages=find_packages(include=['dezero', 'dezero.*']),
    package_data={'dezero': ['py.typed']},      # the annotations are part of the API (PEP 561)
    python_requires='>=3.9',
    install_requires=['numpy>=1.24'],
    extras_require=extras,
    classifiers=[
        'License :: OSI Approved :: MIT License',
        'Programming Language :: Python :: 3',
        'Topic :: Scientific/Engineering :: Artificial Intelligence',
    ],
)
