"""Two processes share one Optuna study through one journal file, as a user on two machines would
(a file on a shared disk): both add trials to the one study, and the result reads back whole."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna", reason="the optuna extra is missing: pip install glassnet[optuna]")
from optuna.storages import JournalStorage  # noqa: E402
from optuna.storages.journal import JournalFileBackend  # noqa: E402

WORKER = Path(__file__).with_name("journal_worker.py")
SRC = Path(__file__).resolve().parents[2] / "src"


def test_two_processes_fill_one_study_through_one_journal_file(tmp_path: Path) -> None:
    journal, n_trials = str(tmp_path / "study.log"), 4
    env = os.environ | {"PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))}
    workers = [subprocess.Popen([sys.executable, str(WORKER), journal, "shared", str(w), str(n_trials)],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
               for w in (0, 1)]
    for w in workers:
        out, _ = w.communicate(timeout=120)
        assert w.returncode == 0, out

    study = optuna.load_study(study_name="shared", storage=JournalStorage(JournalFileBackend(journal)))
    trials = study.trials
    assert sorted(t.number for t in trials) == list(range(2 * n_trials))  # one numbering: one study
    by_worker = [sum(t.user_attrs["worker"] == w for t in trials) for w in (0, 1)]
    assert by_worker == [n_trials, n_trials]
    S = optuna.trial.TrialState
    assert all(t.state in (S.COMPLETE, S.PRUNED) for t in trials)
    for t in trials:  # every epoch's validation loss reached the journal, up to where a pruned trial stopped
        steps = sorted(t.intermediate_values)
        assert steps == list(range(10 if t.state == S.COMPLETE else len(steps))) and len(steps) >= 3
    done = [t for t in trials if t.state == S.COMPLETE]
    assert study.best_value == min(t.value for t in done)
    assert set(study.best_params) == {"hidden", "lr"}
