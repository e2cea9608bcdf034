"""Loss functions: PyTorch's names, called ``loss(prediction, target)``, each with its formula.

The functional forms (``mse_loss``, ``cross_entropy``, ...) live in ``_loss_functional`` and are
re-exported here; the classes are thin containers for their arguments. Each loss is registered
once, in ``LOSSES``, with its functional form and what the rest of glassnet must know about it
(the facts below); the command line, fit, explain, the estimators and the reference page read
them from there.

>>> import glassnet as gn
>>> loss = gn.nn.CrossEntropyLoss()(gn.tensor([[1.0, 2.0, 0.5]], requires_grad=True), [1])
>>> round(loss.item(), 4)
0.4644
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from glassnet.engine.loss_ops import REDUCTIONS
from glassnet.engine.op import raw
from glassnet.engine.tensor import ArrayLike, Tensor
from glassnet.errors import check_number, check_whole
from glassnet.nn._loss_checks import check_reduction
from glassnet.nn._loss_functional import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    gaussian_nll_loss,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    poisson_nll_loss,
    smooth_l1_loss,
)
from glassnet.nn.module import Module
from glassnet.registry import Formula, Registry

LOSSES: Registry[type[Module]] = Registry("loss", facts=(
    "function", "task", "targets", "proba", "labels", "head", "mean_over"))
"""Every loss by name, with its facts:

- ``function``: the functional form (``mse_loss`` ...);
- ``task``: ``"classification"`` or ``"regression"`` for the losses the command line and the
  estimators offer for a task (None for the others);
- ``targets``: ``"indices"`` (class indices, one output per class), ``"binary"`` (0/1 columns, one
  output per column) or, by default, values of the output's shape;
- ``proba`` and ``labels``: how a classifier's outputs give probabilities (``softmax``, ``exp``,
  ``sigmoid``, ``identity``) and labels (``argmax``, ``positive``: z > 0, ``half``: p > 0.5);
- ``head``: the output activation the loss expects after the last layer, if any;
- ``mean_over``: what 'mean' divides by: ``"targets"`` (Σ w_y over kept class targets) or, by
  default, every element.
"""

__all__ = [
    "LOSSES",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "GaussianNLLLoss",
    "HuberLoss",
    "KLDivLoss",
    "L1Loss",
    "Loss",
    "MSELoss",
    "NLLLoss",
    "PoissonNLLLoss",
    "SmoothL1Loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "gaussian_nll_loss",
    "huber_loss",
    "kl_div",
    "l1_loss",
    "mse_loss",
    "nll_loss",
    "poisson_nll_loss",
    "smooth_l1_loss",
]  # fmt: skip  # fmt: skip


def _show(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return np.array2string(value, separator=", ", threshold=8)
    return repr(value)


def _weights(weight: ArrayLike | None) -> np.ndarray | None:
    return None if weight is None else np.array(raw(weight), dtype=np.float64)


class Loss(Module):
    """Base of the loss modules: the reduction and a repr of the constructor's arguments."""

    formula: ClassVar[Formula]
    reductions: ClassVar[tuple[str, ...]] = REDUCTIONS

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = check_reduction(type(self).__name__, reduction, self.reductions)

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={_show(v)}" for k, v in vars(self).items() if k != "training")


class MSELoss(Loss):
    """Mean squared error ℓ = (ŷ − y)²; see :func:`mse_loss`.

    >>> MSELoss()(Tensor([1.0, 3.0]), [0.0, 1.0]).item()
    2.5
    """

    formula: ClassVar[Formula] = Formula(
        "MSELoss", "ℓ = (ŷ − y)²", r"\ell = (\hat y - y)^2",
        "∂ℓ/∂ŷ = 2(ŷ − y)", r"\frac{\partial \ell}{\partial \hat y} = 2(\hat y - y)",
        plug="({yhat} − {y})²",
        derivative_plug="2·({yhat} − {y})")

    def forward(self, input: Tensor, target: ArrayLike) -> Tensor:
        return mse_loss(input, target, reduction=self.reduction)


class L1Loss(Loss):
    """Mean absolute error ℓ = |ŷ − y|; see :func:`l1_loss`.

    >>> L1Loss(reduction="sum")(Tensor([1.0, 3.0]), [0.0, 1.0]).item()
    3.0
    """

    formula: ClassVar[Formula] = Formula(
        "L1Loss", "ℓ = |ŷ − y|", r"\ell = |\hat y - y|",
        "∂ℓ/∂ŷ = sign(ŷ − y)", r"\frac{\partial \ell}{\partial \hat y} = \operatorname{sign}(\hat y - y)",
        plug="|{yhat} − {y}|",
        derivative_plug="sign({yhat} − {y})")

    def forward(self, input: Tensor, target: ArrayLike) -> Tensor:
        return l1_loss(input, target, reduction=self.reduction)


class HuberLoss(Loss):
    """Huber loss, quadratic within κ = ``delta`` of the target and linear beyond; see :func:`huber_loss`.

    >>> HuberLoss(delta=1.0)(Tensor([0.5, 3.0]), [0.0, 0.0]).item()
    1.3125
    """

    formula: ClassVar[Formula] = Formula(
        "HuberLoss", "ℓ = ½(ŷ − y)² if |ŷ − y| < κ, else κ·(|ŷ − y| − ½κ)  (κ = delta)",
        r"\ell = \begin{cases} \tfrac12 (\hat y - y)^2 & |\hat y - y| < \kappa \\ "
        r"\kappa (|\hat y - y| - \tfrac12 \kappa) & \text{otherwise} \end{cases}",
        "∂ℓ/∂ŷ = ŷ − y if |ŷ − y| < κ, else κ·sign(ŷ − y)",
        r"\frac{\partial \ell}{\partial \hat y} = \begin{cases} \hat y - y & |\hat y - y| < \kappa \\ "
        r"\kappa \operatorname{sign}(\hat y - y) & \text{otherwise} \end{cases}",
        plug="0.5·min(|{yhat} − {y}|, {delta})² + {delta}·max(|{yhat} − {y}| − {delta}, 0)",
        derivative_plug="max(min({yhat} − {y}, {delta}), −{delta})")

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        self.delta = check_number("HuberLoss", "delta", delta, 0.0, open_low=True)  # as torch: delta > 0

    def forward(self, input: Tensor, target: ArrayLike) -> Tensor:
        return huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class SmoothL1Loss(Loss):
    """Smooth L1 loss, Huber divided by κ = ``beta``; see :func:`smooth_l1_loss`.

    >>> SmoothL1Loss(beta=1.0)(Tensor([0.5, 3.0]), [0.0, 0.0]).item()
    1.3125
    """

    formula: ClassVar[Formula] = Formula(
        "SmoothL1Loss", "ℓ = ½(ŷ − y)²/κ if |ŷ − y| < κ, else |ŷ − y| − ½κ  (κ = beta)",
        r"\ell = \begin{cases} \tfrac12 (\hat y - y)^2 / \kappa & |\hat y - y| < \kappa \\ "
        r"|\hat y - y| - \tfrac12 \kappa & \text{otherwise} \end{cases}",
        "∂ℓ/∂ŷ = (ŷ − y)/κ if |ŷ − y| < κ, else sign(ŷ − y)",
        r"\frac{\partial \ell}{\partial \hat y} = \begin{cases} (\hat y - y)/\kappa "
        r"& |\hat y - y| < \kappa \\ "
        r"\operatorname{sign}(\hat y - y) & \text{otherwise} \end{cases}",
        plug="(0.5·min(|{yhat} − {y}|, {beta})² + {beta}·max(|{yhat} − {y}| − {beta}, 0)) / {beta}",
        derivative_plug="max(min(({yhat} − {y}) / {beta}, 1), −1)")

    def __init__(self, *, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction)
        self.beta = check_number("SmoothL1Loss", "beta", beta, 0.0)  # as torch: beta >= 0

    def forward(self, input: Tensor, target: ArrayLike) -> Tensor:
        return smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class BCELoss(Loss):
    """Binary cross-entropy of probabilities; see :func:`binary_cross_entropy`.

    >>> round(BCELoss()(Tensor([0.5]), [1.0]).item(), 4)
    0.6931
    """

    formula: ClassVar[Formula] = Formula(
        "BCELoss", "ℓ = −w·[y·log ŷ + (1 − y)·log(1 − ŷ)]  (logs clamped at −100)",
        r"\ell = -w \left[ y \log \hat y + (1 - y) \log (1 - \hat y) \right]",
        "∂ℓ/∂ŷ = w·(ŷ − y) / (ŷ·(1 − ŷ))",
        r"\frac{\partial \ell}{\partial \hat y} = \frac{w (\hat y - y)}{\hat y (1 - \hat y)}",
        plug="−({y}·log({yhat}) + (1 − {y})·log(1 − {yhat}))",
        derivative_plug="({yhat} − {y}) / ({yhat}·(1 − {yhat}))")

    def __init__(self, weight: ArrayLike | None = None, *, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.weight = _weights(weight)

    def forward(self, input: Tensor, target: ArrayLike) -> Tensor:
        return binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(Loss):
    """Binary cross-entropy of logits, in the stable form; see :func:`binary_cross_entropy_with_logits`.

    >>> round(BCEWithLogitsLoss()(Tensor([0.0]), [1.0]).item(), 4)
    0.6931
    """

    formula: ClassVar[Formula] = Formula(
        "BCEWithLogitsLoss", "ℓ = −w·[w₊·y·log σ(ŷ) + (1 − y)·log(1 − σ(ŷ))]  (ŷ: logits)",
        r"\ell = -w \left[ w_+ y \log \sigma(\hat y) + (1 - y) \log (1 - \sigma(\hat y)) \right]",
        "∂ℓ/∂ŷ = w·[(1 + (w₊ − 1)·y)·σ(ŷ) − w₊·y]  (= σ(ŷ) − y for w = w₊ = 1)",
        r"\frac{\partial \ell}{\partial \hat y} = w \left[ (1 + (w_+ - 1) y) \sigma(\hat y) - w_+ y \right]"
        r"\quad (= \sigma(\hat y) - y \text{ for } w = w_+ = 1)",
        plug="log(1 + exp({yhat})) − {y}·{yhat}",
        derivative_plug="1 / (1 + exp(−{yhat})) − {y}")

    def __init__(self, weight: ArrayLike | None = None, *, reduction: str = "mean",
                 pos_weight: ArrayLike | None = None) -> None:
        super().__init__(reduction)
        self.weight, self.pos_weight = _weights(weight), _weights(pos_weight)

    def forward(self, input: Tensor, target: ArrayLike) -> Tensor:
        return binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                pos_weight=self.pos_weight)


class CrossEntropyLoss(Loss):
    """Softmax cross-entropy of logits against class indices or probabilities; see :func:`cross_entropy`.

    >>> round(CrossEntropyLoss(label_smoothing=0.1)(Tensor([[2.0, 0.0]]), np.array([0])).item(), 4)
    0.2269
    """

    formula: ClassVar[Formula] = Formula(
        "CrossEntropyLoss",
        "ℓ = −Σ_c w_c·ỹ_c·log p_c,  p = softmax(ŷ),  ỹ = (1 − q)·onehot(y) + q/C  (ŷ: logits)",
        r"\ell = -\sum_c w_c \tilde y_c \log p_c, \quad p = \operatorname{softmax}(\hat y), \quad "
        r"\tilde y = (1 - q)\, \mathrm{onehot}(y) + q / C",
        "∂ℓ/∂ŷ = p·Σ_c w_c·ỹ_c − w ⊙ ỹ  (= p − onehot(y) for w = 1, q = 0)",
        r"\frac{\partial \ell}{\partial \hat y} = p \sum_c w_c \tilde y_c - w \odot \tilde y"
        r"\quad (= p - \mathrm{onehot}(y) \text{ for } w = 1,\ q = 0)")

    def __init__(self, weight: ArrayLike | None = None, *, ignore_index: int = -100,
                 reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(reduction)
        label_smoothing = check_number("CrossEntropyLoss", "label_smoothing", label_smoothing, 0.0, 1.0,
                                       open_high=False, example=0.1)  # as torch: in [0, 1]
        ignore_index = check_whole("CrossEntropyLoss", "ignore_index", ignore_index, low=None, example=-100)
        self.weight, self.ignore_index, self.label_smoothing = _weights(weight), ignore_index, label_smoothing

    def forward(self, input: Tensor, target: ArrayLike) -> Tensor:
        return cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                             reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(Loss):
    """Negative log-likelihood of log-probabilities; see :func:`nll_loss`.

    >>> NLLLoss()(Tensor([[-1.0, -2.0]]), np.array([1])).item()
    2.0
    """

    formula: ClassVar[Formula] = Formula(
        "NLLLoss", "ℓ = −w_y·ŷ_y  (ŷ: log-probabilities)", r"\ell = -w_y\, \hat y_y",
        "∂ℓ/∂ŷ_c = −w_y·𝟙[c = y]", r"\frac{\partial \ell}{\partial \hat y_c} = -w_y \mathbf{1}[c = y]")

    def __init__(self, weight: ArrayLike | None = None, *, ignore_index: int = -100,
                 reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.weight = _weights(weight)
        self.ignore_index = check_whole("NLLLoss", "ignore_index", ignore_index, low=None, example=-100)

    def forward(self, input: Tensor, target: ArrayLike) -> Tensor:
        return nll_loss(input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class KLDivLoss(Loss):
    """Kullback-Leibler divergence of log-probabilities ŷ from the target y; see :func:`kl_div`.

    >>> KLDivLoss(reduction="batchmean")(Tensor(np.log([[0.5, 0.5]])), [[0.5, 0.5]]).item()
    0.0
    """

    formula: ClassVar[Formula] = Formula(
        "KLDivLoss", "ℓ = y·(log y − ŷ)  (ŷ: log-probabilities; log_target: ℓ = exp(y)·(y − ŷ))",
        r"\ell = y (\log y - \hat y) \quad (\text{log\_target: } \ell = \exp(y) (y - \hat y))",
        "∂ℓ/∂ŷ = −y  (log_target: −exp(y))",
        r"\frac{\partial \ell}{\partial \hat y} = -y \quad (\text{log\_target: } -\exp(y))")
    reductions: ClassVar[tuple[str, ...]] = (*REDUCTIONS, "batchmean")

    def __init__(self, *, reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__(reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: ArrayLike) -> Tensor:
        return kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class PoissonNLLLoss(Loss):
    """Poisson negative log-likelihood of counts; see :func:`poisson_nll_loss`.

    >>> PoissonNLLLoss()(Tensor([0.0]), [1.0]).item()
    1.0
    """

    formula: ClassVar[Formula] = Formula(
        "PoissonNLLLoss", "ℓ = exp(ŷ) − y·ŷ  (ŷ: the log of the rate, log_input=True)",
        r"\ell = \exp(\hat y) - y\, \hat y",
        "∂ℓ/∂ŷ = exp(ŷ) − y", r"\frac{\partial \ell}{\partial \hat y} = \exp(\hat y) - y")

    def __init__(self, log_input: bool = True, full: bool = False, *, eps: float = 1e-8,
                 reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.log_input, self.full = log_input, full
        self.eps = check_number("PoissonNLLLoss", "eps", eps, 0.0, example=1e-8)

    def forward(self, input: Tensor, target: ArrayLike) -> Tensor:
        return poisson_nll_loss(input, target, self.log_input, self.full, eps=self.eps,
                                reduction=self.reduction)


class GaussianNLLLoss(Loss):
    """Gaussian negative log-likelihood with predicted mean and variance; see :func:`gaussian_nll_loss`.

    >>> GaussianNLLLoss()(Tensor([1.0]), [1.0], Tensor([1.0])).item()
    0.0
    """

    formula: ClassVar[Formula] = Formula(
        "GaussianNLLLoss", "ℓ = ½·(log s² + (ŷ − y)²/s²),  s² = max(var, ε)",
        r"\ell = \tfrac12 \left( \log s^2 + \frac{(\hat y - y)^2}{s^2} \right), \quad "
        r"s^2 = \max(\mathrm{var}, \epsilon)",
        "∂ℓ/∂ŷ = (ŷ − y)/s²,  ∂ℓ/∂s² = ½·(1/s² − (ŷ − y)²/(s²)²)",
        r"\frac{\partial \ell}{\partial \hat y} = \frac{\hat y - y}{s^2}, \quad "
        r"\frac{\partial \ell}{\partial s^2} = \tfrac12 \left( \frac{1}{s^2} - "
        r"\frac{(\hat y - y)^2}{(s^2)^2} \right)")

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.full, self.eps = full, check_number("GaussianNLLLoss", "eps", eps, 0.0, example=1e-6)

    def forward(self, input: Tensor, target: ArrayLike, var: ArrayLike | float) -> Tensor:
        return gaussian_nll_loss(input, target, var, self.full, self.eps, self.reduction)


def _register(name: str, cls: type[Loss], function: Any, task: str | None = None, **facts: Any) -> None:
    LOSSES.register(name, cls, function=function, task=task, **facts)


_register("mse", MSELoss, mse_loss, "regression")
_register("l1", L1Loss, l1_loss, "regression")
_register("huber", HuberLoss, huber_loss, "regression")
_register("smooth_l1", SmoothL1Loss, smooth_l1_loss, "regression")
_register("bce", BCELoss, binary_cross_entropy, "classification", targets="binary", proba="identity",
          labels="half", head="sigmoid")
_register("bce_with_logits", BCEWithLogitsLoss, binary_cross_entropy_with_logits, "classification",
          targets="binary", proba="sigmoid", labels="positive")
_register("cross_entropy", CrossEntropyLoss, cross_entropy, "classification", targets="indices",
          proba="softmax", labels="argmax", mean_over="targets")
_register("nll", NLLLoss, nll_loss, "classification", targets="indices", proba="exp", labels="argmax",
          head="log_softmax", mean_over="targets")
_register("kl_div", KLDivLoss, kl_div)
_register("poisson_nll", PoissonNLLLoss, poisson_nll_loss)
_register("gaussian_nll", GaussianNLLLoss, gaussian_nll_loss)
LOSSES.seal()  # the names above are glassnet's own; nn.custom_losses.loss registers a user's
