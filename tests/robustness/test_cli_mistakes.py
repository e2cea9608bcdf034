"""CLI mistakes: each bad invocation exits 2 with exactly one line on standard error, naming the argument or
file, and no traceback; and the data that used to be read wrongly without a word is now read right."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest

from glassnet.cli import main


def run(argv: list[str]) -> tuple[int, str, str]:
    """main(argv) in-process with its standard output and error captured."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def _table(rows: int = 40, swap: bool = False) -> str:
    """a, b, c and a class that is a's sign; with swap the columns b and a change places (and names)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, 3)).round(3)
    X[:, 0] += np.where(np.arange(rows) % 2 == 0, 2.0, -2.0)  # (rows, 3): classes well apart along a
    names, order = (["b", "a", "c"], [1, 0, 2]) if swap else (["a", "b", "c"], [0, 1, 2])
    lines = [",".join([*names, "kind"])]
    lines += [",".join([*(f"{v:g}" for v in row[order]), "p" if row[0] > 0 else "n"]) for row in X]
    return "\n".join(lines) + "\n"


def _write(folder: Path, name: str, text: str) -> str:
    (folder / name).write_text(text)
    return str(folder / name)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A small trained model and the bad files of the campaign."""
    d = tmp_path_factory.mktemp("mistakes")
    f = {"good": _write(d, "good.csv", _table()), "swapped": _write(d, "swapped.csv", _table(swap=True))}
    code, _, err = run(["train", "--data", f["good"], "--layers", "4", "--epochs", "5",
                        "--out", str(d / "run"), "--no-report", "-q"])
    assert code == 0, err
    f["model"] = str(d / "run" / "model.safetensors")
    f["nan"] = _write(d, "nan.csv", "a,b,c,kind\n1,2,3,p\n1,nan,3,n\n")
    f["inf"] = _write(d, "inf.csv", "a,b,c,kind\n1,2,3,p\n1,2,-inf,n\n")
    f["huge"] = _write(d, "huge.csv", "a,b,c,kind\n1,2,3,p\n1e308,2,3,n\n")
    f["one_class"] = _write(d, "one.csv", "a,b,c,kind\n1,2,3,p\n4,5,6,p\n7,8,9,p\n")
    f["long_field"] = _write(d, "long.csv", "a,b,c,kind\n" + "x" * 200_000 + ",1,2,p\n")
    f["fake_npz"] = _write(d, "fake.npz", "hello")
    f["deep"] = _write(d, "deep.json", "[" * 100_000 + "]" * 100_000)
    f["predict_nan"] = _write(d, "pn.csv", "a,b,c\n1,2,3\n1,2,inf\n")
    f["predict_missing"] = _write(d, "pm.csv", "a,b,z\n1,2,3\n")
    f["out"] = str(d / "diverged")
    np.save(d / "huge.npy", np.array([[1.0, 0.0], [1e308, 1.0], [2.0, 0.0]]))
    f["huge_npy"] = str(d / "huge.npy")
    np.savez(d / "keys.npz", a=np.zeros((3, 2)), b=np.zeros(3))
    f["other_keys"] = str(d / "keys.npz")
    return f


TRAIN = ["--epochs", "1", "--no-report", "-q"]
# (name, argv with {file} fields, what the one line must say)
CASES: list[tuple[str, list[str], str]] = [
    ("huge layer", ["train", "--data", "xor", "--layers", "1000000000", *TRAIN],
     r"--layers: .* parameters, more than"),
    ("two huge layers", ["train", "--data", "xor", "--layers", "100000,100000", *TRAIN],
     r"--layers: .*limit of 100,000,000"),
    ("explain huge layers", ["explain", "--layers", "100000,100000"], r"--layers: the network 2-100000"),
    ("negative seed", ["train", "--seed", "-1", *TRAIN], r"--seed: expected a seed from 0"),
    ("nan cell", ["train", "--data", "{nan}", *TRAIN], r"nan\.csv: line 3, column 'b' is nan"),
    ("inf cell", ["train", "--data", "{inf}", *TRAIN], r"inf\.csv: line 3, column 'c' is -inf"),
    ("float32 overflow", ["train", "--data", "{huge}", *TRAIN],
     r"huge\.csv: line 3, column 'a' is 1e\+308, beyond the range of float32"),
    ("float32 overflow in .npy", ["train", "--data", "{huge_npy}", *TRAIN],
     r"huge: X\[1, 0\] is 1e\+308, beyond the range of float32 \(largest 3.4e\+38\); rescale those values"),
    ("npz with other names", ["train", "--data", "{other_keys}", *TRAIN],
     r"keys\.npz: no array named 'X'; the archive holds \['a', 'b'\]; save the arrays as np.savez"),
    ("one class", ["train", "--data", "{one_class}", *TRAIN], r"'kind' of .*one\.csv holds one class only"),
    ("field over 128 KiB", ["train", "--data", "{long_field}", *TRAIN], r"long\.csv: line 2 cannot be read"),
    ("text named .npz", ["train", "--data", "{fake_npz}", *TRAIN], r"fake\.npz: not a valid NumPy file"),
    ("config nested deep", ["train", "--config", "{deep}", *TRAIN], r"deep\.json.* nests .* too deeply"),
    ("diverging --lr", ["train", "--data", "moons", "--optimizer", "sgd", "--lr", "1e6", "--layers", "8",
                        "--epochs", "3", "--no-report", "-q", "--out", "{out}"],
     r"training diverged: the loss became .*try a smaller --lr than 1e\+06"),
    ("predict on inf", ["predict", "{model}", "{predict_nan}"], r"pn\.csv: line 3, column 'c' is inf"),
    ("predict without a column", ["predict", "{model}", "{predict_missing}"], r"pm\.csv has no feature"),
    ("evaluate without a column", ["evaluate", "{model}", "{predict_missing}"], r"pm\.csv has no feature"),
    ("evaluate on nan", ["evaluate", "{model}", "{nan}"], r"nan\.csv: line 3, column 'b' is nan"),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_mistake_is_one_line_and_exit_2(files: dict[str, str], argv: list[str], message: str) -> None:
    code, _, err = run([arg.format(**files) for arg in argv])
    assert code == 2
    assert "Traceback" not in err and err.count("\n") == 1 and err.startswith("glassnet: error: "), err
    assert re.search(message, err), err
    for advice in ("allow_pickle", "delimiter=", "model.double"):  # advice a CLI user cannot follow
        assert advice not in err, err


def _metrics(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("  ")]


def test_evaluate_matches_columns_by_name(files: dict[str, str]) -> None:
    results = [run(["evaluate", files["model"], files[name]]) for name in ("good", "swapped")]
    assert [code for code, _, _ in results] == [0, 0]
    assert _metrics(results[0][1]) == _metrics(results[1][1])  # the same numbers, whatever the order
    steps = [run(["explain", "--model", files["model"], "--data", files[name]])
             for name in ("good", "swapped")]
    assert steps[0][0] == 0 and steps[0] == steps[1]  # explain takes the same sample, columns matched by name


def test_headerless_rows_are_data(files: dict[str, str], tmp_path: Path) -> None:
    rows = _table().splitlines()[1:]  # no header: every row is data
    plain = _write(tmp_path, "plain.csv", "\n".join(rows) + "\n")
    code, out, err = run(["train", "--data", plain, "--layers", "4", *TRAIN, "--out", str(tmp_path / "r")])
    assert code == 0, err
    counts = re.search(r"(\d+) train, (\d+) validation, (\d+) test", out)
    assert counts is not None and sum(int(n) for n in counts.groups()) == 40  # not 39
    three = _write(tmp_path, "three.csv", "".join(",".join(r.split(",")[:3]) + "\n" for r in rows[:3]))
    code, out, err = run(["predict", files["model"], three])
    assert code == 0, err
    assert len(out.splitlines()) == 1 + 3  # a header and 3 predictions, not 2


def test_a_semicolon_csv_is_read(tmp_path: Path) -> None:
    data = _write(tmp_path, "semi.csv", _table().replace(",", ";"))
    code, out, err = run(["train", "--data", data, "--layers", "4", *TRAIN, "--out", str(tmp_path / "r")])
    assert code == 0, err
    assert "on semi: 28 train" in out



def test_config_json_at_a_sane_depth_still_reads(tmp_path: Path) -> None:
    config = _write(tmp_path, "c.json", json.dumps({"layers": [4], "epochs": 1}))
    code, _, err = run(["train", "--config", config, "--data", "xor", "--no-report", "-q",
                        "--out", str(tmp_path / "r")])
    assert code == 0, err
