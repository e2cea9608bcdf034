"""One of the processes of tests/search/test_journal.py: what a user runs on each machine.

``python journal_worker.py JOURNAL STUDY WORKER N_TRIALS``: opens (or creates) the study in the
journal file, waits until the other worker is there too (a file per worker beside the journal, so
that both really write at once), and runs its trials. Each trial trains a small glassnet network
with a PruningCallback and notes which worker ran it.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def main(journal: str, study_name: str, worker: int, n_trials: int) -> None:
    import numpy as np
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    import glassnet as gn
    from glassnet.search import PruningCallback

    storage = JournalStorage(JournalFileBackend(journal))
    study = optuna.create_study(study_name=study_name, storage=storage, load_if_exists=True,
                                sampler=optuna.samplers.RandomSampler(seed=worker),
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=2))
    _meet(Path(journal), worker)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)  # (200,) XOR of the signs

    def objective(trial: optuna.Trial) -> float:
        trial.set_user_attr("worker", worker)
        net = gn.nn.Sequential(gn.nn.Linear(4, trial.suggest_int("hidden", 4, 32)), gn.nn.Tanh(),
                               gn.nn.Linear(trial.params["hidden"], 2))
        lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
        pruning = PruningCallback(trial)
        history = gn.fit(net, gn.nn.CrossEntropyLoss(), gn.optim.Adam(net.parameters(), lr=lr), X, y,
                         epochs=10, validation_split=0.25, seed=trial.number, verbose=0, diagnostics=False,
                         callbacks=[pruning])
        pruning.check_pruned()
        return history["val_loss"][-1]

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study.optimize(objective, n_trials=n_trials)


def _meet(journal: Path, worker: int, timeout: float = 60.0) -> None:
    """Wait until both workers have opened the study."""
    (journal.parent / f"worker-{worker}.ready").write_text(str(os.getpid()))
    deadline = time.monotonic() + timeout
    while len(list(journal.parent.glob("worker-*.ready"))) < 2:
        if time.monotonic() > deadline:
            raise SystemExit(f"worker {worker}: the other worker did not start within {timeout:.0f} s")
        time.sleep(0.02)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
