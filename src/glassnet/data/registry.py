"""Every built-in data set by name, in one plain dict, and ``load`` for a name or a file path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from glassnet.data import bundled, synthetic
from glassnet.data.dataset import Dataset, Task
from glassnet.errors import GlassnetError
from glassnet.io.idx import load_idx
from glassnet.io.tables import PathLike, load_csv, load_npy, load_npz

__all__ = ["DATASETS", "DatasetInfo", "load"]


class DatasetInfo(NamedTuple):
    """A registry entry: the loader (keyword options such as n_samples, noise, seed) and one line about it."""

    loader: Callable[..., Dataset]
    description: str


def _synthetic(make: Callable[..., tuple[np.ndarray, np.ndarray]], name: str, task: Task, description: str,
               **fixed: Any) -> DatasetInfo:
    """Wrap a make_* function as a loader of Datasets; ``fixed`` are options the name implies."""

    def loader(**options: Any) -> Dataset:
        X, y = make(**{**fixed, **options})
        classes = np.arange(int(y.max()) + 1) if task == "classification" else None
        names = tuple(f"x{j}" for j in range(X.shape[1]))
        return Dataset(X, y, task, name, description, names, classes)

    loader.__name__ = f"load_{name}"
    loader.__doc__ = f"{description}; keyword options go to {make.__name__}."
    return DatasetInfo(loader, description)


DATASETS: dict[str, DatasetInfo] = {
    "xor": _synthetic(synthetic.make_xor, "xor", "classification",
                      "XOR of two noisy bits: 2 features, 2 classes, not linearly separable"),
    "moons": _synthetic(synthetic.make_moons, "moons", "classification",
                        "two interleaving half circles: 2 features, 2 classes"),
    "circles": _synthetic(synthetic.make_circles, "circles", "classification",
                          "a small circle inside a large one: 2 features, 2 classes"),
    "spirals": _synthetic(synthetic.make_spirals, "spirals", "classification",
                          "two interleaved spiral arms: 2 features, 2 classes", n_arms=2),
    "spirals3": _synthetic(synthetic.make_spirals, "spirals3", "classification",
                           "three interleaved spiral arms: 2 features, 3 classes", n_arms=3),
    "blobs": _synthetic(synthetic.make_blobs, "blobs", "classification",
                        "three Gaussian clusters: 2 features, 3 classes"),
    "sine": _synthetic(synthetic.make_sine, "sine", "regression",
                       "y = sin(x) + noise on [-π, π]: 1 feature, regression"),
    "friedman": _synthetic(synthetic.make_friedman, "friedman", "regression",
                           "Friedman #1: 10 features (5 informative), nonlinear regression"),
    "digits": DatasetInfo(bundled.load_digits, "8×8 images of handwritten digits: 64 features, 10 classes, "
                                               "1797 samples (scikit-learn)"),
    "iris": DatasetInfo(bundled.load_iris, "Fisher's iris flowers: 4 features, 3 classes, 150 samples "
                                           "(scikit-learn)"),
    "wine": DatasetInfo(bundled.load_wine, "wine cultivars: 13 features, 3 classes, 178 samples "
                                           "(scikit-learn)"),
    "breast_cancer": DatasetInfo(bundled.load_breast_cancer, "breast tumours: 30 features, 2 classes, "
                                                             "569 samples (scikit-learn)"),
    "diabetes": DatasetInfo(bundled.load_diabetes, "diabetes progression: 10 features, regression, "
                                                   "442 samples (scikit-learn)"),
}  # fmt: skip

_SUFFIXES = (".csv", ".tsv", ".txt", ".npy", ".npz", ".idx", "-ubyte", ".gz")


def _is_idx(p: Path) -> bool:
    stem = p.name[: -len(".gz")] if p.name.endswith(".gz") else p.name
    return stem.endswith((".idx", "-ubyte")) or ("." in stem and stem.rsplit(".", 1)[-1].startswith("idx"))


def _load_file(p: Path, target: str | int | PathLike | None, options: dict[str, Any]) -> Dataset:
    suffix = p.suffix.lower()
    if _is_idx(p):
        if isinstance(target, int):
            raise GlassnetError(f"load({p.name!r}): for IDX images pass the labels file as target")
        return load_idx(p, target)
    if target is not None and not isinstance(target, str | int):
        raise GlassnetError(f"load({p.name!r}): target is a column name or index here, got {target!r}")
    if suffix in (".csv", ".tsv", ".txt"):
        if suffix == ".tsv":
            options.setdefault("delimiter", "\t")
        return load_csv(p, target, **options)
    if suffix == ".npy":
        if isinstance(target, str):
            raise GlassnetError(f"load({p.name!r}): a .npy array has no column names; pass the target index")
        return load_npy(p, target=-1 if target is None else target, **options)
    if suffix == ".npz":
        return load_npz(p, y_key="y" if target is None else str(target), **options)
    raise GlassnetError(f"load: cannot tell the format of {p.name!r} from its name; expected one of "
                        f"{', '.join(_SUFFIXES)}, or call load_csv/load_npy/load_npz/load_idx directly")


def load(name_or_path: str | PathLike, target: str | int | PathLike | None = None, **options: Any) -> Dataset:
    """Load a built-in data set by name, or a file by its suffix.

    Args:
        name_or_path: a key of DATASETS (options such as n_samples, noise, seed go to its loader),
            or a path: .csv/.tsv/.txt (load_csv), .npy (load_npy), .npz (load_npz), IDX files such as
            ``train-images-idx3-ubyte[.gz]`` (load_idx).
        target: the target column for CSV (name or index) and .npy (index), the y key of a .npz, or
            the labels file of IDX images; must be None for built-in names.

    >>> ds = load("moons", n_samples=10, seed=1)
    >>> ds.name, ds.X.shape, ds.n_classes
    ('moons', (10, 2), 2)
    """
    key = str(name_or_path)
    if key in DATASETS and not Path(key).suffix:
        if target is not None:
            raise GlassnetError(f"load({key!r}): built-in data sets have a fixed target; pass target=None")
        return DATASETS[key].loader(**options)
    p = Path(name_or_path)
    if p.suffix.lower() in _SUFFIXES or _is_idx(p) or p.exists():
        return _load_file(p, target, dict(options))
    raise GlassnetError(f"load: unknown data set {key!r} and no file of that name; built-in names are "
                        f"{', '.join(DATASETS)}; files may end in {', '.join(_SUFFIXES)}")
