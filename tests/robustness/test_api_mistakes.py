"""API mistakes: each bad argument raises a one-line GlassnetError that names it, before anything runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim
from glassnet.data import make_xor
from glassnet.errors import GlassnetError
from glassnet.optim import lr_scheduler


def _net() -> nn.Sequential:
    rng = np.random.default_rng(0)
    return nn.Sequential(nn.Linear(2, 4, generator=rng), nn.Tanh(), nn.Linear(4, 2, generator=rng))


def _fit(X: Any = None, y: Any = None, loss: nn.Module | None = None, **options: Any) -> gn.train.History:
    X0, y0 = make_xor(16)
    net = _net()
    return gn.fit(net, loss or nn.CrossEntropyLoss(), optim.SGD(net.parameters(), lr=0.1),
                  X0 if X is None else X, y0 if y is None else y, verbose=0, seed=0, **options)


def _fit_verbose(verbose: Any) -> gn.train.History:
    net = _net()
    return gn.fit(net, nn.CrossEntropyLoss(), optim.SGD(net.parameters(), lr=0.1), X_XOR, Y_XOR,
                  verbose=verbose)


def _params() -> list[Any]:
    return list(_net().parameters())


def _with(X: np.ndarray, index: tuple[int, int], value: float) -> np.ndarray:
    X = X.astype(np.float64)
    X[index] = value
    return X


X_XOR, Y_XOR = make_xor(16)
# (name, the call, what the one line must say)
CASES: list[tuple[str, Callable[[], object], str]] = [
    ("batch_size=0", lambda: _fit(batch_size=0), r"batch_size=0; expected a whole number >= 1"),
    ("batch_size=-1", lambda: _fit(batch_size=-1), r"batch_size=-1; expected a whole number >= 1"),
    ("batch_size=2.5", lambda: _fit(batch_size=2.5), r"batch_size=2.5"),
    ("epochs=-1", lambda: _fit(epochs=-1), r"epochs=-1; expected a whole number >= 1"),
    ("epochs='5'", lambda: _fit(epochs="5"), r"epochs='5'"),
    ("validation_split=1", lambda: _fit(validation_split=1.0),
     r"validation_split=1.0; expected 0 .* \(0, 1\)"),
    ("validation_split=nan", lambda: _fit(validation_split=float("nan")), r"validation_split=nan"),
    ("verbose=5", lambda: _fit_verbose(5), r"verbose=5"),
    ("string labels", lambda: _fit(y=np.array(["a", "b"] * 8)),
     r"y holds text values like \['a', 'b', 'a'\]"),
    ("string features", lambda: _fit(X=np.array([["1", "x"]] * 16)), r"X holds text values"),
    ("object features", lambda: _fit(X=np.array([[None, 1]] * 16)), r"X holds object values"),
    ("nan feature", lambda: _fit(X=_with(X_XOR, (3, 1), np.nan)), r"X\[3, 1\] is nan"),
    ("inf feature", lambda: _fit(X=_with(X_XOR, (5, 0), np.inf)), r"X\[5, 0\] is inf"),
    ("float32 overflow", lambda: _fit(X=_with(X_XOR, (2, 0), 1e308)),
     r"X\[2, 0\] is 1e\+308, beyond the range of float32 .*model.double\(\)"),
    ("nan target", lambda: _fit(y=_with(X_XOR, (4, 0), np.nan)[:, :1], loss=nn.MSELoss()),
     r"y\[4, 0\] is nan"),
    ("nan validation", lambda: _fit(validation_data=(_with(X_XOR, (1, 1), np.nan), Y_XOR)),
     r"validation_data X\[1, 1\] is nan"),
    ("HuberLoss(delta=-1)", lambda: nn.HuberLoss(delta=-1),
     r"HuberLoss got delta=-1; expected .* \(0, inf\)"),
    ("HuberLoss(delta=0)", lambda: nn.HuberLoss(delta=0), r"delta=0"),
    ("SmoothL1Loss(beta=-1)", lambda: nn.SmoothL1Loss(beta=-1.0), r"beta=-1.0; expected .* \[0, inf\)"),
    ("label_smoothing=2", lambda: nn.CrossEntropyLoss(label_smoothing=2), r"label_smoothing=2; .*\[0, 1\]"),
    ("label_smoothing=nan", lambda: nn.CrossEntropyLoss(label_smoothing=float("nan")),
     r"label_smoothing=nan"),
    ("GaussianNLLLoss(eps=-1)", lambda: nn.GaussianNLLLoss(eps=-1.0), r"eps=-1.0"),
    ("PoissonNLLLoss(eps=inf)", lambda: nn.PoissonNLLLoss(eps=float("inf")), r"eps=inf"),
    ("EarlyStopping(patience=-1)", lambda: gn.train.EarlyStopping(patience=-1),
     r"EarlyStopping got patience=-1; expected a whole number >= 0"),
    ("EarlyStopping(patience=2.5)", lambda: gn.train.EarlyStopping(patience=2.5), r"patience=2.5"),
    ("EarlyStopping(min_delta=nan)", lambda: gn.train.EarlyStopping(min_delta=float("nan")),
     r"min_delta=nan; expected a finite number"),
    ("EarlyStopping(start_from_epoch=-3)", lambda: gn.train.EarlyStopping(start_from_epoch=-3),
     r"start_from_epoch=-3"),
    ("SGD(lr=inf)", lambda: optim.SGD(_params(), lr=float("inf")), r"SGD: invalid lr=inf; expected a finite"),
    ("SGD(lr=-1)", lambda: optim.SGD(_params(), lr=-1.0), r"SGD: invalid lr=-1.0"),
    ("SGD(lr=True)", lambda: optim.SGD(_params(), lr=True), r"SGD: invalid lr=True"),
    ("SGD(momentum=-0.5)", lambda: optim.SGD(_params(), momentum=-0.5), r"invalid momentum=-0.5"),
    ("Adam(betas=(1, 0.9))", lambda: optim.Adam(_params(), betas=(1.0, 0.9)), r"invalid betas=\(1.0, 0.9\)"),
    ("Adam(eps=nan)", lambda: optim.Adam(_params(), eps=float("nan")), r"invalid eps=nan"),
    ("AdamW(weight_decay=-1)", lambda: optim.AdamW(_params(), weight_decay=-1.0),
     r"invalid weight_decay=-1.0"),
    ("RMSprop(alpha=inf)", lambda: optim.RMSprop(_params(), alpha=float("inf")), r"invalid alpha=inf"),
    ("StepLR(gamma=-1)", lambda: lr_scheduler.StepLR(optim.SGD(_params(), lr=0.1), 2, gamma=-1.0),
     r"gamma=-1.0"),
    ("ExponentialLR(gamma=nan)",
     lambda: lr_scheduler.ExponentialLR(optim.SGD(_params(), lr=0.1), float("nan")),
     r"ExponentialLR got gamma=nan"),
    ("MultiStepLR(gamma=0)", lambda: lr_scheduler.MultiStepLR(optim.SGD(_params(), lr=0.1), [1], gamma=0),
     r"MultiStepLR got gamma=0"),
    ("predict on text", lambda: gn.predict(_net(), np.array([["1", "x"]])), r"X holds text values"),
    ("tensor of text", lambda: gn.tensor(["a", "b"]),
     r"tensor\(\) takes numbers, got <U1 data like \['a', 'b'\]"),
    ("tensor of objects", lambda: gn.tensor([None, 1]), r"tensor\(\) takes numbers, got object data"),
    ("Linear(-1, 2)", lambda: nn.Linear(-1, 2), r"Linear got in_features=-1; expected a whole number >= 0"),
    ("Linear(2, 2.5)", lambda: nn.Linear(2, 2.5), r"Linear got out_features=2.5"),  # type: ignore[arg-type]
    ("SGD(dampening=nan)", lambda: optim.SGD(_params(), dampening=float("nan")), r"invalid dampening=nan"),
    ("Module.to(np.int32)", lambda: _net().to(np.int32), r"takes a floating-point dtype, got int32"),
    ("Module.to('U3')", lambda: _net().to("U3"), r"takes a floating-point dtype, got <U3"),
]  # fmt: skip


@pytest.mark.parametrize(("call", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_mistake_raises_one_clear_line(call: Callable[[], object], message: str) -> None:
    with pytest.raises(GlassnetError, match=message) as caught:
        call()
    assert "\n" not in str(caught.value)


def test_module_to_int_leaves_the_weights_alone() -> None:
    net = _net()
    before = [p.array.copy() for p in net.parameters()]
    with pytest.raises(GlassnetError):
        net.to(np.int32)
    assert all(np.array_equal(a, p.array) and p.array.dtype == np.float32
               for a, p in zip(before, net.parameters(), strict=True))


def test_good_arguments_still_train() -> None:
    history = _fit(batch_size=4, epochs=2, validation_split=0.25)
    assert len(history) == 2
    history = _fit(X=X_XOR.astype(np.float64) * 1e30)  # large but within float32: trains (badly), no error
    assert len(history) == 1
