"""The training workflow: fit, evaluate, predict, History and callbacks."""

from glassnet.train.callbacks import (
    Callback,
    EarlyStopping,
    HistoryLogger,
    LambdaCallback,
    LRSchedulerCallback,
    ModelCheckpoint,
)  # fmt: skip
from glassnet.train.diagnostics import Diagnostics, DiagnosticWarning
from glassnet.train.history import History
from glassnet.train.loop import evaluate, fit, predict
from glassnet.train.progress import ProgressBar
from glassnet.train.run import Run
from glassnet.train.sentinel import TerminateOnNaN

__all__ = [
    "Callback", "DiagnosticWarning", "Diagnostics", "EarlyStopping", "History", "HistoryLogger",
    "LRSchedulerCallback", "LambdaCallback", "ModelCheckpoint", "ProgressBar", "Run", "TerminateOnNaN",
    "evaluate", "fit", "predict",
]  # fmt: skip
