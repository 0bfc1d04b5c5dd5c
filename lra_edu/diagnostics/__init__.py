"""Measurements the book's chapters show: the library measures, :mod:`lra_edu.plots` draws.

Every helper here returns numbers (floats, lists, dictionaries or arrays) and draws
nothing; one module per quantity:

* :mod:`~lra_edu.diagnostics.alignment` — angles and cosines between updates (per layer,
  to backprop) and between forward weights and feedback or error weights;
* :mod:`~lra_edu.diagnostics.target_search` — LRA's inner target search: the local loss
  along its steps and the direction of its displacement;
* :mod:`~lra_edu.diagnostics.discrepancy` — the internal discrepancy of a training run;
* :mod:`~lra_edu.diagnostics.units` — how many different hidden units a network has;
* :mod:`~lra_edu.diagnostics.energy` — equilibrium propagation's energy and relaxation;
* :mod:`~lra_edu.diagnostics.estimators` — exact moments of a stochastic gradient estimator;
* :mod:`~lra_edu.diagnostics.sequences` — recurrent nets: learning curve, memoryless baseline;
* :mod:`~lra_edu.diagnostics.filters` — filters of a linearized network and their roughness;
* :mod:`~lra_edu.diagnostics.embedding` — t-SNE embeddings and class separation.
"""

from lra_edu.diagnostics.alignment import (
    AlignmentLog,
    error_weight_angles,
    feedback_angles,
    layer_angles,
    layer_cosines,
    layer_update_norms,
)
from lra_edu.diagnostics.discrepancy import add_internal_discrepancy, internal_discrepancy
from lra_edu.diagnostics.embedding import class_separation, tsne_embedding
from lra_edu.diagnostics.energy import ep_energy, relaxation_trace
from lra_edu.diagnostics.estimators import estimator_moments
from lra_edu.diagnostics.filters import filter_roughness, linearized_filters
from lra_edu.diagnostics.sequences import accuracy_by_context, memoryless_accuracy, train_rnn_curve
from lra_edu.diagnostics.target_search import displacement_angles, subgraph_loss, walk_losses
from lra_edu.diagnostics.units import distinct_units, output_ranks

__all__ = [
    "AlignmentLog",
    "accuracy_by_context",
    "add_internal_discrepancy",
    "class_separation",
    "displacement_angles",
    "distinct_units",
    "ep_energy",
    "error_weight_angles",
    "estimator_moments",
    "feedback_angles",
    "filter_roughness",
    "internal_discrepancy",
    "layer_angles",
    "layer_cosines",
    "layer_update_norms",
    "linearized_filters",
    "memoryless_accuracy",
    "output_ranks",
    "relaxation_trace",
    "subgraph_loss",
    "train_rnn_curve",
    "tsne_embedding",
    "walk_losses",
]
