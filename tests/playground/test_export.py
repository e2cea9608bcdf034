"""The playground's export: the zip's files, and its scripts reproduce the session's losses when run."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import glassnet
from glassnet.io.model import load
from glassnet.io.safetensors import load_tensors
from glassnet.playground import Session
from glassnet.playground.export import FILES, export_files, export_zip

SRC = str(Path(glassnet.__file__).resolve().parents[1])
LINE = re.compile(r"epoch (\d+): train loss (\S+), test loss (\S+)")


def run_script(folder: Path, script: str) -> list[tuple[int, float, float]]:
    """Run an exported script in its folder (glassnet importable as installed) and read its losses."""
    env = os.environ | {"PYTHONPATH": SRC}
    done = subprocess.run([sys.executable, script], cwd=folder, capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return [(int(e), float(a), float(b)) for e, a, b in LINE.findall(done.stdout)]


def trained(config: dict[str, Any], epochs: int, edit: bool = False) -> Session:
    s = Session(config, seed=2)
    for epoch in range(epochs):
        if edit and epoch == 1:
            s.command({"op": "set_weight", "layer": 1, "row": 0, "col": 1, "value": 0.5})
            s.command({"op": "set_bias", "layer": 2, "row": 0, "value": -0.25})
        if edit and epoch == 2 and config.get("schedule", "none") == "none":  # live: no reset
            s.command({"op": "configure", "changes": {"lr": s.config["lr"] / 2}})
        s.step()
    return s


CONFIGS = [
    {},
    {"optimizer": "adam", "lr": 0.01, "regularization": "l2", "reg_rate": 0.001, "schedule": "step",
     "dropout": 0.1, "features": ["x1", "x2", "x1x2", "sinx1"]},
    {"dataset": "blobs3", "layers": [5, 3], "activations": ["relu", "softsign"], "optimizer": "rmsprop",
     "momentum": 0.3, "regularization": "l1", "reg_rate": 0.003},
    {"dataset": "multigauss", "loss": "smooth_l1", "layers": [6], "activations": ["silu"],
     "schedule": "exponential"},
    {"dataset": "xor", "loss": "mse", "features": ["x1sq", "x1x2"], "batch_size": 16},
    {"dataset": "gauss", "loss": "bce_with_logits", "optimizer": "nadam", "layers": [2, 2, 2]},
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: ",".join(c) or "default")
def test_train_py_reproduces_the_sessions_losses(config: dict[str, Any], tmp_path: Path) -> None:
    s = trained(config, 3, edit=True)
    export_files(s, tmp_path)
    printed = run_script(tmp_path, "train.py")
    assert [e for e, _, _ in printed] == [1, 2, 3]
    np.testing.assert_allclose([p[1:] for p in printed], [h[1:] for h in s.history], rtol=1e-7)


@pytest.mark.parametrize("config", [c for c in CONFIGS if not c.get("dropout")],
                         ids=lambda c: ",".join(c) or "default")
def test_train_torch_py_reproduces_them_with_pytorch(config: dict[str, Any], tmp_path: Path) -> None:
    pytest.importorskip("torch")
    s = trained(config, 3, edit=True)
    export_files(s, tmp_path)
    printed = run_script(tmp_path, "train_torch.py")
    assert len(printed) == 3
    np.testing.assert_allclose([p[1:] for p in printed], [h[1:] for h in s.history], rtol=1e-5, atol=1e-6)


def test_the_zip_holds_every_file(tmp_path: Path) -> None:
    s = trained({"dataset": "spiral", "loss": "bce"}, 2)
    archive = zipfile.ZipFile(io.BytesIO(export_zip(s)))
    assert sorted(n.split("/")[-1] for n in archive.namelist()) == sorted(FILES)
    archive.extractall(tmp_path)
    folder = tmp_path / "glassnet-playground"
    config = json.loads((folder / "config.json").read_text())
    assert config["config"] == s.config and config["epochs"] == 2
    assert config["history"] == [list(h) for h in s.history]
    lines = (folder / "data.csv").read_text().splitlines()
    assert lines[0] == "x1,x2,label,split" and len(lines) == 1 + len(s.data.labels)
    initial, _ = load_tensors(folder / "initial.safetensors")
    assert all(np.array_equal(initial[k], v) for k, v in s.initial.items())
    model = load(folder / "model.safetensors")
    for name, w in s.model.state_dict().items():
        np.testing.assert_array_equal(model.model.state_dict()[name].numpy(), w.numpy())
    assert model.history["history"]["loss"] == [h[1] for h in s.history]
    report = (folder / "report.html").read_text()
    assert report.startswith("<!DOCTYPE html>") and "playground: spiral" in report
