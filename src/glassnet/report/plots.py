"""The report's per-epoch figures, built from a run: training curves and per-layer norms.

Each function returns a list of ``Figure`` (empty when the run lacks what it would show), so the
page can say what is missing instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass

from glassnet.metrics.table import METRICS
from glassnet.report.charts import Series, line_chart
from glassnet.report.layers import layer_color, layer_numbers, parameter_label
from glassnet.report.record import RunRecord
from glassnet.report.svg import PALETTE

__all__ = ["Figure", "best_epoch_mark", "curve_figures", "metric_names", "metric_range", "norm_figures"]

_TRAIN, _VAL = PALETTE[0], PALETTE[1]
_BOOKKEEPING = {"loss", "data_loss", "lr", "time"}


@dataclass(frozen=True)
class Figure:
    """One plot of the page: its ``data-plot`` name, the SVG and a caption (plain text)."""

    name: str
    svg: str
    caption: str = ""


def metric_names(history: dict[str, list[float]]) -> list[str]:
    """The training metrics in a history: every key that is not a loss, penalty, norm, diagnostic or setting.

    >>> metric_names({"loss": [1.0], "accuracy": [0.5], "val_accuracy": [0.4], "lr": [0.1]})
    ['accuracy']
    """
    special = ("val_", "penalty_", "weight_norm/", "grad_norm/", "diag/", "steps/")
    return [k for k in history if k not in _BOOKKEEPING and not k.startswith(special)]


def metric_range(name: str) -> tuple[float, float] | None:
    """(0, 1) for a metric that is a fraction (accuracy, precision, recall, F1), else None.

    >>> metric_range("accuracy"), metric_range("f1_macro"), metric_range("rmse"), metric_range("r2")
    ((0.0, 1.0), (0.0, 1.0), None, None)
    """
    metric = METRICS.get(name)
    fraction = metric is not None and metric.task == "classification" and not metric.needs_proba
    return (0.0, 1.0) if fraction else None


def best_epoch_mark(run: RunRecord) -> tuple[float, str] | None:
    """The vertical line every per-epoch chart draws at the epoch whose weights were restored."""
    if run.restored_epoch is None:
        return None
    return float(run.restored_epoch), f"best epoch {run.restored_epoch} (weights restored)"


def curve_figures(run: RunRecord) -> list[Figure]:
    """Loss (training vs validation), loss terms, each metric and the learning rate per epoch."""
    h, x, mark = run.history, run.epochs, best_epoch_mark(run)
    figures = []
    train = "data_loss" if "data_loss" in h else "loss"
    loss_name = str(run.hyperparameters.get("loss") or "loss")
    if train in h:
        lines = [Series("training (data loss)", x, h[train], _TRAIN)]
        if "val_loss" in h:
            lines.append(Series("validation", x, h["val_loss"], _VAL, dashed=True))
        title = "Loss: training vs validation" if "val_loss" in h else "Training loss (no validation data)"
        caption = "Mean data loss over each epoch's batches" + (
            "; the validation loss is the data loss alone, so the two curves compare directly."
            if "val_loss" in h else ".")
        figures.append(Figure("loss", line_chart("loss", title, lines, ylabel=loss_name, mark=mark), caption))
    penalties = [k for k in h if k.startswith("penalty_")]
    if penalties and "loss" in h:
        lines = [Series("total loss (minimised)", x, h["loss"], PALETTE[0])]
        if "data_loss" in h:
            lines.append(Series("data loss", x, h["data_loss"], PALETTE[4], dashed=True))
        lines += [Series(f"penalty: {k.removeprefix('penalty_')}", x, h[k], PALETTE[(i + 2) % 10])
                  for i, k in enumerate(penalties)]
        figures.append(Figure("loss_terms", line_chart("loss_terms", "Loss terms: total = data + penalties",
                                                       lines, ylabel="loss", mark=mark),
                              "What the optimizer minimised, split into the data loss and each "
                              "regularization penalty."))
    for name in metric_names(h):
        lines = [Series(f"training {name}", x, h[name], _TRAIN)]
        if f"val_{name}" in h:
            lines.append(Series(f"validation {name}", x, h[f"val_{name}"], _VAL, dashed=True))
        vs = ": training vs validation" if len(lines) > 1 else " (training)"
        chart = line_chart(f"metric_{name}", f"{name}{vs}", lines, ylabel=name, y_range=metric_range(name),
                           mark=mark)
        figures.append(Figure(f"metric_{name}", chart))
    if "lr" in h:
        figures.append(Figure("lr", line_chart("lr", "Learning rate", [
            Series("learning rate", x, h["lr"], PALETTE[6])], ylabel="learning rate", mark=mark),
            "The first parameter group's learning rate at the end of each epoch."))
    return figures


def norm_figures(run: RunRecord) -> list[Figure]:
    """‖W‖ and ‖∂L/∂W‖ per parameter and epoch, one line per parameter (log scale when useful)."""
    h, x = run.history, run.epochs
    logged = {k.split("/", 1)[1] for k in h if k.startswith(("weight_norm/", "grad_norm/"))}
    names = [n for n, _ in run.model.named_parameters() if n in logged] + sorted(
        logged - {n for n, _ in run.model.named_parameters()})  # the model's order, then any others
    numbers = layer_numbers(run.model)
    figures = []
    for key, name, title, log, caption in (
        ("weight_norm", "weight_norms", "Weight norms ‖W‖ per parameter", None,
         "Frobenius norm of each parameter after each epoch; one colour per layer, biases dashed."),
        ("grad_norm", "grad_norms", "Gradient norms ‖∂L/∂W‖ per parameter", True,
         "Frobenius norm of each parameter's gradient in the last batch of each epoch."),
    ):
        lines = [Series(parameter_label(n, numbers), x, h[f"{key}/{n}"],
                        layer_color(numbers.get(n.rpartition(".")[0] or "0", 0)), n.endswith("bias"))
                 for n in names if f"{key}/{n}" in h]
        if lines:
            figures.append(Figure(name, line_chart(name, title, lines, ylabel="norm", log_y=log,
                                                   mark=best_epoch_mark(run)), caption))
    return figures
