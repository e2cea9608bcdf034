"""The HTML report of a training run: one self-contained page, viewable offline.

The page has no external resources at all: the style sheet is inline and every plot is an
inline SVG drawn in Python (``glassnet.report.charts``). All text from the file is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from glassnet.errors import GlassnetError
from glassnet.io.atomic import write_atomic
from glassnet.io.model import LoadedModel, load
from glassnet.io.safetensors import PathLike
from glassnet.report.diagnostics import diagnostic_figures, warning_table
from glassnet.report.layers import layer_numbers
from glassnet.report.plots import Figure, curve_figures, norm_figures
from glassnet.report.predictions import boundary_figures, confusion_figures, fit_figures
from glassnet.report.record import RunRecord, read_run
from glassnet.report.svg import esc
from glassnet.report.tables import facts_list, hyperparameter_table, metric_cards, model_table

__all__ = ["MODEL_FILE", "REPORT_FILE", "render_report", "write_report"]

MODEL_FILE, REPORT_FILE = "model.safetensors", "report.html"

_CSS = """
:root { --ink: #1f2933; --muted: #616e7c; --line: #e4e7eb; --accent: #2f5f8a; --paper: #ffffff; }
* { box-sizing: border-box; }
body { margin: 0; background: #f5f7fa; color: var(--ink);
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
main { max-width: 1380px; margin: 0 auto; padding: 28px 24px 48px; }
header h1 { margin: 0 0 4px; font-size: 26px; font-weight: 650; }
header p { margin: 0; color: var(--muted); }
section { background: var(--paper); border: 1px solid var(--line); border-radius: 8px;
          padding: 18px 22px; margin-top: 20px; }
h2 { margin: 0 0 12px; font-size: 18px; font-weight: 620; }
h3 { margin: 16px 0 8px; font-size: 15px; font-weight: 600; color: var(--muted); }
.note { color: var(--muted); font-style: italic; margin: 6px 0; }
.facts { display: flex; flex-wrap: wrap; gap: 8px 28px; margin: 14px 0 0; }
.facts dt { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.facts dd { margin: 0; font-weight: 600; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 18px; min-width: 150px; }
.card .value { font-size: 26px; font-weight: 650; color: var(--accent); font-variant-numeric: tabular-nums; }
.card .label { font-size: 13px; color: var(--muted); }
.columns { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 28px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
tfoot td { font-weight: 650; border-bottom: none; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.details { color: var(--muted); font-size: 13px; }
.why { min-width: 16em; } .why .fix { margin-top: 4px; font-weight: 600; }
.settings th { width: 40%; font-weight: 500; color: var(--muted); }
.chain { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px;
         background: #f5f7fa; padding: 6px 10px; border-radius: 6px; overflow-x: auto; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); gap: 18px; }
figure { margin: 0; }
figure svg.plot { display: block; max-width: 100%; height: auto; margin: 0 auto; }
figcaption { font-size: 13px; color: var(--muted); margin-top: 4px; }
footer { margin-top: 24px; font-size: 12px; color: var(--muted); text-align: center; }
@media (max-width: 900px) { .columns { grid-template-columns: 1fr; } }
"""


def render_report(loaded: LoadedModel) -> str:
    """The complete HTML report of a loaded run (see ``write_report``) as one string.

    >>> import glassnet as gn
    >>> page = render_report(LoadedModel(gn.nn.Sequential(gn.nn.Linear(2, 1, generator=0))))
    >>> page.startswith("<!DOCTYPE html>"), "No training history" in page
    (True, True)
    """
    run = read_run(loaded)
    sections = [_results(run), _model(run), _training(run), _diagnostics(run), _predictions(run),
                _norms(run)]
    title = f"glassnet report: {run.dataset}"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{_CSS}</style></head><body><main>"
            f"<header><h1>Training report: {esc(run.dataset)}</h1>"
            f"<p>{esc(_subtitle(run))}</p></header>" + "".join(sections)
            + f"<footer>Written by glassnet {esc(run.version or 'unknown')}; this page is self-contained "
              "and works offline.</footer></main></body></html>\n")


def write_report(run_dir: PathLike) -> Path:
    """Write ``run_dir/report.html`` for the model file ``run_dir/model.safetensors``.

    Returns:
        the path of the report.

    Raises:
        GlassnetError: when the folder has no model file, or the file cannot be loaded.
    """
    folder = Path(run_dir)
    source = folder / MODEL_FILE
    if not source.is_file():
        raise GlassnetError(f"cannot write a report for {folder}: it has no {MODEL_FILE}; pass the folder "
                            "of a training run (the one holding its model file)")
    return write_atomic(folder / REPORT_FILE, render_report(load(source)))


def _subtitle(run: RunRecord) -> str:
    parts = [run.task, f"{len(run.epochs)} epoch{'s' if len(run.epochs) != 1 else ''}"]
    for key in ("optimizer", "loss"):
        if run.hyperparameters.get(key):
            parts.append(f"{key} {run.hyperparameters[key]}")
    return " · ".join(parts)


def _section(anchor: str, heading: str, body: str) -> str:
    return f'<section id="{anchor}"><h2>{esc(heading)}</h2>{body}</section>'


def _figures(figures: Sequence[Figure]) -> str:
    cells = [f"<figure>{f.svg}" + (f"<figcaption>{esc(f.caption)}</figcaption>" if f.caption else "")
             + "</figure>" for f in figures]
    return '<div class="figures">' + "".join(cells) + "</div>"


def _note(text: str) -> str:
    return f'<p class="note">{esc(text)}</p>'


def _results(run: RunRecord) -> str:
    scores = run.extra.get("test_metrics")
    body = metric_cards(scores) if isinstance(scores, dict) and scores else _note(
        "No test metrics were saved with this model.")
    return _section("results", "Results", body + facts_list(run))


def _model(run: RunRecord) -> str:
    return _section("model", "Model and settings", '<div class="columns"><div><h3>Layers</h3>'
                    + model_table(run.model) + "</div><div><h3>Hyperparameters</h3>"
                    + hyperparameter_table(run.hyperparameters) + "</div></div>")


def _training(run: RunRecord) -> str:
    if not run.history:
        return _section("training", "Training", _note("No training history was saved with this model."))
    notes = [] if "val_loss" in run.history else [_note("No validation data: the curves are training only.")]
    if len(run.epochs) == 1:
        notes.append(_note("The run lasted one epoch, so each curve is a single point."))
    return _section("training", "Training", "".join(notes) + _figures(curve_figures(run)))


def _predictions(run: RunRecord) -> str:
    figures = confusion_figures(run) + fit_figures(run) + boundary_figures(run)
    if not figures:
        return ""
    return _section("predictions", "Predictions", _figures(figures))


def _norms(run: RunRecord) -> str:
    figures = norm_figures(run)
    if not figures:
        return ""
    return _section("norms", "Weights and gradients per layer", _figures(figures))


def _diagnostics(run: RunRecord) -> str:
    """The warnings the diagnostics raised (or a note that there were none) and their charts."""
    if not run.history and not run.warnings:
        return ""
    figures = diagnostic_figures(run)
    if not figures and not run.warnings:
        return _section("diagnostics", "Diagnostics", _note(
            "No diagnostics were recorded for this run (trained with diagnostics=False, or saved by an "
            "older glassnet)."))
    count = len(run.warnings)
    table = warning_table(run.warnings, layer_numbers(run.model))
    body = (f"<h3>{count} warning{'s' if count != 1 else ''}</h3>" + table
            if count else _note("No warnings: no diagnostic crossed its threshold during training."))
    return _section("diagnostics", "Diagnostics", body + (_figures(figures) if figures else ""))
