"""The papers' own numbers, one table per experiment, with where each comes from.

These are facts copied from the papers' tables (the extracted text of [LRA18], arXiv
1803.01834, and [LRA19], AAAI 2019); they are the "paper" column of every comparison
the book and ``lra-edu report`` show. Each :class:`PaperNumbers` names its source:
paper, section and table. ``"X"`` is the papers' mark for a network that could not
learn. The specs that these numbers belong to are in :mod:`lra_edu.experiments.catalog`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FASHION, MNIST = "fashion-mnist", "mnist"

#: Column labels of the papers' tables.
E2_COLS = ["sig 0", "sig .025", "sig .05", "sig .1", "tanh 0", "tanh .025", "tanh .05", "tanh .1"]
E3_COLS = ["ep1", "ep50", "ep100", "best (epoch)"]
E4_LABELS = [
    "ST-BP, pass-through STE",
    "BP, sigmoid-adjusted STE",
    "BP, slope annealing",
    "BP, REINFORCE",
    "BP, REINFORCE (variance-adj.)",
    "DTP",
    "LRA-fdbk",
]
E5_COLS = ["train", "valid", "test"]
E7_COLS = [f"{d} {s}" for d in (3, 5, 8) for s in ("train", "test")]
E8_COLS = [f"{o} {s}" for o in ("SGD", "Adam", "RMSprop") for s in ("train", "test")]


@dataclass(frozen=True)
class PaperNumbers:
    """One experiment's published numbers: ``{dataset: {table: {row: {column: value}}}}``."""

    source: str
    tables: dict[str, dict[str, dict[str, dict[str, Any]]]]


def _table(columns: list[str], rows: dict[str, list[Any]]) -> dict[str, dict[str, Any]]:
    return {row: dict(zip(columns, values)) for row, values in rows.items()}


E2 = PaperNumbers(
    "[LRA18] §3.2, Table 1 (best test error, %)",
    {
        MNIST: {
            "Table 1": _table(
                E2_COLS,
                {
                    "BP": ["X", 88.66, 88.66, 88.66, "X", 88.65, 2.67, 2.48],
                    "FA": [88.65, 88.65, 88.65, 88.65, 16.1, 12.73, 11.86, 11.81],
                    "DFA": [30.84, 31.78, 31.77, 26.81, 5.24, 4.11, 5.12, 4.9],
                    "DTP": ["X", 18.06, 16.83, 17.06, "X", 67.51, 5.38, 3.19],
                    "LRA-fdbk": [2.75, 2.85, 2.89, 2.96, 2.69, 2.87, 2.82, 3.72],
                },
            )
        },
        FASHION: {
            "Table 1": _table(
                E2_COLS,
                {
                    "BP": ["X", 90.00, 90.00, 90.00, "X", 29.04, 11.48, 11.38],
                    "FA": [90.00, 90.00, 90.00, 89.97, 24.82, 24.57, 21.67, 20.01],
                    "DFA": [35.91, 37.4, 41.62, 37.7, 13.92, 12.82, 13.95, 14.13],
                    "DTP": ["X", 41.1, 26.26, 24.69, "X", 79.84, 60.19, 13.59],
                    "LRA-fdbk": [13.27, 12.85, 12.94, 12.96, 11.85, 12.14, 12.62, 12.65],
                },
            )
        },
    },
)

E3 = PaperNumbers(
    "[LRA18] §3.3, Table 2 (generalization error, %)",
    {
        MNIST: {
            "Table 2": _table(
                E3_COLS,
                {
                    "Softsign": [5.94, 2.13, 2.32, "1.86 (25)"],
                    "ReLU6": [8.6, 3.14, 2.58, "2.18 (69)"],
                    "Softplus": [14.94, 4.1, 3.53, "2.96 (94)"],
                    "LWTA-1": [7.02, 2.96, 2.68, "2.37 (67)"],
                    "LWTA-2": [6.96, 2.57, 2.88, "2.48 (44)"],
                    "SLWTA-1": [9.15, 2.1, 2.24, "1.78 (33)"],
                    "SLWTA-2": [8.99, 2.21, 2.1, "1.91 (33)"],
                    "Signum": [6.88, 2.09, 2.07, "1.84 (45)"],
                },
            )
        },
        FASHION: {
            "Table 2": _table(
                E3_COLS,
                {
                    "Softsign": [17.22, 13.47, 13.2, "12.74 (30)"],
                    "ReLU6": [19.7, 11.52, 12.46, "11.18 (98)"],
                    "Softplus": [31.35, 15.94, 15.46, "13.37 (79)"],
                    "LWTA-1": [18.25, 12.72, 12.52, "12.33 (72)"],
                    "LWTA-2": [17.89, 12.85, 12.76, "12.05 (54)"],
                    "SLWTA-1": [20.15, 11.78, 11.47, "11.03 (96)"],
                    "SLWTA-2": [20.00, 11.74, 11.58, "11.29 (88)"],
                    "Signum": [19.23, 12.48, 13.06, "12.06 (65)"],
                },
            )
        },
    },
)

E4 = PaperNumbers(
    "[LRA18] §3.4, Table 3 (test accuracy, %, despite the caption)",
    {
        MNIST: {
            "Table 3": {
                row: {"accuracy": v}
                for row, v in zip(E4_LABELS, [85.409, 96.039, 97.180, 88.811, 94.110, 98.460, 98.280])
            }
        },
        FASHION: {
            "Table 3": {
                row: {"accuracy": v}
                for row, v in zip(E4_LABELS, [59.040, 85.17, 84.790, 75.160, 81.360, 87.320, 89.210])
            }
        },
    },
)

E5 = PaperNumbers(
    "[LRA18] §3.5, Table 4 (error, %)",
    {
        FASHION: {
            "Table 4": _table(
                E5_COLS,
                {
                    "LRA, pretrained": [1.49, 11.02, 11.42],
                    "LRA, finetuned": [0.13, 10.11, 11.32],
                    "BP, pretrained": [0.11, 11.00, 10.61],
                    "BP, finetuned": [0.00, 10.00, 10.19],
                },
            )
        }
    },
)

E7 = PaperNumbers(
    "[LRA19] Experiments, Tables 1 and 2 (train and test error, %)",
    {
        MNIST: {
            "Tables 1-2": _table(
                E7_COLS,
                {
                    "Backprop": [1.78, 3.02, 2.4, 2.98, 2.91, 3.02],
                    "Equil-Prop": [3.82, 4.99, 7.59, 9.21, 89.96, 90.91],
                    "RFA": [3.01, 3.13, 2.99, 3.4, 3.59, 3.76],
                    "DFA": [4.07, 4.17, 3.71, 3.88, 3.81, 3.85],
                    "DTP": [0.74, 2.8, 4.408, 4.94, 10.89, 10.1],
                    "DTP-σ": [0.00, 2.38, 0.00, 2.57, 0.00, 2.56],
                    "LRA-E": [0.86, 2.20, 0.16, 1.97, 0.08, 2.55],
                },
            )
        },
        FASHION: {
            "Tables 1-2": _table(
                E7_COLS,
                {
                    "Backprop": [12.08, 14.89, 12.1, 12.98, 11.55, 13.21],
                    "Equil-Prop": [14.72, 14.01, 16.56, 20.97, 90.12, 89.78],
                    "RFA": [11.99, 12.74, 12.09, 12.89, 12.03, 12.71],
                    "DFA": [13.04, 13.41, 12.58, 13.09, 11.59, 13.01],
                    "DTP": [13.6, 15.03, 21.078, 19.66, 21.838, 17.58],
                    "DTP-σ": [7.5, 13.95, 6.34, 12.99, 6.5, 13.01],
                    "LRA-E": [11.25, 13.51, 9.84, 12.31, 9.74, 12.69],
                },
            )
        },
    },
)

E8 = PaperNumbers(
    "[LRA19] Experiments, Table 3 (train and test error, %)",
    {
        MNIST: {"Table 3": {MNIST: dict(zip(E8_COLS, [0.86, 2.20, 0.00, 1.75, 0.69, 2.02]))}},
        FASHION: {"Table 3": {FASHION: dict(zip(E8_COLS, [11.25, 13.51, 5.38, 12.42, 12.67, 14.90]))}},
    },
)

#: Every experiment's published numbers, by experiment key.
PAPER_NUMBERS: dict[str, PaperNumbers] = {"E2": E2, "E3": E3, "E4": E4, "E5": E5, "E7": E7, "E8": E8}
