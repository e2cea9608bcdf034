"""Module.summary(): a row per module with its own parameters, totals equal to the model's, output
shapes from one forward pass (modes restored) or from the layers' arguments; and the HTML that
Jupyter shows for a Module and a History, well-formed and escaped."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.errors import GlassnetError
from glassnet.nn.summary import ModelSummary
from glassnet.train.history import History


class Block(nn.Module):
    """A user module: two Linear layers in a ModuleList, a scale of its own, a buffer."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(width, width, generator=i) for i in range(2)])
        self.scale = nn.Parameter(np.ones(width, dtype=np.float32))
        self.register_buffer("calls", gn.tensor(np.zeros(3)))

    def forward(self, x: gn.Tensor) -> gn.Tensor:
        for layer in self.layers:
            x = layer(x).relu()
        return x * self.scale


def nested() -> nn.Sequential:
    return nn.Sequential(nn.Linear(4, 8, generator=0), nn.ReLU(),
                         nn.Sequential(nn.Linear(8, 8, generator=1), nn.BatchNorm1d(8), nn.Dropout(0.5)),
                         Block(8), nn.Linear(8, 3, generator=2))


def test_rows_are_named_as_state_dict_and_counts_add_up_to_the_model() -> None:
    net = nested()
    net[0].bias.requires_grad = False  # 8 frozen values
    s = net.summary()
    assert isinstance(s, str) and isinstance(s, ModelSummary)
    assert [r.name for r in s.rows] == ["", "0", "1", "2", "2.0", "2.1", "2.2", "3", "3.layers", "3.layers.0",
                                        "3.layers.1", "4"]
    assert [r.depth for r in s.rows][:5] == [0, 1, 1, 1, 2] and s.rows[9].depth == 3
    total = sum(p.numel() for p in net.parameters())
    assert s.total_params == sum(r.params for r in s.rows) == total == 4 * 8 + 8 + 72 + 16 + 2 * 72 + 8 + 27
    assert s.trainable_params == total - 8 and s.non_trainable_params == 8
    assert s.buffer_values == sum(b.numel() for b in net.buffers()) == 8 + 8 + 1 + 3  # not in the total
    by_name = {r.name: r for r in s.rows}
    assert by_name["3"].params == 8 and by_name["3"].type == "Block"  # its own scale only
    assert f"Total params: {total:,}" in s and "Non-trainable params: 8" in s and "Buffers: 20 values" in s
    assert "    2.1 (BatchNorm1d)" in s and "0 (Linear)" in s.splitlines()[3]
    assert "32 of 40" in s.splitlines()[3]  # row 0: partly trainable


def test_a_shared_layer_and_a_tied_weight_are_counted_once() -> None:
    shared = nn.Linear(3, 3, generator=0)
    net = nn.Sequential(shared, nn.Tanh(), shared)
    s = net.summary()
    assert s.total_params == 12 == sum(p.numel() for p in net.parameters()) and len(s.rows) == 3
    a, b = nn.Linear(3, 3, generator=0), nn.Linear(3, 3, generator=1)
    b.weight = a.weight  # tied
    tied = nn.Sequential(a, b)
    assert tied.summary().total_params == 9 + 3 + 3 == sum(p.numel() for p in tied.parameters())


def test_input_size_runs_the_model_once_for_every_output_shape_and_restores_it() -> None:
    net = nested()
    net.train()
    net[2].eval()  # modes may be mixed; each comes back as it was
    before = [m.training for m in net.modules()]
    s = net.summary(input_size=(5, 4))
    shapes = {r.name: r.output_shape for r in s.rows}
    assert shapes[""] == "(5, 3)" and shapes["0"] == "(5, 8)" and shapes["3.layers.1"] == "(5, 8)"
    assert shapes["3.layers"] == "--"  # a ModuleList is never called itself
    assert [m.training for m in net.modules()] == before
    assert all("forward" not in vars(m) for m in net.modules())
    assert gn.is_grad_enabled() and all(p.grad_array is None for p in net.parameters())
    assert float(net[2][1].running_mean.array.sum()) == 0.0  # eval mode: BatchNorm's statistics kept


def test_an_example_input_may_be_given_and_a_positional_shape_too() -> None:
    net = nn.Sequential(nn.Linear(2, 3, generator=0), nn.Softmax(dim=1))
    x = gn.tensor(np.ones((7, 2), dtype=np.float32))
    assert net.summary(x).rows[0].output_shape == "(7, 3)"
    assert net.summary(input_data=np.ones((2, 2), dtype=np.float32)).rows[2].output_shape == "(2, 3)"
    assert net.summary((9, 2)).rows[1].output_shape == "(9, 3)"


def test_without_an_input_shapes_come_from_the_layers_arguments() -> None:
    shapes = {r.name: r.output_shape for r in nested().summary().rows}
    assert shapes["0"] == shapes["1"] == "(-1, 8)"  # ReLU keeps the shape before it
    assert shapes["2.1"] == shapes["2.2"] == shapes["2"] == "(-1, 8)"
    assert shapes["3"] == "?" and shapes["3.layers.0"] == "(-1, 8)"  # a user module: unknown
    assert shapes["4"] == shapes[""] == "(-1, 3)"
    assert nn.Sequential(nn.ReLU()).summary().rows[1].output_shape == "?"


def test_a_failing_forward_restores_the_model_and_a_bad_size_is_refused() -> None:
    net = nested()
    with pytest.raises(gn.ShapeError, match=r"Linear\(4 -> 8\)"):
        net.summary((5, 6))
    assert all(m.training for m in net.modules()) and all("forward" not in vars(m) for m in net.modules())
    for bad in [(5, 0), (5, 2.0), (), 4, "5x4"]:
        with pytest.raises(GlassnetError, match=r"such as \(32, 4\)"):
            net.summary(bad)  # type: ignore[arg-type]


def test_module_html_is_well_formed_and_escaped() -> None:
    net = nn.Sequential(nn.ModuleDict({"<b>&head": nn.Linear(2, 2, generator=0)}))
    page = net._repr_html_()
    table = ET.fromstring(page)  # well-formed: every tag closed
    cells = [td.findtext("code") for td in table.iter("td")]
    assert "0.&lt;b&gt;&amp;head (Linear)" in page and "<b>" not in page
    assert "0.<b>&head (Linear)" in cells
    assert len(table.find("tbody")) == 3  # type: ignore[arg-type]
    assert "Total params: 6" in "".join(table.find("tfoot").itertext())  # type: ignore[union-attr]


def test_history_html_is_a_table_of_epochs_numbered_from_one() -> None:
    h = History()
    for epoch in range(3):
        h.append(epoch, {"loss": 1 / (epoch + 1), "<script>": 0.5, "grad_norm/0.weight": 1.0})
    h.append(3, {"loss": math.nan})
    h.stop_reason = "stopped: val_loss <rose>"
    table = ET.fromstring(h._repr_html_())
    assert [th.text for th in table.iter("th")] == ["epoch", "loss", "<script>"]  # norms left out
    rows = [[td.text for td in tr] for tr in table.find("tbody")]  # type: ignore[union-attr]
    assert rows == [["1", "1", "0.5"], ["2", "0.5", "0.5"], ["3", "0.3333", "0.5"], ["4", "–", "–"]]
    assert table.findtext("caption") == "4 epochs; stopped: val_loss <rose>"
    assert "&lt;script&gt;" in h._repr_html_()


def test_a_long_history_shows_its_first_and_last_epochs() -> None:
    h = History()
    for epoch in range(100):
        h.append(epoch, {"loss": float(epoch)})
    rows = list(ET.fromstring(h._repr_html_()).find("tbody"))  # type: ignore[arg-type]
    assert len(rows) == 13 and rows[6][0].text == "…"
    assert rows[0][0].text == "1" and rows[-1][0].text == "100" and rows[-1][1].text == "99"
