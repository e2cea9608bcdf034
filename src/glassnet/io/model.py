"""Model files: one safetensors file with the weights, the architecture and what came with them.

Tensors: the weights and buffers under their ``state_dict`` names (``"0.weight"``,
``"1.running_mean"``), and the arrays of the
other fields under ``"<field>/<path>"``. Metadata (all strings): ``format`` = ``"glassnet-model"``,
``format_version``, ``glassnet_version``, ``architecture`` (JSON of ``module_to_config``), and
``preprocessing``, ``classes``, ``hyperparameters``, ``history``, ``extra`` (state-tree JSON of
``glassnet.io.state.pack_tree``). Nothing in it is code: see docs/model-files.md.

Weights files (``save_state_dict``) hold only a ``state_dict``, for any module, a user's own
subclass too: format ``"glassnet-weights"``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np

from glassnet.engine.devices import as_device
from glassnet.engine.tensor import ArrayLike, Tensor
from glassnet.errors import GlassnetError
from glassnet.io.architecture import module_from_config, module_to_config
from glassnet.io.safetensors import PathLike, load_tensors, save_tensors
from glassnet.io.state import check_format, is_state, pack_tree, save_state, tree_of, unpack_tree
from glassnet.nn.activations import ACTIVATIONS
from glassnet.nn.layers import Dropout, Identity, Linear, Sequential
from glassnet.nn.module import Module

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "LoadedModel", "load", "load_state_dict", "save",
           "save_state_dict"]

FORMAT_NAME, FORMAT_VERSION = "glassnet-model", 3
_NEW_IN = {"ModuleList": 2, "ModuleDict": 2,  # layers readers of older versions do not know
           "LayerNorm": 3, "BatchNorm1d": 3, "Embedding": 3, "Unflatten": 3, "Flatten": 3}
_WEIGHTS_NAME, _WEIGHTS_VERSION = "glassnet-weights", 1
_FIELDS = ("preprocessing", "classes", "hyperparameters", "history", "extra")
_SLACK = 2**16  # parameters the architecture may claim beyond the file, so a missing weight is named


@dataclass(frozen=True)
class LoadedModel:
    """What ``load`` returns: the model (in eval mode) and everything saved with it.

    It also stands in for the model, as PyTorch's ``model = torch.load(path)`` code expects:
    calling it calls the model, and the model's methods (``eval``, ``parameters``,
    ``state_dict``, ...) are reached through it.

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

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.model(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:  # only for names a LoadedModel does not have
        if name.startswith("__") or name == "model":
            raise AttributeError(name)
        return getattr(self.model, name)


def save(model: Module | Any, path: PathLike, *, preprocessing: Any = None, classes: Any = None,
         hyperparameters: Any = None, history: Any = None, extra: Any = None) -> None:
    """Save a model and what belongs with it to one safetensors file (atomically; no pickle).

    As PyTorch's ``torch.save``, anything else that is a state (``model.state_dict()``, a
    checkpoint dict of state_dicts, numbers and lists) is saved too, and ``load`` gives it back.

    Args:
        model: built from ``glassnet.io.MODULES`` only (Sequential, ModuleList, ModuleDict,
            Linear, activations, ...) nested in any way; for any other module, save its
            ``state_dict()`` (or use ``save_state_dict``). Or a state: dicts, lists, tuples,
            Tensors, ndarrays, numbers, bools, None and strings.
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
    >>> bool((loaded.model(x).array == net(x).array).all())
    True
    """
    if not isinstance(model, Module):
        if any(field is not None for field in (preprocessing, classes, hyperparameters, history, extra)):
            raise GlassnetError("save(): preprocessing, classes, hyperparameters, history and extra go "
                                f"with a model; got a {type(model).__name__}: put them inside the state "
                                "you save")
        save_state(path, model)  # a state_dict or checkpoint, as torch.save(obj, path)
        return
    _check_fields(model, classes, extra)
    state = model.state_dict(keep_vars=True)  # first: it names a lazy layer that has not seen an input
    tensors = {name: t.numpy() for name, t in state.items()}  # from any device: the host's copy
    config = module_to_config(model)
    problem = _mismatch(module_from_config(config), tensors)
    if problem:
        raise GlassnetError(f"cannot save the model: its layers hold parameters their arguments do not "
                            f"describe ({problem}); save only unmodified glassnet layers, or save the "
                            "weights alone with glassnet.io.save_state_dict(model, path)")
    metadata = {"format": FORMAT_NAME, "format_version": str(_version_for(model)),
                "glassnet_version": _glassnet_version(),
                "architecture": json.dumps(config, separators=(",", ":"))}
    fields = (preprocessing, classes, hyperparameters, history, extra)
    for field, value in zip(_FIELDS, fields, strict=True):
        metadata[field], arrays = pack_tree(value, prefix=f"{field}/")
        tensors.update(arrays)
    save_tensors(path, tensors, metadata, checksum=True)


def _widths(model: Module) -> tuple[int, int] | None:
    """(inputs, outputs) of a Sequential of Linear layers and activations, or None if it cannot tell."""
    if not isinstance(model, Sequential):
        return None
    layers = list(model)
    linears = [m for m in layers if isinstance(m, Linear)]
    same_width = (Linear, Dropout, Identity, *ACTIVATIONS.values())  # Linear: its own in and out
    if not linears or not all(isinstance(m, same_width) for m in layers):
        return None
    return linears[0].in_features, linears[-1].out_features


def _check_fields(model: Module, classes: Any, extra: Any) -> None:
    """Refuse classes and feature names that cannot belong to ``model``, which the CLI would trip on."""
    widths = _widths(model)
    if classes is not None:
        labels = classes.tolist() if isinstance(classes, np.ndarray) and classes.ndim == 1 else classes
        if not isinstance(labels, list | tuple) or not all(isinstance(c, str | int | float) for c in labels):
            raise GlassnetError(f"save(): classes must be a list of labels (strings or numbers), got "
                                f"{classes!r:.60}; pass e.g. classes=['cat', 'dog']")
        n_out = None if widths is None else widths[1]
        if n_out is not None and not (len(labels) == n_out or (n_out == 1 and len(labels) == 2)):
            raise GlassnetError(f"save(): {len(labels)} classes for a model with {n_out} outputs; pass one "
                                "label per output (two for a single sigmoid output)")
    names = extra.get("feature_names") if isinstance(extra, dict) else None
    if names is not None:
        if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
            raise GlassnetError(f"save(): extra['feature_names'] must be a list of strings, got "
                                f"{names!r:.60}")
        if widths is not None and len(names) != widths[0]:
            raise GlassnetError(f"save(): {len(names)} feature_names for a model with {widths[0]} inputs; "
                                "pass one name per input column")


def load(path: PathLike, *, weights_only: bool = True, map_location: Any = None) -> Any:
    """Load a file written by ``save``: checks format, version, architecture and every weight.

    Args:
        path: the file.
        weights_only, map_location: PyTorch's ``torch.load`` arguments, accepted so its code runs:
            a glassnet file never runs code on loading, whatever ``weights_only`` says, and only
            the CPU exists.

    Returns:
        for a model: a ``LoadedModel``, ``.model`` in eval mode (call ``.train()`` to go on
        training; dropout masks then come from fresh randomness) and the saved fields. For a
        state (``save(model.state_dict(), path)``): that state, Tensors as Tensors; for a weights
        file of ``save_state_dict``: its name → ndarray dict.

    Raises:
        GlassnetError: for a file that is missing, corrupt, from a newer glassnet, or whose weights
            do not match its architecture in names, shapes or dtypes.
    """
    where = as_device(map_location)
    built: list[Module] = []

    def into(metadata: dict[str, str], specs: dict[str, tuple[Any, tuple[int, ...]]]) -> dict[str, Any]:
        """A model file's model, built before its weights are read, so they are read into it."""
        if is_state(metadata) or metadata.get("format") == _WEIGHTS_NAME:
            return {}
        check_format(metadata, FORMAT_NAME, FORMAT_VERSION, str(path))
        fields = tuple(f"{field}/" for field in _FIELDS)
        n_weights = sum(math.prod(shape) for name, (_, shape) in specs.items()
                        if not name.startswith(fields))
        built.append(_model(metadata, n_weights, path))
        return {name: t.array for name, t in built[0].state_dict(keep_vars=True).items()}

    tensors, metadata = load_tensors(path, into)
    if is_state(metadata):
        return tree_of(tensors, metadata, path)
    if metadata.get("format") == _WEIGHTS_NAME:
        return _weights(tensors, metadata, path)
    fields, weights = _split(tensors, metadata, path)
    model = built[0]
    problem = _mismatch(model, weights)
    if problem:
        raise GlassnetError(f"cannot load {path}: the weights do not fit the architecture ({problem}); "
                            "the file was altered or damaged")
    model.load_state_dict(weights)
    model.eval()
    if map_location is not None:  # read on the host, then moved there
        model.to(where)
    return LoadedModel(model, **fields, glassnet_version=_entry(metadata, "glassnet_version", path))


def _model(metadata: dict[str, str], n_weights: int, path: PathLike) -> Module:
    """The model a file's architecture describes, refused if it would hold far more than the file."""
    try:
        config = json.loads(_entry(metadata, "architecture", path))
        config = _upgraded(config, int(metadata["format_version"]))
        return module_from_config(config, max_parameters=n_weights + _SLACK)  # never far beyond the file
    except (ValueError, RecursionError, GlassnetError) as e:
        raise GlassnetError(f"cannot load {path}: the architecture is not valid: {e}") from e


def save_state_dict(model: Module | Mapping[str, ArrayLike], path: PathLike) -> None:
    """Save the weights of any Module, a user's own subclass too, to a safetensors file (no pickle).

    The file holds the ``state_dict`` under its dotted names and nothing else: the code that
    built the model builds it again, then ``model.load_state_dict(load_state_dict(path))``.

    Args:
        model: a Module, or a state_dict (name → ndarray or Tensor) such as ``model.state_dict()``.
        path: the file to write (atomically), e.g. ``"weights.safetensors"``.

    >>> import os, tempfile, glassnet as gn
    >>> class Net(gn.nn.Module):
    ...     def __init__(self) -> None:
    ...         super().__init__()
    ...         self.blocks = gn.nn.ModuleList([gn.nn.Linear(2, 2), gn.nn.Linear(2, 1)])
    ...     def forward(self, x: gn.Tensor) -> gn.Tensor:
    ...         return self.blocks[1](self.blocks[0](x))
    >>> path = os.path.join(tempfile.mkdtemp(), "weights.safetensors")
    >>> trained, fresh = Net(), Net()
    >>> save_state_dict(trained, path)
    >>> fresh.load_state_dict(load_state_dict(path))
    <All keys matched successfully>
    >>> bool((fresh.blocks[0].weight.array == trained.blocks[0].weight.array).all())
    True
    """
    if not isinstance(model, Module | Mapping):
        raise GlassnetError(f"save_state_dict() needs a glassnet Module or a state_dict, got "
                            f"{type(model).__name__}")
    state = model.state_dict() if isinstance(model, Module) else model
    tensors = {name: value.numpy() if isinstance(value, Tensor) else value for name, value in state.items()}
    metadata = {"format": _WEIGHTS_NAME, "format_version": str(_WEIGHTS_VERSION),
                "glassnet_version": _glassnet_version()}
    save_tensors(path, tensors, metadata, checksum=True)  # which checks each value is an ndarray it can store


def load_state_dict(path: PathLike) -> dict[str, np.ndarray]:
    """The weights in a file of ``save_state_dict`` (or of ``save``), by ``state_dict`` name.

    A safetensors file another library wrote (PyTorch's ``safetensors.torch.save_file(
    model.state_dict(), path)``) gives its tensors as they are: float32 and float64 as stored,
    float16 as float16 and bfloat16 as float32 (exactly), which ``model.load_state_dict`` copies
    into the model's own dtype.

    Returns:
        name → ndarray, for ``model.load_state_dict``, which checks names and shapes.

    Raises:
        GlassnetError: for a file that is missing, corrupt, from a newer glassnet or of another kind.
    """
    tensors, metadata = load_tensors(path)
    if metadata.get("format") == FORMAT_NAME:
        return _split(tensors, metadata, path)[1]
    if is_state(metadata):
        state = tree_of(tensors, metadata, path)
        if isinstance(state, dict) and all(isinstance(k, str) for k in state):
            return state
        raise GlassnetError(f"cannot load {path} as a state_dict: it holds a {type(state).__name__} saved by "
                            "save(); load it with glassnet.load(path)")
    if not metadata.get("format", "").startswith("glassnet"):
        return tensors  # another writer's tensors, e.g. PyTorch's state_dict (format "pt" or none)
    return _weights(tensors, metadata, path)


def _weights(tensors: dict[str, np.ndarray], metadata: dict[str, str],
             path: PathLike) -> dict[str, np.ndarray]:
    check_format(metadata, _WEIGHTS_NAME, _WEIGHTS_VERSION, str(path))
    return tensors


def _split(tensors: dict[str, np.ndarray], metadata: dict[str, str],
           path: PathLike) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """A model file's fields (preprocessing, classes, ...) and its weights."""
    check_format(metadata, FORMAT_NAME, FORMAT_VERSION, str(path))
    fields, used = {}, set()
    for field in _FIELDS:
        fields[field], names = unpack_tree(_entry(metadata, field, path), tensors, str(path))
        used |= names
    return fields, {name: array for name, array in tensors.items() if name not in used}


def _upgraded(config: Any, version: int) -> Any:
    """A config of a file of an older ``version`` in today's terms: before version 3, Flatten took
    no arguments (it flattened all axes but the first, today's defaults)."""
    if version >= 3 or not isinstance(config, dict):
        return config
    if config.get("type") == "Flatten" and config.get("args") == {}:
        return {**config, "args": {"start_dim": 1, "end_dim": -1}}
    modules = config.get("modules")
    if isinstance(modules, list):
        return {**config, "modules": [[m[0], _upgraded(m[1], version)] if isinstance(m, list) and len(m) == 2
                                      else _upgraded(m, version) for m in modules]}
    return config


def _version_for(model: Module) -> int:
    """The oldest format version whose readers know every layer of ``model``."""
    return max([1, *(_NEW_IN.get(type(m).__name__, 1) for m in model.modules())])


def _entry(metadata: dict[str, str], key: str, path: PathLike) -> str:
    if key not in metadata:
        raise GlassnetError(f"cannot load {path}: the metadata has no '{key}' entry; the file is damaged")
    return metadata[key]


def _mismatch(model: Module, weights: dict[str, np.ndarray]) -> str:
    """What differs between the model's state (parameters and buffers) and ``weights`` (names,
    shapes, dtypes), or ''."""
    own = model.state_dict(keep_vars=True)
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
