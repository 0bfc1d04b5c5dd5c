"""Progress bars for a person who is watching: a widget in JupyterLab, text on a terminal.

``progress="auto"`` (the default of :func:`lra_edu.train.train` and
:func:`lra_edu.ensemble.train_ensemble`) shows a bar only where someone watches the run:
in a kernel that a Jupyter server started (JupyterLab, Notebook), where tqdm draws an
ipywidgets bar, or on a terminal. The book build and the tests execute chapters in
kernels that no server started, so their pages and logs carry no bars. An automatic bar
appears once a run has lasted :data:`DELAY` seconds (short runs stay quiet) and goes
away when the run ends.
"""

from __future__ import annotations

import os
import sys
from typing import Any

DELAY = 1.0


def watched() -> bool:
    """Whether a person watches this process: a kernel a Jupyter server started, or a terminal."""
    # jupyter_server sets JPY_SESSION_NAME for the kernels it starts (JupyterLab, Notebook).
    if os.environ.get("JPY_SESSION_NAME"):
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # no stderr, or a closed one
        return False


def progress_bar(total: int, desc: str, enabled: bool | str = "auto") -> Any | None:
    """A tqdm bar over ``total`` steps, or ``None`` when no bar is wanted.

    Parameters
    ----------
    total : int
        Number of steps (``bar.update(1)`` per step).
    desc : str
        Label shown before the bar.
    enabled : True, False or "auto"
        Always, never, or when :func:`watched` (after :data:`DELAY` seconds).
    """
    if not (enabled is True or enabled is False or enabled == "auto"):
        raise ValueError(f"progress={enabled!r} is not valid; valid: True, False, 'auto'")
    if enabled is False or (enabled == "auto" and not watched()):
        return None
    from tqdm.auto import tqdm

    delay = DELAY if enabled == "auto" else 0.0
    return tqdm(total=total, desc=desc, leave=False, dynamic_ncols=True, delay=delay)
