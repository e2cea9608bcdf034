"""The data layer: synthetic and bundled sets, the user's files, scalers, splits and minibatches."""

from __future__ import annotations

import gzip
import struct
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import sklearn.datasets
import sklearn.preprocessing
from hypothesis import given, settings
from hypothesis import strategies as st

import glassnet as gn
from glassnet.data import (
    DATASETS,
    Dataset,
    MinMaxScaler,
    StandardScaler,
    load,
    load_csv,
    load_idx,
    load_npy,
    load_npz,
    make_blobs,
    make_circles,
    make_friedman,
    make_moons,
    make_sine,
    make_spirals,
    make_xor,
    minibatches,
    one_hot,
    read_idx,
    split3,
    splits,
    train_test_split,
)
from glassnet.errors import GlassnetError, ShapeError

SETTINGS = settings(max_examples=40, deadline=None, database=None)

# ---------------------------------------------------------------- synthetic


MAKERS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "xor": make_xor, "spirals": make_spirals, "sine": make_sine, "moons": make_moons,
    "circles": make_circles, "blobs": make_blobs, "friedman": make_friedman,
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_synthetic_dtypes_shapes_and_seeds(name: str) -> None:
    make = MAKERS[name]
    X, y = make(n_samples=30, seed=3)
    assert X.dtype == np.float32 and X.shape[0] == 30 and X.ndim == 2
    if name in ("sine", "friedman"):
        assert y.dtype == np.float32 and y.shape == (30, 1)
    else:
        assert y.dtype == np.int64 and y.shape == (30,)
    X2, y2 = make(n_samples=30, seed=3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(X, make(n_samples=30, seed=4)[0])
    # a Generator is drawn from, so two calls on one Generator differ and match two fresh seeds' stream
    rng = np.random.default_rng(3)
    np.testing.assert_array_equal(make(n_samples=30, seed=rng)[0], X)
    assert not np.array_equal(make(n_samples=30, seed=rng)[0], X)


def test_moons_and_circles_match_sklearn_without_noise() -> None:
    X, y = make_moons(11, noise=0.0)
    Xs, ys = sklearn.datasets.make_moons(11, noise=0.0, shuffle=False)
    np.testing.assert_allclose(X, Xs, atol=1e-6)
    np.testing.assert_array_equal(y, ys)
    X, y = make_circles(11, noise=0.0, factor=0.3)
    Xs, ys = sklearn.datasets.make_circles(11, noise=0.0, factor=0.3, shuffle=False)
    np.testing.assert_allclose(X, Xs, atol=1e-6)
    np.testing.assert_array_equal(y, ys)


def test_friedman_follows_its_formula_and_blobs_their_centers() -> None:
    X, y = make_friedman(50, n_features=7, noise=0.0, seed=1)
    x = X.astype(np.float64)
    expected = 10 * np.sin(np.pi * x[:, 0] * x[:, 1]) + 20 * (x[:, 2] - 0.5) ** 2 + 10 * x[:, 3] + 5 * x[:, 4]
    np.testing.assert_allclose(y[:, 0], expected, rtol=1e-5)
    assert X.shape == (50, 7) and X.min() >= 0 and X.max() <= 1
    centers = np.array([[0.0, 0.0, 0.0], [10.0, 0.0, 0.0], [0.0, 10.0, 0.0], [0.0, 0.0, 10.0]])
    X, y = make_blobs(4003, n_features=3, centers=centers, cluster_std=0.5, seed=0)
    assert np.bincount(y).tolist() == [1001, 1001, 1001, 1000]
    for k in range(4):
        np.testing.assert_allclose(X[y == k].mean(axis=0), centers[k], atol=0.08)  # 5 standard errors
        np.testing.assert_allclose(X[y == k].std(axis=0), 0.5, atol=0.05)


def test_spirals_have_n_arms_and_bad_arguments_raise() -> None:
    assert set(make_spirals(30, n_arms=3)[1].tolist()) == {0, 1, 2}
    with pytest.raises(GlassnetError, match="factor"):
        make_circles(10, factor=1.5)
    with pytest.raises(GlassnetError, match="n_features >= 5"):
        make_friedman(10, n_features=4)
    with pytest.raises(GlassnetError, match="centers"):
        make_blobs(10, n_features=2, centers=np.zeros((3, 4)))


# ---------------------------------------------------------------- bundled

BUNDLED = ["digits", "iris", "wine", "breast_cancer", "diabetes"]


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_sets_equal_sklearn(name: str) -> None:
    ds = getattr(gn.data, f"load_{name}")()
    bunch = getattr(sklearn.datasets, f"load_{name}")()
    assert ds.X.dtype == np.float32 and ds.name == name and ds.description
    np.testing.assert_array_equal(ds.X, bunch.data.astype(np.float32))
    assert ds.feature_names == tuple(bunch.feature_names)
    if name == "diabetes":
        assert ds.task == "regression" and ds.y.dtype == np.float32 and ds.classes is None
        np.testing.assert_array_equal(ds.y, bunch.target.astype(np.float32)[:, None])
    else:
        assert ds.task == "classification" and ds.y.dtype == np.int64
        np.testing.assert_array_equal(ds.y, bunch.target)
        np.testing.assert_array_equal(ds.decode(ds.y), bunch.target_names[bunch.target])


def test_bundled_without_sklearn_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)  # makes the import raise ImportError
    with pytest.raises(GlassnetError, match=r"'iris' needs scikit-learn: pip install scikit-learn"):
        gn.data.load_iris()
    with pytest.raises(GlassnetError, match="pip install scikit-learn"):
        load("diabetes")


# ---------------------------------------------------------------- CSV


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_csv_string_labels_map_to_classes_and_back(tmp_path: Path) -> None:
    f = write(tmp_path / "pets.csv", "kind,weight,legs\ncat,4.0,4\ndog,30.5,4\n\nbird,0.2,2\ncat,3.5,4\n")
    ds = load_csv(f, target="kind")
    assert ds.task == "classification" and ds.feature_names == ("weight", "legs") and ds.target_name == "kind"
    np.testing.assert_array_equal(ds.X, np.array([[4, 4], [30.5, 4], [0.2, 2], [3.5, 4]], np.float32))
    assert ds.classes is not None and ds.classes.tolist() == ["bird", "cat", "dog"]
    assert ds.y.tolist() == [1, 2, 0, 1] and ds.y.dtype == np.int64
    assert ds.decode(ds.y).tolist() == ["cat", "dog", "bird", "cat"]
    assert load_csv(f, target=0).y.tolist() == ds.y.tolist()


def test_csv_targets_by_default_index_and_task(tmp_path: Path) -> None:
    f = write(tmp_path / "t.csv", "a,b,label\n1,2,0\n3,4,1\n5,6,1\n7,8,0\n")
    ds = load_csv(f)  # last column, few integers -> classification
    assert ds.task == "classification" and ds.y.tolist() == [0, 1, 1, 0] and ds.X.shape == (4, 2)
    assert ds.classes is not None and ds.classes.dtype == np.int64
    reg = load_csv(f, target="b")
    assert reg.task == "regression" and reg.y.shape == (4, 1) and reg.y[:, 0].tolist() == [2, 4, 6, 8]
    assert load_csv(f, target=-3).feature_names == ("b", "label")
    assert load_csv(f, task="regression").y.dtype == np.float32
    floats = write(tmp_path / "f.csv", "x,y\n1,0.5\n2,1.5\n3,2.25\n")
    assert load_csv(floats).task == "regression"


def test_csv_without_header_and_with_tabs(tmp_path: Path) -> None:
    f = write(tmp_path / "n.tsv", "1.5\t2\tyes\n3.5\t4\tno\n")
    ds = load_csv(f, delimiter="\t", header=False)
    assert ds.feature_names == ("col0", "col1") and ds.decode(ds.y).tolist() == ["yes", "no"]
    assert load(f, header=False).X.tolist() == ds.X.tolist()  # .tsv means tabs
    with pytest.raises(GlassnetError, match="no header"):
        load_csv(f, target="col2", delimiter="\t", header=False)


def test_csv_round_trip_of_a_numeric_table(tmp_path: Path) -> None:
    X, y = make_blobs(40, n_features=3, centers=4, seed=2)
    f = tmp_path / "blobs.csv"
    np.savetxt(f, np.column_stack([X, y]), delimiter=",", header="a,b,c,cls", comments="", fmt="%.9g")
    ds = load(f)
    np.testing.assert_array_equal(ds.X, X)
    np.testing.assert_array_equal(ds.decode(ds.y), y)


@pytest.mark.parametrize(("text", "kwargs", "message"), [
    ("a,b\n1,x\n", {"target": "nope"}, r"no target column 'nope'.*'a', 'b'"),
    ("a,b\n1,x\n", {"target": 5}, r"out of range.*'a', 'b'"),
    ("a,b,c\n1,2,x\n3,oops,y\n", {}, r"line 3, column 'b' has the non-numeric value 'oops'"),
    ("a,b,c\n1,,x\n", {}, r"line 2, column 'b' is empty"),
    ("a,b,c\n1,2,x\n3,4\n", {}, r"line 3 has 2 fields, expected 3"),
    ("", {}, "empty"),
    ("\n\n", {}, "empty"),
    ("a,b,c\n", {}, "no data rows"),
    ("a\n1\n", {}, "found 1 column"),
    ("a,b\n1,x\n2,y\n", {"task": "regression"}, "numeric targets"),
])  # fmt: skip
def test_csv_errors_say_what_and_where(tmp_path: Path, text: str, kwargs: dict, message: str) -> None:
    with pytest.raises(GlassnetError, match=message):
        load_csv(write(tmp_path / "bad.csv", text), **kwargs)


def test_missing_files_raise(tmp_path: Path) -> None:
    for loader in (load_csv, load_npy, load_npz, load_idx, load):
        with pytest.raises(GlassnetError, match="no such file"):
            loader(tmp_path / "absent.csv")


# ---------------------------------------------------------------- npy / npz


def test_npy_and_npz_round_trips(tmp_path: Path) -> None:
    X, y = make_xor(12, seed=1)
    np.save(tmp_path / "t.npy", np.column_stack([X, y]))
    ds = load_npy(tmp_path / "t.npy")
    np.testing.assert_array_equal(ds.X, X)
    np.testing.assert_array_equal(ds.y, y)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    np.testing.assert_array_equal(load_npy(tmp_path / "X.npy", tmp_path / "y.npy").y, y)
    np.savez(tmp_path / "d.npz", features=X, labels=y)
    ds = load_npz(tmp_path / "d.npz", x_key="features", y_key="labels")
    np.testing.assert_array_equal(ds.X, X)
    assert ds.task == "classification" and ds.y.tolist() == y.tolist()
    assert load(tmp_path / "d.npz", target="labels", x_key="features").n_samples == 12
    assert load_npz(tmp_path / "d.npz", x_key="features", y_key=None).y.shape == (12, 0)


def test_npy_refuses_pickles_and_npz_lists_keys(tmp_path: Path) -> None:
    np.save(tmp_path / "obj.npy", np.array([[1, "a"], [2, None]], dtype=object), allow_pickle=True)
    with pytest.raises(GlassnetError, match="pickle"):
        load_npy(tmp_path / "obj.npy")
    np.savez(tmp_path / "d.npz", A=np.zeros((2, 2)), b=np.zeros(2))
    with pytest.raises(GlassnetError, match=r"no array named 'X'.*\['A', 'b'\]"):
        load_npz(tmp_path / "d.npz")
    np.save(tmp_path / "v.npy", np.zeros(3))
    with pytest.raises(ShapeError, match="2-D table"):
        load_npy(tmp_path / "v.npy")


# ---------------------------------------------------------------- IDX


def idx_bytes(array: np.ndarray, code: int) -> bytes:
    """An IDX file written from the spec: 0, 0, dtype code, ndim, big-endian uint32 dims, big-endian data."""
    big = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}[code]
    head = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return head + array.astype(big).tobytes()


@pytest.mark.parametrize("compress", [False, True])
def test_idx_images_and_labels(tmp_path: Path, compress: bool) -> None:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(6, 3, 2)).astype(np.uint8)
    labels = np.array([3, 1, 4, 1, 5, 9], np.uint8)
    suffix = ".gz" if compress else ""
    pack = gzip.compress if compress else bytes
    (tmp_path / f"img-idx3-ubyte{suffix}").write_bytes(pack(idx_bytes(images, 0x08)))
    (tmp_path / f"lab-idx1-ubyte{suffix}").write_bytes(pack(idx_bytes(labels, 0x08)))
    ds = load_idx(tmp_path / f"img-idx3-ubyte{suffix}", tmp_path / f"lab-idx1-ubyte{suffix}")
    np.testing.assert_array_equal(ds.X, images.reshape(6, 6).astype(np.float32))
    assert ds.feature_names[:3] == ("pixel_0_0", "pixel_0_1", "pixel_1_0")
    np.testing.assert_array_equal(ds.decode(ds.y), labels)
    same = load(tmp_path / f"img-idx3-ubyte{suffix}", target=tmp_path / f"lab-idx1-ubyte{suffix}")
    np.testing.assert_array_equal(same.y, ds.y)
    unlabeled = load_idx(tmp_path / f"img-idx3-ubyte{suffix}")
    assert unlabeled.task == "unlabeled" and unlabeled.y.shape == (6, 0)


@pytest.mark.parametrize(("code", "dtype"), [(0x09, np.int8), (0x0B, np.int16), (0x0C, np.int32),
                                             (0x0D, np.float32), (0x0E, np.float64)])
def test_idx_dtypes_are_big_endian(tmp_path: Path, code: int, dtype: type) -> None:
    values = np.array([[-2, 1000], [7, -300]]) if np.dtype(dtype).itemsize > 1 else np.array([[-2, 100]])
    (tmp_path / "a.idx").write_bytes(idx_bytes(values, code))
    got = read_idx(tmp_path / "a.idx")
    assert got.dtype == np.dtype(dtype) and got.dtype.isnative
    np.testing.assert_array_equal(got, values.astype(dtype))


@pytest.mark.parametrize(("data", "message"), [
    (b"<html>", "not an IDX file"),
    (b"\x00\x00\x08", "not an IDX file"),
    (bytes([0, 0, 0x07, 1, 0, 0, 0, 1, 5]), "unknown IDX dtype code 0x07"),
    (bytes([0, 0, 0x08, 0]), "0 dimensions"),
    (bytes([0, 0, 0x08, 2, 0, 0, 0, 2]), "ends inside the header"),
    (bytes([0, 0, 0x08, 1, 0, 0, 0, 3, 1, 2]), "truncated.*need 3 data bytes, found 2"),
    (bytes([0, 0, 0x08, 1, 0, 0, 0, 1, 1, 2]), "longer than its header says"),
    (b"\x1f\x8b\x08\x00garbage", "gzip data is corrupt"),
    (gzip.compress(bytes([0, 0, 0x0C, 1, 0, 0, 0, 2, 0, 0, 0, 1]))[:-12], "gzip data is corrupt"),
])  # fmt: skip
def test_corrupt_idx_files_are_refused(tmp_path: Path, data: bytes, message: str) -> None:
    (tmp_path / "bad-idx1-ubyte").write_bytes(data)
    with pytest.raises(GlassnetError, match=message):
        read_idx(tmp_path / "bad-idx1-ubyte")


def test_idx_label_count_must_match(tmp_path: Path) -> None:
    (tmp_path / "i.idx").write_bytes(idx_bytes(np.zeros((3, 2, 2)), 0x08))
    (tmp_path / "l.idx").write_bytes(idx_bytes(np.zeros(4), 0x08))
    with pytest.raises(ShapeError, match="3 images"):
        load_idx(tmp_path / "i.idx", tmp_path / "l.idx")


# ---------------------------------------------------------------- registry and Dataset


def test_registry_names_descriptions_and_synthetic_loaders() -> None:
    assert set(DATASETS) == {"xor", "moons", "circles", "spirals", "spirals3", "blobs", "sine", "friedman",
                             "digits", "iris", "wine", "breast_cancer", "diabetes"}
    for name, (loader, description) in DATASETS.items():
        assert callable(loader) and description and "\n" not in description, name
    ds = load("spirals3", n_samples=30, seed=1)
    assert ds.name == "spirals3" and ds.n_classes == 3 and ds.task == "classification"
    np.testing.assert_array_equal(ds.X, make_spirals(30, n_arms=3, seed=1)[0])
    assert load("friedman", n_samples=5).y.shape == (5, 1)
    assert load("iris").n_samples == 150


def test_unknown_names_list_the_valid_ones() -> None:
    with pytest.raises(GlassnetError, match=r"unknown data set 'mnist'.*xor, moons.*diabetes"):
        load("mnist")
    with pytest.raises(GlassnetError, match="fixed target"):
        load("iris", target="species")


def test_dataset_validates_and_reports() -> None:
    with pytest.raises(ShapeError, match="do not match"):
        Dataset(np.zeros((3, 2), np.float32), np.zeros(4, np.int64), "classification", classes=np.arange(2))
    with pytest.raises(GlassnetError, match="classes must be given"):
        Dataset(np.zeros((3, 2), np.float32), np.zeros(3, np.int64), "classification")
    ds = Dataset.from_arrays(np.zeros((4, 2)), [1.5, 2.5, 3.5, 4.5], name="r")
    assert repr(ds) == "Dataset('r', regression, 4 samples × 2 features)" and ds.n_classes == 0
    with pytest.raises(GlassnetError, match="only class indices"):
        ds.decode([0])


# ---------------------------------------------------------------- scalers


def data_with_constant_column(dtype: type) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = (rng.standard_normal((50, 4)) * [1, 10, 0.01, 1] + [0, 5, -3, 0]).astype(dtype)
    X[:, 3] = 0.7  # zero variance: scale 1, as in scikit-learn
    return X, (rng.standard_normal((9, 4)) * 3).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_standard_scaler_matches_sklearn(dtype: type) -> None:
    X, X_new = data_with_constant_column(dtype)
    # the exact formula: scikit-learn in float64 (its float32 path loses digits to cancellation)
    ours, theirs = StandardScaler().fit(X), sklearn.preprocessing.StandardScaler().fit(X.astype(np.float64))
    tol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(ours.mean_, theirs.mean_, rtol=tol, atol=tol)
    np.testing.assert_allclose(ours.scale_, theirs.scale_, rtol=tol, atol=tol)
    assert ours.scale_[3] == 1.0
    for A in (X, X_new):
        Z = ours.transform(A)
        assert Z.dtype == dtype
        np.testing.assert_allclose(Z, theirs.transform(A.astype(np.float64)), rtol=tol, atol=tol)
        np.testing.assert_allclose(ours.inverse_transform(Z), A, rtol=tol, atol=tol * 10)
    np.testing.assert_allclose(ours.fit_transform(X).mean(axis=0), 0, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_minmax_scaler_matches_sklearn(dtype: type) -> None:
    X, X_new = data_with_constant_column(dtype)
    ours = MinMaxScaler(feature_range=(-1, 2)).fit(X)
    theirs = sklearn.preprocessing.MinMaxScaler(feature_range=(-1, 2)).fit(X.astype(np.float64))
    tol = 1e-6 if dtype == np.float32 else 1e-12
    for name in ("data_min_", "data_max_", "data_range_", "scale_", "min_"):
        np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=tol, atol=tol)
    for A in (X, X_new):
        expected = theirs.transform(A.astype(np.float64))
        np.testing.assert_allclose(ours.transform(A), expected, rtol=tol, atol=tol)
        np.testing.assert_allclose(ours.inverse_transform(ours.transform(A)), A, rtol=tol, atol=tol * 10)
    Z = ours.transform(X)
    assert Z[:, :3].min(axis=0).tolist() == [-1, -1, -1] and Z[:, :3].max(axis=0).tolist() == [2, 2, 2]


@pytest.mark.parametrize("make", [lambda: StandardScaler(), lambda: StandardScaler(with_mean=False),
                                  lambda: MinMaxScaler((0.5, 3.0))])
def test_scaler_state_round_trip_is_plain_and_exact(make: Callable[[], gn.data.Scaler]) -> None:
    X, X_new = data_with_constant_column(np.float32)
    scaler = make().fit(X)
    state = scaler.state_dict()
    assert all(isinstance(v, np.ndarray | int | float | bool | tuple) for v in state.values())
    restored = type(scaler).from_state_dict(state)
    np.testing.assert_array_equal(restored.transform(X_new), scaler.transform(X_new))
    np.testing.assert_array_equal(restored.inverse_transform(X_new), scaler.inverse_transform(X_new))
    with pytest.raises(GlassnetError, match="missing"):
        type(scaler).from_state_dict({})


def test_scalers_refuse_misuse() -> None:
    with pytest.raises(GlassnetError, match="not fitted"):
        StandardScaler().transform(np.zeros((2, 2)))
    with pytest.raises(GlassnetError, match="not fitted"):
        MinMaxScaler().state_dict()
    with pytest.raises(ShapeError, match="fitted on 2 features"):
        StandardScaler().fit(np.ones((3, 2))).transform(np.ones((3, 5)))
    with pytest.raises(ShapeError, match=r"X\[:, None\]"):
        MinMaxScaler().fit(np.arange(3.0))
    with pytest.raises(GlassnetError, match="min < max"):
        MinMaxScaler((1.0, 0.0))


def test_one_hot() -> None:
    Y = one_hot(np.array([1, 0, 2, 1]), 4)
    assert Y.dtype == np.float32 and Y.tolist() == [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0]]
    assert one_hot(np.array([2, 0])).shape == (2, 3)
    with pytest.raises(GlassnetError, match=r"0\.\.1"):
        one_hot(np.array([0, 2]), 2)
    with pytest.raises(ShapeError):
        one_hot(np.array([0.5, 1.0]))


# ---------------------------------------------------------------- splits and minibatches


def imbalanced(counts: list[int]) -> tuple[np.ndarray, np.ndarray]:
    y = np.repeat(np.arange(len(counts)), counts)
    return np.arange(len(y), dtype=np.float32)[:, None], y  # X remembers each sample's index


def assert_stratified(y_part: np.ndarray, y: np.ndarray) -> None:
    """Each class's count in the part is within one sample of its share of the whole."""
    ideal = np.bincount(y) * len(y_part) / len(y)
    got = np.bincount(y_part, minlength=len(ideal))
    assert np.all(np.abs(got - ideal) < 1), (got, ideal)


@SETTINGS
@given(counts=st.lists(st.integers(1, 40), min_size=1, max_size=6), test_size=st.floats(0.05, 0.9),
       seed=st.integers(0, 2**31))
def test_stratified_split_keeps_proportions_and_partitions(counts: list[int], test_size: float,
                                                           seed: int) -> None:
    X, y = imbalanced(counts)
    if not 0 < np.ceil(test_size * len(y)) < len(y):
        return
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=test_size, stratify=y, seed=seed)
    assert len(y_te) == np.ceil(test_size * len(y))
    assert sorted(np.concatenate([X_tr, X_te])[:, 0].tolist()) == X[:, 0].tolist()  # a partition
    np.testing.assert_array_equal(y[X_tr[:, 0].astype(int)], y_tr)  # rows stay with their labels
    assert_stratified(y_te, y)
    assert_stratified(y_tr, y)


@SETTINGS
@given(counts=st.lists(st.integers(1, 30), min_size=1, max_size=5), seed=st.integers(0, 2**31))
def test_split3_keeps_proportions_in_all_three_parts(counts: list[int], seed: int) -> None:
    X, y = imbalanced(counts)
    if len(y) < 8:
        return
    (X_tr, y_tr), (X_va, y_va), (X_te, y_te) = split3(X, y, val_size=0.2, test_size=0.25, seed=seed)
    assert (len(y_va), len(y_te)) == (np.ceil(0.2 * len(y)), np.ceil(0.25 * len(y)))
    assert sorted(np.concatenate([X_tr, X_va, X_te])[:, 0].tolist()) == X[:, 0].tolist()
    for part in (y_tr, y_va, y_te):
        assert_stratified(part, y)


def test_splits_are_deterministic_and_seeded() -> None:
    X, y = imbalanced([30, 12, 7])
    a = train_test_split(X, y, test_size=0.3, stratify=y, seed=5)
    b = train_test_split(X, y, test_size=0.3, stratify=y, seed=5)
    c = train_test_split(X, y, test_size=0.3, stratify=y, seed=6)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[1], c[1])
    first, second = split3(X, y, seed=1), split3(X, y, seed=1)
    np.testing.assert_array_equal(first[1][0], second[1][0])
    plain = train_test_split(X, y, test_size=10, seed=0)
    assert plain[1].shape == (10, 1) and not np.array_equal(plain[1][:, 0], np.sort(plain[1][:, 0]))


def test_split3_on_regression_targets_and_bad_sizes() -> None:
    X, y = make_sine(40, seed=0)
    (_, y_tr), (_, y_va), (_, y_te) = split3(X, y, val_size=0.1, test_size=5)
    assert (y_tr.shape, y_va.shape, y_te.shape) == ((31, 1), (4, 1), (5, 1))
    with pytest.raises(GlassnetError, match="empty part"):
        split3(X, y, val_size=0.5, test_size=0.5)
    with pytest.raises(GlassnetError, match="test_size"):
        train_test_split(X, y, test_size=1.5)
    with pytest.raises(ShapeError, match="same number of rows"):
        train_test_split(X, y[:-1])


@pytest.mark.parametrize(("n", "batch_size", "drop_last"), [(10, 3, False), (10, 3, True), (9, 3, True),
                                                            (5, 8, False), (5, 8, True)])
def test_minibatches_cover_every_sample_once(n: int, batch_size: int, drop_last: bool) -> None:
    X, y = np.arange(n * 2, dtype=np.float32).reshape(n, 2), np.arange(n)
    batches = list(minibatches(X, y, batch_size, seed=0, drop_last=drop_last))
    sizes = [len(yb) for _, yb in batches]
    short = [] if drop_last or n % batch_size == 0 else [n % batch_size]
    expected = [batch_size] * (n // batch_size) + short
    assert sizes == expected
    seen = np.concatenate([yb for _, yb in batches]) if batches else np.array([], int)
    assert len(set(seen.tolist())) == len(seen)  # no sample twice
    if not drop_last:
        assert sorted(seen.tolist()) == list(range(n))
    for Xb, yb in batches:
        np.testing.assert_array_equal(Xb, X[yb])
        assert Xb.flags.c_contiguous


@pytest.mark.parametrize("gather_bytes", [1, 100, 10**9])  # a gather per batch, per 2 batches, per epoch
@pytest.mark.parametrize(("n", "batch_size", "stop"), [(23, 4, 23), (23, 4, 20), (8, 8, 8), (5, 8, 5)])
def test_epoch_batches_gather_the_rows_of_one_take_per_batch(
        monkeypatch: pytest.MonkeyPatch, gather_bytes: int, n: int, batch_size: int, stop: int) -> None:
    monkeypatch.setattr(splits, "GATHER_BYTES", gather_bytes)
    X = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n) * 10
    order = np.random.default_rng(1).permutation(n)
    got = list(splits.epoch_batches(X, y, batch_size, stop, order))
    starts = range(0, stop, batch_size)
    assert len(got) == len(starts)
    for start, (idx, Xb, yb) in zip(starts, got, strict=True):
        expected = order[start:min(start + batch_size, stop)]
        np.testing.assert_array_equal(idx, expected)
        np.testing.assert_array_equal(Xb, np.take(X, expected, axis=0))
        np.testing.assert_array_equal(yb, np.take(y, expected, axis=0))
        assert Xb.flags.c_contiguous
    for start, (idx, Xb, yb) in zip(starts, splits.epoch_batches(X, y, batch_size, stop, None), strict=True):
        np.testing.assert_array_equal(idx, np.arange(start, min(start + batch_size, stop)))
        assert np.shares_memory(Xb, X) and np.array_equal(Xb, X[idx]) and np.array_equal(yb, y[idx])


def test_minibatches_order_and_errors() -> None:
    X, y = np.zeros((7, 1)), np.arange(7)
    assert [yb.tolist() for _, yb in minibatches(X, y, 4, shuffle=False)] == [[0, 1, 2, 3], [4, 5, 6]]
    first = np.concatenate([yb for _, yb in minibatches(X, y, 4, seed=3)])
    assert first.tolist() != list(range(7))
    np.testing.assert_array_equal(first, np.concatenate([yb for _, yb in minibatches(X, y, 4, seed=3)]))
    rng = np.random.default_rng(3)
    epoch1 = np.concatenate([yb for _, yb in minibatches(X, y, 4, seed=rng)])
    epoch2 = np.concatenate([yb for _, yb in minibatches(X, y, 4, seed=rng)])
    np.testing.assert_array_equal(epoch1, first)
    assert epoch2.tolist() != epoch1.tolist()
    with pytest.raises(GlassnetError, match="batch_size"):
        minibatches(X, y, 0)
    with pytest.raises(ShapeError):
        minibatches(X, y[:3], 2)


def test_csv_delimiter_and_header_are_detected(tmp_path: Path) -> None:
    semicolons = load_csv(write(tmp_path / "s.csv", "a;b;kind\n1;2;x\n3;4;y\n"))
    assert semicolons.feature_names == ("a", "b") and semicolons.X.tolist() == [[1, 2], [3, 4]]
    headerless = load(write(tmp_path / "h.csv", "".join(f"{i},{i % 2}\n" for i in range(60))))
    assert headerless.n_samples == 60 and headerless.feature_names == ("col0",)  # row 1 is data


@pytest.mark.parametrize(("cell", "message"), [
    ("nan", r"line 3, column 'b' is nan"),
    ("inf", r"line 3, column 'b' is inf"),
    ("-inf", r"line 3, column 'b' is -inf"),
    ("1e308", r"line 3, column 'b' is 1e\+308, beyond the range of float32"),
])  # fmt: skip
def test_csv_refuses_values_that_are_not_finite_float32(tmp_path: Path, cell: str, message: str) -> None:
    f = write(tmp_path / "bad.csv", f"a,b,kind\n1,2,x\n3,{cell},y\n5,6,x\n")
    with pytest.raises(GlassnetError, match=rf"bad\.csv: {message}"):
        load_csv(f)
    with pytest.raises(GlassnetError, match=r"line 4, column 'y' is nan"):
        load_csv(write(tmp_path / "t.csv", "a,y\n1,2.5\n2,3.5\n3,nan\n"))
