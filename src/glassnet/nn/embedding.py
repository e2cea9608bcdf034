"""Embedding: a learned table of vectors, one row per index (words, categories, ids)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from glassnet.engine import ops
from glassnet.engine.devices import as_device
from glassnet.engine.norm_ops import EmbeddingLookup
from glassnet.engine.op import apply
from glassnet.engine.tensor import ArrayLike, Tensor
from glassnet.errors import GlassnetError, check_whole
from glassnet.nn import init
from glassnet.nn.module import Module, Parameter, as_generator
from glassnet.registry import Formula

__all__ = ["Embedding", "embedding"]


def embedding(input: ArrayLike, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """Row ``input[p]`` of ``weight`` for every position p: shape (*input.shape, embedding_dim).

    The row ``padding_idx`` (if given) receives no gradient.
    """
    indices = input if isinstance(input, Tensor) else Tensor(np.asarray(input))
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    return apply(EmbeddingLookup, weight, indices, padding_idx=padding_idx)


class Embedding(Module):
    """A lookup table: index i → row i of a learned matrix W (num_embeddings, embedding_dim).

    Equivalent to a Linear layer without bias applied to a one-hot vector, without making the
    one-hot: the gradient of a row is the sum of the gradients of the positions that used it.

    Args:
        num_embeddings: the number of rows (the size of the vocabulary).
        embedding_dim: the length of each vector.
        padding_idx: a row that stays zero and receives no gradient (for padding positions);
            negative counts from the end.
        dtype: the table's dtype (float32 by default).
        generator: seed or Generator for the initial rows, W ~ N(0, 1) as PyTorch.

    Shapes: input (*) of integer indices → output (*, embedding_dim).

    >>> import numpy as np, glassnet as gn
    >>> emb = gn.nn.Embedding(10, 3, padding_idx=0, generator=0)
    >>> emb(np.array([[1, 0], [4, 1]])).shape
    (2, 2, 3)
    >>> emb.weight.numpy()[0]
    array([0., 0., 0.], dtype=float32)
    """

    formula: ClassVar[Formula] = Formula(
        "Embedding", "hₖ = W[iₖ]  (row iₖ of W, for each position k of the input)", r"h_k = W_{i_k,:}",
        "∂L/∂W[j] = Σ_{k: iₖ = j} ∂L/∂hₖ  (0 for padding_idx)",
        r"\frac{\partial L}{\partial W_{j,:}} = \sum_{k:\,i_k = j} \frac{\partial L}{\partial h_k}",
    )

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None, *,
                 dtype: Any = np.float32, generator: int | np.random.Generator | None = None,
                 device: Any = None) -> None:
        super().__init__()
        as_device(device)
        sizes = (num_embeddings, embedding_dim)
        if not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in sizes):
            raise GlassnetError(f"Embedding needs num_embeddings > 0 and embedding_dim > 0, got "
                                f"({num_embeddings!r}, {embedding_dim!r})")
        if padding_idx is not None:
            padding_idx = check_whole("Embedding", "padding_idx", padding_idx, low=None, example=0)
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise GlassnetError(f"Embedding padding_idx must be in [{-num_embeddings}, {num_embeddings}) "
                                    f"(a row of the table), got {padding_idx}")
            padding_idx %= num_embeddings
        self.num_embeddings, self.embedding_dim, self.padding_idx = num_embeddings, embedding_dim, padding_idx
        self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dtype=dtype))
        init.normal_(self.weight, generator=as_generator(generator))
        if padding_idx is not None:
            self.weight.array[padding_idx] = 0
        if device is not None:  # made on the host (initial values from glassnet's generator), then moved
            self.to(device)

    @classmethod
    def from_pretrained(cls, embeddings: ArrayLike, freeze: bool = True,
                        padding_idx: int | None = None) -> Embedding:
        """An Embedding holding ``embeddings`` (num_embeddings, embedding_dim); ``freeze``: no gradient."""
        table = np.array(ops.as_tensor(embeddings).numpy())
        if table.ndim != 2:
            raise GlassnetError(f"Embedding.from_pretrained takes a 2-d table (num_embeddings, "
                                f"embedding_dim), got shape {table.shape}")
        layer = cls(table.shape[0], table.shape[1], padding_idx, dtype=table.dtype, generator=0)
        layer.weight.numpy()[...] = table
        layer.weight.requires_grad = not freeze
        return layer

    def forward(self, input: ArrayLike) -> Tensor:
        return embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"
