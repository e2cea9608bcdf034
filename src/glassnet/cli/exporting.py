"""``glassnet export``: a run folder or model file as an ONNX file that any runtime serves.

A run's file becomes the whole predictor the CLI's ``predict`` is: its standardization (the
input is then the raw float64 features), the network, and for a classifier the outputs
``label`` and ``probabilities`` (as ``predict`` writes them); a regression run gives ``output``.
A file of ``glassnet.sklearn.save`` is exported as its estimator; a plain model file as its network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from glassnet.cli.scoring import ModelInfo
from glassnet.errors import GlassnetError
from glassnet.io.model import LoadedModel, load
from glassnet.io.onnx.export import export as export_model
from glassnet.io.onnx.network import Classifier, Scaling, export_network
from glassnet.nn.losses import LOSSES

__all__ = ["export"]

_ESTIMATORS = ("MLPClassifier", "MLPRegressor")


def _model_file(source: str) -> Path:
    path = Path(source)
    file = path / "model.safetensors" if path.is_dir() else path
    if not file.is_file():
        raise GlassnetError(f"no model file {str(file)!r}; pass a run folder written by 'glassnet train' or "
                            "a model file")
    return file


def export(source: str, output: str, opset: int | None) -> int:
    """Write the model of ``source`` (a run folder or a model file) to the ONNX file ``output``."""
    file = _model_file(source)
    loaded = load(file)
    if not isinstance(loaded, LoadedModel):
        raise GlassnetError(f"{file} holds weights or a state, not a model; export needs a model file "
                            "written by 'glassnet train', glassnet.save or glassnet.sklearn.save")
    hyper = loaded.hyperparameters
    if isinstance(hyper, dict) and hyper.get("estimator") in _ESTIMATORS:
        from glassnet.io.estimator import load as load_estimator  # needs scikit-learn

        export_model(load_estimator(file), output, opset=opset)
    elif all(f is None for f in (loaded.preprocessing, loaded.classes, loaded.hyperparameters, loaded.extra)):
        export_model(loaded.model, output, opset=opset)
    else:
        info = ModelInfo(file, loaded)
        export_network(info.model, output, opset=opset, scaling=_scaling(info.scaler), head=_head(info))
    print(f"wrote {output}")
    return 0


def _scaling(scaler: Any) -> Scaling | None:
    """The run's standardization z = (x − μ)/σ, with μ = 0 or σ = 1 where the scaler leaves them out."""
    if scaler is None:
        return None
    mean, scale = np.asarray(scaler.mean_, dtype=np.float64), np.asarray(scaler.scale_, dtype=np.float64)
    return Scaling(mean if scaler.with_mean else np.zeros_like(mean),
                   scale if scaler.with_std else np.ones_like(scale))


def _head(info: ModelInfo) -> Classifier | None:
    """A classifier's label and probabilities as ``glassnet predict`` gives them: the loss's
    probabilities, the label of the most probable class."""
    if info.task != "classification":
        return None
    proba = LOSSES.fact(info.loss, "proba") if info.loss in LOSSES else None
    if proba is None:
        raise GlassnetError(f"the model file {info.path} is a classifier, but its loss {info.loss!r} gives "
                            "no probabilities")
    return Classifier(info.classes or [], proba, "proba_argmax")
