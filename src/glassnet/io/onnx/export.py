"""``export``: a glassnet network, a loaded model file or a fitted estimator to an ONNX file.

A fitted ``MLPClassifier`` gives two outputs, as skl2onnx's classifiers do: ``label`` (its
``predict``) and ``probabilities`` (its ``predict_proba``); an ``MLPRegressor`` gives ``output``,
its ``predict`` as a column per target. scikit-learn is imported only when the model is not a
glassnet Module, so writing networks needs NumPy alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from glassnet.errors import GlassnetError
from glassnet.io.model import LoadedModel
from glassnet.io.onnx.network import Classifier, export_network
from glassnet.nn.module import Module

__all__ = ["export"]


def export(model: Any, path: str | Path, *, example_input: Any = None, opset: int | None = None) -> None:
    """Write ``model`` to an ONNX file that onnxruntime (or any ONNX runtime) runs.

    The file holds the network in eval mode (Dropout left out, BatchNorm1d with its running
    statistics), its weights as initializers named by their ``state_dict`` keys, a dynamic batch
    axis ``N``, and in its metadata the architecture and each layer's formula. Its IR version is
    the lowest its opset needs (8 for opsets 17 and 18), so older runtimes load it. Nothing is
    imported from the ``onnx`` package: glassnet writes the format itself.

    Args:
        model: a glassnet network (a layer or a Sequential of the layers and activations
            ``glassnet.io.onnx.network.exportable()`` lists), what ``glassnet.load`` returns, or a
            fitted ``glassnet.sklearn`` MLPClassifier or MLPRegressor.
        path: the file to write, e.g. ``"model.onnx"`` (atomically).
        example_input: one batch of inputs (e.g. ``X[:1]``), needed only when the first layer does
            not fix the input's shape (an activation, Flatten, an Embedding's indices).
        opset: the ONNX operator set, 17 (default) to 23; 18 writes Mish as one node, 20 GELU.

    Raises:
        GlassnetError: naming the first layer that has no ONNX form, or an opset out of range.

    >>> import os, tempfile, numpy as np, glassnet as gn
    >>> net = gn.nn.Sequential(gn.nn.Linear(4, 8, generator=0), gn.nn.GELU(), gn.nn.Linear(8, 3))
    >>> path = os.path.join(tempfile.mkdtemp(), "net.onnx")
    >>> gn.onnx.export(net, path)
    >>> x = np.ones((2, 4), dtype=np.float32)
    >>> bool((gn.onnx.load(path)(x).array == net(x).array).all())
    True
    """
    if isinstance(model, LoadedModel):
        model = model.model
    if isinstance(model, Module):
        export_network(model, path, example_input=example_input, opset=opset)
        return
    estimator = _estimator_classes()
    if estimator is None or not isinstance(model, estimator[0]):
        raise GlassnetError(f"export() takes a glassnet Module, a loaded model file or a fitted glassnet "
                            f"MLPClassifier or MLPRegressor, got {type(model).__name__}")
    if not hasattr(model, "model_"):
        raise GlassnetError(f"this {type(model).__name__} is not fitted yet; call fit before export")
    head = None
    if isinstance(model, estimator[1]):
        logistic = model.out_activation_ == "logistic"
        head = Classifier(model.classes_, "sigmoid" if logistic else "softmax",
                          "positive" if logistic else "argmax", multilabel=logistic and model.n_outputs_ > 1)
    export_network(model.model_, path, example_input=example_input, opset=opset, head=head)


def _estimator_classes() -> tuple[type[Any], type[Any]] | None:
    """(BaseMLP, MLPClassifier), or None where scikit-learn is not installed."""
    try:
        from glassnet.sklearn.base import BaseMLP
        from glassnet.sklearn.classifier import MLPClassifier
    except (ImportError, GlassnetError):  # glassnet.sklearn refuses to load without scikit-learn
        return None
    return BaseMLP, MLPClassifier
