"""The allocator setting glassnet applies at import, and its undo."""

from __future__ import annotations

import sys

import pytest

from glassnet.engine import memory


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt exists on Linux only")
def test_glibc_takes_the_setting_and_its_undo() -> None:
    assert memory.release_freed_memory() is True
    assert memory.keep_freed_memory() is True  # what `import glassnet` did


def test_other_platforms_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory.sys, "platform", "darwin")
    assert memory.keep_freed_memory() is False
