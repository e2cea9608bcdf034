"""Kill-and-resume and the divergence guard: what survives an interruption, and what a bad step keeps.

Bit-identical comparisons are only between runs of the same code path on the same machine.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from glassnet import nn, optim, train
from glassnet.cli import main
from glassnet.data import make_spirals
from glassnet.io import load
from glassnet.io.state import load_state
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


# ----------------------------------------------------------------------------- the divergence guard
def _moons_net(seed: int = 0) -> nn.Sequential:
    rng = np.random.default_rng(seed)
    return nn.Sequential(nn.Linear(2, 16, generator=rng), nn.Tanh(), nn.Linear(16, 2, generator=rng))


def _guarded_fit(net: nn.Module, opt: optim.Optimizer, epochs: int, **kwargs: object) -> train.History:
    X, y = make_spirals(128, seed=1)
    options = {"batch_size": 16, "seed": 0, "verbose": 0} | kwargs
    return train.fit(net, nn.CrossEntropyLoss(), opt, X, y, epochs=epochs, **options)  # type: ignore[arg-type]


def test_sgd_that_blows_the_weights_up_keeps_the_weights_before_it() -> None:
    net = _moons_net()
    start = {k: v.array.copy() for k, v in net.state_dict().items()}
    history = _guarded_fit(net, optim.SGD(net.parameters(), lr=1e30), epochs=3)
    assert history.stop_reason.startswith("the loss became"), history.stop_reason
    assert len(history) == 0  # nothing of the diverged epoch is recorded
    for name, value in net.state_dict().items():  # the state at the start of epoch 1: finite, untouched
        assert np.array_equal(value.array, start[name]), name


def test_adam_whose_loss_grows_by_orders_of_magnitude_stops_and_keeps_the_last_good_epoch() -> None:
    def blow_up(run: train.Run, logs: dict[str, float]) -> None:
        if run.epoch == 1:
            run.optimizer.param_groups[0]["lr"] = 1e6  # epoch 3 diverges: loss ~1e12, finite weights

    good = _moons_net()
    good_opt = optim.Adam(good.parameters(), lr=0.01)
    _guarded_fit(good, good_opt, epochs=2)
    net = _moons_net()
    opt = optim.Adam(net.parameters(), lr=0.01)
    history = _guarded_fit(net, opt, epochs=6, callbacks=[train.LambdaCallback(on_epoch_end=blow_up)])
    assert "the loss became" in history.stop_reason and "epoch 3" in history.stop_reason, history.stop_reason
    assert len(history) == 2  # epochs 1 and 2; nothing of epoch 3
    for (name, a), (_, b) in zip(good.named_parameters(), net.named_parameters(), strict=True):
        assert np.array_equal(a.array, b.array), name  # the weights after epoch 2, bit for bit
    for a, b in zip(good_opt.state.values(), opt.state.values(), strict=True):
        assert a["step"] == b["step"] and np.array_equal(a["exp_avg_sq"], b["exp_avg_sq"])
    assert opt.param_groups[0]["lr"] == 1e6  # the options as the callback set them; the buffers restored


def test_weights_beyond_the_overflow_bound_stop_training_after_the_epoch() -> None:
    bound = float(np.sqrt(np.finfo(np.float32).max))

    def push(run: train.Run, logs: dict[str, float]) -> None:
        run.optimizer.param_groups[0]["lr"] = 1e25  # one step takes the weights beyond 1.8e19

    net = _moons_net()
    opt = optim.SGD(net.parameters(), lr=0.1)
    history = _guarded_fit(net, opt, epochs=2, batch_size=128,  # one step per epoch
                           callbacks=[train.LambdaCallback(on_epoch_end=push)])
    assert "the weights became" in history.stop_reason, history.stop_reason
    assert len(history) == 1
    assert all(np.abs(p.array).max() < bound for p in net.parameters())


# ----------------------------------------------------------------------------- the CLI: no silent failure
def _cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def test_a_run_ending_with_non_finite_metrics_fails_with_one_line_even_when_quiet(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))  # (60, 3)
    y = X @ np.array([1.0, 2.0, 3.0]) * 1e30  # (60,): finite in float32, its square is not
    data = tmp_path / "huge.csv"
    np.savetxt(data, np.c_[X, y], delimiter=",", header="a,b,c,y", comments="")
    code, _, err = _cli(["train", "--data", str(data), "--target", "y", "--layers", "4", "--epochs", "3",
                         "--no-report", "-q", "--out", str(tmp_path / "run")])
    assert code != 0
    assert err.count("\n") == 1 and err.startswith("glassnet: error: training diverged: the loss became inf")
    assert "Test metrics not finite: loss inf" in err and "r2 nan" in err
    assert "without growing first" in err and "check the data" in err and "--lr" not in err  # not the lr
    assert not (tmp_path / "run" / "model.safetensors").exists()  # no untrained model left as the result


_TRAIN = ["train", "--data", "moons", "--layers", "8", "--dropout", "0.1", "--epochs", "30",
          "--early-stopping", "0", "--no-report", "-q"]


def test_a_killed_cli_run_resumes_to_the_model_of_an_uninterrupted_one(tmp_path: Path) -> None:
    killed = tmp_path / "killed"
    checkpoint = killed / "checkpoint.safetensors"
    process = subprocess.Popen([sys.executable, "-m", "glassnet", *_TRAIN, "--out", str(killed)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not checkpoint.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    assert process.poll() is None, "the run ended before its first checkpoint appeared"
    process.kill()  # SIGKILL: nothing runs after it
    process.communicate(timeout=30)
    assert not (killed / "model.safetensors").exists()
    assert 1 <= load_state(checkpoint)["epochs_done"] < 30  # the kill landed mid-run
    code, _, err = _cli(["train", "--resume", str(killed), "-q"])
    assert code == 0, err
    code, _, err = _cli([*_TRAIN, "--out", str(tmp_path / "whole")])
    assert code == 0, err
    resumed, whole = load(killed / "model.safetensors"), load(tmp_path / "whole" / "model.safetensors")
    for (name, a), (_, b) in zip(resumed.model.state_dict().items(), whole.model.state_dict().items(),
                                 strict=True):
        assert np.array_equal(a.array, b.array), name
    history, expected = resumed.history["history"], whole.history["history"]
    assert history.keys() == expected.keys() and len(history["loss"]) == 30
    for key in history:  # not the times, nor how many steps replayed (a resumed run records anew)
        if key != "time" and not key.startswith("steps/"):
            assert np.array_equal(history[key], expected[key], equal_nan=True), key


def test_resume_refuses_a_finished_run_other_options_and_a_bare_folder(tmp_path: Path) -> None:
    code, _, err = _cli(["train", "--data", "moons", "--layers", "4", "--epochs", "2", "--no-report", "-q",
                         "--out", str(tmp_path / "done")])
    assert code == 0, err
    cases = {("--resume", str(tmp_path / "done")): "has finished",
             ("--resume", str(tmp_path / "done"), "--lr", "0.1"): "drop --lr",
             ("--resume", str(tmp_path)): "it has no settings.json"}
    for argv, message in cases.items():
        code, _, err = _cli(["train", *argv])
        assert code == 2 and err.count("\n") == 1 and message in err, err


def test_a_run_killed_after_early_stopping_triggered_ends_there_when_resumed(tmp_path: Path) -> None:
    def run(resume: bool) -> tuple[nn.Module, train.History]:
        net = _moons_net(3)
        callbacks = [train.EarlyStopping(monitor="loss", patience=0, min_delta=0.05),
                     train.ModelCheckpoint(tmp_path / "c.safetensors")]
        history = _guarded_fit(net, optim.Adam(net.parameters(), lr=0.01), epochs=40, callbacks=callbacks,
                               resume_from=str(tmp_path / "c.safetensors") if resume else None)
        return net, history

    whole, history = run(resume=False)  # the last checkpoint is of the epoch that stopped it
    assert "early stopping" in history.stop_reason and len(history) < 40
    resumed, again = run(resume=True)
    assert again.stop_reason == history.stop_reason and again["loss"] == history["loss"]
    for (name, a), (_, b) in zip(whole.named_parameters(), resumed.named_parameters(), strict=True):
        assert np.array_equal(a.array, b.array), name  # the best weights, restored at the end
