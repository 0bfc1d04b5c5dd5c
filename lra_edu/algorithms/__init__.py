"""Learning algorithms, each behind :class:`~lra_edu.algorithms.base.Algorithm`.

Use :func:`make_algorithm` to build one by its SPEC.md name with validated
hyperparameters; :data:`ALGORITHMS` lists what is available.
"""

from __future__ import annotations

from typing import Any

from lra_edu.algorithms.base import Algorithm, Step
from lra_edu.algorithms.bp import BP

ALGORITHMS: dict[str, type[Algorithm]] = {cls.name: cls for cls in [BP]}


def make_algorithm(name: str, **hyperparameters: Any) -> Algorithm:
    """Build the algorithm called ``name`` with the given hyperparameters.

    Raises ``ValueError`` naming the valid choices for an unknown algorithm or a
    hyperparameter the algorithm does not take.
    """
    key = name.strip().lower() if isinstance(name, str) else name
    if key not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {name!r}; valid algorithms: {', '.join(ALGORITHMS)}")
    cls = ALGORITHMS[key]
    accepted = cls.hyperparameters()
    unknown = sorted(set(hyperparameters) - set(accepted))
    if unknown:
        takes = ", ".join(accepted) if accepted else "no hyperparameters"
        raise ValueError(f"{key} does not take {', '.join(unknown)}; it takes: {takes}")
    return cls(**hyperparameters)


__all__ = ["ALGORITHMS", "BP", "Algorithm", "Step", "make_algorithm"]
