"""Optimizers and learning-rate schedules (placeholder, being written)."""

__all__: list[str] = []
