"""The playground's page in Debian's headless Chromium, driving the real server.

Loads the page, changes settings, plays, pauses and steps, adds a layer and a neuron, uploads a CSV,
clicks a neuron and a link and reads the formulas, edits a weight (and finds it in the session's
state_dict()), round-trips the configuration through the URL (the same CONFIG and the same
initial weights) and compares the loss shown after N steps with a seeded Python run, and exports
the zip. Screenshots of each view are saved in pytest's tmp folder (the path is printed).
Skips only when /usr/bin/chromium is missing."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import numpy as np
import pytest

from glassnet.playground import Server, Session

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run")

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("playground-screenshots")
    print(f"\nplayground screenshots: {folder}")
    return folder


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory, downloads: Path) -> Iterator[Any]:
    """One headless Chromium for the module, through Debian's chromedriver (nothing downloaded)."""
    if not CHROMEDRIVER.exists():
        pytest.fail(f"{CHROMIUM} is here but {CHROMEDRIVER} is not; install Debian's chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('profile')}", "--window-size=1440,1000"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    chrome = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    chrome.execute_cdp_cmd("Browser.setDownloadBehavior",
                           {"behavior": "allow", "downloadPath": str(downloads)})
    try:
        yield chrome
    finally:
        chrome.quit()


@pytest.fixture
def server() -> Iterator[Any]:
    srv = Server(port=0)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def wait(condition: Callable[[], Any], what: str, detail: Callable[[], Any] | None = None,
         timeout: float = 10.0) -> Any:
    """Poll until `condition()` is truthy; fail naming `what` (and `detail()`) after `timeout` seconds."""
    end = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            pytest.fail(f"timed out waiting for {what}" + (f": {detail()}" if detail else ""))
        time.sleep(0.05)


def open_page(driver: Any, url: str) -> None:
    driver.get(url)
    ready = "return document.body.classList.contains('ready')"
    wait(lambda: driver.execute_script(ready), "the page to start")


def css(driver: Any, selector: str) -> Any:
    return driver.find_element("css selector", selector)


def all_css(driver: Any, selector: str) -> list[Any]:
    return driver.find_elements("css selector", selector)


def retried(action: Callable[[], Any]) -> Any:
    """Run `action`, again if the page redrew its element meanwhile (controls are redrawn on every CONFIG)."""
    from selenium.common.exceptions import StaleElementReferenceException

    for _ in range(20):
        try:
            return action()
        except StaleElementReferenceException:
            time.sleep(0.05)
    return action()


def click(driver: Any, selector: str) -> None:
    retried(lambda: css(driver, selector).click())


def choose(driver: Any, selector: str, value: str) -> None:
    from selenium.webdriver.support.select import Select

    retried(lambda: Select(css(driver, selector)).select_by_value(value))


def js_click(driver: Any, element: Any) -> None:
    """A real click event at the element's centre (SVG paths cross each other; aim at this one)."""
    driver.execute_script("""
        const el = arguments[0], box = el.getBoundingClientRect();
        const length = el.getTotalLength ? el.getTotalLength() : 0;
        const p = length ? el.getPointAtLength(length / 2) : null;
        const svg = el.ownerSVGElement, m = svg ? svg.getScreenCTM() : null;
        const x = p && m ? p.x * m.a + m.e : box.left + box.width / 2;
        const y = p && m ? p.y * m.d + m.f : box.top + box.height / 2;
        el.dispatchEvent(new MouseEvent('click', {bubbles: true, clientX: x, clientY: y}));""", element)


def severe_errors(driver: Any) -> list[dict[str, Any]]:
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def screenshot(driver: Any, folder: Path, name: str) -> Path:
    path = folder / f"playground-{name}.png"
    assert driver.save_screenshot(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return path


def epoch_shown(driver: Any) -> int:
    return int(css(driver, "#epoch").text.replace(",", ""))


def wait_for_epoch(driver: Any, epoch: int) -> None:
    wait(lambda: epoch_shown(driver) == epoch, f"epoch {epoch} on the page")


def hash_config(driver: Any) -> dict[str, str]:
    fragment = driver.execute_script("return location.hash")[1:]
    return {unquote(k): unquote(v) for k, v in (pair.split("=", 1) for pair in fragment.split("&"))}


def test_the_page_drives_the_session(driver: Any, server: Any, shots: Path, downloads: Path,
                                     tmp_path: Path) -> None:
    session = server.session
    open_page(driver, server.url)
    assert driver.title == "glassnet playground"
    assert epoch_shown(driver) == 0
    assert len(all_css(driver, ".node.neuron")) == 6  # layers [4, 2]
    n_out = len(session.linears()[-1][1].weight.numpy())
    assert len(all_css(driver, "path.hit")) == 2 * 4 + 4 * 2 + 2 * n_out
    wait(lambda: all_css(driver, ".node.neuron canvas")[0].get_attribute("width") == "25",
         "the neurons' heatmaps")
    screenshot(driver, shots, "start")

    # a setting from the top bar reaches the session and the URL
    choose(driver, "#lr", "0.1")
    wait(lambda: session.config["lr"] == 0.1, "lr = 0.1 in the session")
    wait(lambda: hash_config(driver).get("lr") == "0.1", "lr=0.1 in the URL")

    # step, play, pause
    click(driver, "#step")
    wait_for_epoch(driver, 1)
    assert session.epoch == 1
    click(driver, "#play")
    wait(lambda: epoch_shown(driver) >= 4, "the epochs to run while playing")
    click(driver, "#play")  # now the pause button
    wait(lambda: not session.playing, "pause")
    wait(lambda: epoch_shown(driver) == session.epoch, "the page to show the last epoch")
    shown = float(css(driver, "#loss-train").get_attribute("data-value"))
    assert shown == pytest.approx(session.losses[0], rel=1e-12)
    screenshot(driver, shots, "trained")

    # hover a neuron: its heatmap large
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).move_to_element(all_css(driver, ".node.neuron")[0]).perform()
    wait(lambda: "shown" in css(driver, ".hovercard").get_attribute("class"), "the large heatmap on hover")
    screenshot(driver, shots, "hover")
    ActionChains(driver).move_by_offset(0, 400).perform()

    # add a layer, then a neuron to the first layer
    click(driver, "#add-layer")
    wait(lambda: session.config["layers"] == [4, 2, 2], "a third hidden layer")
    wait(lambda: len(all_css(driver, ".layer")) == 3, "three layers drawn")
    click(driver, '[aria-label="add neuron to layer 1"]')
    wait(lambda: session.config["layers"] == [5, 2, 2], "a fifth neuron in layer 1")
    wait(lambda: len(all_css(driver, '.node.neuron[data-layer="1"]')) == 5, "five neurons drawn in layer 1")

    # click a neuron: the explain panel with its formulas typeset
    click(driver, '.node.neuron[data-layer="1"][data-index="0"]')
    wait(lambda: "open" in css(driver, "#explain").get_attribute("class"), "the explain panel")
    wait(lambda: all_css(driver, "#explain .sections .katex"), "KaTeX formulas in the panel")
    text = css(driver, "#explain").text
    assert "z" in text and css(driver, "#explain h3").text, text
    css(driver, "#editor-input").send_keys("\ue00c")  # Esc closes the bias editor
    sample_text = css(driver, "#explain .sample-text").text
    click(driver, '[aria-label="next sample"]')  # the sample chooser: the same neuron on training point 1
    wait(lambda: css(driver, "#explain-sample").get_attribute("value") == "1", "sample 1")
    wait(lambda: css(driver, "#explain .sample-text").text != sample_text, "sample 1's numbers")
    screenshot(driver, shots, "explain-neuron")

    # click a link: its weight in a small input; the edit reaches the model's state_dict()
    retried(lambda: js_click(driver, css(driver, 'path.hit[data-layer="2"][data-row="1"][data-col="3"]')))
    editor = css(driver, "#editor-input")
    wait(lambda: editor.is_displayed(), "the weight editor")
    editor.clear()
    editor.send_keys("1.25\n")
    name = f"{session.linears()[1][0]}.weight"
    wait(lambda: session.model.state_dict()[name].numpy()[1, 3] == np.float32(1.25),
         "W²₂,₄ = 1.25 in the model")
    wait(lambda: "W²₂,₄" in css(driver, "#explain h3").get_attribute("textContent"), "the link's explanation")
    wait(lambda: all_css(driver, "#explain .sections .katex"), "the link's formulas")
    screenshot(driver, shots, "explain-link")
    click(driver, "#explain button.close")

    # upload a CSV with three classes
    csv = tmp_path / "three.csv"
    rng = np.random.default_rng(0)
    rows = [(round(3 * np.cos(2.1 * k) + rng.normal(), 3), round(3 * np.sin(2.1 * k) + rng.normal(), 3), k)
            for k in (0, 1, 2) for _ in range(30)]
    csv.write_text("x1,x2,label\n" + "".join(f"{a},{b},{k}\n" for a, b, k in rows))
    css(driver, "#upload").send_keys(str(csv))
    wait(lambda: session.config["dataset"] == "custom" and session.config["n_classes"] == 3,
         "the uploaded data")
    wait(lambda: "your" in css(driver, ".thumbnail.selected").text.lower(), "'your data' selected")
    click(driver, "#step")
    wait_for_epoch(driver, 1)  # a step on the uploaded data
    screenshot(driver, shots, "upload")

    # a bad upload: one clear line, no change
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n3,4\n")
    css(driver, "#upload").send_keys(str(bad))
    wait(lambda: css(driver, "#error").is_displayed() and css(driver, "#error").text,
         "the upload's error line")
    assert "\n" not in css(driver, "#error").text
    assert session.config["n_classes"] == 3

    # click on the output: a point of the chosen class
    before = len(session.custom_labels)
    click(driver, '.swatch[data-class="2"]')
    click(driver, "#output-points")
    wait(lambda: len(session.custom_labels) == before + 1, "the clicked point")
    assert session.custom_labels[-1] == 2

    # every console error but the refused upload's 400
    severe = [e for e in severe_errors(driver) if "api/upload" not in e["message"]]
    assert severe == [], severe

    # export: the zip downloads
    click(driver, "#export")
    path = downloads / "glassnet-playground.zip"
    wait(lambda: path.exists() and path.stat().st_size > 0 and not list(downloads.glob("*.crdownload")),
         "the zip", timeout=20)
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
        names = {Path(n).name: n for n in archive.namelist()}  # in one folder, glassnet-playground/
        assert {"train.py", "data.csv", "config.json"} <= names.keys(), names
        assert json.loads(archive.read(names["config.json"]))["config"]["dataset"] == "custom"

    # a CSV file dropped on the page is uploaded too
    four = "".join(f"{k + 0.1 * i},{k - 0.2 * i},{k}\n" for k in range(4) for i in range(5))
    driver.execute_script("""
        const data = new DataTransfer();
        data.items.add(new File([arguments[0]], "four.csv", {type: "text/csv"}));
        document.body.dispatchEvent(new DragEvent("drop", {dataTransfer: data, bubbles: true}));""", four)
    wait(lambda: session.config["n_classes"] == 4, "the dropped file's four classes")


def test_each_hidden_layer_keeps_its_own_activation(driver: Any, server: Any) -> None:
    open_page(driver, server.url)
    click(driver, "#add-layer")
    wait(lambda: len(all_css(driver, ".layer")) == 3, "three layers drawn")
    choose(driver, '[aria-label="activation of layer 2"]', "relu")
    wait(lambda: server.session.config["activations"] == ["tanh", "relu", "tanh"], "relu in layer 2 only",
         lambda: server.session.config["activations"])
    wait(lambda: hash_config(driver).get("activations") == "tanh,relu,tanh", "the activations in the URL")
    assert css(driver, "#activation").get_attribute("value") == ""  # the top bar: "(per layer)"


def test_a_dead_neuron_wears_its_badge(driver: Any, server: Any, shots: Path) -> None:
    open_page(driver, server.url)
    server.command({"op": "configure", "changes": {"layers": [4, 2], "activations": ["relu", "tanh"]}})
    server.command({"op": "set_bias", "layer": 1, "row": 2, "value": -100.0})
    server.command({"op": "step"})
    badge = '.neuron[data-layer="1"][data-index="2"] .badge.dead_relu'
    wait(lambda: all_css(driver, badge), "a badge on neuron 3 of layer 1",
         lambda: server.session.diagnostics())
    listed = [d.text for d in all_css(driver, ".diagnostic > div")]
    dead = "neuron 3 of layer 1 (ReLU) outputs 0 for every probe sample"
    assert any(text.startswith(dead) for text in listed), listed
    screenshot(driver, shots, "dead-neuron")


def test_a_url_restores_the_configuration_its_weights_and_its_losses(driver: Any, server: Any,
                                                                     shots: Path) -> None:
    open_page(driver, server.url)
    choose(driver, "#activation", "relu")
    wait(lambda: server.session.config["activations"] == ["relu", "relu"], "relu everywhere")
    click(driver, '.thumbnail[data-dataset="xor"]')
    wait(lambda: server.session.config["dataset"] == "xor", "the xor data")
    click(driver, "#reseed")
    wait(lambda: server.session.config["seed"] != 0, "a new seed")
    click(driver, '.node.feature[data-feature="x1x2"]')
    wait(lambda: server.session.config["features"] == ["x1", "x2", "x1x2"], "the x1x2 feature")
    wait(lambda: hash_config(driver).get("features") == "x1,x2,x1x2", "the reply drawn, x1x2 in the URL")
    with server.lock:  # the session between two commands
        config = dict(server.session.config)
        initial = {k: v.copy() for k, v in server.session.initial.items()}
    click(driver, "#step")
    wait_for_epoch(driver, 1)
    click(driver, "#reset")  # rewinds to the same initial weights
    wait_for_epoch(driver, 0)
    for key, value in server.session.model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), initial[key], err_msg=key)
    wait(lambda: hash_config(driver).get("seed") == str(config["seed"]), "the seed in the URL")
    fragment = driver.execute_script("return location.hash")

    other = Server(port=0)
    other.start()
    try:
        open_page(driver, other.url + fragment)
        wait(lambda: other.session.config == config, "the same CONFIG from the URL",
             lambda: {k: (v, other.session.config[k]) for k, v in config.items()
                      if other.session.config[k] != v})
        state = other.session.model.state_dict()
        assert state.keys() == initial.keys()
        for key, value in initial.items():
            np.testing.assert_array_equal(state[key].numpy(), value, err_msg=key)
        n = 3
        for k in range(1, n + 1):
            click(driver, "#step")
            wait_for_epoch(driver, k)
        screenshot(driver, shots, "from-url")
        shown = float(css(driver, "#loss-train").get_attribute("data-value"))
        shown_test = float(css(driver, "#loss-test").get_attribute("data-value"))
    finally:
        other.stop()

    reference = Session(config)  # the seeded Python run of the same CONFIG
    for _ in range(n):
        reference.step()
    assert shown == pytest.approx(reference.losses[0], rel=1e-9, abs=1e-12)
    assert shown_test == pytest.approx(reference.losses[1], rel=1e-9, abs=1e-12)
