"""Every file format glassnet reads or writes, and nothing that could run code on loading.

- ``safetensors``: named arrays and string metadata in the safetensors format;
- ``state``: nested state trees (checkpoints, optimizer states) in a safetensors file;
- ``model`` and ``architecture``: model files, a model's weights, architecture and extras;
- ``estimator``: a fitted scikit-learn estimator in a model file;
- ``tables`` and ``idx``: data sets from CSV, ``.npy``/``.npz`` and IDX (MNIST) files.

Each module sits at the layer of what it reads and writes (``docs/architecture.md``).
"""

from glassnet.io.architecture import MODULES, module_from_config, module_to_config
from glassnet.io.model import FORMAT_NAME, FORMAT_VERSION, LoadedModel, load, save

__all__ = [
    "FORMAT_NAME", "FORMAT_VERSION", "MODULES", "LoadedModel", "load", "module_from_config",
    "module_to_config", "save",
]  # fmt: skip
