"""Every file format glassnet reads or writes, and nothing that could run code on loading.

- ``safetensors``: named arrays and string metadata in the safetensors format;
- ``state``: nested state trees (checkpoints, optimizer states) in a safetensors file;
- ``model`` and ``architecture``: model files, a model's weights, architecture and extras, and
  weights files, the weights alone of any module;
- ``estimator``: a fitted scikit-learn estimator in a model file;
- ``tables`` and ``idx``: data sets from CSV, ``.npy``/``.npz`` and IDX (MNIST) files.

Each module sits at the layer of what it reads and writes (``docs/architecture.md``).
"""

from glassnet.io.architecture import MAX_DEPTH, MAX_MODULES, MODULES, module_from_config, module_to_config
from glassnet.io.model import (
    FORMAT_NAME,
    FORMAT_VERSION,
    LoadedModel,
    load,
    load_state_dict,
    save,
    save_state_dict,
)

__all__ = [
    "FORMAT_NAME", "FORMAT_VERSION", "MAX_DEPTH", "MAX_MODULES", "MODULES", "LoadedModel", "load",
    "load_state_dict", "module_from_config", "module_to_config", "save", "save_state_dict",
]  # fmt: skip
