"""Data: synthetic and bundled data sets, the user's files, scaling, splits and minibatches."""

from glassnet.data.bundled import load_breast_cancer, load_diabetes, load_digits, load_iris, load_wine
from glassnet.data.dataset import TASKS, Dataset, Seed, Task, encode_target, infer_task
from glassnet.data.preprocessing import MinMaxScaler, Scaler, StandardScaler, one_hot
from glassnet.data.registry import DATASETS, DatasetInfo, load
from glassnet.data.splits import minibatches, split3, train_test_split
from glassnet.data.synthetic import (
    make_blobs,
    make_circles,
    make_friedman,
    make_moons,
    make_sine,
    make_spirals,
    make_xor,
)
from glassnet.io.idx import load_idx, read_idx
from glassnet.io.tables import load_csv, load_npy, load_npz

__all__ = [
    "DATASETS", "TASKS", "Dataset", "DatasetInfo", "MinMaxScaler", "Scaler", "Seed", "StandardScaler", "Task",
    "encode_target", "infer_task", "load", "load_breast_cancer", "load_csv", "load_diabetes", "load_digits",
    "load_idx", "load_iris", "load_npy", "load_npz", "load_wine", "make_blobs", "make_circles",
    "make_friedman", "make_moons", "make_sine", "make_spirals", "make_xor", "minibatches", "one_hot",
    "read_idx", "split3", "train_test_split",
]  # fmt: skip
