"""Packaging for dezero. The version is written here, not imported from the package."""
from setuptools import setup, find_packages

VERSION = '0.1.0'
# ale-py's wheels (3 MB, NumPy only) need Python 3.10; on 3.9 the Atari example's test is skipped
ALE_PY = 'ale-py>=0.9; python_version >= "3.10"'

extras = {
    'gpu': ['cupy-cuda12x'],
    'gpu-cuda12x': ['cupy-cuda12x'],
    'gpu-cuda13x': ['cupy-cuda13x'],
    'viz': ['graphviz'],
    'images': ['pillow'],
    'examples': ['matplotlib', 'pillow', 'gymnasium', 'tqdm'],
    # the RL examples: gymnasium's CartPole and Pendulum, and Atari games (ale-py ships the ROMs)
    'rl': ['matplotlib', 'gymnasium>=1.0', ALE_PY],
    'test': ['pytest>=7', 'hypothesis', 'matplotlib', 'pillow', 'gymnasium', ALE_PY],
    'distributed': ['mpi4py'],
    'docs': ['mkdocs>=1.6,<2', 'mkdocs-material>=9.5', 'mkdocstrings[python]>=0.26',
             'mkdocs-autorefs>=1.3', 'mkdocs-static-i18n>=1.2'],
}
# 'all' leaves out the GPU builds and mpi4py, which need CUDA or an MPI library on the machine.
extras['all'] = sorted({p for name, pkgs in extras.items()
                        if not name.startswith('gpu') and name != 'distributed' for p in pkgs})

with open('README.md', encoding='utf-8') as f:
    long_description = f.read()

setup(
    name='dezero',
    version=VERSION,
    description='A define-by-run deep-learning framework in Python and NumPy, compatible with DeZero',
    long_description=long_description,
    long_description_content_type='text/markdown',
    license='MIT',
    packages=find_packages(include=['dezero', 'dezero.*']),
    python_requires='>=3.9',
    install_requires=['numpy>=1.24'],
    extras_require=extras,
    classifiers=[
        'License :: OSI Approved :: MIT License',
        'Programming Language :: Python :: 3',
        'Topic :: Scientific/Engineering :: Artificial Intelligence',
    ],
)
