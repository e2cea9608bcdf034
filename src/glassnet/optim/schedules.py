"""The LRScheduler base class and the schedules that depend on the step count alone.

A scheduler sets ``group["lr"]`` of every parameter group of an optimizer. As in PyTorch, it
takes its first step when it is made (``last_epoch`` becomes 0), and ``step()`` is called once
per epoch (or batch) after ``optimizer.step()``. Schedules written recursively (each lr from
the previous one) follow PyTorch's arithmetic, so the numbers agree with ``torch.optim``.
"""

from __future__ import annotations

import copy
import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

from glassnet.errors import GlassnetError, check_number, check_whole
from glassnet.optim.optimizer import Optimizer
from glassnet.registry import Formula

__all__ = ["CosineAnnealingLR", "ExponentialLR", "LRScheduler", "LambdaLR", "LinearLR", "MultiStepLR",
           "StepLR"]


class LRScheduler:
    """Base class of the learning-rate schedules: subclasses write ``get_lr``.

    Args:
        optimizer: the optimizer whose ``param_groups[i]["lr"]`` this sets.
        last_epoch: the index of the last step taken; -1 (default) for a fresh schedule.

    Attributes:
        base_lrs: each group's ``"initial_lr"`` (its lr when the first scheduler was made).
        last_epoch: the number of ``step()`` calls so far (0 right after construction).
    """

    formula: ClassVar[Formula]
    _not_state: ClassVar[tuple[str, ...]] = ("optimizer",)

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        self.optimizer = _checked(optimizer, type(self).__name__)
        check_whole(type(self).__name__, "last_epoch", last_epoch, -1, example=-1)
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise GlassnetError(
                    f"{type(self).__name__}: param_groups[{i}] has no 'initial_lr' but last_epoch="
                    f"{last_epoch}; use last_epoch=-1 for a fresh schedule, or load the optimizer's "
                    "state_dict first when resuming"
                )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The learning rates for step ``last_epoch`` (called by ``step``; read ``get_last_lr``)."""
        raise NotImplementedError(f"{type(self).__name__} must define get_lr()")

    def _closed_form_lr(self) -> list[float]:
        """The learning rates at ``last_epoch`` from ``base_lrs`` alone (used by SequentialLR)."""
        return self.get_lr()

    def step(self) -> None:
        """Advance one step and set every group's lr."""
        self._step_count += 1
        self._update_lr()

    def _update_lr(self, epoch: int | None = None) -> None:
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            values = self._closed_form_lr()
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The learning rates set by the latest step, one per parameter group."""
        return list(self._last_lr)

    def _current(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """The schedule's counters and settings (plain Python values; no optimizer, no functions)."""
        return {k: copy.deepcopy(v) for k, v in vars(self).items() if k not in self._not_state}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore counters and settings saved by ``state_dict()``."""
        vars(self).update({k: copy.deepcopy(v) for k, v in state_dict.items() if k not in self._not_state})


def _checked(optimizer: Any, name: str) -> Optimizer:
    if not isinstance(optimizer, Optimizer):
        raise GlassnetError(f"{name} needs a glassnet Optimizer, got {type(optimizer).__name__}; "
                            "make the optimizer first, e.g. gn.optim.SGD(model.parameters())")
    return optimizer


class LambdaLR(LRScheduler):
    """ηₜ = η₀·lr_lambda(t) for a function lr_lambda of the step count (one per group, or shared).

    >>> import numpy as np, glassnet as gn
    >>> opt = gn.optim.SGD([gn.nn.Parameter(np.zeros(1))], lr=1.0)
    >>> sched = LambdaLR(opt, lambda t: 0.5 ** t)
    >>> sched.step(); sched.step(); sched.get_last_lr()
    [0.25]
    """

    formula: ClassVar[Formula] = Formula("LambdaLR", "ηₜ = η₀·lr_lambda(t)",
                                         r"\eta_t = \eta_0\,\mathrm{lr\_lambda}(t)")
    _not_state = ("optimizer", "lr_lambdas")

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
                 last_epoch: int = -1) -> None:
        n = len(_checked(optimizer, "LambdaLR").param_groups)
        lambdas = list(lr_lambda) if isinstance(lr_lambda, list | tuple) else [lr_lambda] * n
        if len(lambdas) != n:
            raise GlassnetError(f"LambdaLR got {len(lambdas)} lr_lambdas for {n} parameter groups; "
                                "pass one function, or one per group")
        self.lr_lambdas = lambdas
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * f(self.last_epoch) for f, base in zip(self.lr_lambdas, self.base_lrs, strict=True)]


class StepLR(LRScheduler):
    """Multiply the lr by γ every ``step_size`` steps: ηₜ = η₀·γ^⌊t / step_size⌋.

    >>> import numpy as np, glassnet as gn
    >>> opt = gn.optim.SGD([gn.nn.Parameter(np.zeros(1))], lr=1.0)
    >>> sched = StepLR(opt, step_size=2, gamma=0.5)
    >>> for _ in range(4):
    ...     sched.step()
    ...     print(sched.last_epoch, sched.get_last_lr())
    1 [1.0]
    2 [0.5]
    3 [0.5]
    4 [0.25]
    """

    formula: ClassVar[Formula] = Formula("StepLR", "ηₜ = η₀·γ^⌊t / step_size⌋",
                                         r"\eta_t = \eta_0\, "
                                         r"\gamma^{\lfloor t / \mathrm{step\_size} \rfloor}")

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        if not isinstance(step_size, int) or step_size < 1:
            raise GlassnetError(f"StepLR: step_size must be a positive integer, got {step_size!r}")
        self.step_size, self.gamma = step_size, _gamma("StepLR", gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current()
        return [lr * self.gamma for lr in self._current()]

    def _closed_form_lr(self) -> list[float]:
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the lr by γ at each milestone: ηₜ = η₀·γ^(number of milestones ≤ t).

    >>> import numpy as np, glassnet as gn
    >>> opt = gn.optim.SGD([gn.nn.Parameter(np.zeros(1))], lr=1.0)
    >>> sched = MultiStepLR(opt, milestones=[1, 3], gamma=0.1)
    >>> for _ in range(3):
    ...     sched.step()
    ...     print(sched.last_epoch, [round(lr, 6) for lr in sched.get_last_lr()])
    1 [0.1]
    2 [0.1]
    3 [0.01]
    """

    formula: ClassVar[Formula] = Formula("MultiStepLR", "ηₜ = η₀·γ^|{i : Mᵢ ≤ t}|  (M = milestones)",
                                         r"\eta_t = \eta_0\, \gamma^{|\{i : M_i \le t\}|}")

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        milestones = [check_whole(type(self).__name__, "milestones", m, 0, example=30) for m in milestones]
        self.milestones: dict[int, int] = dict(Counter(milestones))  # a repeated milestone decays twice
        self.gamma = _gamma(type(self).__name__, gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch not in self.milestones:
            return self._current()
        return [lr * self.gamma ** self.milestones[self.last_epoch] for lr in self._current()]

    def _closed_form_lr(self) -> list[float]:
        passed = bisect_right(sorted(Counter(self.milestones).elements()), self.last_epoch)
        return [base * self.gamma**passed for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Multiply the lr by γ every step: ηₜ = η₀·γᵗ.

    >>> import numpy as np, glassnet as gn
    >>> opt = gn.optim.SGD([gn.nn.Parameter(np.zeros(1))], lr=1.0)
    >>> sched = ExponentialLR(opt, gamma=0.5)
    >>> sched.step(); sched.step(); sched.get_last_lr()
    [0.25]
    """

    formula: ClassVar[Formula] = Formula("ExponentialLR", "ηₜ = η₀·γᵗ", r"\eta_t = \eta_0\, \gamma^t")

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = _gamma(type(self).__name__, gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return self._current() if self._is_initial else [lr * self.gamma for lr in self._current()]

    def _closed_form_lr(self) -> list[float]:
        return [base * self.gamma**self.last_epoch for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from base_lr down to eta_min over T_max steps (SGDR without restarts).

    ηₜ = η_min + ½(η₀ − η_min)(1 + cos(πt / T_max)) (Loshchilov & Hutter 2017, eq. 5),
    computed as PyTorch does, recursively from the previous lr:
    ηₜ = η_min + (ηₜ₋₁ − η_min)·(1 + cos(πt/T_max)) / (1 + cos(π(t − 1)/T_max)).
    After T_max steps the lr rises again along the same cosine.

    >>> import numpy as np, glassnet as gn
    >>> opt = gn.optim.SGD([gn.nn.Parameter(np.zeros(1))], lr=1.0)
    >>> sched = CosineAnnealingLR(opt, T_max=2)
    >>> sched.step(); round(sched.get_last_lr()[0], 12)     # ½(1 + cos(π/2))
    0.5
    """

    formula: ClassVar[Formula] = Formula(
        "CosineAnnealingLR", "ηₜ = η_min + ½·(η₀ − η_min)·(1 + cos(π·t / T_max))",
        r"\eta_t = \eta_{\min} + \tfrac12 (\eta_0 - \eta_{\min})\left(1 + \cos\frac{\pi t}{T_{\max}}\right)")

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:
        if not isinstance(T_max, int) or T_max < 1:
            raise GlassnetError(f"CosineAnnealingLR: T_max must be a positive integer, got {T_max!r}")
        self.T_max = T_max
        self.eta_min = check_number("CosineAnnealingLR", "eta_min", eta_min, 0.0, example=0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current()
        if self._step_count == 1 and t > 0:
            return [eta_min + (base - eta_min) * (1 + math.cos(t * math.pi / T)) / 2
                    for base in self.base_lrs]
        if (t - 1 - T) % (2 * T) == 0:  # at the bottom: the ratio below would be 0/0
            return [lr + (base - eta_min) * (1 - math.cos(math.pi / T)) / 2
                    for base, lr in zip(self.base_lrs, self._current(), strict=True)]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [ratio * (lr - eta_min) + eta_min for lr in self._current()]

    def _closed_form_lr(self) -> list[float]:
        cos = 1 + math.cos(math.pi * self.last_epoch / self.T_max)
        return [self.eta_min + (base - self.eta_min) * cos / 2 for base in self.base_lrs]


class LinearLR(LRScheduler):
    """Scale the lr by a factor going linearly from start_factor to end_factor in total_iters steps.

    ηₜ = η₀·(start_factor + (end_factor − start_factor)·min(t, T)/T) with T = total_iters, computed
    recursively as in PyTorch.

    >>> import numpy as np, glassnet as gn
    >>> opt = gn.optim.SGD([gn.nn.Parameter(np.zeros(1))], lr=1.0)
    >>> sched = LinearLR(opt, start_factor=0.5, total_iters=2)
    >>> sched.get_last_lr()                 # t = 0: base_lr · start_factor
    [0.5]
    >>> sched.step(); sched.get_last_lr()   # t = 1: halfway from 0.5 to 1
    [0.75]
    """

    formula: ClassVar[Formula] = Formula(
        "LinearLR", "ηₜ = η₀·(start_factor + (end_factor − start_factor)·min(t, T)/T)  (T = total_iters)",
        r"\eta_t = \eta_0 \left(\mathrm{start\_factor} + (\mathrm{end\_factor} - \mathrm{start\_factor})"
        r"\frac{\min(t, T)}{T}\right)\ (T = \mathrm{total\_iters})")

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5, last_epoch: int = -1) -> None:
        check_number("LinearLR", "start_factor", start_factor, 0.0, 1.0, open_low=True, open_high=False,
                     example=0.5)
        check_number("LinearLR", "end_factor", end_factor, 0.0, 1.0, open_high=False, example=1.0)
        check_whole("LinearLR", "total_iters", total_iters, 1, example=5)
        if not 0 < start_factor <= 1 or not 0 <= end_factor <= 1:
            raise GlassnetError(f"LinearLR: need 0 < start_factor <= 1 and 0 <= end_factor <= 1, got "
                                f"start_factor={start_factor}, end_factor={end_factor}")
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        s, e, t = self.start_factor, self.end_factor, self.last_epoch
        if t == 0:
            return [lr * s for lr in self._current()]
        if self._is_initial or t > self.total_iters:
            return self._current()
        ratio = 1.0 + (e - s) / (self.total_iters * s + (t - 1) * (e - s))
        return [lr * ratio for lr in self._current()]

    def _closed_form_lr(self) -> list[float]:
        s, e = self.start_factor, self.end_factor
        factor = s + (e - s) * min(self.total_iters, self.last_epoch) / self.total_iters
        return [base * factor for base in self.base_lrs]


def _gamma(name: str, gamma: Any) -> float:
    """The decay factor γ, a finite number > 0 (γ <= 0 would make the learning rate 0 or negative)."""
    number = isinstance(gamma, int | float) and not isinstance(gamma, bool)
    if not number or not math.isfinite(gamma) or gamma <= 0:
        raise GlassnetError(f"{name} got gamma={gamma!r}; expected a finite number > 0 (below 1 to decay), "
                            "e.g. gamma=0.1")
    return gamma
