"""Every value the CLI reads from a model file is checked against the model on load, and gn.save
refuses fields that cannot fit the model: one line naming the file and the field, exit 2."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

import pytest

import glassnet as gn
from glassnet.cli import main
from glassnet.errors import GlassnetError
from glassnet.io.safetensors import load_tensors, save_tensors
from glassnet.io.state import pack_tree


def _net() -> gn.nn.Sequential:
    return gn.nn.Sequential(gn.nn.Linear(4, 8, generator=0), gn.nn.ReLU(), gn.nn.Linear(8, 3, generator=1))


def _forged(path: Path, **fields: Any) -> Path:
    """A model file whose fields were written by hand, past gn.save's checks (as a hostile file is)."""
    gn.save(_net(), path)
    tensors, metadata = load_tensors(path)
    for field, value in fields.items():
        metadata[field], arrays = pack_tree(value, prefix=f"{field}/")
        tensors.update(arrays)
    save_tensors(path, tensors, metadata)
    return path


def _cli(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, err.getvalue()


CASES = {
    "classes a number": ({"classes": 5}, "classes"),
    "too few classes": ({"classes": ["a", "b"], "extra": {"task": "classification"}}, "classes"),
    "too many classes": ({"classes": list("abcde"), "extra": {"task": "classification"}}, "classes"),
    "repeated classes": ({"classes": ["a", "a", "b"]}, "classes"),
    "feature names a number": ({"classes": [0, 1, 2], "extra": {"feature_names": 5}}, "feature_names"),
    "too many feature names": ({"extra": {"feature_names": list("abcde")}}, "feature_names"),
    "task unknown": ({"extra": {"task": "poetry"}}, "task"),
    "classification without classes": ({"extra": {"task": "classification"}}, "classes"),
    "target name a list": ({"extra": {"target_name": [1]}}, "target_name"),
    "loss a number": ({"hyperparameters": {"loss": 3}}, "loss"),
    "extra a list": ({"extra": [1, 2]}, "extra"),
    "preprocessing wrong size": ({"preprocessing": {"mean": [0.0], "var": [1.0], "scale": [1.0],
                                                   "n_samples_seen": 3, "with_mean": True, "with_std": True}},
                                 "preprocessing"),
    "preprocessing not a scaler": ({"preprocessing": {"mean": 1}}, "preprocessing"),
}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("command", ["evaluate", "predict", "report", "explain"])
def test_a_bad_field_is_one_line_naming_the_file_and_field(tmp_path: Path, name: str, command: str) -> None:
    fields, field = CASES[name]
    folder = tmp_path / "run"
    folder.mkdir()
    model = _forged(folder / "model.safetensors", **fields)
    data = tmp_path / "in.csv"
    data.write_text("a,b,c,d\n1,2,3,4\n")
    argv = {"evaluate": ["evaluate", str(model), "iris"], "predict": ["predict", str(model), str(data)],
            "report": ["report", str(folder)],
            "explain": ["explain", "--model", str(model), "--data", "iris"]}
    code, err = _cli(argv[command])
    if command == "report" and code == 0:
        return  # the report shows what the file holds and uses none of it to compute
    assert code == 2, err
    assert err.count("\n") == 1 and "model.safetensors" in err and field in err, err


def test_a_bare_model_file_gives_a_clear_error_on_a_classification_set(tmp_path: Path) -> None:
    path = tmp_path / "plain.safetensors"
    gn.save(_net(), path)
    code, err = _cli(["evaluate", str(path), "iris"])
    assert code == 2 and err.count("\n") == 1 and "target columns" in err, err


@pytest.mark.parametrize(("fields", "match"), [
    ({"classes": 5}, "classes must be a list"),
    ({"classes": ["a", "b"]}, "2 classes for a model with 3 outputs"),
    ({"classes": list("abcde")}, "5 classes for a model with 3 outputs"),
    ({"extra": {"feature_names": 5}}, "must be a list of strings"),
    ({"extra": {"feature_names": ["a", "b"]}}, "2 feature_names for a model with 4 inputs"),
])
def test_save_refuses_fields_that_do_not_fit_the_model(tmp_path: Path, fields: dict[str, Any],
                                                       match: str) -> None:
    with pytest.raises(GlassnetError, match=match):
        gn.save(_net(), tmp_path / "m.safetensors", **fields)
    assert not (tmp_path / "m.safetensors").exists()


def test_save_accepts_two_classes_for_one_sigmoid_output(tmp_path: Path) -> None:
    net = gn.nn.Sequential(gn.nn.Linear(2, 1), gn.nn.Sigmoid())
    gn.save(net, tmp_path / "m.safetensors", classes=["no", "yes"], extra={"feature_names": ["x", "y"]})
    assert gn.load(tmp_path / "m.safetensors").classes == ["no", "yes"]
