"""bench/gpu.py, the prepared GPU measurement, works on a machine without a GPU: its dry run goes
through every step small on the stand-in devices and says no GPU was measured; its real run
refuses, writing nothing. (No timing is asserted: the numbers are the script's job on a GPU.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import glassnet as gn

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "gpu.py"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"PYTHONPATH": str(ROOT / "src")}
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=300)


def written() -> dict[str, float | None]:
    """The modification times of the results files in bench/ (None: absent)."""
    return {name: (ROOT / "bench" / name).stat().st_mtime if (ROOT / "bench" / name).exists() else None
            for name in ("GPU.json", "GPU.md")}


def test_the_dry_run_goes_through_every_step_and_says_no_gpu_was_measured(tmp_path: Path) -> None:
    before = written()
    done = run("--dry-run", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "dry run: no GPU was measured" in done.stdout
    results = json.loads((tmp_path / "GPU.json").read_text())
    assert results["dry_run"] and results["machine"]["gpu"] is None
    curve = results["curve"]
    assert curve["steps"] == len(curve["cpu"]) == 4 and curve["within_tolerance"]
    differences = [abs(a - b) for a, b in zip(curve["device"], curve["cpu"], strict=True)]
    assert curve["max_abs_difference"] == max(differences)
    epoch = results["epoch"]
    assert len(epoch["seconds"]["glassnet"]) == len(epoch["seconds"]["torch"]) == epoch["repeats"]
    assert (tmp_path / "GPU.md").read_text().startswith("# glassnet on a GPU")
    assert written() == before  # a dry run never writes into bench/


def test_without_a_gpu_it_measures_nothing_and_says_why() -> None:
    if gn.cuda.is_available():
        pytest.skip("this machine has a GPU: the script measures it")
    before = written()
    done = run()
    assert done.returncode == 2
    assert "no GPU measurement on this machine" in done.stderr and "--dry-run" in done.stderr
    assert written() == before
