"""explore(): live reruns on a control change; static mode stacks one image per grid state, jslinked."""

import ipywidgets as widgets
import matplotlib.pyplot as plt
import pytest
from ipywidgets.widgets.widget import _instances
from ipywidgets.widgets.widget_link import Link

from lra_edu import widgets as lw


def line_figure(k, b=0):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [b, k])
    return fig


@pytest.fixture
def shown(monkeypatch):
    """What explore() displays, instead of printing it."""
    out = []
    monkeypatch.setattr("IPython.display.display", lambda *objs: out.extend(objs))
    return out


def test_mode_from_environment(monkeypatch):
    monkeypatch.delenv(lw.MODE_ENV, raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    assert lw.widget_mode() == "static"
    monkeypatch.setenv("JPY_SESSION_NAME", "book/lra-diff.ipynb")
    assert lw.widget_mode() == "live"
    monkeypatch.setenv(lw.MODE_ENV, "static")
    assert lw.widget_mode() == "static"
    monkeypatch.setenv(lw.MODE_ENV, "sometimes")
    with pytest.raises(ValueError, match=r"LRA_EDU_WIDGETS='sometimes'.*live, static"):
        lw.widget_mode()


def test_live_reruns_on_change_and_reports_it(shown):
    calls = []

    def run(k):
        calls.append(k)
        return line_figure(k)

    slider = widgets.SelectionSlider(options=[1, 2, 4], value=2, description="k")
    fig = lw.explore(run, {"k": slider}, mode="live")
    assert calls == [2]
    assert fig.axes[0].lines[0].get_ydata()[-1] == 2
    box = shown[0]
    assert shown[1] is fig
    status = box.children[1]
    assert lw.STATUS_CLASS in status._dom_classes
    assert status.value.startswith("<i>ran k = 2 in ")
    slider.value = 4
    assert calls == [2, 4]
    assert "ran k = 4 in " in status.value


def test_static_runs_every_state_once_and_returns_the_default(shown):
    calls = []

    def run(k, b):
        calls.append((k, b))
        return line_figure(k, b)

    k = widgets.SelectionSlider(options=[1, 2, 3], value=3, description="k")
    b = widgets.Dropdown(options=[("zero", 0), ("one", 1)], value=1, description="b")
    fig = lw.explore(run, {"k": k, "b": b}, alt="a line", mode="static")
    assert sorted(calls) == [(k_, b_) for k_ in (1, 2, 3) for b_ in (0, 1)]
    assert list(fig.axes[0].lines[0].get_ydata()) == [1, 3]
    (box,) = shown
    assert "k ∈ {1, 2, 3} × b ∈ {zero, one}" in box.children[1].value
    outer = box.children[2]
    assert isinstance(outer, widgets.Stack) and outer.selected_index == 2
    inner = outer.children[0]
    assert isinstance(inner, widgets.Stack) and inner.selected_index == 1
    image = inner.children[1]
    assert 'alt="a line (k = 1, b = one)"' in image.value
    assert image.value.count("data:image/png;base64,") == 1


def test_static_links_each_control_to_every_stack_of_its_level(shown):
    k = widgets.SelectionSlider(options=[1, 2], value=1, description="k")
    b = widgets.ToggleButtons(options=[0, 1, 2], value=0, description="b")
    lw.explore(line_figure, {"k": k, "b": b}, mode="static")
    outer = shown[0].children[2]
    links = {
        (w.source[0].model_id, w.target[0].model_id)
        for w in _instances.values()
        if isinstance(w, Link) and w.source[1] == "index" and w.target[1] == "selected_index"
    }
    assert (k.model_id, outer.model_id) in links
    for inner in outer.children:
        assert (b.model_id, inner.model_id) in links


def test_bad_controls_are_named():
    with pytest.raises(ValueError, match="at least one control"):
        lw.explore(line_figure, {})
    with pytest.raises(TypeError, match="control 'k' is a FloatSlider"):
        lw.explore(line_figure, {"k": widgets.FloatSlider()})
    big = {"k": widgets.Dropdown(options=list(range(5))), "b": widgets.Dropdown(options=list(range(4)))}
    with pytest.raises(ValueError, match="20 states"):
        lw.explore(line_figure, big)
    with pytest.raises(ValueError, match="mode 'later'"):
        lw.explore(line_figure, {"k": widgets.Dropdown(options=[1])}, mode="later")
