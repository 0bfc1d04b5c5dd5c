"""LRA's internal discrepancy: the sum of the hidden layers' local losses, per epoch.

The training loop records ``discrepancy`` (all local losses, the output NLL included) and
``loss`` (the output NLL) for LRA-style algorithms; their difference is the part the
hidden layers contribute, which [LRA19] plots as the network's internal discrepancy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def internal_discrepancy(records: Iterable[Mapping[str, Any]]) -> tuple[list[int], list[float]]:
    """``(epochs, discrepancy - loss)`` of the per-epoch records that have both values.

    ``records`` is a :class:`lra_edu.train.History`'s ``records`` or a stored result's
    ``curves``; the epoch-0 record (before training) has no discrepancy and is skipped.
    """
    pairs = [
        (int(r["epoch"]), float(r["discrepancy"]) - float(r["loss"]))
        for r in records
        if r.get("discrepancy") is not None and r.get("loss") is not None
    ]
    if not pairs:
        raise ValueError("no record has both 'discrepancy' and 'loss': train an LRA-style algorithm")
    return [e for e, _ in pairs], [d for _, d in pairs]


def add_internal_discrepancy(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add the key ``internal_discrepancy`` to every curve record of stored ``results`` that has
    ``discrepancy`` and ``loss`` (so it plots like any recorded key); return ``results``."""
    for result in results:
        for record in result["curves"]:
            if record.get("discrepancy") is not None and record.get("loss") is not None:
                record["internal_discrepancy"] = float(record["discrepancy"]) - float(record["loss"])
    return results
