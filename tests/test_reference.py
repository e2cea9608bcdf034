"""docs/reference.md is generated from the code's formulas: regenerating it changes nothing, it lists
every registered component with its formula, and each activation's plot is valid SVG drawn from
the engine's own derivative."""

from __future__ import annotations

import importlib.util
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from glassnet.nn.activations import ACTIVATIONS, Sigmoid

ROOT = Path(__file__).resolve().parent.parent


def _load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_reference", ROOT / "tools" / "build_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = _load_tool()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docs")
    tool.build(out)
    return out


def test_committed_reference_equals_a_fresh_build(built: Path) -> None:
    fresh = (built / "reference.md").read_text(encoding="utf-8")
    committed = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    assert fresh == committed, "docs/reference.md is stale: run `python tools/build_reference.py`"
    for svg in sorted((built / "reference").glob("*.svg")):
        assert svg.read_text(encoding="utf-8") == (ROOT / "docs" / "reference" / svg.name).read_text(
            encoding="utf-8"), f"docs/reference/{svg.name} is stale: run `python tools/build_reference.py`"


def test_explain_md_notation_and_example_are_fresh(built: Path) -> None:
    fresh = (built / "explain.md").read_text(encoding="utf-8")
    committed = (ROOT / "docs" / "explain.md").read_text(encoding="utf-8")
    assert fresh == committed, "docs/explain.md is stale: run `python tools/build_reference.py`"
    assert "p = softmax(ŷ)" in fresh and "m̂ / (√v̂ + ε)" in fresh and "∂R₁/∂W¹ = " in fresh


def test_every_registered_component_appears_with_its_formula(built: Path) -> None:
    page = (built / "reference.md").read_text(encoding="utf-8")
    for heading, registry, _ in tool.FAMILIES:
        assert f"## {heading}\n" in page
        for name, cls in registry.items():
            formula = cls.formula
            assert f"### `{name}`: {cls.__name__}\n" in page, name
            assert formula.text in page and f"$$\n{formula.latex}\n$$" in page, name
            assert formula.derivative_text in page and formula.derivative_latex in page, name


def test_each_activation_has_a_valid_svg_linked_from_the_page(built: Path) -> None:
    page = (built / "reference.md").read_text(encoding="utf-8")
    assert {p.stem for p in (built / "reference").glob("*.svg")} == set(ACTIVATIONS)
    for name in ACTIVATIONS:
        assert f"](reference/{name}.svg)" in page
        root = ET.parse(built / "reference" / f"{name}.svg").getroot()  # raises unless well-formed XML
        assert root.tag == "{http://www.w3.org/2000/svg}svg", name
        assert len(root.findall("./{*}g[@class='series']")) == 2, f"{name}: f and f′ expected"


def test_plotted_derivative_is_the_engines_and_matches_the_formula() -> None:
    z = np.linspace(-4.0, 4.0, 161)
    f, df = tool.activation_curves(Sigmoid(), z)
    s = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(f, s, rtol=1e-12)
    np.testing.assert_allclose(df, s * (1 - s), rtol=1e-12)  # σ' = σ(1 − σ), Sigmoid.formula
    f, df = tool.activation_curves(ACTIVATIONS["softmax"](), z)  # softmax((z, 0))₀ = σ(z)
    np.testing.assert_allclose(f, s, rtol=1e-12)
    np.testing.assert_allclose(df, s * (1 - s), rtol=1e-10)
