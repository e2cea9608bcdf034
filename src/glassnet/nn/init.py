"""Weight initialisers, with PyTorch's names and semantics (gain, fan mode); every one is seeded.

Each fills a Tensor in place, keeps its dtype and returns it. ``generator`` is a seed (same seed,
bit-identical weights), a ``np.random.Generator`` (used as is) or None (fresh OS entropy); samples
are drawn in float64 and rounded once. A weight is (out_features, in_features, *receptive_field):
fan_in = in_features·Π(receptive_field), fan_out = out_features·Π(receptive_field). Fan-based
initialisers leave a tensor with no elements unchanged (PyTorch warns and does the same).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable

import numpy as np

from glassnet.engine.tensor import Tensor
from glassnet.errors import GlassnetError, ShapeError, check_number
from glassnet.nn.module import as_generator
from glassnet.registry import Registry

__all__ = [
    "INITIALIZERS", "calculate_gain", "constant_", "kaiming_normal_", "kaiming_uniform_", "lecun_normal_",
    "lecun_uniform_", "normal_", "ones_", "orthogonal_", "trunc_normal_", "uniform_",
    "xavier_normal_", "xavier_uniform_", "zeros_",
]  # fmt: skip

Generator = int | np.random.Generator | None

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
           "sigmoid")  # gain 1
_NONLINEARITIES = (*_LINEAR, "tanh", "relu", "leaky_relu", "selu")
_MODES = ("fan_in", "fan_out")
# std of N(0, 1) truncated to [-2, 2]: √(1 - 2·2·φ(2) / (Φ(2) - Φ(-2))) ≈ 0.8796256610342398
_TRUNC2_STD = math.sqrt(1 - 4 * math.exp(-2) / math.sqrt(2 * math.pi) / math.erf(math.sqrt(2)))


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (as PyTorch): the std scale that keeps variance.

    linear, conv*, sigmoid: 1;  tanh: 5/3;  relu: √2;  leaky_relu: √(2 / (1 + slope²)) with
    slope = param (0.01 by default);  selu: 3/4.

    >>> calculate_gain("leaky_relu", 0.2) == (2 / 1.04) ** 0.5
    True
    """
    if nonlinearity in _LINEAR:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "selu":
        return 3.0 / 4  # found empirically (pytorch/pytorch#50664)
    if nonlinearity == "leaky_relu":
        if param is None:
            return math.sqrt(2.0 / (1 + 0.01**2))
        if isinstance(param, bool) or not isinstance(param, int | float):
            raise GlassnetError(f"leaky_relu's negative slope must be a number, got {param!r}")
        return math.sqrt(2.0 / (1 + param * param))  # not param**2, which raises OverflowError for 1e300
    raise GlassnetError(
        f"unknown nonlinearity {nonlinearity!r}; valid names are {', '.join(_NONLINEARITIES)}"
    )


def _target(tensor: Tensor, name: str) -> Tensor:
    """The tensor to fill, checked: a floating glassnet Tensor (random values would truncate)."""
    if not isinstance(tensor, Tensor):
        raise GlassnetError(f"{name} fills a glassnet Tensor, got {type(tensor).__name__}; "
                            "wrap an array with gn.tensor(array) first")
    if tensor.dtype.kind != "f":
        raise GlassnetError(f"{name} needs a floating-point tensor, got dtype {tensor.dtype}")
    return tensor


def _fan(tensor: Tensor, mode: str | None = None) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight (out_features, in_features, *receptive_field); mode checked."""
    if mode is not None and (not isinstance(mode, str) or mode.lower() not in _MODES):
        raise GlassnetError(f"unknown mode {mode!r}; valid modes are {', '.join(_MODES)}")
    if tensor.ndim < 2:
        raise ShapeError(f"fan_in and fan_out need a weight with at least 2 dimensions (out_features, "
                         f"in_features, ...), got shape {tensor.shape}; a 1-D tensor such as a bias "
                         "has no fan: use uniform_, normal_ or zeros_ for it")
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with a constant: w = val.

    >>> import glassnet as gn
    >>> constant_(gn.tensor([0.0, 0.0]), 0.5)
    tensor([0.5, 0.5])
    """
    _target(tensor, "constant_").array[...] = check_number("constant_", "val", val, example=0.0)
    return tensor


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with zeros: w = 0 (the usual start for a bias).

    >>> import glassnet as gn
    >>> zeros_(gn.tensor([1.0, 2.0]))
    tensor([0., 0.])
    """
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with ones: w = 1.

    >>> import glassnet as gn
    >>> ones_(gn.tensor([0.0, 2.0]))
    tensor([1., 1.])
    """
    return constant_(tensor, 1.0)


_CHUNK = 1 << 20  # values drawn at a time: the float64 draws take at most 8 MiB beside the tensor


def _draw_into(tensor: Tensor, draw: Callable[[int], np.ndarray]) -> None:
    """Fill ``tensor`` in order with ``draw(n)``'s values, at most ``_CHUNK`` at a time.

    A Generator draws the same values in chunks as in one call, so this is ``draw(size)`` without its
    float64 copy of a whole large float32 tensor (building a model, e.g. to load a file, would
    otherwise need twice its size).
    """
    flat = tensor.array.reshape(-1)
    if not np.shares_memory(flat, tensor.array):  # not contiguous: one draw
        tensor.array[...] = draw(tensor.array.size).reshape(tensor.shape)
        return
    for start in range(0, flat.size, _CHUNK):
        stop = min(start + _CHUNK, flat.size)
        flat[start:stop] = draw(stop - start)


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Generator = None) -> Tensor:
    """Fill with samples from the uniform distribution U(a, b): mean (a+b)/2, std (b-a)/√12.

    >>> import glassnet as gn
    >>> w = uniform_(gn.tensor([0.0] * 100), -1.0, 1.0, generator=0)
    >>> bool(abs(w.array).max() <= 1.0)
    True
    """
    if not check_number("uniform_", "a", a, example=-0.1) <= check_number("uniform_", "b", b, example=0.1):
        raise GlassnetError(f"uniform_ needs a <= b, got a={a}, b={b}")
    rng = as_generator(generator)
    _draw_into(_target(tensor, "uniform_"), lambda n: rng.uniform(a, b, size=n))
    return tensor


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Generator = None) -> Tensor:
    """Fill with samples from the normal distribution N(mean, std²).

    >>> import glassnet as gn
    >>> normal_(gn.tensor([0.0, 0.0]), 3.0, 0.0).array.tolist()
    [3.0, 3.0]
    """
    check_number("normal_", "mean", mean, example=0.0)
    if not check_number("normal_", "std", std, example=0.02) >= 0:
        raise GlassnetError(f"normal_ needs std >= 0, got std={std}")
    rng = as_generator(generator)
    _draw_into(_target(tensor, "normal_"), lambda n: rng.normal(mean, std, size=n))
    return tensor


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator: Generator = None) -> Tensor:
    """Fill with N(mean, std²) truncated to [a, b] (absolute bounds, as PyTorch): redraw outside.

    When [a, b] holds more than 30% of the mass p = Φ((b-mean)/std) - Φ((a-mean)/std), values
    outside are redrawn from N(mean, std²); otherwise proposals x ~ U(a, b) are accepted with
    probability exp(-(x-mean)²/(2std²)) / (its peak on [a, b]), PyTorch's two regimes.

    >>> import glassnet as gn
    >>> w = trunc_normal_(gn.tensor([0.0] * 1000), std=1.0, a=-0.5, b=0.5, generator=0)
    >>> bool(abs(w.array).max() <= 0.5)
    True
    """
    check_number("trunc_normal_", "mean", mean, example=0.0)
    check_number("trunc_normal_", "std", std, 0.0, open_low=True, example=0.02)
    if not check_number("trunc_normal_", "a", a, example=-2.0, finite=False) < check_number(
            "trunc_normal_", "b", b, example=2.0, finite=False):
        raise GlassnetError(f"trunc_normal_ needs std > 0 and a < b, got std={std}, a={a}, b={b}")
    rng, size = as_generator(generator), _target(tensor, "trunc_normal_").shape
    p = 0.5 * (math.erf((b - mean) / (std * math.sqrt(2))) - math.erf((a - mean) / (std * math.sqrt(2))))
    if not p > 0:  # no draw would ever land in [a, b]: refused rather than redrawn forever
        raise GlassnetError(f"trunc_normal_ got mean={mean!r}, std={std!r}: the interval [a, b] = [{a}, "
                            f"{b}] holds no probability of N(mean, std²) in float64; choose a mean within a "
                            "few std of it")
    if p > 0.3:
        x = rng.normal(mean, std, size=size)
        while (out := (x < a) | (x > b)).any():
            x[out] = rng.normal(mean, std, size=int(out.sum()))
    else:
        peak = max(a, min(mean, b))  # the mode of the density on [a, b]
        x, pending = np.empty(size), np.ones(size, dtype=bool)
        while (n := int(pending.sum())) > 0:
            x_new = rng.uniform(a, b, size=n)
            log_ratio = -0.5 * (((x_new - mean) / std) ** 2 - ((peak - mean) / std) ** 2)
            accepted = np.log(rng.random(n)) <= log_ratio
            idx = np.flatnonzero(pending)[accepted]
            x.flat[idx] = x_new[accepted]
            pending.flat[idx] = False
    tensor.array[...] = x
    return tensor


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Generator = None) -> Tensor:
    """Glorot & Bengio (2010, eq. 16): U(-bound, bound), bound = gain·√(6 / (fan_in + fan_out)).

    >>> import glassnet as gn, numpy as np
    >>> w = xavier_uniform_(gn.tensor(np.zeros((4, 6))), generator=0)
    >>> bool(abs(w.array).max() <= (6 / 10) ** 0.5)
    True
    """
    if tensor.numel() == 0:
        return tensor
    fan_in, fan_out = _fan(tensor)
    bound = check_number("xavier_uniform_", "gain", gain, 0.0) * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Generator = None) -> Tensor:
    """Glorot & Bengio (2010): N(0, std²), std = gain·√(2 / (fan_in + fan_out)).

    >>> import glassnet as gn, numpy as np
    >>> xavier_normal_(gn.tensor(np.zeros((300, 500))), generator=0).array.std().round(3)
    np.float64(0.05)
    """
    if tensor.numel() == 0:
        return tensor
    fan_in, fan_out = _fan(tensor)
    std = check_number("xavier_normal_", "gain", gain, 0.0) * math.sqrt(2.0 / (fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str, owner: str) -> float:
    """std = gain / √fan with fan = fan_in or fan_out by mode (He et al. 2015, eq. 10 and 14)."""
    check_number(owner, "a", a, example=0.0)
    fan_in, fan_out = _fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan_in if mode.lower() == "fan_in" else fan_out)


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator: Generator = None) -> Tensor:
    """He et al. (2015): U(-bound, bound), bound = gain·√(3 / fan), gain = calculate_gain(nonlinearity, a).

    ``a`` is the negative slope of a following leaky ReLU (used only by "leaky_relu");
    ``mode`` "fan_in" keeps the forward variance, "fan_out" the backward one.

    >>> import glassnet as gn, numpy as np
    >>> w = kaiming_uniform_(gn.tensor(np.zeros((2, 6))), nonlinearity="relu", generator=0)
    >>> bool(abs(w.array).max() <= 2 ** 0.5 * (3 / 6) ** 0.5)
    True
    """
    if tensor.numel() == 0:
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_uniform_")
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator: Generator = None) -> Tensor:
    """He et al. (2015, eq. 10): N(0, std²), std = gain / √fan, gain = calculate_gain(nonlinearity, a).

    >>> import glassnet as gn, numpy as np
    >>> w = kaiming_normal_(gn.tensor(np.zeros((500, 200))), nonlinearity="relu", generator=0)
    >>> w.array.std().round(2)  # √2 / √200 = 0.1
    np.float64(0.1)
    """
    if tensor.numel() == 0:
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_normal_"), generator)


def lecun_uniform_(tensor: Tensor, generator: Generator = None) -> Tensor:
    """LeCun et al. (1998, sec. 4.6), variance 1/fan_in: U(-bound, bound), bound = √(3 / fan_in).

    The same as Keras's ``lecun_uniform`` and ``kaiming_uniform_(nonlinearity="linear")``.

    >>> import glassnet as gn, numpy as np
    >>> w = lecun_uniform_(gn.tensor(np.zeros((2, 12))), generator=0)
    >>> bool(abs(w.array).max() <= 0.5)
    True
    """
    return kaiming_uniform_(tensor, nonlinearity="linear", generator=generator)


def lecun_normal_(tensor: Tensor, generator: Generator = None) -> Tensor:
    """LeCun et al. (1998), variance 1/fan_in, as Keras's ``lecun_normal``: a truncated normal.

    N(0, s²) truncated to [-2s, 2s] with s = √(1 / fan_in) / 0.8796…, the std of N(0, 1) cut
    at ±2, so that the variance of the result is exactly 1/fan_in. For the untruncated
    N(0, 1/fan_in) use ``kaiming_normal_(tensor, nonlinearity="linear")``.

    >>> import glassnet as gn, numpy as np
    >>> w = lecun_normal_(gn.tensor(np.zeros((400, 100))), generator=0)
    >>> w.array.std().round(2)  # √(1 / 100)
    np.float64(0.1)
    """
    if tensor.numel() == 0:
        return tensor
    fan_in, _ = _fan(tensor)
    s = math.sqrt(1.0 / fan_in) / _TRUNC2_STD
    return trunc_normal_(tensor, 0.0, s, -2 * s, 2 * s, generator)


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator: Generator = None) -> Tensor:
    """Saxe et al. (2014): a (semi-)orthogonal matrix times gain, so W Wᵀ = gain²·I (rows <= cols).

    W = gain·Q from the QR decomposition of a standard-normal (rows, cols) matrix (transposed when
    rows < cols), Q's columns times sign(diag R) so Q is Haar-uniform (Mezzadri 2007). Trailing
    dimensions are flattened into cols; when rows > cols, the columns are orthonormal: Wᵀ W = gain²·I.

    >>> import glassnet as gn, numpy as np
    >>> w = orthogonal_(gn.tensor(np.zeros((3, 5))), generator=0)
    >>> np.allclose(w.array @ w.array.T, np.eye(3))
    True
    """
    check_number("orthogonal_", "gain", gain)
    if _target(tensor, "orthogonal_").ndim < 2:
        raise ShapeError(f"orthogonal_ needs a tensor with at least 2 dimensions, got shape {tensor.shape}")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    A = as_generator(generator).standard_normal((rows, cols))  # (rows, cols)
    A = A.T if rows < cols else A  # (max, min): QR of a tall matrix gives orthonormal columns
    Q, R = np.linalg.qr(A)
    Q = Q * np.sign(np.diag(R))  # makes the decomposition unique, so Q is Haar-distributed
    Q = Q.T if rows < cols else Q  # (rows, cols)
    tensor.array[...] = gain * Q.reshape(tensor.shape)
    return tensor


INITIALIZERS: Registry[Callable[..., Tensor]] = Registry("initializer", facts=("random",))
"""Every initializer by its name without the trailing underscore (``"xavier_uniform"``);
``random`` says whether it draws from a generator."""
for _fill in (zeros_, ones_, constant_, uniform_, normal_, trunc_normal_, xavier_uniform_, xavier_normal_,
              kaiming_uniform_, kaiming_normal_, lecun_uniform_, lecun_normal_, orthogonal_):
    INITIALIZERS.register(_fill.__name__.removesuffix("_"), _fill,
                          random="generator" in inspect.signature(_fill).parameters)
INITIALIZERS.seal()
