"""Synthetic data sets with explicit sizes and seeds: the classic toy problems of neural networks."""

from __future__ import annotations

import numpy as np

from glassnet.data.dataset import Seed, _rng
from glassnet.errors import GlassnetError

__all__ = ["make_blobs", "make_circles", "make_friedman", "make_moons", "make_sine", "make_spirals",
           "make_xor"]


def make_xor(n_samples: int = 200, noise: float = 0.1, seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """XOR: points near the four corners of the unit square; class 1 where exactly one coordinate is 1.

    Not linearly separable, so a network needs a hidden layer to solve it.

    Returns:
        X of shape (n_samples, 2), float32; y of shape (n_samples,), int64 in {0, 1}.

    >>> X, y = make_xor(8, noise=0.0)
    >>> X.shape, sorted(set(y.tolist()))
    ((8, 2), [0, 1])
    """
    rng = _rng(seed)
    corners = rng.integers(0, 2, size=(n_samples, 2))  # (n_samples, 2) in {0, 1}
    X = corners + noise * rng.standard_normal((n_samples, 2))
    y = corners[:, 0] ^ corners[:, 1]
    return X.astype(np.float32), y.astype(np.int64)


def make_spirals(n_samples: int = 400, n_arms: int = 2, noise: float = 0.2, turns: float = 1.5,
                 seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spirals, one arm per class: r = t, θ = 2π·turns·t/t_max + 2πk/n_arms.

    Returns:
        X of shape (n_samples, 2), float32, roughly in [-1, 1]; y of shape (n_samples,), int64.

    >>> X, y = make_spirals(6, n_arms=3, seed=0)
    >>> X.shape, y.tolist()
    ((6, 2), [0, 0, 1, 1, 2, 2])
    """
    rng = _rng(seed)
    y = np.repeat(np.arange(n_arms), int(np.ceil(n_samples / n_arms)))[:n_samples]
    t = rng.uniform(0.05, 1.0, size=n_samples)  # radius, (n_samples,)
    theta = 2 * np.pi * turns * t + 2 * np.pi * y / n_arms
    X = np.stack([t * np.cos(theta), t * np.sin(theta)], axis=1)  # (n_samples, 2)
    X += noise * 0.1 * rng.standard_normal(X.shape)
    return X.astype(np.float32), y.astype(np.int64)


def make_sine(n_samples: int = 200, noise: float = 0.05, seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """Regression of y = sin(x) + noise for x uniform in [-π, π].

    Returns:
        X of shape (n_samples, 1) and y of shape (n_samples, 1), both float32.

    >>> X, y = make_sine(5)
    >>> X.shape, y.shape
    ((5, 1), (5, 1))
    """
    rng = _rng(seed)
    X = rng.uniform(-np.pi, np.pi, size=(n_samples, 1))
    y = np.sin(X) + noise * rng.standard_normal(X.shape)
    return X.astype(np.float32), y.astype(np.float32)


def _check_n_samples(n_samples: int, at_least: int, name: str) -> None:
    if not isinstance(n_samples, int | np.integer) or n_samples < at_least:
        raise GlassnetError(f"{name}: n_samples must be an integer ≥ {at_least}, got {n_samples!r}")


def make_moons(n_samples: int = 200, noise: float = 0.1, seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: (cos t, sin t) and (1 - cos t, 1/2 - sin t) for t in [0, π].

    The first n_samples // 2 points are class 0 (upper moon), the rest class 1; with noise=0 the
    points equal scikit-learn's ``make_moons(shuffle=False)``. Noise is Gaussian with std ``noise``.

    Returns:
        X of shape (n_samples, 2), float32; y of shape (n_samples,), int64 in {0, 1}.

    >>> X, y = make_moons(4, noise=0.0)
    >>> X.round(3).tolist(), y.tolist()
    ([[1.0, 0.0], [-1.0, 0.0], [0.0, 0.5], [2.0, 0.5]], [0, 0, 1, 1])
    """
    _check_n_samples(n_samples, 2, "make_moons")
    rng = _rng(seed)
    n_out = n_samples // 2
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_samples - n_out)
    x1 = np.concatenate([np.cos(t_out), 1 - np.cos(t_in)])
    x2 = np.concatenate([np.sin(t_out), 1 - np.sin(t_in) - 0.5])
    X = np.stack([x1, x2], axis=1) + noise * rng.standard_normal((n_samples, 2))  # (n_samples, 2)
    y = np.repeat([0, 1], [n_out, n_samples - n_out])
    return X.astype(np.float32), y.astype(np.int64)


def make_circles(n_samples: int = 200, noise: float = 0.05, factor: float = 0.5,
                 seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """A small circle (class 1, radius ``factor``) inside a unit circle (class 0), points evenly spaced.

    With noise=0 the points equal scikit-learn's ``make_circles(shuffle=False)``.

    Returns:
        X of shape (n_samples, 2), float32; y of shape (n_samples,), int64 in {0, 1}.

    >>> X, y = make_circles(4, noise=0.0, factor=0.5)
    >>> np.linalg.norm(X, axis=1).round(3).tolist(), y.tolist()
    ([1.0, 1.0, 0.5, 0.5], [0, 0, 1, 1])
    """
    _check_n_samples(n_samples, 2, "make_circles")
    if not 0 < factor < 1:
        raise GlassnetError(f"make_circles: factor is the inner radius; expected 0 < factor < 1, "
                            f"got {factor}")
    rng = _rng(seed)
    n_out = n_samples // 2
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_samples - n_out, endpoint=False)
    x1 = np.concatenate([np.cos(t_out), factor * np.cos(t_in)])
    x2 = np.concatenate([np.sin(t_out), factor * np.sin(t_in)])
    X = np.stack([x1, x2], axis=1) + noise * rng.standard_normal((n_samples, 2))  # (n_samples, 2)
    y = np.repeat([0, 1], [n_out, n_samples - n_out])
    return X.astype(np.float32), y.astype(np.int64)


def make_blobs(n_samples: int = 200, n_features: int = 2, centers: int | np.ndarray = 3,
               cluster_std: float = 1.0, center_box: tuple[float, float] = (-10.0, 10.0),
               seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic Gaussian clusters, one per class: x = c_k + cluster_std · N(0, I).

    Args:
        centers: the number of classes k (centers drawn uniformly from ``center_box``) or an array of
            shape (k, n_features) of the centers themselves.

    Returns:
        X of shape (n_samples, n_features), float32; y of shape (n_samples,), int64 in 0..k-1,
        sorted by class, the first n_samples % k classes one sample larger.

    >>> X, y = make_blobs(7, centers=np.array([[0.0, 0.0], [5.0, 5.0]]), cluster_std=0.0)
    >>> X[[0, -1]].tolist(), np.bincount(y).tolist()
    ([[0.0, 0.0], [5.0, 5.0]], [4, 3])
    """
    rng = _rng(seed)
    if isinstance(centers, int | np.integer):
        C = rng.uniform(center_box[0], center_box[1], size=(int(centers), n_features))  # (k, n_features)
    else:
        C = np.asarray(centers, dtype=np.float64)
        if C.ndim != 2 or C.shape[1] != n_features:
            raise GlassnetError(f"make_blobs: centers of shape {C.shape} do not match "
                                f"n_features={n_features}; expected an int or an array (k, n_features)")
    k = C.shape[0]
    _check_n_samples(n_samples, max(k, 1), "make_blobs")
    sizes = np.full(k, n_samples // k) + (np.arange(k) < n_samples % k)
    y = np.repeat(np.arange(k), sizes)  # (n_samples,)
    X = C[y] + cluster_std * rng.standard_normal((n_samples, n_features))  # (n_samples, n_features)
    return X.astype(np.float32), y.astype(np.int64)


def make_friedman(n_samples: int = 200, n_features: int = 10, noise: float = 0.0,
                  seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """Friedman #1 regression: y = 10 sin(π x₁x₂) + 20 (x₃ - 1/2)² + 10 x₄ + 5 x₅ + noise · N(0, 1).

    The features are uniform on [0, 1]; only the first five matter, the rest are distractors
    (Friedman 1991, "Multivariate adaptive regression splines", Ann. Statist. 19(1), eq. 51).

    Returns:
        X of shape (n_samples, n_features), float32; y of shape (n_samples, 1), float32.

    >>> X, y = make_friedman(3, n_features=5)
    >>> X.shape, y.shape
    ((3, 5), (3, 1))
    """
    if n_features < 5:
        raise GlassnetError(f"make_friedman: Friedman #1 uses five features, got n_features={n_features}; "
                            "pass n_features >= 5")
    _check_n_samples(n_samples, 1, "make_friedman")
    rng = _rng(seed)
    X = rng.uniform(size=(n_samples, n_features))  # (n_samples, n_features)
    x1, x2, x3, x4, x5 = X[:, :5].T
    y = 10 * np.sin(np.pi * x1 * x2) + 20 * (x3 - 0.5) ** 2 + 10 * x4 + 5 * x5
    y = y + noise * rng.standard_normal(n_samples)  # (n_samples,)
    return X.astype(np.float32), y[:, None].astype(np.float32)
