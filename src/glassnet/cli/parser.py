"""The command line: argparse subcommands, the train settings' defaults, and config files merged under them.

A setting comes from, in increasing priority: ``TRAIN_DEFAULTS``, the ``--config`` file (TOML or
JSON, the same keys with underscores or dashes), then the options given on the command line.
"""

from __future__ import annotations

import argparse
import json
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from glassnet.errors import GlassnetError

__all__ = ["TRAIN_DEFAULTS", "UsageError", "build_parser", "load_config", "parse", "train_settings"]


class UsageError(GlassnetError):
    """A command line argparse cannot parse (unknown option, missing argument, bad value)."""


# ----------------------------------------------------------------------------- value converters
def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a non-empty string, got {value!r}")
    return value.strip()


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str | float):
        raise ValueError(f"expected an integer, got {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"expected an integer, got {value!r}") from None
    if not number.is_integer():
        raise ValueError(f"expected an integer, got {value!r}")
    return int(number)


def _count(value: Any) -> int:
    n = _int(value)
    if n < 1:
        raise ValueError(f"expected a whole number >= 1, got {value!r}")
    return n


def _seed(value: Any) -> int:
    n = _int(value)
    if not 0 <= n < 2**63:
        raise ValueError(f"expected a seed from 0 to 2**63 - 1, got {value!r}")
    return n


def _patience(value: Any) -> int:
    n = _int(value)
    if n < 0:
        raise ValueError(f"expected a patience >= 0 (0 turns early stopping off), got {value!r}")
    return n


def _nonnegative(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"expected a number, got {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"expected a number, got {value!r}") from None
    if not number >= 0.0 or number == float("inf"):
        raise ValueError(f"expected a finite number >= 0, got {value!r}")
    return number


def _positive(value: Any) -> float:
    number = _nonnegative(value)
    if number == 0.0:
        raise ValueError(f"expected a number > 0, got {value!r}")
    return number


def _probability(value: Any) -> float:
    number = _nonnegative(value)
    if number >= 1.0:
        raise ValueError(f"expected a dropout probability in [0, 1), got {value!r}")
    return number


def _items(value: Any) -> list[Any]:
    """'64,32' or [64, 32] as a list; '' or [] as an empty list."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list):
        return value
    raise ValueError(f"expected a comma-separated string or a list, got {value!r}")


def _layers(value: Any) -> list[int]:
    return [_count(size) for size in _items(value)]


def _names(value: Any) -> list[str]:
    names = [_text(name).lower() for name in _items(value)]
    if not names:
        raise ValueError("expected at least one name")
    return names


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _verbosity(value: Any) -> int:
    n = _int(value)
    if n not in (0, 1, 2):
        raise ValueError(f"expected 0 (quiet), 1 (progress) or 2 (one line per epoch), got {value!r}")
    return n


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


# ----------------------------------------------------------------------------- train settings
TRAIN_DEFAULTS: dict[str, Any] = {
    "data": "digits", "target": None, "layers": [256], "activation": ["relu"], "loss": None,
    "optimizer": "adam", "lr": None, "l1": 0.0, "l2": 0.0, "weight_decay": None, "dropout": 0.0,
    "epochs": 100, "batch_size": 32, "early_stopping": 10, "seed": 0, "out": None, "no_report": False,
    "verbose": 1,
}  # fmt: skip

_CONVERT: dict[str, Callable[[Any], Any]] = {
    "data": _text, "target": _optional_text, "layers": _layers, "activation": _names,
    "loss": _optional_text, "optimizer": _text, "lr": _positive, "l1": _nonnegative, "l2": _nonnegative,
    "weight_decay": _nonnegative, "dropout": _probability, "epochs": _count, "batch_size": _count,
    "early_stopping": _patience, "seed": _seed, "out": _optional_text, "no_report": _flag,
    "verbose": _verbosity,
}  # fmt: skip

_HELP: dict[str, str] = {
    "data": "a built-in data set (see 'glassnet datasets') or a .csv/.npy/.npz file (default digits)",
    "target": "the target column of a CSV file (default: the last column)",
    "layers": "hidden layer sizes, e.g. 64,32; '' for none (default 256)",
    "activation": "one activation, or one per hidden layer: relu,tanh (default relu)",
    "loss": "default cross_entropy for classification, mse for regression",
    "optimizer": "default adam", "lr": "learning rate (default: the optimizer's own)",
    "l1": "L1 penalty l1·Σ|w| added to the loss (default 0)",
    "l2": "L2 penalty l2·Σw² added to the loss (default 0)",
    "weight_decay": "the optimizer's weight decay (default: the optimizer's own)",
    "dropout": "dropout probability after each hidden layer (default 0)",
    "epochs": "most passes over the training data (default 100)", "batch_size": "default 32",
    "early_stopping": "stop after this many epochs in a row without a better validation loss (Keras's "
                      "patience), best weights restored; 0 = off (default 10)",
    "seed": "seed of the split, the initial weights and the shuffling (default 0)",
    "out": "the run folder (default runs/<data>-<YYYYmmdd-HHMMSS>)",
}  # fmt: skip


def _argtype(convert: Callable[[Any], Any]) -> Callable[[str], Any]:
    """A converter for argparse: its ValueError message becomes argparse's error message."""

    def parse(text: str) -> Any:
        try:
            return convert(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None

    parse.__name__ = convert.__name__.lstrip("_")
    return parse


def load_config(path: str | Path) -> dict[str, Any]:
    """The settings in a TOML or JSON config file, converted and checked like command-line options."""
    p = Path(path)
    if p.suffix.lower() not in (".toml", ".json"):
        raise GlassnetError(f"config file {str(p)!r} must end in .toml or .json")
    text = p.read_text(encoding="utf-8")
    try:
        raw = tomllib.loads(text) if p.suffix.lower() == ".toml" else json.loads(text)
    except ValueError as e:
        raise GlassnetError(f"config file {str(p)!r} is not valid {p.suffix[1:].upper()}: {e}") from None
    except RecursionError:
        raise GlassnetError(f"config file {str(p)!r} nests tables or lists too deeply to read; a config "
                            "is one flat table of settings") from None
    if not isinstance(raw, dict):
        raise GlassnetError(f"config file {str(p)!r} must hold a table of settings, got {type(raw).__name__}")
    settings = {}
    for key, value in raw.items():
        name = str(key).replace("-", "_")
        if name not in _CONVERT:
            raise GlassnetError(f"config file {str(p)!r}: unknown key {key!r}; valid keys are "
                                f"{', '.join(sorted(_CONVERT))}")
        try:
            settings[name] = _CONVERT[name](value)
        except ValueError as e:
            raise GlassnetError(f"config file {str(p)!r}: {key} = {value!r}: {e}") from None
    return settings


def train_settings(given: dict[str, Any]) -> dict[str, Any]:
    """Every train setting: the defaults, overridden by the config file, overridden by the options."""
    settings = dict(TRAIN_DEFAULTS)
    if given.get("config") is not None:
        settings |= load_config(given["config"]) | {"config": str(given["config"])}
    return settings | {k: v for k, v in given.items() if k in _CONVERT}


# ----------------------------------------------------------------------------- argparse
class _Parser(argparse.ArgumentParser):
    """argparse, but a mistake raises UsageError (printed as one line by main) instead of exiting."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)  # --epoch is a mistake, not --epochs
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("glassnet").strip()
        raise UsageError(f"{command + ': ' if command else ''}{message} (see '{self.prog} --help')")


def _add_train(commands: Any) -> None:
    p = commands.add_parser("train", help="train a network and write a run folder",
                            argument_default=argparse.SUPPRESS,
                            description="Train a network; every option may also come from --config.")
    for key in _HELP:
        p.add_argument(f"--{key.replace('_', '-')}", dest=key, type=_argtype(_CONVERT[key]),
                       help=_HELP[key], metavar=key.upper())
    p.add_argument("--config", help="a TOML or JSON file of settings (options given here override it)")
    p.add_argument("--resume", metavar="RUN", help="continue the run in folder RUN where its last "
                   "checkpoint left it, with its own settings (only -q/-v and --distributed may be given)")
    p.add_argument("--no-report", dest="no_report", action="store_true", help="do not write report.html")
    p.add_argument("--distributed", action="store_true", help="one rank of 'mpiexec -n N glassnet train "
                   "... --distributed': N processes train one model, rank 0 writes (needs glassnet[mpi])")
    p.add_argument("-v", "--verbose", dest="verbose", action="store_const", const=2,
                   help="one line per epoch")
    p.add_argument("-q", "--quiet", dest="verbose", action="store_const", const=0, help="no progress")


def _digits(value: Any) -> int:
    n = _int(value)
    if not 1 <= n <= 17:
        raise ValueError(f"expected 1 to 17 significant digits (17 shows a float64 exactly), got {value!r}")
    return n


def _classes(value: Any) -> int:
    n = _int(value)
    if not 2 <= n <= 20:
        raise ValueError(f"expected 2 to 20 classes, got {value!r}")
    return n


def _add_explain(commands: Any) -> None:
    p = commands.add_parser("explain", help="derive one training step with its numbers",
                            description="One training step (forward, loss, backward, update) with every "
                                        "formula and its numbers; by default the 2-2-1 sigmoid network "
                                        "on the XOR sample x = (1, 0), y = 1 with MSE and SGD(lr=0.5), "
                                        "the classic worked example.")
    p.add_argument("--layers", type=_argtype(_layers), default=[2], help="hidden layer sizes (default 2)")
    p.add_argument("--activation", type=_argtype(_text), default="sigmoid", help="default sigmoid")
    p.add_argument("--classes", type=_argtype(_classes), default=None,
                   help="N classes: N softmax outputs and cross-entropy, on the seeded N-arm spirals "
                        "(4 points per class; XOR for 2)")
    p.add_argument("--loss", type=_argtype(_text), default=None,
                   help="default mse (cross_entropy with --classes); with --model, the run's own")
    p.add_argument("--var", type=_argtype(_positive), default=None,
                   help="the predicted variance for --loss gaussian_nll (default 1)")
    p.add_argument("--optimizer", type=_argtype(_text), default=None,
                   help="default sgd; with --model, the run's own")
    p.add_argument("--lr", type=_argtype(_positive), default=None,
                   help="learning rate (default: the optimizer's own, or with --model the run's; 0.5 for "
                        "SGD on the built-in sample, the classic example's rate: with SGD's own 0.001 "
                        "the first layer's weights would not move within 4 digits)")
    p.add_argument("--l1", type=_argtype(_nonnegative), default=None,
                   help="L1 penalty (default 0; with --model, the run's)")
    p.add_argument("--l2", type=_argtype(_nonnegative), default=None,
                   help="L2 penalty (default 0; with --model, the run's)")
    p.add_argument("--sample", type=_argtype(_int), default=None,
                   help="which sample: 0-3 of XOR (default 2: x = (1, 0)), 0 to 4N-1 of the --classes N "
                        "spirals (default 0), or a row of --data (default 0)")
    p.add_argument("--model", help="a model.safetensors file written by 'glassnet train' (needs --data)")
    p.add_argument("--data", help="a built-in data set or a data file, with --model")
    p.add_argument("--digits", type=_argtype(_digits), default=4,
                   help="significant digits of the numbers shown, 1 to 17 (default 4)")
    p.add_argument("--format", choices=("text", "md", "html"), default="text",
                   help="text (default), md, or html (one self-contained page, math typeset offline)")
    p.add_argument("--all", dest="show_all", action="store_true", help="show every row and column")


def build_parser() -> argparse.ArgumentParser:
    """The ``glassnet`` parser with its subcommands train, evaluate, predict, datasets, explain, export,
    report and playground."""
    parser = _Parser(prog="glassnet", description="Neural networks whose math you can see.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_train(commands)
    ev = commands.add_parser("evaluate", help="loss and metrics of a saved model on data")
    ev.add_argument("model", help="a model.safetensors file written by 'glassnet train'")
    ev.add_argument("data", help="a built-in data set name or a data file")
    ev.add_argument("--target", help="the target column of a CSV file (default: the training one)")
    pr = commands.add_parser("predict", help="predictions of a saved model for a CSV file")
    pr.add_argument("model", help="a model.safetensors file written by 'glassnet train'")
    pr.add_argument("input", help="a CSV file with a header; a target column, if present, is ignored")
    pr.add_argument("-o", "--output", help="the CSV file to write (default: standard output)")
    commands.add_parser("datasets", help="list the built-in data sets")
    _add_explain(commands)
    ex = commands.add_parser("export", help="write a saved model as an ONNX file")
    ex.add_argument("model", help="a run folder written by 'glassnet train', or a model file")
    ex.add_argument("-o", "--output", required=True, help="the ONNX file to write, e.g. model.onnx")
    ex.add_argument("--opset", type=_argtype(_int), default=None, help="the ONNX opset, 17 (default) to 23")
    rep = commands.add_parser("report", help="rebuild report.html of a run folder")
    rep.add_argument("run_dir", help="a run folder written by 'glassnet train'")
    _add_playground(commands)
    return parser


def _port(value: Any) -> int:
    n = _int(value)
    if not 0 <= n <= 65535:
        raise ValueError(f"expected a port number from 0 to 65535 (0: any free port), got {value!r}")
    return n


def _add_playground(commands: Any) -> None:
    p = commands.add_parser("playground", help="train a small network interactively in the browser",
                            description="Start the playground on this machine (127.0.0.1 only) and open it "
                                        "in the browser: TensorFlow Playground's network, trained by "
                                        "glassnet; see docs/playground.md.")
    p.add_argument("--port", type=_argtype(_port), default=0, help="the port (default: any free one)")
    p.add_argument("--no-browser", dest="no_browser", action="store_true",
                   help="only print the URL; do not open a browser")
    p.add_argument("--seed", type=_argtype(_seed), default=0,
                   help="the first seed of the initial weights and batches (default 0)")


def parse(argv: list[str] | None) -> dict[str, Any]:
    """The parsed command line as a dict; an argument no command knows is a UsageError."""
    parsed, unknown = build_parser().parse_known_args(argv)
    args = vars(parsed)
    if unknown:
        raise UsageError(f"{args['command']}: unrecognized arguments: {' '.join(unknown)} "
                         f"(see 'glassnet {args['command']} --help')")
    return args
