"""What each rank runs for tests/data_parallel/test_distributed.py: ``mpiexec -n 2 python ranks.py NAME OUT``.

Each rank writes what it saw to ``OUT/<scenario>-rank<r>.json``; the test compares them.

- ``train``: 2 ranks started with different seeds; float64, 209 Adam steps of a global batch of
  20 rows (the last of each epoch 3 rows: shards of 2 and 1); every rank also trains the same
  model in one process (seed 0) and reports the largest difference; a digest of the weights after
  every step; then sample weights with an L2 penalty, class weights, a DataLoader with its own
  seed (another on rank 1), and the allreduce mode, each against one process.
- ``fail``: rank 1's forward raises in epoch 2: every rank gets the error naming rank 1.
- ``stop``: rank 1 stops itself (SIGSTOP) in epoch 2: rank 0 ends the job after the 2 s timeout.
- ``kill``: rank 1 is killed (SIGKILL) in epoch 3, after checkpoints of epochs 1 and 2.
- ``resume``: resume the killed run from its checkpoint, and train the same run uninterrupted.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np


def _model(seed: int, dtype: Any = None) -> Any:
    import glassnet as gn
    from glassnet import nn

    gn.manual_seed(seed)
    model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3))
    return model.to(dtype) if dtype is not None else model


def _data(n: int = 203) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 6)), rng.integers(0, 3, n)


def _fit(model: Any, replicas: Any, seed: int, loss: Any = None, **options: Any) -> Any:
    import glassnet as gn
    from glassnet import nn, optim

    X, y = _data()
    options = {"epochs": 19, "batch_size": 20, "metrics": ["accuracy"]} | options
    return gn.fit(model, loss or nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-2), X, y,
                  seed=seed, verbose=0, distributed=replicas, **options)


def _digest(model: Any) -> str:
    h = hashlib.sha256()
    for p in model.parameters():
        h.update(np.ascontiguousarray(p.numpy()).tobytes())
    return h.hexdigest()[:16]


def _gap(a: Any, b: Any) -> float:
    return max(float(np.max(np.abs(p.numpy() - q.numpy()))) for p, q in zip(a.parameters(), b.parameters(),
                                                                             strict=True))


def train(replicas: Any) -> dict[str, Any]:
    import glassnet as gn
    from glassnet import nn, optim
    from glassnet.distributed import Replicas
    from glassnet.train import LambdaCallback

    digests: list[str] = []
    model = _model(seed=replicas.rank + 1, dtype=gn.float64)  # each rank its own seed: rank 0's must win
    trace = LambdaCallback(on_batch_end=lambda run, logs: digests.append(_digest(run.model)),
                           changes_model=False)
    history = _fit(model, replicas, seed=replicas.rank, callbacks=[trace])
    alone = _model(seed=1, dtype=gn.float64)
    single = _fit(alone, None, seed=0)
    y = _data()[1]
    w = np.random.default_rng(1).uniform(0.1, 2.0, len(y))
    weighted = {"sample_weight": w, "regularizer": gn.regularizers.L2(1e-3), "epochs": 3}
    both = [_model(seed=1, dtype=gn.float64) for _ in range(2)]
    _fit(both[0], replicas, seed=0, **weighted)
    _fit(both[1], None, seed=0, **weighted)
    summed = [_model(seed=1, dtype=gn.float64) for _ in range(2)]
    _fit(summed[0], Replicas(reduce="allreduce"), seed=0, epochs=3)
    _fit(summed[1], None, seed=0, epochs=3)
    classes = [_model(seed=1, dtype=gn.float64) for _ in range(2)]  # the mean divides by Σ w_y per shard
    for net, group in zip(classes, (replicas, None), strict=True):
        _fit(net, group, seed=0, epochs=3, loss=nn.CrossEntropyLoss(weight=gn.tensor([0.2, 1.0, 3.0],
                                                                                     dtype=gn.float64)))
    loaded = [_model(seed=1, dtype=gn.float64) for _ in range(2)]
    for net, group in zip(loaded, (replicas, None), strict=True):  # a DataLoader shuffled by its own seed
        data = gn.utils.data.TensorDataset(gn.tensor(_data()[0]), gn.tensor(y))
        loader = gn.utils.data.DataLoader(data, batch_size=20, shuffle=True,
                                          generator=7 + (replicas.rank if group else 0))  # rank 0: 7
        gn.fit(net, nn.CrossEntropyLoss(), optim.Adam(net.parameters(), lr=1e-2), loader, epochs=3, verbose=0,
               distributed=group)

    def most(key: str) -> float:
        return max(abs(a - b) for a, b in zip(history[key], single[key], strict=True))

    return {"steps": len(digests), "digests": digests, "gap": _gap(model, alone),
            "loss_gap": most("loss"), "accuracy_gap": most("accuracy"),
            "weighted_gap": _gap(*both), "loader_gap": _gap(*loaded), "class_weight_gap": _gap(*classes),
            "allreduce_gap": _gap(*summed),
            "final": _digest(model)}


def _breaking(model: Any, rank: int, calls: int, how: str) -> Any:
    """``model`` inside a layer that fails (raises, stops or dies) on rank 1 at its ``calls``-th
    training step (fit then runs the graph at every step: steps.REPLAY is off)."""
    from glassnet import nn

    class Breaking(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner, self.calls = model, calls

        def forward(self, x: Any) -> Any:
            self.calls -= self.training
            if self.training and self.calls == 0 and rank == 1:
                if how == "fail":
                    raise RuntimeError("this rank's data could not be read")
                if how == "stop":
                    time.sleep(600)  # hangs
                os.kill(os.getpid(), signal.SIGKILL)
            return self.inner(x)

    return Breaking()


def breaks(replicas: Any, how: str, out: Path) -> dict[str, Any]:
    from glassnet.train import ModelCheckpoint, steps

    steps.REPLAY = False
    model = _breaking(_model(seed=1), replicas.rank, 11 * 2 + 5, how)  # epoch 3, batch 5
    callbacks = [ModelCheckpoint(out / "checkpoint.safetensors")]
    try:
        _fit(model, replicas, seed=0, epochs=5, callbacks=callbacks)
    except Exception as error:  # what a user's script sees
        return {"error": f"{type(error).__name__}: {error}"}
    return {"error": ""}


def resume(replicas: Any, out: Path) -> dict[str, Any]:
    from glassnet.distributed import Replicas
    from glassnet.train import steps

    steps.REPLAY = False  # as the killed run trained
    resumed, whole = (_breaking(_model(seed=1), -1, 0, "never") for _ in range(2))
    from glassnet.train import ModelCheckpoint

    _fit(resumed, replicas, seed=0, epochs=5, resume_from=str(out / "checkpoint.safetensors"),
         callbacks=[ModelCheckpoint(out / "checkpoint.safetensors")])
    _fit(whole, Replicas(), seed=0, epochs=5, callbacks=[ModelCheckpoint(out / "whole.safetensors")])
    return {"same": _digest(resumed) == _digest(whole), "gap": _gap(resumed, whole)}


def main() -> None:
    from glassnet.distributed import Replicas

    scenario, out = sys.argv[1], Path(sys.argv[2])
    replicas = Replicas(timeout=2.0)
    if scenario == "train":
        result = train(replicas)
    elif scenario == "resume":
        result = resume(replicas, out)
    else:
        result = breaks(replicas, scenario, out)
    (out / f"{scenario}-rank{replicas.rank}.json").write_text(json.dumps(result))
    if result.get("error") and replicas.rank == 0:
        print(result["error"], file=sys.stderr)


if __name__ == "__main__":
    main()
