"""The README's main job: small MLPs trained with every optimizer converge on XOR, spirals and a sine."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from glassnet import optim


def _load_toys() -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "examples" / "toys.py"
    spec = importlib.util.spec_from_file_location("toys", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


toys = _load_toys()


def test_every_optimizer_is_in_the_demo() -> None:
    assert set(toys.SETTINGS) == set(optim.OPTIMIZERS)


@pytest.mark.parametrize("name", sorted(toys.SETTINGS))
@pytest.mark.parametrize(("problem", "epochs", "target"), [
    ("xor", 60, 0.99),        # accuracy
    ("spirals", 150, 0.95),   # accuracy
    ("sine", 150, 0.02),      # mean squared error (the noise alone gives 0.0025)
])
def test_optimizer_converges(name: str, problem: str, epochs: int, target: float) -> None:
    losses, score = toys.train(problem, name, epochs=epochs)
    assert losses[-1] < 0.5 * losses[0], f"{name} on {problem}: loss {losses[0]:.4f} -> {losses[-1]:.4f}"
    if problem == "sine":
        assert score < target, f"{name} on sine: mse {score:.4f}"
    else:
        assert score >= target, f"{name} on {problem}: accuracy {score:.3f}"
