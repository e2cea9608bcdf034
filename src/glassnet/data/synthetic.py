"""Synthetic data sets with explicit sizes and seeds: the classic toy problems of neural networks."""

from __future__ import annotations

import numpy as np

__all__ = ["make_sine", "make_spirals", "make_xor"]

Seed = int | np.random.Generator | None


def _rng(seed: Seed) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


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
