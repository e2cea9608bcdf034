"""glassnet.report: the HTML report of a run folder holds every plot and number, escapes what
users wrote, refers to nothing online, and renders without validation data or for regression."""

from __future__ import annotations

import html
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import glassnet as gn
from glassnet import nn, optim
from glassnet.errors import GlassnetError
from glassnet.report import render_report, write_report
from glassnet.report.charts import Series, line_chart
from glassnet.report.layers import WHOLE_MODEL_COLOR, layer_color
from glassnet.report.predictions import _predicted_class
from glassnet.report.svg import PALETTE, log_ticks, mix, nice_ticks
from glassnet.train.diagnostics import improvement_at_end

EVIL_LABEL = "<script>alert('class')</script>"
EVIL_DATASET = '<script>alert("dataset")</script> & blobs'
CLASSIFICATION_PLOTS = {"loss", "loss_terms", "metric_accuracy", "lr", "confusion_matrix",
                        "decision_boundary", "weight_norms", "grad_norms", "diag_saturated",
                        "diag_grad_ratio", "diag_update_ratio", "diag_loss_ratio"}  # Tanh: no ReLU to die


def make_run(folder: Path, *, task: str = "classification", validation: bool = True, epochs: int = 6,
             dataset: str = EVIL_DATASET, early_stopping: int = 0, lr: float = 0.05) -> Path:
    """Train a tiny model with glassnet.fit and save a run folder as the CLI does; returns the folder."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    if task == "classification":
        X, y = gn.data.make_blobs(240, centers=3, cluster_std=2.0, seed=0)
        order = rng.permutation(len(y))  # the test split below must hold every class
        X, y = X[order], y[order]
        loss, metrics, outputs = nn.CrossEntropyLoss(), ["accuracy"], 3
    else:
        X = rng.uniform(-2, 2, size=(240, 2))
        y = (np.sin(X[:, 0]) + 0.3 * X[:, 1] ** 2)[:, None]  # (240, 1)
        loss, metrics, outputs = nn.MSELoss(), ["rmse"], 1
    scaler = gn.data.StandardScaler()
    X_train, X_test = scaler.fit_transform(X[:180]), scaler.transform(X[180:])
    y_train, y_test = y[:180], y[180:]
    model = nn.Sequential(nn.Linear(2, 8, generator=0), nn.Tanh(), nn.Linear(8, outputs, generator=1))
    stopping = [gn.train.EarlyStopping(patience=early_stopping)] if early_stopping else []
    history = gn.fit(model, loss, optim.Adam(model.parameters(), lr=lr), X_train, y_train, epochs=epochs,
                     batch_size=32, validation_split=0.25 if validation else 0.0, metrics=metrics, seed=0,
                     verbose=0, regularizer=gn.regularizers.L2(1e-3), callbacks=stopping)
    out = gn.predict(model, X_test)
    extra: dict[str, Any] = {"task": task, "dataset": dataset,
                             "points": {"X": X_train[:150], "y": y_train[:150].reshape(-1)},
                             "test_points": {"X": X_test, "y": y_test.reshape(-1)}}
    if task == "classification":
        predicted = out.argmax(axis=1)
        extra["test_metrics"] = {"accuracy": gn.metrics.accuracy_score(y_test, predicted)}
        extra["confusion_matrix"] = gn.metrics.confusion_matrix(y_test, predicted, labels=[0, 1, 2]).tolist()
    else:
        extra["test_metrics"] = {"rmse": gn.metrics.root_mean_squared_error(y_test, out)}
        extra["test_predictions"] = {"y_true": y_test, "y_pred": out}
    settings = {"dataset": dataset, "layers": [8], "activation": "tanh", "loss": type(loss).__name__,
                "optimizer": "adam", "lr": lr, "epochs": epochs, "batch_size": 32, "l2": 1e-3, "seed": 0,
                "early_stopping": early_stopping}
    gn.save(model, folder / "model.safetensors", preprocessing=scaler.state_dict(),
            classes=["setosa", EVIL_LABEL, "c&d"] if task == "classification" else None,
            hyperparameters=settings, history=history.to_dict(), extra=extra)
    return folder


@pytest.fixture(scope="module")
def classification_page(tmp_path_factory: pytest.TempPathFactory) -> str:
    return write_report(make_run(tmp_path_factory.mktemp("run"))).read_text(encoding="utf-8")


def svgs(page: str) -> dict[str, ET.Element]:
    """Each inline SVG of the page, parsed as XML, by its data-plot name."""
    found = {}
    for source in re.findall(r"<svg\b.*?</svg>", page, flags=re.DOTALL):
        root = ET.fromstring(source)  # raises on anything that is not well-formed XML
        found[root.attrib["data-plot"]] = root
    return found


def test_classification_report_has_every_plot_each_titled_and_valid_xml(classification_page: str) -> None:
    plots = svgs(classification_page)
    assert set(plots) == CLASSIFICATION_PLOTS
    for name, root in plots.items():
        assert root.tag == "svg" and root.attrib["class"] == "plot", name
        assert root.attrib["aria-label"] and root.find("title") is not None, name
        labels = [t.text for t in root.iter("text")]
        assert root.find("title").text in labels, f"{name} shows no visible title"
    loss_texts = [t.text for t in plots["loss"].iter("text")]
    assert "epoch" in loss_texts and "training (data loss)" in loss_texts and "validation" in loss_texts
    penalties = [t.text for t in plots["loss_terms"].iter("text")]
    assert "penalty: l2" in penalties
    assert len(plots["weight_norms"].findall("./g[@class='series']")) == 4  # weight and bias of 2 layers


def test_summary_shows_the_parameter_count_test_accuracy_and_settings(classification_page: str,
                                                                      tmp_path: Path) -> None:
    loaded = gn.load(make_run(tmp_path) / "model.safetensors")
    total = loaded.model.num_parameters()
    assert total == 2 * 8 + 8 + 8 * 3 + 3
    assert f'id="total-parameters">{total:,}<' in classification_page
    accuracy = loaded.extra["test_metrics"]["accuracy"]
    assert f'data-metric="accuracy">{accuracy:.4f}<' in classification_page
    assert all(s in classification_page for s in ("Tanh", "(n, 2)", "(n, 8)", "(n, 3)"))
    assert "<th>optimizer</th><td>adam</td>" in classification_page
    cm = np.array(loaded.extra["confusion_matrix"])
    cells = svgs(classification_page)["confusion_matrix"].findall(".//g[@class='cell']")
    assert [int(c.find("text").text) for c in cells] == cm.ravel().tolist()


def test_diagnostics_section_shows_the_saved_warnings_and_a_chart_per_family(classification_page: str,
                                                                             tmp_path: Path) -> None:
    saved = gn.load(make_run(tmp_path) / "model.safetensors").history["warnings"]
    assert saved, "the run's Adam at lr=0.05 takes a large first step; its warning should be saved"
    section = classification_page.split('id="diagnostics"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r'<tr class="warning" data-diagnostic="(\w+)"><td class="num">(\d+)</td>', section)
    assert rows == [(w["name"], str(w["epoch"] + 1)) for w in saved]  # 1-based epochs, as on the charts
    assert html.escape(saved[0]["reason"]) in section and html.escape(saved[0]["fix"]) in section
    lines = [t.text for t in svgs(section)["diag_update_ratio"].iter("text")]
    assert "layer 1 W¹ (0.weight)" in lines and "layer 2 W² (2.weight)" in lines


def test_diagnostics_escape_warning_text_and_say_when_there_are_none() -> None:
    model = nn.Sequential(nn.Linear(2, 2, generator=0), nn.ReLU())
    history = {"history": {"loss": [1.0, 0.5], "diag/dead_relu/1": [0.0, 1.0]}, "epoch": [0, 1]}
    evil = {"name": "dead_relu", "epoch": 1, "layer": "1", "value": 1.0, "threshold": 0.5,
            "formula": "dead <= 1", "reason": EVIL_LABEL, "fix": "use <LeakyReLU>"}
    page = render_report(gn.io.LoadedModel(model, history={**history, "warnings": [evil]}))
    assert "<script" not in page.lower() and "&lt;LeakyReLU&gt;" in page and "dead &lt;= 1" in page
    assert "diag_dead_relu" in svgs(page)
    quiet = render_report(gn.io.LoadedModel(model, history={**history, "warnings": []}))
    assert "No warnings" in quiet and 'class="warning"' not in quiet and "diag_dead_relu" in svgs(quiet)


def test_user_text_is_escaped(classification_page: str) -> None:
    assert "<script" not in classification_page.lower()
    assert "&lt;script&gt;alert(&#x27;class&#x27;)&lt;/script&gt;" in classification_page
    assert "&lt;script&gt;alert(&quot;dataset&quot;)&lt;/script&gt; &amp; blobs" in classification_page
    assert "c&amp;d" in classification_page and "c&d" not in classification_page


def test_page_refers_to_nothing_online(classification_page: str) -> None:
    assert not re.search(r"https?://", classification_page)
    assert not re.search(r"<(link|script|img|iframe)\b|@import|url\(|src=", classification_page, re.I)


def test_regression_report_has_a_prediction_surface_and_no_confusion_matrix(tmp_path: Path) -> None:
    page = write_report(make_run(tmp_path, task="regression", dataset="waves")).read_text(encoding="utf-8")
    plots = svgs(page)
    assert {"loss", "metric_rmse", "prediction_surface", "grad_norms", "predicted_vs_true"} <= set(plots)
    assert "confusion_matrix" not in plots and "decision_boundary" not in plots
    assert 'data-metric="rmse"' in page and "Training report: waves" in page


def test_regression_report_plots_test_predictions_against_targets_and_y_equals_x(tmp_path: Path) -> None:
    loaded = gn.load(make_run(tmp_path, task="regression") / "model.safetensors")
    plot = svgs(render_report(loaded))["predicted_vs_true"]
    saved = loaded.extra["test_predictions"]
    dots = plot.findall(".//g[@class='points']/circle")
    assert len(dots) == len(saved["y_true"]) == 60  # every test sample
    line = plot.find(".//line[@class='diagonal']")
    assert line is not None and "y = x (a perfect prediction)" in [t.text for t in plot.iter("text")]
    x1, y1, x2, y2 = (float(line.attrib[k]) for k in ("x1", "y1", "x2", "y2"))
    assert x2 - x1 == pytest.approx(y1 - y2) and x2 - x1 > 300  # equal axes: the line rises at 45°
    # a perfect prediction lies on the line: the dot of the largest target is the highest and rightmost
    order = np.argsort(np.asarray(saved["y_true"]).ravel())
    xs = [float(d.attrib["cx"]) for d in dots]
    assert xs[order[-1]] == max(xs) and xs[order[0]] == min(xs)


def test_one_epoch_without_validation_renders_training_curves_only(tmp_path: Path) -> None:
    loaded = gn.load(make_run(tmp_path, validation=False, epochs=1) / "model.safetensors")
    page = render_report(loaded)
    plots = svgs(page)
    assert "val_loss" not in loaded.history["history"]
    assert "No validation data" in page and "one epoch" in page
    loss = plots["loss"]
    assert len(loss.findall("./g[@class='series']")) == 1 and len(loss.findall(".//circle")) == 1
    assert {"metric_accuracy", "decision_boundary", "confusion_matrix"} <= set(plots)


def test_a_model_file_without_extras_renders(tmp_path: Path) -> None:
    model = nn.Sequential(nn.Linear(3, 2, generator=0), nn.ReLU())
    gn.save(model, tmp_path / "model.safetensors")
    page = write_report(tmp_path).read_text(encoding="utf-8")
    assert "No training history" in page and "No test metrics" in page and svgs(page) == {}


def binary_boundary(test: bool = True) -> ET.Element:
    """The decision boundary of one logit z = 4·x₁ (p(yes) = σ(4 x₁)), with a test point or not."""
    X = np.array([[-1.0, 0.0], [1.0, 0.0]])
    model = nn.Sequential(nn.Linear(2, 1, generator=0))
    model.load_state_dict({"0.weight": np.array([[4.0, 0.0]]), "0.bias": np.zeros(1)})
    extra: dict[str, Any] = {"task": "classification", "points": {"X": X, "y": np.array([[0.0], [1.0]])}}
    if test:
        extra["test_points"] = {"X": np.array([[0.5, 0.5]]), "y": np.array([1])}
    page = render_report(gn.io.LoadedModel(model, classes=["no", "yes"], extra=extra))
    return svgs(page)["decision_boundary"]


def test_a_binary_boundary_is_shaded_by_the_probability_of_class_1() -> None:
    plot = binary_boundary()
    regions = plot.find(".//g[@class='regions']")
    cells = [(float(r.attrib["x"]), r.attrib["fill"]) for r in regions.iter("rect")]
    fills = {f for _, f in cells}
    assert len(fills) == 10  # ten shades of p(yes), five per side of p = 0.5
    blue, orange = "#4e79a7", "#f28e2b"  # the colours of class 0 and class 1 in every chart
    left, right = min(cells)[1], max(cells)[1]  # x₁ = -1.1: p ≈ 0.01; x₁ = 1.1: p ≈ 0.99
    assert left == mix("#ffffff", blue, 0.62 * 0.9) and right == mix("#ffffff", orange, 0.62 * 0.9)
    middle = min(cells, key=lambda c: abs(c[0] - 340))[1]  # the plot's centre: x₁ = 0, p = 0.5
    assert middle in (mix("#ffffff", blue, 0.062), mix("#ffffff", orange, 0.062))  # the palest
    labels = [t.text for t in plot.iter("text")]
    assert labels[1:5] == ["no", "yes", "training points", "test points"]


def test_test_points_are_drawn_hollow_over_the_filled_training_points() -> None:
    plot = binary_boundary()
    train = plot.findall(".//g[@class='points']/circle")
    test = plot.findall(".//g[@class='test-points']/circle")
    assert len(train) == 2 and len(test) == 1
    assert all(c.attrib["fill"] != "#ffffff" for c in train)
    assert test[0].attrib["fill"] == "#ffffff" and test[0].attrib["stroke"] == "#f28e2b"  # class "yes"
    kinds = [g.attrib.get("class") for g in plot.iter("g")]
    assert kinds.index("test-points") > kinds.index("points")  # on top
    legend_marks = plot.find(".//g[@class='legend']").findall("circle")
    assert legend_marks[-1].attrib["fill"] == "#ffffff"  # the legend's "test points" mark is a ring
    no_test = binary_boundary(test=False)
    assert no_test.find(".//g[@class='test-points']") is None
    assert "test points" not in [t.text for t in no_test.iter("text")]


def test_write_report_names_the_missing_model_file(tmp_path: Path) -> None:
    with pytest.raises(GlassnetError, match=r"no model\.safetensors"):
        write_report(tmp_path)


def test_one_output_column_is_thresholded_as_logits_or_probabilities() -> None:
    z = np.array([[-0.2], [0.2], [0.7]])
    logits = nn.Sequential(nn.Linear(2, 1, generator=0))
    probabilities = nn.Sequential(nn.Linear(2, 1, generator=0), nn.Sigmoid())
    assert _predicted_class(z, logits).tolist() == [0, 1, 1]
    assert _predicted_class(z, probabilities).tolist() == [0, 0, 1]
    assert _predicted_class(np.array([[0.1, 0.5, 0.2]]), logits).tolist() == [1]


def series_of(plot: ET.Element) -> list[tuple[str, str, bool]]:
    """(label, colour, dashed) of each line of a line chart, in drawing order."""
    found = []
    for group in plot.findall("./g[@class='series']"):
        path = group.find("path")
        found.append((group.find("title").text, path.attrib["stroke"], "stroke-dasharray" in path.attrib))
    return found


def y_ticks(plot: ET.Element) -> list[float]:
    """The y axis's tick labels: the texts at the left of the plot area, right-aligned."""
    return [float(t.text) for t in plot.iter("text") if t.attrib.get("text-anchor") == "end"
            and t.attrib.get("font-size") == "11" and float(t.attrib["x"]) < 70]


@pytest.fixture(scope="module")
def deep_page() -> str:
    """The report of a three-layer ReLU network (2-8-8-3) trained briefly with early stopping."""
    X, y = gn.data.make_blobs(200, centers=3, cluster_std=2.0, seed=0)
    model = nn.Sequential(nn.Linear(2, 8, generator=0), nn.ReLU(), nn.Linear(8, 8, generator=1), nn.ReLU(),
                          nn.Linear(8, 3, generator=2))
    history = gn.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.01), X, y, epochs=8,
                     batch_size=32, validation_split=0.25, metrics=["accuracy"], seed=0, verbose=0,
                     callbacks=[gn.train.EarlyStopping(patience=20)])
    return render_report(gn.io.LoadedModel(model, history=history.to_dict(),
                                           hyperparameters={"early_stopping": 20}))


def test_each_layer_keeps_one_colour_in_every_chart_and_legends_follow_the_layers(deep_page: str) -> None:
    plots = svgs(deep_page)
    weights = series_of(plots["weight_norms"])
    assert [label for label, _, _ in weights] == [
        "layer 1 W¹ (0.weight)", "layer 1 b¹ (0.bias)", "layer 2 W² (2.weight)", "layer 2 b² (2.bias)",
        "layer 3 W³ (4.weight)", "layer 3 b³ (4.bias)"]
    assert [c for _, c, _ in weights] == [layer_color(n) for n in (1, 1, 2, 2, 3, 3)]
    assert [d for _, _, d in weights] == [False, True] * 3  # biases dashed
    assert series_of(plots["grad_norms"]) == weights
    updates = series_of(plots["diag_update_ratio"])
    assert updates == [(label, c, False) for label, c, d in weights if not d]
    dead = series_of(plots["diag_dead_relu"])
    assert dead == [("layer 1 ReLU (1)", layer_color(1), False), ("layer 2 ReLU (3)", layer_color(2), False)]
    assert len(set(PALETTE[:3])) == 3 and WHOLE_MODEL_COLOR not in PALETTE


def test_the_whole_model_gradient_line_is_dashed_drawn_last_and_coloured_apart(deep_page: str,
                                                                               tmp_path: Path) -> None:
    ratios = series_of(svgs(deep_page)["diag_grad_ratio"])
    assert ratios[-1] == ("whole model", WHOLE_MODEL_COLOR, True)
    assert ratios[:-1] == [("layer 1 / layer 2", layer_color(1), False), ("layer 2 / layer 3", layer_color(2),
                                                                          False)]
    two_layers = svgs(write_report(make_run(tmp_path)).read_text(encoding="utf-8"))["diag_grad_ratio"]
    # with two layers the whole model's ratio equals layer 1's: the dashed line on top keeps both visible
    assert series_of(two_layers) == [("layer 1 / layer 2", layer_color(1), False),
                                     ("whole model", WHOLE_MODEL_COLOR, True)]


def test_layers_are_numbered_as_explain_numbers_them_in_tables_and_warnings(deep_page: str) -> None:
    table = deep_page.split('<table class="layers">', 1)[1].split("</table>", 1)[0]
    row = r"<tr><td>(\w+) <span class=\"details\">\((\d+)\)</span></td><td><strong>(\w+)"
    firsts = re.findall(row, table)
    assert firsts == [("1", "0", "Linear"), ("1", "1", "ReLU"), ("2", "2", "Linear"), ("2", "3", "ReLU"),
                      ("3", "4", "Linear")]
    assert "W² = 2.weight (8, 8), b² = 2.bias (8,)" in table
    assert "layer 0" not in deep_page
    model = nn.Sequential(nn.Linear(2, 2, generator=0), nn.ReLU())
    dead = {"name": "dead_relu", "epoch": 0, "layer": "1", "value": 1.0, "threshold": 0.5}
    page = render_report(gn.io.LoadedModel(model, history={"history": {"loss": [1.0]}, "warnings": [dead]}))
    assert '<td class="num">1</td><td>1 (1)</td><td>dead_relu</td>' in page  # epoch 1, layer 1 (module 1)


def test_warnings_name_layers_as_the_report_numbers_them() -> None:
    X, y = gn.data.make_blobs(64, centers=3, seed=0)
    model = nn.Sequential(nn.Linear(2, 8, generator=0), nn.ReLU(), nn.Linear(8, 3, generator=1))
    model[0].bias.array[:] = -100.0  # every ReLU unit dead: no gradient reaches either weight matrix
    history = gn.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.01), X, y, epochs=2,
                     seed=0, verbose=0)
    reasons = {w.layer: w.reason for w in history.warnings if w.name == "small_update"}
    assert "layer 1's weights" in reasons["0"] and "layer 2's weights" in reasons["2"]  # W¹ is module 0
    page = render_report(gn.io.LoadedModel(model, history=history.to_dict()))
    assert "<td>1 (0)</td><td>small_update</td>" in page and "layer 0" not in page


def test_linear_layers_are_written_in_the_project_notation(classification_page: str) -> None:
    assert "z = a·Wᵀ + b" in classification_page and "x Wᵀ" not in classification_page


def test_fraction_axes_run_from_0_to_1_and_loss_axes_fit_the_data(deep_page: str) -> None:
    plots = svgs(deep_page)
    assert y_ticks(plots["metric_accuracy"]) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert y_ticks(plots["diag_dead_relu"]) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    dead = render_report(gn.io.LoadedModel(nn.Sequential(nn.Linear(2, 2, generator=0), nn.ReLU()), history={
        "history": {"loss": [1.0, 0.5], "diag/dead_relu/1": [0.0, 0.0]}}))  # no unit dies: not -1..1
    assert y_ticks(svgs(dead)["diag_dead_relu"]) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    losses = [1.3, 0.9, 0.7]
    chart = ET.fromstring(line_chart("loss", "Loss", [Series("train", [1, 2, 3], losses, "#4e79a7")]))
    assert min(y_ticks(chart)) >= 0 and max(y_ticks(chart)) < 2  # from the data, not a fixed range
    falling = [10.0, 1.0, 0.1, 0.01]  # four decades: a log axis
    chart = ET.fromstring(line_chart("loss", "Loss", [Series("train", [1, 2, 3, 4], falling, "#4e79a7")]))
    assert y_ticks(chart) == [0.01, 0.1, 1.0, 10.0]
    assert "loss (log scale)" not in [t.text for t in chart.iter("text")]  # no y label was given


def test_the_restored_best_epoch_is_marked_on_every_per_epoch_chart(deep_page: str, tmp_path: Path) -> None:
    loaded = gn.load(make_run(tmp_path, early_stopping=2, epochs=30) / "model.safetensors")
    val = loaded.history["history"]["val_loss"]
    best = int(np.argmin(val)) + 1
    assert best < len(val), "the run should have stopped after its best epoch"
    plots = svgs(render_report(loaded))
    per_epoch = {n for n in plots if n not in ("confusion_matrix", "decision_boundary")}
    for name in per_epoch:
        mark = plots[name].find("./g[@class='best-epoch']")
        assert mark is not None, name
        assert mark.find("text").text == f"best epoch {best} (weights restored)"
    loss = plots["loss"]
    x_of = {float(t.text): float(t.attrib["x"]) for t in loss.iter("text")
            if t.attrib.get("font-size") == "11" and t.attrib.get("text-anchor") == "middle"}
    line_x = float(loss.find("./g[@class='best-epoch']/line").attrib["x1"])
    first, last = min(x_of), max(x_of)
    assert line_x == pytest.approx(x_of[first] + (best - first) / (last - first) * (x_of[last] - x_of[first]),
                                   abs=0.2)
    assert "best-epoch" in deep_page  # early stopping on: marked even when it never triggered
    assert "best-epoch" not in write_report(make_run(tmp_path / "plain")).read_text(encoding="utf-8")


def test_still_improving_warns_on_a_falling_curve_and_not_on_a_flat_one(tmp_path: Path) -> None:
    assert improvement_at_end([1.0, 0.8, 0.6, 0.5, 0.45, 0.4]) == pytest.approx(0.2)  # (0.5 - 0.4) / 0.5
    assert improvement_at_end([1.0, 0.5, 0.52, 0.49, 0.51, 0.5]) < 0  # noise around a floor
    assert improvement_at_end([1.0, 0.5, 0.4]) is None  # too short to tell
    falling = gn.load(make_run(tmp_path / "short", epochs=8, lr=0.003) / "model.safetensors").history
    flat = gn.load(make_run(tmp_path / "flat", epochs=8, lr=0.0) / "model.safetensors").history
    assert [w["name"] for w in falling["warnings"]][-1] == "still_improving"
    assert falling["warnings"][-1]["epoch"] == 7 and falling["warnings"][-1]["value"] > 0.02
    assert "train longer" in falling["warnings"][-1]["fix"] and "--epochs" in falling["warnings"][-1]["fix"]
    assert "still_improving" not in [w["name"] for w in flat["warnings"]]
    page = render_report(gn.load(tmp_path / "short" / "model.safetensors"))
    assert 'data-diagnostic="still_improving"' in page and "still improving when training stopped" in page


finite = st.floats(-1e6, 1e6, allow_nan=False)


@given(finite, finite)
def test_nice_ticks_cover_the_range_in_even_round_steps(a: float, b: float) -> None:
    lo, hi = min(a, b), max(a, b)
    ticks = nice_ticks(lo, hi, 5)
    steps = np.diff(ticks)
    slack = 1e-6 * steps[0]  # a value within float noise of a round tick may sit on it
    assert ticks[0] <= lo + slack and ticks[-1] >= hi - slack and 3 <= len(ticks) <= 12
    assert np.allclose(steps, steps[0], rtol=1e-6)
    mantissa = steps[0] / 10 ** math.floor(math.log10(steps[0]))
    assert any(math.isclose(mantissa, m, rel_tol=1e-6) for m in (1, 2, 2.5, 5, 10))  # 10: 0.1 as 0.0999…


@given(st.floats(1e-12, 1e12), st.floats(1.0, 1e6))
def test_log_ticks_cover_the_range(lo: float, ratio: float) -> None:
    ticks = log_ticks(lo, lo * ratio)
    assert ticks[0] <= lo * (1 + 1e-9) and ticks[-1] >= lo * ratio * (1 - 1e-9) and ticks == sorted(ticks)
