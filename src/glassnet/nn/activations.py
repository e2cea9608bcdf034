"""Activation functions: PyTorch's functional forms and Module classes, each class with its Formula.

The math (forward and derivative) is written once, in ``glassnet.engine.activation_ops``; the
functions here only speak PyTorch's names (``dim``, ``negative_slope``...) and the classes hold
their arguments. Each class's ``formula`` is the single source of its plain-text and LaTeX math;
the class docstrings below are filled in from it. Each activation is registered once, in
``ACTIVATIONS``, with its functional form: ``__all__``, ``nn.functional``, the command line,
model files, explain, the estimators and the reference page all read it from there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Protocol

from glassnet.engine import activation_ops as ops
from glassnet.engine.tensor import Tensor
from glassnet.errors import GlassnetError, check_number, check_whole
from glassnet.nn.layers import Identity
from glassnet.nn.module import Module
from glassnet.registry import Formula, Registry

ACTIVATIONS: Registry[type[Module]] = Registry("activation", facts=("function",))
"""Every activation by name: its Module class, and its functional form as the fact ``function``."""


class _HasFormula(Protocol):
    formula: ClassVar[Formula]


def register_activation(name: str,
                        function: Callable[..., Tensor] | None = None) -> Callable[[type[Any]], type[Any]]:
    """Register an activation class in ``ACTIVATIONS`` under ``name``, with its functional form,
    and put its formula under its docstring's summary line: the math is written once.

    The class needs a ``formula`` (a ``Formula``) and a ``forward``; its constructor's arguments
    are what model files store. Used as a class decorator: ``@register_activation("relu", relu)``.
    """

    def decorate(cls: type[Any]) -> type[Any]:
        summary, _, rest = (cls.__doc__ or "").partition("\n")
        cls.__doc__ = f"{summary}\n\n    {cls.formula.text}\n    {cls.formula.derivative_text}\n{rest}"
        facts = {} if function is None else {"function": function}
        return ACTIVATIONS.register(name, cls, **facts)

    return decorate


ACTIVATIONS.register("identity", Identity)  # no functional form: z itself


# ----------------------------------------------------------------------------- functional forms
def sigmoid(input: Tensor) -> Tensor:
    """Logistic sigmoid, elementwise (math: ``Sigmoid.formula``)."""
    return ops.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent, elementwise (math: ``Tanh.formula``)."""
    return ops.tanh(input)


def relu(input: Tensor) -> Tensor:
    """Rectified linear unit max(0, x), elementwise (math: ``ReLU.formula``)."""
    return ops.relu(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """ReLU with slope ``negative_slope`` for x ≤ 0 (math: ``LeakyReLU.formula``)."""
    return ops.leaky_relu(input, negative_slope)


def elu(input: Tensor, alpha: float = 1.0) -> Tensor:
    """Exponential linear unit (math: ``ELU.formula``)."""
    return ops.elu(input, alpha)


def selu(input: Tensor) -> Tensor:
    """Scaled exponential linear unit (math: ``SELU.formula``)."""
    return ops.selu(input)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit, exact or ``approximate='tanh'`` (math: ``GELU.formula``)."""
    return ops.gelu(input, approximate)


def silu(input: Tensor) -> Tensor:
    """Sigmoid linear unit (swish) x·σ(x) (math: ``SiLU.formula``)."""
    return ops.silu(input)


def mish(input: Tensor) -> Tensor:
    """Mish x·tanh(softplus(x)) (math: ``Mish.formula``)."""
    return ops.mish(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """Smooth ReLU ln(1 + e^(βx))/β, linear above the threshold (math: ``Softplus.formula``)."""
    return ops.softplus(input, beta, threshold)


def softsign(input: Tensor) -> Tensor:
    """Softsign x/(1 + |x|) (math: ``Softsign.formula``)."""
    return ops.softsign(input)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """Clamp into [min_val, max_val] (math: ``Hardtanh.formula``)."""
    return ops.hardtanh(input, min_val, max_val)


def softmax(input: Tensor, dim: int = -1) -> Tensor:
    """Probabilities along ``dim``: exponentiate and normalise (math: ``Softmax.formula``)."""
    return ops.softmax(input, axis=dim)


def log_softmax(input: Tensor, dim: int = -1) -> Tensor:
    """Log-probabilities along ``dim``, stabler than log(softmax(x)) (math: ``LogSoftmax.formula``)."""
    return ops.log_softmax(input, axis=dim)


# ----------------------------------------------------------------------------- modules
@register_activation("sigmoid", sigmoid)
class Sigmoid(Module):
    """Logistic sigmoid: squashes each value into (0, 1).

    >>> import glassnet as gn
    >>> gn.nn.Sigmoid()(gn.tensor([0.0]))
    tensor([0.5])
    """

    formula: ClassVar[Formula] = Formula(
        "Sigmoid", "σ(z) = 1 / (1 + exp(-z))", r"\sigma(z) = \frac{1}{1 + \exp(-z)}",
        "σ′(z) = σ(z)·(1 - σ(z))", r"\sigma'(z) = \sigma(z)\,(1 - \sigma(z))",
        plug="1 / (1 + exp(−{z}))",
        derivative_plug="{a}·(1 − {a})",
    )  # fmt: skip

    def forward(self, input: Tensor) -> Tensor:
        return sigmoid(input)


@register_activation("tanh", tanh)
class Tanh(Module):
    """Hyperbolic tangent: squashes each value into (-1, 1), centred at 0.

    >>> import glassnet as gn
    >>> gn.nn.Tanh()(gn.tensor([0.0]))
    tensor([0.])
    """

    formula: ClassVar[Formula] = Formula(
        "Tanh", "tanh(z) = (exp(z) - exp(-z)) / (exp(z) + exp(-z))",
        r"\tanh(z) = \frac{\exp(z) - \exp(-z)}{\exp(z) + \exp(-z)}",
        "tanh′(z) = 1 - tanh(z)²", r"\tanh'(z) = 1 - \tanh^2(z)",
        plug="tanh({z})",
        derivative_plug="1 − {a}²",
    )  # fmt: skip

    def forward(self, input: Tensor) -> Tensor:
        return tanh(input)


@register_activation("relu", relu)
class ReLU(Module):
    """Rectified linear unit: negative values become 0, the rest pass unchanged.

    >>> import glassnet as gn
    >>> gn.nn.ReLU()(gn.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """

    formula: ClassVar[Formula] = Formula(
        "ReLU", "f(z) = max(0, z)", r"f(z) = \max(0, z)",
        "f′(z) = 1 if z > 0, else 0", r"f'(z) = \begin{cases} 1 & z > 0 \\ 0 & z \le 0 \end{cases}",
        plug="max(0, {z})",
        derivative_plug="𝟙[{z} > 0]",
    )  # fmt: skip

    def forward(self, input: Tensor) -> Tensor:
        return relu(input)


@register_activation("leaky_relu", leaky_relu)
class LeakyReLU(Module):
    """ReLU that lets a small slope ``negative_slope`` through for negative values.

    >>> import glassnet as gn
    >>> gn.nn.LeakyReLU(0.5)(gn.tensor([-2.0, 3.0]))
    tensor([-1.,  3.])
    """

    formula: ClassVar[Formula] = Formula(
        "LeakyReLU", "f(z) = z if z > 0, else α·z  (α = negative_slope)",
        r"f(z) = \begin{cases} z & z > 0 \\ \alpha z & z \le 0 \end{cases}",
        "f′(z) = 1 if z > 0, else α", r"f'(z) = \begin{cases} 1 & z > 0 \\ \alpha & z \le 0 \end{cases}",
        plug="max(0, {z}) + {negative_slope}·min(0, {z})",
        derivative_plug="𝟙[{z} > 0] + {negative_slope}·𝟙[{z} ≤ 0]",
    )  # fmt: skip

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = check_number("LeakyReLU", "negative_slope", negative_slope, example=0.01)

    def forward(self, input: Tensor) -> Tensor:
        return leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


@register_activation("elu", elu)
class ELU(Module):
    """Exponential linear unit (Clevert et al. 2015): smooth, saturating at -α for negative values.

    >>> import glassnet as gn
    >>> gn.nn.ELU(alpha=2.0)(gn.tensor([0.0, 3.0]))
    tensor([0., 3.])
    """

    formula: ClassVar[Formula] = Formula(
        "ELU", "f(z) = z if z > 0, else α·(exp(z) - 1)",
        r"f(z) = \begin{cases} z & z > 0 \\ \alpha (\exp(z) - 1) & z \le 0 \end{cases}",
        "f′(z) = 1 if z > 0, else α·exp(z)",
        r"f'(z) = \begin{cases} 1 & z > 0 \\ \alpha \exp(z) & z \le 0 \end{cases}",
        plug="max(0, {z}) + min(0, {alpha}·(exp({z}) − 1))",
        derivative_plug="𝟙[{z} > 0] + 𝟙[{z} ≤ 0]·{alpha}·exp({z})",
    )  # fmt: skip

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = check_number("ELU", "alpha", alpha)

    def forward(self, input: Tensor) -> Tensor:
        return elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


@register_activation("selu", selu)
class SELU(Module):
    """Scaled ELU (Klambauer et al. 2017, eq. 2) whose ζ, α keep activations normalised (eq. 14).

    The paper calls the scale ζ λ; here λ is weight decay.

    >>> import glassnet as gn
    >>> gn.nn.SELU()(gn.tensor([1.0]))
    tensor([1.050701])
    """

    formula: ClassVar[Formula] = Formula(
        "SELU", "f(z) = ζ·z if z > 0, else ζ·α·(exp(z) - 1)  (ζ ≈ 1.0507, α ≈ 1.6733)",
        r"f(z) = \zeta \begin{cases} z & z > 0 \\ \alpha (\exp(z) - 1) & z \le 0 \end{cases}"
        r"\quad (\zeta \approx 1.0507,\ \alpha \approx 1.6733)",
        "f′(z) = ζ if z > 0, else ζ·α·exp(z)",
        r"f'(z) = \zeta \begin{cases} 1 & z > 0 \\ \alpha \exp(z) & z \le 0 \end{cases}",
    )  # fmt: skip

    def forward(self, input: Tensor) -> Tensor:
        return selu(input)


@register_activation("gelu", gelu)
class GELU(Module):
    """Gaussian error linear unit (Hendrycks & Gimpel 2016): the input weighted by Φ, the normal CDF.

    Args:
        approximate: ``'none'`` for the exact erf form, ``'tanh'`` for the tanh approximation.

    >>> import glassnet as gn
    >>> gn.nn.GELU()(gn.tensor([0.0, 1.0]))
    tensor([0.       , 0.8413447])
    """

    formula: ClassVar[Formula] = Formula(
        "GELU",
        "f(z) = z·Φ(z) = ½·z·(1 + erf(z/√2))"
        "  (approximate='tanh': Φ(z) ≈ ½·(1 + tanh(√(2/π)·(z + 0.044715·z³))))",
        r"f(z) = z\,\Phi(z) = \tfrac{1}{2} z \left(1 + \operatorname{erf}(z/\sqrt{2})\right)"
        r"\quad (\text{approximate='tanh': } \Phi(z) \approx \tfrac12 (1 + \tanh(\sqrt{2/\pi}\,"
        r"(z + 0.044715 z^3))))",
        "f′(z) = Φ(z) + z·φ(z),  φ(z) = exp(-z²/2) / √(2π)",
        r"f'(z) = \Phi(z) + z\,\varphi(z), \quad \varphi(z) = \frac{\exp(-z^2/2)}{\sqrt{2\pi}}",
    )  # fmt: skip

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ops.GELU_APPROXIMATIONS:
            raise GlassnetError(
                f"GELU(approximate={approximate!r}) is not known; use one of {ops.GELU_APPROXIMATIONS}"
            )
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return gelu(input, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


@register_activation("silu", silu)
class SiLU(Module):
    """Sigmoid linear unit, also called swish: the input weighted by its own sigmoid.

    >>> import glassnet as gn
    >>> gn.nn.SiLU()(gn.tensor([0.0, 1.0]))
    tensor([0.       , 0.7310586])
    """

    formula: ClassVar[Formula] = Formula(
        "SiLU", "f(z) = z·σ(z)", r"f(z) = z\,\sigma(z)",
        "f′(z) = σ(z)·(1 + z·(1 - σ(z)))", r"f'(z) = \sigma(z)\,\left(1 + z\,(1 - \sigma(z))\right)",
        plug="{z} / (1 + exp(−{z}))",
        derivative_plug="(1 + {z}·(1 − 1 / (1 + exp(−{z})))) / (1 + exp(−{z}))",
    )  # fmt: skip

    def forward(self, input: Tensor) -> Tensor:
        return silu(input)


@register_activation("mish", mish)
class Mish(Module):
    """Mish (Misra 2019): the input weighted by tanh of its softplus.

    >>> import glassnet as gn
    >>> gn.nn.Mish()(gn.tensor([0.0]))
    tensor([0.])
    """

    formula: ClassVar[Formula] = Formula(
        "Mish", "f(z) = z·tanh(softplus(z)),  softplus(z) = ln(1 + exp(z))",
        r"f(z) = z \tanh(\operatorname{softplus}(z)), \quad \operatorname{softplus}(z) = \ln(1 + \exp(z))",
        "f′(z) = tanh(softplus(z)) + z·σ(z)·(1 - tanh²(softplus(z)))",
        r"f'(z) = \tanh(\operatorname{softplus}(z))"
        r" + z\,\sigma(z)\left(1 - \tanh^2(\operatorname{softplus}(z))\right)",
        plug="{z}·tanh(log(1 + exp({z})))",
    )  # fmt: skip

    def forward(self, input: Tensor) -> Tensor:
        return mish(input)


@register_activation("softplus", softplus)
class Softplus(Module):
    """A smooth ReLU; sharper for larger β, and exactly linear where β·z > threshold.

    >>> import glassnet as gn
    >>> gn.nn.Softplus()(gn.tensor([0.0, 30.0]))
    tensor([ 0.6931472, 30.       ])
    """

    formula: ClassVar[Formula] = Formula(
        "Softplus", "f(z) = ln(1 + exp(β·z)) / β  (f(z) = z where β·z > threshold)",
        r"f(z) = \frac{1}{\beta} \ln\left(1 + \exp(\beta z)\right)",
        "f′(z) = σ(β·z)  (1 where β·z > threshold)", r"f'(z) = \sigma(\beta z)",
        plug="log(1 + exp({beta}·{z})) / {beta}",
        derivative_plug="1 / (1 + exp(−{beta}·{z}))",
    )  # fmt: skip

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        if check_number("Softplus", "beta", beta) == 0:
            raise GlassnetError("Softplus got beta=0, which divides by zero; use beta != 0 (the default is "
                                "1.0)")
        check_number("Softplus", "threshold", threshold, example=20.0, finite=False)  # inf: never linear
        self.beta, self.threshold = beta, threshold

    def forward(self, input: Tensor) -> Tensor:
        return softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


@register_activation("softsign", softsign)
class Softsign(Module):
    """Softsign: like tanh, into (-1, 1), but approaching the bounds polynomially.

    >>> import glassnet as gn
    >>> gn.nn.Softsign()(gn.tensor([1.0, -3.0]))
    tensor([ 0.5 , -0.75])
    """

    formula: ClassVar[Formula] = Formula(
        "Softsign", "f(z) = z / (1 + |z|)", r"f(z) = \frac{z}{1 + |z|}",
        "f′(z) = 1 / (1 + |z|)²", r"f'(z) = \frac{1}{(1 + |z|)^2}",
        plug="{z} / (1 + |{z}|)",
        derivative_plug="1 / (1 + |{z}|)²",
    )  # fmt: skip

    def forward(self, input: Tensor) -> Tensor:
        return softsign(input)


@register_activation("hardtanh", hardtanh)
class Hardtanh(Module):
    """Clamp into [min_val, max_val]: the gradient is 1 strictly inside and 0 at and beyond the bounds.

    >>> import glassnet as gn
    >>> gn.nn.Hardtanh()(gn.tensor([-3.0, 0.5, 3.0]))
    tensor([-1. ,  0.5,  1. ])
    """

    formula: ClassVar[Formula] = Formula(
        "Hardtanh", "f(z) = min(max(z, min_val), max_val)",
        r"f(z) = \min(\max(z, \mathrm{min\_val}), \mathrm{max\_val})",
        "f′(z) = 1 if min_val < z < max_val, else 0",
        r"f'(z) = \begin{cases} 1 & \mathrm{min\_val} < z < \mathrm{max\_val} \\ "
        r"0 & \text{otherwise} \end{cases}",
        plug="min(max({z}, {min_val}), {max_val})",
        derivative_plug="𝟙[{min_val} < {z} < {max_val}]",
    )  # fmt: skip

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0) -> None:
        super().__init__()
        if check_number("Hardtanh", "min_val", min_val, example=-1.0) >= check_number(
                "Hardtanh", "max_val", max_val):  # as PyTorch: an empty range is refused
            raise GlassnetError(
                f"Hardtanh(min_val={min_val}, max_val={max_val}): min_val must be below max_val; swap them"
            )
        self.min_val, self.max_val = min_val, max_val

    def forward(self, input: Tensor) -> Tensor:
        return hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}"


@register_activation("softmax", softmax)
class Softmax(Module):
    """Turns scores along ``dim`` into probabilities that are positive and sum to 1.

    >>> import glassnet as gn
    >>> gn.nn.Softmax(dim=-1)(gn.tensor([[0.0, 0.0]]))
    tensor([[0.5, 0.5]])
    """

    formula: ClassVar[Formula] = Formula(
        "Softmax", "pᵢ = softmax(z)ᵢ = exp(zᵢ) / Σⱼ exp(zⱼ)",
        r"p_i = \operatorname{softmax}(z)_i = \frac{\exp(z_i)}{\sum_j \exp(z_j)}",
        "Jᵢⱼ = ∂pᵢ/∂zⱼ = pᵢ·(𝟙[i = j] - pⱼ)",
        r"J_{ij} = \frac{\partial p_i}{\partial z_j} = p_i \left(\mathbf{1}[i = j] - p_j\right)",
    )  # fmt: skip

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = check_whole(type(self).__name__, "dim", dim, low=None, example=-1)

    def forward(self, input: Tensor) -> Tensor:
        return softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


@register_activation("log_softmax", log_softmax)
class LogSoftmax(Module):
    """Log-probabilities along ``dim``; stabler than log(softmax(z)) for very unlikely classes.

    >>> import glassnet as gn
    >>> gn.nn.LogSoftmax(dim=-1)(gn.tensor([[0.0, 0.0]]))
    tensor([[-0.6931472, -0.6931472]])
    """

    formula: ClassVar[Formula] = Formula(
        "LogSoftmax", "log_softmax(z)ᵢ = zᵢ - ln Σⱼ exp(zⱼ)",
        r"\operatorname{log\_softmax}(z)_i = z_i - \ln \sum_j \exp(z_j)",
        "∂log_softmax(z)ᵢ/∂zⱼ = 𝟙[i = j] - pⱼ,  p = softmax(z)",
        r"\frac{\partial \operatorname{log\_softmax}(z)_i}{\partial z_j}"
        r" = \mathbf{1}[i = j] - p_j,\quad p = \operatorname{softmax}(z)",
    )  # fmt: skip

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = check_whole(type(self).__name__, "dim", dim, low=None, example=-1)

    def forward(self, input: Tensor) -> Tensor:
        return log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


ACTIVATIONS.seal()  # the names above are glassnet's own; nn.custom.activation registers a user's
__all__ = [  # every registered class and functional form, from the registry
    "ACTIVATIONS", "register_activation",
    *[entry.value.__name__ for entry in ACTIVATIONS.entries() if entry.value is not Identity],
    *[entry.facts["function"].__name__ for entry in ACTIVATIONS.entries() if "function" in entry.facts],
]
