"""Randomness: explicit generators, and the one default generator that ``manual_seed`` seeds.

Everything random in glassnet (factories such as ``gn.randn``, layer initialization, dropout,
shuffling) takes a ``generator``: a seed, a NumPy ``Generator``, or a ``gn.Generator``. Where none
is given it draws from the default generator, which ``gn.manual_seed(seed)`` resets, as in
PyTorch: ``gn.manual_seed(0)`` then the same program gives the same numbers. An explicit seed or
generator always wins. The numbers differ from PyTorch's (glassnet draws with NumPy's PCG64).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet.errors import GlassnetError

__all__ = ["Generator", "as_generator", "default_generator", "initial_seed", "manual_seed", "seed"]


class Generator:
    """PyTorch's ``torch.Generator`` as a holder of a NumPy Generator: ``gn.Generator().manual_seed(42)``.

    >>> import glassnet as gn
    >>> a = gn.Generator().manual_seed(1).rng.random()
    >>> b = gn.Generator().manual_seed(1).rng.random()
    >>> a == b
    True
    """

    __slots__ = ("_seed", "rng")

    def __init__(self, device: Any = "cpu") -> None:
        from glassnet.engine.devices import as_device

        as_device(device)
        self._seed = int(np.random.SeedSequence().entropy) % 2**63  # type: ignore[arg-type]
        self.rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> Generator:
        """Restart from ``seed``, in place (whoever holds ``rng`` sees the new stream); returns self."""
        self._seed = int(seed)
        self.rng.bit_generator.state = np.random.default_rng(self._seed).bit_generator.state
        return self

    def seed(self) -> int:
        """Restart from a fresh seed from the OS; returns it."""
        return self.manual_seed(int(np.random.SeedSequence().entropy) % 2**63)._seed  # type: ignore[arg-type]

    def initial_seed(self) -> int:
        return self._seed


_DEFAULT = Generator()


def default_generator() -> Generator:
    """The generator used where none is given."""
    return _DEFAULT


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (used by factories and layer initialization where no generator
    is given); returns it. An explicit ``generator=`` still wins.

    >>> import glassnet as gn
    >>> _ = gn.manual_seed(0); a = gn.randn(3)
    >>> _ = gn.manual_seed(0); b = gn.randn(3)
    >>> bool((a == b).all())
    True
    """
    return _DEFAULT.manual_seed(seed)


def seed() -> int:
    """Seed the default generator from the OS; returns the seed."""
    return _DEFAULT.seed()


def initial_seed() -> int:
    """The seed the default generator started from."""
    return _DEFAULT.initial_seed()


def as_generator(generator: int | np.random.Generator | Generator | None,
                 name: str = "generator") -> np.random.Generator:
    """A NumPy Generator from a seed, a NumPy Generator (used as is), a ``gn.Generator`` (its
    stream), or None (the default generator that ``manual_seed`` seeds); anything else is refused
    with an error naming the argument ``name``."""
    if isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, Generator):
        return generator.rng
    if generator is None:
        return _DEFAULT.rng
    try:
        if isinstance(generator, bool):
            raise TypeError("a bool is not a seed")
        return np.random.default_rng(generator)
    except (TypeError, ValueError):
        raise GlassnetError(f"{name}={generator!r} is not a seed: expected a whole number >= 0, a NumPy "
                            "Generator, a gn.Generator or None") from None
