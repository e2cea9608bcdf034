"""The glassnet command, called in-process through main(argv): training, use of saved models, errors."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from glassnet.cli import main
from glassnet.data import DATASETS
from glassnet.io import load


def run(argv: list[str]) -> tuple[int, str, str]:
    """main(argv) with its standard output and error captured."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


# ----------------------------------------------------------------------------- the default run
@pytest.fixture(scope="module")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, str, Path]:
    """`glassnet train` with no arguments, in an empty folder: digits, the default network."""
    where, before = tmp_path_factory.mktemp("default"), os.getcwd()
    os.chdir(where)
    try:
        code, out, err = run(["train"])
    finally:
        os.chdir(before)
    folders = sorted((where / "runs").glob("digits-*"))
    assert len(folders) == 1, (out, err)
    return code, out, err, folders[0]


def test_train_with_no_arguments_reaches_97_percent_on_digits(default_run: Any) -> None:
    _, out, _, folder = default_run
    saved = load(folder / "model.safetensors")
    test = saved.extra["test_metrics"]
    assert test["accuracy"] >= 0.97, out
    assert set(test) == {"loss", "accuracy", "f1_macro", "log_loss"}
    assert f"accuracy  {test['accuracy']:.4f}" in out  # the printed table
    assert saved.extra["task"] == "classification" and saved.extra["dataset"] == "digits"
    assert saved.classes == list(range(10))
    matrix = np.array(saved.extra["confusion_matrix"])
    assert matrix.shape == (10, 10) and matrix.sum() == 360  # 20% of 1797, rounded up
    assert np.trace(matrix) / matrix.sum() == pytest.approx(test["accuracy"])
    hp = saved.hyperparameters
    assert hp["layers"] == [256] and hp["activation"] == ["relu"] and hp["optimizer"] == "adam"
    assert hp["loss"] == "cross_entropy" and hp["lr"] == 1e-3 and hp["early_stopping"] == 10
    assert "points" not in saved.extra  # 64 features, no 2-D plot
    assert set(saved.preprocessing) >= {"mean", "scale"} and len(saved.preprocessing["mean"]) == 64
    rows = read_csv(folder / "history.csv")
    assert len(rows) == len(saved.history["epoch"]) and "val_loss" in rows[0]


def test_train_with_no_arguments_writes_the_report(default_run: Any) -> None:
    code, out, err, folder = default_run
    assert code == 0, err
    assert (folder / "report.html").is_file()
    assert any(line.startswith("report: ") and line.endswith("report.html") for line in out.splitlines())


def test_report_rebuilds_the_report(default_run: Any) -> None:
    folder = default_run[3]
    (folder / "report.html").unlink(missing_ok=True)
    code, out, err = run(["report", str(folder)])
    assert code == 0, err
    assert (folder / "report.html").is_file() and "report.html" in out


# ----------------------------------------------------------------------------- options and config files
def test_moons_with_options_and_a_toml_config(tmp_path: Path) -> None:
    config = tmp_path / "run.toml"
    config.write_text('data = "moons"\nlayers = [16, 8]\nactivation = "tanh,relu"\nbatch-size = 16\n'
                      'epochs = 40\nl2 = 1e-4\ndropout = 0.1\nearly_stopping = 0\nseed = 3\n')
    out_dir = tmp_path / "run"
    code, _, err = run(["train", "--config", str(config), "--epochs", "4", "--optimizer", "adamw",
                          "--weight-decay", "0.02", "--l1", "1e-5", "--lr", "0.01", "--no-report", "-q",
                          "--out", str(out_dir)])
    assert code == 0, err
    saved = load(out_dir / "model.safetensors")
    hp = saved.hyperparameters
    assert hp["epochs"] == 4 and hp["batch_size"] == 16 and hp["seed"] == 3  # options override the file
    assert hp["layers"] == [16, 8] and hp["activation"] == ["tanh", "relu"]
    assert hp["optimizer"] == "adamw" and hp["weight_decay"] == 0.02 and hp["l1"] == 1e-5 and hp["l2"] == 1e-4
    assert len(saved.history["epoch"]) == 4  # early stopping off
    assert {"penalty_l1", "penalty_l2"} <= set(saved.history["history"])
    kinds = [type(m).__name__ for m in saved.model.children()]
    assert kinds == ["Linear", "Tanh", "Dropout", "Linear", "ReLU", "Dropout", "Linear"]
    points = saved.extra["points"]
    assert points["X"].shape == (len(points["y"]), 2) and len(points["y"]) <= 1000
    assert abs(float(points["X"][:, 0].mean())) < 0.3  # standardized training points
    assert np.array(saved.extra["confusion_matrix"]).shape == (2, 2)
    assert not (out_dir / "report.html").exists() and (out_dir / "history.csv").is_file()


def test_a_json_config_with_dashes_and_a_binary_loss(tmp_path: Path) -> None:
    config = tmp_path / "run.json"
    config.write_text(json.dumps({"data": "moons", "layers": "8", "activation": ["elu"], "epochs": 3,
                                  "loss": "bce_with_logits", "no-report": True, "verbose": 0,
                                  "out": str(tmp_path / "run")}))
    code, out, err = run(["train", "--config", str(config)])
    assert code == 0, err
    saved = load(tmp_path / "run" / "model.safetensors")
    assert saved.hyperparameters["loss"] == "bce_with_logits" and saved.hyperparameters["epochs"] == 3
    assert [type(m).__name__ for m in saved.model.children()] == ["Linear", "ELU", "Linear"]
    assert saved.model(np.zeros((1, 2), dtype=np.float32)).shape == (1, 1)  # one logit for two classes
    assert "accuracy" in out and not any(line.startswith("epoch") for line in out.splitlines())  # quiet


# ----------------------------------------------------------------------------- end to end on files
def _pets(path: Path, n: int, seed: int, with_label: bool = True) -> list[str]:
    """A CSV with the label column between the features: weight,kind,height."""
    rng = np.random.default_rng(seed)
    kinds = rng.choice(["cat", "dog", "bird"], size=n)
    centre = {"cat": (4.0, 25.0), "dog": (20.0, 50.0), "bird": (0.5, 10.0)}
    rows = [[centre[k][0] + rng.normal(0, 0.5), k, centre[k][1] + rng.normal(0, 2)] for k in kinds]
    header = ["weight", "kind", "height"] if with_label else ["height", "weight"]
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(r if with_label else [r[2], r[0]] for r in rows)
    return kinds.tolist()


def test_csv_with_string_labels_train_evaluate_predict(tmp_path: Path) -> None:
    train_csv, test_csv, bare_csv = tmp_path / "pets.csv", tmp_path / "more.csv", tmp_path / "bare.csv"
    _pets(train_csv, 200, seed=0)
    truth = _pets(test_csv, 40, seed=1)
    bare_truth = _pets(bare_csv, 30, seed=2, with_label=False)  # columns reordered, no label
    code, out, err = run(["train", "--data", str(train_csv), "--target", "kind", "--epochs", "30",
                          "--layers", "16", "--lr", "0.01", "--no-report", "-q",
                          "--out", str(tmp_path / "r")])
    assert code == 0, err
    model = str(tmp_path / "r" / "model.safetensors")
    assert load(model).classes == ["bird", "cat", "dog"]
    code, out, err = run(["evaluate", model, str(test_csv)])  # the target column is remembered
    assert code == 0, err
    assert "accuracy" in out and "f1_macro" in out and "log_loss" in out
    for source, expected in ((test_csv, truth), (bare_csv, bare_truth)):
        target = tmp_path / f"pred-{source.name}"
        code, out, err = run(["predict", model, str(source), "-o", str(target)])
        assert code == 0, err
        rows = read_csv(target)
        assert list(rows[0]) == ["kind", "proba_bird", "proba_cat", "proba_dog"]
        assert np.mean([r["kind"] == t for r, t in zip(rows, expected, strict=True)]) >= 0.9
        assert all(abs(sum(float(r[f"proba_{k}"]) for k in ("bird", "cat", "dog")) - 1) < 1e-6 for r in rows)


def test_regression_on_sine_end_to_end(tmp_path: Path) -> None:
    code, out, err = run(["train", "--data", "sine", "--layers", "32,32", "--activation", "tanh",
                          "--epochs", "60", "--lr", "0.01", "--no-report", "-q",
                          "--out", str(tmp_path / "r")])
    assert code == 0, err
    assert "rmse" in out and "r2" in out and "accuracy" not in out
    model = tmp_path / "r" / "model.safetensors"
    saved = load(model)
    assert saved.extra["task"] == "regression" and saved.classes is None
    assert saved.hyperparameters["loss"] == "mse" and saved.extra["test_metrics"]["r2"] > 0.8
    code, out, err = run(["evaluate", str(model), "sine"])
    assert code == 0, err
    assert "rmse" in out and "r2" in out
    x = np.linspace(-2.5, 2.5, 11)
    (tmp_path / "x.csv").write_text("x0\n" + "\n".join(f"{v}" for v in x) + "\n")
    code, out, err = run(["predict", str(model), str(tmp_path / "x.csv")])  # to standard output
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "target" and len(lines) == 12
    assert np.abs(np.array([float(v) for v in lines[1:]]) - np.sin(x)).max() < 0.35


# ----------------------------------------------------------------------------- small commands
def test_datasets_lists_every_name() -> None:
    code, out, _ = run(["datasets"])
    assert code == 0
    names = [line.split()[0] for line in out.splitlines()]
    assert names == list(DATASETS)
    assert "handwritten digits" in out


def test_help_exits_zero() -> None:
    assert run(["train", "--help"])[0] == 0


def test_python_dash_m_glassnet() -> None:
    done = subprocess.run([sys.executable, "-m", "glassnet", "datasets"], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "digits" in done.stdout and "moons" in done.stdout


def test_a_clipped_log_loss_that_disagrees_with_the_loss_is_labelled() -> None:
    from glassnet import nn
    from glassnet.cli.scoring import metrics_table, score

    net = nn.Linear(2, 2, generator=0)
    X, y = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32), np.array([1, 0])
    net.weight.array[...] = [[1e6, 0.0], [0.0, 1e6]]  # certain of class 0 for x = (1, 0): both wrong
    values, _ = score(net, "cross_entropy", X, y, "classification", 2)
    assert values["loss"] == pytest.approx(1e6, rel=1e-6)  # −log softmax(z)_y: the logit gap, unclipped
    assert values["log_loss"] == pytest.approx(-np.log(np.finfo(np.float64).eps))  # 36.04 per sample
    table = metrics_table("test", values)
    assert "log_loss  36.0437  (clipped: see below)" in table and "no sample adds" in table
    net.weight.array[...] = [[0.0, 1.0], [1.0, 0.0]]  # a mild, right model: the two agree
    values, _ = score(net, "cross_entropy", X, y, "classification", 2)
    assert "clipped" not in metrics_table("test", values)


# ----------------------------------------------------------------------------- user mistakes
@pytest.fixture(scope="module")
def small_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained for 2 epochs on moons (2 features, 2 classes)."""
    folder = tmp_path_factory.mktemp("small")
    code, _, err = run(["train", "--data", "moons", "--epochs", "2", "--layers", "4", "--no-report", "-q",
                        "--out", str(folder)])
    assert code == 0, err
    return folder / "model.safetensors"


def _mistakes(tmp: Path, model: Path) -> dict[str, tuple[list[str], str]]:
    """name -> (argv, a piece of the expected message)."""
    (tmp / "bad.toml").write_text("layers = [16\n")
    (tmp / "unknown.toml").write_text("layer = 16\n")
    (tmp / "value.json").write_text('{"epochs": "many"}')
    (tmp / "corrupt.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00not json at all!")
    (tmp / "text.safetensors").write_text("hello")
    (tmp / "data.csv").write_text("a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n")
    (tmp / "wide.csv").write_text("a,b,c\n1,2,3\n")
    (tmp / "words.csv").write_text("x0,x1\n1,two\n")
    (tmp / "empty").mkdir(exist_ok=True)
    m = str(model)
    return {
        "activation": (["train", "--activation", "relux"], "unknown activation 'relux'; choose one of"),
        "optimizer": (["train", "--optimizer", "adamm"], "unknown optimizer 'adamm'; choose one of"),
        "loss": (["train", "--loss", "msee"], "unknown loss 'msee'; choose one of"),
        "loss for the task": (["train", "--data", "moons", "--loss", "mse"], "does not fit classification"),
        "activation count": (["train", "--layers", "4,4,4", "--activation", "relu,tanh"], "3 hidden layers"),
        "data name": (["train", "--data", "mnistt"], "unknown data set 'mnistt'"),
        "missing data file": (["train", "--data", str(tmp / "nope.csv")], "no such file"),
        "target column": (["train", "--data", str(tmp / "data.csv"), "--target", "labl"], "no target column"),
        "bad number": (["train", "--lr", "fast"], "argument --lr: expected a number"),
        "negative": (["train", "--epochs", "0"], "expected a whole number >= 1"),
        "unknown option": (["train", "--epoch", "3"], "unrecognized arguments"),
        "no command": ([], "required"),
        "bad toml": (["train", "--config", str(tmp / "bad.toml")], "is not valid TOML"),
        "unknown key": (["train", "--config", str(tmp / "unknown.toml")], "unknown key 'layer'"),
        "config value": (["train", "--config", str(tmp / "value.json")], "epochs = 'many'"),
        "missing config": (["train", "--config", str(tmp / "nope.toml")], "nope.toml"),
        "config suffix": (["train", "--config", str(tmp / "data.csv")], "must end in .toml or .json"),
        "missing model": (["evaluate", str(tmp / "nope.safetensors"), "moons"], "no model file"),
        "corrupt model": (["evaluate", str(tmp / "corrupt.safetensors"), "moons"], "cannot load"),
        "not a model": (["evaluate", str(tmp / "text.safetensors"), "moons"], "cannot load"),
        "shape mismatch": (["evaluate", m, "iris"], "4 feature columns but the model"),
        "evaluate target": (["evaluate", m, str(tmp / "data.csv"), "--target", "nope"], "no target column"),
        "unseen labels": (["evaluate", m, str(tmp / "data.csv"), "--target", "label"], "never saw"),
        "predict missing": (["predict", m, str(tmp / "nope.csv")], "no such file"),
        "predict shape": (["predict", m, str(tmp / "wide.csv")], "3 feature columns but the model takes 2"),
        "predict words": (["predict", m, str(tmp / "words.csv")], "non-numeric value 'two'"),
        "report folder": (["report", str(tmp / "empty")], "has no model.safetensors"),
    }


def test_every_user_mistake_is_one_line_and_status_2(tmp_path: Path, small_model: Path) -> None:
    for name, (argv, expected) in _mistakes(tmp_path, small_model).items():
        code, out, err = run(argv)
        assert code == 2, (name, out, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("glassnet: error: "), (name, err)
        assert expected in lines[0], (name, lines[0])
        assert "Traceback" not in err + out, name


def test_a_mistake_in_a_subprocess_has_no_traceback() -> None:
    argv = [sys.executable, "-m", "glassnet", "train", "--data", "moons", "--optimizer", "nope"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert done.stderr.startswith("glassnet: error: unknown optimizer 'nope'")
    assert "Traceback" not in done.stderr
