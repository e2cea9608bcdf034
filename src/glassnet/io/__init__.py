"""Model files: save a model with its weights, architecture and extras to one safe file, and load it.

The file is a safetensors file (``glassnet.files``): loading parses JSON and copies numbers,
and can build only the layers in ``MODULES``, so a model file can never run code.
"""

from glassnet.io.architecture import MODULES, module_from_config, module_to_config
from glassnet.io.model_file import FORMAT_NAME, FORMAT_VERSION, LoadedModel, load, save

__all__ = [
    "FORMAT_NAME", "FORMAT_VERSION", "MODULES", "LoadedModel", "load", "module_from_config",
    "module_to_config", "save",
]  # fmt: skip
