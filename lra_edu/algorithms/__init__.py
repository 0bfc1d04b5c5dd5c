"""Learning algorithms, each behind :class:`~lra_edu.algorithms.base.Algorithm`.

Use :func:`make_algorithm` to build one by its name (``bp``, ``lra_diff``, ``lra_e``, ...) with validated
hyperparameters; :data:`ALGORITHMS` lists what is available.
"""

from __future__ import annotations

from typing import Any

from lra_edu.algorithms.base import Algorithm, Step, check_int
from lra_edu.algorithms.bp import BP
from lra_edu.algorithms.dtp import DTP, DTPSigma
from lra_edu.algorithms.equil_prop import EquilProp
from lra_edu.algorithms.fa import DFA, FA
from lra_edu.algorithms.lra import LRADiff, LRAFdbk
from lra_edu.algorithms.lra_e import LRAE
from lra_edu.algorithms.stochastic import Reinforce, ReinforceBaseline, STAnneal, STPass, STSigmoid

_CLASSES: list[type[Algorithm]] = [BP, LRADiff, LRAFdbk, LRAE, FA, DFA, DTP, DTPSigma, EquilProp]
_CLASSES += [STPass, STSigmoid, STAnneal, Reinforce, ReinforceBaseline]
ALGORITHMS: dict[str, type[Algorithm]] = {cls.name: cls for cls in _CLASSES}


def make_algorithm(name: str, **hyperparameters: Any) -> Algorithm:
    """Build the algorithm called ``name`` with the given hyperparameters.

    Every algorithm also accepts ``samples``: the posterior draws averaged when it
    evaluates a network of stochastic units. Raises ``ValueError`` naming the valid
    choices for an unknown algorithm or a hyperparameter the algorithm does not take.
    """
    key = name.strip().lower() if isinstance(name, str) else name
    if key not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {name!r}; valid algorithms: {', '.join(ALGORITHMS)}")
    cls = ALGORITHMS[key]
    accepted = cls.hyperparameters()
    samples = None if "samples" in accepted else hyperparameters.pop("samples", None)
    unknown = sorted(set(hyperparameters) - set(accepted))
    if unknown:
        takes = ", ".join(accepted) if accepted else "no hyperparameters"
        raise ValueError(f"{key} does not take {', '.join(unknown)}; it takes: {takes} (and samples)")
    algorithm = cls(**hyperparameters)
    if samples is not None:
        algorithm.samples = check_int("samples", samples)
    return algorithm


__all__ = ["ALGORITHMS", "BP", "Algorithm", "Step", "make_algorithm"]
