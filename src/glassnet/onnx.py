"""ONNX export and import: ``glassnet.onnx.export(model, path)`` and ``glassnet.onnx.load(path)``.

``export`` writes a network, a loaded model file or a fitted estimator as an ONNX file for any
runtime (onnxruntime, TensorRT, a browser); ``load`` builds a glassnet network from an ONNX MLP,
glassnet's own or one ``torch.onnx.export`` or skl2onnx wrote, to look inside it. Both need
NumPy only: glassnet reads and writes the protobuf format itself (``glassnet.io.onnx``).
See docs/model-files.md.
"""

from glassnet.io.onnx.export import export
from glassnet.io.onnx.load import load

__all__ = ["export", "load"]
