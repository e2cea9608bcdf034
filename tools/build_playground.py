"""Rebuild the playground's page: ``npm ci`` and ``npm run build`` in web/playground, then SOURCE_HASH.

Vite writes the page into src/glassnet/playground/static/ (index.html and assets/, relative URLs);
the built files are committed, so installing glassnet needs no Node. ``static/SOURCE_HASH`` records
which sources they were built from, and tests/playground/test_page_fresh.py recomputes it (no npm
needed) and fails when a source changed without a rebuild.

    python tools/build_playground.py           # npm ci, npm run build, write SOURCE_HASH
    python tools/build_playground.py --check   # only compare SOURCE_HASH with the sources
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web" / "playground"
STATIC = ROOT / "src" / "glassnet" / "playground" / "static"
SKIPPED = {"node_modules", "dist"}  # installed packages and stray build output are not sources


def source_files(web: Path = WEB) -> list[Path]:
    """The page's sources: every file under web/playground but node_modules/ and dist/, sorted by path."""
    return sorted((p for p in web.rglob("*") if p.is_file() and not SKIPPED & set(p.relative_to(web).parts)),
                  key=lambda p: p.relative_to(web).as_posix())


def source_hash(web: Path = WEB) -> str:
    """sha256 over each source file's relative path (POSIX), a NUL, its size, a NUL and its bytes,
    in path order."""
    digest = hashlib.sha256()
    for path in source_files(web):
        data = path.read_bytes()
        digest.update(f"{path.relative_to(web).as_posix()}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def build() -> None:
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("build_playground: npm is not on PATH; install Node.js 20 or newer")
    for command in ([npm, "ci", "--no-audit", "--no-fund"], [npm, "run", "build"]):
        subprocess.run(command, cwd=WEB, check=True)
    (STATIC / "SOURCE_HASH").write_text(source_hash() + "\n", encoding="ascii")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the built page is fresh")
    args = parser.parse_args(argv)
    if args.check:
        recorded = (STATIC / "SOURCE_HASH").read_text(encoding="ascii").strip()
        fresh = recorded == source_hash()
        print("the built page is fresh" if fresh else
              "the built page is stale: run python tools/build_playground.py")
        return 0 if fresh else 1
    build()
    print(f"built {STATIC.relative_to(ROOT)} (SOURCE_HASH {source_hash()[:12]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
