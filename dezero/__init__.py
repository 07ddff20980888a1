"""dezero: a define-by-run deep-learning framework in Python and NumPy (CuPy on GPUs).

Compatible with DeZero, the framework built in *Deep Learning from Scratch 3*
(밑바닥부터 시작하는 딥러닝 3). Importing it needs NumPy only.
"""
__version__ = '0.1.0'

# The book switches to the minimal core for steps 23-32 with this flag. Here the
# full core is always used and the minimal one is importable as dezero.core_simple.
is_simple_core = False

from dezero.core import (Variable, Parameter, Function, using_config, no_grad,  # noqa: E402,F401
                         test_mode, as_array, as_variable, setup_variable, Config, grad)
from dezero import arrays, engine, core, cuda, functions, functions_conv, utils, functional  # noqa: E402,F401
from dezero.layers import Layer  # noqa: E402,F401
from dezero.models import Model  # noqa: E402,F401
from dezero.datasets import Dataset  # noqa: E402,F401
from dezero.dataloaders import DataLoader, SeqDataLoader  # noqa: E402,F401
from dezero import (layers, models, optimizers, datasets, dataloaders, transforms,  # noqa: E402,F401
                    initializers, serialization, onnx)
from dezero.serialization import save_model, load_model, register_model  # noqa: E402,F401

setup_variable()
