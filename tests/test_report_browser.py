"""The report in a real browser: headless Chromium loads it without console errors, and every
plot is there, visible and of a sensible size. Needs Debian's chromium and chromium-driver:
run `bash .ci/install-browser` (CI's machine does so); this test fails, never skips, without them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from glassnet.io import load
from glassnet.report import write_report
from test_report import CLASSIFICATION_PLOTS, make_run

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run")


def chromium(profile: Path) -> Any:
    """A headless Chromium driven through Debian's chromedriver (Selenium Manager never downloads)."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(f"headless Chromium is needed to test the report in a browser, but {', '.join(missing)} "
                    "is missing; run `bash .ci/install-browser` (Debian's chromium and chromium-driver)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("selenium is needed to drive Chromium but is not installed; run "
                    "`pip install -e '.[dev]'`")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}", "--window-size=1400,1000"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)


def severe_errors(driver: Any) -> list[dict[str, Any]]:
    """The page's console errors since the last read of the browser log."""
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def check_full_page_screenshot(driver: Any, path: Path) -> None:
    """Grow the window to the whole page, save a PNG there, and check that it holds a real picture."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, min(int(height) + 40, 8000))
    assert driver.save_screenshot(str(path))
    png = path.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 50_000, len(png)


def test_report_loads_in_headless_chromium_with_every_plot_visible(tmp_path: Path) -> None:
    report = write_report(make_run(tmp_path / "run"))
    driver = chromium(tmp_path / "profile")
    try:
        driver.get(report.as_uri())
        assert driver.execute_script("return document.readyState") == "complete"
        assert driver.title.startswith("glassnet report: <script>")  # shown as text, never run
        severe = severe_errors(driver)
        assert severe == [], f"the report logged console errors: {severe}"

        plots = driver.find_elements("css selector", "svg.plot")
        assert {p.get_attribute("data-plot") for p in plots} == CLASSIFICATION_PLOTS
        for plot in plots:
            name, size = plot.get_attribute("data-plot"), plot.size
            assert plot.is_displayed(), name
            assert size["width"] > 200 and size["height"] > 100, (name, size)

        check_full_page_screenshot(driver, tmp_path / "report.png")

        driver.execute_script("console.error('probe')")  # the console check above can fail
        assert any("probe" in e["message"] for e in severe_errors(driver))
    finally:
        driver.quit()


# ---------------------------------------------------------------- reports of real runs, at two widths
WIDTHS = (800, 1280)
RUNS = {  # data set: (command-line flags, plots its report must show)
    "sine": (["--epochs", "5"], {"loss", "metric_rmse", "predicted_vs_true", "weight_norms", "grad_norms"}),
    "moons": (["--epochs", "5"], {"loss", "metric_accuracy", "confusion_matrix", "decision_boundary"}),
    "digits": (["--epochs", "3"], {"loss", "metric_accuracy", "confusion_matrix", "diag_dead_relu"}),
}


@pytest.fixture(scope="module")
def run_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``glassnet train`` on a regression, a 2-D classification and the digits data, briefly."""
    from glassnet.cli import main

    folder = tmp_path_factory.mktemp("runs")
    for data, (flags, _) in RUNS.items():
        assert main(["train", "--data", data, "--out", str(folder / data), "-q", *flags]) == 0
    return {data: folder / data / "report.html" for data in RUNS}


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Any:
    driver = chromium(tmp_path_factory.mktemp("profile"))
    yield driver
    driver.quit()


@pytest.mark.parametrize("data", list(RUNS))
def test_run_reports_fit_800_and_1280_pixels_with_their_charts(data: str, run_reports: dict[str, Path],
                                                               browser: Any, tmp_path: Path) -> None:
    for width in WIDTHS:
        browser.set_window_size(width, 1000)
        browser.get(run_reports[data].as_uri())
        assert browser.execute_script("return document.readyState") == "complete"
        assert severe_errors(browser) == []
        inner, scroll = browser.execute_script(
            "return [window.innerWidth, document.documentElement.scrollWidth]")
        assert abs(inner - width) <= 20, (data, width, inner)  # the window is the width asked for
        assert scroll <= inner, f"{data} at {width} px scrolls sideways: {scroll} px of content"
        plots = {p.get_attribute("data-plot"): p for p in browser.find_elements("css selector", "svg.plot")}
        assert RUNS[data][1] <= set(plots), (data, sorted(plots))
        for name, plot in plots.items():
            box = browser.execute_script("const r = arguments[0].getBoundingClientRect(); "
                                         "return [r.left, r.right, r.width, r.height]", plot)
            assert box[0] >= 0 and box[1] <= inner and box[2] > 200 and box[3] > 100, (data, width, name, box)
        browser.save_screenshot(str(tmp_path / f"{data}-{width}.png"))


def test_the_two_class_boundary_shades_probability_and_rings_the_test_points(run_reports: dict[str, Path],
                                                                             browser: Any) -> None:
    browser.set_window_size(1280, 1000)
    browser.get(run_reports["moons"].as_uri())
    shades = browser.execute_script(
        "return new Set([...document.querySelectorAll('[data-plot=decision_boundary] .regions rect')]"
        ".map(r => r.getAttribute('fill'))).size")
    assert shades > 4  # shades of p(class 1), not two flat classes
    rings = browser.find_elements("css selector", "[data-plot=decision_boundary] .test-points circle")
    dots = browser.find_elements("css selector", "[data-plot=decision_boundary] .points circle")
    sizes = load(run_reports["moons"].parent / "model.safetensors").extra["n_samples"]
    assert len(rings) == sizes["test"] and len(dots) == sizes["train"]  # every test point, ringed
    assert rings[0].is_displayed() and rings[0].get_attribute("fill") == "#ffffff"
    legend = browser.find_element("css selector", "[data-plot=decision_boundary] .legend").text
    assert "test points" in legend and "training points" in legend
