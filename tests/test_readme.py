"""README's quickstart commands are the ones CI and users run."""

from __future__ import annotations

import re
from pathlib import Path

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
