"""A fitted estimator in a glassnet model file: the network, the parameters and the fitted state.

The file is ``glassnet.io.save``'s safetensors file: weights, architecture, ``classes`` (the
labels), ``hyperparameters`` (the estimator's class and its plain parameters) and ``extra``
(the fitted attributes). Loading runs no code. Not kept: ``callbacks`` and a non-integer
``random_state`` (reset to None), and the optimizer's state: ``partial_fit`` after ``load``
starts a fresh optimizer.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted  # type: ignore[import-untyped]

from glassnet.errors import GlassnetError
from glassnet.io.model import load as load_model
from glassnet.io.model import save as save_model
from glassnet.io.safetensors import PathLike
from glassnet.sklearn.base import BaseMLP
from glassnet.sklearn.classifier import MLPClassifier
from glassnet.sklearn.regressor import MLPRegressor
from glassnet.train.history import History

__all__ = ["load", "save"]

_ESTIMATORS: dict[str, type[BaseMLP]] = {"MLPClassifier": MLPClassifier, "MLPRegressor": MLPRegressor}
_FITTED = ("n_features_in_", "n_outputs_", "out_activation_", "loss_", "best_loss_", "loss_curve_",
           "validation_loss_curve_", "validation_scores_", "best_validation_score_", "n_iter_", "t_",
           "_no_improvement_count", "_multilabel")


def _plain(value: Any) -> Any:
    """A parameter as model files hold it: numbers, strings, bools, None, lists and tuples."""
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return None  # callbacks, a RandomState: not kept


def save(estimator: BaseMLP, path: PathLike) -> None:
    """Write a fitted MLPClassifier or MLPRegressor to a glassnet model file (no pickle).

    >>> import os, tempfile, numpy as np
    >>> X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1])
    >>> clf = MLPClassifier((4,), tol=1.0, n_iter_no_change=1, random_state=0).fit(X, y)  # a quick fit
    >>> path = os.path.join(tempfile.mkdtemp(), "clf.safetensors")
    >>> save(clf, path)
    >>> bool((load(path).predict_proba(X) == clf.predict_proba(X)).all())
    True
    """
    if not isinstance(estimator, BaseMLP):
        raise GlassnetError(f"save() takes a glassnet MLPClassifier or MLPRegressor, got "
                            f"{type(estimator).__name__}")
    check_is_fitted(estimator, "model_")
    params = {k: _plain(v) for k, v in estimator.get_params().items()}
    params["hidden_layer_sizes"] = list(np.atleast_1d(estimator.hidden_layer_sizes).tolist())
    if estimator.dtype is not None:  # np.float64 or np.dtype('float32') kept by name
        params["dtype"] = np.dtype(estimator.dtype).name
    fitted = {k: _plain(getattr(estimator, k)) for k in _FITTED if hasattr(estimator, k)}
    if hasattr(estimator, "feature_names_in_"):
        fitted["feature_names_in_"] = [str(n) for n in estimator.feature_names_in_]
    classes = estimator.classes_.tolist() if hasattr(estimator, "classes_") else None
    save_model(estimator.model_, path, classes=classes, history=estimator.history_.to_dict(),
               hyperparameters={"estimator": type(estimator).__name__, "params": params}, extra=fitted)


def load(path: PathLike) -> BaseMLP:
    """Read an estimator written by ``save``: fitted, with bit-identical predictions."""
    loaded = load_model(path)
    info = loaded.hyperparameters
    if not isinstance(info, dict) or info.get("estimator") not in _ESTIMATORS:
        raise GlassnetError(f"{path} is a glassnet model file but not one written by glassnet.sklearn.save; "
                            "load it with glassnet.load")
    cls = _ESTIMATORS[info["estimator"]]
    params, fitted = _known(path, "hyperparameters 'params'", info.get("params"), cls._get_param_names()), \
        _known(path, "extra", loaded.extra or {}, (*_FITTED, "feature_names_in_"))
    if not isinstance(params.get("hidden_layer_sizes"), list):
        raise GlassnetError(f"cannot load {path}: hyperparameters 'params' has no list 'hidden_layer_sizes'; "
                            "the file is damaged or was not written by glassnet.sklearn.save (re-save it)")
    estimator = cls(**params)
    estimator.hidden_layer_sizes = tuple(params["hidden_layer_sizes"])
    for key, value in fitted.items():
        setattr(estimator, key, np.asarray(value, dtype=object) if key == "feature_names_in_" else value)
    if loaded.classes is not None:
        estimator.classes_ = np.asarray(loaded.classes)
    estimator.model_ = loaded.model
    estimator.history_ = History.from_dict(loaded.history)
    return estimator



def _known(path: PathLike, field: str, values: Any, allowed: Any) -> dict[str, Any]:
    """``values`` if it is a dict holding only ``allowed`` keys: a file never sets other attributes."""
    if not isinstance(values, dict):
        raise GlassnetError(f"cannot load {path}: {field} is a {type(values).__name__}, expected a dict; the "
                            "file is damaged or was not written by glassnet.sklearn.save (re-save it)")
    unknown = sorted(str(k) for k in set(values) - set(allowed))
    if unknown:
        raise GlassnetError(f"cannot load {path}: {field} holds unknown fields {unknown[:5]}; "
                            f"expected only {sorted(allowed)}; the file was altered or is not an estimator's")
    return values
