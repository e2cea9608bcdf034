"""The one exception hierarchy of glassnet: everything raised for a user's mistake is a GlassnetError."""

from __future__ import annotations

__all__ = ["GlassnetError", "GradcheckError", "ShapeError"]


class GlassnetError(Exception):
    """Base class of every error glassnet raises on purpose.

    Messages say what happened, what was expected and how to fix it.
    """


class ShapeError(GlassnetError, ValueError):
    """An array has a shape the operation cannot use."""


class GradcheckError(GlassnetError, AssertionError):
    """Backward disagrees with finite differences; the message names input, index and both values."""
