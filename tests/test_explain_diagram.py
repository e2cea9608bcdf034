"""The network diagram: one link per weight, coloured by sign, as wide as |w|; valid XML; big layers cut."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np

from glassnet.explain.diagram import NEGATIVE, POSITIVE, network_svg
from glassnet.explain.step import NetworkLayer

SVG = "{http://www.w3.org/2000/svg}"


def links(svg: str) -> list[ET.Element]:
    return [e for e in ET.fromstring(svg).iter(f"{SVG}line") if "link" in e.get("class", "").split()]


def small_net() -> list[NetworkLayer]:
    """2-3-1: W¹ (3, 2) with every sign, W² (1, 3)."""
    return [NetworkLayer(1, np.array([[0.5, -1.0], [0.0, 2.0], [-0.25, 0.125]]), np.array([0.1, -0.2, 0.3]),
                         "Tanh"),
            NetworkLayer(2, np.array([[1.5, -0.75, 0.25]]), None, None)]


def test_one_link_per_weight_coloured_by_sign_with_its_value() -> None:
    net = small_net()
    found = links(network_svg(net))
    weights = np.concatenate([layer.weight.ravel() for layer in net])  # in drawing order: layer, i, j
    assert len(found) == sum(layer.weight.size for layer in net) == 9
    colours = {"pos": POSITIVE, "neg": NEGATIVE}
    for line, w in zip(found, weights, strict=True):
        kind = "pos" if w > 0 else "neg" if w < 0 else "zero"
        assert line.get("class") == f"link {kind}"
        if kind in colours:
            assert line.get("stroke") == colours[kind]
    assert POSITIVE != NEGATIVE
    titles = [line.find(f"{SVG}title").text for line in found]  # type: ignore[union-attr]
    assert titles[:2] == ["W¹₁,₁ = 0.5", "W¹₁,₂ = -1"] and titles[-1] == "W²₁,₃ = 0.25"  # numbered from 1


def test_link_width_grows_with_the_magnitude_of_the_weight() -> None:
    net = small_net()
    weights = np.concatenate([layer.weight.ravel() for layer in net])
    widths = np.array([float(line.get("stroke-width", "nan")) for line in links(network_svg(net))])
    order = np.argsort(np.abs(weights), kind="stable")
    assert np.all(np.diff(widths[order]) >= 0) and widths[order[0]] < widths[order[-1]]
    assert widths[np.argmax(np.abs(weights))] == widths.max()  # the largest |w| of the whole network


def test_neurons_carry_their_bias_and_columns_their_layer_and_activation() -> None:
    svg = ET.fromstring(network_svg(small_net()))
    tips = [g.find(f"{SVG}title").text for g in svg.iter(f"{SVG}g") if g.get("class") == "neuron"]  # type: ignore[union-attr]
    assert len(tips) == 2 + 3 + 1
    assert "neuron a¹₂, bias b¹₂ = -0.2" in tips and "neuron a²₁, bias b²₁: none" in tips
    headings = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "heading"]
    assert headings == ["input", "x (2)", "l = 1", "Tanh", "l = 2", "linear"]
    assert svg.get("width") == "100%" and svg.get("viewBox", "").startswith("0 0 ")


def test_large_layers_are_drawn_in_part() -> None:
    rng = np.random.default_rng(0)
    net = [NetworkLayer(1, rng.normal(size=(20, 30)), rng.normal(size=20), "ReLU"),
           NetworkLayer(2, rng.normal(size=(3, 20)), rng.normal(size=3), "Softmax")]
    svg = network_svg(net, max_neurons=12)
    assert len(links(svg)) == 12 * 12 + 3 * 12
    more = [t.text for t in ET.fromstring(svg).iter(f"{SVG}text") if t.get("class") == "more"]
    assert more == ["… 18 more", "… 8 more"]
    assert len(links(network_svg(net, max_neurons=40))) == 20 * 30 + 3 * 20


def test_text_is_escaped_and_the_svg_parses() -> None:
    net = [NetworkLayer(1, np.array([[1.0]]), np.array([0.0]), "<b>&'\"")]
    svg = network_svg(net)
    assert "<b>" not in svg and "&lt;b&gt;&amp;" in svg
    heading = [t.text for t in ET.fromstring(svg).iter(f"{SVG}text") if t.get("class") == "heading"]
    assert heading[-1] == "<b>&'\""
    assert network_svg([]) == ""


def test_a_zero_network_draws_thin_grey_links() -> None:
    svg = network_svg([NetworkLayer(1, np.zeros((2, 2)), None, None)])
    assert {line.get("class") for line in links(svg)} == {"link zero"}
