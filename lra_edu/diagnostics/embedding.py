"""Hidden representations in two dimensions (t-SNE), and how well they separate the classes."""

from __future__ import annotations

import numpy

from lra_edu.backend import Array, to_numpy


def tsne_embedding(
    features: Array, seed: int = 0, perplexity: float = 30.0, iterations: int = 500
) -> numpy.ndarray:
    """A 2-D t-SNE embedding (scikit-learn, Barnes-Hut, PCA start) of ``features`` of shape ``(N, d)``."""
    from sklearn.manifold import TSNE

    x = numpy.asarray(to_numpy(features), dtype=numpy.float64)
    if x.ndim != 2 or x.shape[0] < 3:
        raise ValueError(f"features must have shape (N, d) with N >= 3, got {x.shape}")
    kwargs = {"n_components": 2, "perplexity": min(perplexity, (x.shape[0] - 1) / 3), "init": "pca"}
    try:  # scikit-learn >= 1.5 calls the iteration count max_iter, older versions n_iter
        tsne = TSNE(**kwargs, random_state=seed, max_iter=max(iterations, 250))
    except TypeError:
        tsne = TSNE(**kwargs, random_state=seed, n_iter=max(iterations, 250))
    return tsne.fit_transform(x)


def class_separation(points: Array, labels: Array) -> float:
    """Between-class over total variance of ``points`` (0: classes mixed, 1: fully separated)."""
    p = numpy.asarray(to_numpy(points), dtype=numpy.float64)
    y = numpy.asarray(to_numpy(labels)).astype(int).ravel()
    centred = p - p.mean(axis=0)
    total = float((centred**2).sum())
    if total == 0:
        return 0.0
    between = sum(
        float((y == c).sum() * ((p[y == c].mean(axis=0) - p.mean(axis=0)) ** 2).sum())
        for c in numpy.unique(y)
    )
    return between / total
