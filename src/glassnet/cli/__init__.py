"""The ``glassnet`` command: train, evaluate, predict, datasets, explain, export, report and
playground (see docs/cli.md).

``main(argv)`` returns the exit status: 0 on success, 2 for a user mistake, which is printed as one
line ``glassnet: error: ...`` on standard error, never as a traceback. ``console()`` is the
command itself (``glassnet`` and ``python -m glassnet``): it owns its process, so it also keeps
freed memory for reuse (``glassnet.engine.memory``), which a library never does on its own.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from glassnet.cli import commands, explaining, exporting
from glassnet.cli.parser import parse, train_settings
from glassnet.engine import memory
from glassnet.errors import GlassnetError

__all__ = ["console", "main"]

USAGE_ERROR = 2


def _run(args: dict[str, Any]) -> int:
    """Dispatch the parsed arguments to their command."""
    command = args["command"]
    if command == "train" and "resume" in args:
        return commands.resume(args)
    if command == "train":
        return commands.train(train_settings(args), distributed=bool(args.get("distributed")))
    if command == "evaluate":
        return commands.evaluate(args["model"], args["data"], args.get("target"))
    if command == "predict":
        return commands.predict_file(args["model"], args["input"], args.get("output"))
    if command == "datasets":
        return commands.datasets()
    if command == "explain":
        return explaining.explain(args)
    if command == "export":
        return exporting.export(args["model"], args["output"], args["opset"])
    if command == "playground":
        return commands.playground(args["port"], not args["no_browser"], args["seed"])
    return commands.report(args["run_dir"])


def main(argv: list[str] | None = None) -> int:
    """Run the glassnet command line with ``argv`` (default: sys.argv[1:]); returns the exit status."""
    try:
        args = parse(argv)
    except SystemExit as e:  # --help prints and exits 0
        return e.code if isinstance(e.code, int) else 0
    except GlassnetError as e:
        return _fail(e)
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # a diverged run is reported once
            return _run(args)
    except (GlassnetError, OSError, ValueError) as e:
        return _fail(e)
    except KeyboardInterrupt:
        print("glassnet: interrupted", file=sys.stderr)
        return 130


def console() -> None:
    """The ``glassnet`` command: the process's allocator keeps freed buffers, then ``main()``."""
    memory.keep_freed_memory()  # large per-step temporaries reused, not page-faulted anew
    raise SystemExit(main())


def _fail(error: Exception) -> int:
    """Print one line ``glassnet: error: <message>`` on standard error; the status of a user mistake."""
    message = " ".join(str(error).split()) or type(error).__name__
    if isinstance(error, OSError) and error.filename is not None and error.strerror:
        message = f"{error.strerror}: {error.filename!s}"
    print(f"glassnet: error: {message}", file=sys.stderr)
    return USAGE_ERROR
