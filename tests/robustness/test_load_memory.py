"""Loading a model file takes about the file's size in memory: the model is built from the header,
then each tensor is read straight into its parameter (no second copy of the file, no state_dict
copies); building draws the initial weights in chunks of at most 8 MiB. Measured with tracemalloc,
which sees NumPy's allocations."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np

import glassnet as gn
from glassnet import nn
from glassnet.io import load_state_dict, save_state_dict
from glassnet.io.safetensors import load_tensors
from glassnet.nn import init


def _peak(load: object, path: Path) -> int:
    tracemalloc.start()
    try:
        result = load(path)  # type: ignore[operator]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result is not None
    return peak


def test_a_model_file_loads_in_about_its_own_size(tmp_path: Path) -> None:
    net = nn.Sequential(nn.Linear(2000, 2000, generator=0), nn.ReLU(), nn.Linear(2000, 1000, generator=1))
    path = tmp_path / "big.safetensors"
    gn.save(net, path, classes=list(range(1000)))
    size = path.stat().st_size  # about 24 MB of float32 weights
    peak = _peak(gn.load, path)
    in_flight = init._CHUNK * 8  # float64 draws while the model is built, before its weights are read
    assert peak < 1.1 * size + in_flight, f"loading {size / 2**20:.1f} MiB peaked at {peak / 2**20:.1f} MiB"
    loaded = gn.load(path).model
    for (name, ours), theirs in zip(loaded.state_dict().items(), net.state_dict().values(), strict=True):
        np.testing.assert_array_equal(ours.array, theirs.array, err_msg=name)


def test_weights_and_tensors_load_in_about_their_size(tmp_path: Path) -> None:
    path = tmp_path / "weights.safetensors"
    save_state_dict(nn.Sequential(nn.Linear(2000, 3000, generator=0)), path)
    size = path.stat().st_size
    assert _peak(load_state_dict, path) < 1.1 * size
    assert _peak(load_tensors, path) < 1.1 * size


def test_initial_weights_drawn_in_chunks_are_the_same_numbers() -> None:
    big = nn.Linear(1500, 1000, generator=3)  # 1.5 M weights: two chunks
    rng = np.random.default_rng(3)
    bound = 1.0 / np.sqrt(1500)  # kaiming_uniform_(a=√5): U(±1/√fan_in)
    expected = rng.uniform(-bound, bound, size=(1000, 1500)).astype(np.float32)
    np.testing.assert_array_equal(big.weight.array, expected)
