"""Data: synthetic data sets (more loaders come with the training workflow)."""

from glassnet.data.synthetic import make_sine, make_spirals, make_xor

__all__ = ["make_sine", "make_spirals", "make_xor"]
