"""Hostile model files: loading takes time linear in the file, and damaged bytes never load silently."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import GlassnetError
from glassnet.nn import module as module_file
from glassnet.sklearn import MLPClassifier
from glassnet.sklearn import load as load_estimator
from glassnet.sklearn import save as save_estimator


def _visits_to_load(tmp_path: Path, n: int, monkeypatch: pytest.MonkeyPatch) -> int:
    """How many modules the tree walks visit while loading a file of ``n`` ReLUs."""
    path = tmp_path / f"relus{n}.safetensors"
    gn.save(gn.nn.Sequential(*[gn.nn.ReLU() for _ in range(n)]), path)
    count = [0]
    original = module_file._collect_modules

    def counting(*args: object) -> None:
        count[0] += 1
        original(*args)  # type: ignore[arg-type]

    with monkeypatch.context() as patch:
        patch.setattr(module_file, "_collect_modules", counting)
        loaded = gn.load(path)
    assert len(loaded.model) == n
    return count[0]


def test_loading_visits_each_module_a_bounded_number_of_times(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # quadratic loading (append walking all children) made 10,000 ReLUs take 22 s; the work must
    # grow as the file does: 4x the layers, about 4x the visits, and a few visits per module
    small, large = (_visits_to_load(tmp_path, n, monkeypatch) for n in (500, 2000))
    assert large <= 4 * small + 16
    assert large <= 10 * 2000


def test_len_and_append_do_not_walk_the_children(monkeypatch: pytest.MonkeyPatch) -> None:
    net = gn.nn.Sequential(*[gn.nn.ReLU() for _ in range(100)])
    def refuse(*args: object) -> None:
        raise AssertionError("walked the children")
    monkeypatch.setattr(module_file, "_collect_modules", refuse)
    monkeypatch.setattr(type(net), "_items", refuse)
    for _ in range(10):
        net.append(gn.nn.ReLU())
    assert len(net) == 110


@pytest.fixture(scope="module")
def fitted_classifier() -> MLPClassifier:
    X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1])
    return MLPClassifier((3,), max_iter=5, random_state=0).fit(X, y)


def _resave(clf: MLPClassifier, path: Path, *, params: object = None, extra: object = None) -> None:
    """The estimator's file, with its params or fitted attributes replaced (as a hostile file would)."""
    save_estimator(clf, path)
    loaded = gn.load(path)
    hyper = dict(loaded.hyperparameters)
    if params is not None:
        hyper["params"] = params
    gn.save(loaded.model, path, classes=loaded.classes, history=loaded.history, hyperparameters=hyper,
            extra=loaded.extra if extra is None else extra)


@pytest.mark.parametrize("extra", [{"predict": "hijacked"}, {"__class__": "x"}, {"model_": 1}, [1, 2]])
def test_estimator_file_cannot_set_other_attributes(tmp_path: Path, fitted_classifier: MLPClassifier,
                                                  extra: object) -> None:
    path = tmp_path / "clf.safetensors"
    _resave(fitted_classifier, path, extra=extra)
    with pytest.raises(GlassnetError, match=r"clf\.safetensors.*extra"):
        load_estimator(path)


def test_estimator_file_with_unknown_params_is_a_clear_error(tmp_path: Path,
                                                              fitted_classifier: MLPClassifier) -> None:
    path = tmp_path / "clf.safetensors"
    params = dict(gn.load(_saved(fitted_classifier, path)).hyperparameters["params"], bogus=1)
    _resave(fitted_classifier, path, params=params)
    with pytest.raises(GlassnetError, match=r"clf\.safetensors.*unknown fields \['bogus'\]"):
        load_estimator(path)
    _resave(fitted_classifier, path, params="nope")
    with pytest.raises(GlassnetError, match="expected a dict"):
        load_estimator(path)


def _saved(clf: MLPClassifier, path: Path) -> Path:
    save_estimator(clf, path)
    return path
