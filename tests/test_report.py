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
from glassnet.report.plots import _predicted_class
from glassnet.report.svg import log_ticks, nice_ticks

EVIL_LABEL = "<script>alert('class')</script>"
EVIL_DATASET = '<script>alert("dataset")</script> & blobs'
CLASSIFICATION_PLOTS = {"loss", "loss_terms", "metric_accuracy", "lr", "confusion_matrix",
                        "decision_boundary", "weight_norms", "grad_norms", "diag_saturated",
                        "diag_grad_ratio", "diag_update_ratio", "diag_loss_ratio"}  # Tanh: no ReLU to die


def make_run(folder: Path, *, task: str = "classification", validation: bool = True, epochs: int = 6,
             dataset: str = EVIL_DATASET) -> Path:
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
    history = gn.fit(model, loss, optim.Adam(model.parameters(), lr=0.05), X_train, y_train, epochs=epochs,
                     batch_size=32, validation_split=0.25 if validation else 0.0, metrics=metrics, seed=0,
                     verbose=0, regularizer=gn.regularizers.L2(1e-3))
    out = gn.predict(model, X_test)
    extra: dict[str, Any] = {"task": task, "dataset": dataset,
                             "points": {"X": X_train[:150], "y": y_train[:150].reshape(-1)}}
    if task == "classification":
        predicted = out.argmax(axis=1)
        extra["test_metrics"] = {"accuracy": gn.metrics.accuracy_score(y_test, predicted)}
        extra["confusion_matrix"] = gn.metrics.confusion_matrix(y_test, predicted, labels=[0, 1, 2]).tolist()
    else:
        extra["test_metrics"] = {"rmse": gn.metrics.root_mean_squared_error(y_test, out)}
    settings = {"dataset": dataset, "layers": [8], "activation": "tanh", "loss": type(loss).__name__,
                "optimizer": "adam", "lr": 0.05, "epochs": epochs, "batch_size": 32, "l2": 1e-3, "seed": 0}
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
    assert "layer 0" in lines and "layer 2" in lines


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
    assert {"loss", "metric_rmse", "prediction_surface", "grad_norms"} <= set(plots)
    assert "confusion_matrix" not in plots and "decision_boundary" not in plots
    assert 'data-metric="rmse"' in page and "Training report: waves" in page


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


def test_a_binary_logit_model_gets_a_two_class_boundary() -> None:
    X = np.array([[-1.0, 0.0], [1.0, 0.0]])
    model = nn.Sequential(nn.Linear(2, 1, generator=0))  # one logit z = x₁: class 1 where z > 0
    model.load_state_dict({"0.weight": np.array([[1.0, 0.0]]), "0.bias": np.zeros(1)})
    loaded = gn.io.LoadedModel(model, classes=["no", "yes"], extra={
        "task": "classification", "points": {"X": X, "y": np.array([[0.0], [1.0]])}})
    plot = svgs(render_report(loaded))["decision_boundary"]
    fills = {r.attrib["fill"] for r in plot.iter("rect") if r.attrib.get("fill", "").startswith("#")}
    assert len(fills) == 2  # the two class regions, and nothing else is filled
    assert [t.text for t in plot.iter("text")][1:3] == ["no", "yes"]


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
