"""What one epoch of a DataLoader costs, glassnet's against PyTorch's: ``python bench/dataloader.py``.

Both iterate a TensorDataset of n float32 rows (MNIST's 60000 × 784 by default) and int64 labels
in batches, doing nothing with them: the loader's own cost per epoch. PyTorch's fetches each
sample and stacks the batch (``default_collate``); glassnet's gathers a batch's rows with one
NumPy indexing per tensor. The loaders take turns, repeat by repeat; each keeps its fastest epoch
(the least disturbed on a shared machine). Set ``OMP_NUM_THREADS=1`` for steadier numbers.

Options: ``--n``, ``--features``, ``--batch-size``, ``--repeats`` (default 5).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterable

import numpy as np


def _epoch_seconds(loader: Iterable[object]) -> float:
    start = time.perf_counter()
    for _ in loader:
        pass
    return time.perf_counter() - start


def measure(n: int, features: int, batch_size: int, repeats: int) -> dict[str, float]:
    """The fastest epoch of each loader, in seconds: '<library> sequential' and '<library> shuffled'."""
    import torch
    import torch.utils.data as tud

    from glassnet.utils import data as gud

    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, features), dtype=np.float32)  # (n, features)
    y = rng.integers(0, 10, n)  # (n,)
    torch_set = tud.TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
    ours_set = gud.TensorDataset(X, y)
    loaders = {
        "glassnet sequential": gud.DataLoader(ours_set, batch_size=batch_size),
        "torch sequential": tud.DataLoader(torch_set, batch_size=batch_size),
        "glassnet shuffled": gud.DataLoader(ours_set, batch_size=batch_size, shuffle=True, generator=0),
        "torch shuffled": tud.DataLoader(torch_set, batch_size=batch_size, shuffle=True,
                                         generator=torch.Generator().manual_seed(0)),
    }
    best = dict.fromkeys(loaders, float("inf"))
    for _ in range(repeats):
        for name, loader in loaders.items():
            best[name] = min(best[name], _epoch_seconds(loader))
    return best


def render(best: dict[str, float], n: int, features: int, batch_size: int) -> str:
    """The figures as a markdown table: seconds per epoch, and torch's time over glassnet's."""
    lines = [f"One epoch of a DataLoader over {n} × {features} float32 rows, batch {batch_size} "
             "(fastest of the repeats):", "",
             "| order | glassnet (s) | torch (s) | torch / glassnet |", "|---|---|---|---|"]
    for order in ("sequential", "shuffled"):
        ours, theirs = best[f"glassnet {order}"], best[f"torch {order}"]
        lines.append(f"| {order} | {ours:.3f} | {theirs:.3f} | {theirs / ours:.1f}× |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60_000)
    parser.add_argument("--features", type=int, default=784)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    text = render(measure(args.n, args.features, args.batch_size, args.repeats), args.n, args.features,
                  args.batch_size)
    print(text)
    return text


if __name__ == "__main__":
    main()
