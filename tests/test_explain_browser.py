"""The HTML walkthrough in headless Chromium at a narrow and a wide window: no horizontal scroll of
the page, every formula typeset, the network diagram with one link per weight, beside the steps
from 1100 px and above them below that, nothing fetched. Needs Debian's chromium and
chromium-driver (`bash .ci/install-browser`); fails, never skips, without them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from glassnet import nn, optim
from glassnet.explain import Walkthrough, explain
from glassnet.regularizers import L2
from test_explain_html import xor_walkthrough
from test_explain_numbers import WALKTHROUGHS as READ
from test_report_browser import chromium, severe_errors

WIDTHS = (800, 1280)


def iris_walkthrough() -> Walkthrough:
    """An iris-like 4-3-3 classifier: ReLU, softmax cross-entropy, Adam and an L2 penalty, 3 samples."""
    gen = np.random.default_rng(3)
    net = nn.Sequential(nn.Linear(4, 3, dtype=np.float64), nn.ReLU(), nn.Linear(3, 3, dtype=np.float64))
    net.load_state_dict({"0.weight": gen.normal(0, 0.5, (3, 4)), "0.bias": gen.normal(0, 0.1, 3),
                         "2.weight": gen.normal(0, 0.5, (3, 3)), "2.bias": gen.normal(0, 0.1, 3)})
    X = np.array([[5.1, 3.5, 1.4, 0.2], [6.4, 3.2, 4.5, 1.5], [6.3, 3.3, 6.0, 2.5]])  # (n_samples, 4)
    adam = optim.Adam(net.parameters(), lr=0.01)
    return explain(net, X, np.array([0, 1, 2]), nn.CrossEntropyLoss(), adam, L2(0.001))


def deep_tanh_walkthrough() -> Walkthrough:
    """Two hidden layers of tanh (3-5-4-2), MSE and SGD with momentum, on two samples."""
    gen = np.random.default_rng(4)
    net = nn.Sequential(nn.Linear(3, 5, dtype=np.float64), nn.Tanh(), nn.Linear(5, 4, dtype=np.float64),
                        nn.Tanh(), nn.Linear(4, 2, dtype=np.float64))
    X, y = gen.normal(size=(2, 3)), gen.normal(size=(2, 2))
    return explain(net, X, y, nn.MSELoss(), optim.SGD(net.parameters(), lr=0.1, momentum=0.9))


WALKTHROUGHS: dict[str, Callable[[], Walkthrough]] = {
    "xor": xor_walkthrough, "iris_adam_l2": iris_walkthrough, "deep_tanh": deep_tanh_walkthrough,
    **{name: READ[name] for name in ("two_hidden_tanh", "cross_entropy", "adam_l2", "relu_l1", "iris_sgd",
                                     "iris_batch_momentum", "softmax_hidden", "normalization")}}
"""The walkthroughs a learner reads (tests/test_explain_numbers.py checks their numbers) and three more."""


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    browser = chromium(tmp_path_factory.mktemp("profile"))
    try:
        yield browser
    finally:
        browser.quit()


def _measure(driver: Any) -> dict[str, Any]:
    return driver.execute_script("""
        const box = s => document.querySelector(s).getBoundingClientRect();
        return {scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth,
                math: document.querySelectorAll(".math").length,
                typeset: document.querySelectorAll(".math > .katex").length,
                errors: document.querySelectorAll(".katex-error").length,
                links: document.querySelectorAll("svg.network line.link").length,
                fetched: performance.getEntriesByType("resource")
                    .filter(e => !e.name.startsWith("data:")).length,
                diagram: [box("aside.diagram").left, box("aside.diagram").bottom],
                steps: [box("main.steps").right, box("main.steps").top]};""")


def _screenshot(driver: Any, width: int, path: Path) -> None:
    """The whole page at this window width as a PNG, checked to hold a real picture."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(int(height) + 140, 8000))
    assert driver.save_screenshot(str(path))
    png = path.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 50_000, len(png)


@pytest.mark.parametrize("name", WALKTHROUGHS)
def test_page_reflows_at_800_and_1280_px(name: str, driver: Any, tmp_path: Path) -> None:
    w = WALKTHROUGHS[name]()
    page = tmp_path / f"{name}.html"
    page.write_text(w.to_html(), encoding="utf-8")
    n_links = sum(layer.weight.size for layer in w.network)
    for width in WIDTHS:
        driver.set_window_size(width, 900)
        driver.get(page.as_uri())
        m = _measure(driver)
        assert m["inner"] <= width and m["scroll"] <= m["inner"], f"{name} scrolls sideways at {width}: {m}"
        assert m["math"] >= 8 and m["typeset"] == m["math"] and m["errors"] == 0, m
        assert m["links"] == n_links and m["fetched"] == 0, m
        if width >= 1100:  # a side column right of the steps
            assert m["diagram"][0] >= m["steps"][0], m
        else:  # above the steps
            assert m["diagram"][1] <= m["steps"][1], m
        assert severe_errors(driver) == []
        _screenshot(driver, width, tmp_path / f"{name}_{width}.png")


def test_a_long_formula_wraps_instead_of_scrolling(driver: Any, tmp_path: Path) -> None:
    """Adam's update formula is wider than a narrow step box; typeset inline it breaks into lines."""
    page = tmp_path / "adam.html"
    page.write_text(iris_walkthrough().to_html(), encoding="utf-8")
    driver.set_window_size(800, 900)
    driver.get(page.as_uri())
    fits = driver.execute_script("""
        const el = document.querySelector('section[data-kind="update"] .math');
        return [el.scrollWidth <= el.clientWidth, el.getBoundingClientRect().height];""")
    assert fits[0] and fits[1] > 60, fits  # no scroll in its own box, and more than one line tall
