"""Controls over a small grid of settings that redraw a chapter's figure, with or without a kernel.

:func:`explore` takes a function that draws a figure and one selection control per setting
(a ``SelectionSlider``, ``Dropdown`` or ``ToggleButtons`` with a short list of options). It
works in two modes:

``live`` (a Jupyter server started the kernel)
    Every change of a control reruns the experiment and redraws the figure; a status line
    says what ran and how long it took.
``static`` (the book build, or any kernel not started by a Jupyter server)
    Every state of the grid is computed now, and the images are stacked in ipywidgets
    ``Stack`` widgets whose ``selected_index`` is linked in JavaScript (``jslink``) to each
    control's ``index``. The page's embedded widget state keeps the links, so moving a
    control on the static HTML page switches the figure in the browser, with no kernel.

``LRA_EDU_WIDGETS=live`` or ``static`` chooses the mode explicitly.
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import os
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

MODE_ENV = "LRA_EDU_WIDGETS"
MODES = ("live", "static")
STATUS_CLASS = "lra-status"
FIGURE_CLASS = "lra-figure"
MAX_STATES = 16


def widget_mode() -> str:
    """``$LRA_EDU_WIDGETS`` if set, else ``"live"`` under a Jupyter server, else ``"static"``."""
    mode = os.environ.get(MODE_ENV, "").strip().lower()
    if mode:
        if mode not in MODES:
            raise ValueError(f"{MODE_ENV}={mode!r} is not a widget mode; valid: {', '.join(MODES)}")
        return mode
    # jupyter_server sets JPY_SESSION_NAME for the kernels it starts (JupyterLab, Notebook).
    return "live" if os.environ.get("JPY_SESSION_NAME") else "static"


def option_values(control: Any) -> list[Any]:
    """The values behind a selection control's options (``(label, value)`` pairs give the value)."""
    return [o[1] if isinstance(o, tuple) and len(o) == 2 else o for o in control.options]


def option_labels(control: Any) -> list[str]:
    """The labels a selection control shows for its options."""
    return [str(o[0]) if isinstance(o, tuple) and len(o) == 2 else str(o) for o in control.options]


def describe_grid(controls: Mapping[str, Any]) -> str:
    """The grid in words, e.g. ``"K ∈ {1, 5, 10} × β ∈ {0.1, 1}"``."""
    return " × ".join(
        f"{control.description or key} ∈ {{{', '.join(option_labels(control))}}}"
        for key, control in controls.items()
    )


def describe_state(controls: Mapping[str, Any], indices: Sequence[int]) -> str:
    """One state in words, e.g. ``"K = 5, β = 0.1"``."""
    return ", ".join(
        f"{control.description or key} = {option_labels(control)[i]}"
        for (key, control), i in zip(controls.items(), indices)
    )


def figure_png(figure: Figure, dpi: int = 80) -> bytes:
    """``figure`` as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


def _check_controls(controls: Mapping[str, Any]) -> None:
    if not controls:
        raise ValueError("explore() needs at least one control")
    for key, control in controls.items():
        if not hasattr(control, "index") or not hasattr(control, "options"):
            raise TypeError(
                f"explore() control {key!r} is a {type(control).__name__}; use a selection control "
                "(SelectionSlider, Dropdown, ToggleButtons) with a short list of options"
            )
    states = 1
    for control in controls.values():
        states *= len(control.options)
    if states > MAX_STATES:
        raise ValueError(f"explore() grid has {states} states; at most {MAX_STATES} are precomputed")


def _status(text: str) -> Any:
    import ipywidgets as widgets

    status = widgets.HTML(value=text)
    status.add_class(STATUS_CLASS)
    return status


def _image(png: bytes, alt: str) -> Any:
    import ipywidgets as widgets

    data = base64.b64encode(png).decode("ascii")
    img = widgets.HTML(
        value=f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}" style="max-width:100%">'
    )
    img.add_class(FIGURE_CLASS)
    return img


def _nested_stack(images: dict[tuple[int, ...], Any], controls: list[Any], prefix: tuple[int, ...]) -> Any:
    """A Stack over the options of ``controls[len(prefix)]``, its index jslinked to that control."""
    import ipywidgets as widgets

    control = controls[len(prefix)]
    last = len(prefix) == len(controls) - 1
    children = [
        images[prefix + (i,)] if last else _nested_stack(images, controls, prefix + (i,))
        for i in range(len(control.options))
    ]
    stack = widgets.Stack(children=children, selected_index=control.index)
    widgets.jslink((control, "index"), (stack, "selected_index"))
    return stack


def explore(
    run: Callable[..., Figure],
    controls: Mapping[str, Any],
    alt: Callable[..., str] | str = "",
    mode: str | None = None,
) -> Figure:
    """Show controls that redraw ``run(**settings)``: rerun live, or switch precomputed images.

    Parameters
    ----------
    run : callable
        Takes one keyword per control (the option's value) and returns a matplotlib Figure.
    controls : mapping of str to a selection widget
        ``SelectionSlider``, ``Dropdown`` or ``ToggleButtons``, one per keyword of ``run``;
        their current values are the defaults. At most 16 states in all.
    alt : str or callable
        Alternative text of the static images: a string, or a function of the same
        keywords as ``run``; the state's settings are appended.
    mode : {"live", "static"}, optional
        Default :func:`widget_mode`.

    Returns
    -------
    Figure
        The figure of the default settings (closed; chapters can assert on what it shows).
    """
    import ipywidgets as widgets
    from IPython.display import display

    _check_controls(controls)
    mode = widget_mode() if mode is None else mode
    if mode not in MODES:
        raise ValueError(f"explore() mode {mode!r} is not valid; valid: {', '.join(MODES)}")
    keys = list(controls)
    values = {key: option_values(c) for key, c in controls.items()}
    default_indices = tuple(c.index for c in controls.values())

    def settings(indices: Sequence[int]) -> dict[str, Any]:
        return {key: values[key][i] for key, i in zip(keys, indices)}

    def draw(indices: Sequence[int]) -> tuple[Figure, float]:
        start = time.perf_counter()
        figure = run(**settings(indices))
        seconds = time.perf_counter() - start
        plt.close(figure)
        return figure, seconds

    panel = widgets.HBox(list(controls.values()))
    if mode == "static":
        images, times = {}, []
        default_figure = None
        for indices in itertools.product(*(range(len(values[k])) for k in keys)):
            figure, seconds = draw(indices)
            times.append(seconds)
            if indices == default_indices:
                default_figure = figure
            text = alt(**settings(indices)) if callable(alt) else alt
            state = describe_state(controls, indices)
            images[indices] = _image(figure_png(figure), f"{text} ({state})".strip())
        status = _status(
            f"<i>Figures precomputed when the book was built, for {html.escape(describe_grid(controls))} "
            f"({len(images)} runs, {sum(times) / len(times):.1f} s each on average); moving a control "
            "switches between them. Open the chapter in Jupyter to rerun the experiment live.</i>"
        )
        display(widgets.VBox([panel, status, _nested_stack(images, list(controls.values()), ())]))
        return default_figure

    out = widgets.Output()
    status = _status("")

    def show(indices: Sequence[int]) -> Figure:
        status.value = f"<i>running {html.escape(describe_state(controls, indices))} …</i>"
        with out:
            out.clear_output(wait=True)
            figure, seconds = draw(indices)
            display(figure)
        status.value = f"<i>ran {html.escape(describe_state(controls, indices))} in {seconds:.1f} s</i>"
        return figure

    for control in controls.values():
        control.observe(lambda _: show(tuple(c.index for c in controls.values())), names="index")
    display(widgets.VBox([panel, status, out]))
    return show(default_indices)
