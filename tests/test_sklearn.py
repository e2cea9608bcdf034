"""glassnet.sklearn: scikit-learn's own estimator checks, digits against scikit-learn, and the API."""

from __future__ import annotations

import itertools
import pickle
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone
from sklearn.datasets import load_digits, make_classification, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import glassnet as gn
from glassnet.sklearn import MLPClassifier, MLPRegressor, load, save
from glassnet.sklearn.network import build_penalties

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# scikit-learn runs these checks on its own MLPs with these parameters
# (PER_ESTIMATOR_CHECK_PARAMS in sklearn/utils/_test_common/instance_generator.py); glassnet's
# also compute in float64, since the checks compare the two fits at rtol 1e-7.
CHECK_PARAMS = {
    "check_sample_weight_equivalence_on_dense_data": {
        MLPClassifier: dict(solver="lbfgs", dtype="float64"),
        MLPRegressor: dict(solver="sgd", tol=1e-2, random_state=42, dtype="float64")},
    "check_sample_weight_equivalence_on_sparse_data": {
        MLPClassifier: dict(solver="lbfgs", dtype="float64"),
        MLPRegressor: dict(solver="sgd", tol=1e-2, random_state=42, dtype="float64")},
}


@parametrize_with_checks([MLPClassifier(), MLPRegressor()])
def test_sklearn_estimator_checks(estimator, check):
    params = CHECK_PARAMS.get(getattr(check, "func", check).__name__, {}).get(type(estimator))
    if params is not None:
        estimator = clone(estimator).set_params(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


def _digits():
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    scaler = StandardScaler().fit(X_tr)
    return scaler.transform(X_tr), scaler.transform(X_te), y_tr, y_te


def test_digits_accuracy_matches_sklearn():
    """Mean test accuracy over seeds 0-4: ours >= 0.97 and >= scikit-learn's mean - 0.005."""
    X_tr, X_te, y_tr, y_te = _digits()
    results = {}
    for name, cls in (("sklearn", SkMLPClassifier), ("glassnet", MLPClassifier)):
        accuracies, seconds = [], []
        for seed in range(5):
            start = time.perf_counter()
            model = cls(hidden_layer_sizes=(64,), random_state=seed, max_iter=300).fit(X_tr, y_tr)
            seconds.append(time.perf_counter() - start)
            accuracies.append(model.score(X_te, y_te))
        results[name] = float(np.mean(accuracies))
        print(f"{name}: mean accuracy {results[name]:.4f}, fit seconds {np.round(seconds, 2).tolist()}")
    assert results["glassnet"] >= 0.97
    assert results["glassnet"] >= results["sklearn"] - 0.005


def _small_classification(n_classes=3, seed=0):
    X, y = make_classification(120, 6, n_informative=4, n_classes=n_classes, random_state=seed)
    return StandardScaler().fit_transform(X), y


def test_save_load_and_clone_refit_give_identical_predictions(tmp_path):
    X, y = _small_classification()
    clf = MLPClassifier((16, 8), activation=["tanh", "relu"], dropout=0.1, max_iter=30, random_state=3)
    clf.fit(X, np.array(["a", "b", "c"])[y])
    path = tmp_path / "clf.safetensors"
    save(clf, path)
    again = load(path)
    assert np.array_equal(again.predict_proba(X), clf.predict_proba(X))
    assert np.array_equal(again.predict(X), clf.predict(X))
    assert again.loss_curve_ == clf.loss_curve_ and again.get_params()["activation"] == ["tanh", "relu"]
    refit = clone(clf).fit(X, np.array(["a", "b", "c"])[y])
    assert np.array_equal(refit.predict_proba(X), clf.predict_proba(X))
    reg = MLPRegressor(hidden_layer_sizes=(8,), max_iter=20, random_state=0).fit(X, X[:, :2])
    save(reg, tmp_path / "reg.safetensors")
    assert np.array_equal(load(tmp_path / "reg.safetensors").predict(X), reg.predict(X))


def test_pickle_roundtrip():
    X, y = _small_classification()
    clf = MLPClassifier((8,), max_iter=10, random_state=0).fit(X, y)
    again = pickle.loads(pickle.dumps(clf))
    assert np.array_equal(again.predict_proba(X), clf.predict_proba(X))
    again.partial_fit(X, y)  # the optimizer's state came along
    assert again.n_iter_ == 1


def test_pipeline_gridsearch_cross_val_score():
    X, y = _small_classification()
    pipe = make_pipeline(StandardScaler(), MLPClassifier((8,), learning_rate_init=0.02, max_iter=100,
                                                       random_state=0))
    assert pipe.fit(X, y).score(X, y) > 0.8
    small = MLPClassifier((8,), learning_rate_init=0.02, max_iter=50, random_state=0)
    scores = cross_val_score(small, X, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.6
    grid = GridSearchCV(MLPClassifier(max_iter=30, random_state=0),
                        {"hidden_layer_sizes": [(4,), (16,)], "alpha": [1e-4, 1e-2]}, cv=2).fit(X, y)
    assert set(grid.best_params_) == {"hidden_layer_sizes", "alpha"}


def test_partial_fit_needs_classes_then_learns():
    X, y = _small_classification()
    clf = MLPClassifier((16,), learning_rate_init=0.01, random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[y != 2], y[y != 2], classes=[0, 1, 2])
    assert clf.classes_.tolist() == [0, 1, 2] and clf.predict_proba(X).shape == (120, 3)
    first = clf.loss_
    for _ in range(30):
        clf.partial_fit(X, y)
    assert clf.loss_ < first and clf.t_ == (y != 2).sum() + 30 * 120


def test_warm_start_continues_from_the_weights():
    X, y = _small_classification()
    clf = MLPClassifier((8,), max_iter=5, warm_start=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
        before = clf.coefs_[0].copy()
        clf.fit(X, y)
    assert len(clf.loss_curve_) == 10 and not np.array_equal(before, clf.coefs_[0])
    assert clf.loss_curve_[5] < clf.loss_curve_[0]


def test_class_weight_shifts_predictions():
    X, y = make_classification(300, 4, weights=[0.9, 0.1], random_state=0)
    plain = MLPClassifier((8,), max_iter=100, random_state=0).fit(X, y)
    weighted = MLPClassifier((8,), max_iter=100, random_state=0, class_weight={0: 1.0, 1: 20.0}).fit(X, y)
    balanced = MLPClassifier((8,), max_iter=100, random_state=0, class_weight="balanced").fit(X, y)
    assert weighted.predict(X).sum() > plain.predict(X).sum()
    assert balanced.predict(X).sum() > plain.predict(X).sum()


def test_dropout_l1_per_layer_activations_initializer_optimizer():
    X, y = _small_classification()
    clf = MLPClassifier((12, 6), activation=["tanh", "logistic"], dropout=0.2, l1=1e-3, solver="rmsprop",
                        learning_rate_init=0.01, initializer="kaiming_uniform", max_iter=100,
                        random_state=0).fit(X, y)
    kinds = [type(m).__name__ for m in clf.model_]
    assert kinds == ["Linear", "Tanh", "Dropout", "Linear", "Sigmoid", "Dropout", "Linear"]
    assert [c.shape for c in clf.coefs_] == [(6, 12), (12, 6), (6, 3)] and clf.n_layers_ == 4
    assert clf.transform(X).shape == (120, 6) and clf.score(X, y) > 0.6
    assert "penalty_l1" in clf.history_ and "penalty_l2" in clf.history_
    with pytest.raises(gn.GlassnetError, match="solver='lbfgs' needs a deterministic loss"):
        MLPClassifier(solver="lbfgs", dropout=0.1).fit(X, y)
    with pytest.raises(gn.GlassnetError, match="2 hidden layers"):
        MLPClassifier((4, 4), activation=["relu"]).fit(X, y)


def test_alpha_is_scaled_as_sklearn_scales_it():
    """½·alpha·Σ‖W‖² (weights only), divided by each batch's n by fit (penalty_per_sample)."""
    X, y = _small_classification()
    clf = MLPClassifier((8,), alpha=0.3, max_iter=3, random_state=0, dtype="float64").fit(X, y)
    sum_w2 = sum(float((W**2).sum()) for W in clf.coefs_)
    penalty = build_penalties(0.3, 0.0)[0](clf.model_).item()
    assert penalty == pytest.approx(0.5 * 0.3 * sum_w2, rel=1e-12)


@pytest.mark.parametrize("loss", ["squared_error", "absolute_error", "huber"])
def test_regression_losses_and_multi_output(loss):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 3))
    Y = np.column_stack([X[:, 0] - X[:, 1], 0.5 * X[:, 2]])  # (150, 2)
    reg = MLPRegressor(loss, (32,), learning_rate_init=0.01, max_iter=150, random_state=0).fit(X, Y)
    assert reg.predict(X).shape == (150, 2) and reg.n_outputs_ == 2 and reg.out_activation_ == "identity"
    assert reg.score(X, Y) > 0.8
    assert MLPRegressor(loss, (8,), max_iter=5, random_state=0).fit(X, Y[:, 0]).predict(X).shape == (150,)


def test_multilabel_classification():
    X, Y = make_multilabel_classification(150, 8, n_classes=4, random_state=0)
    clf = MLPClassifier((32,), learning_rate_init=0.01, max_iter=150, random_state=0).fit(X, Y)
    assert clf.predict(X).shape == (150, 4) and clf.out_activation_ == "logistic"
    P = clf.predict_proba(X)
    assert P.shape == (150, 4) and ((P >= 0) & (P <= 1)).all() and clf.score(X, Y) > 0.5


def test_early_stopping_validation_scores_and_best_weights():
    X, y = _small_classification()
    clf = MLPClassifier((16,), early_stopping=True, n_iter_no_change=3, validation_fraction=0.2,
                        learning_rate_init=0.01, max_iter=200, random_state=0).fit(X, y)
    assert len(clf.validation_scores_) == clf.n_iter_ == len(clf.validation_loss_curve_)
    assert clf.n_iter_ < 200 and clf.best_loss_ is None
    assert clf.best_validation_score_ == max(clf.validation_scores_)


def test_callbacks_reach_the_training_loop():
    X, y = _small_classification()
    seen = []
    cb = gn.train.LambdaCallback(on_epoch_end=lambda run, logs: seen.append(logs["loss"]))
    clf = MLPClassifier((8,), max_iter=4, random_state=0, callbacks=[cb])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    assert seen == clf.loss_curve_


def test_import_without_sklearn_is_a_clear_error():
    code = ("import sys; sys.modules['sklearn'] = None\n"
            "import glassnet\n"
            "assert 'sklearn' not in [m for m in sys.modules if sys.modules[m] is not None]\n"
            "try:\n    import glassnet.sklearn\nexcept glassnet.GlassnetError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "pip install 'glassnet[data]'" in out


@pytest.mark.parametrize(("dtype", "X_dtype", "network"), [
    ("float32", np.float64, np.float32), ("float64", np.float32, np.float64), (None, np.float32, np.float32),
    (None, np.float64, np.float64)])
def test_dtype_chooses_the_networks_and_outputs_keep_xs(dtype, X_dtype, network):
    X, y = _small_classification()
    X = X.astype(X_dtype)
    clf = MLPClassifier((8,), max_iter=3, random_state=0, dtype=dtype).fit(X, y)
    assert all(p.dtype == network for p in clf.model_.parameters())
    assert clf.predict_proba(X).dtype == X_dtype and clf.transform(X).dtype == X_dtype
    reg = MLPRegressor(hidden_layer_sizes=(8,), max_iter=3, random_state=0, dtype=dtype)
    reg.fit(X, y.astype(float))
    assert all(p.dtype == network for p in reg.model_.parameters()) and reg.predict(X).dtype == X_dtype


def test_warm_start_keeps_the_networks_dtype_and_a_bad_dtype_is_refused():
    X, y = _small_classification()
    clf = MLPClassifier((8,), max_iter=2, random_state=0, warm_start=True, dtype="float64").fit(X, y)
    clf.set_params(dtype="float32").fit(X, y)  # a warm start goes on with the float64 network
    assert all(p.dtype == np.float64 for p in clf.model_.parameters())
    with pytest.raises(ValueError, match="dtype must be 'float32', 'float64' or None"):
        MLPClassifier((8,), max_iter=2, dtype="int32").fit(X, y)


@pytest.mark.parametrize("activation", ["relu", "logistic"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_initial_weights_are_scikit_learns_own_draws(activation, n_classes):
    from sklearn.utils import check_random_state

    X, y = _small_classification(n_classes=n_classes)
    ours = MLPClassifier((7, 5), activation=activation, random_state=4, dtype="float64")
    ours._validate_xy(X, y, reset=True)
    _, _, n_out = ours._targets(y, True, None)
    ours._start(X, n_out)
    theirs = SkMLPClassifier(hidden_layer_sizes=(7, 5), activation=activation, random_state=4)
    theirs._random_state = check_random_state(4)
    units = [X.shape[1], 7, 5, n_out]
    expected = [theirs._init_coef(a, b, np.float64) for a, b in itertools.pairwise(units)]
    for (W, b), coef, intercept in zip(expected, ours.coefs_, ours.intercepts_, strict=True):
        assert np.array_equal(coef, W) and np.array_equal(intercept, b)


@pytest.mark.parametrize(("dtype", "kept"), [(np.float64, "float64"), (np.dtype("float32"), "float32"),
                                             ("float64", "float64"), (None, None)])
def test_a_saved_estimator_keeps_its_dtype(tmp_path, dtype, kept):
    X, y = _small_classification()
    clf = MLPClassifier((8,), max_iter=2, random_state=0, dtype=dtype).fit(X, y)
    gn.sklearn.save(clf, tmp_path / "clf.safetensors")
    loaded = gn.sklearn.load(tmp_path / "clf.safetensors")
    assert loaded.dtype == kept
    assert np.array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_diagnostics_are_recorded_on_request_and_change_nothing_else():
    X, y = make_classification(n_samples=120, n_features=6, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        off = MLPClassifier((8,), max_iter=4, random_state=0).fit(X, y)
        on = MLPClassifier((8,), max_iter=4, random_state=0, diagnostics=True).fit(X, y)
    assert not any(key.startswith("diag/") for key in off.history_.history)
    assert "diag/dead_relu/1" in on.history_.history and len(on.history_.history["diag/dead_relu/1"]) == 4
    assert np.array_equal(off.predict_proba(X), on.predict_proba(X))  # diagnostics only read


# ---------------------------------------------------------------------------- against scikit-learn
# Each test fits scikit-learn's MLP and glassnet's on the same data from the same random_state, so
# from the same initial weights (test_initial_weights_are_scikit_learns_own_draws), in float64;
# with at most 200 samples a batch is the whole data set, so the two see the same batches.

def _pair(sk_cls, ours_cls, **params):
    return sk_cls(**params), ours_cls(dtype="float64", **params)


@pytest.mark.parametrize("weighted", [False, True])
def test_lbfgs_follows_scikit_learns_solver(weighted):
    """The same L-BFGS-B run: n_iter_, loss_ (with alpha's term over Σw) and predictions."""
    X, y = _small_classification()
    w = np.random.default_rng(0).integers(1, 4, len(y)).astype(float) if weighted else None
    theirs, ours = _pair(SkMLPClassifier, MLPClassifier, hidden_layer_sizes=(8,), solver="lbfgs", alpha=1e-2,
                         max_iter=40, random_state=1)
    theirs.fit(X, y, sample_weight=w)
    ours.fit(X, y, sample_weight=w)
    assert abs(ours.n_iter_ - theirs.n_iter_) <= 1 and ours.n_iter_ > 5
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-3)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-3)
    assert not hasattr(ours, "partial_fit") and not hasattr(ours, "loss_curve_")
    assert len(ours.history_["loss"]) == ours.n_iter_
    assert ours.history_["loss"][-1] == pytest.approx(ours.loss_)


def test_lbfgs_regressor_warns_as_scikit_learn_and_needs_scipy(monkeypatch):
    X, y = _small_classification()
    theirs, ours = _pair(SkMLPRegressor, MLPRegressor, hidden_layer_sizes=(8,), solver="lbfgs", max_iter=5,
                         random_state=0)
    with pytest.warns(ConvergenceWarning) as sk_record:
        theirs.fit(X, y.astype(float))
    with pytest.warns(ConvergenceWarning) as gn_record:
        ours.fit(X, y.astype(float))
    assert str(gn_record[0].message) == str(sk_record[0].message)  # lbfgs failed to converge after 5 ...
    assert ours.n_iter_ == theirs.n_iter_ == 5 and ours.loss_ == pytest.approx(theirs.loss_, rel=1e-6)
    monkeypatch.setitem(sys.modules, "scipy.optimize", None)
    with pytest.raises(gn.GlassnetError, match=r"solver='lbfgs' needs SciPy.*glassnet\[data\]"):
        clone(ours).fit(X, y.astype(float))


@pytest.mark.parametrize(("schedule", "nesterov"), [("invscaling", True), ("adaptive", False)])
def test_sgd_schedules_with_momentum_follow_scikit_learns_curves(schedule, nesterov):
    """lr inside the velocity: the loss curves (and where 'adaptive' slows down) are scikit-learn's."""
    X, y = _small_classification()
    theirs, ours = _pair(SkMLPClassifier, MLPClassifier, hidden_layer_sizes=(16,), solver="sgd",
                         learning_rate=schedule, learning_rate_init=0.05, nesterovs_momentum=nesterov,
                         n_iter_no_change=2, tol=1e-3, max_iter=120, random_state=0)
    theirs.fit(X, y)
    ours.fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-6)
    assert ours._optimizer.param_groups[0]["lr"] == pytest.approx(theirs._optimizer.learning_rate)


def test_regressor_loss_is_scikit_learns_and_stops_at_the_same_epoch():
    """scikit-learn's MLPRegressor docstring example: ½·MSE + ½·alpha·Σ‖W‖²/n, tol on that loss."""
    from sklearn.datasets import make_regression

    X, y = make_regression(n_samples=200, n_features=20, random_state=1)
    X_train, _, y_train, _ = train_test_split(X, y, random_state=1)
    theirs, ours = _pair(SkMLPRegressor, MLPRegressor, random_state=1, max_iter=2000, tol=0.1)
    theirs.fit(X_train, y_train)
    ours.fit(X_train, y_train)
    assert abs(ours.n_iter_ - theirs.n_iter_) <= 0.01 * theirs.n_iter_  # 1574 epochs
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-2)
    np.testing.assert_allclose(ours.loss_curve_[:100], theirs.loss_curve_[:100], rtol=1e-6)


def test_multilabel_and_binary_losses_are_scikit_learns():
    X, Y = make_multilabel_classification(120, 8, n_classes=4, random_state=0)
    for y in (Y, Y[:, 0]):  # multi-label: the sum over labels of each one's mean log loss; binary
        theirs, ours = _pair(SkMLPClassifier, MLPClassifier, hidden_layer_sizes=(8,), alpha=0.1, max_iter=5,
                             random_state=0)
        theirs.fit(X, y)
        ours.fit(X, y)
        np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-6)


def _numbers_and_words(text):
    """The printed lines split into their words and their numbers."""
    import re

    lines = text.strip().splitlines()
    return ([re.sub(r"-?\d+\.\d+", "#", line) for line in lines],
            [float(n) for line in lines for n in re.findall(r"-?\d+\.\d+", line)])


@pytest.mark.parametrize("params", [dict(solver="sgd", learning_rate="adaptive", learning_rate_init=0.2), {}])
def test_verbose_prints_scikit_learns_lines(params, capsys):
    X, y = _small_classification()
    theirs, ours = _pair(SkMLPClassifier, MLPClassifier, hidden_layer_sizes=(8,), verbose=True, tol=1e-2,
                         n_iter_no_change=2, max_iter=40, random_state=0, **params)
    theirs.fit(X, y)
    sk_words, sk_numbers = _numbers_and_words(capsys.readouterr().out)
    ours.fit(X, y)
    gn_words, gn_numbers = _numbers_and_words(capsys.readouterr().out)
    assert gn_words == sk_words and sk_words[0] == "Iteration 1, loss = #"
    np.testing.assert_allclose(gn_numbers, sk_numbers, rtol=1e-5)
    assert any("Stopping." in line or "Setting learning rate" in line for line in gn_words)


def test_verbose_early_stopping_prints_validation_scores(capsys):
    X, y = _small_classification()
    MLPClassifier((8,), verbose=True, early_stopping=True, n_iter_no_change=2, tol=0.5, max_iter=20,
                  random_state=0).fit(X, y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("Iteration 1, loss = ") and lines[1].startswith("Validation score: ")
    assert lines[-1] == ("Validation score did not improve more than tol=0.500000 for 2 consecutive "
                         "epochs. Stopping.")


class _Interrupt(gn.train.Callback):
    """Raise ``error`` at the end of epoch ``at`` (an interrupted or failing fit)."""

    def __init__(self, error, at=2):
        self.error, self.at, self.epochs = error, at, 0

    def on_epoch_end(self, run, logs):
        self.epochs += 1
        if self.epochs == self.at:
            raise self.error


@pytest.mark.parametrize("error", [KeyboardInterrupt(), RuntimeError("boom")])
def test_a_fit_that_raises_leaves_the_estimator_as_it_was(error):
    from sklearn.exceptions import NotFittedError

    X, y = _small_classification()
    fresh = MLPClassifier((8,), max_iter=10, random_state=0, callbacks=[_Interrupt(error)])
    with pytest.raises(type(error)):
        fresh.fit(X, y)
    with pytest.raises(NotFittedError):
        fresh.predict_proba(X)
    assert not hasattr(fresh, "n_features_in_") and not hasattr(fresh, "loss_curve_")

    fitted = MLPClassifier((8,), max_iter=5, random_state=0, warm_start=True).fit(X, y)
    before = (fitted.predict_proba(X), list(fitted.loss_curve_), fitted.t_, fitted.n_iter_)
    optimizer = fitted._optimizer.state_dict()
    for attempt in (lambda: fitted.set_params(callbacks=[_Interrupt(error)]).fit(X, y),  # warm start
                    lambda: fitted.partial_fit(X, y),
                    lambda: fitted.fit(X[:, :3], y)):  # a bad input: another number of features
        with pytest.raises((type(error), ValueError)):
            fitted.set_params(callbacks=[_Interrupt(error, at=1)])
            attempt()
        fitted.set_params(callbacks=None)
        assert np.array_equal(fitted.predict_proba(X), before[0])
        assert (fitted.loss_curve_, fitted.t_, fitted.n_iter_) == tuple(before[1:])
        for p, saved in zip(fitted._optimizer.state.values(), optimizer["state"].values(), strict=True):
            assert np.array_equal(p["exp_avg"], saved["exp_avg"])
    fitted.partial_fit(X, y)  # it goes on as before
    assert fitted.t_ == before[2] + len(X)


def test_a_diverging_fit_raises_and_leaves_the_estimator_unfitted():
    from sklearn.exceptions import NotFittedError

    X, y = _small_classification()
    reg = MLPRegressor(hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=10.0, random_state=0)
    with pytest.raises(gn.GlassnetError, match="the loss became inf"):
        reg.fit(X * 1e3, y * 1e6)
    with pytest.raises(NotFittedError):
        reg.predict(X)
