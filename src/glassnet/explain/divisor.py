"""N, the divisor of a loss's mean: δ at the output holds the loss's 1/N, and a walkthrough says which N.

The engine divides as PyTorch does, and each loss's registration in ``LOSSES`` says over what
(its ``mean_over`` fact). Element-wise losses with ``reduction='mean'`` (MSELoss, L1Loss,
HuberLoss, SmoothL1Loss, BCELoss, BCEWithLogitsLoss, KLDivLoss, PoissonNLLLoss, GaussianNLLLoss
and the custom losses) average over every element of ŷ, n_samples × n_outputs; the losses of
class targets (CrossEntropyLoss and NLLLoss) with class indices over the samples (Σ w_y, the
targets' class weights, with ``weight=``; targets equal to ``ignore_index`` left out), and with
class probabilities over the samples; KLDivLoss with ``'batchmean'`` over the samples. ``'sum'`` divides
by nothing. tests/test_explain.py checks N·δ against the per-element derivative for each loss.
"""

from __future__ import annotations

import numpy as np

from glassnet.engine.tensor import Tensor
from glassnet.explain.record import Recorder
from glassnet.nn.losses import LOSSES
from glassnet.nn.module import Module

__all__ = ["divisor", "divisor_note"]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _elements(out: Tensor) -> tuple[float, str]:
    if out.ndim == 2:
        n_samples, n_outputs = out.shape
        shape = f"{_count(n_samples, 'sample')} × {_count(n_outputs, 'output')}"
    else:
        shape = f"shape {out.shape}"
    return float(out.numel()), f"N = {out.numel()}, the elements of ŷ ({shape})"


def _samples(n: int) -> tuple[float, str]:
    return float(n), f"N = {_count(n, 'sample')}"


def _class_targets(loss: Module, y: Tensor, rec: Recorder) -> tuple[float, str]:
    """Σ w_y over the targets not equal to ignore_index: the samples, without weights."""
    keep = y.array != vars(loss)["ignore_index"]  # (n_samples,)
    n_out = int(keep.size - keep.sum())
    left_out = f" ({n_out} of {keep.size} left out by ignore_index)" if n_out else ""
    weight = vars(loss)["weight"]
    if weight is None:
        n = int(keep.sum())
        return float(n), f"N = {_count(n, 'sample')}{left_out}"
    w_y = weight[np.where(keep, y.array, 0)] * keep  # the class weight of each sample's target
    N = float(w_y.sum())
    return N, f"N = Σ w_y = {rec.num(N)}, the class weights of the targets{left_out}"


def divisor(loss: Module, out: Tensor, y: Tensor, rec: Recorder) -> tuple[float, str] | None:
    """N, the engine's divisor of the loss's mean, and what it counts; None where nothing is divided.

    Args:
        out: the prediction ŷ, (n_samples, n_outputs).
        y: the target, as the loss took it.
    """
    reduction = vars(loss).get("reduction")
    if reduction == "batchmean":  # KLDivLoss's true KL divergence: the sum over the samples
        return _samples(out.shape[0])
    if reduction != "mean":
        return None
    name = LOSSES.name_of(loss)
    if name is not None and LOSSES.fact(name, "mean_over") == "targets":
        if np.issubdtype(y.array.dtype, np.floating):  # class probabilities: one position per sample
            return _samples(out.numel() // out.shape[1])
        return _class_targets(loss, y, rec)
    return _elements(out)


def divisor_note(loss: Module, out: Tensor, y: Tensor, rec: Recorder) -> str:
    """The note after δ at the output: that it holds 1/N, and which N; empty where nothing is divided."""
    found = divisor(loss, out, y, rec)
    if found is None:
        return ""
    return f"  (reduction={vars(loss)['reduction']!r}: includes 1/N, {found[1]})"
