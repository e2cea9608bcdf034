"""The report in a real browser: headless Chromium loads it without console errors, and every
plot is there, visible and of a sensible size. Needs Debian's chromium and chromium-driver:
run `bash .ci/install-browser` (CI's machine does so); this test fails, never skips, without them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

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
