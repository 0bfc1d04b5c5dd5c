"""One meaning per symbol: the letters the papers overload keep one meaning in the chapters' text.

The notation chapter (book/notation.md) maps each meaning to its symbol; these tests read
every chapter's Markdown (code spans excluded) and the plot labels for the old spellings.
"""

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "book").rglob("*.ipynb"))


def _prose(path: Path) -> str:
    """A chapter's Markdown with inline code and code fences removed."""
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    text = re.sub(r"```(?!\{)[^\n]*\n.*?```", " ", text, flags=re.S)  # code blocks, not directives
    return re.sub(r"`[^`\n]*`", " ", text)


EVERYWHERE = {
    "the sigmoid is sigm, not sigma": r"\\sigma\s*[('(]|\\sigma'",
    "Adam's decays are mu_1, mu_2": r"\\beta_[12]",
    "the batch size is |B|": r"\\frac\{1\}\{B\}|/ B\b|\(\$B\$ the batch size",
    "EP's energy is script-E": r"(?<![A-Za-z\\])E\(s\)",
    "machine epsilon is eps_mach, noise xi": r"\\varepsilon(?!_)",
}
DTP = {"DTP's step is eta": r"\\beta", "DTP's noise is nu": r"\\sigma",
       "DTP's decoder is d_l": r"g_\\ell", "decoder weights are D_l": r"(?<![A-Za-z\\])E_"}
PER_CHAPTER = {
    "equilibrium-propagation": {"EP's nudge is zeta": r"\\beta", "EP's step is tau": r"\\epsilon"},
    "target-propagation": DTP,
    "dtp-stability": DTP,
    "lra-e": {"LRA-E's error weights are E-tilde": r"(?<!\\tilde )(?<![A-Za-z\\])E_"},
    "update-angles": {"LRA-E's error weights are E-tilde": r"(?<!\\tilde )(?<![A-Za-z\\])E_"},
    "optimizers": {"LRA-E's error weights are E-tilde": r"(?<!\\tilde )(?<![A-Za-z\\])E_",
                   "RMSprop's decay is mu": r"\\rho"},
    "init-robustness": {"the initial weights' std is s": r"\\sigma(?!_E)"},
    "initialization": {"the per-layer gain is r": r"\\rho"},
}


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_overloaded_letters_keep_one_meaning(path):
    prose = _prose(path)
    rules = {**EVERYWHERE, **PER_CHAPTER.get(path.stem, {})}
    for meaning, pattern in rules.items():
        hit = re.search(pattern, prose)
        assert not hit, f"{path.name}: {meaning}; found {prose[max(hit.start() - 40, 0):hit.end() + 40]!r}"


def test_plot_labels_use_the_book_symbols():
    relatives = (ROOT / "lra_edu" / "plots" / "relatives.py").read_text()
    dynamics = (ROOT / "lra_edu" / "plots" / "dynamics.py").read_text()
    assert r"\beta C" not in relatives and r"$E$" not in relatives and r"$\sigma_" not in relatives
    assert r"\angle(E_l" not in dynamics


def test_the_notation_chapter_is_in_the_table_of_contents_and_maps_the_library_names():
    toc = (ROOT / "_toc.yml").read_text()
    assert "file: book/notation" in toc
    page = (ROOT / "book" / "notation.md").read_text()
    for name in ("`beta`", "`sigma_e`", "`eps`", "`gamma`", "`step`", "`alpha`", "`sigma_min`", "`K`"):
        assert name in page, name
