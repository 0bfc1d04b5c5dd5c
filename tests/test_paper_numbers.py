"""The papers' numbers: parsed from their tables exactly, each value a number or a paper mark."""

import re

import pytest

from lra_edu.experiments.paper_numbers import E3, E5_COLS, PAPER_NUMBERS, _paper


def test_rows_parse_to_numbers_and_keep_the_papers_marks():
    signum = E3.tables["mnist"]["Table 2"]["Signum"]
    assert signum == {"ep1": 6.88, "ep50": 2.09, "ep100": 2.07, "best (epoch)": "1.84 (45)"}
    assert PAPER_NUMBERS["E2"].tables["mnist"]["Table 1"]["BP"]["sig 0"] == "X"
    assert list(PAPER_NUMBERS["E5"].tables["fashion-mnist"]["Table 4"]["BP, finetuned"]) == E5_COLS


def test_every_value_is_a_number_or_a_papers_mark():
    mark = re.compile(r"X|\d+\.\d+ \(\d+\)")  # "X": could not learn; "1.86 (25)": best (epoch)
    for key, numbers in PAPER_NUMBERS.items():
        assert re.match(r"\[LRA1[89]\] ", numbers.source), key
        for dataset, tables in numbers.tables.items():
            assert dataset in ("mnist", "fashion-mnist"), key
            for rows in tables.values():
                for row, values in rows.items():
                    for value in values.values():
                        assert isinstance(value, float) or mark.fullmatch(value), (key, row)


def test_a_row_with_too_few_values_is_refused_by_name():
    with pytest.raises(ValueError, match=r"Table 9, mnist, BP: 1 values for 2 columns"):
        _paper("[LRA18] §9", "Table 9", ["a", "b"], "mnist | BP | 1.0")
