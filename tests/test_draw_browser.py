"""The pictures in a real browser, as a notebook shows them: the graph's SVG inline with every
line of text inside its box, and the summary and History tables. Needs Debian's chromium and
chromium-driver, as tests/test_report_browser.py; it fails, never skips, without them."""

from __future__ import annotations

from pathlib import Path

import glassnet as gn
from glassnet.train.history import History
from test_draw import mlp_loss
from test_report_browser import chromium, severe_errors

# the widest text line of each box, against the box's width (the layout guesses text widths)
OVERFLOW = """return [...document.querySelectorAll('svg g.node')].map(g => {
  const rect = g.querySelector('rect').getBBox(), text = g.querySelector('text').getBBox();
  return [g.querySelector('title').textContent, rect.x, rect.x + rect.width, text.x, text.x + text.width];
});"""


def notebook_page(tmp_path: Path) -> Path:
    loss, params = mlp_loss()
    net = gn.nn.Sequential(gn.nn.Linear(2, 3), gn.nn.Sigmoid(), gn.nn.Linear(3, 1))
    history = History()
    for epoch in range(3):
        history.append(epoch, {"loss": 1 / (epoch + 1), "val_loss": 1.5 / (epoch + 1)})
    page = tmp_path / "notebook.html"
    page.write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>pictures</title></head><body>"
                    f"{gn.draw_graph(loss, params=params)._repr_svg_()}{net._repr_html_()}"
                    f"{history._repr_html_()}</body></html>", encoding="utf-8")
    return page


def test_graph_and_tables_render_with_text_inside_every_box(tmp_path: Path) -> None:
    page = notebook_page(tmp_path)
    driver = chromium(tmp_path / "profile")
    try:
        driver.get(page.as_uri())
        assert severe_errors(driver) == []
        svg = driver.find_element("css selector", "svg")
        assert svg.is_displayed() and svg.size["width"] > 800 and svg.size["height"] > 150, svg.size
        boxes = driver.execute_script(OVERFLOW)
        assert len(boxes) == 11
        for title, left, right, text_left, text_right in boxes:
            assert left <= text_left and text_right <= right, (title, left, right, text_left, text_right)
        rows = driver.find_elements("css selector", "table.glassnet-summary tbody tr")
        assert len(rows) == 4 and "(Linear)" in rows[1].text
        assert len(driver.find_elements("css selector", "table.glassnet-history tbody tr")) == 3
        driver.set_window_size(1400, 700)
        assert driver.save_screenshot(str(tmp_path / "notebook.png"))
    finally:
        driver.quit()
