"""lra_edu: Local Representation Alignment and its relatives, small and readable.

The array backend (NumPy or CuPy) is chosen in :mod:`lra_edu.backend`. Build a
network with :class:`MLP`, an algorithm with :func:`make_algorithm`, data with
:func:`load_dataset`, and train with :func:`train`.
"""

from lra_edu.activations import get_unit
from lra_edu.algorithms import ALGORITHMS, Algorithm, Step, make_algorithm
from lra_edu.backend import RNG, get_backend, set_backend, to_numpy
from lra_edu.datasets import Dataset, load_dataset
from lra_edu.lemma import lemma1_check, lemma1_targets
from lra_edu.losses import get_loss
from lra_edu.metrics import angle, cosine, evaluate, one_hot
from lra_edu.mlp import MLP
from lra_edu.normalize import normalize
from lra_edu.optimizers import get_optimizer
from lra_edu.train import History, train

__version__ = "0.1.0"

__all__ = [
    "ALGORITHMS",
    "MLP",
    "RNG",
    "Algorithm",
    "Dataset",
    "History",
    "Step",
    "angle",
    "cosine",
    "evaluate",
    "get_backend",
    "get_loss",
    "get_optimizer",
    "get_unit",
    "lemma1_check",
    "lemma1_targets",
    "load_dataset",
    "make_algorithm",
    "normalize",
    "one_hot",
    "set_backend",
    "to_numpy",
    "train",
]
