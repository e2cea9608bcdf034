"""The glassnet commands: train, evaluate, predict, datasets, explain, report, playground; each returns an
exit status."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from glassnet.cli import tables
from glassnet.cli.build import (
    build_loss,
    build_model,
    build_optimizer,
    build_regularizers,
    check_loss,
    default_loss,
    n_outputs,
    probabilities,
    targets,
)  # fmt: skip
from glassnet.cli.distributing import SILENT_ERROR, replicas_for, same_folder
from glassnet.cli.parser import TRAIN_DEFAULTS, load_config
from glassnet.cli.scoring import ModelInfo, confusion, load_model, metrics_table, score
from glassnet.data import DATASETS, Dataset, StandardScaler, load, split3
from glassnet.data.checks import check_classes
from glassnet.errors import GlassnetError
from glassnet.io.atomic import write_atomic
from glassnet.io.model import save
from glassnet.train import EarlyStopping, HistoryLogger, ModelCheckpoint, TerminateOnNaN, fit, predict
from glassnet.train.sentinel import LEARNING_RATE, PENALTY

__all__ = ["TEST_SIZE", "VAL_SIZE", "datasets", "evaluate", "playground", "predict_file", "report", "resume",
           "train"]

VAL_SIZE, TEST_SIZE = 0.1, 0.2  # of all samples; the rest (70%) trains
SETTINGS, CHECKPOINT = "settings.json", "checkpoint.safetensors"  # in a run folder, for --resume
_MAX_POINTS = 1000  # training points kept for the report's decision-boundary plot


def _is_builtin(data: str) -> bool:
    return data in DATASETS and not Path(data).suffix


def _load(data: str, target: str | None, task: str | None = None) -> Dataset:
    """A built-in data set or a file; a file's task may be fixed by the model that reads it."""
    if _is_builtin(data) and target is not None:
        raise GlassnetError(f"--target is for data files; the built-in data set {data!r} has its own target")
    options = {} if task is None or _is_builtin(data) else {"task": task}
    try:
        ds = load(data, target, **options)
    except GlassnetError:
        if target is None or not target.lstrip("-").isdigit():
            raise
        ds = load(data, int(target), **options)  # not a column name: a column index
    if ds.task == "unlabeled":
        raise GlassnetError(f"{data!r} has no targets; pass labelled data (and --target for a CSV file)")
    return ds


def _run_dir(out: str | None, name: str) -> Path:
    """--out, or a new folder runs/<name>-<YYYYmmdd-HHMMSS> (with -2, -3... if that one exists)."""
    if out is not None:
        path = Path(out)
    else:
        base = Path("runs") / f"{name or 'data'}-{time.strftime('%Y%m%d-%H%M%S')}"
        path, k = base, 1
        while path.exists():
            k += 1
            path = base.with_name(f"{base.name}-{k}")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _points(X: np.ndarray, y: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """At most 1000 training points (after preprocessing) for the report's 2-D plot."""
    rng = np.random.default_rng(seed)
    keep = np.sort(rng.choice(len(X), size=min(_MAX_POINTS, len(X)), replace=False))
    labels = y[keep] if y.ndim == 1 else y[keep, 0]
    return {"X": X[keep].astype(np.float64), "y": labels}  # (n, 2), (n,)


Splits = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _split(ds: Dataset, seed: int) -> tuple[Splits, StandardScaler]:
    """Stratified train/validation/test parts, standardized with statistics of the training part only."""
    (X_tr, y_tr), (X_va, y_va), (X_te, y_te) = split3(ds.X, ds.y, val_size=VAL_SIZE, test_size=TEST_SIZE,
                                                      stratify=True, seed=seed)
    scaler = StandardScaler().fit(X_tr)
    parts = (scaler.transform(X_tr), y_tr), (scaler.transform(X_va), y_va), (scaler.transform(X_te), y_te)
    return parts, scaler


def _extra(ds: Dataset, parts: Splits, test: dict[str, float], predicted: np.ndarray,
           seed: int) -> dict[str, Any]:
    """What the run folder's model file keeps beside the weights, for the report."""
    (X_tr, y_tr), (X_va, _), (X_te, y_te) = parts
    extra: dict[str, Any] = {"task": ds.task, "dataset": ds.name, "test_metrics": test,
                             "feature_names": list(ds.feature_names), "target_name": ds.target_name,
                             "n_samples": {"train": len(X_tr), "validation": len(X_va), "test": len(X_te)}}
    if ds.task == "classification":
        extra["confusion_matrix"] = confusion(y_te, predicted, ds.n_classes)
    else:
        extra["test_predictions"] = {"y_true": np.asarray(y_te, dtype=np.float64),
                                     "y_pred": np.asarray(predicted, dtype=np.float64)}
    if ds.n_features == 2:
        extra["points"] = _points(X_tr, y_tr, seed)
        extra["test_points"] = _points(X_te, y_te, seed)
    return extra


def _announce(ds: Dataset, parts: Splits, used: dict[str, Any], n_out: int) -> None:
    sizes = "-".join(str(n) for n in [ds.n_features, *used["layers"], n_out])
    n_tr, n_va, n_te = (len(X) for X, _ in parts)
    print(f"training {sizes} ({', '.join(used['activation']) or 'linear'}) on {ds.name}: {n_tr} train, "
          f"{n_va} validation, {n_te} test samples; {used['optimizer']} lr {used['lr']:g}, "
          f"{used['loss']} loss, up to {used['epochs']} epochs")


def train(settings: dict[str, Any], resume_from: Path | None = None, distributed: bool = False) -> int:
    """Train the network the settings describe, print its test metrics and write the run folder.

    The settings go to the run folder first, then a checkpoint after every epoch (both written
    atomically), so that ``resume`` continues a killed run exactly; ``resume_from`` is that checkpoint.
    ``distributed``: this process is one rank of an mpiexec job; rank 0 prints and writes.
    """
    replicas = replicas_for(distributed)
    try:
        return _train(settings, resume_from, replicas)
    except GlassnetError:
        if replicas is None or replicas.rank == 0:
            raise
        return SILENT_ERROR


def _train(settings: dict[str, Any], resume_from: Path | None, replicas: Any) -> int:
    root = replicas is None or replicas.rank == 0
    ds = _load(settings["data"], settings["target"])
    if ds.task == "classification":
        check_classes(ds.classes if ds.classes is not None else ds.y, f"the target {ds.target_name!r} of "
                      f"{settings['data']}")
    loss = check_loss(settings["loss"] or default_loss(ds.task), ds.task, ds.n_classes)
    parts, scaler = _split(ds, settings["seed"])
    (X_tr, y_tr), (X_va, y_va), (X_te, y_te) = parts
    n_out = n_outputs(loss, ds.task, ds.n_classes, ds.y.shape[1] if ds.y.ndim == 2 else 1)
    model, activations = build_model(ds.n_features, settings["layers"], settings["activation"],
                                     settings["dropout"], n_out, loss, settings["seed"])
    optimizer = build_optimizer(settings["optimizer"], model.parameters(), settings["lr"],
                                settings["weight_decay"])
    run_dir = same_folder(replicas, lambda: _run_dir(settings["out"], ds.name))
    group = optimizer.param_groups[0]
    used = settings | {"loss": loss, "activation": activations, "lr": float(group["lr"]),
                       "weight_decay": float(group.get("weight_decay", 0.0)), "out": str(run_dir),
                       "val_size": VAL_SIZE, "test_size": TEST_SIZE, "scaler": "standard"}
    if root:
        _announce(ds, parts, used, n_out)
    if resume_from is None and root:
        _write_settings(run_dir / SETTINGS, settings | {"out": str(run_dir)})
    guard = TerminateOnNaN()
    callbacks: list[Any] = [guard, HistoryLogger(run_dir / "history.csv")]
    if settings["early_stopping"]:
        callbacks.append(EarlyStopping(patience=settings["early_stopping"]))
    callbacks.append(ModelCheckpoint(run_dir / CHECKPOINT))  # after every epoch, atomically
    history = fit(model, build_loss(loss), optimizer, X_tr, targets(loss, y_tr), epochs=settings["epochs"],
                  batch_size=settings["batch_size"], validation_data=(X_va, targets(loss, y_va)),
                  metrics=["accuracy"] if ds.task == "classification" else ["rmse"], callbacks=callbacks,
                  regularizer=build_regularizers(settings["l1"], settings["l2"]) or None,
                  seed=settings["seed"], verbose=settings["verbose"],
                  resume_from=None if resume_from is None else str(resume_from), distributed=replicas)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # _check_trained reports
        test, predicted = score(model, loss, X_te, y_te, ds.task, ds.n_classes)
    if not root:
        return 0  # rank 0 reports and writes the model
    print(metrics_table(f"test metrics ({len(X_te)} samples)", test))
    _check_trained(guard, test, ds.task, used["lr"])
    save(model, run_dir / "model.safetensors", preprocessing=scaler.state_dict(),
         classes=None if ds.classes is None else ds.classes.tolist(), hyperparameters=used,
         history=history.to_dict(), extra=_extra(ds, parts, test, predicted, settings["seed"]))
    print(f"model: {run_dir / 'model.safetensors'}")
    if not settings["no_report"]:
        print(f"report: {_write_report(run_dir)}")
    return 0


def resume(args: dict[str, Any]) -> int:
    """``glassnet train --resume RUN``: continue a killed run from its last checkpoint, with its settings."""
    run_dir = Path(args["resume"])
    others = sorted(k for k in args if k not in ("command", "resume", "verbose", "distributed"))
    if others:
        options = ", ".join("--" + k.replace("_", "-") for k in others)
        raise GlassnetError(f"--resume continues a run with its own settings; drop {options} (only -q/-v "
                            "and --distributed may be given)")
    for name, what in ((SETTINGS, "its settings"), (CHECKPOINT, "a checkpoint (written after every epoch)")):
        if not (run_dir / name).is_file():
            raise GlassnetError(f"cannot resume {str(run_dir)!r}: it has no {name} ({what}); pass a run "
                                "folder written by 'glassnet train' that has finished at least one epoch")
    if (run_dir / "model.safetensors").is_file():
        raise GlassnetError(f"the run in {str(run_dir)!r} has finished (it has model.safetensors); there "
                            "is nothing to resume")
    settings = TRAIN_DEFAULTS | load_config(run_dir / SETTINGS)  # None (a default) is not written
    if "verbose" in args:
        settings["verbose"] = args["verbose"]
    return train(settings | {"out": str(run_dir)}, resume_from=run_dir / CHECKPOINT,
                 distributed=bool(args.get("distributed")))


def _write_settings(path: Path, settings: dict[str, Any]) -> None:
    """The run's settings as JSON (a config file's keys), written atomically."""
    kept = {k: v for k, v in settings.items() if k != "config" and v is not None}
    write_atomic(path, json.dumps(kept, indent=1))


def _check_trained(guard: TerminateOnNaN, test: dict[str, float], task: str, lr: float) -> None:
    """A run whose training diverged, or whose test metrics are not finite, fails: no model is written."""
    bad = ", ".join(f"{k} {v}" for k, v in test.items() if not np.isfinite(v))
    scale = " (regression targets are used as given: check their scale)" if task == "regression" else ""
    if guard.diverged:
        tested = f" Test metrics not finite: {bad}." if bad else ""
        fixes = {LEARNING_RATE: f"try a smaller --lr than {lr:g}", PENALTY: "try a smaller --l1 or --l2"}
        fix = fixes.get(guard.cause, "check the data")
        raise GlassnetError(f"training diverged: {guard.diverged}{tested} No model was written; {fix}{scale}")
    if bad:
        raise GlassnetError(f"training did not converge: test metrics not finite: {bad}. No model was "
                            f"written; try a smaller --lr than {lr:g} or scale the data{scale}")


def _write_report(run_dir: Path) -> Path:
    try:
        from glassnet.report import write_report
    except ImportError as e:  # the report module is optional while it is being written
        raise GlassnetError(f"cannot write the report ({e}); train with --no-report") from e
    return Path(write_report(run_dir))


def evaluate(model_path: str, data: str, target: str | None) -> int:
    """Print the loss and metrics of a saved model on a data set or file."""
    info = load_model(model_path)
    ds = _load(data, target if target is not None or _is_builtin(data) else info.target, info.task)
    X = _features(info, ds, data)
    if info.task == "classification":
        y = info.class_indices(ds.decode(ds.y), data)
        n_classes = len(info.classes or [])
    else:
        y = ds.y.reshape(len(ds.y), -1)  # (n_samples, n_targets): a class column is one target
        if y.shape[1] != info.n_outputs:
            raise GlassnetError(f"{data} has {y.shape[1]} target columns but the model predicts "
                                f"{info.n_outputs}")
        n_classes = 0
    values, _ = score(info.model, info.loss, X, y, info.task, n_classes)
    print(metrics_table(f"{info.path} on {data} ({len(X)} samples)", values))
    return 0


def _features(info: ModelInfo, ds: Dataset, source: str) -> np.ndarray:
    """The model's feature columns of ``ds``, matched by name as ``predict`` matches a CSV file's,
    through the saved preprocessing."""
    columns = tables.match_columns(list(ds.feature_names), info.feature_names, info.n_features,
                                   info.target_name, source)
    return info.inputs(ds.X[:, columns], source)


def predict_file(model_path: str, input_path: str, output: str | None) -> int:
    """Write the model's predictions for a CSV file: labels and class probabilities, or values."""
    info = load_model(model_path)
    X = info.inputs(tables.read_features(input_path, info.feature_names, info.n_features,
                                         info.target_name), input_path)
    outputs = predict(info.model, X)  # (n_samples, n_outputs)
    if info.task == "classification":
        P = probabilities(info.loss, outputs)  # (n_samples, n_classes)
        classes = info.classes or list(range(P.shape[1]))
        header = [info.target_name, *(f"proba_{c}" for c in classes)]
        rows = [[classes[int(k)], *p] for k, p in zip(P.argmax(axis=1), P.tolist(), strict=True)]
    else:
        names = [info.target_name] if outputs.shape[1] == 1 else [
            f"{info.target_name}_{j}" for j in range(outputs.shape[1])]
        header, rows = names, outputs.tolist()
    written = tables.write_csv(output, header, rows)
    if written is not None:
        print(f"wrote {len(rows)} predictions to {written}")
    return 0


def datasets() -> int:
    """List the built-in data sets, one line each."""
    width = max(len(name) for name in DATASETS)
    for name, info in DATASETS.items():
        print(f"{name:<{width}}  {info.description}")
    return 0


def report(run_dir: str) -> int:
    """Rebuild report.html of a run folder."""
    path = Path(run_dir)
    if not (path / "model.safetensors").is_file():
        raise GlassnetError(f"{run_dir!r} has no model.safetensors; pass a run folder written by "
                            "'glassnet train'")
    print(f"report: {_write_report(path)}")
    return 0


def playground(port: int, open_browser: bool, seed: int) -> int:
    """Serve the playground until interrupted (Ctrl-C), then exit 0."""
    from glassnet.playground.server import serve  # its modules load only for this command

    serve(port=port, open_browser=open_browser, seed=seed)
    return 0
