"""draw_graph: one box per tensor of the graph, an arrow per input, as DOT text and as valid SVG."""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import GlassnetError

SVG = "{http://www.w3.org/2000/svg}"


def mlp_loss() -> tuple[gn.Tensor, dict[str, gn.Tensor]]:
    """A 2-3-1 sigmoid MLP and its MSE loss on 4 samples, backward run with the graph kept."""
    net = gn.nn.Sequential(gn.nn.Linear(2, 3, generator=0), gn.nn.Sigmoid(),
                           gn.nn.Linear(3, 1, generator=1), gn.nn.Sigmoid())
    x = gn.tensor(np.arange(8, dtype=np.float32).reshape(4, 2) / 8)
    y = gn.tensor(np.ones((4, 1), dtype=np.float32))
    loss = gn.nn.MSELoss()(net(x), y)
    loss.backward(retain_graph=True)
    return loss, {**dict(net.named_parameters()), "x": x, "y": y}


# x, 0.weight, 0.bias → Linear → Sigmoid; 2.weight, 2.bias → Linear → Sigmoid; y → SquaredError
N_TENSORS, N_EDGES = 11, 10


def parse_dot(text: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The nodes (id → label) and edges of glassnet's DOT, checking braces and quotes balance."""
    assert text.startswith("digraph glassnet {") and text.rstrip().endswith("}")
    unquoted = re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)
    assert unquoted.count('"') % 2 == 0 and unquoted.count("{") == unquoted.count("}") == 1
    nodes = dict(re.findall(r'^  (t\d+) \[label="((?:[^"\\]|\\.)*)"', text, re.M))
    edges = re.findall(r"^  (t\d+) -> (t\d+);$", text, re.M)
    return nodes, edges


def test_dot_has_one_node_per_tensor_and_one_edge_per_input() -> None:
    loss, params = mlp_loss()
    nodes, edges = parse_dot(gn.draw_graph(loss, format="dot", params=params))
    assert len(nodes) == N_TENSORS and len(edges) == N_EDGES
    assert all(a in nodes and b in nodes for a, b in edges)
    labels = {label.split("\\l")[0]: node for node, label in nodes.items()}
    assert {"x", "y", "0.weight", "0.bias", "2.weight", "2.bias", "Linear", "Sigmoid",
            "SquaredError"} <= set(labels)
    users = {nodes[b].split("\\l")[0] for a, b in edges if a == labels["0.weight"]}
    assert users == {"Linear"}
    assert (labels["y"], labels["SquaredError"]) in edges


def test_values_and_gradients_appear() -> None:
    loss, params = mlp_loss()
    dot = gn.draw_graph(loss, format="dot", params=params)
    bias = params["2.bias"]
    shown = f"data [{bias.array[0]:.4g}]\\lgrad [{bias.grad_array[0]:.4g}]"
    assert shown in dot
    assert f"data {loss.item():.4g}" in dot
    assert "data mean" in dot  # the (4, 3) hidden activations are summarised
    assert dot.count("grad ") == 4  # the four parameters; intermediates keep no gradient


def test_svg_is_valid_xml_with_a_box_per_tensor_and_a_path_per_edge() -> None:
    loss, params = mlp_loss()
    svg = gn.draw_graph(loss, params=params)
    root = ET.fromstring(svg)
    assert root.tag == SVG + "svg" and float(root.get("width", 0)) > 0
    groups = [g for g in root.iter(SVG + "g") if g.get("class") == "node"]
    assert len(groups) == N_TENSORS
    assert len([p for p in root.iter(SVG + "path") if p.get("class") == "edge"]) == N_EDGES
    titles = {g.find(SVG + "title").text for g in groups}  # type: ignore[union-attr]
    assert {"0.weight", "SquaredError", "x"} <= titles
    assert "requires grad (a parameter)" in "".join(root.find(SVG + "g[@class='legend']").itertext())  # type: ignore[union-attr]
    assert svg._repr_svg_() == svg


def test_boxes_stand_in_layers_from_the_leaves_and_do_not_overlap() -> None:
    loss, params = mlp_loss()
    root = ET.fromstring(gn.draw_graph(loss, params=params))
    boxes = {g.find(SVG + "title").text + str(k): g.find(SVG + "rect").attrib  # type: ignore[union-attr]
             for k, g in enumerate(root.iter(SVG + "g")) if g.get("class") == "node"}
    rects = [(float(r["x"]), float(r["y"]), float(r["width"]), float(r["height"])) for r in boxes.values()]
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            apart = a[0] + a[2] <= b[0] or b[0] + b[2] <= a[0] or a[1] + a[3] <= b[1] or b[1] + b[3] <= a[1]
            assert apart, (a, b)
    x = {name.rstrip("0123456789"): float(r["x"]) for name, r in boxes.items()}
    assert x["x"] < x["Linear"] < x["SquaredError"] and x["y"] < x["SquaredError"]


def test_text_is_escaped_in_svg_and_dot() -> None:
    w = gn.tensor([1.0], requires_grad=True)
    y = w * 2.0
    name = '<script>"a\\b"</script>'
    svg = gn.draw_graph(y, params={name: w})
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    ET.fromstring(svg)
    nodes, _ = parse_dot(gn.draw_graph(y, format="dot", params={name: w}))
    assert any(label.startswith('<script>\\"a\\\\b\\"</script>') for label in nodes.values())


def test_shared_input_and_repeated_parent_are_drawn_once() -> None:
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x + x).sum()  # x feeds Mul twice and Add once
    nodes, edges = parse_dot(gn.draw_graph(y, format="dot"))
    assert len(nodes) == 4 and len(edges) == 4  # x→Mul (once), Mul→Add, x→Add, Add→Sum


def test_a_freed_graph_is_refused_with_the_fix() -> None:
    loss, _ = mlp_loss()
    loss.backward()  # frees the graph
    with pytest.raises(GlassnetError, match="retain_graph=True"):
        gn.draw_graph(loss)


def test_wrong_format_and_wrong_input_are_refused() -> None:
    with pytest.raises(GlassnetError, match="'svg' or 'dot'"):
        gn.draw_graph(gn.tensor([1.0]), format="png")
    with pytest.raises(GlassnetError, match="takes a Tensor"):
        gn.draw_graph(np.ones(2))  # type: ignore[arg-type]


def test_a_graph_of_200_operations_renders_quickly() -> None:
    x = gn.tensor(np.linspace(-1, 1, 50, dtype=np.float32), requires_grad=True)
    y = x
    for _ in range(100):
        y = (y * 0.9).tanh()  # two ops per turn
    start = time.perf_counter()
    svg = gn.draw_graph(y.sum())
    dot = gn.draw_graph(y.sum(), format="dot")
    assert time.perf_counter() - start < 5.0
    assert svg.count('class="node"') == 202 + 100  # x, 200 results, the sum, and 100 constants 0.9
    assert len(parse_dot(dot)[0]) == 302
    ET.fromstring(svg)


def test_an_array_numpy_cannot_read_is_named_not_copied() -> None:
    class OnDevice:
        """An array whose library refuses NumPy conversion, as a GPU array does."""

        shape, dtype, device = (2,), np.dtype(np.float32), "gpu:0"

        def __array__(self, *args: object, **kwargs: object) -> np.ndarray:
            raise TypeError("implicit conversion to a NumPy array is not allowed")

        def __array_namespace__(self) -> object:
            return np

    t = gn.tensor([1.0, 2.0])
    t.array = OnDevice()  # type: ignore[assignment]
    nodes, _ = parse_dot(gn.draw_graph(t, format="dot"))
    assert "data (an array of " in nodes["t0"] and " on gpu:0)" in nodes["t0"]
