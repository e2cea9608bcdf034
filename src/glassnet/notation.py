"""One notation for every formula glassnet carries: each symbol, its LaTeX, and its one meaning.

Samples are rows: x is one sample (1×d), X a batch (n×d), and layer l computes
zˡ = aˡ⁻¹·(Wˡ)ᵀ + bˡ with Wˡ of shape (out, in), one row per neuron, as ``nn.Linear`` stores it.
Every component's ``formula`` (``glassnet.registry.Formula``) speaks only the symbols of
``NOTATION``, in plain text and in LaTeX alike; ``text_symbols`` and ``latex_symbols`` find the
symbols a formula uses, so a test can hold every formula to the table.

Tokenisation (simple on purpose):

- Each entry's spelling is looked for, longest first: ``β₁`` before ``β``, ``\\eta_{\\min}`` before
  ``\\eta``. In plain text a spelling that starts (ends) with a letter must not touch another letter
  before (after) it, so ``exp`` holds no ``x``; sub- and superscript letters (``zᵢ``, ``aˡ``, ``β₁ᵗ``)
  count as the plain letters they show, and ``_`` separates (``w_c`` is w and c).
- In plain text what is left over is either a word of two or more letters or digits (a function
  like ``exp`` or ``softmax``, an argument name like ``negative_slope``: not symbols) or a single
  letter, which is a symbol and must be in the table. A math operator not in the table (``∇``,
  ``⊗`` if it were missing) counts as a symbol too.
- In LaTeX, ``\\text{}``, ``\\mathrm{}``, ``\\operatorname{}`` and ``\\begin{}`` hold words; each
  other letter is a symbol of its own (``xy`` is x and y); a command that is neither an entry nor
  layout (``\\frac``, ``\\sqrt``, ``\\log``, ...) counts as a symbol, so ``\\varepsilon`` is caught
  when the table says ``\\epsilon``.

Each function returns the entries' plain-text spellings, so the two sets compare directly; an
unknown symbol comes back as written.

>>> sorted(text_symbols("m̂ = m / (1 − β₁ᵗ)"))
['m', 'm̂', 't', 'β₁']
>>> sorted(latex_symbols(r"\\hat m = \\frac{m}{1 - \\beta_1^t}"))
['m', 'm̂', 't', 'β₁']
>>> sorted(text_symbols("∂ℓ/∂ŷ = sign(ŷ − y)"))
['y', 'ŷ', 'ℓ', '∂']
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

__all__ = ["NOTATION", "Symbol", "latex_symbols", "text_symbols"]


@dataclass(frozen=True)
class Symbol:
    """One symbol: how plain text writes it, how LaTeX writes it, what it means, and its section."""

    text: str
    latex: str
    meaning: str
    section: str


def _section(name: str, *rows: tuple[str, str, str]) -> tuple[Symbol, ...]:
    return tuple(Symbol(text, latex, meaning, name) for text, latex, meaning in rows)


NOTATION: tuple[Symbol, ...] = (
    *_section(
        "Input",
        ("x", "x", "one sample, a row of d features (1×d); the input of the layer a formula describes"),
        ("X", "X", "a batch: n samples, one per row (n×d)"),
        ("n", "n", "the number of samples in a batch"),
        ("d", "d", "the number of input features"),
        ("i", "i", "an index: of an element, a feature or a step"),
        ("j", "j", "a second index"),
    ),
    *_section(
        "Forward pass",
        ("l", "l", "a layer's number, written as a superscript: zˡ, Wˡ"),
        ("W", "W", "a layer's weight: Linear's (out, in), one row per neuron; LayerNorm's one scale "
                   "per feature; Embedding's one row per index"),
        ("b", "b", "a layer's bias, one per output"),
        ("ᵀ", r"\top", "transpose"),
        ("z", "z", "a pre-activation, zˡ = aˡ⁻¹·(Wˡ)ᵀ + bˡ: what an activation receives"),
        ("f", "f", "the activation function, aˡ = f(zˡ); f′ its derivative"),
        ("a", "a", "a layer's activation, aˡ = f(zˡ); a⁰ = x"),
        ("h", "h", "the output of a layer that is neither Linear nor an activation"),
        ("⊙", r"\odot", "elementwise product"),
        ("σ", r"\sigma", "the logistic sigmoid, σ(z) = 1/(1 + exp(−z))"),
        ("p", "p", "probabilities, p = softmax(z) (softmax(ŷ) in a loss)"),
        ("J", "J", "the Jacobian of softmax, Jᵢⱼ = ∂pᵢ/∂zⱼ"),
        ("𝟙", r"\mathbf{1}", "indicator: 𝟙[i = j] is 1 when the condition holds, else 0"),
        ("Φ", r"\Phi", "the standard normal distribution function"),
        ("φ", r"\varphi", "the standard normal density"),
        ("π", r"\pi", "the constant 3.14159…"),
        ("ŷ", r"\hat y", "the network's output, the prediction: a loss's first argument"),
    ),
    *_section(
        "Loss",
        ("y", "y", "the target: a value, a class index or a distribution"),
        ("ℓ", r"\ell", "the loss of one element"),
        ("Σ", r"\sum", "sum"),
        ("L", "L", "the data loss: the mean or the sum of ℓ (the loss's reduction)"),
        ("N", "N", "what a loss's mean divides by: the elements of ŷ, the samples, or their class "
                   "weights' sum"),
        ("R", "R", "a penalty (regularizer) added to the loss"),
        ("λ₁", r"\lambda_1", "the L1 penalty's strength (l1)"),
        ("λ₂", r"\lambda_2", "the L2 penalty's strength (l2)"),
        ("L_total", r"L_{\mathrm{total}}", "the total loss, L_total = L + ΣR"),
        ("C", "C", "the number of classes"),
        ("c", "c", "a class index"),
        ("w", "w", "a loss's weight argument: per-element (BCE) or per-class rescaling"),
        ("w₊", "w_+", "BCEWithLogitsLoss's pos_weight, the weight of positive targets"),
        ("ỹ", r"\tilde y", "cross-entropy's smoothed target distribution"),
        ("q", "q", "cross-entropy's label_smoothing"),
        ("κ", r"\kappa", "where Huber (delta) and SmoothL1 (beta) turn from quadratic to linear"),
        ("s²", "s^2", "a variance: GaussianNLLLoss's var, a normalization layer's"),
    ),
    *_section(
        "Backward pass",
        ("∂", r"\partial", "partial derivative"),
        ("δ", r"\delta", "δˡ = ∂L/∂zˡ, the loss's gradient at a layer's pre-activation"),
        ("⊗", r"\otimes", "outer product of two vectors"),
    ),
    *_section(
        "Update",
        ("θ", r"\theta", "any parameter (a weight or a bias)"),
        ("g", "g", "the gradient the optimizer receives, g = ∂L_total/∂θ"),
        ("η", r"\eta", "the learning rate (lr)"),
        ("u", "u", "the optimizer's direction: θ ← θ − η·u"),
        ("←", r"\leftarrow", "becomes: the left side takes the right side's value"),
        ("t", "t", "the step count, 1 at the first step"),
    ),
    *_section(
        "Optimizer state and hyperparameters",
        ("λ", r"\lambda", "weight_decay"),
        ("μ", r"\mu", "momentum (SGD, RMSprop)"),
        ("τ", r"\tau", "SGD's dampening"),
        ("B", "B", "the momentum buffer (SGD, RMSprop)"),
        ("m", "m", "the first moment: a running average of g"),
        ("v", "v", "the second moment: a running average of g²"),
        ("m̂", r"\hat m", "m bias-corrected, m/(1 − β₁ᵗ)"),
        ("v̂", r"\hat v", "v bias-corrected, v/(1 − β₂ᵗ)"),
        ("v_max", r"v_{\max}", "AMSGrad's running maximum of v"),
        ("β₁", r"\beta_1", "the decay rate of m (betas[0])"),
        ("β₂", r"\beta_2", "the decay rate of v (betas[1]; RMSprop's alpha)"),
        ("ε", r"\epsilon", "eps: a small constant that keeps a division or a log finite"),
        ("ḡ", r"\bar g", "centered RMSprop's running average of g"),
        ("S", "S", "Adagrad's running sum of g²"),
        ("v∞", r"v_\infty", "Adamax's running infinity norm of g"),
        ("ω", r"\omega", "NAdam's momentum coefficient at a step, ωₜ"),
        ("Ω", r"\Omega", "NAdam's product of coefficients, Ωₜ = ω₁·ω₂·…·ωₜ"),
        ("ψ", r"\psi", "NAdam's momentum_decay"),
        ("ρ∞", r"\rho_\infty", "RAdam's longest length of the approximated moving average"),
        ("ρ", r"\rho", "RAdam's length of the approximated moving average at a step, ρₜ"),
        ("r", "r", "RAdam's rectification term rₜ"),
        ("η₀", r"\eta_0", "a schedule's base learning rate (the group's initial lr)"),
        ("η_min", r"\eta_{\min}", "the smallest learning rate (eta_min, min_lr)"),
        ("η_start", r"\eta_{\mathrm{start}}", "the learning rate where a one-cycle phase starts"),
        ("η_end", r"\eta_{\mathrm{end}}", "the learning rate where a one-cycle phase ends"),
        ("γ", r"\gamma", "a schedule's decay factor (gamma)"),
        ("T_max", r"T_{\max}", "cosine annealing's half period in steps"),
        ("T", "T", "the steps a schedule or a one-cycle phase lasts"),
        ("M", "M", "a milestone: the step where a schedule changes"),
    ),
    *_section(
        "Per-component parameters",
        ("α", r"\alpha", "the negative side's scale: LeakyReLU's negative_slope, ELU's and SELU's alpha"),
        ("ζ", r"\zeta", "SELU's fixed scale ≈ 1.0507"),
        ("β", r"\beta", "Softplus's beta: the larger, the sharper the bend"),
        ("p_drop", r"p_{\mathrm{drop}}", "Dropout's p, the probability of zeroing an element"),
        ("ξ", r"\xi", "Dropout's random mask, ξᵢ ~ Bernoulli(1 − p_drop)"),
        ("x̄", r"\bar x", "the mean a normalization layer subtracts"),
        ("x̂", r"\hat x", "the normalized input, (x − x̄)/√(s² + ε)"),
        ("e", "e", "∂L/∂x̂ in a normalization layer"),
        ("k", "k", "a position in an Embedding's input"),
    ),
)
"""Every symbol glassnet's formulas use, in reading order, each with one meaning."""

# ----------------------------------------------------------------------------- tokenising
_SCRIPT_LETTERS = str.maketrans({"ᵢ": " i ", "ⱼ": " j ", "ₖ": " k ", "ₜ": " t ", "ᵗ": " t ", "ₕ": " h ",
                                 "ˡ": " l ", "ₚ": " p ", "ₙ": " n ", "ⁿ": " n ", "ᶜ": " c "})
_PLAIN_OPERATORS = set("+-<=>|~¬±×÷−∓∘√∞∣≈≠≡≤≥→⋯∈∉…⁺⁻₊₋⁼₌")
_LAYOUT = {  # LaTeX commands that are not symbols: structure, spacing, functions, relations
    "frac", "tfrac", "dfrac", "sqrt", "left", "right", "quad", "qquad", "cdot", "cdots", "ldots",
    "dots", "log", "ln", "exp", "tanh", "max", "min", "cos", "sin", "begin", "end", "le", "ge",
    "leq", "geq", "ne", "approx", "sim", "lfloor", "rfloor", "infty", "in", "colon", "mid",
    "overline", "text", "mathrm", "operatorname", "lvert", "rvert",
}
_WORD_GROUP = re.compile(r"\\(?:text|mathrm|operatorname|begin|end)\{[^{}]*\}")
_COMMAND = re.compile(r"\\([A-Za-z]+|.)")


def _touches_letter(ch: str) -> bool:
    return ch.isalpha() or ch in "0123456789" or bool(unicodedata.combining(ch))


@cache
def _spellings(latex: bool) -> tuple[tuple[str, str], ...]:
    """(spelling, symbol) pairs, longest spelling first."""
    pairs = [(s.latex if latex else unicodedata.normalize("NFD", s.text), s.text) for s in NOTATION]
    return tuple(sorted(pairs, key=lambda pair: -len(pair[0])))


def _match_text(text: str, at: int) -> tuple[str, int] | None:
    """The longest entry spelled at ``text[at:]`` that touches no letter, and its length."""
    for spelling, symbol in _spellings(latex=False):
        end = at + len(spelling)
        if not text.startswith(spelling, at):
            continue
        if spelling[0].isalpha() and at > 0 and text[at - 1].isalpha():
            continue
        if spelling[-1].isalpha() and end < len(text) and _touches_letter(text[end]):
            continue
        return symbol, len(spelling)
    return None


def _match_latex(latex: str, at: int) -> tuple[str, int] | None:
    """The longest entry spelled at ``latex[at:]`` (a command only whole: not ``\\eta`` in ``\\etab``)."""
    for spelling, symbol in _spellings(latex=True):
        after = latex[at + len(spelling): at + len(spelling) + 1]
        if latex.startswith(spelling, at) and not (spelling[0] == "\\" and spelling[-1].isalpha() and
                                                    after.isalpha()):
            return symbol, len(spelling)
    return None


def text_symbols(text: str) -> set[str]:
    """The symbols a plain-text formula uses: NOTATION's spellings, plus any unknown ones as written.

    >>> sorted(text_symbols("zˡ = aˡ⁻¹·(Wˡ)ᵀ + bˡ"))
    ['W', 'a', 'b', 'l', 'z', 'ᵀ']
    >>> sorted(text_symbols("g = ∇f(θ)"))   # ∇ is not in the table
    ['f', 'g', 'θ', '∇']
    """
    text = unicodedata.normalize("NFD", text).translate(_SCRIPT_LETTERS)
    found: set[str] = set()
    at = 0
    while at < len(text):
        match = _match_text(text, at)
        if match:
            found.add(match[0])
            at += match[1]
        elif text[at].isalpha():
            end = at
            while end < len(text) and (_touches_letter(text[end]) or (text[end] in "'’" and
                                       text[end + 1: end + 2].isalpha())):  # a word's "'s"
                end += 1
            word = text[at:end]
            if sum(ch.isalpha() or ch.isdigit() for ch in word) == 1:
                found.add(word)  # a single letter: a symbol the table lacks
            at = end
        else:
            if unicodedata.category(text[at]) == "Sm" and text[at] not in _PLAIN_OPERATORS:
                found.add(text[at])
            at += 1
    return found


def latex_symbols(latex: str) -> set[str]:
    """The symbols a LaTeX formula uses, as NOTATION's plain-text spellings (unknown ones as written).

    >>> sorted(latex_symbols(r"\\ell = \\operatorname{sign}(\\hat y - y)"))
    ['y', 'ŷ', 'ℓ']
    >>> sorted(latex_symbols(r"\\varepsilon + \\frac{x}{2}"))
    ['\\\\varepsilon', 'x']
    """
    latex = re.sub(r"\\(hat|bar|tilde)\{(\w)\}", r"\\\1 \2", latex)
    found: set[str] = set()
    at = 0
    while at < len(latex):
        match = _match_latex(latex, at)
        group = _WORD_GROUP.match(latex, at)
        command = _COMMAND.match(latex, at)
        if match:
            found.add(match[0])
            at += match[1]
        elif group:
            at = group.end()
        elif command:
            name = command.group(1)
            if name.isalpha() and name not in _LAYOUT:
                found.add("\\" + name)
            at = command.end()
        else:
            if latex[at].isalpha():
                found.add(latex[at])
            at += 1
    return found
