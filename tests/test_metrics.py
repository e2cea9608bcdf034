"""Every metric against sklearn.metrics on hypothesis-generated inputs, to 1e-12; errors; METRICS.

The inputs cover binary and multiclass targets, integer and string labels, sample weights (some
zero), subsets of labels and labels absent from the data, every zero_division value, and
single- and multi-output regression with constant targets and perfect predictions.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from glassnet import metrics as gm
from glassnet.errors import GlassnetError, ShapeError

TOL = 1e-12
FAST = settings(max_examples=30, deadline=None)
INT_POOL = np.array([-3, 0, 1, 7])  # not 0..K-1, so label -> index mapping is exercised
STR_POOL = np.array(["ant", "bee", "cat", "dog"])


def assert_same(actual: Any, expected: Any, rtol: float = TOL) -> None:
    """Equal type (float vs array), shape, dtype for arrays, and values to rtol/1e-12 (NaN == NaN)."""
    assert isinstance(actual, float) == isinstance(expected, float), (type(actual), type(expected))
    if isinstance(expected, np.ndarray):
        assert actual.shape == expected.shape and actual.dtype == expected.dtype
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=TOL)


def sklearn(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """scikit-learn's value, its warnings (UndefinedMetricWarning and the like) silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


@st.composite
def classes(draw: st.DrawFn, min_classes: int = 1, max_classes: int = 4) -> dict[str, Any]:
    """y_true, y_pred drawn from a pool of int or string classes, and optional weights."""
    pool = draw(st.sampled_from([INT_POOL, STR_POOL]))[: draw(st.integers(min_classes, max_classes))]
    n = draw(st.integers(1, 25))
    index = st.lists(st.integers(0, len(pool) - 1), min_size=n, max_size=n)
    y_true, y_pred = pool[draw(index)], pool[draw(index)]
    weights = draw(st.sampled_from(["none", "float", "int"]))
    w: np.ndarray | None = None
    if weights == "float":  # zeros included; one weight >= 1 so the sum is never 0
        w = np.array(draw(st.lists(st.sampled_from([0.0, 0.25, 1.5]) | st.floats(0, 5),
                                   min_size=n, max_size=n)))
        w[draw(st.integers(0, n - 1))] += 1.0
    elif weights == "int":
        w = np.array(draw(st.lists(st.integers(1, 4), min_size=n, max_size=n)))
    return {"y_true": y_true, "y_pred": y_pred, "sample_weight": w, "pool": pool}


@FAST
@given(classes(), st.booleans())
def test_accuracy_score(c: dict[str, Any], normalize: bool) -> None:
    args, w = (c["y_true"], c["y_pred"]), c["sample_weight"]
    assert_same(gm.accuracy_score(*args, normalize=normalize, sample_weight=w),
                sklearn(skm.accuracy_score, *args, normalize=normalize, sample_weight=w))


@FAST
@given(classes(), st.booleans())
def test_balanced_accuracy_score(c: dict[str, Any], adjusted: bool) -> None:
    args, w = (c["y_true"], c["y_pred"]), c["sample_weight"]
    with np.errstate(all="ignore"):  # adjusted with 1 class divides by 1 - 1/1 = 0, in both
        actual = gm.balanced_accuracy_score(*args, sample_weight=w, adjusted=adjusted)
    assert_same(actual, sklearn(skm.balanced_accuracy_score, *args, sample_weight=w, adjusted=adjusted))


@pytest.mark.parametrize("average", ["binary", "micro", "macro", "weighted", None])
@pytest.mark.parametrize("name", ["precision_score", "recall_score", "f1_score"])
@FAST
@given(data=st.data())
def test_precision_recall_f1(name: str, average: str | None, data: st.DataObject) -> None:
    c = data.draw(classes(max_classes=2 if average == "binary" else 4))
    pool = c["pool"]
    kwargs = {
        "average": average,
        "zero_division": data.draw(st.sampled_from(["warn", 0.0, 1.0, np.nan])),
        "pos_label": data.draw(st.sampled_from(list(pool))),
        "sample_weight": c["sample_weight"],
    }
    extra = "emu" if pool.dtype.kind == "U" else 42  # a label in neither y_true nor y_pred
    subset = st.lists(st.sampled_from([*pool.tolist(), extra]), min_size=1, max_size=5, unique=True)
    kwargs["labels"] = data.draw(st.none() | subset)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = getattr(skm, name)(c["y_true"], c["y_pred"], **kwargs)
    assert_same(getattr(gm, name)(c["y_true"], c["y_pred"], **kwargs), expected)


@FAST
@given(c=classes(), data=st.data())
def test_confusion_matrix(c: dict[str, Any], data: st.DataObject) -> None:
    y_true, y_pred, pool = c["y_true"], c["y_pred"], c["pool"]
    present = st.sampled_from(np.unique(y_true).tolist())  # keeps one label in y_true
    others = st.lists(st.sampled_from(pool.tolist()), max_size=4)
    labels = data.draw(st.none() | st.builds(lambda a, b: list(dict.fromkeys([a, *b])), present, others))
    normalize = data.draw(st.sampled_from([None, "true", "pred", "all"]))
    kwargs = {"labels": labels, "sample_weight": c["sample_weight"], "normalize": normalize}
    assert_same(gm.confusion_matrix(y_true, y_pred, **kwargs),
                sklearn(skm.confusion_matrix, y_true, y_pred, **kwargs))


@st.composite
def probabilities(draw: st.DrawFn) -> dict[str, Any]:
    """Labels and rows of probabilities (exact 0 and 1 included, to exercise the clipping)."""
    pool = draw(st.sampled_from([INT_POOL, STR_POOL]))[: draw(st.integers(2, 4))]
    n = draw(st.integers(1, 20))
    y_true = pool[draw(st.lists(st.integers(0, len(pool) - 1), min_size=n, max_size=n))]
    cell = st.sampled_from([0.0, 1.0]) | st.floats(0, 1)
    P = np.array(draw(st.lists(st.lists(cell, min_size=len(pool), max_size=len(pool)),
                               min_size=n, max_size=n)))  # (n, n_classes)
    P[P.sum(axis=1) == 0] = 1.0
    P = P / P.sum(axis=1, keepdims=True)
    if len(pool) == 2 and draw(st.booleans()):
        P = P[:, 1]  # (n,): the probability of the larger class
    P = P.astype(draw(st.sampled_from([np.float64, np.float32])))
    covered = len(np.unique(y_true)) == len(pool)
    labels = None if covered and draw(st.booleans()) else draw(st.permutations(pool.tolist()))
    return {"y_true": y_true, "y_pred": P, "labels": labels}


@FAST
@given(p=probabilities(), normalize=st.booleans(), data=st.data())
def test_log_loss(p: dict[str, Any], normalize: bool, data: st.DataObject) -> None:
    n = len(p["y_true"])
    w = data.draw(st.none() | st.lists(st.floats(0.1, 5), min_size=n, max_size=n).map(np.array))
    kwargs = {"normalize": normalize, "sample_weight": w, "labels": p["labels"]}
    expected = sklearn(skm.log_loss, p["y_true"], p["y_pred"], **kwargs)
    rtol = TOL if p["y_pred"].dtype == np.float64 else 1e-6
    assert_same(gm.log_loss(p["y_true"], p["y_pred"], **kwargs), expected, rtol)


def test_log_loss_clips_a_confident_mistake_at_eps() -> None:
    # P(true class) = 0 is clipped to eps = 2.22e-16: -log(eps) = 52·log 2 = 36.04
    assert gm.log_loss([0, 1], [[0.0, 1.0], [0.0, 1.0]]) == pytest.approx(52 * np.log(2) / 2, rel=TOL)


@st.composite
def regression(draw: st.DrawFn, r2: bool = False) -> dict[str, Any]:
    """Targets (n,) or (n, k), predictions, weights and a multioutput choice."""
    n, k = draw(st.integers(1, 20)), draw(st.integers(0, 3))  # k = 0: 1-D targets
    shape = (n,) if k == 0 else (n, k)
    values = st.sampled_from([0.0, 1.0, -2.5]) | st.floats(-1e3, 1e3, allow_subnormal=False)
    y_true = np.array(draw(st.lists(values, min_size=n * max(k, 1), max_size=n * max(k, 1)))).reshape(shape)
    y_pred = np.array(draw(st.lists(values, min_size=y_true.size, max_size=y_true.size))).reshape(shape)
    if draw(st.booleans()):
        y_true[:] = y_true[0]  # a constant target: R²'s denominator is 0
    if draw(st.integers(0, 3)) == 0:
        y_pred = y_true.copy()  # perfect predictions: the numerator is 0
    w = draw(st.none() | st.lists(st.floats(0.1, 5), min_size=n, max_size=n).map(np.array))
    options = ["uniform_average", "raw_values"] + (["variance_weighted"] if r2 else [])
    if k >= 2:
        options.append(draw(st.lists(st.floats(0.1, 3), min_size=k, max_size=k)))
    return {"y_true": y_true, "y_pred": y_pred, "sample_weight": w,
            "multioutput": draw(st.sampled_from(options))}


@pytest.mark.parametrize("name", ["mean_squared_error", "root_mean_squared_error", "mean_absolute_error"])
@FAST
@given(r=regression())
def test_regression_errors(name: str, r: dict[str, Any]) -> None:
    assert_same(getattr(gm, name)(**r), sklearn(getattr(skm, name), **r))


@FAST
@given(r=regression(r2=True), force_finite=st.booleans())
def test_r2_score(r: dict[str, Any], force_finite: bool) -> None:
    assert_same(gm.r2_score(**r, force_finite=force_finite),
                sklearn(skm.r2_score, **r, force_finite=force_finite))


def test_f1_worked_example() -> None:
    # class 1: tp = 2 (samples 1, 3), fp = 1 (sample 0), fn = 1 (sample 2): F1 = 4 / (4 + 1 + 1)
    assert gm.f1_score([0, 1, 1, 1], [1, 1, 0, 1]) == pytest.approx(2 / 3, rel=TOL)
    # zero_division: nothing predicted as 1 and no true 1 -> precision is 0/0
    assert gm.precision_score([0, 0], [0, 0]) == 0.0  # 'warn' scores 0.0, as scikit-learn
    assert gm.precision_score([0, 0], [0, 0], zero_division=1.0) == 1.0
    assert np.isnan(gm.precision_score([0, 0], [0, 0], zero_division=np.nan))
    assert gm.recall_score(["a", "a"], ["a", "a"], zero_division=1.0) == 1.0  # pos_label=1 absent


BAD_CALLS: list[tuple[Callable[[], Any], type[Exception], str]] = [
    (lambda: gm.accuracy_score([0, 1, 1], [0, 1]), ShapeError, "3 samples but y_pred has 2"),
    (lambda: gm.accuracy_score([], []), ShapeError, "at least 1 sample"),
    (lambda: gm.accuracy_score([0, 1], [0, 1], sample_weight=[1.0]), ShapeError, "one weight per sample"),
    (lambda: gm.accuracy_score([0, 1], [0, 1], sample_weight=[0, 0]), GlassnetError, "sums to zero"),
    (lambda: gm.accuracy_score([0, 1], [0.2, 0.9]), GlassnetError, "non-integer values"),
    (lambda: gm.accuracy_score([0, 1], ["a", "b"]), GlassnetError, "mix string and numeric"),
    (lambda: gm.accuracy_score([[0, 1], [1, 0]], [[0, 1], [1, 0]]), ShapeError, "multilabel"),
    (lambda: gm.f1_score([0, 1], [0, 1], average="mean"), GlassnetError, "'binary', 'micro', 'macro'"),
    (lambda: gm.f1_score([0, 1], [0, 1], zero_division=2), GlassnetError, "'warn', 0.0, 1.0 or np.nan"),
    (lambda: gm.f1_score([0, 1, 2], [0, 1, 2]), GlassnetError, "average='binary' needs at most 2"),
    (lambda: gm.recall_score(["a", "b"], ["a", "b"]), GlassnetError, "pos_label=1 is not one of"),
    (lambda: gm.confusion_matrix([0, 1], [0, 1], labels=[5]), GlassnetError, "occurs in y_true"),
    (lambda: gm.confusion_matrix([0, 1], [0, 1], normalize="rows"), GlassnetError, "'true', 'pred'"),
    (lambda: gm.log_loss([0, 1, 2], [[0.5, 0.5]] * 3), ShapeError, "2 probability columns but"),
    (lambda: gm.log_loss([0, 1], [0.5, 1.5]), GlassnetError, "probabilities in [0, 1]"),
    (lambda: gm.log_loss([1, 1], [0.5, 0.5]), GlassnetError, "at least 2 classes"),
    (lambda: gm.log_loss([0, 3], [0.5, 0.5], labels=[0, 1]), GlassnetError, "at least 2 classes"),
    (lambda: gm.mean_squared_error([[1.0, 2.0]], [[1.0]]), ShapeError, "equal shapes"),
    (lambda: gm.r2_score([1.0, 2.0], [1.0, 2.0], multioutput="mean"), GlassnetError, "'raw_values'"),
    (lambda: gm.mean_absolute_error([[1, 2]], [[1, 2]], multioutput=[1.0]), ShapeError, "one weight"),
]


@pytest.mark.parametrize(("call", "error", "message"), BAD_CALLS)
def test_errors_say_what_and_how(call: Callable[[], Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error) as info:
        call()
    assert message in str(info.value)


# our name -> scikit-learn's scorer name: its function, kwargs, sign and response method are the oracle
SCORERS = {name: name for name in gm.METRICS} | {
    "log_loss": "neg_log_loss", "mse": "neg_mean_squared_error", "mae": "neg_mean_absolute_error",
    "rmse": "neg_root_mean_squared_error"}


@pytest.mark.parametrize("name", sorted(gm.METRICS))
def test_metrics_dict_matches_sklearn_scorers(name: str) -> None:
    metric, scorer = gm.get_metric(name), skm.get_scorer(SCORERS[name])
    assert metric.greater_is_better == (scorer._sign == 1)
    assert metric.needs_proba == (scorer._response_method == "predict_proba")
    rng = np.random.default_rng(0)
    if metric.task == "regression":
        y_true, y_pred = rng.normal(size=12), rng.normal(size=12)
    elif metric.needs_proba:
        y_true, y_pred = rng.integers(0, 3, 12), rng.dirichlet(np.ones(3), size=12)
    else:
        n_classes = 2 if name in {"precision", "recall", "f1"} else 3  # average='binary' needs 2
        y_true, y_pred = rng.integers(0, n_classes, 12), rng.integers(0, n_classes, 12)
    expected = sklearn(scorer._score_func, y_true, y_pred, **scorer._kwargs)
    assert_same(float(metric.function(y_true, y_pred)), float(expected))
    assert (metric.task == "regression") == (name in {"mse", "rmse", "mae", "r2"})


def test_get_metric_lists_the_valid_names_and_metric_is_frozen() -> None:
    with pytest.raises(GlassnetError, match="unknown metric 'f2'; expected one of accuracy, "):
        gm.get_metric("f2")
    with pytest.raises(dataclasses.FrozenInstanceError):
        gm.METRICS["accuracy"].greater_is_better = False  # type: ignore[misc]
