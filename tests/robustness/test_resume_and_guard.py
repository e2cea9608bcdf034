"""Kill-and-resume and the divergence guard: what survives an interruption, and what a bad step keeps.

Bit-identical comparisons are only between runs of the same code path on the same machine.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from glassnet import nn, optim, train
from glassnet.data import make_spirals
from glassnet.optim import lr_scheduler


# ----------------------------------------------------------------------------- resume, any callback order
def _scheduled_run(epochs: int, path: Path, resume: bool, checkpoint_first: bool
                   ) -> tuple[nn.Module, train.History]:
    X, y = make_spirals(120, seed=3)
    rng = np.random.default_rng(5)
    net = nn.Sequential(nn.Linear(2, 12, generator=rng), nn.Tanh(), nn.Dropout(0.2, generator=rng),
                        nn.Linear(12, 2, generator=rng))
    opt = optim.Adam(net.parameters(), lr=0.01)
    schedule = train.LRSchedulerCallback(lr_scheduler.StepLR(opt, step_size=2, gamma=0.5))
    stopping, checkpoint = train.EarlyStopping(patience=50), train.ModelCheckpoint(path)
    callbacks = [checkpoint, schedule, stopping] if checkpoint_first else [schedule, stopping, checkpoint]
    history = train.fit(net, nn.CrossEntropyLoss(), opt, X, y, epochs=epochs, batch_size=16,
                        validation_split=0.2, callbacks=callbacks, seed=11, verbose=0,
                        resume_from=str(path) if resume else None)
    return net, history


@pytest.mark.parametrize("checkpoint_first", [True, False], ids=["checkpoint-first", "checkpoint-last"])
def test_resume_is_bit_identical_in_any_callback_order(tmp_path: Path, checkpoint_first: bool) -> None:
    whole, whole_history = _scheduled_run(5, tmp_path / "whole.safetensors", False, checkpoint_first)
    _scheduled_run(3, tmp_path / "part.safetensors", False, checkpoint_first)  # killed after epoch 3
    resumed, resumed_history = _scheduled_run(5, tmp_path / "part.safetensors", True, checkpoint_first)
    for (name, a), (_, b) in zip(whole.named_parameters(), resumed.named_parameters(), strict=True):
        assert np.array_equal(a.array, b.array), name
    assert resumed_history["lr"] == [0.01, 0.01, 0.005, 0.005, 0.0025]  # the lr each epoch used
    for key in ("loss", "val_loss", "lr"):
        assert whole_history[key] == resumed_history[key], key
