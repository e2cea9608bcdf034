"""scikit-learn estimators built on glassnet: change one import.

``from glassnet.sklearn import MLPClassifier`` instead of ``from sklearn.neural_network import
MLPClassifier``: the same parameters, solvers and loss, plus per-layer activations, dropout, l1,
class_weight, any glassnet optimizer or initializer, regression losses and callbacks.
``save``/``load`` keep a fitted estimator in a glassnet model file (safetensors, no pickle);
pickling works too.
scikit-learn is an optional dependency: ``pip install 'glassnet[data]'``.

>>> from glassnet.sklearn import MLPClassifier
>>> MLPClassifier().get_params()["hidden_layer_sizes"]
(100,)
"""

from glassnet.errors import GlassnetError

try:
    import sklearn  # type: ignore[import-untyped]  # noqa: F401
except ImportError as e:  # pragma: no cover - depends on the environment
    raise GlassnetError("glassnet.sklearn needs scikit-learn, which is not installed; install it with "
                        "pip install 'glassnet[data]' (or pip install scikit-learn)") from e

from glassnet.io.estimator import load, save
from glassnet.sklearn.classifier import MLPClassifier
from glassnet.sklearn.regressor import MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor", "load", "save"]
