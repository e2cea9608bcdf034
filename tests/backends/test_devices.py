"""Devices and their array libraries: the same checks on every device.

``cpu`` is NumPy. ``strict`` is array-api-strict on its non-default device ``device1``, which
refuses every implicit conversion to NumPy: a case that passes there converts nothing behind the
user's back, and runs the code path a GPU runs. ``cuda`` is CuPy on a GPU, skipped on a machine
without one (``gn.cuda.is_available()``), and run with the same checks where there is one.
Results are compared with NumPy's at a tolerance (two libraries sum in different orders).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.engine import kernels as engine_kernels
from glassnet.engine.libraries import device_of, move, scatter_add, to_host
from glassnet.optim import kernels as optim_kernels

DEVICES = [
    "cpu",
    "strict",
    pytest.param("cuda", marks=pytest.mark.skipif(not gn.cuda.is_available(), reason="no CUDA GPU (CuPy)")),
]
RNG = np.random.default_rng(0)
X = RNG.standard_normal((96, 6))
LABELS = (X[:, 0] + X[:, 1] > 0).astype(np.int64) + (X[:, 2] > 1)  # three classes


def on(a: Any, device: str) -> bool:
    """Whether array ``a`` lies on ``device`` and, off the CPU, is not a NumPy array."""
    a = a.array if isinstance(a, gn.Tensor) else a
    return device_of(a).type == device and (device == "cpu") == isinstance(a, np.ndarray)


def close(ours: Any, theirs: np.ndarray, rtol: float = 1e-10) -> None:
    ours = ours.numpy() if isinstance(ours, gn.Tensor) else to_host(ours)
    scale = float(np.max(np.abs(theirs), initial=1.0))
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol * scale)


def network(dtype: Any = np.float64) -> nn.Sequential:
    """A small MLP with dropout and batch normalization (no bias before it: Adam would scale that bias's
    zero gradient, pure rounding noise, into full steps)."""
    return nn.Sequential(nn.Linear(6, 16, dtype=dtype, generator=0), nn.ReLU(), nn.Dropout(0.25, generator=1),
                         nn.Linear(16, 16, bias=False, dtype=dtype, generator=2),
                         nn.BatchNorm1d(16, dtype=dtype), nn.Tanh(),
                         nn.Linear(16, 3, dtype=dtype, generator=3))


# ----------------------------------------------------------------------------- tensors
@pytest.mark.parametrize("device", DEVICES)
def test_tensors_are_made_on_the_device_and_come_back_explicitly(device: str) -> None:
    x = gn.tensor(X[:3], device=device, requires_grad=True)
    assert on(x, device) and x.device.type == device and x.is_cuda == (device == "cuda")
    assert isinstance(x.numpy(), np.ndarray) and np.array_equal(x.numpy(), X[:3])
    assert on(gn.zeros(2, 3, device=device), device) and on(gn.arange(4, device=device), device)
    assert np.array_equal(gn.randn(5, generator=7, device=device).numpy(), gn.randn(5, generator=7).numpy())
    y = (x * 2).sum()
    assert on(y, device) and isinstance(y.item(), float) and y.item() == pytest.approx(2 * X[:3].sum())
    y.backward()
    assert on(x.grad, device) and np.array_equal(x.grad.numpy(), np.full((3, 6), 2.0))
    back = x.to("cpu")  # a copy that gradients flow back through
    assert isinstance(back.array, np.ndarray) and back.to(device).device.type == device
    assert x.cpu().device == gn.device("cpu") and x.to(device) is x
    assert gn.as_tensor(X[:1], device=device).device.type == device


@pytest.mark.parametrize("device", [d for d in DEVICES if d != "cpu"])
def test_nothing_converts_implicitly(device: str) -> None:
    x = gn.tensor(X[:2], device=device)
    with pytest.raises(gn.GlassnetError, match="does not convert to a NumPy array implicitly"):
        np.asarray(x)
    with pytest.raises(gn.GlassnetError, match="two array libraries"):
        x + gn.tensor(X[:2])  # a NumPy tensor is never moved behind the user's back


# ----------------------------------------------------------------------------- per-library forms
@pytest.mark.parametrize("device", DEVICES)
def test_scatter_add_adds_every_duplicate(device: str) -> None:
    where = gn.device(device)
    index, values = move(np.array([0, 0, 2]), where), move(np.ones(3), where)
    added = scatter_add((3,), index, values)
    assert on(added, device) and np.array_equal(to_host(added), [2.0, 0.0, 1.0])
    w = gn.tensor(np.zeros(3), device=device, requires_grad=True)  # gather's backward is the scatter-add
    w[gn.tensor(np.array([0, 0, 2]), device=device)].sum().backward()
    assert on(w.grad, device) and np.array_equal(w.grad.numpy(), [2.0, 0.0, 1.0])
    table = nn.Embedding(3, 2, dtype=np.float64, generator=0).to(device)
    table(gn.tensor(np.array([[0, 0], [2, 0]]), device=device)).sum().backward()
    assert on(table.weight.grad, device)
    assert np.array_equal(table.weight.grad.numpy(), [[3.0, 3.0], [0.0, 0.0], [1.0, 1.0]])


@pytest.mark.parametrize("device", DEVICES)
def test_reductions_equal_numpys(device: str) -> None:
    a = RNG.standard_normal((4, 5, 3))
    x = gn.tensor(a, device=device)
    for axis in (None, 0, (1, 2), -1):
        close(x.sum(axis=axis), np.sum(a, axis=axis))
        close(x.mean(axis=axis), np.mean(a, axis=axis))
        close(x.max(axis=axis), np.max(a, axis=axis))
        close(x.min(axis=axis), np.min(a, axis=axis))
    close(x.var(axis=0), np.var(a, axis=0, ddof=1))


@pytest.mark.parametrize("device", DEVICES)
def test_random_numbers_on_the_device_are_the_hosts(device: str) -> None:
    """Initial weights and dropout masks are drawn on the host from the one explicit generator: a seed
    gives the same numbers on every device."""
    made_there = nn.Linear(6, 4, dtype=np.float64, generator=5, device=device)
    assert on(made_there.weight, device)
    made_here = nn.Linear(6, 4, dtype=np.float64, generator=5)
    assert np.array_equal(made_there.weight.numpy(), made_here.weight.numpy())
    lazy = nn.LazyLinear(4, dtype=np.float64, generator=5, device=device)  # moved once it knows its size
    assert on(lazy(gn.tensor(X[:2], device=device)), device) and on(lazy.weight, device)
    assert np.array_equal(lazy.weight.numpy(), made_here.weight.numpy())
    ones = np.ones((64, 32), dtype=np.float32)
    there = nn.functional.dropout(gn.tensor(ones, device=device), 0.3, generator=11)
    here = nn.functional.dropout(gn.tensor(ones), 0.3, generator=11)
    assert on(there, device) and np.array_equal(there.numpy(), here.numpy())
    assert set(np.unique(there.numpy()).tolist()) == {0.0, np.float32(1 / 0.7)}


# ----------------------------------------------------------------------------- models and training
@pytest.mark.parametrize("device", DEVICES)
def test_model_to_moves_parameters_buffers_gradients_and_optimizer_state(device: str) -> None:
    model = network()
    optimizer = gn.optim.Adam(model.parameters(), lr=0.01)
    loss = nn.CrossEntropyLoss()
    loss(model(gn.tensor(X[:8])), LABELS[:8]).backward()
    optimizer.step()  # state on the CPU
    assert model.to(device) is model
    assert all(on(t, device) for t in [*model.parameters(), *model.buffers()])
    assert all(on(p.grad, device) for p in model.parameters())
    optimizer.zero_grad()
    loss(model(gn.tensor(X[:8], device=device)), gn.tensor(LABELS[:8], device=device)).backward()
    optimizer.step()  # the state follows its parameters
    buffers = [v for state in optimizer.state.values() for v in state.values() if not isinstance(v, int)]
    assert buffers and all(on(v, device) for v in buffers)
    saved = optimizer.state_dict()  # for files: back on the host
    saved_buffers = [v for s in saved["state"].values() for v in s.values() if not isinstance(v, int)]
    assert saved_buffers and all(isinstance(v, np.ndarray) for v in saved_buffers)
    state = model.state_dict()
    assert all(isinstance(t.array, np.ndarray) for t in state.values())
    model.load_state_dict(state)  # copied back onto the device
    assert all(on(p, device) for p in model.parameters())
    model.cpu()
    assert all(isinstance(t.array, np.ndarray) for t in [*model.parameters(), *model.buffers()])


@pytest.mark.parametrize("device", DEVICES)
def test_layers_made_with_a_device_and_loaded_model_files_lie_there(device: str, tmp_path: Path) -> None:
    layers = [nn.Linear(3, 2, device=device), nn.LayerNorm(3, device=device),
              nn.BatchNorm1d(3, device=device), nn.Embedding(4, 2, padding_idx=0, device=device)]
    assert all(on(t, device) for layer in layers for t in [*layer.parameters(), *layer.buffers()])
    model = network()
    gn.save(model, tmp_path / "model.gnm")
    loaded = gn.load(tmp_path / "model.gnm", map_location=device).model
    assert all(on(p, device) for p in loaded.parameters())
    close(gn.predict(loaded, X[:4]), gn.predict(model, X[:4]))


def train(device: str | None, dtype: Any = np.float64) -> tuple[gn.train.History, nn.Module, gn.optim.Adam]:
    model = network(dtype)
    optimizer = gn.optim.Adam(model.parameters(), lr=0.01)
    history = gn.fit(model, nn.CrossEntropyLoss(), optimizer, X.astype(dtype), LABELS, epochs=1,
                     batch_size=16, seed=3, verbose=0, metrics=["accuracy"], validation_split=0.25,
                     device=device)
    return history, model, optimizer


@pytest.mark.parametrize("device", DEVICES)
def test_one_fit_epoch_on_the_device_equals_the_cpus(device: str, tmp_path: Path) -> None:
    history, model, optimizer = train(device)
    ref_history, reference, _ = train(None)
    assert all(on(p, device) for p in model.parameters())
    assert all(on(v, device) for s in optimizer.state.values() for v in s.values() if not isinstance(v, int))
    assert history["steps/replayed"][0] > 0  # the recorded step replays on the device too
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "diag/grad_ratio"):
        assert isinstance(history[key][0], float)
        assert history[key][0] == pytest.approx(ref_history[key][0], rel=1e-9)
    for p, q in zip(model.parameters(), reference.parameters(), strict=True):
        close(p, q.numpy(), 1e-9)
    predicted = gn.predict(model, X[:10])
    assert isinstance(predicted, np.ndarray)
    close(predicted, gn.predict(reference, X[:10]), 1e-9)
    gn.save(model, tmp_path / "model.gnm")  # a model file is written from the host's copy
    close(gn.predict(gn.load(tmp_path / "model.gnm").model, X[:10]), predicted, 1e-12)


@pytest.mark.parametrize("device", DEVICES)
def test_float32_training_agrees_with_the_cpu(device: str) -> None:
    history, model, _ = train(device, np.float32)
    ref_history, reference, _ = train(None, np.float32)
    assert history["loss"][0] == pytest.approx(ref_history["loss"][0], rel=1e-5)
    for p, q in zip(model.parameters(), reference.parameters(), strict=True):
        close(p, q.numpy(), 1e-4)


# ----------------------------------------------------------------------------- the compiled helpers
@pytest.fixture
def kernel_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every compiled helper (engine/kernels.py's numba functions, optim/kernels.py's loops) wrapped to
    record the types of the arrays it is handed."""
    if engine_kernels.numba is None or not engine_kernels.ENABLED:
        pytest.skip("numba is not installed: no compiled helpers")
    seen: list[str] = []

    def watch(fn: Any) -> Any:
        def watched(*args: Any) -> Any:
            seen.extend(type(a).__module__ for a in args if hasattr(a, "shape"))
            return fn(*args)
        return watched

    for name, value in vars(engine_kernels).items():
        if name.startswith("_") and type(value).__name__ == "CPUDispatcher":
            monkeypatch.setattr(engine_kernels, name, watch(value))
    monkeypatch.setattr(engine_kernels, "MIN_SIZE", 0)  # every array size takes the compiled path on the CPU
    real_loop = optim_kernels._loop
    monkeypatch.setattr(optim_kernels, "_loop", lambda *a: watch(real_loop(*a)))
    for rule in list(optim_kernels._LOOPS):
        monkeypatch.setitem(optim_kernels._LOOPS, rule, None)  # compiled again, through the watch
    yield seen


@pytest.mark.parametrize("device", DEVICES)
def test_compiled_helpers_are_handed_only_numpy_arrays(device: str, kernel_calls: list[str]) -> None:
    train(device, np.float32)
    assert all(module == "numpy" for module in kernel_calls)  # the host's arrays only (validation scores)
    assert kernel_calls or device != "cpu"  # the CPU run does use them: the watch works


# ----------------------------------------------------------------------------- errors and imports
def test_a_missing_gpu_is_one_clear_error() -> None:
    if gn.cuda.is_available():
        pytest.skip("this machine has a GPU")
    for make in (lambda: gn.tensor([1.0], device="cuda"), lambda: network().to("cuda"),
                 lambda: gn.fit(network(), nn.CrossEntropyLoss(), gn.optim.SGD(network().parameters()),
                                X, LABELS, verbose=0, device="cuda")):
        with pytest.raises(gn.GlassnetError, match="device 'cuda' is not available"):
            make()


@pytest.mark.parametrize(("name", "message"), [("cuda:abc", "write a whole number after the colon"),
                                               (12, "12 is not a device"), ("tpu", "'tpu' is not known"),
                                               ("strict:7", "this machine has 3 strict device")])
def test_a_bad_device_name_is_one_clear_error(name: Any, message: str) -> None:
    with pytest.raises(gn.GlassnetError, match=message):
        gn.zeros(2, device=name)
    with pytest.raises(gn.GlassnetError, match=message if isinstance(name, str) else "neither a device"):
        network().to(name)


def test_an_array_librarys_own_device_object_names_a_device() -> None:
    import array_api_strict as xps

    x = gn.zeros(2, device=xps.Device("device2"))
    assert x.device == gn.device("strict:2") and x.to(xps.Device("device1")).device == gn.device("strict:1")


def test_importing_glassnet_imports_no_array_library_but_numpy() -> None:
    code = ("import sys, glassnet; "
            "print(sorted(m for m in ('cupy', 'array_api_strict', 'array_api_compat') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
