"""ONNX files: glassnet networks and estimators written for any runtime, MLPs read back.

- ``proto``: the protobuf wire format, written and read with NumPy only;
- ``graph``: tensors, nodes and models as glassnet builds and reads them;
- ``templates``: a layer's nodes as an expression tree, written by export and matched by load;
- ``forms``: each layer's and activation's ONNX form (``FORMS``), used both ways;
- ``network``: a network (with a run's scaling and a classifier's head) to a file;
- ``load``: a file of an MLP to a glassnet network;
- ``export``: ``export`` for networks, loaded model files and fitted estimators.

Users reach them through ``glassnet.onnx``.
"""
