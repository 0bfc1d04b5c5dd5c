"""``Normalize(D, c)``: rescale ``D`` to norm ``c`` when its norm reaches ``c`` ([LRA18])."""

from __future__ import annotations

from lra_edu.backend import Array, xp_of


def normalize(d: Array, c: float | None, axes: tuple[int, ...] = (-2, -1)) -> Array:
    """Return ``c * D / ||D||`` where ``||D|| >= c``, else ``D``.

    Parameters
    ----------
    d : array
        The update or displacement.
    c : float or None
        The norm cap; ``None`` (or ``inf``) disables normalisation.
    axes : tuple of int
        Axes the norm runs over. ``(-2, -1)`` is the Frobenius norm of a matrix (a
        weight update, or a whole mini-batch of displacements); ``(-1,)`` is the L2
        norm of a vector (a bias update, or each sample's displacement separately).
        Leading axes (an ensemble of networks) are normalised independently.
    """
    if c is None or c == float("inf"):
        return d
    if c <= 0:
        raise ValueError(f"the norm cap c must be positive (got {c}); use None to disable")
    xp = xp_of(d)
    if d.ndim == len(axes):  # one tensor: a BLAS dot product and one scaling pass
        norm = float(xp.sqrt(xp.vdot(d.ravel(), d.ravel())))
        return d * d.dtype.type(c / norm) if norm >= c else d
    norm = xp.sqrt(xp.square(d).sum(axis=axes, keepdims=True))
    if not bool((norm >= c).any()):
        return d
    scale = xp.where(norm >= c, c / xp.maximum(norm, 1e-30), 1.0)
    return d * scale.astype(d.dtype)
