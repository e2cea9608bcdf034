"""Model files: one safetensors file with the weights, the architecture and what came with them.

Tensors: the weights under their ``state_dict`` names (``"0.weight"``), and the arrays of the
other fields under ``"<field>/<path>"``. Metadata (all strings): ``format`` = ``"glassnet-model"``,
``format_version``, ``glassnet_version``, ``architecture`` (JSON of ``module_to_config``), and
``preprocessing``, ``classes``, ``hyperparameters``, ``history``, ``extra`` (state-tree JSON of
``glassnet.io.state.pack_tree``). Nothing in it is code: see docs/model-files.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np

from glassnet.errors import GlassnetError
from glassnet.io.architecture import module_from_config, module_to_config
from glassnet.io.safetensors import PathLike, load_tensors, save_tensors
from glassnet.io.state import check_format, pack_tree, unpack_tree
from glassnet.nn.module import Module

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "LoadedModel", "load", "save"]

FORMAT_NAME, FORMAT_VERSION = "glassnet-model", 1
_FIELDS = ("preprocessing", "classes", "hyperparameters", "history", "extra")
_SLACK = 2**16  # parameters the architecture may claim beyond the file, so a missing weight is named


@dataclass(frozen=True)
class LoadedModel:
    """What ``load`` returns: the model (in eval mode) and everything saved with it.

    Attributes:
        model: the rebuilt network with the saved weights, bit for bit.
        preprocessing, classes, hyperparameters, history, extra: as passed to ``save`` (None if
            not given); NumPy scalars come back as Python numbers, arrays as arrays.
        glassnet_version: the version of glassnet that wrote the file.
    """

    model: Module
    preprocessing: Any = None
    classes: Any = None
    hyperparameters: Any = None
    history: Any = None
    extra: Any = None
    glassnet_version: str = ""


def save(model: Module, path: PathLike, *, preprocessing: Any = None, classes: Any = None,
         hyperparameters: Any = None, history: Any = None, extra: Any = None) -> None:
    """Save a model and what belongs with it to one safetensors file (atomically; no pickle).

    Args:
        model: built from ``glassnet.io.MODULES`` only (Sequential, Linear, activations, ...).
        path: the file to write, e.g. ``"model.safetensors"``.
        preprocessing: state of the input transform, e.g. ``{"mean": ndarray, "scale": ndarray}``.
        classes: the class labels, e.g. ``[0, 1]`` or ``["cat", "dog"]``.
        hyperparameters, history, extra: anything made of dicts (str or int keys), lists,
            tuples, ndarrays, numbers, bools, None and strings.

    >>> import os, tempfile, numpy as np, glassnet as gn
    >>> net = gn.nn.Sequential(gn.nn.Linear(2, 3, generator=0), gn.nn.ReLU(), gn.nn.Linear(3, 1))
    >>> path = os.path.join(tempfile.mkdtemp(), "model.safetensors")
    >>> save(net, path, classes=["no", "yes"], history={"loss": [0.7, 0.3]})
    >>> loaded = load(path)
    >>> loaded.classes, loaded.history
    (['no', 'yes'], {'loss': [0.7, 0.3]})
    >>> x = gn.tensor(np.ones((1, 2), dtype=np.float32))
    >>> bool((loaded.model(x).data == net(x).data).all())
    True
    """
    if not isinstance(model, Module):
        raise GlassnetError(f"save() needs a glassnet Module, got {type(model).__name__}")
    config = module_to_config(model)
    tensors = model.state_dict()
    problem = _mismatch(module_from_config(config), tensors)
    if problem:
        raise GlassnetError(f"cannot save the model: its layers hold parameters their arguments do not "
                            f"describe ({problem}); save only unmodified glassnet layers")
    metadata = {"format": FORMAT_NAME, "format_version": str(FORMAT_VERSION),
                "glassnet_version": _glassnet_version(),
                "architecture": json.dumps(config, separators=(",", ":"))}
    fields = (preprocessing, classes, hyperparameters, history, extra)
    for field, value in zip(_FIELDS, fields, strict=True):
        metadata[field], arrays = pack_tree(value, prefix=f"{field}/")
        tensors.update(arrays)
    save_tensors(path, tensors, metadata)


def load(path: PathLike) -> LoadedModel:
    """Load a file written by ``save``: checks format, version, architecture and every weight.

    Returns:
        a ``LoadedModel``: ``.model`` in eval mode (call ``.train()`` to go on training; dropout
        masks then come from fresh randomness) and the saved fields.

    Raises:
        GlassnetError: for a file that is missing, corrupt, from a newer glassnet, or whose weights
            do not match its architecture in names, shapes or dtypes.
    """
    tensors, metadata = load_tensors(path)
    check_format(metadata, FORMAT_NAME, FORMAT_VERSION, str(path))
    fields, used = {}, set()
    for field in _FIELDS:
        fields[field], names = unpack_tree(_entry(metadata, field, path), tensors, str(path))
        used |= names
    weights = {name: array for name, array in tensors.items() if name not in used}
    try:
        config = json.loads(_entry(metadata, "architecture", path))
        budget = sum(a.size for a in weights.values()) + _SLACK  # never allocate far beyond the file
        model = module_from_config(config, max_parameters=budget)
    except (ValueError, RecursionError, GlassnetError) as e:
        raise GlassnetError(f"cannot load {path}: the architecture is not valid: {e}") from e
    problem = _mismatch(model, weights)
    if problem:
        raise GlassnetError(f"cannot load {path}: the weights do not fit the architecture ({problem}); "
                            "the file was altered or damaged")
    model.load_state_dict(weights)
    model.eval()
    return LoadedModel(model, **fields, glassnet_version=_entry(metadata, "glassnet_version", path))


def _entry(metadata: dict[str, str], key: str, path: PathLike) -> str:
    if key not in metadata:
        raise GlassnetError(f"cannot load {path}: the metadata has no '{key}' entry; the file is damaged")
    return metadata[key]


def _mismatch(model: Module, weights: dict[str, np.ndarray]) -> str:
    """What differs between the model's parameters and ``weights`` (names, shapes, dtypes), or ''."""
    own = dict(model.named_parameters())
    missing, unexpected = sorted(set(own) - set(weights)), sorted(set(weights) - set(own))
    if missing or unexpected:
        return f"missing {missing[:5]}, unexpected {unexpected[:5]}"
    for name, p in own.items():
        if (p.shape, p.dtype) != (weights[name].shape, weights[name].dtype):
            return (f"'{name}' is {weights[name].dtype}{list(weights[name].shape)} but the architecture "
                    f"needs {p.dtype}{list(p.shape)}")
    return ""


def _glassnet_version() -> str:
    try:
        return version("glassnet")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"
