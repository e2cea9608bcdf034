"""Options of the test suite: how many seeded mutations the loader fuzzing tries (CI runs the default)."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--fuzz-flips", type=int, default=300,
                     help="bit flips per model file in tests/robustness/test_files_fuzz.py (default 300; "
                          "a third of it for checkpoints and state_dicts); more on demand, e.g. 20000")
    parser.addoption("--fuzz-seed", type=int, default=15, help="the seed of those bit flips (default 15)")


@pytest.fixture
def fuzz_flips(request: pytest.FixtureRequest) -> tuple[int, int]:
    """(bit flips per model file, seed), from --fuzz-flips and --fuzz-seed."""
    n, seed = request.config.getoption("--fuzz-flips"), request.config.getoption("--fuzz-seed")
    if n < 1:
        raise pytest.UsageError(f"--fuzz-flips must be at least 1, got {n}")
    return n, seed
