"""Hostile model files: loading takes time linear in the file, and damaged bytes never load silently."""

from __future__ import annotations

from pathlib import Path

import pytest

import glassnet as gn
from glassnet.nn import module as module_file


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
