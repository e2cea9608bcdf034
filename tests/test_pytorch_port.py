"""Tutorial-style PyTorch programs, run twice: as written, and with their imports pointed at glassnet.

Each program below is ordinary PyTorch code written for these tests. ``run`` executes it once
with ``torch`` and once after changing only its import lines (``import torch`` →
``import glassnet as torch``, ``from torch import nn`` → ``from glassnet import nn``, ...); both
start from the same weights (given to the program as NumPy arrays) and must end with the same
numbers. The glassnet run may not import torch: its imports are checked.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

IMPORTS = {  # PyTorch's import line → glassnet's: the only edit a port makes
    "import torch": "import glassnet as torch",
    "from torch import nn": "from glassnet import nn",
    "import torch.nn.functional as F": "import glassnet.nn.functional as F",
    "from torch.utils.data import DataLoader, TensorDataset":
        "from glassnet.utils.data import DataLoader, TensorDataset",
}


def ported(source: str) -> str:
    """The program with its imports changed to glassnet's, and nothing else."""
    lines = []
    for line in source.strip("\n").splitlines():
        if re.match(r"\s*(import|from)\s+torch\b", line):
            assert line.strip() in IMPORTS, f"unexpected import in a program: {line.strip()}"
            line = line.replace(line.strip(), IMPORTS[line.strip()])
        lines.append(line)
    return "\n".join(lines)


def run(source: str, **given: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(torch's result, glassnet's result): the ``result`` dict each run of ``source`` leaves."""
    outcomes = []
    for text in (source, ported(source)):
        scope: dict[str, Any] = {"np": np, **{k: (v.copy() if isinstance(v, np.ndarray) else v)
                                             for k, v in given.items()}}
        exec(compile(text, "<program>", "exec"), scope)
        outcomes.append(scope["result"])
    return outcomes[0], outcomes[1]


def assert_same(theirs: dict[str, Any], ours: dict[str, Any], rtol: float, atol: float = 0.0) -> None:
    assert theirs.keys() == ours.keys()
    for key in theirs:
        got, want = np.asarray(ours[key], dtype=np.float64), np.asarray(theirs[key], dtype=np.float64)
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=key)


# ----------------------------------------------------------------------------- autograd by hand
POLYNOMIAL = """
import math
import torch

dtype = torch.float64
x = torch.linspace(-math.pi, math.pi, 200, dtype=dtype)
y = torch.sin(x)
a = torch.tensor(START[0], dtype=dtype, requires_grad=True)
b = torch.tensor(START[1], dtype=dtype, requires_grad=True)
c = torch.tensor(START[2], dtype=dtype, requires_grad=True)
d = torch.tensor(START[3], dtype=dtype, requires_grad=True)

learning_rate = 1e-6
losses = []
for t in range(300):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum()
    if t % 100 == 0:
        losses.append(f"{loss.item():.6f}")
    loss.backward()
    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad
        a.grad = None
        b.grad = None
        c.grad = None
        d.grad = None

result = {"loss": loss.item(), "coefficients": [a.item(), b.item(), c.item(), d.item()],
          "printed": [float(s) for s in losses]}
"""


def test_a_manual_update_loop_under_no_grad_trains_as_in_torch() -> None:
    theirs, ours = run(POLYNOMIAL, START=[0.1, -0.2, 0.3, 0.05])
    assert ours["loss"] < 0.5 * ours["printed"][0]  # it learned: the update is not a no-op
    assert_same(theirs, ours, rtol=1e-10)


PARAMETERS_LOOP = """
import torch

x = torch.from_numpy(X)
y = torch.from_numpy(Y)
model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Tanh())
model.double()
model.load_state_dict({k: torch.tensor(v) for k, v in START.items()})
loss_fn = torch.nn.MSELoss(reduction="sum")
for t in range(50):
    loss = loss_fn(model(x).squeeze(-1), y)
    model.zero_grad()
    loss.backward()
    with torch.no_grad():
        for param in model.parameters():
            param -= 1e-3 * param.grad
weight = model[0].weight
result = {"loss": loss.item(), "weight": weight.detach().numpy().copy(), "bias": model[0].bias.tolist(),
          "grad_shape": list(weight.grad.size()), "numel": weight.numel(), "dim": weight.dim()}
"""


def test_param_minus_equals_inside_the_parameters_loop_changes_the_model() -> None:
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((40, 3)), rng.standard_normal(40)
    start = {"0.weight": rng.standard_normal((1, 3)) * 0.3, "0.bias": np.array([0.1])}
    theirs, ours = run(PARAMETERS_LOOP, X=X, Y=Y, START=start)
    assert not np.allclose(ours["weight"], start["0.weight"])
    assert_same(theirs, ours, rtol=1e-10)


# ----------------------------------------------------------------------------- a classifier
CLASSIFIER = """
import torch
from torch import nn

device = "cuda" if torch.cuda.is_available() else "cpu"
torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(4, 16), nn.Linear(16, 3)])

    def forward(self, x):
        x = torch.relu(self.layers[0](x))
        return self.layers[1](x)


model = Net().double()
model.load_state_dict({k: torch.tensor(v) for k, v in START.items()})
X = torch.tensor(FEATURES).to(device)
y = torch.tensor(LABELS).to(device)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
lines = []
for epoch in range(20):
    for i in range(0, len(X), 25):
        pred = model(X[i:i + 25])
        loss = loss_fn(pred, y[i:i + 25])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    lines.append(f"epoch {epoch}: loss {loss:.6f}")

model.eval()
with torch.no_grad():
    pred = model(X)
    correct = (pred.argmax(1) == y).type(torch.float).sum().item()
    probabilities = torch.softmax(pred, dim=1)
    top, where = probabilities.max(dim=1)
result = {"loss": loss.item(), "accuracy": correct / len(X), "last_line": float(lines[-1].split()[-1]),
          "top": top.numpy().copy(), "where": where.tolist(), "wrong": int((pred.argmax(1) != y).sum())}
"""


def test_a_classifier_with_module_list_accuracy_and_the_device_idiom() -> None:
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 3, 150)
    features = rng.standard_normal((150, 4)) + labels[:, None] * np.array([2.0, -1.5, 1.6, 0.0])
    start = {"layers.0.weight": rng.standard_normal((16, 4)) * 0.4, "layers.0.bias": np.zeros(16),
             "layers.1.weight": rng.standard_normal((3, 16)) * 0.3, "layers.1.bias": np.zeros(3)}
    theirs, ours = run(CLASSIFIER, FEATURES=features, LABELS=labels, START=start)
    assert ours["accuracy"] > 0.7
    assert_same(theirs, ours, rtol=1e-8, atol=1e-10)


# ----------------------------------------------------------------------------- data loading, normalization
LOADER_AND_NORMALIZATION = """
import torch
from torch import nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

features, labels = torch.from_numpy(FEATURES), torch.from_numpy(LABELS)
loader = DataLoader(TensorDataset(features, labels), batch_size=16, drop_last=False)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(4, 8), nn.LayerNorm(8), nn.Linear(8, 8)])
        self.norm = nn.BatchNorm1d(8)
        self.out = nn.Linear(8, 1)
        self.flat = nn.Flatten(0, 1)

    def forward(self, x):
        x = F.relu(self.blocks[1](self.blocks[0](x)))
        x = torch.tanh(self.norm(self.blocks[2](x)))
        return self.flat(self.out(x))


model = Net().double()
model.load_state_dict({k: torch.tensor(v) for k, v in START.items()}, strict=False)
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
loss_fn = nn.BCEWithLogitsLoss()
losses = []
for epoch in range(3):
    model.train()
    for xb, yb in loader:
        loss = loss_fn(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
model.eval()
with torch.no_grad():
    logits = model(features)
    accuracy = ((logits > 0).float() == labels).float().mean().item()
result = {"losses": losses, "accuracy": accuracy, "logits": logits.numpy().copy(),
          "running_mean": model.norm.running_mean.numpy().copy(),
          "running_var": model.norm.running_var.numpy().copy(), "batches": len(loader)}
"""


def test_a_data_loader_loop_with_layer_norm_batch_norm_and_flatten() -> None:
    rng = np.random.default_rng(2)
    features = rng.standard_normal((100, 4))
    labels = (features[:, 0] - features[:, 2] > 0).astype(np.float64)
    start = {"blocks.0.weight": rng.standard_normal((8, 4)) * 0.5, "blocks.0.bias": np.zeros(8),
             "blocks.2.weight": rng.standard_normal((8, 8)) * 0.3, "blocks.2.bias": np.zeros(8),
             "out.weight": rng.standard_normal((1, 8)) * 0.3, "out.bias": np.zeros(1)}
    theirs, ours = run(LOADER_AND_NORMALIZATION, FEATURES=features, LABELS=labels, START=start)
    assert ours["batches"] == 7 and ours["accuracy"] > 0.8
    assert_same(theirs, ours, rtol=1e-7, atol=1e-9)  # Adam: near-zero gradients amplify rounding


# ----------------------------------------------------------------------------- saving
SAVE_LOAD = """
import torch
from torch import nn

model = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 1))
torch.save(model.state_dict(), PATH)
again = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 1))
again.load_state_dict(torch.load(PATH, weights_only=True))
x = torch.ones(3, 2)
same = bool(torch.all(again(x) == model(x)))
checkpoint = {"epoch": 7, "model_state_dict": model.state_dict(), "loss": 0.25}
torch.save(checkpoint, PATH)
loaded = torch.load(PATH, weights_only=True)
again.load_state_dict(loaded["model_state_dict"])
result = {"same": same, "epoch": loaded["epoch"], "loss": loaded["loss"],
          "again": bool((again(x) == model(x)).all())}
"""


def test_a_loaded_model_file_stands_in_for_the_model(tmp_path: Any) -> None:
    import glassnet as gn

    net = gn.nn.Sequential(gn.nn.Linear(2, 3, generator=0), gn.nn.Tanh(), gn.nn.Linear(3, 1, generator=1))
    gn.save(net, tmp_path / "model.safetensors")  # torch.save(model, path)
    model = gn.load(tmp_path / "model.safetensors", weights_only=False)
    x = gn.ones(4, 2)
    assert model(x).equal(net(x)) and model.eval() is model.model and len(list(model.parameters())) == 4
    assert model.model is not net and model.classes is None
    with pytest.raises(AttributeError):
        model.no_such_method()


def test_save_and_load_a_state_dict_and_a_checkpoint(tmp_path: Any) -> None:
    theirs, ours = run(SAVE_LOAD, PATH=str(tmp_path / "model.pt"))
    assert theirs == ours == {"same": True, "epoch": 7, "loss": 0.25, "again": True}
    assert b"pickle" not in (tmp_path / "model.pt").read_bytes()[:8]


def test_the_ported_programs_import_no_torch() -> None:
    for program in (POLYNOMIAL, PARAMETERS_LOOP, CLASSIFIER, LOADER_AND_NORMALIZATION, SAVE_LOAD):
        assert re.search(r"^\s*(import|from)\s+torch\b", program, re.MULTILINE)
        assert not re.search(r"^\s*(import|from)\s+torch\b", ported(program), re.MULTILINE)


# ----------------------------------------------------------------------------- the documented port
def test_the_worked_port_in_the_porting_guide_runs_and_learns_under_both(tmp_path: Any, monkeypatch: Any,
                                                                         capsys: Any) -> None:
    """docs/porting-from-pytorch.md's worked port runs as printed, and its PyTorch original too."""
    from pathlib import Path

    guide = (Path(__file__).parent.parent / "docs" / "porting-from-pytorch.md").read_text()
    code = re.search(r"## A worked port.*?```python\n(.*?)```", guide, re.S).group(1)  # type: ignore[union-attr]
    code = re.sub(r"^((?:import|from) glassnet.*?)\s+#.*$", r"\1", code, flags=re.M)  # the "was:" notes
    original = (code.replace("import glassnet as torch", "import torch").replace("from glassnet import nn",
                "from torch import nn").replace("from glassnet.utils.data", "from torch.utils.data"))
    assert ported(original) == code.strip("\n")  # the guide's port changes the imports only
    original = original.replace('"model.safetensors"', '"model.pt"')  # torch's own format for torch
    monkeypatch.chdir(tmp_path)
    for program in (code, original):
        exec(compile(program, "<guide>", "exec"), {})
        accuracy = float(capsys.readouterr().out.strip().splitlines()[-1].split()[-1])
        assert accuracy > 0.9
