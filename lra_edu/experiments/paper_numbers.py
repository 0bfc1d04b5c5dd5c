"""The papers' own numbers, one table per experiment, with where each comes from.

These are facts copied from the papers' tables (the extracted text of [LRA18], arXiv
1803.01834, and [LRA19], AAAI 2019); they are the "paper" column of every comparison
the book and ``lra-edu report`` show. Each table is written one row a line, as the paper
prints it (``dataset | row | value | ...``), and each :class:`PaperNumbers` names its
source: paper, section and table. ``"X"`` is the papers' mark for a network that could not
learn. The specs that these numbers belong to are in :mod:`lra_edu.experiments.catalog`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PaperNumbers:
    """One experiment's published numbers: ``{dataset: {table: {row: {column: value}}}}``."""

    source: str
    tables: dict[str, dict[str, dict[str, dict[str, Any]]]]


def _cell(text: str) -> Any:
    """A table cell: a number where it is one (``"2.75"``), else the text (``"X"``, ``"1.86 (25)"``)."""
    return float(text) if re.fullmatch(r"-?\d+(\.\d*)?", text) else text


def _paper(source: str, table: str, columns: list[str], rows: str) -> PaperNumbers:
    """The numbers of one paper table from lines ``dataset | row | value | ...``.

    Each line holds one row of the table, its values in the order of ``columns``; datasets
    and rows keep the order in which they first appear. ``source`` names paper, section and
    table; ``table`` is the table's key in every comparison.
    """
    tables: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
    for line in filter(None, map(str.strip, rows.splitlines())):
        dataset, row, *values = (cell.strip() for cell in line.split("|"))
        if len(values) != len(columns):
            raise ValueError(f"{table}, {dataset}, {row}: {len(values)} values for {len(columns)} columns")
        tables.setdefault(dataset, {table: {}})[table][row] = dict(zip(columns, map(_cell, values)))
    return PaperNumbers(source, tables)


E2_COLS = ["sig 0", "sig .025", "sig .05", "sig .1", "tanh 0", "tanh .025", "tanh .05", "tanh .1"]
E2 = _paper(
    "[LRA18] §3.2, Table 1 (best test error, %)",
    "Table 1",
    E2_COLS,
    """
        mnist         | BP       | X     | 88.66 | 88.66 | 88.66 | X     | 88.65 | 2.67  | 2.48
        mnist         | FA       | 88.65 | 88.65 | 88.65 | 88.65 | 16.1  | 12.73 | 11.86 | 11.81
        mnist         | DFA      | 30.84 | 31.78 | 31.77 | 26.81 | 5.24  | 4.11  | 5.12  | 4.9
        mnist         | DTP      | X     | 18.06 | 16.83 | 17.06 | X     | 67.51 | 5.38  | 3.19
        mnist         | LRA-fdbk | 2.75  | 2.85  | 2.89  | 2.96  | 2.69  | 2.87  | 2.82  | 3.72
        fashion-mnist | BP       | X     | 90.00 | 90.00 | 90.00 | X     | 29.04 | 11.48 | 11.38
        fashion-mnist | FA       | 90.00 | 90.00 | 90.00 | 89.97 | 24.82 | 24.57 | 21.67 | 20.01
        fashion-mnist | DFA      | 35.91 | 37.4  | 41.62 | 37.7  | 13.92 | 12.82 | 13.95 | 14.13
        fashion-mnist | DTP      | X     | 41.1  | 26.26 | 24.69 | X     | 79.84 | 60.19 | 13.59
        fashion-mnist | LRA-fdbk | 13.27 | 12.85 | 12.94 | 12.96 | 11.85 | 12.14 | 12.62 | 12.65
    """,
)

E3_COLS = ["ep1", "ep50", "ep100", "best (epoch)"]
E3 = _paper(
    "[LRA18] §3.3, Table 2 (generalization error, %)",
    "Table 2",
    E3_COLS,
    """
        mnist         | Softsign | 5.94  | 2.13  | 2.32  | 1.86 (25)
        mnist         | ReLU6    | 8.6   | 3.14  | 2.58  | 2.18 (69)
        mnist         | Softplus | 14.94 | 4.1   | 3.53  | 2.96 (94)
        mnist         | LWTA-1   | 7.02  | 2.96  | 2.68  | 2.37 (67)
        mnist         | LWTA-2   | 6.96  | 2.57  | 2.88  | 2.48 (44)
        mnist         | SLWTA-1  | 9.15  | 2.1   | 2.24  | 1.78 (33)
        mnist         | SLWTA-2  | 8.99  | 2.21  | 2.1   | 1.91 (33)
        mnist         | Signum   | 6.88  | 2.09  | 2.07  | 1.84 (45)
        fashion-mnist | Softsign | 17.22 | 13.47 | 13.2  | 12.74 (30)
        fashion-mnist | ReLU6    | 19.7  | 11.52 | 12.46 | 11.18 (98)
        fashion-mnist | Softplus | 31.35 | 15.94 | 15.46 | 13.37 (79)
        fashion-mnist | LWTA-1   | 18.25 | 12.72 | 12.52 | 12.33 (72)
        fashion-mnist | LWTA-2   | 17.89 | 12.85 | 12.76 | 12.05 (54)
        fashion-mnist | SLWTA-1  | 20.15 | 11.78 | 11.47 | 11.03 (96)
        fashion-mnist | SLWTA-2  | 20.00 | 11.74 | 11.58 | 11.29 (88)
        fashion-mnist | Signum   | 19.23 | 12.48 | 13.06 | 12.06 (65)
    """,
)

E4 = _paper(
    "[LRA18] §3.4, Table 3 (test accuracy, %, despite the caption)",
    "Table 3",
    ["accuracy"],
    """
        mnist         | ST-BP, pass-through STE       | 85.409
        mnist         | BP, sigmoid-adjusted STE      | 96.039
        mnist         | BP, slope annealing           | 97.180
        mnist         | BP, REINFORCE                 | 88.811
        mnist         | BP, REINFORCE (variance-adj.) | 94.110
        mnist         | DTP                           | 98.460
        mnist         | LRA-fdbk                      | 98.280
        fashion-mnist | ST-BP, pass-through STE       | 59.040
        fashion-mnist | BP, sigmoid-adjusted STE      | 85.17
        fashion-mnist | BP, slope annealing           | 84.790
        fashion-mnist | BP, REINFORCE                 | 75.160
        fashion-mnist | BP, REINFORCE (variance-adj.) | 81.360
        fashion-mnist | DTP                           | 87.320
        fashion-mnist | LRA-fdbk                      | 89.210
    """,
)

E5_COLS = ["train", "valid", "test"]
E5 = _paper(
    "[LRA18] §3.5, Table 4 (error, %)",
    "Table 4",
    E5_COLS,
    """
        fashion-mnist | LRA, pretrained | 1.49 | 11.02 | 11.42
        fashion-mnist | LRA, finetuned  | 0.13 | 10.11 | 11.32
        fashion-mnist | BP, pretrained  | 0.11 | 11.00 | 10.61
        fashion-mnist | BP, finetuned   | 0.00 | 10.00 | 10.19
    """,
)

E7_COLS = [f"{d} {s}" for d in (3, 5, 8) for s in ("train", "test")]
E7 = _paper(
    "[LRA19] Experiments, Tables 1 and 2 (train and test error, %)",
    "Tables 1-2",
    E7_COLS,
    """
        mnist         | Backprop   | 1.78  | 3.02  | 2.4    | 2.98  | 2.91   | 3.02
        mnist         | Equil-Prop | 3.82  | 4.99  | 7.59   | 9.21  | 89.96  | 90.91
        mnist         | RFA        | 3.01  | 3.13  | 2.99   | 3.4   | 3.59   | 3.76
        mnist         | DFA        | 4.07  | 4.17  | 3.71   | 3.88  | 3.81   | 3.85
        mnist         | DTP        | 0.74  | 2.8   | 4.408  | 4.94  | 10.89  | 10.1
        mnist         | DTP-σ      | 0.00  | 2.38  | 0.00   | 2.57  | 0.00   | 2.56
        mnist         | LRA-E      | 0.86  | 2.20  | 0.16   | 1.97  | 0.08   | 2.55
        fashion-mnist | Backprop   | 12.08 | 14.89 | 12.1   | 12.98 | 11.55  | 13.21
        fashion-mnist | Equil-Prop | 14.72 | 14.01 | 16.56  | 20.97 | 90.12  | 89.78
        fashion-mnist | RFA        | 11.99 | 12.74 | 12.09  | 12.89 | 12.03  | 12.71
        fashion-mnist | DFA        | 13.04 | 13.41 | 12.58  | 13.09 | 11.59  | 13.01
        fashion-mnist | DTP        | 13.6  | 15.03 | 21.078 | 19.66 | 21.838 | 17.58
        fashion-mnist | DTP-σ      | 7.5   | 13.95 | 6.34   | 12.99 | 6.5    | 13.01
        fashion-mnist | LRA-E      | 11.25 | 13.51 | 9.84   | 12.31 | 9.74   | 12.69
    """,
)

E8_COLS = [f"{o} {s}" for o in ("SGD", "Adam", "RMSprop") for s in ("train", "test")]
E8 = _paper(
    "[LRA19] Experiments, Table 3 (train and test error, %)",
    "Table 3",
    E8_COLS,
    """
        mnist         | mnist         | 0.86  | 2.20  | 0.00 | 1.75  | 0.69  | 2.02
        fashion-mnist | fashion-mnist | 11.25 | 13.51 | 5.38 | 12.42 | 12.67 | 14.90
    """,
)

#: Every experiment's published numbers, by experiment key.
PAPER_NUMBERS: dict[str, PaperNumbers] = {"E2": E2, "E3": E3, "E4": E4, "E5": E5, "E7": E7, "E8": E8}
