"""Launch the profile of a glassnet training step: ``python bench/profile.py [--quick] [--out PATH]``.

The work is in bench/profiling.py. This file's name is also the standard library's ``profile``
module, which ``cProfile`` imports (and torch imports cProfile lazily): any script in bench/ has
bench/ first on its path, so an ``import profile`` lands here. Imported that way, this file hands
over the standard library's module instead, so nothing is shadowed.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import sysconfig
from pathlib import Path


def _standard_profile() -> None:
    """Load the standard library's profile module and put it in this module's place."""
    source = Path(sysconfig.get_path("stdlib")) / "profile.py"
    spec = importlib.util.spec_from_file_location("profile", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["profile"] = module
    spec.loader.exec_module(module)
    globals().update({k: v for k, v in vars(module).items() if not k.startswith("__")})


if __name__ == "__main__":
    importlib.import_module("profiling").main()
else:
    _standard_profile()
