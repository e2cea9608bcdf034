"""fit, evaluate and predict: the one visible training loop of glassnet.

Each step of ``fit`` is the textbook one: forward → loss (+ penalties) → zero_grad → backward →
step. Everything else (validation, metrics, callbacks, checkpoints) happens around it.
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from glassnet.data.checks import check_dtype, check_numbers, check_targets
from glassnet.data.splits import train_test_split
from glassnet.engine.backend import is_numpy, namespace
from glassnet.engine.devices import CPU
from glassnet.engine.generator import as_generator
from glassnet.engine.libraries import device_of, host_dtype, move, to_host
from glassnet.engine.tensor import Tensor, no_grad
from glassnet.errors import GlassnetError, ShapeError, check_whole
from glassnet.io.state import load_state
from glassnet.nn.losses import Loss
from glassnet.nn.module import Module
from glassnet.optim.optimizer import Optimizer
from glassnet.regularizers.penalties import Regularizer
from glassnet.train.arguments import check_fit_arguments
from glassnet.train.callbacks import Callback
from glassnet.train.diagnostics import Diagnostics
from glassnet.train.history import History
from glassnet.train.outputs import OutputKind, check_metrics, output_kind, score
from glassnet.train.parallel import Parallel
from glassnet.train.progress import ProgressBar
from glassnet.train.run import Run
from glassnet.train.sentinel import TerminateOnNaN
from glassnet.train.sources import (
    ArrayBatches,
    LoaderBatches,
    as_array,
    loader_inputs,
    loader_options,
    shuffle_generator,
    targets_as,
)  # fmt: skip
from glassnet.train.steps import TrainStep
from glassnet.utils.data.dataloader import DataLoader

__all__ = ["evaluate", "fit", "predict"]

Weights = Mapping[Any, float] | str | None


def fit(model: Module, loss: Module, optimizer: Optimizer, X: Any, y: Any = None, *, epochs: int = 1,
        batch_size: int | None = None, validation_split: float = 0.0,
        validation_data: tuple[Any, Any] | DataLoader[Any] | None = None, metrics: Sequence[str] = (),
        callbacks: Iterable[Callback] = (), regularizer: Regularizer | Sequence[Regularizer] | None = None,
        class_weight: Weights = None, sample_weight: Any = None,
        seed: int | np.random.Generator | None = None, shuffle: bool | None = None, verbose: int = 1,
        resume_from: str | None = None, diagnostics: bool = True,
        penalty_per_sample: bool = False, device: Any = None,
        distributed: Parallel | None = None) -> History:
    """Train ``model`` by minibatch gradient descent and return its History.

    Args:
        model: the network; its parameters' dtype sets the dtype of the data.
        loss: a loss module, e.g. ``nn.CrossEntropyLoss()``, called ``loss(output, target)``.
        optimizer: built over ``model.parameters()``.
        X, y: training inputs (n_samples, ...) and targets (n_samples, ...); or X a
            ``glassnet.utils.data.DataLoader`` of (inputs, targets) batches and no y: fit trains on
            its batches in its order, its batch size and shuffling (a loader shuffled with a seed or
            Generator of its own resumes exactly; see ``resume_from``).
        epochs, batch_size: passes over the data and samples per step (default 32; the last batch
            may be short).
        validation_split: fraction held out for validation (stratified for classification, seeded).
        validation_data: ``(X_val, y_val)`` or a DataLoader, instead of a split.
        metrics: names from ``glassnet.metrics.METRICS``, e.g. ``["accuracy"]``.
        callbacks: e.g. EarlyStopping, ModelCheckpoint; a ProgressBar and TerminateOnNaN are added.
        regularizer: one or more penalties added to the loss; each is logged on its own.
        class_weight: ``{class: weight}`` or ``"balanced"`` (n_samples / (n_classes · count)).
        sample_weight: (n_samples,) weights; with class weights they multiply. Weighted losses are
            Σ wᵢℓᵢ / Σ wᵢ over each batch.
        seed: seed or Generator for the shuffling and the validation split; None draws from the
            default generator that ``gn.manual_seed`` seeds.
        shuffle: a new order of X every epoch (default True). A DataLoader takes batch_size and
            shuffle from its own options, and no validation_split, class or sample weights.
        verbose: 0 silent, 1 progress bar (one line per epoch off a terminal), 2 one line per epoch.
        resume_from: a ModelCheckpoint file: continue that run exactly where it stopped (with a
            shuffling DataLoader, exactly when its generator is its own: a seed or a Generator); a
            run that a callback had stopped at that epoch (early stopping) ends there, as it did.
        A default TerminateOnNaN stops training that diverges (a NaN, infinite or exploding loss,
        non-finite or overflowing weights) and restores the weights and optimizer state from the
        start of that epoch, which is not recorded.
        diagnostics: add a ``Diagnostics`` callback (dead and saturated units, gradient flow,
            update sizes, loss spikes) unless one is given; False adds none. It only reads.
        penalty_per_sample: divide each penalty by the batch's sample count (by the sum of its
            sample weights when weighted): each batch's objective is then (Σ wᵢℓᵢ + R(W)) / Σ wᵢ,
            scikit-learn's for its MLP's alpha.
        device: train there (``"cuda"``, ``"cpu"``, ...): the model and its optimizer state are
            moved first, each batch of NumPy data is copied there; the logs, metrics and files
            come back to the host. None: where the model's parameters are.
        distributed: a ``glassnet.distributed.Replicas()`` in every process of an ``mpiexec`` job:
            the processes train one model together, each on its share of every global batch
            (docs/distributed.md); callbacks that write or print run on rank 0 only.

    Returns:
        History with per-epoch loss, data loss, penalties, metrics, validation values, lr, time,
        ``diag/...`` values and the diagnostics' ``warnings``, and how the steps ran:
        ``steps/replayed`` and ``steps/graph`` per epoch, and ``graph_reasons`` (see
        ``glassnet.train.steps``).
    """
    check_fit_arguments(epochs, batch_size, validation_split, verbose)
    check_metrics(metrics, "fit")
    if distributed is not None and not isinstance(distributed, Parallel):
        raise GlassnetError(f"fit got distributed={distributed!r}; expected glassnet.distributed.Replicas() "
                            "in every process of an mpiexec job, or None")
    if device is not None:
        model.to(device)  # the optimizer's state follows its parameters at its next step
    kind = output_kind(loss)
    rng = as_generator(seed, "seed")  # None: the default generator that gn.manual_seed seeds
    val = _validation_data(validation_data, model, kind)
    source: ArrayBatches | LoaderBatches
    if isinstance(X, DataLoader):
        loader_options(y=y, batch_size=batch_size, shuffle=shuffle, class_weight=class_weight,
                       validation_split=validation_split or None, sample_weight=sample_weight)
        source, w = LoaderBatches(X, _dtype(model), kind), None
    else:
        X, y = _arrays(X, y, model, kind)
        w = _sample_weights(y, kind, class_weight, sample_weight)
        (X, y, w), val = _validation(X, y, w, kind, validation_split, val, rng)
        source = ArrayBatches(X, y, 32 if batch_size is None else batch_size,
                              True if shuffle is None else bool(shuffle))
    run = Run(model, optimizer, rng, epochs, len(source), val is not None,
              _with_defaults(callbacks, verbose, diagnostics),
              data_rng=shuffle_generator(X) if isinstance(X, DataLoader) else None)
    for callback in run.callbacks:
        if isinstance(callback, Diagnostics):
            callback.use_samples(source.n_samples(), source.inputs_at)  # the probe: training samples only
    if resume_from is not None:
        run.restore(_checkpoint(resume_from))
    weighting = None if w is None else (_per_sample(loss), w)
    step = TrainStep(model, loss, weighting, _regularizers(regularizer), _dtype(model),  # recorded, replayed
                     penalty_per_sample)
    if distributed is not None:  # every replica from rank 0's state
        run.parallel = distributed
        distributed.start(run, step)
    _call(run, "on_train_begin", step=step)
    for epoch in range(run.start_epoch, epochs):
        run.epoch = epoch
        _call(run, "on_epoch_begin", step=step)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # TerminateOnNaN reports
            logs = _train_epoch(run, step, source, kind, metrics)
            _check_weights(run)
        if run.rollback is not None:  # diverged: back to the start of this epoch, which is not recorded
            model.load_state_dict(run.rollback[0])
            optimizer.load_state_dict(run.rollback[1])
            break
        if run.stop_training and run.batch == 0 and not logs:
            break
        if val is not None:
            val_X, val_y = val.arrays() if isinstance(val, LoaderBatches) else val  # a loader: one pass
            logs |= {f"val_{k}": v for k, v in evaluate(model, loss, val_X, val_y, metrics=metrics).items()}
        logs |= _diagnose(run, logs)
        if run.parallel is not None:
            logs = run.parallel.agree(logs)
        run.history.append(run.epoch, logs)
        _call(run, "on_epoch_end", logs, step=step)
        _call(run, "on_epoch_saved", logs, step=step)  # checkpoints: the state after every on_epoch_end
        if run.stop_training:
            break
    _call(run, "on_train_end")
    run.history.graph_reasons = list(step.reasons)
    if run.restore_weights is not None:
        model.load_state_dict(run.restore_weights)
    run.history.stop_reason = run.stop_reason
    return run.history


def _train_epoch(run: Run, step: TrainStep, source: ArrayBatches | LoaderBatches, kind: OutputKind,
                 metrics: Sequence[str]) -> dict[str, float]:
    """One pass over the training data; returns the epoch's logs (empty if stopped at once)."""
    model, optimizer, parallel = run.model, run.optimizer, run.parallel
    model.train()
    start = time.perf_counter()
    on_loss, on_batch_end = _hooks(run, "on_loss"), _hooks(run, "on_batch_end")
    changing = any(cb.changes_model for cb in _with_hook(run, "on_loss") + _with_hook(run, "on_batch_end"))
    counts = dict(step.counts)
    sums: dict[str, float] = {}
    outputs, targets, seen = [], [], 0
    for batch, (idx, xb, yb) in enumerate(source.epoch(run.rng)):
        run.batch, run.inputs = batch, xb
        if parallel is None:
            losses, out = step.forward(xb, yb, idx)  # forward, loss (+ penalties)
        else:  # this replica's shard forward and backward; the global batch's losses and gradients
            losses, out = parallel.step(run, step, (idx, xb, yb))
        run.penalties = losses.penalties
        for hook in on_loss:
            hook(run, losses.total)
        if run.stop_training:
            break  # a bad loss never reaches the weights
        if parallel is None:
            optimizer.zero_grad()
            step.backward()  # backpropagation
        optimizer.step()  # gradient descent
        batch_logs = {"loss": losses.total, "data_loss": losses.data}
        for name, value in losses.penalties.items():
            batch_logs[f"penalty_{name}"] = value
        for key, number in batch_logs.items():
            sums[key] = sums.get(key, 0.0) + number * len(xb)
        seen += len(xb)
        if metrics:
            outputs.append(to_host(out))
            targets.append(yb)
        for hook in on_batch_end:
            hook(run, batch_logs)
        if changing:
            step.invalidate()
    if not seen:
        return {}
    logs = {k: v / seen for k, v in sums.items()} | _norms(model)
    if metrics:
        rows = np.concatenate(outputs) if parallel is None else parallel.rows(outputs, [len(t) for t in
                                                                                       targets])
        logs |= score(metrics, kind, rows, np.concatenate(targets), step.loss)
    logs |= {f"steps/{how}": float(step.counts[how] - counts[how]) for how in counts}
    return logs | {"lr": float(optimizer.param_groups[0]["lr"]), "time": time.perf_counter() - start}


def evaluate(model: Module, loss: Module, X: Any, y: Any = None, *, metrics: Sequence[str] = (),
             batch_size: int = 256) -> dict[str, float]:
    """The mean loss (and metrics) of ``model`` on ``(X, y)``, or on one pass of a DataLoader X of
    (inputs, targets) batches, in eval mode, without a graph."""
    kind = output_kind(loss)
    if isinstance(X, DataLoader):
        loader_options(y=y)
        X, y = LoaderBatches(X, _dtype(model), kind).arrays()
    check_whole("evaluate", "batch_size", batch_size, 1, example=256)
    check_metrics(metrics, "evaluate")
    X, y = _arrays(X, y, model, kind)
    out = predict(model, X, batch_size=batch_size)
    with no_grad():
        value = loss(Tensor(out), y).item()
    return {"loss": value} | (score(metrics, kind, out, y, loss) if metrics else {})


def predict(model: Module, X: Any, *, batch_size: int = 256) -> np.ndarray:
    """The model's raw outputs for ``X`` (or for the inputs of one pass of a DataLoader: each batch,
    or its first element when it is a list or tuple), batched, in eval mode, without a graph."""
    check_whole("predict", "batch_size", batch_size, 1, example=256)
    X = check_dtype(loader_inputs(X) if isinstance(X, DataLoader) else as_array(X), "X")
    X = X.astype(_dtype(model), copy=False)
    where = _device(model)
    was_training = model.training
    model.eval()
    try:
        with no_grad():  # each batch copied to the model's device, each output back to the host
            parts = [to_host(model(Tensor(move(X[i:i + batch_size], where))).array)
                     for i in range(0, len(X), batch_size)]
    finally:
        model.train(was_training)
    return np.concatenate(parts) if parts else np.empty((0,), dtype=X.dtype)


# ----------------------------------------------------------------------------- helpers
def _norms(model: Module) -> dict[str, float]:
    """‖W‖ of every parameter after the epoch and ‖∂L/∂W‖ of its last batch, for the report."""
    logs = {}
    for name, p in model.named_parameters():
        logs[f"weight_norm/{name}"] = _norm(p.array)
        if p.grad_array is not None:
            logs[f"grad_norm/{name}"] = _norm(p.grad_array)
    return logs


def _norm(a: np.ndarray) -> float:
    """‖a‖₂ over all elements: ``np.linalg.norm(a)``'s own steps (√(x·x) of the flat array) without
    its checks, which cost more than the arithmetic for a small layer; on another device, there."""
    if not is_numpy(a):
        xp = namespace(a)
        return float(xp.sqrt(xp.sum(a * a)))
    flat = a.ravel(order="K")
    return float(np.sqrt(flat.dot(flat)))


def _call(run: Run, hook: str, *args: Any, step: TrainStep | None = None) -> None:
    """Call every callback's ``hook``; a callback that may change the model makes ``step`` record anew."""
    for callback in _with_hook(run, hook):
        getattr(callback, hook)(run, *args)
        if step is not None and callback.changes_model:
            step.invalidate()


def _with_hook(run: Run, hook: str) -> list[Callback]:
    """The callbacks whose ``hook`` does something (not Callback's no-op)."""
    base = getattr(Callback, hook)
    return [cb for cb in run.callbacks if getattr(getattr(cb, hook), "__func__", None) is not base]


def _hooks(run: Run, hook: str) -> list[Any]:
    """The callbacks' ``hook`` methods that do something."""
    return [getattr(cb, hook) for cb in _with_hook(run, hook)]


def _diagnose(run: Run, logs: dict[str, float]) -> dict[str, float]:
    """Every Diagnostics callback's ``diag/...`` values, measured before the epoch is recorded."""
    values: dict[str, float] = {}
    for callback in run.callbacks:
        if isinstance(callback, Diagnostics):
            values |= callback.measure(run, logs)
    return values


def _check_weights(run: Run) -> None:
    """Every TerminateOnNaN's check of the weights after an epoch's steps."""
    for callback in run.callbacks:
        if isinstance(callback, TerminateOnNaN):
            callback.check_weights(run)


def _with_defaults(callbacks: Iterable[Callback], verbose: int, diagnostics: bool) -> list[Callback]:
    chosen = list(callbacks)
    for cb in chosen:
        if not isinstance(cb, Callback):
            raise GlassnetError(f"callbacks must be Callback instances, got {type(cb).__name__}")
    if not any(isinstance(cb, TerminateOnNaN) for cb in chosen):
        chosen.insert(0, TerminateOnNaN())
    if diagnostics and not any(isinstance(cb, Diagnostics) for cb in chosen):
        chosen.append(Diagnostics())
    if not any(isinstance(cb, ProgressBar) for cb in chosen):
        chosen.append(ProgressBar(verbose))
    return chosen


def _dtype(model: Module) -> np.dtype[Any]:
    first = next(model.parameters(), None)
    return host_dtype(first.array) if first is not None else np.dtype(np.float32)


def _device(model: Module) -> Any:
    """Where the model's parameters lie (the CPU for a model without any)."""
    first = next(model.parameters(), None)
    return device_of(first.array) if first is not None else CPU


def _arrays(X: Any, y: Any, model: Module, kind: OutputKind,
            names: tuple[str, str] = ("X", "y")) -> tuple[np.ndarray, np.ndarray]:
    if y is None:
        raise GlassnetError("got inputs X but no targets y: pass both, or a DataLoader of (inputs, targets) "
                            "batches as X alone")
    X, y = as_array(X), as_array(y)
    if len(X) != len(y):
        raise ShapeError(f"X has {len(X)} samples but y has {len(y)}; they must match")
    if len(X) == 0:
        raise GlassnetError("fit got no samples: X and y are empty")
    X = check_numbers(X, names[0], _dtype(model)).astype(_dtype(model), copy=False)  # before training
    y = check_targets(y, kind.classes_as_indices, _dtype(model), names[1])
    return X, targets_as(y, kind, X.dtype)


def _sample_weights(y: np.ndarray, kind: OutputKind, class_weight: Weights,
                    sample_weight: Any) -> np.ndarray | None:
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    if w is not None and w.shape != (len(y),):
        raise ShapeError(f"sample_weight has shape {w.shape}; expected ({len(y)},), one per sample")
    if class_weight is None:
        return w
    if not kind.is_classifier:
        raise GlassnetError("class_weight needs a classification loss (cross-entropy, NLL or BCE)")
    labels = y.reshape(len(y), -1)[:, 0].astype(np.int64)
    classes, counts = np.unique(labels, return_counts=True)
    if class_weight == "balanced":
        table = dict(zip(classes.tolist(), (len(y) / (len(classes) * counts)).tolist(), strict=True))
    elif isinstance(class_weight, Mapping):
        table = {int(k): float(v) for k, v in class_weight.items()}
    else:
        raise GlassnetError(f"class_weight must be a dict or 'balanced', got {class_weight!r}")
    per_sample = np.array([table.get(c, 1.0) for c in labels.tolist()])
    return per_sample if w is None else per_sample * w


Pair = tuple[np.ndarray, np.ndarray]


def _checkpoint(path: Any) -> Any:
    """The state in a ModelCheckpoint file for ``resume_from``; an error names the argument."""
    if not isinstance(path, str | os.PathLike):
        raise GlassnetError(f"fit got resume_from={path!r}; expected the path of a ModelCheckpoint file")
    try:
        return load_state(path)
    except GlassnetError as e:
        raise GlassnetError(f"fit got resume_from={str(path)!r}: {e}") from None


def _validation_data(data: Any, model: Module, kind: OutputKind) -> Pair | LoaderBatches | None:
    """validation_data as fit uses it: arrays, or a loader read again each epoch."""
    if data is None:
        return None
    if isinstance(data, DataLoader):
        return LoaderBatches(data, _dtype(model), kind)
    if not isinstance(data, tuple | list) or len(data) != 2 or min(np.ndim(data[0]), np.ndim(data[1])) < 1:
        raise GlassnetError(f"fit got validation_data={data!r}; expected a pair (X_val, y_val) of arrays, "
                            "or a DataLoader")
    return _arrays(data[0], data[1], model, kind, ("validation_data X", "validation_data y"))


def _validation(X: np.ndarray, y: np.ndarray, w: np.ndarray | None, kind: OutputKind, split: float,
                data: Pair | LoaderBatches | None,
                rng: np.random.Generator) -> tuple[tuple[Any, Any, Any], Pair | LoaderBatches | None]:
    if data is not None:
        return (X, y, w), data
    if not split:
        return (X, y, w), None
    if not 0.0 < split < 1.0:
        raise GlassnetError(f"validation_split must be in (0, 1), got {split}")
    keep, held, _, _ = train_test_split(np.arange(len(y)), y, test_size=split, stratify=kind.is_classifier,
                                        seed=rng)  # indices of a seeded, stratified hold-out set
    keep, held = np.sort(keep), np.sort(held)
    return (X[keep], y[keep], None if w is None else w[keep]), (X[held], y[held])


def _regularizers(regularizer: Regularizer | Sequence[Regularizer] | None) -> dict[str, Regularizer]:
    if regularizer is None:
        return {}
    chosen = [regularizer] if isinstance(regularizer, Regularizer) else list(regularizer)
    names = [type(r).__name__.lower() for r in chosen]
    return {f"{name}_{i}" if names.count(name) > 1 else name: r
            for i, (name, r) in enumerate(zip(names, chosen, strict=True))}


def _per_sample(loss: Module) -> Module:
    """The same loss without reduction, to weight each sample's term."""
    if not isinstance(loss, Loss):
        raise GlassnetError(f"sample or class weights need a glassnet loss with a 'reduction' "
                            f"argument; {type(loss).__name__} has none")
    unreduced = copy.copy(loss)
    unreduced.reduction = "none"
    return unreduced


