"""10,000 training steps do not grow memory: every graph is freed by backward."""

from __future__ import annotations

import gc
from pathlib import Path

import numpy as np

import glassnet as gn
from glassnet import nn, optim


def _rss_bytes() -> int:
    fields = Path("/proc/self/statm").read_text().split()
    return int(fields[1]) * 4096


def _live_tensors() -> int:
    return sum(issubclass(type(o), gn.Tensor) for o in gc.get_objects())  # type(): no attribute lookups


def test_ten_thousand_steps_do_not_grow_memory() -> None:
    rng = np.random.default_rng(0)
    net = nn.Sequential(nn.Linear(8, 32, generator=rng), nn.ReLU(), nn.Dropout(0.1, generator=rng),
                        nn.Linear(32, 32, generator=rng), nn.Tanh(), nn.Linear(32, 1, generator=rng))
    opt = optim.Adam(net.parameters(), lr=1e-3)
    X = rng.standard_normal((32, 8)).astype(np.float32)
    y = X[:, :1] ** 2

    def step() -> None:
        loss = nn.MSELoss()(net(gn.tensor(X)), gn.tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()

    for _ in range(500):  # warm up allocator caches and the optimizer state
        step()
    gc.collect()
    tensors = _live_tensors()  # before reading RSS: its list of every object is memory too
    rss = _rss_bytes()
    for _ in range(10_000):
        step()
    gc.collect()
    grown = _rss_bytes() - rss
    assert _live_tensors() <= tensors, "tensors from earlier steps are still alive"
    assert grown < 4 * 2**20, f"memory grew by {grown / 2**20:.1f} MiB"
