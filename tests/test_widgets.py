"""Widgets: the default figure is returned and a control change reruns the experiment."""

import ipywidgets as widgets
import matplotlib.pyplot as plt
import pytest

from lra_edu.widgets import live


def test_live_reruns_on_change(capsys):
    calls = []

    def run(k):
        calls.append(k)
        fig, ax = plt.subplots()
        ax.plot([0, k])
        return fig

    slider = widgets.IntSlider(value=2, min=1, max=5)
    fig = live(run, {"k": slider})
    assert calls == [2]
    assert fig.axes[0].lines[0].get_ydata()[-1] == 2
    slider.value = 4
    assert calls == [2, 4]
    assert "default settings" in capsys.readouterr().out


def test_live_needs_controls():
    with pytest.raises(ValueError, match="at least one control"):
        live(lambda: None, {})
