"""Learning-rate schedules with PyTorch's names, arguments and numbers (``torch.optim.lr_scheduler``).

This module holds the schedules that look at more than the step count (OneCycleLR also sets
the momentum, ReduceLROnPlateau watches a metric, SequentialLR switches between schedules),
re-exports the others from ``schedules.py``, and maps lowercase names to classes in
``SCHEDULERS``.

>>> import numpy as np, glassnet as gn
>>> opt = gn.optim.SGD([gn.nn.Parameter(np.zeros(1))], lr=0.1)
>>> sched = SCHEDULERS["step"](opt, step_size=10)
>>> for epoch in range(20):
...     opt.step()       # after training one epoch
...     sched.step()
>>> [round(lr, 6) for lr in sched.get_last_lr()]
[0.001]
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping
from typing import Any, ClassVar, Literal, SupportsFloat

from glassnet.errors import GlassnetError, check_number, check_whole
from glassnet.optim.optimizer import Optimizer
from glassnet.optim.schedules import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    LRScheduler,
    MultiStepLR,
    StepLR,
    _checked,
)
from glassnet.registry import Formula, Registry

__all__ = [
    "SCHEDULERS", "CosineAnnealingLR", "ExponentialLR", "LRScheduler", "LambdaLR", "LinearLR",
    "MultiStepLR", "OneCycleLR", "ReduceLROnPlateau", "SequentialLR", "StepLR",
]  # fmt: skip


def _per_group(name: str, value: float | list[float], optimizer: Optimizer) -> list[float]:
    n = len(optimizer.param_groups)
    values = list(value) if isinstance(value, list | tuple) else [value] * n
    if len(values) != n:
        raise GlassnetError(f"{name} has {len(values)} values for {n} parameter groups; "
                            "pass one number, or one per group")
    return values


class OneCycleLR(LRScheduler):
    """The 1cycle policy: lr warms up to max_lr, then anneals far below its start (Smith 2018).

    Phases (two, or three with ``three_phase``) run from ``initial_lr = max_lr/div_factor`` up to
    max_lr over the first pct_start of ``total_steps``, then down to
    ``min_lr = initial_lr/final_div_factor``. At step t of a phase of T steps, from η_start to η_end,
    cos: η = η_end + ½(η_start − η_end)(1 + cos(π·t/T));  linear: η = η_start + (η_end − η_start)·t/T.
    With ``cycle_momentum`` the momentum (or Adam's β₁) moves the opposite way, between
    max_momentum and base_momentum.

    >>> import numpy as np, glassnet as gn
    >>> opt = gn.optim.SGD([gn.nn.Parameter(np.zeros(1))], lr=0.1, momentum=0.9)
    >>> sched = OneCycleLR(opt, max_lr=1.0, total_steps=10)
    >>> round(sched.get_last_lr()[0], 12), opt.param_groups[0]["momentum"]  # 1.0/25, max_momentum
    (0.04, 0.95)
    """

    formula: ClassVar[Formula] = Formula(
        "OneCycleLR",
        "η = η_end + ½·(η_start − η_end)·(1 + cos(π·t/T))  at step t of each phase, T steps long",
        r"\eta = \eta_{\mathrm{end}} + \tfrac12(\eta_{\mathrm{start}} - \eta_{\mathrm{end}})"
        r"\left(1 + \cos\frac{\pi t}{T}\right)")

    def __init__(self, optimizer: Optimizer, max_lr: float | list[float], total_steps: int | None = None,
                 epochs: int | None = None, steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: Literal["cos", "linear"] = "cos", cycle_momentum: bool = True,
                 base_momentum: float | list[float] = 0.85, max_momentum: float | list[float] = 0.95,
                 div_factor: float = 25.0, final_div_factor: float = 1e4, three_phase: bool = False,
                 last_epoch: int = -1) -> None:
        optimizer = _checked(optimizer, "OneCycleLR")
        counts = (("total_steps", total_steps), ("epochs", epochs), ("steps_per_epoch", steps_per_epoch))
        for name, count in counts:
            if count is not None:
                check_whole("OneCycleLR", name, count, 1, example=100)
        check_number("OneCycleLR", "pct_start", pct_start, 0.0, 1.0, open_high=False, example=0.3)
        for name, factor in (("div_factor", div_factor), ("final_div_factor", final_div_factor)):
            check_number("OneCycleLR", name, factor, 0.0, open_low=True, example=25.0)
        rates = (("max_lr", max_lr), ("base_momentum", base_momentum), ("max_momentum", max_momentum))
        for name, values in rates:
            for rate in _per_group(name, values, optimizer):
                check_number("OneCycleLR", name, rate, 0.0, example=0.1 if name == "max_lr" else 0.9)
        if total_steps is None and epochs is not None and steps_per_epoch is not None:
            total_steps = epochs * steps_per_epoch
        if not isinstance(total_steps, int) or total_steps <= 0:
            raise GlassnetError(f"OneCycleLR needs a positive integer total_steps (or epochs and "
                                f"steps_per_epoch), got total_steps={total_steps}, epochs={epochs}, "
                                f"steps_per_epoch={steps_per_epoch}")
        if not 0 <= pct_start <= 1 or anneal_strategy not in ("cos", "linear"):
            raise GlassnetError(f"OneCycleLR: need 0 <= pct_start <= 1 and anneal_strategy 'cos' or "
                                f"'linear', got pct_start={pct_start}, anneal_strategy={anneal_strategy!r}")
        self.total_steps, self.anneal_strategy = total_steps, anneal_strategy
        up = float(pct_start * total_steps) - 1
        phases: list[tuple[float, str, str, str, str]] = [
            (up, "initial_lr", "max_lr", "max_momentum", "base_momentum")]
        if three_phase:
            down = float(2 * pct_start * total_steps) - 2
            phases += [(down, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                       (total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
        else:
            phases += [(total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]
        keys = ("end_step", "start_lr", "end_lr", "start_momentum", "end_momentum")
        self._schedule_phases: list[dict[str, Any]] = [dict(zip(keys, p, strict=True)) for p in phases]
        groups = optimizer.param_groups
        if last_epoch == -1:
            for group, top in zip(groups, _per_group("max_lr", max_lr, optimizer), strict=True):
                group["initial_lr"], group["max_lr"] = top / div_factor, top
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise GlassnetError(f"OneCycleLR(cycle_momentum=True) needs an optimizer with momentum or "
                                    f"betas, got {type(optimizer).__name__}; pass cycle_momentum=False")
            self.use_beta1 = "betas" in optimizer.defaults
            tops = _per_group("max_momentum", max_momentum, optimizer)
            bases = _per_group("base_momentum", base_momentum, optimizer)
            if last_epoch == -1:
                for group, top, base in zip(groups, tops, bases, strict=True):
                    self._set_momentum(group, top)
                    group["max_momentum"], group["base_momentum"] = top, base
        super().__init__(optimizer, last_epoch)

    def _set_momentum(self, group: dict[str, Any], value: float) -> None:
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list[float]:
        t = self.last_epoch
        if t > self.total_steps:
            raise GlassnetError(f"OneCycleLR stepped {t} times but total_steps={self.total_steps}; "
                                "make total_steps (or epochs·steps_per_epoch) cover the whole run")
        lrs = []
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, phase in enumerate(self._schedule_phases):
                end = phase["end_step"]
                if t <= end or i == len(self._schedule_phases) - 1:
                    pct = (t - start) / (end - start)
                    lrs.append(self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct))
                    if self.cycle_momentum:
                        self._set_momentum(group, self._anneal(group[phase["start_momentum"]],
                                                               group[phase["end_momentum"]], pct))
                    break
                start = end
        return lrs


class ReduceLROnPlateau(LRScheduler):
    """Multiply the lr by ``factor`` once a metric has not improved for ``patience`` steps.

    Improvement (mode "min", threshold_mode "rel"): metric < best·(1 − threshold); "abs":
    metric < best − threshold ("max" mirrors both). After a reduction, ``cooldown`` steps pass
    before bad steps count again; the lr never goes below ``min_lr`` and changes smaller than
    ``eps`` are skipped. Call ``step(metric)`` once per epoch.

    >>> import numpy as np, glassnet as gn
    >>> opt = gn.optim.SGD([gn.nn.Parameter(np.zeros(1))], lr=1.0)
    >>> sched = ReduceLROnPlateau(opt, patience=1, factor=0.5)
    >>> for loss in [1.0, 1.0, 1.0]:     # best 1.0, then two steps without improvement
    ...     sched.step(loss)
    >>> sched.get_last_lr()
    [0.5]
    """

    formula: ClassVar[Formula] = Formula(
        "ReduceLROnPlateau",
        "η ← max(η·factor, η_min) after more than `patience` steps without improvement  (η_min = min_lr)",
        r"\eta \leftarrow \max(\eta \cdot \mathrm{factor},\ \eta_{\min})")

    def __init__(self, optimizer: Optimizer, mode: Literal["min", "max"] = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: Literal["rel", "abs"] = "rel",
                 cooldown: int = 0, min_lr: float | list[float] = 0.0, eps: float = 1e-8) -> None:
        self.optimizer = _checked(optimizer, "ReduceLROnPlateau")
        check_number("ReduceLROnPlateau", "factor", factor, example=0.1)  # below 1: checked with mode
        check_whole("ReduceLROnPlateau", "patience", patience, 0, example=10)
        check_whole("ReduceLROnPlateau", "cooldown", cooldown, 0, example=0)
        check_number("ReduceLROnPlateau", "threshold", threshold, example=1e-4)
        check_number("ReduceLROnPlateau", "eps", eps, 0.0, example=1e-8)
        for value in _per_group("min_lr", min_lr, optimizer):
            check_number("ReduceLROnPlateau", "min_lr", value, 0.0, example=0.0)
        if factor >= 1.0 or mode not in ("min", "max") or threshold_mode not in ("rel", "abs"):
            raise GlassnetError(f"ReduceLROnPlateau: need factor < 1, mode 'min' or 'max', threshold_mode "
                                f"'rel' or 'abs'; got factor={factor}, mode={mode!r}, "
                                f"threshold_mode={threshold_mode!r}")
        self.factor, self.patience, self.cooldown, self.eps = factor, patience, cooldown, eps
        self.mode, self.threshold, self.threshold_mode = mode, threshold, threshold_mode
        self.min_lrs = _per_group("min_lr", min_lr, optimizer)
        self.default_min_lr = None if isinstance(min_lr, list | tuple) else min_lr
        self.last_epoch = 0
        self._last_lr = self._current()
        self.best = math.inf if mode == "min" else -math.inf
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def _is_better(self, a: float, best: float) -> bool:
        sign = 1.0 if self.mode == "min" else -1.0  # "max" is "min" of −metric
        if self.threshold_mode == "rel":
            return sign * a < sign * best * (1.0 - sign * self.threshold)
        return sign * a < sign * best - self.threshold

    def step(self, metrics: SupportsFloat) -> None:  # type: ignore[override]  # as torch: takes a metric
        """Record this epoch's metric and reduce the lr if it has stopped improving."""
        current = float(metrics)
        self.last_epoch += 1
        if self._is_better(current, self.best):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in cooldown do not count
        if self.num_bad_epochs > self.patience:
            if self.default_min_lr is not None:  # groups may have been added since
                self.min_lrs = [self.default_min_lr] * len(self.optimizer.param_groups)
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs, strict=True):
                new_lr = max(float(group["lr"]) * self.factor, min_lr)
                if float(group["lr"]) - new_lr > self.eps:
                    group["lr"] = new_lr
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = self._current()


class SequentialLR(LRScheduler):
    """Run ``schedulers[i]`` from ``milestones[i-1]`` to ``milestones[i]``, each restarted at its milestone.

    >>> import numpy as np, glassnet as gn
    >>> opt = gn.optim.SGD([gn.nn.Parameter(np.zeros(1))], lr=1.0)
    >>> warmup = LinearLR(opt, start_factor=0.5, total_iters=2)
    >>> decay = ExponentialLR(opt, gamma=0.5)
    >>> sched = SequentialLR(opt, [warmup, decay], milestones=[2])
    >>> for _ in range(3):
    ...     sched.step()
    ...     print(sched.get_last_lr())
    [0.75]
    [1.0]
    [0.5]
    """

    formula: ClassVar[Formula] = Formula(
        "SequentialLR", "ηₜ = schedulers[i](t − Mᵢ₋₁)  for Mᵢ₋₁ ≤ t < Mᵢ  (M = milestones)",
        r"\eta_t = \mathrm{schedulers}_i(t - M_{i-1}),\quad M_{i-1} \le t < M_i")
    _not_state = ("optimizer", "_schedulers")

    def __init__(self, optimizer: Optimizer, schedulers: list[LRScheduler], milestones: list[int],
                 last_epoch: int = -1) -> None:
        self.optimizer = _checked(optimizer, "SequentialLR")
        check_whole("SequentialLR", "last_epoch", last_epoch, -1, example=-1)
        milestones = [check_whole("SequentialLR", "milestones", m, 0, example=5) for m in milestones]
        if not schedulers or len(milestones) != len(schedulers) - 1:
            raise GlassnetError(f"SequentialLR needs one more scheduler than milestones, got "
                                f"{len(schedulers)} schedulers and {len(milestones)} milestones")
        for i, s in enumerate(schedulers):
            if isinstance(s, ReduceLROnPlateau) or s.optimizer is not optimizer:
                raise GlassnetError(f"SequentialLR: schedulers[{i}] ({type(s).__name__}) must be a "
                                    "step-count schedule of the same optimizer (not ReduceLROnPlateau)")
        self._schedulers, self._milestones = schedulers, list(milestones)
        self.last_epoch = last_epoch + 1
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        _undo_initial_steps(self)
        first = self._schedulers[bisect_right(self._milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def step(self) -> None:
        self.last_epoch += 1
        i = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[i]
        if i > 0 and self._milestones[i - 1] == self.last_epoch:
            scheduler._update_lr(0)  # restart this schedule at its step 0
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "_schedulers": [s.state_dict() for s in self._schedulers]}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        super().load_state_dict(state_dict)
        for s, saved in zip(self._schedulers, state_dict["_schedulers"], strict=True):
            s.load_state_dict(saved)


def _undo_initial_steps(scheduler: LRScheduler) -> None:
    """Take back the step each scheduler took when it was made (SequentialLR replays it)."""
    for s in scheduler._schedulers if isinstance(scheduler, SequentialLR) else []:
        if isinstance(s, SequentialLR):
            _undo_initial_steps(s)
        else:
            s.last_epoch -= 1


SCHEDULERS: Registry[type[LRScheduler]] = Registry("schedule")
"""Every learning-rate schedule by name."""
for _name, _cls in (("step", StepLR), ("multi_step", MultiStepLR), ("exponential", ExponentialLR),
                    ("cosine", CosineAnnealingLR), ("linear", LinearLR), ("one_cycle", OneCycleLR),
                    ("reduce_on_plateau", ReduceLROnPlateau), ("lambda", LambdaLR),
                    ("sequential", SequentialLR)):
    SCHEDULERS.register(_name, _cls)
SCHEDULERS.seal()
