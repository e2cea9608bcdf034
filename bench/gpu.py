"""glassnet on a CUDA GPU (CuPy): its loss curve against its own on the CPU, and its epoch time
against PyTorch CUDA, measured in one run.

    PYTHONPATH=src python bench/gpu.py            # a machine with a GPU, CuPy, array-api-compat, PyTorch CUDA
    PYTHONPATH=src python bench/gpu.py --dry-run  # any machine: the same code, small, without a GPU

The network is bench/cases.py's 784-256-128-10 (ReLU, cross-entropy, Adam lr 1e-3, float32), with
its synthetic data and initial weights:

1. The loss curve: 100 steps of ``glassnet.fit`` at batch 256 on the GPU and on the CPU, from the
   same weights, in the same order; the per-step losses must agree within 1e-5.
2. The epoch time at batch 2048 on 60 000 samples: ``glassnet.fit(..., device="cuda")`` against a
   PyTorch loop on CUDA (the same network, weights, optimizer and order; both copy each batch from
   host memory to the GPU), alternating, after one warm-up epoch each; medians and their ratio.

The results and the machine (GPU, CUDA runtime and driver, CPU, library versions) go to
bench/GPU.json and bench/GPU.md. Without a GPU the script measures nothing, writes nothing and
says so (exit status 2). ``--dry-run`` runs every step at a small size on the stand-in devices
(glassnet's ``strict`` device, array-api-strict, and PyTorch's CPU), writes to ``--out`` (a
temporary folder by default, never bench/) and ends by saying that no GPU was measured.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from cases import CASES, init_weights, make_data

import glassnet as gn
from glassnet import nn, optim

HERE = Path(__file__).resolve().parent
CASE = CASES["adam"]  # 784-256-128-10, ReLU, cross-entropy, Adam(lr=1e-3)
TOLERANCE = 1e-5
FULL = {"curve_steps": 100, "curve_batch": 256, "n_samples": 60_000, "batch": 2048, "repeats": 5}
DRY = {"curve_steps": 4, "curve_batch": 32, "n_samples": 512, "batch": 256, "repeats": 1}


class BatchLosses(gn.train.Callback):
    """Keeps every step's loss (it only reads: fit keeps replaying its recorded step)."""

    changes_model = False

    def __init__(self) -> None:
        self.losses: list[float] = []

    def on_batch_end(self, run: Any, logs: dict[str, float]) -> None:
        self.losses.append(float(logs["loss"]))


def glassnet_model(weights: Any) -> nn.Sequential:
    sizes = CASE.sizes
    layers: list[nn.Module] = []
    for i, (W, b) in enumerate(weights):
        layer = nn.Linear(sizes[i], sizes[i + 1])
        layer.weight.data[...], layer.bias.data[...] = W, b  # type: ignore[union-attr]
        layers += [layer, nn.ReLU()] if i < len(weights) - 1 else [layer]
    return nn.Sequential(*layers)


def fit_epoch(model: nn.Module, opt: optim.Optimizer, X: np.ndarray, y: np.ndarray, batch: int, device: str,
              seed: int, callbacks: tuple[gn.train.Callback, ...] = ()) -> None:
    gn.fit(model, nn.CrossEntropyLoss(), opt, X, y, epochs=1, batch_size=batch, seed=seed, verbose=0,
           diagnostics=False, callbacks=callbacks, device=device)


def loss_curve(device: str, X: np.ndarray, y: np.ndarray, weights: Any, batch: int) -> list[float]:
    model = glassnet_model(weights)
    record = BatchLosses()
    opt = optim.Adam(model.parameters(), lr=CASE.lr)
    fit_epoch(model, opt, X, y, batch, device, seed=1, callbacks=(record,))
    return record.losses


class TorchTrainer:
    """The same network, weights, optimizer and shuffling in PyTorch; each batch copied to the device."""

    def __init__(self, torch: Any, device: str, weights: Any, X: np.ndarray, y: np.ndarray,
                 batch: int) -> None:
        self.torch, self.device, self.batch = torch, device, batch
        layers: list[Any] = []
        for i, (W, b) in enumerate(weights):
            layer = torch.nn.Linear(W.shape[1], W.shape[0])
            with torch.no_grad():
                layer.weight.copy_(torch.from_numpy(W))
                layer.bias.copy_(torch.from_numpy(b))
            layers += [layer, torch.nn.ReLU()] if i < len(weights) - 1 else [layer]
        self.model = torch.nn.Sequential(*layers).to(device)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=CASE.lr)
        self.loss = torch.nn.CrossEntropyLoss()
        self.X, self.y = torch.from_numpy(X), torch.from_numpy(y)
        self.rng = np.random.default_rng(1)

    def epoch(self) -> None:
        order = self.rng.permutation(len(self.X))
        for start in range(0, len(order), self.batch):
            idx = self.torch.from_numpy(order[start:start + self.batch])
            xb, yb = self.X[idx].to(self.device), self.y[idx].to(self.device)  # host to device, per batch
            loss = self.loss(self.model(xb), yb)
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            loss.item()  # as fit reads each step's loss
        if self.device == "cuda":
            self.torch.cuda.synchronize()


def epoch_times(torch: Any, device: str, torch_device: str, X: np.ndarray, y: np.ndarray, weights: Any,
                batch: int, repeats: int) -> dict[str, Any]:
    """Seconds per epoch for glassnet and PyTorch, alternating, after one warm-up epoch each."""
    model = glassnet_model(weights)
    opt = optim.Adam(model.parameters(), lr=CASE.lr)
    theirs = TorchTrainer(torch, torch_device, weights, X, y, batch)
    times: dict[str, list[float]] = {"glassnet": [], "torch": []}
    for r in range(repeats + 1):
        start = time.perf_counter()
        fit_epoch(model, opt, X, y, batch, device, seed=r)
        glassnet_s = time.perf_counter() - start
        start = time.perf_counter()
        theirs.epoch()
        torch_s = time.perf_counter() - start
        if r:  # the first of each is the warm-up (CuPy compiles its kernels on first use)
            times["glassnet"].append(glassnet_s)
            times["torch"].append(torch_s)
    medians = {name: statistics.median(values) for name, values in times.items()}
    return {"batch": batch, "n_samples": len(X), "repeats": repeats, "seconds": times, "median_s": medians,
            "glassnet_over_torch": medians["glassnet"] / medians["torch"]}


def machine(torch: Any, dry: bool) -> dict[str, Any]:
    found: dict[str, Any] = {"cpu": platform.processor() or platform.machine(),
                             "python": platform.python_version(), "numpy": np.__version__,
                             "glassnet": getattr(gn, "__version__", "source tree"),
                             "torch": torch.__version__}
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            found["cpu"] = line.split(":", 1)[1].strip()
            break
    if dry:
        import array_api_strict

        stand_in = f"array-api-strict {array_api_strict.__version__} on 'strict'"
        return found | {"gpu": None, "stand_in": stand_in}
    import cupy

    props = cupy.cuda.runtime.getDeviceProperties(0)
    runtime, driver = cupy.cuda.runtime.runtimeGetVersion(), cupy.cuda.runtime.driverGetVersion()
    return found | {"gpu": props["name"].decode(),
                    "gpu_memory_gib": round(props["totalGlobalMem"] / 2**30, 1),
                    "cuda_runtime": f"{runtime // 1000}.{runtime % 1000 // 10}",
                    "cuda_driver": f"{driver // 1000}.{driver % 1000 // 10}", "cupy": cupy.__version__,
                    "torch_cuda": torch.version.cuda, "torch_gpu": torch.cuda.get_device_name(0)}


def missing_for_a_gpu_run() -> str:
    """Why this machine cannot run the measurement, or ''."""
    needs = [name for name in ("cupy", "array_api_compat", "torch") if importlib.util.find_spec(name) is None]
    if needs:
        return f"missing packages: {', '.join(needs)}"
    if not gn.cuda.is_available():
        return "gn.cuda.is_available() is False: CuPy finds no CUDA GPU"
    import torch

    return "" if torch.cuda.is_available() else "PyTorch has no CUDA device (a CPU-only torch build?)"


def markdown(results: dict[str, Any]) -> str:
    m, c, e = results["machine"], results["curve"], results["epoch"]
    where = m["gpu"] or m.get("stand_in")
    return "\n".join([
        "# glassnet on a GPU (bench/gpu.py)", "",
        f"Machine: {where}; CUDA runtime {m.get('cuda_runtime', '-')}, driver {m.get('cuda_driver', '-')}; "
        f"CuPy {m.get('cupy', '-')}; PyTorch {m['torch']} (CUDA {m.get('torch_cuda', '-')}); "
        f"CPU {m['cpu']}.", "",
        f"Loss curve, {c['steps']} steps at batch {c['batch']} (float32): largest difference between "
        f"the device's and the CPU's per-step losses {c['max_abs_difference']:.3g} "
        f"({'within' if c['within_tolerance'] else 'NOT within'} {c['tolerance']:g}).", "",
        f"Epoch at batch {e['batch']} on {e['n_samples']} samples, median of {e['repeats']} alternating "
        "runs:", "",
        "| | seconds per epoch |", "|---|---|",
        f"| glassnet (fit, device) | {e['median_s']['glassnet']:.4f} |",
        f"| PyTorch | {e['median_s']['torch']:.4f} |",
        f"| glassnet / PyTorch | {e['glassnet_over_torch']:.2f} |", "",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dry-run", action="store_true",
                        help="run every step small on the stand-in devices (no GPU needed); measures no GPU")
    parser.add_argument("--out", type=Path,
                        help="where the results go (default: bench/, or a temporary folder in a dry run)")
    args = parser.parse_args(argv)
    if not args.dry_run:
        why = missing_for_a_gpu_run()
        if why:
            print(f"bench/gpu.py: no GPU measurement on this machine ({why}); nothing measured, nothing "
                  "written. Run it where there is a CUDA GPU with CuPy, array-api-compat and PyTorch CUDA, "
                  "or pass --dry-run to check the script here.", file=sys.stderr)
            return 2
    import torch

    sizes = DRY if args.dry_run else FULL
    device, torch_device = ("strict", "cpu") if args.dry_run else ("cuda", "cuda")
    out = args.out or (Path(tempfile.mkdtemp(prefix="glassnet-gpu-dry-")) if args.dry_run else HERE)
    weights = init_weights(CASE.sizes)
    n_curve = sizes["curve_steps"] * sizes["curve_batch"]
    X, y = make_data(CASE, max(n_curve, sizes["n_samples"]))
    on_device = loss_curve(device, X[:n_curve], y[:n_curve], weights, sizes["curve_batch"])
    on_cpu = loss_curve("cpu", X[:n_curve], y[:n_curve], weights, sizes["curve_batch"])
    difference = float(np.max(np.abs(np.subtract(on_device, on_cpu))))
    results = {
        "dry_run": args.dry_run, "machine": machine(torch, args.dry_run),
        "curve": {"steps": len(on_device), "batch": sizes["curve_batch"], "device": on_device, "cpu": on_cpu,
                  "max_abs_difference": difference, "tolerance": TOLERANCE,
                  "within_tolerance": difference <= TOLERANCE},
        "epoch": epoch_times(torch, device, torch_device, X[:sizes["n_samples"]], y[:sizes["n_samples"]],
                             weights, sizes["batch"], sizes["repeats"]),
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "GPU.json").write_text(json.dumps(results, indent=1) + "\n")
    (out / "GPU.md").write_text(markdown(results))
    print(markdown(results))
    if args.dry_run:
        print(f"dry run: no GPU was measured; every step ran small on the '{device}' device "
              f"(array-api-strict) and PyTorch's CPU, results in {out}. Run without --dry-run on a GPU "
              "machine for the numbers.")
    return 0 if results["curve"]["within_tolerance"] else 1


if __name__ == "__main__":
    sys.exit(main())
