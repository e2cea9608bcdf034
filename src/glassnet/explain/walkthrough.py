"""``explain``: one real training step of a small network, derived with its numbers (issue 6).

All numbers come from the engine: the forward pass runs the model's own layers on a copy of the
model, keeping every z and a with ``retain_grad()``; ``backward()`` fills their ``.grad``; the
update is a real ``step()`` of a twin optimizer. The user's model and optimizer are not changed.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from glassnet.engine.tensor import ArrayLike, Tensor
from glassnet.errors import GlassnetError
from glassnet.explain.backward import backward_steps
from glassnet.explain.divisor import divisor, divisor_note
from glassnet.explain.forward import forward, header, loss_step
from glassnet.explain.record import Recorder, formula_of
from glassnet.explain.render import RENDERERS
from glassnet.explain.step import NetworkLayer, Step
from glassnet.explain.update import optimizer_steps, regularizer_steps, symbols, total_steps
from glassnet.explain.variance import Var, check_arguments, delta_text, loss_arguments, loss_lines
from glassnet.nn.losses import GaussianNLLLoss
from glassnet.nn.module import Module
from glassnet.notation import NOTATION, text_symbols
from glassnet.optim.optimizer import Optimizer
from glassnet.regularizers.penalties import Regularizer

__all__ = ["Walkthrough", "explain"]


@dataclass
class Walkthrough:
    """The recorded training step: a list of Steps, rendered as text, Markdown or HTML.

    Attributes:
        steps: the derivation in order: input, forward pass, loss, penalties, backward pass, update.
        loss: the data loss L; ``total_loss`` adds the penalties.
        grads: ∂(L + Σ R)/∂θ by parameter name, the gradient the optimizer receives (the engine's).
        max_items: how many rows/columns of an array are shown (None: all).
        digits: significant digits of the printed numbers.
        header: (label, text) pairs shown before the first formula (network, sample, loss, optimizer).
        notation: (symbol, LaTeX, meaning) of every symbol the steps use.
        network: the Linear layers, for the network diagram.
    """

    steps: list[Step]
    loss: float
    total_loss: float
    grads: dict[str, np.ndarray] = field(default_factory=dict)
    max_items: int | None = 6
    digits: int = 4
    header: list[tuple[str, str]] = field(default_factory=list)
    notation: list[tuple[str, str, str]] = field(default_factory=list)
    network: list[NetworkLayer] = field(default_factory=list)

    def find(self, kind: str, layer: int | None = None) -> list[Step]:
        """The steps of one kind (``"linear"``, ``"delta"``, ``"update"``...), of one layer if given."""
        return [s for s in self.steps if s.kind == kind and (layer is None or s.layer == layer)]

    def render(self, format: str = "text") -> str:
        """The walkthrough in a format of ``RENDERERS``: ``"text"``, ``"md"`` or ``"html"``."""
        if format not in RENDERERS:
            raise GlassnetError(f"unknown walkthrough format {format!r}; choose one of "
                                f"{', '.join(RENDERERS)}")
        return RENDERERS[format](self)

    def to_text(self) -> str:
        """Plain text for a terminal."""
        return self.render("text")

    def to_markdown(self) -> str:
        """Markdown: headings, LaTeX formulas, numbers in code blocks and tables."""
        return self.render("md")

    def to_html(self) -> str:
        """One self-contained HTML page, formulas typeset by the bundled KaTeX (no network needed)."""
        return self.render("html")

    def __str__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        """Jupyter shows the walkthrough as its HTML page."""
        return self.to_html()


def notation(steps: Sequence[Step]) -> list[tuple[str, str, str]]:
    """(symbol, LaTeX, meaning) of every NOTATION symbol the steps use, in the table's order."""
    parts = [part for s in steps for part in (s.title, s.formula_text, s.substituted)]
    used = set().union(*map(text_symbols, parts))
    return [(s.text, s.latex, s.meaning) for s in NOTATION if s.text in used]


def _batch(x: ArrayLike, y: ArrayLike, dtype: np.dtype) -> tuple[Tensor, Tensor]:
    """x as (n_samples, n_features) in the model's dtype; a single sample gets the batch axis, so does y."""
    X = np.asarray(x.array if isinstance(x, Tensor) else x)
    Y = np.asarray(y.array if isinstance(y, Tensor) else y)
    if X.ndim == 1:
        X, Y = X[None, :], Y[None, ...]  # one sample: (1, n_features)
    if X.ndim != 2 or len(X) == 0:
        raise GlassnetError(f"explain takes x of shape (n_samples, n_features) or (n_features,), "
                            f"got {X.shape}")
    indices = np.issubdtype(X.dtype, np.integer)  # for an Embedding
    target = Y.astype(dtype) if np.issubdtype(Y.dtype, np.floating) else Y
    return Tensor(X if indices else X.astype(dtype)), Tensor(target)


def _penalties(regularizer: Regularizer | Sequence[Regularizer] | None) -> list[Regularizer]:
    if regularizer is None:
        return []
    return [regularizer] if isinstance(regularizer, Regularizer) else list(regularizer)


def _data_grads(model: Module, x: Tensor, y: Tensor, loss: Module,
                args: tuple[Var, ...]) -> dict[str, np.ndarray]:
    """∂L/∂θ of the data loss alone, by ``backward()`` on a fresh copy of the model."""
    twin = copy.deepcopy(model)
    twin.zero_grad()
    loss(twin(x), y, *args).backward()
    return {name: p.grad_array for name, p in twin.named_parameters() if p.grad_array is not None}


def _loss_step(loss: Module, out: Tensor, y: Tensor, args: tuple[Var, ...], value: Tensor,
               rec: Recorder) -> tuple[str, str] | None:
    """Record the loss; for GaussianNLLLoss with var, v and ℓ plugged in, and return its ∂L/∂ŷ plugged in."""
    found = divisor(loss, out, y, rec)
    N = None if found is None else found[0]
    if not isinstance(loss, GaussianNLLLoss):
        loss_step(loss, out, y, value, rec, N)
        return None
    lines, shown = loss_lines(loss, out, y, args[0], rec)
    loss_step(loss, out, y, value, rec, N, args[0], lines, shown)
    return delta_text(loss, out, y, args[0], rec)


def explain(model: Module, x: ArrayLike, y: ArrayLike, loss: Module, optimizer: Optimizer | None = None,
            regularizer: Regularizer | Sequence[Regularizer] | None = None, *,
            var: ArrayLike | float | None = None, max_items: int | None = 6, digits: int = 4) -> Walkthrough:
    """Derive one training step of ``model`` on (x, y): forward, loss, backward and update, with numbers.

    Samples are rows. Layer l computes zˡ = aˡ⁻¹·(Wˡ)ᵀ + bˡ and aˡ = f(zˡ); backward,
    ∂L/∂aˡ⁻¹ = δˡ·Wˡ, δˡ = ∂L/∂aˡ ⊙ f′(zˡ), ∂L/∂Wˡ = (δˡ)ᵀ·aˡ⁻¹ and ∂L/∂bˡ = Σ over samples of δˡ;
    the update is the optimizer's own direction u (``Optimizer.directions()``) and its own step.
    The model and optimizer given are left unchanged.

    Args:
        model: an ``nn.Sequential`` of Linear layers, each followed by at most one activation;
            LayerNorm and BatchNorm1d after a Linear layer, an Embedding first, and Identity,
            Flatten and Dropout in eval mode may appear.
        x: one sample (n_features,) or a tiny batch (n_samples, n_features); integer indices for
            a model that starts with an Embedding.
        y: the target(s), as ``loss`` expects them (a single sample's y gets the batch axis too).
        loss: a loss module, e.g. ``nn.MSELoss()``.
        optimizer: the optimizer over ``model.parameters()``; None leaves out the update.
        regularizer: one penalty or several, added to the loss as ``fit`` adds them.
        var: the predicted variance for ``nn.GaussianNLLLoss`` (required there, refused for any
            other loss), passed as ``loss(output, y, var)``: y's shape, y's shape without its last
            axis or with one axis of size 1, or one float. A single sample's var gets the batch axis.
        max_items: rows/columns of each array shown in the text (None: all).
        digits: significant digits of the numbers in the text (the Step values keep all).

    Returns:
        a Walkthrough; ``print(walkthrough)`` shows it.

    >>> import numpy as np, glassnet as gn
    >>> from glassnet import nn, optim
    >>> net = nn.Sequential(nn.Linear(2, 1, dtype=np.float64), nn.Sigmoid())
    >>> net.load_state_dict({"0.weight": np.array([[0.5, -0.5]]), "0.bias": np.array([0.0])})
    <All keys matched successfully>
    >>> w = explain(net, [1.0, 1.0], [1.0], nn.MSELoss(), optim.SGD(net.parameters(), lr=0.1))
    >>> float(w.find("activation")[0].value[0, 0]), w.loss   # σ(0) = 0.5, (0.5 − 1)²
    (0.5, 0.25)
    >>> w.grads["0.weight"].tolist()    # 2(a − y)·σ′(0)·x = −1·0.25·(1, 1)
    [[-0.25, -0.25]]
    """
    params = list(model.parameters())
    if not params:
        raise GlassnetError("explain needs a model with parameters, e.g. nn.Sequential(nn.Linear(2, 1), ...)")
    check_arguments(loss, var)
    xt, yt = _batch(x, y, params[0].dtype)
    args = loss_arguments(var, np.ndim(x.array if isinstance(x, Tensor) else x) == 1, params[0].dtype)
    rec, twin = Recorder(digits, max_items), copy.deepcopy(model)
    twin.zero_grad()
    layers, before, out = forward(twin, xt, rec)
    data_loss = loss(out, yt, *args)
    plugged = _loss_step(loss, out, yt, args, data_loss, rec)
    penalties = _penalties(regularizer)
    terms = [r(twin) for r in penalties]
    total = data_loss + sum(terms) if terms else data_loss  # as fit adds them
    names = symbols(layers, before)
    reg_grads = regularizer_steps(model, penalties, terms, names, rec)
    if terms:
        rec.add("regularizer", None, "total loss L_total = L + Σ R", "L_total = L + Σ R",
                r"L_{\mathrm{total}} = L + \sum R",
                f"L_total = {rec.num(data_loss.item())} + {' + '.join(rec.num(t.item()) for t in terms)}"
                f" = {rec.num(total.item())}", total.array)
    total.backward()
    grads = {name: p.grad_array for name, p in twin.named_parameters() if p.grad_array is not None}
    data = _data_grads(model, xt, yt, loss, args) if terms else grads
    found = divisor(loss, out, yt, rec)
    p = next(s for s in rec.steps if s.kind == "loss").grads.get("p")  # softmax of a cross-entropy
    backward_steps(layers, before, loss, yt, None if found is None else found[0],
                   divisor_note(loss, out, yt, rec), data, rec, plugged, p)
    if terms:
        total_steps(data, reg_grads, grads, names, rec)
    if optimizer is not None:
        optimizer_steps(model, optimizer, grads, names, rec)
    network = [NetworkLayer(layer.index, layer.linear.weight.array.copy(),
                            None if layer.linear.bias is None else layer.linear.bias.array.copy(),
                            None if layer.activation is None else formula_of(layer.activation).name)
               for layer in layers]
    return Walkthrough(rec.steps, data_loss.item(), total.item(), grads, max_items, digits,
                       header(model, xt, yt, loss, optimizer, penalties, rec), notation(rec.steps), network)
