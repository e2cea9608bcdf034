"""Utilities under PyTorch's names: ``glassnet.utils.data`` is ``torch.utils.data``."""

from glassnet.utils import data

__all__ = ["data"]
