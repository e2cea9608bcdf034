"""Importing glassnet changes nothing outside it; the allocator setting is an opt-in, with its undo."""

from __future__ import annotations

import subprocess
import sys

import pytest

from glassnet.engine import memory

_SPY = """
import ctypes
calls = []
real = ctypes.CDLL
class Spy:
    def __init__(self, *args, **kwargs):
        self.library = real(*args, **kwargs)
    def __getattr__(self, name):
        calls.append(name)
        return getattr(self.library, name)
ctypes.CDLL = Spy
import glassnet, glassnet.cli, glassnet.report, glassnet.sklearn, glassnet.explain
print(sorted(set(calls) & {"mallopt", "malloc_trim"}))
"""


def test_importing_glassnet_changes_no_setting_of_the_process() -> None:
    out = subprocess.run([sys.executable, "-c", _SPY], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt exists on Linux only")
def test_the_command_which_owns_its_process_opts_in() -> None:
    run_command = _SPY.replace("print(", "import sys; sys.argv = ['glassnet', 'datasets']\n"
                                          "from glassnet.cli import console\ntry:\n    console()\n"
                                          "except SystemExit:\n    pass\nprint(", 1)
    out = subprocess.run([sys.executable, "-c", run_command], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "['mallopt']"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt exists on Linux only")
def test_glibc_takes_the_setting_and_its_undo() -> None:
    assert memory.keep_freed_memory() is True
    assert memory.release_freed_memory() is True  # glibc's own setting again


def test_other_platforms_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory.sys, "platform", "darwin")
    assert memory.keep_freed_memory() is False
