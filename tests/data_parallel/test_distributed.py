"""Data-parallel training on 2 ranks started by the venv's mpiexec (PyPI's mpich): equal to one
process, bit-identical replicas and reruns, rank 0's initial weights, the CLI, and ranks that fail.

Each test starts one ``mpiexec -n 2`` job of tests/data_parallel/ranks.py (or of the CLI) and reads what
every rank wrote.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mpi4py", reason="data-parallel tests need mpi4py and mpich: pip install 'glassnet[mpi]'")
MPIEXEC = Path(sys.executable).parent / "mpiexec"
if not MPIEXEC.exists():
    pytest.skip(f"no mpiexec beside {sys.executable} (pip install mpich)", allow_module_level=True)

RANKS = Path(__file__).with_name("ranks.py")
SRC = Path(__file__).resolve().parents[2] / "src"


def _job(*argv: str, cwd: Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
                        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run([str(MPIEXEC), "-n", "2", sys.executable, *argv], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def _scenario(name: str, out: Path) -> tuple[subprocess.CompletedProcess[str], list[dict]]:
    done = _job(str(RANKS), name, str(out))
    results = [json.loads(p.read_text()) for p in sorted(out.glob(f"{name}-rank*.json"))]
    return done, results


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> list[list[dict]]:
    """The train scenario, run twice."""
    runs = []
    for _ in range(2):
        out = tmp_path_factory.mktemp("train")
        done, results = _scenario("train", out)
        assert done.returncode == 0, done.stderr
        runs.append(results)
    return runs


def test_two_ranks_equal_one_process_over_200_adam_steps(trained: list[list[dict]]) -> None:
    rank0, rank1 = trained[0]
    assert rank0["steps"] == rank1["steps"] == 19 * 11  # 209 Adam steps
    for result in (rank0, rank1):
        # ranks seeded 1 and 2 train rank 0's initial weights (seed 1), and match one process trained on them
        assert result["gap"] < 1e-10
        assert result["loss_gap"] < 1e-10
        assert result["accuracy_gap"] == 0.0  # training metrics over the gathered outputs
        assert result["weighted_gap"] < 1e-10  # sample weights (unequal shard weights) and an L2 penalty
        assert result["allreduce_gap"] < 1e-10
        assert result["class_weight_gap"] < 1e-10  # CrossEntropyLoss(weight=...): shards' Σ w_y differ
        assert result["loader_gap"] < 1e-10  # a DataLoader's batches, shuffled by its own generator


def test_replicas_are_bit_identical_after_every_step_and_reruns_too(trained: list[list[dict]]) -> None:
    (first0, first1), (second0, second1) = trained
    assert first0["digests"] == first1["digests"]  # after every one of the 209 steps
    assert len(set(first0["digests"])) == len(first0["digests"])  # the weights did move every step
    assert second0["digests"] == first0["digests"]  # a rerun: the same bits
    assert second1["final"] == first0["final"]


def test_a_rank_that_raises_stops_every_rank_with_its_message(tmp_path: Path) -> None:
    done, results = _scenario("fail", tmp_path)
    assert "rank 1: RuntimeError: this rank's data could not be read" in done.stderr  # rank 0 printed it
    assert len(results) == 2
    for result in results:
        assert "rank 1: RuntimeError: this rank's data could not be read" in result["error"]
        assert "epoch 3, batch 5" in result["error"]
        assert "Resume from the last checkpoint" in result["error"]


def test_a_rank_that_stops_ends_the_job_after_the_timeout(tmp_path: Path) -> None:
    done, _ = _scenario("stop", tmp_path)
    assert done.returncode != 0
    assert "glassnet: error: rank 0 of 2 waited 2 s for the other ranks" in done.stderr
    assert "a rank has stopped or hangs" in done.stderr


def test_a_killed_rank_ends_the_job_and_the_last_checkpoint_resumes(tmp_path: Path) -> None:
    done, _ = _scenario("kill", tmp_path)
    assert done.returncode != 0  # mpiexec ends every rank at once
    assert (tmp_path / "checkpoint.safetensors").is_file()  # written after epochs 1 and 2
    done, results = _scenario("resume", tmp_path)
    assert done.returncode == 0, done.stderr
    for result in results:
        assert result["same"], result["gap"]  # resumed = trained without the kill, bit for bit


def test_the_command_line_writes_the_model_and_report_once(tmp_path: Path) -> None:
    done = _job("-m", "glassnet", "train", "--data", "xor", "--layers", "8", "--epochs", "3",
                "--batch-size", "16", "--out", str(tmp_path / "run"), "--distributed", "-v", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("test metrics") == 1 and done.stdout.count("epoch 3/3") == 1
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [
        "checkpoint.safetensors", "history.csv", "model.safetensors", "report.html", "settings.json"]
    assert not (tmp_path / "runs").exists()


def _alone(*code: str) -> subprocess.CompletedProcess[str]:
    """One process, started without mpiexec."""
    env = os.environ | {"PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    return subprocess.run([sys.executable, "-c", "\n".join(code)], env=env, capture_output=True, text=True,
                          timeout=60)


def test_distributed_needs_mpiexec_and_mpi4py_and_says_so(tmp_path: Path) -> None:
    out = str(tmp_path / "run")
    train = f"['train', '--data', 'xor', '--epochs', '1', '--out', {out!r}, '--distributed']"
    alone = _alone("import sys", "import glassnet, glassnet.distributed", "from glassnet.cli import main",
                   "assert 'mpi4py' not in sys.modules, 'imported by import glassnet'",
                   f"sys.exit(main({train}))")
    assert alone.returncode == 2
    assert alone.stderr.strip().splitlines() == [
        "glassnet: error: distributed training runs in 2 or more processes started by mpiexec, e.g. 'mpiexec "
        "-n 2 glassnet train ... --distributed'; this process is alone (a single process trains without "
        "distributed)"]
    missing = _alone("import sys", "sys.modules['mpi4py'] = None", "from glassnet.cli import main",
                     f"sys.exit(main({train}))")
    assert missing.returncode == 2
    assert "glassnet: error: distributed training needs mpi4py and an MPI library: pip install " \
           "'glassnet[mpi]'" in missing.stderr
    assert not (tmp_path / "run" / "model.safetensors").exists()


def test_fit_takes_replicas_or_none() -> None:
    import glassnet as gn
    from glassnet import nn, optim
    from glassnet.errors import GlassnetError

    model = nn.Linear(2, 1)
    with pytest.raises(GlassnetError, match=r"fit got distributed=True; expected glassnet\.distributed"):
        gn.fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), [[0.0, 1.0]], [[1.0]],
               distributed=True, verbose=0)

