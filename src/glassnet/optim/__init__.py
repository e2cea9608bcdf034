"""Optimizers and learning-rate schedules, with PyTorch's names, arguments and update rules.

Each optimizer computes an update direction u from the gradient with the small rules in
``glassnet.optim.rules`` and takes the step θ ← θ − lr·u. ``OPTIMIZERS`` is the registry of
optimizers by name; ``glassnet.optim.lr_scheduler`` holds the schedules (``SCHEDULERS``).

>>> import numpy as np, glassnet as gn
>>> w = gn.nn.Parameter(np.array([3.0]))
>>> opt = gn.optim.OPTIMIZERS["sgd"]([w], lr=0.5)
>>> loss = (w * w).sum()          # f(w) = w², ∇f = 2w = 6
>>> loss.backward()
>>> opt.step()                    # w ← 3 − 0.5·6
>>> w.array
array([0.])
"""

from glassnet.optim import lr_scheduler, rules
from glassnet.optim.adam import Adam, Adamax, AdamW, NAdam, RAdam
from glassnet.optim.optimizer import Optimizer
from glassnet.optim.sgd import SGD, Adagrad, RMSprop
from glassnet.registry import Registry

OPTIMIZERS: Registry[type[Optimizer]] = Registry("optimizer")
"""Every optimizer by name; each takes ``lr`` and ``weight_decay``."""
for _name, _cls in (("sgd", SGD), ("adam", Adam), ("adamw", AdamW), ("rmsprop", RMSprop),
                    ("adagrad", Adagrad), ("adamax", Adamax), ("nadam", NAdam), ("radam", RAdam)):
    OPTIMIZERS.register(_name, _cls)
OPTIMIZERS.seal()

__all__ = [
    "OPTIMIZERS", "SGD", "Adagrad", "Adam", "AdamW", "Adamax", "NAdam", "Optimizer", "RAdam",
    "RMSprop", "lr_scheduler", "rules",
]  # fmt: skip
