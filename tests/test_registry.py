"""Each component is registered once, and a registration reaches everything that reads its family:
a new activation is on the command line, in a saved-and-loaded model, in explain, in nn.functional
and on the reference page."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim
from glassnet.cli import main
from glassnet.errors import GlassnetError
from glassnet.nn import custom, custom_losses
from glassnet.registry import Registry

ROOT = Path(__file__).resolve().parent.parent


def bent(z: np.ndarray) -> np.ndarray:
    """The bent identity: f(z) = (√(z² + 1) − 1)/2 + z."""
    return (np.sqrt(z * z + 1) - 1) / 2 + z


def bent_derivative(z: np.ndarray) -> np.ndarray:
    """f'(z) = z / (2√(z² + 1)) + 1."""
    return z / (2 * np.sqrt(z * z + 1)) + 1


FORMULA = gn.Formula("BentIdentity", "f(z) = (√(z² + 1) − 1)/2 + z", r"f(z) = \frac{\sqrt{z^2+1}-1}{2} + z",
                     "f'(z) = z / (2√(z² + 1)) + 1", r"f'(z) = \frac{z}{2\sqrt{z^2+1}} + 1")


@pytest.fixture
def bent_identity() -> Iterator[type[nn.Module]]:
    cls = custom.activation("bent_identity", bent, bent_derivative, formula=FORMULA)
    yield cls
    custom.unregister("bent_identity")


def test_a_registered_activation_reaches_the_module_table_and_functional(
        bent_identity: type[nn.Module]) -> None:
    assert nn.ACTIVATIONS["bent_identity"] is bent_identity and nn.ACTIVATIONS.lookup("Bent_Identity")
    x = gn.tensor(np.array([-2.0, 0.0, 3.0]))
    assert np.allclose(nn.functional.bent_identity(x).array, bent(x.array))  # type: ignore[attr-defined]
    assert "bent_identity" in nn.functional.__dir__()
    assert bent_identity.__doc__ is not None and FORMULA.text in bent_identity.__doc__


def _train_in(folder: Path, args: list[str]) -> None:
    """``glassnet train ARGS --no-report`` run in ``folder``; it must succeed."""
    out, err = io.StringIO(), io.StringIO()
    before = os.getcwd()
    os.chdir(folder)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["train", *args, "--no-report"])
    finally:
        os.chdir(before)
    assert code == 0, err.getvalue()


def test_a_registered_activation_reaches_the_command_line(bent_identity: type[nn.Module],
                                                         tmp_path: Path) -> None:
    _train_in(tmp_path, ["--data", "moons", "--layers", "8", "--activation", "bent_identity",
                         "--epochs", "2"])
    (folder,) = (tmp_path / "runs").glob("moons-*")
    saved = gn.load(folder / "model.safetensors")
    assert any(isinstance(m, bent_identity) for m in saved.model.modules())


def test_a_registered_activation_is_saved_and_loaded(bent_identity: type[nn.Module], tmp_path: Path) -> None:
    model = nn.Sequential(nn.Linear(3, 4, generator=0), bent_identity(), nn.Linear(4, 2, generator=1))
    gn.save(model, tmp_path / "bent.safetensors")
    loaded = gn.load(tmp_path / "bent.safetensors").model
    assert [type(m) for m in loaded.children()] == [type(m) for m in model.children()]
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    assert np.array_equal(loaded(x).array, model(x).array)


def test_a_registered_activation_is_explained_with_its_formula(bent_identity: type[nn.Module]) -> None:
    model = nn.Sequential(nn.Linear(2, 3, dtype=np.float64, generator=0), bent_identity(),
                          nn.Linear(3, 1, dtype=np.float64, generator=1))
    opt = optim.SGD(model.parameters(), lr=0.1)
    text = gn.explain(model, [1.0, -0.5], [0.3], nn.MSELoss(), opt).to_text()
    assert FORMULA.text in text and FORMULA.derivative_text in text


def test_a_registered_activation_is_on_the_reference_page(bent_identity: type[nn.Module],
                                                          tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("build_reference", ROOT / "tools" / "build_reference.py")
    assert spec is not None and spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    tool.build(tmp_path)
    page = (tmp_path / "reference.md").read_text(encoding="utf-8")
    assert "### `bent_identity`: BentIdentity" in page and FORMULA.latex in page
    assert (tmp_path / "reference" / "bent_identity.svg").exists()


def test_a_registered_loss_reaches_the_command_line_for_regression(tmp_path: Path) -> None:
    custom_losses.loss("log_cosh", lambda x, y: np.log(np.cosh(x - y)), lambda x, y: np.tanh(x - y))
    try:
        assert "log_cosh" in nn.LOSSES.select(task="regression")
        _train_in(tmp_path, ["--data", "sine", "--layers", "8", "--loss", "log_cosh", "--epochs", "2"])
    finally:
        custom_losses.unregister("log_cosh")


def test_every_family_is_one_registry_with_its_built_ins_sealed() -> None:
    families = [nn.ACTIVATIONS, nn.LOSSES, nn.LAYERS, nn.init.INITIALIZERS, optim.OPTIMIZERS,
                optim.lr_scheduler.SCHEDULERS, gn.regularizers.REGULARIZERS]
    for registry in families:
        assert isinstance(registry, Registry) and registry.built_ins() == set(registry)
        first = next(iter(registry))
        with pytest.raises(GlassnetError, match=f"'{first}' is a built-in {registry.family}"):
            registry.register(first, object())


def test_a_registry_checks_names_and_facts_and_finds_names_by_value() -> None:
    shapes: Registry[object] = Registry("shape", facts=("sides",))
    square = shapes.register("square", object(), sides=4)
    with pytest.raises(GlassnetError, match="lower-case name"):
        shapes.register("Square", object())
    with pytest.raises(GlassnetError, match=r"unknown facts \['colour'\]"):
        shapes.register("circle", object(), colour="red")
    assert shapes.name_of(square) == "square" and shapes.select(sides=4) == ["square"]
    shapes.seal()
    with pytest.raises(GlassnetError, match="cannot be unregistered"):
        shapes.unregister("square")
    with pytest.raises(GlassnetError, match="unknown shape 'cube'; choose one of square"):
        shapes.lookup("cube")
