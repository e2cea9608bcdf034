"""The HTML report of a training run: one self-contained, offline page with inline SVG plots.

``write_report(run_dir)`` reads ``run_dir/model.safetensors`` and writes ``run_dir/report.html``;
``render_report(loaded)`` returns the page for a ``glassnet.io.LoadedModel``.
"""

from glassnet.report.html import render_report, write_report

__all__ = ["render_report", "write_report"]
