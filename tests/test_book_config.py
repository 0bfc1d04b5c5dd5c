"""The book's JavaScript (MathJax, ipywidgets) is served from _assets, never from a public CDN."""

from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sphinx_config():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    return config["sphinx"]["config"]


def assert_local(url):
    parts = urlsplit(url)
    assert not parts.scheme and not parts.netloc, f"{url!r} is not a local path"
    assert not url.startswith("/"), f"{url!r} must be relative to html_static_path"


def assert_vendored(sphinx_config, url):
    """Sphinx copies html_static_path to _static/ and resolves these URLs there."""
    assert_local(url)
    static_dirs = [ROOT / d for d in sphinx_config["html_static_path"]]
    assert any((d / url).is_file() for d in static_dirs), f"{url!r} is in none of {static_dirs}"


def test_static_path_is_assets(sphinx_config):
    assert sphinx_config["html_static_path"] == ["_assets"]


def test_mathjax_is_vendored(sphinx_config):
    assert_vendored(sphinx_config, sphinx_config["mathjax_path"])


def test_ipywidgets_js_is_vendored(sphinx_config):
    scripts = sphinx_config["nb_ipywidgets_js"]
    assert [Path(url).name for url in scripts] == ["require.js", "embed-amd.js"]
    for url, attributes in scripts.items():
        assert_vendored(sphinx_config, url)
        for name, value in (attributes or {}).items():
            assert "//" not in str(value), f"{url}: {name}={value!r} points off the book"


def test_widget_cdn_attribute_is_local(sphinx_config):
    """Without it, embed-amd.js falls back to jsdelivr for modules it does not bundle."""
    attributes = sphinx_config["nb_ipywidgets_js"]["widgets/embed-amd.js"]
    assert_local(attributes["data-jupyter-widgets-cdn"])


def test_vendored_widget_bundle_defines_standard_widgets():
    bundle = (ROOT / "_assets" / "widgets" / "embed-amd.js").read_text(encoding="utf-8")
    for module in ("base", "controls", "html-manager"):
        assert f'define("@jupyter-widgets/{module}"' in bundle
