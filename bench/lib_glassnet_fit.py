"""glassnet through its own API for the training cases: one ``glassnet.fit`` call per epoch.

The network, weights, optimizer and shuffling are lib_glassnet's; only the loop differs (see
``lib_glassnet.FitTrainer``). Inference is lib_glassnet's too.
"""

from __future__ import annotations

from lib_glassnet import FitTrainer as Trainer
from lib_glassnet import predictor

__all__ = ["Trainer", "predictor"]
