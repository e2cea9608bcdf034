"""README's quickstart commands are the ones CI and users run."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from glassnet.cli import main
from glassnet.io import load

ROOT = Path(__file__).resolve().parents[1]


def quickstart() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```(?:bash|sh)\n(.*?)```", text, re.S)
    assert block, "README must start with a fenced bash block holding the two quickstart commands"
    return [line for line in block.group(1).splitlines() if line and not line.startswith("#")]


def test_readme_starts_with_two_commands() -> None:
    assert len(quickstart()) == 2


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert quickstart()[1] in ci


def test_readme_main_job_trains_the_default_network() -> None:
    assert quickstart()[0].endswith("glassnet train")


def test_readme_examples_run_and_learn() -> None:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert len(blocks) >= 2, "README's ten-line example and its fit example are missing"
    namespace: dict[str, object] = {}
    for block in blocks:  # later examples build on the names of earlier ones, as a reader would
        exec(compile(block, "README.md", "exec"), namespace)
    assert namespace["accuracy"] >= 0.99
    assert namespace["history"]["val_accuracy"][-1] >= 0.9  # type: ignore[index]
    assert "δ" in namespace["walkthrough"].to_text()  # type: ignore[attr-defined]
    assert namespace["clf"].score(namespace["X_iris"], namespace["y_iris"]) >= 0.95  # type: ignore[attr-defined]


def test_readme_mentions_only_existing_docs() -> None:
    for link in re.findall(r"\]\((docs/[^)]+)\)", (ROOT / "README.md").read_text()):
        assert (ROOT / link).exists(), link


def train_commands() -> list[str]:
    """README's ``glassnet train --data <built-in set> ...`` examples, as written."""
    return re.findall(r"`glassnet (train --data [a-z0-9_]+[^`]*)`", (ROOT / "README.md").read_text())


def test_readme_has_train_examples_on_moons_and_spirals() -> None:
    assert {command.split()[2] for command in train_commands()} >= {"moons", "spirals"}


@pytest.mark.parametrize("command", train_commands())
def test_readme_train_examples_reach_a_good_result(command: str, tmp_path: Path) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main([*command.split(), "--no-report", "-q", "--out", str(tmp_path)])
    assert code == 0, out.getvalue()
    accuracy = load(tmp_path / "model.safetensors").extra["test_metrics"]["accuracy"]
    assert accuracy >= 0.95, f"glassnet {command}: test accuracy {accuracy:.4f}\n{out.getvalue()}"
