"""The built book as its reader sees it: every page opened from file:// in headless Chromium.

Tests the HTML that ``make book`` left in ``_build/html`` (``make test`` builds it first), or
the folder named by ``LRA_EDU_BOOK_HTML``. Which chapters draw, have math or have widgets
is read from the notebooks' sources, so a chapter that loses its figures fails here even
though its page still builds.
"""

from __future__ import annotations

import os
import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import execute_chapters
import nbformat
import pytest
from browser import browser_required, console_errors, open_file, wait_until

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("LRA_EDU_BOOK_HTML", ROOT / "_build" / "html"))

# Console messages a correct page may still log (matched as substrings).
CONSOLE_ALLOWED = (
    # sphinx-book-theme and its Thebe launcher both declare this global.
    # pydata-sphinx-theme logs this when no theme (light/dark) was stored yet, as on a first visit.
    "Got invalid theme mode",
    "THEBE_JS_URL",
    # The html-manager's CSS names Font Awesome files that are not vendored (no widget uses icons).
    "@jupyter-widgets/html-manager/dist/",
)

# Largest page (HTML with embedded widget states and their images) a reader should download.
PAGE_BYTES = 3_000_000

# A code cell draws if it shows a pyplot figure, calls a plotting helper or builds a widget.
DRAWS = re.compile(r"\bplt\.show\(|\bplot_\w+\(|\bexplore\(|_dashboard\(|\bdisplay\(fig")
# A machine path: the repository's location or a home/temporary directory.
MACHINE_PATH = re.compile(rf"{re.escape(str(ROOT))}|(?<![\w.])/(?:tmp|home|root|Users|work)/[\w.-]")
# Markdown or MyST that should have been rendered: fences, directives, roles, emphasis, headings.
RAW_MARKUP = re.compile(
    r"```|^:::|\{(?:note|warning|admonition|math|figure|code-cell)\}|\{(?:eq|cite|ref|numref|doc)\}`"
    r"|\*\*\w|^#{1,6} \w",
    re.M,
)
# TeX that MathJax should have typeset.
RAW_TEX = re.compile(
    r"\$\$|\\\(|\\\[|\\(?:frac|begin|mathbf|sum|sqrt|alpha|beta|ell)\b|(?<![\w$])\$[^$\s][^$]*\$"
)

# The page's visible prose: the main article with code, outputs and typeset math removed.
PROSE_JS = """
const main = document.querySelector('main article') || document.querySelector('main') || document.body;
const copy = main.cloneNode(true);
copy.querySelectorAll('.cell_input, .cell_output, pre, code, mjx-container, .MathJax, script, style,'
    + ' .widget-area, .jupyter-widgets, details.hide, .toggle-details')
    .forEach(e => e.remove());
return copy.innerText;
"""


def toc_pages() -> list[str]:
    """The book's pages (``book/lra-diff`` …) in table-of-contents order."""
    return execute_chapters.toc_pages(ROOT / "_toc.yml")


@cache
def code_sources(page: str) -> tuple[str, ...]:
    """Sources of the code cells the page shows (``remove-cell`` cells never reach it)."""
    path = ROOT / f"{page}.ipynb"
    if not path.exists():
        return ()
    nb = nbformat.read(path, as_version=4)
    shown = [c for c in nb.cells if c.cell_type == "code" and "remove-cell" not in c.metadata.get("tags", [])]
    return tuple(c.source for c in shown)


def draws(page: str) -> bool:
    """Whether a code cell of the page's notebook draws a figure."""
    return any(DRAWS.search(s) for s in code_sources(page))


def shows_pyplot(page: str) -> int:
    """How many code cells call ``plt.show()`` unconditionally (not indented): each must give an image."""
    return sum(bool(re.search(r"^plt\.show\(\)", s, re.M)) for s in code_sources(page))


@cache
def has_math(page: str) -> bool:
    """Whether the page's Markdown (code spans and blocks aside) has TeX math or a math directive."""
    ipynb, md = ROOT / f"{page}.ipynb", ROOT / f"{page}.md"
    if ipynb.exists():
        nb = nbformat.read(ipynb, as_version=4)
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    else:
        text = md.read_text(encoding="utf-8") if md.exists() else ""
    text = re.sub(r"```.*?```|`[^`]*`", "", text, flags=re.S)
    return bool(re.search(r"\$[^$\s]|\{math\}", text))


def has_widgets(page: str) -> bool:
    """Whether the page builds a precomputed-figure widget."""
    return any(re.search(r"\bexplore\(", s) for s in code_sources(page))


def html_path(page: str) -> Path:
    """The built HTML file of a page."""
    return SITE / f"{page}.html"


@pytest.fixture(scope="module")
def site() -> Path:
    """The built book; skipped (or failed, where the browser test is required) when absent."""
    if not (SITE / "index.html").exists():
        message = f"no built book at {SITE} (run `make book`, or set LRA_EDU_BOOK_HTML)"
        if browser_required():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return SITE


@pytest.fixture(scope="module")
def reader(browser, site):
    """Open a page like a reader: load it, wait for MathJax and the widgets, keep console errors."""
    seen = {}

    def read(page: str, reload: bool = False) -> dict:
        if page in seen and not reload:
            return seen[page]
        open_file(browser, html_path(page))
        wait_until(lambda: browser.execute_script("return document.readyState") == "complete")
        browser.set_script_timeout(30)
        browser.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "if (window.MathJax && MathJax.startup && MathJax.startup.promise)"
            " { MathJax.startup.promise.then(() => done(true), () => done(false)); } else { done(false); }"
        )
        if has_widgets(page):
            wait_until(lambda: browser.find_elements("css selector", ".lra-status"), timeout=30)
        seen[page] = {
            "text": browser.execute_script("return document.body.innerText"),
            "prose": browser.execute_script(PROSE_JS),
            "images": browser.execute_script(
                "return [...document.querySelectorAll('main img')]"
                ".filter(i => i.complete && i.naturalWidth > 0).length"
            ),
            "math": browser.execute_script("return document.querySelectorAll('mjx-container').length"),
            "no_alt": browser.execute_script(
                # Sphinx writes the image's path as alt when a cell gives none.
                "return [...document.querySelectorAll('main .cell_output img')]"
                ".map(i => (i.getAttribute('alt') || '').trim())"
                ".filter(a => !a || a.includes('_images/') || /\\.(png|jpe?g|svg)$/.test(a)).length"
            ),
            "overflow": browser.execute_script(
                "const a = document.querySelector('main article') || document.body;"
                "return a.scrollWidth - a.clientWidth"
            ),
            "mathjax": browser.execute_script(
                "return [...document.scripts].map(s => s.src).filter(s => s.includes('/mathjax/'))"
            ),
            "errors": console_errors(browser, CONSOLE_ALLOWED),
        }
        return seen[page]

    return read


PAGES = toc_pages()


@pytest.mark.parametrize("page", PAGES)
def test_page_reads_clean(reader, page):
    """No matplotlib or object reprs, machine paths, raw Markdown or TeX; drawing chapters show images."""
    view = reader(page)
    problems = []
    if draws(page) and view["images"] < 1:
        problems.append("the notebook draws figures but the page shows no image")
    if view["images"] < shows_pyplot(page):
        problems.append(f"{shows_pyplot(page)} cells call plt.show() but only {view['images']} images load")
    size = html_path(page).stat().st_size
    if size > PAGE_BYTES:
        problems.append(f"the page weighs {size / 1e6:.1f} MB, over {PAGE_BYTES / 1e6:.0f} MB")
    if view["no_alt"]:
        problems.append(f"{view['no_alt']} figures without alt text (cell metadata mystnb.image.alt)")
    if view["overflow"] > 2:
        problems.append(f"content runs {view['overflow']} px off the page")
    if "<Figure size" in view["text"]:
        problems.append("a figure is printed as '<Figure size …>' text instead of drawn")
    address = re.search(r"object at 0x[0-9a-f]+", view["text"])
    if address:
        context = view["text"][max(address.start() - 80, 0) : address.end()]
        problems.append(f"an object printed with its memory address: …{context!r}")
    for pattern, what in ((MACHINE_PATH, "an absolute machine path"), (RAW_MARKUP, "raw Markdown/MyST")):
        hit = pattern.search(view["text"] if pattern is MACHINE_PATH else view["prose"])
        if hit:
            context = (view["text"] if pattern is MACHINE_PATH else view["prose"])[
                max(hit.start() - 60, 0) : hit.end() + 60
            ]
            problems.append(f"{what}: …{context!r}…")
    tex = RAW_TEX.search(view["prose"])
    if tex:
        problems.append(f"TeX left untypeset: …{view['prose'][max(tex.start() - 60, 0) : tex.end() + 60]!r}…")
    if has_math(page) and not any("_static/mathjax/" in src for src in view["mathjax"]):
        problems.append(f"the page has math but MathJax is not loaded from the book: {view['mathjax']}")
    elif has_math(page) and view["math"] == 0:
        problems.append("the page has math but MathJax typeset none of it")
    if view["errors"]:
        problems.append("console errors:\n  " + "\n  ".join(view["errors"]))
    assert not problems, f"{page}.html:\n- " + "\n- ".join(problems)


@pytest.mark.parametrize("page", [p for p in PAGES if has_widgets(p)])
def test_every_widget_control_changes_the_figure(browser, reader, page):
    """Moving each control (arrow key on a slider, another option in a dropdown) swaps the image."""
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    reader(page, reload=True)
    visible_image = (
        "return [...arguments[0].querySelectorAll('.lra-figure img')]"
        ".filter(i => i.offsetParent !== null).map(i => i.src.slice(-200)).join('|')"
    )
    boxes = browser.execute_script(
        "return [...document.querySelectorAll('.lra-status')].map(s => s.closest('.widget-vbox'))"
    )
    assert boxes, f"{page}: no widget rendered (is the widget JavaScript served?)"
    for box in boxes:
        controls = box.find_elements("css selector", ".noUi-handle, select")
        assert controls, f"{page}: a widget without controls"
        for control in controls:
            before = browser.execute_script(visible_image, box)
            assert before and "|" not in before, f"{page}: expected exactly one visible figure"
            if control.tag_name == "select":
                choice = Select(control)
                current = choice.first_selected_option.get_attribute("value")
                other = next(o for o in choice.options if o.get_attribute("value") != current)
                choice.select_by_value(other.get_attribute("value"))
            else:
                control.click()
                key = Keys.ARROW_LEFT if control.get_attribute("aria-valuenow") == control.get_attribute(
                    "aria-valuemax"
                ) else Keys.ARROW_RIGHT
                control.send_keys(key)
            seen = lambda b=before, x=box: browser.execute_script(visible_image, x) not in {"", b}  # noqa: E731
            after = wait_until(seen)
            kind = "dropdown" if control.tag_name == "select" else "slider"
            assert after, f"{page}: moving a {kind} did not change the figure"


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])


@cache
def anchors(path: Path) -> _Anchors:
    parser = _Anchors()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def ids(path: Path) -> set[str]:
    """The element ids of a built page."""
    return anchors(path).ids


def test_internal_links_resolve(site):
    """Every relative link of every page points at a built file, and at an existing anchor."""
    broken = []
    for page in PAGES:
        source = html_path(page)
        for href in anchors(source).links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith("mailto:"):
                continue
            target = (source.parent / unquote(parts.path)).resolve() if parts.path else source
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page}: {href} (no file)")
            elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in ids(target):
                broken.append(f"{page}: {href} (no anchor)")
    assert not broken, "broken links:\n" + "\n".join(sorted(set(broken)))


def test_which_chapters_draw_is_read_from_sources():
    """The chapters known to plot are detected, so the image check cannot pass vacuously."""
    assert draws("book/lra-diff") and has_widgets("book/lra-diff")
    assert not draws("book/references")
