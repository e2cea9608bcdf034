"""Progress: a bar per epoch on a terminal, one line per epoch anywhere else."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from glassnet.errors import GlassnetError
from glassnet.train.callbacks import Callback, Logs
from glassnet.train.run import Run

__all__ = ["ProgressBar", "format_logs"]

_WIDTH = 24


def format_logs(logs: Logs) -> str:
    """``loss 0.1234  accuracy 0.9700  ...`` in a stable order: losses first, then the rest."""
    order = sorted(logs, key=lambda k: (k.startswith("val_"), k not in ("loss", "val_loss"), k))
    shown = [k for k in order if k not in ("time", "lr") and "/" not in k]  # not per-layer norms
    parts = [f"{k} {logs[k]:.4f}" for k in shown]
    if "lr" in logs:
        parts.append(f"lr {logs['lr']:.3g}")
    return "  ".join(parts)


class ProgressBar(Callback):
    """Show training progress: batches, running loss and ETA, then the epoch's logs and warnings.

    Each diagnostic warning raised after an epoch is printed under its line, prefixed "warning:".

    Args:
        verbose: 1 a live bar on a terminal (one line per epoch when the output is not a
            terminal), 2 one line per epoch, 0 nothing.
        file: where to write (standard output by default).
    """

    changes_model = False
    writes = True

    def __init__(self, verbose: int = 1, file: TextIO | None = None) -> None:
        if isinstance(verbose, bool) or verbose not in (0, 1, 2):
            raise GlassnetError(f"ProgressBar got verbose={verbose!r}; expected 0 (silent), 1 (progress "
                                "bar) or 2 (one line per epoch)")
        self.verbose, self.file = verbose, file or sys.stdout
        self.live = verbose == 1 and self.file.isatty()
        self._start = self._shown = 0.0

    def on_epoch_begin(self, run: Run) -> None:
        self._start = self._shown = time.perf_counter()

    def on_batch_end(self, run: Run, logs: Logs) -> None:
        now = time.perf_counter()
        if not self.live or now - self._shown < 0.1:
            return
        self._shown = now
        done, total = run.batch + 1, run.steps_per_epoch
        filled = _WIDTH * done // total
        eta = (now - self._start) / done * (total - done)
        bar = "=" * filled + (">" if filled < _WIDTH else "") + " " * (_WIDTH - filled - 1)
        self.file.write(f"\r{_epoch(run)} [{bar}] {done}/{total}  loss {logs['loss']:.4f}  ETA {eta:.0f} s ")
        self.file.flush()

    def on_epoch_end(self, run: Run, logs: Logs) -> None:
        if self.verbose == 0:
            return
        seconds = logs["time"]
        took = f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"
        line = f"{_epoch(run)}  {format_logs(logs)}  ({took})"
        self.file.write(f"\r{line}\x1b[K\n" if self.live else f"{line}\n")  # \x1b[K: clear the bar
        for warning in run.history.warnings:
            if warning.epoch == run.epoch:
                self.file.write(f"warning: {warning}\n")
        self.file.flush()

    def on_train_end(self, run: Run) -> None:
        if self.verbose and run.stop_reason:
            self.file.write(f"stopped: {run.stop_reason}\n")
            self.file.flush()


def _epoch(run: Run) -> str:
    width = len(str(run.epochs))
    return f"epoch {run.epoch + 1:>{width}}/{run.epochs}"
