"""Every learning-rate schedule gives torch.optim.lr_scheduler's numbers, step for step."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet import nn, optim
from glassnet.optim import lr_scheduler as ls

Make = Callable[[Any, Any], Any]  # (module with the scheduler classes, optimizer) -> scheduler


def _optimizers(name: str = "SGD", **kwargs: Any) -> tuple[optim.Optimizer, torch.optim.Optimizer]:
    """The same two-group optimizer (lr 0.1 and 0.02) in glassnet and in torch."""
    kwargs = kwargs or (dict(momentum=0.9) if name == "SGD" else {})
    ours = getattr(optim, name)([{"params": [nn.Parameter(np.zeros(2))]},
                                 {"params": [nn.Parameter(np.zeros(2))], "lr": 0.02}], lr=0.1, **kwargs)
    theirs = getattr(torch.optim, name)([{"params": [torch.zeros(2, requires_grad=True)]},
                                         {"params": [torch.zeros(2, requires_grad=True)], "lr": 0.02}],
                                        lr=0.1, **kwargs)
    return ours, theirs


def _run(make: Make, steps: int, name: str = "SGD", keys: tuple[str, ...] = ("lr",),
         **kwargs: Any) -> list[list[Any]]:
    """Step both schedulers; assert the group options agree after every step; return our history."""
    ours, theirs = _optimizers(name, **kwargs)
    ours_sched, their_sched = make(ls, ours), make(torch.optim.lr_scheduler, theirs)
    history = []
    for step in range(steps + 1):
        if step:
            theirs.step()  # torch wants optimizer.step() first; glassnet's is a no-op without grads
            ours_sched.step()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                their_sched.step()
        assert ours_sched.get_last_lr() == pytest.approx(their_sched.get_last_lr(), rel=1e-13, abs=0)
        for key in keys:
            mine, ref = [g[key] for g in ours.param_groups], [g[key] for g in theirs.param_groups]
            np.testing.assert_allclose(mine, ref, rtol=1e-13, atol=0, err_msg=f"{step} {key}")
        history.append(ours_sched.get_last_lr())
    return history


SCHEDULES: dict[str, tuple[Make, int]] = {
    "step": (lambda m, o: m.StepLR(o, step_size=3, gamma=0.5), 30),
    "multi_step": (lambda m, o: m.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.3), 20),
    "exponential": (lambda m, o: m.ExponentialLR(o, gamma=0.9), 40),
    "cosine": (lambda m, o: m.CosineAnnealingLR(o, T_max=10, eta_min=1e-3), 45),
    "cosine_no_floor": (lambda m, o: m.CosineAnnealingLR(o, T_max=7), 30),
    "linear": (lambda m, o: m.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=7), 20),
    "linear_decay": (lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.0, total_iters=10), 15),
    "lambda": (lambda m, o: m.LambdaLR(o, lambda t: 0.95**t), 30),
    "lambda_per_group": (lambda m, o: m.LambdaLR(o, [lambda t: 1 / (t + 1), lambda t: 0.9**t]), 30),
    "one_cycle": (lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=50), 50),
    "one_cycle_linear_3": (lambda m, o: m.OneCycleLR(o, max_lr=[1.0, 0.5], epochs=5, steps_per_epoch=8,
                                                     anneal_strategy="linear", three_phase=True,
                                                     pct_start=0.25, div_factor=10.0), 40),
    "sequential": (lambda m, o: m.SequentialLR(o, [m.LinearLR(o, start_factor=0.1, total_iters=5),
                                                   m.ExponentialLR(o, gamma=0.9)], milestones=[5]), 30),
    "sequential_3": (lambda m, o: m.SequentialLR(o, [m.StepLR(o, step_size=2, gamma=0.5),
                                                     m.CosineAnnealingLR(o, T_max=8),
                                                     m.MultiStepLR(o, milestones=[3, 6])],
                                                 milestones=[4, 12]), 30),
}  # fmt: skip


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_lr_sequence_matches_torch(schedule: str) -> None:
    make, steps = SCHEDULES[schedule]
    history = _run(make, steps, keys=("lr", "momentum"))
    assert len({lr[0] for lr in history}) > 1  # the lr moved: the test can fail


def test_one_cycle_cycles_adams_beta1_as_torch() -> None:
    make: Make = lambda m, o: m.OneCycleLR(o, max_lr=0.01, total_steps=30, base_momentum=0.8,  # noqa: E731
                                           max_momentum=[0.9, 0.95], final_div_factor=100.0)
    _run(make, 30, name="Adam", keys=("lr", "betas", "initial_lr", "max_lr", "min_lr"), betas=(0.9, 0.99))


def test_one_cycle_without_momentum_cycling_leaves_momentum() -> None:
    make: Make = lambda m, o: m.OneCycleLR(o, max_lr=0.3, total_steps=20, cycle_momentum=False)  # noqa: E731
    _run(make, 20, name="Adagrad", keys=("lr",))


def test_one_cycle_refuses_to_step_past_total_steps() -> None:
    opt, _ = _optimizers()
    sched = ls.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    for _ in range(3):
        sched.step()
    with pytest.raises(gn.GlassnetError, match="total_steps=3"):
        sched.step()


PLATEAU_METRICS = [5.0, 4.0, 4.0, 3.99999, 4.1, 3.0, 3.0, 3.0, 3.0, 2.9997, 2.9996, 3.5, 3.5, 3.5, 3.5,
                   3.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5]


@pytest.mark.parametrize("options", [
    dict(patience=1),
    dict(patience=2, factor=0.5, cooldown=2, threshold=1e-3),
    dict(patience=0, factor=0.5, threshold_mode="abs", threshold=0.05, min_lr=[0.01, 0.015]),
    dict(mode="max", patience=1, factor=0.3, min_lr=1e-3),
    dict(mode="max", patience=0, threshold_mode="abs", threshold=0.0, cooldown=1, eps=0.02),
])  # fmt: skip
def test_reduce_on_plateau_matches_torch_on_a_metric_sequence(options: dict[str, Any]) -> None:
    ours, theirs = _optimizers()
    mine = ls.ReduceLROnPlateau(ours, **options)
    ref = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs, **options)
    metrics = PLATEAU_METRICS if options.get("mode") != "max" else [-x for x in PLATEAU_METRICS]
    for metric in metrics:
        mine.step(metric)
        ref.step(metric)
        assert mine.get_last_lr() == ref.get_last_lr()
        assert (mine.best, mine.num_bad_epochs, mine.cooldown_counter) == (
            ref.best, ref.num_bad_epochs, ref.cooldown_counter)
    assert mine.get_last_lr() != [0.1, 0.02]  # it reduced: the test can fail


@pytest.mark.parametrize("schedule", ["cosine", "one_cycle", "lambda", "sequential_3", "multi_step"])
def test_state_dict_round_trip_resumes_the_schedule(schedule: str) -> None:
    make, steps = SCHEDULES[schedule]
    opt, _ = _optimizers()
    sched = make(ls, opt)
    for _ in range(steps // 2):
        sched.step()
    saved_opt, saved = opt.state_dict(), sched.state_dict()
    assert "optimizer" not in saved and "lr_lambdas" not in saved and not _has_callable(saved)
    opt2, _ = _optimizers()
    sched2 = make(ls, opt2)
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved)
    for _ in range(steps - steps // 2):
        sched.step()
        sched2.step()
        assert sched.get_last_lr() == sched2.get_last_lr()
        assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in opt2.param_groups]


def _has_callable(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_callable(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_callable(v) for v in value)
    return callable(value)


def test_plateau_state_dict_round_trip() -> None:
    opt, _ = _optimizers()
    sched = ls.ReduceLROnPlateau(opt, patience=1, cooldown=1)
    for metric in PLATEAU_METRICS[:10]:
        sched.step(metric)
    opt2, _ = _optimizers()
    sched2 = ls.ReduceLROnPlateau(opt2)
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(sched.state_dict())
    for metric in PLATEAU_METRICS[10:]:
        sched.step(metric)
        sched2.step(metric)
        assert sched.get_last_lr() == sched2.get_last_lr()


def test_cosine_closed_form_agrees_with_the_recursion() -> None:
    opt, _ = _optimizers()
    sched = ls.CosineAnnealingLR(opt, T_max=12, eta_min=0.01)
    for t in range(1, 30):
        sched.step()
        closed = 0.01 + 0.5 * (0.1 - 0.01) * (1 + math.cos(math.pi * t / 12))  # SGDR eq. 5
        assert sched.get_last_lr()[0] == pytest.approx(closed, rel=1e-12)


def test_registry_and_formulas() -> None:
    assert set(ls.SCHEDULERS.values()) == {ls.StepLR, ls.MultiStepLR, ls.ExponentialLR, ls.CosineAnnealingLR,
                                           ls.LinearLR, ls.OneCycleLR, ls.ReduceLROnPlateau, ls.LambdaLR,
                                           ls.SequentialLR}
    for name, cls in ls.SCHEDULERS.items():
        assert name == name.lower() and issubclass(cls, ls.LRScheduler)
        assert isinstance(cls.formula, gn.Formula) and cls.formula.name == cls.__name__ and cls.formula.latex


@pytest.mark.parametrize(("make", "match"), [
    (lambda o: ls.StepLR(o, step_size=0), "step_size must be a positive integer"),
    (lambda o: ls.CosineAnnealingLR(o, T_max=0), "T_max"),
    (lambda o: ls.LinearLR(o, start_factor=0.0), "start_factor"),
    (lambda o: ls.OneCycleLR(o, max_lr=1.0), "total_steps"),
    (lambda o: ls.OneCycleLR(o, max_lr=[1.0], total_steps=10), "max_lr has 1 values for 2"),
    (lambda o: ls.ReduceLROnPlateau(o, factor=1.0), "factor < 1"),
    (lambda o: ls.ReduceLROnPlateau(o, mode="lowest"), "mode"),
    (lambda o: ls.LambdaLR(o, [lambda t: 1.0]), "1 lr_lambdas for 2"),
    (lambda o: ls.SequentialLR(o, [ls.StepLR(o, 2)], milestones=[3]), "one more scheduler"),
    (lambda o: ls.SequentialLR(o, [ls.StepLR(o, 2), ls.ReduceLROnPlateau(o)], [3]), "ReduceLROnPlateau"),
    (lambda o: ls.ExponentialLR(o, gamma=0.5, last_epoch=3), "initial_lr"),
    (lambda o: ls.StepLR(torch.optim.SGD([torch.zeros(1, requires_grad=True)]), 2), "glassnet Optimizer"),
])  # fmt: skip
def test_invalid_arguments_raise_helpful_errors(make: Callable[[Any], Any], match: str) -> None:
    opt, _ = _optimizers()
    with pytest.raises(gn.GlassnetError, match=match):
        make(opt)


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_scheduled_training_follows_torch(name: str) -> None:
    """The optimizer reads the lr and momentum (or β₁) the schedule sets, at every step."""
    rng = np.random.default_rng(0)
    A, b, w0 = rng.standard_normal((8, 3)), rng.standard_normal(8), rng.standard_normal(3)
    w, v = nn.Parameter(w0.copy()), torch.tensor(w0, requires_grad=True)
    kwargs: dict[str, Any] = dict(momentum=0.9, nesterov=True) if name == "SGD" else {}
    ours, theirs = getattr(optim, name)([w], **kwargs), getattr(torch.optim, name)([v], **kwargs)
    mine = ls.OneCycleLR(ours, max_lr=0.05, total_steps=60, three_phase=True)
    ref = torch.optim.lr_scheduler.OneCycleLR(theirs, max_lr=0.05, total_steps=60, three_phase=True)
    for _ in range(60):
        ours.zero_grad()
        theirs.zero_grad()
        ((gn.tensor(A) @ w - gn.tensor(b)) ** 2).sum().backward()  # least squares ‖Aw − b‖²
        ((torch.from_numpy(A) @ v - torch.from_numpy(b)) ** 2).sum().backward()
        ours.step()
        theirs.step()
        mine.step()
        ref.step()
    np.testing.assert_allclose(w.array, v.detach().numpy(), rtol=1e-12)
    assert not np.allclose(w.array, w0)
