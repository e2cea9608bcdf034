"""Hostile model files: loading takes time linear in the file, and damaged bytes never load silently."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import GlassnetError
from glassnet.io.model import load_state_dict, save_state_dict
from glassnet.io.safetensors import CHECKSUM_KEY, load_tensors, save_tensors
from glassnet.io.state import load_state, save_state
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


# ----------------------------------------------------------------------------- seeded bit flips
# --fuzz-flips (default 300; each load takes about a millisecond, so CI's run stays under a few
# seconds) and --fuzz-seed choose the campaign: `pytest tests/robustness --fuzz-flips 20000` for more


def _model_file(path: Path) -> bytes:
    net = gn.nn.Sequential(gn.nn.Linear(4, 8, generator=0), gn.nn.ReLU(), gn.nn.Linear(8, 3, generator=1))
    gn.save(net, path, classes=["a", "b", "c"], history={"loss": [0.9, 0.5]},
            extra={"feature_names": ["w", "x", "y", "z"]})
    return path.read_bytes()


def _flips(original: bytes, n: int, seed: int) -> Iterator[tuple[int, int, bytes]]:
    """``n`` copies of ``original``, each with one bit flipped at a seeded position."""
    rng = np.random.default_rng(seed)
    for _ in range(n):
        position, bit = int(rng.integers(len(original))), int(rng.integers(8))
        damaged = bytearray(original)
        damaged[position] ^= 1 << bit
        yield position, bit, bytes(damaged)


@pytest.mark.parametrize("kind", ["model", "checkpoint", "weights"])
def test_every_flipped_bit_is_refused_with_one_line_naming_the_file(tmp_path: Path, kind: str,
                                                                    fuzz_flips: tuple[int, int]) -> None:
    source = tmp_path / "source.safetensors"
    if kind == "model":
        original = _model_file(source)
    elif kind == "checkpoint":
        save_state(source, {"epoch": 3, "m": np.arange(6.0).reshape(2, 3), "lr": 0.01})
        original = source.read_bytes()
    else:
        save_state_dict(gn.nn.Sequential(gn.nn.Linear(3, 2, generator=0)), source)
        original = source.read_bytes()
    loaders = {"model": gn.load, "checkpoint": load_state, "weights": load_state_dict}
    loader, damaged_path = loaders[kind], tmp_path / "damaged.safetensors"
    by_checksum = 0
    n_flips, seed = fuzz_flips
    n_flips = n_flips if kind == "model" else max(1, n_flips // 3)
    for position, bit, damaged in _flips(original, n_flips, seed):
        damaged_path.write_bytes(damaged)
        with pytest.raises(GlassnetError) as e:
            loader(damaged_path)
            pytest.fail(f"byte {position} bit {bit}: loaded without a word")
        message = str(e.value)
        assert "damaged.safetensors" in message and "\n" not in message, (position, bit, message)
        by_checksum += "checksum" in message
    assert by_checksum > 0  # flips in the tensor bytes parse fine: only the checksum can tell


def test_a_file_without_a_checksum_still_loads(tmp_path: Path) -> None:
    # files saved before checksums existed, or by another safetensors writer, load as before
    path = tmp_path / "model.safetensors"
    _model_file(path)
    tensors, metadata = load_tensors(path)
    save_tensors(path, tensors, metadata)  # the same file without the checksum entry
    assert CHECKSUM_KEY not in load_tensors(path)[1]
    assert gn.load(path).classes == ["a", "b", "c"]


def test_a_changed_weight_is_caught_by_the_checksum(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    original = _model_file(path)
    tensors, _ = load_tensors(path)
    at = original.index(tensors["0.weight"].tobytes())  # the first weight's bytes in the file
    damaged = bytearray(original)
    damaged[at + 3] ^= 0x01  # the lowest exponent bit of the first float32 weight
    path.write_bytes(bytes(damaged))
    with pytest.raises(GlassnetError, match=r"model\.safetensors.*do not match the checksum"):
        gn.load(path)
