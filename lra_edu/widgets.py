"""Live widgets for the book: sliders and choosers that rerun a small experiment.

:func:`live` shows the figure of the default settings as an ordinary output first,
so the static HTML book (where no kernel runs and sliders do nothing) still shows
the chapter's point; below it come the controls, a progress line and an area that
redraws whenever a control changes. Each rerun should be small (digits or a
Fashion-MNIST subset, a few hundred updates) so it answers in about two seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure


def live(
    run: Callable[..., Figure],
    controls: Mapping[str, Any],
    defaults_note: str = "Figure for the default settings (move a control to rerun live):",
) -> Figure:
    """Show ``run(**defaults)`` and an interactive panel of ``controls`` that reruns it.

    Parameters
    ----------
    run : callable
        Takes one keyword per control and returns a matplotlib Figure.
    controls : mapping of str to ipywidgets.Widget
        The controls; each one's current ``value`` is passed to ``run`` under its key.
    defaults_note : str
        Text printed above the static default figure.

    Returns
    -------
    Figure
        The figure of the default run (chapters can assert on what it shows).
    """
    import ipywidgets as widgets
    from IPython.display import display

    if not controls:
        raise ValueError("live() needs at least one control")
    values = {key: w.value for key, w in controls.items()}
    print(defaults_note)
    figure = run(**values)
    display(figure)
    plt.close(figure)

    status = widgets.HTML(value="")
    out = widgets.Output()

    def rerun(_: Any = None) -> None:
        kwargs = {key: w.value for key, w in controls.items()}
        status.value = "<i>running…</i>"
        start = time.perf_counter()
        with out:
            out.clear_output(wait=True)
            fig = run(**kwargs)
            display(fig)
            plt.close(fig)
        settings = ", ".join(f"{k}={v}" for k, v in kwargs.items())
        status.value = f"<i>{settings}: {time.perf_counter() - start:.1f} s</i>"

    for w in controls.values():
        w.observe(rerun, names="value")
    display(widgets.VBox([widgets.HBox(list(controls.values())), status, out]))
    return figure
