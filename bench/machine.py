"""The machine: CPU, caches, BLAS; background load during a measurement; RSS; the GEMM ceiling."""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def cpu_flags() -> str:
    """The widest vector extensions the CPU reports (what the BLAS kernels can use)."""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            return " ".join(f for f in ("avx2", "fma", "avx512f", "avx512_vnni", "amx_tile") if f in flags)
    return "unknown"


def caches() -> str:
    """Cache levels of CPU 0 from sysfs, e.g. 'L1d 32K, L1i 32K, L2 1024K, L3 33792K (shared)'."""
    parts = []
    for index in sorted(Path("/sys/devices/system/cpu/cpu0/cache").glob("index*")):
        def read(name: str, where: Path = index) -> str:
            return (where / name).read_text().strip()

        kind = {"Data": "d", "Instruction": "i"}.get(read("type"), "")
        parts.append(f"L{read('level')}{kind} {read('size')}")
    return ", ".join(parts) or "unknown"


def versions() -> dict[str, str]:
    """Versions of Python and of every library imported in this process."""
    found = {"Python": platform.python_version()}
    for name in ("numpy", "torch", "sklearn", "glassnet", "numba", "threadpoolctl"):
        module = sys.modules.get(name)
        if module is not None:
            found[name] = str(getattr(module, "__version__", "?"))
    return found


def blas_info() -> list[dict[str, Any]]:
    """threadpoolctl's view of the loaded BLAS/OpenMP libraries (file names, not full paths)."""
    from threadpoolctl import threadpool_info

    keep = ("user_api", "internal_api", "version", "architecture", "num_threads", "threading_layer")
    return [{**{k: lib.get(k) for k in keep}, "file": Path(lib["filepath"]).name}
            for lib in threadpool_info()]


def source_fingerprint(root: Path) -> str:
    """sha256 (12 hex digits) of every .py file under root: which glassnet source was measured."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def describe() -> dict[str, Any]:
    """Everything the results' machine table shows, from inside a worker (so with its environment),
    and where the glassnet it imported came from (its package folder and source fingerprint)."""
    found = {
        "cpu": cpu_model(), "cores": os.cpu_count(), "flags": cpu_flags(), "caches": caches(),
        "blas": blas_info(), "versions": versions(),
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
        "keeps_freed_memory": keeps_freed_memory(),
    }
    glassnet = sys.modules.get("glassnet")
    if glassnet is not None and glassnet.__file__ is not None:
        package = Path(glassnet.__file__).resolve().parent
        found["glassnet_package"] = str(package)
        found["glassnet_source"] = source_fingerprint(package)
    return found


# ------------------------------------------------------------------- background load
def _busy_seconds() -> float:
    """CPU seconds all processes have used since boot (user, nice, system, irq, softirq, steal)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


def _own_seconds() -> float:
    t = os.times()
    return t.user + t.system  # all threads of this process (BLAS and OpenMP pools included)


class Meter:
    """Wall time of a block and the CPU others used meanwhile: (busy − ours) / wall, in cores."""

    def __enter__(self) -> Meter:
        self.loadavg = os.getloadavg()[0]
        self._busy, self._own = _busy_seconds(), _own_seconds()
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start
        others = (_busy_seconds() - self._busy) - (_own_seconds() - self._own)
        self.other_cores = max(0.0, others / self.seconds) if self.seconds > 0 else 0.0

    def record(self) -> dict[str, float]:
        return {"seconds": self.seconds, "other_cores": self.other_cores, "loadavg": self.loadavg}


# ------------------------------------------------------------------- memory
class _Mallinfo2(ctypes.Structure):
    """glibc's ``struct mallinfo2`` (malloc.h): ``hblks`` counts the blocks served by mmap."""

    _names = ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
              "keepcost")
    _fields_ = [(name, ctypes.c_size_t) for name in _names]


def keeps_freed_memory() -> bool | None:
    """Whether glibc's allocator serves a 48 MiB block from its heap (kept when freed: the setting
    of ``glassnet.engine.memory.keep_freed_memory``) rather than from a fresh mmap (its default,
    whose threshold never rises above 32 MiB on its own); None where that cannot be seen.

    The block is never touched, so it costs no memory.
    """
    try:
        mallinfo2 = ctypes.CDLL("libc.so.6").mallinfo2  # glibc 2.33 and later
    except (OSError, AttributeError):
        return None
    mallinfo2.restype = _Mallinfo2
    before = mallinfo2().hblks  # blocks served by mmap
    block = np.empty(48 * 2**20, np.uint8)
    mapped = mallinfo2().hblks - before
    del block
    return mapped == 0


def rss_mib() -> dict[str, float]:
    """Current (VmRSS) and peak (VmHWM) resident set size of this process, in MiB."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) / 1024
    return {"rss": found["VmRSS"], "peak": found["VmHWM"]}


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux: write 5 to /proc/self/clear_refs); False if refused."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


# ------------------------------------------------------------------- GEMM ceiling
def gemm_gflops(matmul: Callable[[Any, Any], Any], make: Callable[[np.ndarray], Any],
                n: int = 2048, repeats: int = 5) -> dict[str, float]:
    """float32 (n×n)·(n×n) GFLOP/s: the best and the median of `repeats` timed products."""
    rng = np.random.default_rng(0)
    A = make(rng.standard_normal((n, n), dtype=np.float32))
    B = make(rng.standard_normal((n, n), dtype=np.float32))
    matmul(A, B)  # warm-up: thread pool, page faults
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        matmul(A, B)
        times.append(time.perf_counter() - start)
    flops = 2.0 * n**3
    return {"best": flops / min(times) / 1e9, "median": flops / float(np.median(times)) / 1e9, "n": n}
