"""Data loading as in ``torch.utils.data``: datasets, samplers and the DataLoader that batches them.

A PyTorch script keeps its data code by changing one import::

    from glassnet.utils.data import DataLoader, TensorDataset, random_split
"""

from glassnet.utils.data.collate import default_collate, default_convert
from glassnet.utils.data.dataloader import DataLoader, fetch_batch
from glassnet.utils.data.dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from glassnet.utils.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
    default_generator,
)  # fmt: skip

__all__ = [
    "BatchSampler", "ConcatDataset", "DataLoader", "Dataset", "RandomSampler", "Sampler", "SequentialSampler",
    "Subset", "SubsetRandomSampler", "TensorDataset", "WeightedRandomSampler", "default_collate",
    "default_convert", "default_generator", "fetch_batch", "random_split",
]  # fmt: skip
