"""A generated sweep of API mistakes: every argument of every registered component tried with bad values.

For every component of the registries (activations, losses, optimizers, schedules, regularizers,
layers, initializers), every callback of ``glassnet.train``, the keyword arguments of ``fit``,
``predict`` and ``evaluate`` and the estimators' parameters, each constructor's signature is read
(``inspect``) and each argument tried with the bad values of its kind (``VALUES``). The verdict for
each (component, argument, value) is one of two:

- it raises a GlassnetError (for the estimators, scikit-learn's ValueError) whose message is one
  line naming the argument (or quoting the unknown name it was given); or
- the value is legal: PyTorch (scikit-learn for the estimators) accepts it too where the component
  and the argument exist there, or it is in ``ACCEPTED`` with its reason; and the component then
  works on a small input (a forward and backward pass, two optimizer steps, a few schedule steps,
  a short ``fit``) with no exception and only finite numbers.

A component registered later is swept as it is; one with required arguments needs its row in
``BASE`` (``test_every_component_with_required_arguments_has_a_base_row`` says so). Arguments
of other kinds (bools, callables, modules, generators, dtypes, devices, arrays, paths) are not
swept here; dtypes and shapes are swept through the tensor factories and ``Module.to``, state
dicts through ``load_state_dict``.
"""

from __future__ import annotations

import inspect
import io
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sklearn.neural_network
import torch

import glassnet as gn
from glassnet import nn, optim, train
from glassnet.data import make_xor
from glassnet.errors import GlassnetError
from glassnet.nn.activations import ACTIVATIONS
from glassnet.nn.init import INITIALIZERS
from glassnet.nn.layers import LAYERS
from glassnet.nn.losses import LOSSES
from glassnet.optim import OPTIMIZERS, lr_scheduler
from glassnet.optim.lr_scheduler import SCHEDULERS
from glassnet.regularizers.penalties import REGULARIZERS
from glassnet.sklearn import MLPClassifier, MLPRegressor

NAN, INF = float("nan"), float("inf")
# the bad values of each kind of argument, by label
VALUES: dict[str, dict[str, Any]] = {
    "number": {"nan": NAN, "inf": INF, "-inf": -INF, "-1": -1, "0": 0, "huge": 1e300, "text": "1",
               "True": True, "None": None, "list": [1.0]},
    "text": {"unknown": "no_such_name", "number": 5},
    "tuple": {"short": (0.5,), "long": (0.5, 0.5, 0.5), "nan member": (NAN, 0.5), "text member": ("a", 0.5)},
    "names": {"unknown": ["no_such_name"], "number": 5},
    "ints": {"negative": [-1], "text": ["a"], "nan": [NAN]},
}  # fmt: skip

# Values deliberately accepted, each with its reason: (family, component or "*", argument, label).
# An accepted value skips the comparison with PyTorch/scikit-learn and the finite check (or it may end
# in the NaN guard's one-line GlassnetError), never the others: no other exception, one line.
_OVERFLOWS = "legal in PyTorch, which takes the same steps; the numbers overflow float64 within two steps"
ACCEPTED: dict[tuple[str, str, str, str], str] = {
    ("optimizer", "*", "lr", "huge"): "lr=1e300 is legal in PyTorch (any lr >= 0); " + _OVERFLOWS,
    ("optimizer", "*", "weight_decay", "huge"): "weight_decay=1e300 is legal in PyTorch; " + _OVERFLOWS,
    ("optimizer", "rmsprop", "alpha", "huge"): "alpha=1e300 is legal in PyTorch (alpha >= 0); " + _OVERFLOWS,
    ("schedule", "*", "gamma", "huge"): "gamma=1e300 is legal in PyTorch; the lr overflows after two steps",
    ("schedule", "one_cycle", "pct_start", "0"): "pct_start=0 is 0.0, which PyTorch accepts (it refuses the "
                                                 "int 0 only for its type)",
    ("initializer", "*", "a", "huge"): "a=1e300 gives gain √(2/(1 + a²)) = 0, all zeros; PyTorch fails "
                                       "with OverflowError computing a**2",
    ("estimator", "*", "alpha", "huge"): "alpha=1e300 is legal in scikit-learn; the penalty overflows and "
                                         "fit's NaN guard stops the run in one line, naming the penalty",
    ("estimator", "*", "l1", "huge"): "l1=1e300: the penalty overflows and the NaN guard stops the run in "
                                      "one line, naming the penalty",
    ("estimator", "*", "learning_rate_init", "huge"): "legal in scikit-learn; the weights overflow and the "
                                                      "NaN guard stops the run in one line, naming the rate",
}  # fmt: skip


def kind_of(p: inspect.Parameter) -> str | None:
    """The kind of values an argument takes, from its annotation (or its default where that is Any)."""
    if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
        return None
    a = str(p.annotation)
    if a == "Any":
        return {str: "text", float: "number", int: "number", tuple: "tuple"}.get(type(p.default))
    if a.startswith("tuple"):
        return "tuple"
    if a.startswith(("float", "int")):
        return "number"
    if a.startswith(("str", "Literal")) and "PathLike" not in a:
        return "text"
    if a.startswith("Sequence[str]"):
        return "names"
    if a.startswith(("Iterable[int]", "list[int]")):
        return "ints"
    return None  # bools, callables, modules, generators, arrays, paths: not swept here


def _rng(*shape: int) -> np.ndarray:
    return np.random.default_rng(0).standard_normal(shape) * 2.0


def _numbers(*values: Any) -> list[np.ndarray]:
    return [np.asarray(v.detach().numpy() if isinstance(v, torch.Tensor) else getattr(v, "array", v),
                       dtype=np.float64) for v in values]


# ----------------------------------------------------------------------------- families
# Each use function builds ``member`` (glassnet's component, or its PyTorch twin) with the case's
# arguments (``arguments(optimizer)``: the base row's and the bad value) and uses it on a small
# input; it returns the numbers that must be finite.
Arguments = Callable[[Any], dict[str, Any]]


def _activation(lib: _Lib, name: str, cls: Any, arguments: Arguments, _: Path) -> list[np.ndarray]:
    x = lib.tensor(_rng(4, 3), requires_grad=True)
    y = cls(**arguments(None))(x)
    y.sum().backward()
    return _numbers(y, x.grad)


LOSS_INPUTS: dict[str, Callable[[], list[np.ndarray]]] = {
    "mse": lambda: [_rng(4, 3), _rng(4, 3)], "l1": lambda: [_rng(4, 3), _rng(4, 3)],
    "huber": lambda: [_rng(4, 3), _rng(4, 3) + 1], "smooth_l1": lambda: [_rng(4, 3), _rng(4, 3) + 1],
    "bce": lambda: [np.full((4, 3), 0.3), np.full((4, 3), 0.6)],
    "bce_with_logits": lambda: [_rng(4, 3), np.full((4, 3), 0.6)],
    "cross_entropy": lambda: [_rng(4, 3), np.array([0, 1, 2, 1])],
    "nll": lambda: [-np.abs(_rng(4, 3)), np.array([0, 1, 2, 1])],
    "kl_div": lambda: [-np.abs(_rng(4, 3)), np.full((4, 3), 1 / 3)],
    "poisson_nll": lambda: [_rng(4, 3), np.abs(_rng(4, 3)).round()],
    "gaussian_nll": lambda: [_rng(4, 3), _rng(4, 3), np.full((4, 1), 0.5)],
}  # fmt: skip


def _loss(lib: _Lib, name: str, cls: Any, arguments: Arguments, _: Path) -> list[np.ndarray]:
    arrays = LOSS_INPUTS[name]()
    x = lib.tensor(arrays[0], requires_grad=True)
    out = cls(**arguments(None))(x, *[lib.tensor(a) for a in arrays[1:]])
    out.sum().backward()
    return _numbers(out, x.grad)


def _params(lib: _Lib) -> list[Any]:
    return [lib.nn.Parameter(lib.tensor(_rng(3, 2)))]


def _optimizer(lib: _Lib, name: str, cls: Any, arguments: Arguments, _: Path) -> list[np.ndarray]:
    [p] = _params(lib)
    opt = cls([p], **arguments(None))
    for _step in range(2):
        p.grad = lib.tensor(_rng(3, 2))
        opt.step()
    return _numbers(p)


def _schedule(lib: _Lib, name: str, cls: Any, arguments: Arguments, _: Path) -> list[np.ndarray]:
    opt = lib.optim.SGD(_params(lib), lr=0.1, momentum=0.9)
    sched = cls(opt, **arguments(opt))
    lrs = []
    for _step in range(3):
        opt.step()
        sched.step(1.0) if type(sched).__name__ == "ReduceLROnPlateau" else sched.step()
        lrs.append([g["lr"] for g in opt.param_groups])
    return _numbers(lrs)


def _regularizer(lib: _Lib, name: str, cls: Any, arguments: Arguments, _: Path) -> list[np.ndarray]:
    net = nn.Linear(2, 3, generator=0, dtype=np.float64)
    penalty = cls(**arguments(None))(net)
    penalty.backward()
    return _numbers(penalty, net.weight.grad)


LAYER_INPUTS: dict[str, Callable[[dict[str, Any]], np.ndarray]] = {
    "linear": lambda kw: _rng(4, int(kw["in_features"])), "dropout": lambda kw: _rng(4, 3),
    "flatten": lambda kw: _rng(2, 3, 4), "unflatten": lambda kw: _rng(4, 4),
    "identity": lambda kw: _rng(4, 3),
    "layer_norm": lambda kw: _rng(4, *np.atleast_1d(kw["normalized_shape"]).astype(int).tolist()),
    "batch_norm1d": lambda kw: _rng(4, int(kw["num_features"])),
    "embedding": lambda kw: np.array([0, 1, int(kw["num_embeddings"]) - 1]),
}  # fmt: skip


def _layer(lib: _Lib, name: str, cls: Any, arguments: Arguments, _: Path) -> list[np.ndarray]:
    kw = arguments(None)
    layer = cls(**kw).double()
    x = LAYER_INPUTS[name](kw)
    floating = x.dtype.kind == "f"
    x = lib.tensor(x, requires_grad=floating)
    y = layer(x)
    y.sum().backward()
    grads = [x.grad] if floating else []
    return _numbers(y, *grads, *layer.state_dict().values())  # the running statistics too


def _initializer(lib: _Lib, name: str, fn: Any, arguments: Arguments, _: Path) -> list[np.ndarray]:
    t = lib.empty(4, 3, dtype=lib.float64)
    fn(t, **arguments(None))
    return _numbers(t)


def _xor_fit(callbacks: list[Callable[[Any], Any]], **options: Any) -> list[np.ndarray]:
    """Three epochs of a small network on XOR; each callback made from the optimizer."""
    X, y = make_xor(16)
    net = nn.Sequential(nn.Linear(2, 4, generator=0), nn.Tanh(), nn.Linear(4, 2, generator=1))
    opt = optim.SGD(net.parameters(), lr=0.1)
    history = gn.fit(net, nn.CrossEntropyLoss(), opt, X, y, **({"epochs": 3, "verbose": 0, "seed": 0,
                     "callbacks": [make(opt) for make in callbacks]} | options))
    return _numbers([history[k] for k in ("loss", "val_loss") if k in history])


def _callback(lib: _Lib, name: str, cls: Any, arguments: Arguments, _: Path) -> list[np.ndarray]:
    return _xor_fit([lambda opt: cls(**arguments(opt))], validation_split=0.25, diagnostics=False)


def _fit_call(lib: _Lib, name: str, fn: Any, arguments: Arguments, _: Path) -> list[np.ndarray]:
    X, y = make_xor(16)
    if fn is gn.fit:
        return _xor_fit([], **arguments(None))
    net = nn.Sequential(nn.Linear(2, 2, generator=0))
    if fn is gn.predict:
        return _numbers(gn.predict(net, X, **arguments(None)))
    return _numbers(list(gn.evaluate(net, nn.CrossEntropyLoss(), X, y, **arguments(None)).values()))


def _estimator(lib: _Lib, name: str, cls: Any, arguments: Arguments, _: Path) -> list[np.ndarray]:
    X, y = make_xor(24)
    target = y if cls is MLPClassifier else X[:, 0] * 2.0 - X[:, 1]
    est = cls(**({"hidden_layer_sizes": (4,), "max_iter": 5, "random_state": 0} | arguments(None)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, target)
    return _numbers(est.predict_proba(X) if cls is MLPClassifier else est.predict(X))


def _callbacks() -> dict[str, Any]:
    found = {name: getattr(train, name) for name in train.__all__}
    return {n: c for n, c in found.items() if isinstance(c, type) and issubclass(c, train.Callback)
            and c is not train.Callback}


class _Lib:
    """glassnet or PyTorch under the names the use functions call (tensor, empty, nn, optim)."""

    def __init__(self, ours: bool) -> None:
        self.ours = ours
        self.nn, self.optim = (gn.nn, gn.optim) if ours else (torch.nn, torch.optim)
        self.schedules = lr_scheduler if ours else torch.optim.lr_scheduler
        self.float64 = np.float64 if ours else torch.float64

    def tensor(self, a: Any, requires_grad: bool = False) -> Any:
        a = np.asarray(a)
        make = gn.tensor if self.ours else torch.tensor
        return make(a, requires_grad=requires_grad)

    def empty(self, *shape: int, dtype: Any) -> Any:
        return gn.empty(*shape, dtype=dtype) if self.ours else torch.empty(*shape, dtype=dtype)


OURS, THEIRS = _Lib(True), _Lib(False)


@dataclass(frozen=True)
class Family:
    """One family swept: its members, how to use one, its twin in PyTorch or scikit-learn."""

    members: dict[str, Any]
    use: Callable[[_Lib, str, Any, Arguments, Path], list[np.ndarray]]
    twin: Callable[[Any], Any] = lambda member: None
    error: type[Exception] | tuple[type[Exception], ...] = GlassnetError  # the estimators: ValueError too


def _torch_nn(c: Any) -> Any:
    return getattr(torch.nn, c.__name__, None)


FAMILIES: dict[str, Family] = {
    "activation": Family(dict(ACTIVATIONS), _activation, _torch_nn),
    "loss": Family(dict(LOSSES), _loss, _torch_nn),
    "optimizer": Family(dict(OPTIMIZERS), _optimizer, lambda c: getattr(torch.optim, c.__name__, None)),
    "schedule": Family(dict(SCHEDULERS), _schedule,
                       lambda c: getattr(torch.optim.lr_scheduler, c.__name__, None)),
    "regularizer": Family(dict(REGULARIZERS), _regularizer),
    "layer": Family(dict(LAYERS), _layer, _torch_nn),
    "initializer": Family(dict(INITIALIZERS), _initializer,
                          lambda f: getattr(torch.nn.init, f.__name__, None)),
    "callback": Family(_callbacks(), _callback),
    "fit": Family({"fit": gn.fit, "predict": gn.predict, "evaluate": gn.evaluate}, _fit_call),
    "estimator": Family({"MLPClassifier": MLPClassifier, "MLPRegressor": MLPRegressor}, _estimator,
                        lambda c: getattr(sklearn.neural_network, c.__name__), (GlassnetError, ValueError)),
}  # fmt: skip

# the arguments a component cannot do without (or that the sweep's small input needs); a function
# of (optimizer, the schedules' module) where they are objects
BASE: dict[tuple[str, str], dict[str, Any] | Callable[[Any, Any], dict[str, Any]]] = {
    ("schedule", "step"): {"step_size": 2}, ("schedule", "multi_step"): {"milestones": [1, 2]},
    ("schedule", "exponential"): {"gamma": 0.9}, ("schedule", "cosine"): {"T_max": 5},
    ("schedule", "one_cycle"): {"max_lr": 0.5, "total_steps": 10},
    ("schedule", "lambda"): {"lr_lambda": lambda t: 0.9**t},
    ("schedule", "sequential"): lambda opt, sched: {
        "schedulers": [sched.StepLR(opt, 1), sched.ExponentialLR(opt, 0.9)], "milestones": [2]},
    ("layer", "linear"): {"in_features": 2, "out_features": 3},
    ("layer", "unflatten"): {"dim": 1, "unflattened_size": (2, 2)},
    ("layer", "layer_norm"): {"normalized_shape": 4}, ("layer", "batch_norm1d"): {"num_features": 4},
    ("layer", "embedding"): {"num_embeddings": 5, "embedding_dim": 3},
    ("initializer", "constant"): {"val": 0.5},
    ("callback", "HistoryLogger"): {"path": "{folder}/history.csv"},
    ("callback", "ModelCheckpoint"): {"path": "{folder}/checkpoint.safetensors"},
    ("callback", "LRSchedulerCallback"): lambda opt, sched: {"scheduler": sched.StepLR(opt, 1)},
    ("callback", "ProgressBar"): {"file": io.StringIO()},
}  # fmt: skip
_SKIP = {"tensor", "params", "optimizer", "model", "loss", "X", "y"}  # the objects a use function supplies


@dataclass(frozen=True)
class Case:
    """One (component, argument, bad value) of the sweep."""

    family: str
    member: str
    argument: str
    label: str
    value: Any

    @property
    def id(self) -> str:
        return f"{self.family}-{self.member}-{self.argument}={self.label}"


def _signature(member: Any) -> dict[str, inspect.Parameter]:
    return dict(inspect.signature(member).parameters)


def cases() -> list[Case]:
    """Every (component, argument, bad value) of the sweep, read from the signatures."""
    found = []
    for family, fam in FAMILIES.items():
        for name, member in fam.members.items():
            for p in _signature(member).values():
                kind = None if p.name in _SKIP else kind_of(p)
                for label, value in VALUES.get(kind or "", {}).items():
                    if not (value is None and p.default is None):
                        found.append(Case(family, name, p.name, label, value))
    return found


CASES = cases()


def _run(case: Case, lib: _Lib, folder: Path) -> list[np.ndarray]:
    """The case run with glassnet's component (OURS) or its twin (THEIRS)."""
    fam = FAMILIES[case.family]
    member = fam.members[case.member] if lib.ours else fam.twin(fam.members[case.member])
    row = BASE.get((case.family, case.member), {})

    def arguments(opt: Any) -> dict[str, Any]:
        given = row(opt, lib.schedules) if callable(row) else row
        given = {k: v.format(folder=folder) if isinstance(v, str) else v for k, v in given.items()}
        return given | {case.argument: case.value}

    return fam.use(lib, case.member, member, arguments, folder)


def _accepted(case: Case) -> str | None:
    return ACCEPTED.get((case.family, case.member, case.argument, case.label)) or ACCEPTED.get(
        (case.family, "*", case.argument, case.label))


def _refused_by_twin(case: Case, folder: Path) -> str | None:
    """PyTorch's (scikit-learn's) exception for the same arguments, or None where it accepts them or has
    no such component or argument."""
    fam = FAMILIES[case.family]
    twin = fam.twin(fam.members[case.member])
    if twin is None or case.argument not in _signature(twin):
        return None
    try:
        if case.family == "estimator":
            twin(**{case.argument: case.value})._validate_params()
        else:
            _run(case, THEIRS, folder)
    except Exception as e:
        return f"{type(e).__name__}: {e}"
    return None


def names(message: str, case: Case) -> bool:
    """Whether the message names the case's argument (``a=`` for a name of one or two letters, which
    would otherwise be found in any sentence), or quotes the unknown name it was given."""
    arg = re.escape(case.argument)
    pattern = rf"(?<![\w.]){arg}=" if len(case.argument) <= 2 else rf"(?<!\w){arg}(?!\w)"
    if re.search(pattern, message):
        return True
    texts = case.value if isinstance(case.value, list) else [case.value]
    return any(isinstance(t, str) and repr(t) in message for t in texts)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_bad_argument_is_refused_in_one_line_or_works(case: Case, tmp_path: Path) -> None:
    error = FAMILIES[case.family].error
    try:
        numbers = _run(case, OURS, tmp_path)
    except error as e:
        message = str(e)
        assert "\n" not in message, f"{case.id}: a message of more than one line: {message!r}"
        named = names(message, case) or _accepted(case)  # an accepted value may end in the NaN guard's line
        assert named, f"{case.id}: the message does not name {case.argument}: {message}"
        return
    if _accepted(case):
        return
    assert all(bool(np.isfinite(a).all()) for a in numbers), f"{case.id}: accepted, then non-finite numbers"
    refused = _refused_by_twin(case, tmp_path)
    assert refused is None, f"{case.id}: accepted, but the PyTorch/scikit-learn twin refuses it ({refused})"


def test_every_component_with_required_arguments_has_a_base_row() -> None:
    for family, fam in FAMILIES.items():
        for name, member in fam.members.items():
            required = [p.name for p in _signature(member).values() if p.default is p.empty
                        and p.name not in _SKIP and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
            if required and family not in ("fit",):
                assert (family, name) in BASE, f"add a BASE row for {family} {name}: it needs {required}"


def test_every_accepted_value_is_a_case_of_the_sweep() -> None:
    keys = {(c.family, m, c.argument, c.label) for c in CASES for m in (c.member, "*")}
    assert set(ACCEPTED) <= keys, sorted(set(ACCEPTED) - keys)


def test_the_sweep_covers_every_family() -> None:
    counts = {family: sum(c.family == family for c in CASES) for family in FAMILIES}
    assert all(n > 0 for n in counts.values()), counts


# ----------------------------------------------------------------------------- tensors, dtypes, states
BAD_SIZES: dict[str, tuple[Any, ...]] = {
    "negative": (-1, 2), "fraction": (2.5,), "text": ("a",), "nan": (NAN,), "None": (None,),
    "nested": ([[2]],), "huge": (10**15, 10**15),
}  # fmt: skip
BAD_DTYPES: dict[str, Any] = {"unknown name": "float99", "number": 5, "text dtype": "U3", "object": object,
                              "list": [np.float32]}
FACTORIES = {"zeros": gn.zeros, "ones": gn.ones, "empty": gn.empty, "rand": gn.rand, "randn": gn.randn}


@pytest.mark.parametrize("factory", FACTORIES)
@pytest.mark.parametrize("label", BAD_SIZES)
def test_a_factory_refuses_a_bad_size_in_one_line(factory: str, label: str) -> None:
    with pytest.raises(GlassnetError) as caught:
        FACTORIES[factory](*BAD_SIZES[label])
    assert "\n" not in str(caught.value) and "size" in str(caught.value), caught.value


@pytest.mark.parametrize("factory", [*FACTORIES, "tensor"])
@pytest.mark.parametrize("label", BAD_DTYPES)
def test_a_factory_refuses_a_bad_dtype_in_one_line(factory: str, label: str) -> None:
    with pytest.raises(GlassnetError) as caught:
        (gn.tensor([1.0, 2.0], dtype=BAD_DTYPES[label]) if factory == "tensor"
         else FACTORIES[factory](2, dtype=BAD_DTYPES[label]))
    assert "\n" not in str(caught.value) and "dtype" in str(caught.value), caught.value


BAD_DATA: dict[str, Any] = {"ragged": [[1.0], [1.0, 2.0]], "text": ["a"], "objects": [None, 1.0],
                            "dict": {"a": 1}, "nested text": [["1", 2.0]]}


@pytest.mark.parametrize("label", BAD_DATA)
def test_tensor_refuses_data_that_is_not_numbers(label: str) -> None:
    with pytest.raises(GlassnetError) as caught:
        gn.tensor(BAD_DATA[label])
    assert "\n" not in str(caught.value) and "tensor" in str(caught.value), caught.value


BAD_TO: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {
    "int32": ((np.int32,), {}), "text dtype": (("U3",), {}), "unknown name": (("float99",), {}),
    "number": ((5,), {}), "object": ((object,), {}), "bool": ((np.bool_,), {}),
    "unknown device": (("tpu",), {}), "dtype= int": ((), {"dtype": np.int64}),
    "two dtypes": ((np.float32, np.float64), {}),
}  # fmt: skip


def _state(net: nn.Module) -> dict[str, Any]:
    """A copy of the model's state as NumPy arrays."""
    return {k: np.array(getattr(v, "array", v)) for k, v in net.state_dict().items()}


@pytest.mark.parametrize("label", BAD_TO)
def test_module_to_refuses_in_one_line_and_leaves_the_weights(label: str) -> None:
    net = nn.Sequential(nn.Linear(2, 3, generator=0), nn.BatchNorm1d(3))
    before = _state(net)
    args, kwargs = BAD_TO[label]
    with pytest.raises(GlassnetError) as caught:
        net.to(*args, **kwargs)
    message = str(caught.value)
    assert "\n" not in message and any(w in message for w in (".to", "device", "dtype")), message
    after = _state(net)
    assert all(after[k].dtype == v.dtype and np.array_equal(after[k], v) for k, v in before.items())


def _states() -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
    def without(s: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in s.items() if k != "0.bias"}

    return {
        "missing key": without,
        "unexpected key": lambda s: s | {"9.weight": np.zeros(3)},
        "wrong shape": lambda s: s | {"0.weight": np.zeros((2, 3))},
        "text values": lambda s: s | {"0.weight": np.full((3, 2), "a")},
        "None value": lambda s: s | {"0.weight": None},
        "nested dict": lambda s: s | {"0.weight": {"a": 1}},
        "scalar for a matrix": lambda s: s | {"0.weight": 1.0},
        "ragged list": lambda s: s | {"0.weight": [[1.0, 2.0], [3.0]]},
        "not a mapping": lambda s: [1, 2],  # type: ignore[dict-item, return-value]
    }


STATES = _states()


@pytest.mark.parametrize("label", STATES)
def test_load_state_dict_refuses_in_one_line_naming_the_key(label: str) -> None:
    net = nn.Sequential(nn.Linear(2, 3, generator=0), nn.BatchNorm1d(3))
    state = STATES[label](_state(net))
    before = _state(net)
    with pytest.raises(GlassnetError) as caught:
        net.load_state_dict(state)
    message = str(caught.value)
    assert "\n" not in message and ("0." in message or "9." in message or "mapping" in message
                                    or "state" in message), message
    after = _state(net)
    assert all(np.array_equal(after[k], v) for k, v in before.items())  # nothing half loaded


def test_load_state_dict_casts_integers_as_pytorch() -> None:
    net = nn.Sequential(nn.Linear(2, 3, generator=0))
    net.load_state_dict({"0.weight": np.ones((3, 2), dtype=np.int64), "0.bias": np.zeros(3, dtype=np.int64)})
    assert net[0].weight.dtype == np.float32 and np.array_equal(net[0].weight.array, np.ones((3, 2)))


def test_load_state_dict_not_strict_reports_the_keys_as_pytorch() -> None:
    net = nn.Sequential(nn.Linear(2, 3, generator=0))
    state = {"0.weight": np.ones((3, 2)), "9.weight": np.zeros(3)}
    missing, unexpected = net.load_state_dict(state, strict=False)
    assert (missing, unexpected) == (["0.bias"], ["9.weight"])
    assert np.array_equal(net[0].weight.array, np.ones((3, 2)))
    with pytest.raises(GlassnetError, match=r"0\.weight"):  # a wrong shape is refused even when not strict
        net.load_state_dict({"0.weight": np.zeros((2, 2))}, strict=False)
