"""A generated sweep of command-line mistakes: every option of every command, read from the CLI's own parser.

``build_parser()``'s subcommands and their actions are walked; each option (and positional) gets
the bad values of its kind (``VALUES``: negative, zero, nan, inf and text for a number; an unknown
name; an unknown choice; a missing file, a folder instead of a file, an empty file), and each key
of a ``--config`` file the bad values of JSON (``CONFIG_VALUES``). The verdict for each: exit 0
(a legal value, the command worked) or exit 2 with exactly one line on standard error, starting
``glassnet: error: `` and naming the option (or config key) or the file; never a traceback (an
exception out of ``main``), never another status, never advice a command-line user cannot follow.
An option added to the parser is swept as it is.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import glassnet.playground.server as playground_server
from glassnet.cli import main
from glassnet.cli.parser import build_parser


def run(argv: list[str]) -> tuple[int, str, str]:
    """main(argv) in-process with its standard output and error captured."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


# the bad values of each kind of option, by label; {missing}, {folder}, {empty} are paths made per case
VALUES: dict[str, dict[str, str]] = {
    "integer": {"negative": "-1", "zero": "0", "nan": "nan", "inf": "inf", "text": "abc", "fraction": "2.5"},
    "number": {"negative": "-1", "zero": "0", "nan": "nan", "inf": "inf", "text": "abc"},
    "sizes": {"negative": "-1", "zero": "0", "nan": "nan", "inf": "inf", "text": "abc", "empty item": "4,,x"},
    "name": {"unknown": "no_such_name", "number": "5", "blank": " "},
    "choice": {"unknown": "no_such_choice"},
    "path": {"missing": "{missing}", "folder": "{folder}", "empty": "{empty}",
             "unknown name": "no_such_name"},
}  # fmt: skip
_INTEGERS = {"int", "count", "seed", "patience", "verbosity", "digits", "classes"}
_NUMBERS = {"positive", "nonnegative", "probability"}
ADVICE = ("allow_pickle", "delimiter=", "model.double", "pass validation_split")  # API advice, not the CLI's


def kind_of(action: argparse.Action) -> str | None:
    """The kind of values an option takes, from its converter's name, its choices and its help."""
    if action.nargs == 0 or isinstance(action, argparse._HelpAction):  # flags: nothing to get wrong
        return None
    if action.choices:
        return "choice"
    name = getattr(action.type, "__name__", "")
    if name in _INTEGERS:
        return "integer"
    if name in _NUMBERS:
        return "number"
    if name == "layers":
        return "sizes"
    helps = action.help or ""
    first = helps.split(";")[0]  # "the target column of a CSV file" names a column, not a file
    if ("file" in first or "folder" in first) and "column" not in first:
        return "path"
    return "name"


def commands() -> dict[str, argparse.ArgumentParser]:
    """Each subcommand's parser, from the CLI's own."""
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def options() -> list[tuple[str, argparse.Action]]:
    """(command, action) for every option and positional of every subcommand that takes a value."""
    return [(command, action) for command, p in commands().items() for action in p._actions
            if kind_of(action) is not None]


# A command line that works, per command; {run}, {model}, {data}, {fresh} are filled in per case.
BASE: dict[str, list[str]] = {
    "train": ["train", "--data", "{data}", "--layers", "3", "--epochs", "2", "--no-report", "-q",
              "--out", "{fresh}"],
    "evaluate": ["evaluate", "{model}", "{data}"],
    "predict": ["predict", "{model}", "{data}"],
    "explain": ["explain", "--digits", "3"],
    "report": ["report", "{run}"],
    "export": ["export", "{model}", "-o", "{fresh}.onnx"],
    "playground": ["playground", "--no-browser"],  # its server is not started here (see the test)
}
# what an option needs beside it; and options whose command line is the option alone
NEEDS: dict[tuple[str, str], list[str]] = {
    ("explain", "model"): ["--data", "{data}"], ("explain", "data"): ["--model", "{model}"],
    ("explain", "var"): ["--loss", "gaussian_nll"],
    ("explain", "sample"): ["--model", "{model}", "--data", "{data}"],
}  # fmt: skip
ALONE = {("train", "resume"): ["train"]}
SUFFIX = {"config": ".json", "model": ".safetensors", "run_dir": "", "resume": "", "out": "",
          "output": ".onnx"}


def _data_csv(rows: int = 24) -> str:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, 2)).round(3)
    return "a,b,kind\n" + "".join(f"{a:g},{b:g},{'p' if a * b > 0 else 'n'}\n" for a, b in X)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A data file, a run folder with its model, trained once for the whole sweep."""
    d = tmp_path_factory.mktemp("sweep_cli")
    (d / "data.csv").write_text(_data_csv())
    code, _, err = run(["train", "--data", str(d / "data.csv"), "--layers", "3", "--epochs", "2", "-q",
                        "--no-report", "--out", str(d / "run")])
    assert code == 0, err
    return {"data": str(d / "data.csv"), "run": str(d / "run"), "model": str(d / "run" / "model.safetensors")}


def _cases() -> list[tuple[str, str, str, str, str, str]]:
    """(id, command, dest, option string, kind, value) for every option and bad value."""
    found = []
    for command, action in options():
        flag = action.option_strings[-1] if action.option_strings else ""
        kind = kind_of(action) or ""
        for label, value in VALUES[kind].items():
            case_id = f"{command}-{flag or action.dest}={label}"
            found.append((case_id, command, action.dest, flag, kind, value))
    return found


CASES = _cases()


def _argv(command: str, dest: str, flag: str, value: str, fields: dict[str, str]) -> list[str]:
    """The base command line with the option set to the bad value (replacing the base's own)."""
    base = ALONE.get((command, dest), BASE[command])
    positionals = [a.dest for c, a in options() if c == command and not a.option_strings]
    argv = list(base)
    if flag in argv:
        del argv[argv.index(flag):argv.index(flag) + 2]
    if flag:
        argv += [flag, value]
    else:  # a positional: its place in the base command line
        argv[1 + positionals.index(dest)] = value
    argv += NEEDS.get((command, dest), [])
    return [a.format(**fields) for a in argv]


def _fields(trained: dict[str, str], folder: Path, dest: str) -> dict[str, str]:
    suffix = SUFFIX.get(dest, ".csv")
    (folder / f"empty{suffix}").write_text("")
    (folder / "folder").mkdir()
    return trained | {"fresh": str(folder / "fresh"), "missing": str(folder / f"missing{suffix}"),
                      "folder": str(folder / "folder"), "empty": str(folder / f"empty{suffix}")}


def _verdict(code: int, err: str, named: tuple[str, ...], case: str) -> None:
    """Exit 0, or 2 with one line naming one of ``named`` (an option, a setting's name as a word, a file)."""
    assert code in (0, 2), f"{case}: exit {code}: {err}"
    if code == 2:
        assert err.startswith("glassnet: error: ") and err.count("\n") == 1, f"{case}: {err!r}"
        found = [n for n in named if n and re.search(rf"(?<![\w-]){re.escape(n)}(?!\w)", err)]
        assert found, f"{case}: the message names none of {named}: {err}"
        assert not any(advice in err for advice in ADVICE), f"{case}: advice the CLI cannot follow: {err}"


@pytest.mark.parametrize(("command", "dest", "flag", "kind", "value"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_a_bad_option_exits_2_in_one_line_or_works(trained: dict[str, str], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch, command: str, dest: str,
                                                   flag: str, kind: str, value: str) -> None:
    monkeypatch.chdir(tmp_path)  # a relative name (no_such_name) is made here, not in the repository
    if command == "playground":  # the options are checked; a legal one would serve until interrupted
        monkeypatch.setattr(playground_server, "serve", lambda **options: None)
    fields = _fields(trained, tmp_path, dest)
    argv = _argv(command, dest, flag, value, fields)
    code, _, err = run(argv)  # an exception out of main fails the test: a traceback for a user
    given = value.format(**fields)
    file = Path(given).name if kind == "path" else ""
    _verdict(code, err, (flag, dest.replace("_", " "), file), " ".join(argv))


def test_every_command_is_swept() -> None:
    swept = {command for _, command, *_ in CASES}
    assert swept == set(BASE) | {"train"}, swept  # 'datasets' takes no option


# ----------------------------------------------------------------------------- config files
CONFIG_VALUES: dict[str, Any] = {
    "-1": -1, "0": 0, "nan text": "nan", "huge": 1e400, "null": None, "list": [1], "table": {"a": 1},
    "true": True, "text": "abc", "empty text": "",
}  # fmt: skip


def _config_keys() -> list[str]:
    """The settings a config file may hold: every option of 'train' but --config, --resume and --help."""
    train = commands()["train"]
    dests = [a.dest for a in train._actions if a.option_strings and not isinstance(a, argparse._HelpAction)]
    return sorted(set(dests) - {"config", "resume"})


CONFIG_CASES = [(key, label) for key in _config_keys() for label in CONFIG_VALUES]


@pytest.mark.parametrize(("key", "label"), CONFIG_CASES, ids=[f"{k}={v}" for k, v in CONFIG_CASES])
def test_a_bad_config_value_exits_2_in_one_line_or_works(trained: dict[str, str], tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch, key: str,
                                                         label: str) -> None:
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "settings.json"
    config.write_text(json.dumps({key: CONFIG_VALUES[label]}))
    given = {"data": trained["data"], "layers": "3", "epochs": "2", "out": str(tmp_path / "fresh")}
    argv = ["train", "--config", str(config), "--no-report"]
    argv += [a for k, v in given.items() if k != key for a in (f"--{k}", v)]
    argv += ["-q"] if key != "verbose" else []
    code, _, err = run(argv)
    _verdict(code, err, (key, config.name), f"{config.read_text()} {' '.join(argv)}")
