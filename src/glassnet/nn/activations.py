"""Activation functions: PyTorch's functional forms and Module classes, each class with its Formula.

The math (forward and derivative) is written once, in ``glassnet.engine.activation_ops``; the
functions here only speak PyTorch's names (``dim``, ``negative_slope``...) and the classes hold
their arguments. Each class's ``formula`` is the single source of its plain-text and LaTeX math;
the class docstrings below are filled in from it. ``ACTIVATIONS`` is the one dict that turns a
name such as ``"relu"`` into a class.
"""

from __future__ import annotations

from typing import ClassVar, Protocol

from glassnet.engine import activation_ops as ops
from glassnet.engine.tensor import Tensor
from glassnet.errors import GlassnetError
from glassnet.nn.layers import Identity
from glassnet.nn.module import Module
from glassnet.registry import Formula

__all__ = [
    "ACTIVATIONS", "ELU", "GELU", "SELU", "Hardtanh", "LeakyReLU", "LogSoftmax", "Mish", "ReLU",
    "SiLU", "Sigmoid", "Softmax", "Softplus", "Softsign", "Tanh", "elu", "gelu", "hardtanh",
    "leaky_relu", "log_softmax", "mish", "relu", "selu", "sigmoid", "silu", "softmax", "softplus",
    "softsign", "tanh",
]  # fmt: skip


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
class Sigmoid(Module):
    """Logistic sigmoid: squashes each value into (0, 1).

    >>> import glassnet as gn
    >>> gn.nn.Sigmoid()(gn.tensor([0.0]))
    tensor([0.5])
    """

    formula: ClassVar[Formula] = Formula(
        "Sigmoid", "σ(z) = 1 / (1 + exp(-z))", r"\sigma(z) = \frac{1}{1 + e^{-z}}",
        "σ'(z) = σ(z)·(1 - σ(z))", r"\sigma'(z) = \sigma(z)\,(1 - \sigma(z))",
    )  # fmt: skip

    def forward(self, input: Tensor) -> Tensor:
        return sigmoid(input)


class Tanh(Module):
    """Hyperbolic tangent: squashes each value into (-1, 1), centred at 0.

    >>> import glassnet as gn
    >>> gn.nn.Tanh()(gn.tensor([0.0]))
    tensor([0.])
    """

    formula: ClassVar[Formula] = Formula(
        "Tanh", "tanh(z) = (exp(z) - exp(-z)) / (exp(z) + exp(-z))",
        r"\tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}",
        "tanh'(z) = 1 - tanh(z)²", r"\tanh'(z) = 1 - \tanh^2(z)",
    )  # fmt: skip

    def forward(self, input: Tensor) -> Tensor:
        return tanh(input)


class ReLU(Module):
    """Rectified linear unit: negative values become 0, the rest pass unchanged.

    >>> import glassnet as gn
    >>> gn.nn.ReLU()(gn.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """

    formula: ClassVar[Formula] = Formula(
        "ReLU", "f(z) = max(0, z)", r"f(z) = \max(0, z)",
        "f'(z) = 1 if z > 0, else 0", r"f'(z) = \begin{cases} 1 & z > 0 \\ 0 & z \le 0 \end{cases}",
    )  # fmt: skip

    def forward(self, input: Tensor) -> Tensor:
        return relu(input)


class LeakyReLU(Module):
    """ReLU that lets a small slope ``negative_slope`` through for negative values.

    >>> import glassnet as gn
    >>> gn.nn.LeakyReLU(0.5)(gn.tensor([-2.0, 3.0]))
    tensor([-1.,  3.])
    """

    formula: ClassVar[Formula] = Formula(
        "LeakyReLU", "f(z) = z if z > 0, else a·z  (a = negative_slope)",
        r"f(z) = \begin{cases} z & z > 0 \\ a z & z \le 0 \end{cases}",
        "f'(z) = 1 if z > 0, else a", r"f'(z) = \begin{cases} 1 & z > 0 \\ a & z \le 0 \end{cases}",
    )  # fmt: skip

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, input: Tensor) -> Tensor:
        return leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    """Exponential linear unit (Clevert et al. 2015): smooth, saturating at -α for negative values.

    >>> import glassnet as gn
    >>> gn.nn.ELU(alpha=2.0)(gn.tensor([0.0, 3.0]))
    tensor([0., 3.])
    """

    formula: ClassVar[Formula] = Formula(
        "ELU", "f(z) = z if z > 0, else α·(exp(z) - 1)",
        r"f(z) = \begin{cases} z & z > 0 \\ \alpha (e^{z} - 1) & z \le 0 \end{cases}",
        "f'(z) = 1 if z > 0, else α·exp(z)",
        r"f'(z) = \begin{cases} 1 & z > 0 \\ \alpha e^{z} & z \le 0 \end{cases}",
    )  # fmt: skip

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = alpha

    def forward(self, input: Tensor) -> Tensor:
        return elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class SELU(Module):
    """Scaled ELU (Klambauer et al. 2017, eq. 2) whose λ, α keep activations normalised (eq. 14).

    >>> import glassnet as gn
    >>> gn.nn.SELU()(gn.tensor([1.0]))
    tensor([1.050701])
    """

    formula: ClassVar[Formula] = Formula(
        "SELU", "f(z) = λ·z if z > 0, else λ·α·(exp(z) - 1)  (λ ≈ 1.0507, α ≈ 1.6733)",
        r"f(z) = \lambda \begin{cases} z & z > 0 \\ \alpha (e^{z} - 1) & z \le 0 \end{cases}",
        "f'(z) = λ if z > 0, else λ·α·exp(z)",
        r"f'(z) = \lambda \begin{cases} 1 & z > 0 \\ \alpha e^{z} & z \le 0 \end{cases}",
    )  # fmt: skip

    def forward(self, input: Tensor) -> Tensor:
        return selu(input)


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
        r"f(z) = z\,\Phi(z) = \tfrac{1}{2} z \left(1 + \operatorname{erf}(z/\sqrt{2})\right)",
        "f'(z) = Φ(z) + z·φ(z),  φ(z) = exp(-z²/2) / √(2π)",
        r"f'(z) = \Phi(z) + z\,\varphi(z), \quad \varphi(z) = \frac{e^{-z^2/2}}{\sqrt{2\pi}}",
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


class SiLU(Module):
    """Sigmoid linear unit, also called swish: the input weighted by its own sigmoid.

    >>> import glassnet as gn
    >>> gn.nn.SiLU()(gn.tensor([0.0, 1.0]))
    tensor([0.       , 0.7310586])
    """

    formula: ClassVar[Formula] = Formula(
        "SiLU", "f(z) = z·σ(z)", r"f(z) = z\,\sigma(z)",
        "f'(z) = σ(z)·(1 + z·(1 - σ(z)))", r"f'(z) = \sigma(z)\,\left(1 + z\,(1 - \sigma(z))\right)",
    )  # fmt: skip

    def forward(self, input: Tensor) -> Tensor:
        return silu(input)


class Mish(Module):
    """Mish (Misra 2019): the input weighted by tanh of its softplus.

    >>> import glassnet as gn
    >>> gn.nn.Mish()(gn.tensor([0.0]))
    tensor([0.])
    """

    formula: ClassVar[Formula] = Formula(
        "Mish", "f(z) = z·tanh(softplus(z)),  softplus(z) = ln(1 + exp(z))",
        r"f(z) = z \tanh(\operatorname{softplus}(z)), \quad \operatorname{softplus}(z) = \ln(1 + e^{z})",
        "f'(z) = tanh(softplus(z)) + z·σ(z)·(1 - tanh²(softplus(z)))",
        r"f'(z) = \tanh(\operatorname{softplus}(z))"
        r" + z\,\sigma(z)\left(1 - \tanh^2(\operatorname{softplus}(z))\right)",
    )  # fmt: skip

    def forward(self, input: Tensor) -> Tensor:
        return mish(input)


class Softplus(Module):
    """A smooth ReLU; sharper for larger β, and exactly linear where β·z > threshold.

    >>> import glassnet as gn
    >>> gn.nn.Softplus()(gn.tensor([0.0, 30.0]))
    tensor([ 0.6931472, 30.       ])
    """

    formula: ClassVar[Formula] = Formula(
        "Softplus", "f(z) = ln(1 + exp(β·z)) / β  (f(z) = z where β·z > threshold)",
        r"f(z) = \frac{1}{\beta} \ln\left(1 + e^{\beta z}\right)",
        "f'(z) = σ(β·z)  (1 where β·z > threshold)", r"f'(z) = \sigma(\beta z)",
    )  # fmt: skip

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        if beta == 0:
            raise GlassnetError("Softplus(beta=0) divides by zero; use beta != 0 (the default is 1.0)")
        self.beta, self.threshold = beta, threshold

    def forward(self, input: Tensor) -> Tensor:
        return softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softsign(Module):
    """Softsign: like tanh, into (-1, 1), but approaching the bounds polynomially.

    >>> import glassnet as gn
    >>> gn.nn.Softsign()(gn.tensor([1.0, -3.0]))
    tensor([ 0.5 , -0.75])
    """

    formula: ClassVar[Formula] = Formula(
        "Softsign", "f(z) = z / (1 + |z|)", r"f(z) = \frac{z}{1 + |z|}",
        "f'(z) = 1 / (1 + |z|)²", r"f'(z) = \frac{1}{(1 + |z|)^2}",
    )  # fmt: skip

    def forward(self, input: Tensor) -> Tensor:
        return softsign(input)


class Hardtanh(Module):
    """Clamp into [min_val, max_val]: the gradient is 1 strictly inside and 0 at and beyond the bounds.

    >>> import glassnet as gn
    >>> gn.nn.Hardtanh()(gn.tensor([-3.0, 0.5, 3.0]))
    tensor([-1. ,  0.5,  1. ])
    """

    formula: ClassVar[Formula] = Formula(
        "Hardtanh", "f(z) = min(max(z, min_val), max_val)",
        r"f(z) = \min(\max(z, z_{\min}), z_{\max})",
        "f'(z) = 1 if min_val < z < max_val, else 0",
        r"f'(z) = \begin{cases} 1 & z_{\min} < z < z_{\max} \\ 0 & \text{otherwise} \end{cases}",
    )  # fmt: skip

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0) -> None:
        super().__init__()
        if min_val > max_val:
            raise GlassnetError(
                f"Hardtanh(min_val={min_val}, max_val={max_val}): min_val must be <= max_val; swap them"
            )
        self.min_val, self.max_val = min_val, max_val

    def forward(self, input: Tensor) -> Tensor:
        return hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}"


class Softmax(Module):
    """Turns scores along ``dim`` into probabilities that are positive and sum to 1.

    >>> import glassnet as gn
    >>> gn.nn.Softmax(dim=-1)(gn.tensor([[0.0, 0.0]]))
    tensor([[0.5, 0.5]])
    """

    formula: ClassVar[Formula] = Formula(
        "Softmax", "softmax(z)ᵢ = exp(zᵢ) / Σⱼ exp(zⱼ)",
        r"\operatorname{softmax}(z)_i = \frac{e^{z_i}}{\sum_j e^{z_j}}",
        "∂softmax(z)ᵢ/∂zⱼ = softmax(z)ᵢ·(δᵢⱼ - softmax(z)ⱼ)",
        r"\frac{\partial \operatorname{softmax}(z)_i}{\partial z_j}"
        r" = \operatorname{softmax}(z)_i \left(\delta_{ij} - \operatorname{softmax}(z)_j\right)",
    )  # fmt: skip

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """Log-probabilities along ``dim``; stabler than log(softmax(z)) for very unlikely classes.

    >>> import glassnet as gn
    >>> gn.nn.LogSoftmax(dim=-1)(gn.tensor([[0.0, 0.0]]))
    tensor([[-0.6931472, -0.6931472]])
    """

    formula: ClassVar[Formula] = Formula(
        "LogSoftmax", "log_softmax(z)ᵢ = zᵢ - ln Σⱼ exp(zⱼ)",
        r"\operatorname{log\_softmax}(z)_i = z_i - \ln \sum_j e^{z_j}",
        "∂log_softmax(z)ᵢ/∂zⱼ = δᵢⱼ - softmax(z)ⱼ",
        r"\frac{\partial \operatorname{log\_softmax}(z)_i}{\partial z_j}"
        r" = \delta_{ij} - \operatorname{softmax}(z)_j",
    )  # fmt: skip

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


ACTIVATIONS: dict[str, type[Module]] = {
    "identity": Identity, "sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU, "leaky_relu": LeakyReLU,
    "elu": ELU, "selu": SELU, "gelu": GELU, "silu": SiLU, "mish": Mish, "softplus": Softplus,
    "softsign": Softsign, "hardtanh": Hardtanh, "softmax": Softmax, "log_softmax": LogSoftmax,
}  # fmt: skip


class _HasFormula(Protocol):
    formula: ClassVar[Formula]


def _show_formula(cls: type[_HasFormula]) -> None:
    """Put the class's formula under its docstring's summary line: the math is written once."""
    summary, _, rest = (cls.__doc__ or "").partition("\n")
    cls.__doc__ = f"{summary}\n\n    {cls.formula.text}\n    {cls.formula.derivative_text}\n{rest}"


_WITH_FORMULA: tuple[type[_HasFormula], ...] = (
    Sigmoid, Tanh, ReLU, LeakyReLU, ELU, SELU, GELU, SiLU, Mish, Softplus, Softsign, Hardtanh,
    Softmax, LogSoftmax,
)  # fmt: skip
for _cls in _WITH_FORMULA:
    _show_formula(_cls)
