"""fit, evaluate, predict, History and every callback."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim, train
from glassnet.data import make_moons, make_spirals, make_xor
from glassnet.errors import GlassnetError
from glassnet.optim import lr_scheduler
from glassnet.regularizers import L1, L2
from glassnet.utils.data import DataLoader, TensorDataset


def _net(seed: int = 0, dropout: float = 0.0, n_out: int = 2) -> nn.Sequential:
    rng = np.random.default_rng(seed)
    layers: list[nn.Module] = [nn.Linear(2, 16, generator=rng), nn.Tanh()]
    if dropout:
        layers.append(nn.Dropout(dropout, generator=rng))
    return nn.Sequential(*layers, nn.Linear(16, n_out, generator=rng))


def _fit(net: nn.Module, X: np.ndarray, y: np.ndarray, **kwargs: object) -> train.History:
    opt = kwargs.pop("optimizer", None) or optim.Adam(net.parameters(), lr=0.02)
    options = {"epochs": 5, "batch_size": 32, "verbose": 0, "seed": 0} | kwargs
    return train.fit(net, nn.CrossEntropyLoss(), opt, X, y, **options)  # type: ignore[arg-type]


def test_fit_learns_and_records_every_quantity() -> None:
    X, y = make_moons(300, noise=0.1, seed=0)
    net = _net()
    history = _fit(net, X, y, epochs=60, validation_split=0.2, metrics=["accuracy"],
                   regularizer=[L1(1e-4), L2(1e-4)])
    assert len(history) == 60 and history.epoch == list(range(60))
    for key in ("loss", "data_loss", "penalty_l1", "penalty_l2", "accuracy", "val_loss", "val_accuracy",
                "lr", "time"):
        assert len(history[key]) == 60, key
    assert history["accuracy"][-1] > 0.9 and history["val_accuracy"][-1] > 0.85
    total = np.array(history["data_loss"]) + history["penalty_l1"] + np.array(history["penalty_l2"])
    np.testing.assert_allclose(history["loss"], total, rtol=1e-5)  # penalties logged apart
    assert history["loss"][-1] < history["loss"][0] / 3
    assert net.training  # fit leaves the model in training mode


def test_validation_split_is_stratified_and_seeded() -> None:
    X, y = make_xor(100, seed=0)
    seen: list[int] = []
    spy = train.LambdaCallback(on_train_begin=lambda run: seen.append(run.steps_per_epoch))
    h1 = _fit(_net(), X, y, epochs=2, validation_split=0.3, callbacks=[spy])
    h2 = _fit(_net(), X, y, epochs=2, validation_split=0.3)
    assert seen == [3]  # 70 training samples in batches of 32
    assert h1["val_loss"] == h2["val_loss"]


def test_verbose_zero_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    X, y = make_xor(64)
    _fit(_net(), X, y, epochs=2)
    assert capsys.readouterr().out == ""


def test_progress_is_one_line_per_epoch_off_a_terminal() -> None:
    X, y = make_xor(64)
    out = io.StringIO()
    _fit(_net(), X, y, epochs=3, callbacks=[train.ProgressBar(1, file=out)], metrics=["accuracy"])
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and lines[0].startswith("epoch 1/3") and "accuracy" in lines[0]
    assert "\r" not in out.getvalue()


def test_progress_bar_on_a_terminal_redraws_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    clock = iter(np.arange(0.0, 1000.0, 0.5))
    monkeypatch.setattr("glassnet.train.progress.time.perf_counter", lambda: float(next(clock)))
    out = Terminal()
    X, y = make_xor(128)
    _fit(_net(), X, y, epochs=1, callbacks=[train.ProgressBar(1, file=out)])
    text = out.getvalue()
    assert "\r" in text and "] 2/4" in text and "ETA" in text and text.endswith("\n")


def test_early_stopping_stops_and_restores_the_best_weights() -> None:
    X, y = make_spirals(200, seed=1)
    net = _net()
    stop = train.EarlyStopping(patience=2)
    opt = optim.SGD(net.parameters(), lr=3.0)  # too large: the validation loss soon gets worse
    history = _fit(net, X, y, epochs=40, validation_split=0.25, callbacks=[stop], optimizer=opt)
    assert len(history) < 40 and "early stopping" in history.stop_reason
    best_epoch, _ = history.best("val_loss")
    assert stop.best_epoch == best_epoch and len(history) == best_epoch + 1 + 2  # patience 2: 2 more epochs
    assert stop.best_weights is not None  # the weights now in the model are the best epoch's
    for name, p in net.named_parameters():
        assert np.array_equal(p.array, stop.best_weights[name])


class _Epochs:
    """The part of a Run that EarlyStopping reads and writes: the epoch, the model, stop()."""

    def __init__(self) -> None:
        self.epoch, self.model, self.has_validation, self.reason = 0, _net(), True, ""

    def stop(self, reason: str) -> None:
        self.reason = self.reason or reason


@pytest.mark.parametrize(("patience", "last_epoch"), [(0, 2), (1, 2), (2, 3), (3, 4), (10, 11)])
def test_early_stopping_counts_patience_as_keras_does(patience: int, last_epoch: int) -> None:
    # val_loss 1.0, 0.5 (best, epoch 2), then worse every epoch. Keras's EarlyStopping(patience=p)
    # stops at the end of the p-th epoch in a row without improvement (p = 0 and 1 alike): with
    # patience 3, epochs 3, 4, 5 do not improve and training ends after epoch 5 (index 4).
    stop, run = train.EarlyStopping(patience=patience), _Epochs()
    for run.epoch, value in enumerate([1.0, 0.5, *np.linspace(0.6, 2.0, 14)]):
        stop.on_epoch_end(run, {"val_loss": float(value)})  # type: ignore[arg-type]
        if run.reason:
            break
    assert run.epoch == last_epoch
    waited = last_epoch - 1
    assert run.reason == (f"early stopping: val_loss has not improved for {waited} epochs, patience "
                          f"{patience} (best 0.5 at epoch 2)")


def test_early_stopping_restores_the_best_weights_even_when_it_never_triggers() -> None:
    X, y = make_spirals(200, seed=1)
    net = _net()
    stop = train.EarlyStopping(patience=100)
    history = _fit(net, X, y, epochs=15, validation_split=0.25, callbacks=[stop],
                   optimizer=optim.SGD(net.parameters(), lr=2.0))
    assert len(history) == 15 and history.stop_reason == ""
    assert stop.best_weights is not None
    assert all(np.array_equal(p.array, stop.best_weights[n]) for n, p in net.named_parameters())


def test_early_stopping_without_validation_says_how_to_fix_it() -> None:
    X, y = make_xor(64)
    with pytest.raises(gn.GlassnetError, match=r"monitors 'val_loss'.*validation_split"):
        _fit(_net(), X, y, callbacks=[train.EarlyStopping()])


def test_terminate_on_nan_names_the_batch_and_keeps_the_last_good_weights() -> None:
    X, y = make_xor(128)
    X[70] = np.nan  # sample 70 lands in some batch of the first epoch
    net = _net()
    start = {k: v.array.copy() for k, v in net.state_dict().items()}
    with pytest.raises(GlassnetError, match=r"X\[70, 0\] is nan"):  # arrays are checked before training
        _fit(net, X, y, epochs=3, shuffle=False)
    loader = DataLoader(TensorDataset(X, y), batch_size=32)  # a loader's batches are not: the guard acts
    history = _fit(net, loader, None, epochs=3, batch_size=None)  # type: ignore[arg-type]
    assert "the loss became nan at epoch 1, batch 3" in history.stop_reason
    assert "First non-finite value: the input batch holds nan" in history.stop_reason
    assert all(np.array_equal(v.array, start[k]) for k, v in net.state_dict().items())  # epoch 1's start
    assert len(history) == 0  # nothing of the epoch in which it diverged is recorded


def test_model_checkpoint_every_and_best(tmp_path: Path) -> None:
    X, y = make_xor(64)
    every = train.ModelCheckpoint(tmp_path / "e{epoch}.safetensors", every=2)
    best = train.ModelCheckpoint(tmp_path / "best.safetensors", save_best_only=True)
    _fit(_net(), X, y, epochs=5, validation_split=0.25, callbacks=[every, best])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.safetensors", "e2.safetensors",
                                                          "e4.safetensors"]


def _resumable_run(epochs: int, path: Path, resume: bool) -> tuple[nn.Module, train.History]:
    X, y = make_spirals(160, seed=3)
    net = _net(seed=5, dropout=0.2)
    opt = optim.Adam(net.parameters(), lr=0.01)
    schedule = train.LRSchedulerCallback(lr_scheduler.StepLR(opt, step_size=2, gamma=0.5))
    callbacks = [schedule, train.EarlyStopping(patience=50), train.ModelCheckpoint(path)]
    history = train.fit(net, nn.CrossEntropyLoss(), opt, X, y, epochs=epochs, batch_size=16,
                        validation_split=0.2, callbacks=callbacks, seed=11, verbose=0,
                        resume_from=str(path) if resume else None)
    return net, history


def test_resuming_a_checkpoint_gives_bit_identical_weights(tmp_path: Path) -> None:
    whole, whole_history = _resumable_run(6, tmp_path / "whole.safetensors", resume=False)
    _resumable_run(3, tmp_path / "part.safetensors", resume=False)  # interrupted after epoch 3
    resumed, resumed_history = _resumable_run(6, tmp_path / "part.safetensors", resume=True)
    for (name, a), (_, b) in zip(whole.named_parameters(), resumed.named_parameters(), strict=True):
        assert np.array_equal(a.array, b.array), name
    assert whole_history.to_dict()["history"]["val_loss"] == resumed_history["val_loss"]
    assert resumed_history["lr"] == [0.01, 0.01, 0.005, 0.005, 0.0025, 0.0025]  # the lr each epoch used


def test_reduce_lr_on_plateau_follows_the_validation_loss() -> None:
    X, y = make_xor(64)
    net = _net()
    opt = optim.SGD(net.parameters(), lr=5.0)
    plateau = lr_scheduler.ReduceLROnPlateau(opt, factor=0.1, patience=0)
    history = _fit(net, X, y, epochs=6, validation_split=0.25, optimizer=opt,
                   callbacks=[train.LRSchedulerCallback(plateau)])
    # Each epoch whose val_loss does not beat the best by the relative threshold 1e-4 cuts the
    # learning rate of the next epoch by 10 (patience 0): the whole sequence follows from the losses.
    expected, best = [5.0], math.inf
    for value in history["val_loss"][:-1]:
        improved = value < best * (1 - 1e-4)
        best = min(best, value) if improved else best
        expected.append(expected[-1] if improved else expected[-1] * 0.1)
    np.testing.assert_allclose(history["lr"], expected, rtol=1e-12)
    assert min(history["lr"]) < 5.0, "lr 5.0 must overshoot at least once, or this test shows nothing"


def test_history_logger_writes_csv_and_json(tmp_path: Path) -> None:
    X, y = make_xor(64)
    csv_path, json_path = tmp_path / "h.csv", tmp_path / "h.json"
    history = _fit(_net(), X, y, epochs=3, callbacks=[train.HistoryLogger(csv_path),
                                                      train.HistoryLogger(json_path)])
    rows = csv_path.read_text().splitlines()
    assert rows[0].split(",")[0] == "epoch" and len(rows) == 4
    assert json.loads(json_path.read_text())["history"]["loss"] == history["loss"]
    with pytest.raises(gn.GlassnetError, match=r"\.csv or \.json"):
        train.HistoryLogger(tmp_path / "h.txt")


def test_sample_and_class_weights_weight_the_loss() -> None:
    X, y = make_xor(40, seed=2)
    net = _net()
    w = np.linspace(0.5, 2.0, 40)
    opt = optim.SGD(net.parameters(), lr=0.0)  # no update: the logged loss is the initial one
    history = _fit(net, X, y, epochs=1, batch_size=40, sample_weight=w, class_weight={1: 3.0},
                   optimizer=opt, shuffle=False)
    per_sample = nn.CrossEntropyLoss(reduction="none")(net(gn.tensor(X)), y).array
    weights = w * np.where(y == 1, 3.0, 1.0)
    assert history["loss"][0] == pytest.approx(float((weights * per_sample).sum() / weights.sum()), rel=1e-5)
    balanced = _fit(_net(), X, y, epochs=1, class_weight="balanced")
    assert np.isfinite(balanced["loss"][0])


def test_predict_and_evaluate_use_eval_mode_and_batches() -> None:
    X, y = make_xor(50)
    net = _net(dropout=0.5)
    full = train.predict(net, X, batch_size=1000)
    assert np.array_equal(train.predict(net, X, batch_size=1000), full)  # dropout off: deterministic
    np.testing.assert_allclose(train.predict(net, X, batch_size=7), full, rtol=1e-5)  # BLAS rounding
    assert net.training
    scores = train.evaluate(net, nn.CrossEntropyLoss(), X, y, metrics=["accuracy"])
    assert set(scores) == {"loss", "accuracy"} and 0.0 <= scores["accuracy"] <= 1.0


def test_regression_fit_with_rmse() -> None:
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (200, 2)).astype(np.float32)
    y = (X[:, :1] - 2 * X[:, 1:]).astype(np.float32)
    net = nn.Sequential(nn.Linear(2, 1, generator=0))
    history = train.fit(net, nn.MSELoss(), optim.Adam(net.parameters(), lr=0.05), X, y, epochs=40,
                        metrics=["rmse"], verbose=0, seed=0)
    assert history["rmse"][-1] < 0.05


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"y": np.zeros(10)}, gn.ShapeError, "X has 64 samples but y has 10"),
    ({"y": np.full(64, 0.5)}, gn.GlassnetError, "integer class labels"),
    ({"class_weight": "often"}, gn.GlassnetError, "dict or 'balanced'"),
    ({"validation_split": 1.5}, gn.GlassnetError, r"validation_split=1.5; expected .* in \(0, 1\)"),
    ({"metrics": ["accuracy", "nonsense"]}, gn.GlassnetError, "nonsense"),
    ({"callbacks": [print]}, gn.GlassnetError, "Callback instances"),
])
def test_user_mistakes_give_clear_errors(kwargs: dict[str, object], error: type, match: str) -> None:
    X, y = make_xor(64)
    options = {"y": y} | kwargs
    target = options.pop("y")
    with pytest.raises(error, match=match):
        _fit(_net(), X, target, **options)  # type: ignore[arg-type]


def _regression(y: np.ndarray, lr: float) -> tuple[train.History, train.TerminateOnNaN]:
    X = np.random.default_rng(0).normal(size=(len(y), 2)).astype(np.float32)  # (n, 2)
    net, guard = nn.Linear(2, 1, generator=0), train.TerminateOnNaN(growth=1e300)  # only NaN/inf stop it
    history = train.fit(net, nn.MSELoss(), optim.SGD(net.parameters(), lr=lr), X, y, epochs=20,
                        batch_size=8, callbacks=[guard], verbose=0, seed=0)
    return history, guard


def test_a_loss_that_grew_before_turning_inf_blames_the_learning_rate() -> None:
    # lr 10 on MSE: each step multiplies the error by about |1 − 2·lr·x²|, so the loss grows
    # geometrically until it overflows float32; the reason says so and names the learning rate
    history, guard = _regression(np.ones((64, 1), dtype=np.float32), lr=10.0)
    assert guard.cause == "learning rate" and "after growing from" in history.stop_reason
    assert "the learning rate is likely too large" in history.stop_reason
    assert history.stop_reason.endswith("Lower the learning rate.")


def test_a_loss_that_turned_inf_without_growing_blames_the_data() -> None:
    y = np.ones((64, 1), dtype=np.float32)
    y[40] = 1e30  # finite in float32, its squared error is not
    history, guard = _regression(y, lr=0.01)
    assert guard.cause == "data" and "without growing first" in history.stop_reason
    assert "learning rate" not in history.stop_reason
    assert history.stop_reason.endswith("Check the data and the targets.")


def test_a_penalty_that_overflows_with_finite_weights_blames_the_penalty() -> None:
    # L2(1e300): Σw² is finite, the strength times it is inf; neither the data nor the rate is at fault
    X = np.random.default_rng(0).normal(size=(16, 2)).astype(np.float32)  # (16, 2)
    net, guard = nn.Linear(2, 1, generator=0), train.TerminateOnNaN()
    history = train.fit(net, nn.MSELoss(), optim.SGD(net.parameters(), lr=0.1), X, X[:, :1], epochs=2,
                        batch_size=8, callbacks=[guard], regularizer=L2(1e300), verbose=0, seed=0)
    reason = history.stop_reason
    assert guard.cause == "penalty" and "the l2 penalty is inf while every weight is finite" in reason
    assert "data" not in reason and reason.endswith("Lower the l2 penalty's strength.")


def test_the_nan_sentinel_names_the_first_layer_and_operation() -> None:
    X, y = make_xor(64)
    net = _net()
    net[2].weight.array[0, 0] = np.inf  # an update that diverged earlier
    history = _fit(net, X, y, epochs=1)
    assert "layer '2' (Linear): its weight is already non-finite (inf at index (0, 0))" in history.stop_reason
    overflow = nn.Sequential(nn.Linear(2, 4, generator=0), nn.ReLU(), nn.Linear(4, 2, generator=1))
    overflow[0].weight.array[...] = 3e38  # finite, but W·a overflows float32 (tanh would hide it)
    history = _fit(overflow, X + 2.0, y, epochs=1)
    assert "layer '0' (Linear): z = W·a + b overflowed inf" in history.stop_reason


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(64, 64), (10,), (3, 5, 7), (0,), (1,)])
def test_history_norms_are_numpys_norms(shape: tuple[int, ...], dtype: type) -> None:
    from glassnet.train.loop import _norm

    a = np.random.default_rng(sum(shape)).standard_normal(shape).astype(dtype)
    for x in (a, np.asfortranarray(a), a[::-1]):
        assert _norm(x) == float(np.linalg.norm(x))


@pytest.mark.parametrize("weighted", [False, True])
def test_penalty_per_sample_divides_each_penalty_by_the_batchs_n_or_weight_sum(weighted: bool) -> None:
    """Batches of 4, 4 and 2 samples: R(W)/4, R(W)/4, R(W)/2 (or R(W)/Σw of each batch), and the
    epoch's value is their mean weighted by the batch sizes, as every logged value."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(10, 3)), rng.normal(size=(10, 1))
    w = rng.integers(1, 4, 10).astype(float) if weighted else None
    model = nn.Linear(3, 1, dtype=np.float64, generator=0)
    R = 0.3 * float((model.weight.data**2).sum())  # L2(0.3): weights only; lr = 0 keeps W
    history = gn.fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.0), X, y, batch_size=4,
                     regularizer=L2(0.3), penalty_per_sample=True, sample_weight=w, shuffle=False,
                     verbose=0, diagnostics=False)
    counts = [4, 4, 2] if w is None else [w[:4].sum(), w[4:8].sum(), w[8:].sum()]
    expected = (4 * R / counts[0] + 4 * R / counts[1] + 2 * R / counts[2]) / 10
    assert history["penalty_l2"][0] == pytest.approx(expected, rel=1e-12)
