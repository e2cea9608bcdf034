"""The playground's export: one zip with runnable scripts, the data, the weights and the report.

``train.py`` trains the same network with glassnet (the same data, initial weights, dropout
masks, batches and hand edits) and prints the losses the page showed; ``train_torch.py`` does the
same in PyTorch from the same initial weights. The scripts are written from the session's own
objects (class names, settings), so they name what actually ran.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from glassnet.io.model import save
from glassnet.io.safetensors import save_tensors
from glassnet.nn.activations import LogSoftmax, Softmax
from glassnet.nn.layers import Dropout, Linear
from glassnet.nn.module import Module
from glassnet.playground.config import SCHEDULES
from glassnet.playground.datasets import FEATURES, TARGETS
from glassnet.playground.network import target_kind
from glassnet.playground.session import Session
from glassnet.report.html import write_report
from glassnet.train.history import History

__all__ = ["FILES", "export_files", "export_zip", "torch_script", "train_script"]

FILES = ("train.py", "train_torch.py", "data.csv", "initial.safetensors", "model.safetensors", "report.html",
         "config.json")


def _layers(session: Session, prefix: str, torch: bool) -> list[str]:
    """One constructor call per module of the network, in order."""
    lines = []
    for k, module in enumerate(session.model.children()):
        name = type(module).__name__
        if isinstance(module, Linear):
            lines.append(f"{prefix}Linear({module.in_features}, {module.out_features}),")
        elif isinstance(module, Dropout):
            seed = "" if torch else f", generator=rngs[{_dropout_stream(session.model, k)}]"
            lines.append(f"{prefix}Dropout({module.p!r}{seed}),")
        elif isinstance(module, Softmax | LogSoftmax):
            lines.append(f"{prefix}{name}(dim={module.dim}),")
        else:
            lines.append(f"{prefix}{name}(),")
    return lines


def _dropout_stream(model: Module, k: int) -> int:
    """Which of the seed's spawned generators the k-th module (a Dropout) got: build_model hands them
    out in order to each Linear layer and each Dropout."""
    return sum(isinstance(m, Linear | Dropout) for m in list(model.children())[:k])


def _settings(session: Session) -> dict[str, Any]:
    c = session.config
    return {"optimizer": type(session.optimizer).__name__,
            "options": {"lr": session.start_lr} | ({"momentum": c["momentum"]} if c["momentum"] > 0 else {}),
            "loss": type(session.loss).__name__,
            "schedule": None if session.schedule is None else type(session.schedule).__name__,
            "schedule_args": SCHEDULES[c["schedule"]],
            "penalty": None if session.penalty is None else (type(session.penalty).__name__, c["reg_rate"])}


def _arguments(options: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in options.items())


_HEADER = '''"""Train the glassnet playground's network again{library}: the same data, initial
weights, batches and hand edits. Run it in this folder: python {script}. It prints each epoch's
train and test loss.
"""

import csv

import numpy as np
{imports}

SEED = {seed}
EPOCHS = {epochs}
BATCH_SIZE = {batch_size}
EDITS = {edits}  # (before epoch, parameter, index, value): weights and biases set by hand
RATES = {rates}  # (before epoch, lr): the learning rate changed while training


def features(points):
    """The input features of points (n, 2): {names}."""
    x1, x2 = points[:, 0], points[:, 1]
    return np.stack([{expressions}], axis=1).astype(np.float32)


def targets(labels):
    return {targets}


def read_data(path="data.csv"):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    points = np.array([[float(r["x1"]), float(r["x2"])] for r in rows]).reshape(-1, 2)
    labels = np.array([float(r["label"]) for r in rows])
    train = np.array([r["split"] == "train" for r in rows], dtype=bool)
    return features(points[train]), targets(labels[train]), features(points[~train]), targets(labels[~train])


X_train, y_train, X_test, y_test = read_data()
'''

_GLASSNET_BODY = '''rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(SEED).spawn({streams})]
model = nn.Sequential(
{layers}
)
tensors, _ = load_tensors("initial.safetensors")
model.load_state_dict(tensors)
loss_fn = nn.{loss}()
optimizer = optim.{optimizer}(model.parameters(), {options})
schedule = {schedule}
penalty = {penalty}
rng = np.random.default_rng(SEED)  # the order of the batches
parameters = dict(model.named_parameters())


def data_loss(X, y):
    """The data loss over a whole set, in eval mode without a graph."""
    if len(X) == 0:
        return float("nan")
    model.eval()
    with gn.no_grad():
        value = loss_fn(model(gn.Tensor(X)), gn.Tensor(y)).item()
    model.train()
    return value


for epoch in range(EPOCHS + 1):
    for at, name, index, value in EDITS:
        if at == epoch:
            parameters[name].numpy()[tuple(index)] = value
    for at, lr in RATES:
        if at == epoch:
            for group in optimizer.param_groups:
                group["lr"] = lr
    if epoch == EPOCHS:
        break
    order = rng.permutation(len(X_train))
    for start in range(0, len(order), BATCH_SIZE):
        batch = order[start:start + BATCH_SIZE]
        output = model(gn.Tensor(X_train[batch]))
        loss = loss_fn(output, gn.Tensor(y_train[batch])){plus_penalty}
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    if schedule is not None:
        schedule.step()
    train_loss, test_loss = data_loss(X_train, y_train), data_loss(X_test, y_test)
    print(f"epoch {{epoch + 1}}: train loss {{train_loss!r}}, test loss {{test_loss!r}}")
'''

_TORCH_BODY = '''

def load_safetensors(path):
    """The tensors of a safetensors file (8-byte header length, JSON header, raw little-endian data)."""
    kinds = {{"F32": np.float32, "F64": np.float64, "I64": np.int64}}
    with open(path, "rb") as f:
        size = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(size))
        data = f.read()
    tensors = {{}}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        array = np.frombuffer(data[start:end], dtype=kinds[info["dtype"]]).reshape(info["shape"])
        tensors[name] = torch.from_numpy(array.copy())
    return tensors


if {dropout}:
    print("note: dropout masks come from torch's own random numbers here: the losses differ from glassnet's")
model = torch.nn.Sequential(
{layers}
)
model.load_state_dict(load_safetensors("initial.safetensors"))
loss_fn = torch.nn.{loss}()
optimizer = torch.optim.{optimizer}(model.parameters(), {options})
schedule = {schedule}
rng = np.random.default_rng(SEED)  # the order of the batches
parameters = dict(model.named_parameters())


def penalty(model):
    """{penalty_doc}"""
    weights = [p for name, p in model.named_parameters() if not name.endswith("bias")]
    return {penalty}


def data_loss(X, y):
    """The data loss over a whole set, in eval mode without a graph."""
    if len(X) == 0:
        return float("nan")
    model.eval()
    with torch.no_grad():
        value = loss_fn(model(torch.from_numpy(X)), torch.from_numpy(y)).item()
    model.train()
    return value


for epoch in range(EPOCHS + 1):
    for at, name, index, value in EDITS:
        if at == epoch:
            with torch.no_grad():
                parameters[name][tuple(index)] = value
    for at, lr in RATES:
        if at == epoch:
            for group in optimizer.param_groups:
                group["lr"] = lr
    if epoch == EPOCHS:
        break
    order = rng.permutation(len(X_train))
    for start in range(0, len(order), BATCH_SIZE):
        batch = order[start:start + BATCH_SIZE]
        output = model(torch.from_numpy(X_train[batch]))
        loss = loss_fn(output, torch.from_numpy(y_train[batch])) + penalty(model)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    if schedule is not None:
        schedule.step()
    train_loss, test_loss = data_loss(X_train, y_train), data_loss(X_test, y_test)
    print(f"epoch {{epoch + 1}}: train loss {{train_loss!r}}, test loss {{test_loss!r}}")
'''


def _header(session: Session, library: str, script: str, imports: str) -> str:
    c = session.config
    return _HEADER.format(library=library, script=script, imports=imports, seed=c["seed"],
                          epochs=session.epoch,
                          batch_size=c["batch_size"], edits=repr([tuple(e) for e in session.edits]),
                          rates=repr(session.rates),
                          names=", ".join(c["features"]),
                          expressions=", ".join(FEATURES[n].expression for n in c["features"]),
                          targets=TARGETS[target_kind(c)])


def train_script(session: Session) -> str:
    """train.py: the session's training in glassnet, printing each epoch's losses."""
    s = _settings(session)
    schedule = "None" if s["schedule"] is None else (
        f"optim.lr_scheduler.{s['schedule']}(optimizer, {_arguments(s['schedule_args'])})")
    penalty = "None" if s["penalty"] is None else f"{s['penalty'][0]}({s['penalty'][1]!r})"
    imports = ("\nimport glassnet as gn\nfrom glassnet import nn, optim\n"
               "from glassnet.io.safetensors import load_tensors")
    if s["penalty"] is not None:
        imports += f"\nfrom glassnet.regularizers import {s['penalty'][0]}"
    n_hidden = len(session.config["layers"])
    return _header(session, " with glassnet", "train.py", imports) + _GLASSNET_BODY.format(
        streams=2 * n_hidden + 1, layers="\n".join(_layers(session, "    nn.", False)), loss=s["loss"],
        optimizer=s["optimizer"], options=_arguments(s["options"]), schedule=schedule, penalty=penalty,
        plus_penalty="" if s["penalty"] is None else " + penalty(model)")


def torch_script(session: Session) -> str:
    """train_torch.py: the same training in PyTorch, from the same initial weights."""
    s = _settings(session)
    schedule = "None" if s["schedule"] is None else (
        f"torch.optim.lr_scheduler.{s['schedule']}(optimizer, {_arguments(s['schedule_args'])})")
    if s["penalty"] is None:
        penalty, doc = "0.0", "No penalty."
    elif s["penalty"][0] == "L1":
        penalty = f"{s['penalty'][1]!r} * sum(w.abs().sum() for w in weights)"
        doc = "L1: λ₁·Σ|W| over the weights."
    else:
        penalty = f"{s['penalty'][1]!r} * sum((w * w).sum() for w in weights)"
        doc = "L2: λ₂·ΣW² over the weights."
    header = _header(session, " with PyTorch", "train_torch.py", "import json\n\nimport torch")
    return header + _TORCH_BODY.format(
        dropout=session.config["dropout"] > 0, layers="\n".join(_layers(session, "    torch.nn.", True)),
        loss=s["loss"], optimizer=s["optimizer"], options=_arguments(s["options"]), schedule=schedule,
        penalty=penalty, penalty_doc=doc)


def data_csv(session: Session) -> str:
    """Every point: x1, x2, label and its part (train or test), each number exactly (repr)."""
    data = session.data
    rows = ["x1,x2,label,split"] + [
        f"{x1!r},{x2!r},{label!r},{'train' if train else 'test'}"
        for (x1, x2), label, train in zip(data.points.tolist(), data.labels.tolist(), data.train.tolist(),
                                          strict=True)]
    return "\n".join(rows) + "\n"


def _history(session: Session) -> History:
    history = History(warnings=list(session.warning_log))
    for (epoch, train, test), lr in zip(session.history, session.lrs, strict=True):
        history.append(epoch - 1, {"loss": train, "val_loss": test, "lr": lr})
    return history


def _save_model(session: Session, path: Path) -> None:
    c = session.config
    classification = c["problem"] == "classification"
    extra: dict[str, Any] = {"task": c["problem"], "dataset": f"playground: {c['dataset']}",
                             "feature_names": list(c["features"]), "target_name": "label",
                             "n_samples": {"train": len(session.X_train), "test": len(session.X_test)},
                             "note": "val_loss is the playground's test loss (held-out points)"}
    data = session.data
    if c["features"] == ["x1", "x2"] and target_kind(c) != "signed":
        extra["points"] = {"X": data.points[data.train], "y": data.labels[data.train]}
        extra["test_points"] = {"X": data.points[data.test], "y": data.labels[data.test]}
    classes = (session.classes or list(range(c["n_classes"]))) if classification else None
    save(session.model, path, classes=classes, hyperparameters=dict(c) | {"epochs": session.epoch},
         history=_history(session).to_dict(), extra=extra)


def export_files(session: Session, folder: Path) -> list[Path]:
    """Write the export's files into ``folder``; returns their paths in FILES order."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train.py").write_text(train_script(session), encoding="utf-8")
    (folder / "train_torch.py").write_text(torch_script(session), encoding="utf-8")
    (folder / "data.csv").write_text(data_csv(session), encoding="utf-8")
    save_tensors(folder / "initial.safetensors", session.initial)
    _save_model(session, folder / "model.safetensors")
    write_report(folder)
    settings = session.settings() | {"edits": session.edits, "rates": session.rates,
                                     "history": [[e, _json(t), _json(v)] for e, t, v in session.history]}
    (folder / "config.json").write_text(json.dumps(settings, indent=1), encoding="utf-8")
    return [folder / name for name in FILES]


def _json(x: float) -> float | None:
    return x if np.isfinite(x) else None


def export_zip(session: Session) -> bytes:
    """The export as the bytes of glassnet-playground.zip."""
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in export_files(session, Path(tmp)):
            zf.write(path, f"glassnet-playground/{path.name}")
    return buffer.getvalue()
