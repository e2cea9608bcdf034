"""The array libraries behind the devices: ``LIBRARIES`` maps a device type to the library that
computes on it, the one place that does; every move between devices goes through it.

- ``cpu``: NumPy, the default and the fast path (ufunc reductions, the compiled helpers).
- ``cuda``: CuPy on an NVIDIA GPU (``pip install 'glassnet[cuda]'``: CuPy for CUDA 12; for another
  CUDA, its ``cupy-cudaXXx`` wheel), imported the first time a CUDA device is asked about.
- ``strict``: array-api-strict on its non-default device ``device1`` (``strict:2``: ``device2``;
  ``strict:0``: its default ``CPU_DEVICE``). It computes on the CPU through a library that
  refuses every implicit conversion to NumPy, so the tests run the GPU's code path on any machine.

A library says how many devices it has, puts a host (NumPy) array on one of them, brings an array
back to the host, tells which of its devices an array lies on, and gives its own form of the one
operation the array API standard lacks, the scatter-add (gather's backward). Nothing moves
implicitly: ``move`` is called where glassnet decides data crosses (``Tensor.to``, ``Module.to``,
fit's batches, results coming back with ``.numpy()`` and ``predict``).

>>> import numpy as np
>>> scatter_add((3,), np.array([0, 0, 2]), np.ones(3))   # the element picked twice gets 2
array([2., 0., 1.])
"""

from __future__ import annotations

import builtins
import importlib
from typing import Any

import numpy as np

from glassnet.engine.backend import kind, namespace
from glassnet.engine.devices import CPU, device
from glassnet.errors import GlassnetError
from glassnet.registry import Registry

__all__ = ["LIBRARIES", "Library", "check_available", "device_of", "host_dtype", "is_array", "is_on",
           "library_of", "move", "move_like", "native_device", "scatter_add", "to_host"]


class Library:
    """One array library behind a device type; subclasses fill in what differs.

    ``package`` is the module its array type comes from, ``install`` what to install for it.
    """

    device_type = ""
    package = ""
    install = ""

    def module(self) -> Any:
        """The library, imported now; a GlassnetError says what to install when it is missing."""
        try:
            return importlib.import_module(self.package)
        except ImportError:
            raise GlassnetError(f"device '{self.device_type}' is not available: it needs the {self.package} "
                                f"package ({self.install}); or choose as PyTorch code does: "
                                "device = 'cuda' if gn.cuda.is_available() else 'cpu'") from None

    def count(self) -> int:
        """How many devices of this type the machine has (0 when the package is missing)."""
        raise NotImplementedError

    def native(self, index: int | None) -> Any:
        """The library's own object for device ``index`` (None: the library's default one)."""
        raise NotImplementedError

    def index_of(self, a: Any) -> int:
        """The index of the device ``a`` lies on."""
        return self.index_of_native(a.device)

    def index_of_native(self, native: Any) -> int:
        """The index of the library's own device object ``native``."""
        raise NotImplementedError

    def default_index(self) -> int:
        """The index of the device a name without one (``"cuda"``) means."""
        return 0

    def to_device(self, a: Any, index: int | None) -> Any:
        """A copy of ``a`` (a NumPy array, or an array of this library) on device ``index``."""
        raise NotImplementedError

    def to_host(self, a: Any) -> np.ndarray:
        """``a`` as a NumPy array, copied from its device."""
        raise NotImplementedError

    def scatter_add(self, shape: tuple[int, ...], index: Any, values: Any) -> Any:
        """Zeros of ``shape`` with ``values`` added at ``index``, an element picked k times getting
        k values: the array API form, Σ over picks of onehot(pick)·value, as one product. An integer
        index array picks rows (an embedding's backward); a tuple or a mask picks elements (gather's)."""
        xp, where = namespace(values), values.device
        if not isinstance(index, tuple) and kind(index) in "iu":  # rows of a table: onehot(i)ᵀ·values
            picks = xp.reshape(index, (-1, 1))  # (picks, 1)
            onehot = xp.astype(picks == xp.arange(shape[0], device=where), values.dtype)  # (picks, rows)
            rows = xp.matmul(xp.matrix_transpose(onehot), xp.reshape(values, (picks.shape[0], -1)))
            return xp.reshape(rows, shape)
        size = builtins.int(np.prod(shape))
        flat = xp.reshape(xp.reshape(xp.arange(size, device=where), shape)[index], (-1, 1))  # (picks, 1)
        onehot = xp.astype(flat == xp.arange(size, device=where), values.dtype)  # (picks, size)
        return xp.reshape(xp.matmul(xp.reshape(values, (1, -1)), onehot), shape)


class NumPyLibrary(Library):
    device_type, package, install = "cpu", "numpy", "NumPy is glassnet's one dependency"

    def count(self) -> int:
        return 1

    def native(self, index: int | None) -> Any:
        return "cpu"

    def index_of(self, a: Any) -> int:
        return 0

    def to_device(self, a: Any, index: int | None) -> Any:
        return np.array(a, copy=True)

    def to_host(self, a: Any) -> np.ndarray:
        return np.asarray(a)

    def scatter_add(self, shape: tuple[int, ...], index: Any, values: Any) -> Any:
        out = np.zeros(shape, dtype=values.dtype)
        np.add.at(out, index, values)  # unbuffered: a repeated index adds every time
        return out


class CuPyLibrary(Library):
    device_type, package = "cuda", "cupy"
    install = "pip install 'glassnet[cuda]' for CUDA 12, or the cupy-cudaXXx wheel of your CUDA version"

    def count(self) -> int:
        try:
            return int(self.module().cuda.runtime.getDeviceCount())
        except Exception:  # no package, no driver, no GPU: CuPy raises its own kinds
            return 0

    def native(self, index: int | None) -> Any:
        cupy = self.module()
        return cupy.cuda.Device(index) if index is not None else cupy.cuda.Device()

    def index_of_native(self, native: Any) -> int:
        return int(native.id)

    def default_index(self) -> int:
        return int(self.module().cuda.Device().id)  # the current device

    def to_device(self, a: Any, index: int | None) -> Any:
        cupy = self.module()
        with self.native(index):
            return cupy.array(a, copy=True)  # host to device (or device to device)

    def to_host(self, a: Any) -> np.ndarray:
        return a.get()  # cupy.ndarray.get: the explicit device-to-host copy

    def scatter_add(self, shape: tuple[int, ...], index: Any, values: Any) -> Any:
        cupyx = importlib.import_module("cupyx")
        out = self.module().zeros(shape, dtype=values.dtype)
        cupyx.scatter_add(out, index, values)  # atomic adds: a repeated index adds every time
        return out


class StrictLibrary(Library):
    device_type, package = "strict", "array_api_strict"
    install = "pip install array-api-strict (a test library: the CPU through the array API standard)"

    def count(self) -> int:
        try:
            self.module()
        except GlassnetError:
            return 0
        return 3  # CPU_DEVICE, device1, device2

    def native(self, index: int | None) -> Any:
        name = "CPU_DEVICE" if index == 0 else f"device{1 if index is None else index}"
        return self.module().Device(name)

    def default_index(self) -> int:
        return 1  # device1, the non-default device: conversions to NumPy are refused there

    def index_of_native(self, native: Any) -> int:
        name = str(native)
        return 0 if "CPU_DEVICE" in name else int(name.rpartition("device")[2].strip("')"))

    def to_device(self, a: Any, index: int | None) -> Any:
        xps = self.module()
        if type(a).__module__.partition(".")[0] == self.package:
            return xps.asarray(a.to_device(self.native(index)), copy=True)
        return xps.asarray(np.array(a, copy=True), device=self.native(index))

    def to_host(self, a: Any) -> np.ndarray:
        return np.asarray(a.to_device(self.native(0)))  # CPU_DEVICE's arrays convert; device1's do not


LIBRARIES: Registry[Library] = Registry("array library")
LIBRARIES.register("cpu", NumPyLibrary())
LIBRARIES.register("cuda", CuPyLibrary())
LIBRARIES.register("strict", StrictLibrary())
LIBRARIES.seal()


def _package(a: Any) -> str:
    return type(a).__module__.partition(".")[0]


def is_array(a: Any) -> bool:
    """Whether ``a`` is an array of one of the libraries in ``LIBRARIES`` (NumPy's included)."""
    if isinstance(a, np.ndarray | np.generic):
        return isinstance(a, np.ndarray)
    return any(lib.package == _package(a) for lib in LIBRARIES.values())


def host_dtype(a: Any) -> np.dtype[Any]:
    """The NumPy dtype of array ``a``'s values (array-api-strict names its dtypes its own way)."""
    return a.dtype if isinstance(a.dtype, np.dtype) else np.dtype(str(a.dtype).rpartition(".")[2])


def library_of(a: Any) -> Library:
    """The library of array ``a`` (the entry of ``LIBRARIES`` whose package made its type)."""
    if isinstance(a, np.ndarray | np.generic):
        return LIBRARIES["cpu"]
    found = next((lib for lib in LIBRARIES.values() if lib.package == _package(a)), None)
    if found is None:
        raise GlassnetError(f"glassnet has no device for arrays of {_package(a)}; the array libraries it "
                            f"knows are {', '.join(lib.package for lib in LIBRARIES.values())} "
                            "(a new one is registered in glassnet.engine.libraries.LIBRARIES)")
    return found


def native_device(value: Any) -> device:
    """The glassnet device of an array library's own device object (``cupy.cuda.Device(1)``:
    ``cuda:1``; ``array_api_strict.Device('device1')``: ``strict:1``)."""
    library = next((lib for lib in LIBRARIES.values() if lib.package == _package(value)), None)
    if library is None or library.device_type == "cpu":
        raise GlassnetError(f"device {value!r:.60} is not a device: use 'cpu' or 'cuda' (or "
                            "gn.device('cuda:1'))")
    return device(library.device_type, library.index_of_native(value))


def device_of(a: Any) -> device:
    """The glassnet device array ``a`` lies on: ``device('cpu')`` for NumPy, ``cuda:0``, ``strict:1``."""
    if isinstance(a, np.ndarray | np.generic):
        return CPU
    library = library_of(a)
    return device(library.device_type, library.index_of(a))


def check_available(where: device) -> None:
    """Raise a GlassnetError saying why, unless device ``where`` exists on this machine."""
    library = LIBRARIES.get(where.type)
    if library is None:
        known = ", ".join(LIBRARIES)
        raise GlassnetError(f"device '{where}' is not known; glassnet's devices are {known} (use "
                            "device='cpu', or device = 'cuda' if gn.cuda.is_available() else 'cpu')")
    count = library.count()
    if where.type != "cpu" and count == 0:
        library.module()  # a missing package says what to install
        raise GlassnetError(f"device '{where}' is not available: {library.package} finds no device on this "
                            "machine; choose as PyTorch code does: device = 'cuda' if gn.cuda.is_available() "
                            "else 'cpu'")
    if where.index is not None and not 0 <= where.index < max(count, 1):
        raise GlassnetError(f"device '{where}' is not available: this machine has {count} {where.type} "
                            f"device(s), numbered from 0")


def is_on(a: Any, where: device) -> bool:
    """Whether ``a`` lies on device ``where`` (no index: the library's default device)."""
    if isinstance(a, np.ndarray | np.generic):
        return where.type == "cpu"
    library = library_of(a)
    if library.device_type != where.type:
        return False
    return library.index_of(a) == (library.default_index() if where.index is None else where.index)


def to_host(a: Any) -> np.ndarray:
    """``a`` as a NumPy array: itself for a NumPy array, else copied from its device, explicitly."""
    if type(a) is np.ndarray:
        return a
    return library_of(a).to_host(a)


def move(a: Any, where: device) -> Any:
    """``a`` on device ``where``: itself when it lies there, else a copy (through the host when it
    changes library)."""
    if type(a) is np.ndarray and where.type == "cpu":
        return a
    if is_on(a, where):
        return a
    if where.type == "cpu":
        return to_host(a)
    target = LIBRARIES[where.type]
    source = a if isinstance(a, np.ndarray | np.generic) or _package(a) == target.package else to_host(a)
    return target.to_device(source, where.index)


def move_like(a: Any, like: Any) -> Any:
    """``a`` on the device ``like`` lies on (NumPy beside NumPy costs nothing)."""
    if type(like) is np.ndarray and type(a) is np.ndarray:
        return a
    return move(a, device_of(like))


def scatter_add(shape: tuple[int, ...], index: Any, values: Any) -> Any:
    """Zeros of ``shape`` on ``values``'s device, with ``values`` added at ``index`` (an index
    repeated k times adds k values): gather's backward, in each library's own form."""
    return library_of(values).scatter_add(shape, index, values)
