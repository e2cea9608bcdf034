"""The benchmark harness (bench/) works: every library's epoch runs, the report renders, and the
glassnet and torch networks compute the same numbers, so the comparison is apples to apples.

Tiny sizes, no timing assertions: these tests prove the harness, not the speed.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import glassnet as gn

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.append(str(BENCH))  # appended: bench/profile.py must not shadow the standard library's

import cases  # noqa: E402
import dataloader  # noqa: E402
import digits  # noqa: E402
import lib_glassnet  # noqa: E402
import lib_glassnet_fit  # noqa: E402
import lib_sklearn  # noqa: E402
import lib_torch  # noqa: E402
import machine  # noqa: E402
import report  # noqa: E402
import run  # noqa: E402
import worker  # noqa: E402

LIBS = {"glassnet": lib_glassnet, "glassnet_fit": lib_glassnet_fit, "torch": lib_torch,
        "sklearn": lib_sklearn}
N = 256


class InProcess:
    """A worker answering in this process, in place of a subprocess (same requests, same replies).

    It stands in for any of run.WORKERS with the current source and no allocator setting (the base
    commit's glassnet cannot be imported beside this one; the subprocess tests below run it).
    """

    def __init__(self, name: str) -> None:
        self.worker = worker.Worker(run.WORKERS[name].library)

    def ask(self, op: str, **req: Any) -> dict[str, Any]:
        reply: dict[str, Any] = getattr(self.worker, op)(req)
        return json.loads(json.dumps(reply))  # what would cross the pipe


@pytest.mark.parametrize("library", list(LIBS))
@pytest.mark.parametrize("case_name", list(cases.CASES))
def test_each_library_trains_an_epoch(library: str, case_name: str) -> None:
    case = cases.resized(cases.CASES[case_name], N)
    X, y = cases.make_data(case)
    trainer = LIBS[library].Trainer(case, 64, cases.init_weights(case.sizes), X, y)
    with machine.Meter() as meter:
        trainer.run(N)
    assert meter.seconds > 0 and meter.other_cores >= 0


@pytest.mark.parametrize("case_name", list(cases.CASES))
def test_fit_and_the_five_line_loop_train_the_same_weights(case_name: str) -> None:
    # glassnet.fit (its fused step) and the loop see the same batches, masks and updates, bit for bit
    case = cases.resized(cases.CASES[case_name], N)
    X, y = cases.make_data(case)
    loop = lib_glassnet.Trainer(case, 64, cases.init_weights(case.sizes), X, y)
    fit = lib_glassnet_fit.Trainer(case, 64, cases.init_weights(case.sizes), X, y)
    for _ in range(2):
        loop.run(N)
        fit.run(N)
    for p, q in zip(loop.model.parameters(), fit.model.parameters(), strict=True):
        np.testing.assert_array_equal(p.array, q.array)
    trained = next(loop.model.parameters()).array
    assert not np.array_equal(trained, cases.init_weights(case.sizes)[0][0])


def test_the_three_predictors_give_the_same_probabilities() -> None:
    case = cases.resized(cases.CASES["adam"], N)
    X, y = cases.make_data(case)
    weights = cases.init_weights(case.sizes)
    x = np.ascontiguousarray(X[:5])
    p_gn = lib_glassnet.predictor(case, weights)(x)
    p_torch = lib_torch.predictor(case, weights)(x)
    p_sk = lib_sklearn.predictor(case, weights, X, y)(x)
    assert p_gn.shape == (5, 10)
    np.testing.assert_allclose(p_gn, p_torch, atol=1e-5)
    np.testing.assert_allclose(p_gn, p_sk, atol=1e-5)  # scikit-learn got the shared weights


def test_the_user_module_computes_what_torch_does_and_fit_replays_its_steps() -> None:
    # case 8's Module subclass (LeakyReLU(0.2), Dropout) against torch's network, in eval mode (no masks)
    case = cases.CASES["module"]
    X, y = cases.make_data(cases.resized(case, 64))
    weights = cases.init_weights(case.sizes, dtype=np.float64)
    gn_model = lib_glassnet.build(case, weights, dtype=np.float64)
    t_model = lib_torch.build(case, weights, dtype=torch.float64)
    assert isinstance(gn_model, lib_glassnet.UserMLP)
    gn_model.eval()
    t_model.eval()
    x = X[:16].astype(np.float64)
    a = lib_glassnet.loss_function(case)(gn_model(gn.tensor(x)), y[:16], gn_model)
    b = lib_torch.loss_function(case)(t_model(torch.from_numpy(x)), torch.from_numpy(y[:16]), t_model)
    a.backward()
    b.backward()
    assert abs(a.item() - b.item()) < 1e-12
    for p, q in zip(gn_model.parameters(), t_model.parameters(), strict=True):
        assert p.grad is not None and q.grad is not None
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-10, atol=1e-12)
    # the base commit's fit trains the equivalent Sequential: same layers, ReLU, same dropout
    equivalent = cases.for_base(case)
    assert (equivalent.sizes, equivalent.dropout, equivalent.activation) == (case.sizes, 0.2, "relu")
    assert cases.for_base(cases.CASES["adam"]) is cases.CASES["adam"]
    small = cases.resized(case, N)
    fit = lib_glassnet_fit.Trainer(small, 64, cases.init_weights(case.sizes), *cases.make_data(small))
    fit.run(N)
    assert fit.steps() == {"replayed": N // 64 - 2, "graph": 2, "reasons": []}  # two recordings, then replays


@pytest.mark.parametrize("case_name", ["adam", "sgd", "small"])
def test_glassnet_and_torch_compute_the_same_loss_gradients_and_steps(case_name: str) -> None:
    case = cases.CASES[case_name]
    case = cases.Case(**{**case.__dict__, "l2": 1e-3 if case_name == "adam" else 0.0})  # penalty too
    X, y = cases.make_data(cases.resized(case, 64))
    X = X.astype(np.float64)
    y = y.astype(np.float64) if case.task == "regress" else y
    weights = cases.init_weights(case.sizes, dtype=np.float64)
    gn_model = lib_glassnet.build(case, weights, dtype=np.float64)
    t_model = lib_torch.build(case, weights, dtype=torch.float64)
    gn_opt, t_opt = lib_glassnet.make_optimizer(case, gn_model), lib_torch.make_optimizer(case, t_model)
    gn_loss, t_loss = lib_glassnet.loss_function(case), lib_torch.loss_function(case)
    for step in range(3):
        batch = slice(16 * step, 16 * step + 16)
        a = gn_loss(gn_model(gn.tensor(X[batch])), y[batch], gn_model)
        b = t_loss(t_model(torch.from_numpy(X[batch])), torch.from_numpy(y[batch]), t_model)
        assert abs(a.item() - b.item()) < 1e-12
        for opt in (gn_opt, t_opt):
            opt.zero_grad()
        a.backward()
        b.backward()
        for p, q in zip(gn_model.parameters(), t_model.parameters(), strict=True):
            assert p.grad is not None and q.grad is not None
            np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-10, atol=1e-12)
        gn_opt.step()
        t_opt.step()
    for p, q in zip(gn_model.parameters(), t_model.parameters(), strict=True):
        np.testing.assert_allclose(p.array, q.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_flop_count_of_an_epoch() -> None:
    # forward 2·3 + 3·1 = 9 MACs, backward: weight grads 9, input grad of layer 2 only: 3
    assert cases.epoch_flops((2, 3, 1), n=10) == 2 * 10 * (9 + 9 + 3)


@pytest.mark.parametrize("library", ["glassnet", "glassnet_fit"])
def test_worker_serves_json_lines(library: str) -> None:
    requests = [{"op": "train", "case": "module", "batch": 32, "threads": 1, "warmup": 0.1, "n": N},
                {"op": "epoch"}, {"op": "nonsense"}, {"op": "quit"}, {"op": "epoch"}]
    stdout = io.StringIO()
    worker.serve(library, io.StringIO("".join(json.dumps(r) + "\n" for r in requests)), stdout)
    replies = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert len(replies) == 3  # nothing answered after quit
    assert replies[1]["seconds"] > 0
    assert "error" in replies[2]
    if library == "glassnet_fit":  # fit says how its steps ran (History's steps/replayed, steps/graph)
        assert replies[1]["steps"] == {"replayed": N // 32 - 2, "graph": 2, "reasons": []}
    else:
        assert "steps" not in replies[1]


def test_worker_process_sees_the_environment() -> None:
    env = run.environment({"OPENBLAS_CORETYPE": "Haswell"})
    process = run.Process("glassnet", env)
    try:
        info = process.ask("describe")
    finally:
        process.close()
    assert info["OPENBLAS_CORETYPE"] == "Haswell"
    openblas = [b for b in info["blas"] if b["internal_api"] == "openblas"]
    assert openblas and all(b["architecture"] == "Haswell" for b in openblas)
    # the current source, whatever the environment installed; no allocator setting unless opted in
    assert Path(info["glassnet_package"]).is_relative_to(run.SRC.resolve())
    assert info["glassnet_source"] == machine.source_fingerprint(run.SRC / "glassnet")
    assert info["keeps_freed_memory"] is False


def test_base_commit_workers_import_its_source() -> None:
    # the base commit's src from git, its workers (this bench/ code on that glassnet), the allocator opt-in
    base = "8d3a92f"  # the last commit with the fused step, whose glassnet set the allocator at import
    if subprocess.run(["git", "-C", str(BENCH), "cat-file", "-e", f"{base}^{{commit}}"],
                      capture_output=True).returncode != 0:
        pytest.skip(f"not a git checkout with commit {base}")
    with run.base_source(base) as (src, info):
        assert info["commit"].startswith(base) and (src / "glassnet" / "__init__.py").is_file()
        sources = {False: run.SRC, True: src}
        names = ("glassnet@base", "glassnet_fit@base", "glassnet_fit", "glassnet_fit+keep")
        processes = {name: run.Process(name, run.environment({}, sources[run.WORKERS[name].base]))
                     for name in names}
        try:
            machines = {name: p.ask("describe") for name, p in processes.items()}
            run.check_sources(machines, sources)
            assert machines["glassnet_fit@base"]["glassnet_source"] == info["glassnet_source"]
            assert machines["glassnet_fit"]["glassnet_source"] != info["glassnet_source"]
            kept = {name: m["keeps_freed_memory"] for name, m in machines.items()}
            assert kept == {"glassnet@base": True, "glassnet_fit@base": True,  # set at import back then
                            "glassnet_fit": False, "glassnet_fit+keep": True}
            with pytest.raises(RuntimeError, match="imported glassnet from"):
                run.check_sources(machines, {False: src, True: src})
            for name in ("glassnet@base", "glassnet_fit@base"):  # case 8's stand-in at the base
                processes[name].ask("train", case="module_sequential", batch=32, threads=1, warmup=0.1, n=N)
                assert processes[name].ask("epoch")["seconds"] > 0
        finally:
            for p in processes.values():
                p.close()
    assert not src.exists()


@pytest.mark.filterwarnings("ignore:Got `batch_size`:UserWarning")  # batch 2048 on 256 samples
def test_report_renders_every_section(tmp_path: Path) -> None:
    plan = run.Plan(quick=True, n=N, repeats=1, small_repeats=1, warmup=0.1, infer_rounds=1,
                    infer_calls={1: 3, 64: 3}, one_thread_batches=(128,), gemm_n=64, gemm_repeats=1,
                    threads=1, keep_batches=(512,))  # 1 thread: 2-thread BLAS stalls when a core is busy
    results = run.header(plan, time.time())
    results["base"] = {"given": run.BASE, "commit": "0123456789ab" + "0" * 28, "subject": "stand-in",
                       "date": "2026-01-01T00:00:00+00:00", "glassnet_source": "0" * 12}
    pools = {env: {name: InProcess(name) for name in run.WORKERS} for env in run.ENVS}
    results["envs"] = run.measure(pools, plan)
    found = digits.measure(quick=True)  # one quick measurement, shown for both environments
    for env in results["envs"].values():
        env["memory"] = {lib: worker.memory(lib, N) for lib in LIBS}
        env["digits"] = found
    results["wall_s"] = 1.0
    results = json.loads(json.dumps(results))
    text = report.render(results)
    headings = ("## Targets", "## Machine", "## GEMM ceiling", *(c.title for c in cases.CASES.values()),
                "Single thread", "## 5. Inference", "## 6.", "bench/digits.py", "## 7. Peak",
                "## 8. A user's", "## 9. glibc's allocator")
    for heading in headings:
        assert heading in text, heading
    numbered = [text.index(f"\n## {i}. ") for i in range(1, 10)]  # sections in their numbers' order
    assert numbered == sorted(numbered)
    assert text.count("met") >= 18 and "OPENBLAS_CORETYPE unset" in text
    section6 = text[text.index("## 6."):text.index("## 7.")]
    for env_name in run.ENVS:
        assert f"### {env_name}\n" in section6, env_name
    assert section6.count("#### A. Default") == section6.count("#### C. Cost") == len(run.ENVS)
    assert "| glassnet.sklearn |" in section6 and "| 784-256-128-10 |" in section6
    for target in ("| estimator on digits: fit time ≤ 0.5", "| fit's diagnostics cost < 10 %"):
        row = next(line for line in text.splitlines() if line.startswith(target))
        cells = [cell.strip() for cell in row.strip("| ").split(" | ")[2:]]
        assert len(cells) == len(run.ENVS), row
        assert all(cell.startswith(("met (", "**not met** (")) for cell in cells), row

    fit_rows = [line for line in text.splitlines() if line.startswith(("| glassnet.fit/torch epoch",
                                                                         "| glassnet.fit/sklearn epoch"))]
    base_rows = [line for line in text.splitlines() if "the base commit's glassnet.fit" in line
                 or line.startswith("| glassnet.fit/torch < 1")]
    assert len(fit_rows) == 2 * len(cases.CASES) and len(base_rows) == len(cases.CASES) + 1
    for row in fit_rows + base_rows:
        cells = [cell.strip() for cell in row.strip("| ").split(" | ")[2:]]
        assert len(cells) == len(run.ENVS), row
        assert all(c.startswith(("met (", "**not met** (")) for c in cells), row
    allocator = next(line for line in text.splitlines() if line.startswith("| glassnet.fit with `keep"))
    assert allocator.count("adam/512/1T: ") == len(run.ENVS)  # this plan runs every row on 1 thread
    for header in ("| fit s |", "| fit/torch |", "| fit@base s |", "| fit/base |", "| gn/base |",
                   "| keep/fit |"):
        assert header in text, header
    section8 = text[text.index("## 8."):text.index("## 9.")]
    assert "`glassnet.fit`'s steps per timed epoch" in section8 and " replayed, " in section8
    assert "(`History.graph_reasons`): none." in section8
    assert "| base commit (`--base`) | 0123456789ab" in text

    del results["envs"]["OPENBLAS_CORETYPE unset"]["digits"]  # a run from before digits was measured
    del results["base"]  # and from before the base commit, fit and case 8 were measured
    for env in results["envs"].values():
        env["train"] = [row for row in env["train"] if row["case"] != "module"]
        for row in env["train"]:
            row["runs"] = {lib: row["runs"][lib] for lib in worker.LIBRARIES}
        env["machine"] = {lib: env["machine"][lib] for lib in worker.LIBRARIES}
    text = report.render(results)
    assert "Not measured in this run." in text and "| no data |" in text
    fit_rows = [line for line in text.splitlines() if line.startswith("| glassnet.fit")]
    assert all(row.endswith("| no data | no data |") for row in fit_rows) and len(fit_rows) == 17


def test_the_committed_results_render() -> None:
    text = report.render(json.loads((BENCH / "RESULTS.json").read_text()))
    assert text.startswith("# glassnet benchmarks") and "## 7. Peak" in text


def test_digits_py_prints_its_figures_as_json() -> None:
    out = subprocess.run([sys.executable, str(BENCH / "digits.py"), "--json", "--quick"], capture_output=True,
                         text=True, check=True)
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(found["default"]) == {"glassnet", "torch", "sklearn"}
    for runs in found["default"].values():
        assert len(runs) == 1 and runs[0][0] > 0 and 0 <= runs[0][1] <= 1
    assert {r["n_iter"] for runs in found["estimators"].values() for r in runs} == {5}  # max_iter in --quick
    assert set(found["diagnostics"]) == {"64-256-10", "784-256-128-10"}
    assert all(m["off"] and m["on"] for m in found["diagnostics"].values())


def test_run_py_help_runs() -> None:
    out = subprocess.run([sys.executable, str(BENCH / "run.py"), "--help"], capture_output=True, text=True,
                         check=True, env={**os.environ})
    assert "--quick" in out.stdout and "--out" in out.stdout


def test_bench_profile_py_does_not_shadow_the_standard_library() -> None:
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import cProfile, profile; "
            "assert callable(profile.run) and cProfile.Profile; print(profile.__file__)")
    out = subprocess.run([sys.executable, "-c", code, str(BENCH)], capture_output=True, text=True, check=True)
    assert "bench" not in out.stdout


def test_the_dataloader_bench_times_both_loaders(capsys: pytest.CaptureFixture[str]) -> None:
    text = dataloader.main(["--n", "50", "--features", "3", "--batch-size", "8", "--repeats", "1"])
    assert "| sequential |" in text and "| shuffled |" in text and text in capsys.readouterr().out
