"""``glassnet explain`` on the command line: the learning rate, a run's optimizer, --classes, --digits."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pytest

from explain_checks import equations
from glassnet.cli import main
from glassnet.cli.explaining import spirals_sample, step_settings
from glassnet.cli.scoring import load_model


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def explain(*argv: str) -> str:
    code, out, err = run(["explain", *argv])
    assert code == 0, err
    return out


def rates(text: str) -> set[str]:
    """The learning rates the update section shows, as printed."""
    return set(re.findall(r"^  \w+: η = ([^,]+),", text, re.M))


def eta_u(text: str) -> list[str]:
    """The value of η·u in each update, as printed (the last term of its equation)."""
    return [e.split(" = ")[-1] for step in text.split("\nupdate ")[1:] for e in equations(step)
            if e.startswith("η·u")]


def updates(text: str) -> list[str]:
    return re.findall(r"^update \S+ \(\S+\) with (\w+)", text, re.M)


# PyTorch's defaults, written out by hand: the CLI must take them from each optimizer, not from 0.5
@pytest.mark.parametrize(("name", "lr"), [("adam", "0.001"), ("adamw", "0.001"), ("rmsprop", "0.01"),
                                          ("adagrad", "0.01"), ("adamax", "0.002"), ("nadam", "0.002"),
                                          ("radam", "0.001")])
def test_each_optimizer_steps_with_its_own_default_lr(name: str, lr: str) -> None:
    text = explain("--optimizer", name)
    assert rates(text) == {lr}
    steps = [float(v) for v in re.findall(r"-?\d+\.?\d*(?:e-?\d+)?", " ".join(eta_u(text)))]
    assert steps and all(abs(v) <= 10 * float(lr) for v in steps)  # RMSprop's first step: lr·g/√(0.01·g²)


def test_sgd_keeps_the_classic_rate_and_lr_overrides() -> None:
    assert rates(explain()) == {"0.5"}  # the classic worked example's η
    assert rates(explain("--optimizer", "adam", "--lr", "0.05")) == {"0.05"}
    assert rates(explain("--lr", "0.1")) == {"0.1"}


@pytest.fixture(scope="module")
def rmsprop_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A moons run trained with RMSprop(lr=0.003, weight_decay=0.01) and an L2 penalty."""
    folder = tmp_path_factory.mktemp("rmsprop")
    code, _, err = run(["train", "--data", "moons", "--epochs", "2", "--layers", "4", "--optimizer",
                        "rmsprop", "--lr", "0.003", "--weight-decay", "0.01", "--l2", "0.001", "--no-report",
                        "-q", "--out", str(folder)])
    assert code == 0, err
    return folder / "model.safetensors"


def test_a_run_is_explained_with_its_own_optimizer_and_settings(rmsprop_run: Path) -> None:
    text = explain("--model", str(rmsprop_run), "--data", "moons")
    assert set(updates(text)) == {"RMSprop"} and rates(text) == {"0.003"}
    assert "L2(l2=0.001)" in text  # the run's penalty
    run_step = step_settings({}, load_model(str(rmsprop_run)))
    assert run_step == {"optimizer": "rmsprop", "lr": 0.003, "weight_decay": 0.01, "l1": 0.0, "l2": 0.001}
    other = explain("--model", str(rmsprop_run), "--data", "moons", "--optimizer", "adam")
    assert set(updates(other)) == {"Adam"} and rates(other) == {"0.001"}  # Adam's own, not the run's
    faster = explain("--model", str(rmsprop_run), "--data", "moons", "--lr", "0.2", "--l2", "0")
    assert set(updates(faster)) == {"RMSprop"} and rates(faster) == {"0.2"} and "L2" not in faster


def test_classes_gives_softmax_outputs_and_cross_entropy_on_the_spirals() -> None:
    text = explain("--classes", "3", "--digits", "17")
    assert "CrossEntropyLoss" in text
    X, y = spirals_sample(3)
    assert y.tolist() == [0] * 4 + [1] * 4 + [2] * 4 and np.abs(X).max() < 1.5
    z = next(e for e in equations(text) if e.startswith("z² = "))
    loss = next(e for e in equations(text) if e.startswith("L = mean"))
    logits = np.array([float(v) for v in z.split(" = ")[-1].split("]")[0].strip("[ ").split(",")])
    assert logits.shape == (3,)  # three outputs; the first sample is of class 0: L = −log softmax(z)₀
    expected = np.log(np.exp(logits).sum()) - logits[0]
    assert float(loss.split(" = ")[-1]) == pytest.approx(expected, rel=1e-12)
    assert "CrossEntropyLoss" in explain("--classes", "2")  # XOR, two softmax outputs


def test_digits_sets_the_significant_digits() -> None:
    assert "[0.6225, 0.6457]" in explain()
    assert "[0.62245933, 0.64565631]" in explain("--digits", "8")  # σ(0.3775), σ(0.3925)
    assert "[0.6, 0.6]" in explain("--digits", "1")


@pytest.mark.parametrize(("argv", "message"), [
    (["--digits", "0"], "expected 1 to 17 significant digits"),
    (["--digits", "18"], "expected 1 to 17 significant digits"),
    (["--classes", "1"], "expected 2 to 20 classes"),
    (["--classes", "3", "--loss", "mse"], "does not take; drop --loss"),
    (["--classes", "3", "--sample", "12"], "the 3-class spirals has 12 samples"),
    (["--model", "m.safetensors", "--data", "moons", "--classes", "3"], "drop them"),
])  # fmt: skip
def test_explain_mistakes_are_one_line(argv: list[str], message: str) -> None:
    code, _, err = run(["explain", *argv])
    assert code == 2 and err.count("\n") == 1 and message in err, err
