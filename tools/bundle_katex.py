"""Rebuild src/glassnet/explain/assets/ from KaTeX's npm package, for math typeset offline.

The HTML walkthrough (glassnet.explain.html) inlines these files into one self-contained page, so
the CSS gets every font as a single woff2 ``data:`` URI (woff and ttf dropped: every browser that
runs KaTeX reads woff2) and nothing is ever fetched.

    python tools/bundle_katex.py                      # npm pack katex@VERSION, then bundle
    python tools/bundle_katex.py --tgz katex-0.16.47.tgz  # bundle a tarball already downloaded
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
import subprocess
import tarfile
import tempfile
from pathlib import Path

VERSION = "0.16.47"
ASSETS = Path(__file__).resolve().parent.parent / "src" / "glassnet" / "explain" / "assets"
# src:url(fonts/X.woff2) format("woff2"),url(fonts/X.woff) format("woff"),url(...) format("truetype")
_FONT_SRC = re.compile(r'src:url\(fonts/(?P<name>[\w-]+)\.woff2\) format\("woff2"\)'
                       r'(?:,url\([^)]*\) format\("\w+"\))*')


def npm_pack(version: str, folder: Path) -> Path:
    """Download katex@version from the npm registry with ``npm pack`` (npm checks its integrity)."""
    subprocess.run(["npm", "pack", f"katex@{version}"], cwd=folder, check=True, capture_output=True)
    return folder / f"katex-{version}.tgz"


def inline_fonts(css: str, fonts: dict[str, bytes]) -> str:
    """Each @font-face ``src`` list replaced by its woff2 font as one base64 ``data:`` URI."""

    def data_uri(match: re.Match[str]) -> str:
        font = base64.b64encode(fonts[match["name"]]).decode("ascii")
        return f'src:url(data:font/woff2;base64,{font}) format("woff2")'

    css, count = _FONT_SRC.subn(data_uri, css)
    if count != css.count("@font-face") or "url(fonts/" in css:
        raise SystemExit(f"katex.min.css changed shape: {count} font src lists rewritten of "
                         f"{css.count('@font-face')} @font-face rules; update _FONT_SRC")
    return css


def bundle(tgz: Path) -> None:
    """Write katex.min.js, katex.min.css (fonts inlined), LICENSE and README into ASSETS."""
    with tarfile.open(tgz) as tar:
        def read(name: str) -> bytes:
            member = tar.extractfile(f"package/{name}")
            assert member is not None, name
            return member.read()

        version = json.loads(read("package.json"))["version"]
        names = [m.name for m in tar.getmembers() if m.name.startswith("package/dist/fonts/")]
        fonts = {Path(n).stem: read(n.removeprefix("package/")) for n in names if n.endswith(".woff2")}
        js, css = read("dist/katex.min.js").decode("utf-8"), read("dist/katex.min.css").decode("utf-8")
        license_text = read("LICENSE")
    for text, closer in ((js, "</script"), (css, "</style")):
        if closer in text.lower():  # the page inlines them in <script> and <style>
            raise SystemExit(f"a KaTeX file contains {closer!r}; it cannot be inlined as is")
    ASSETS.mkdir(parents=True, exist_ok=True)
    (ASSETS / "katex.min.js").write_text(js, encoding="utf-8")
    (ASSETS / "katex.min.css").write_text(inline_fonts(css, fonts), encoding="utf-8")
    (ASSETS / "LICENSE").write_bytes(license_text)
    sha256 = hashlib.sha256(tgz.read_bytes()).hexdigest()
    (ASSETS / "README").write_text(
        f"KaTeX {version} (https://katex.org, MIT license: see LICENSE), from the npm package\n"
        f"katex-{version}.tgz (sha256 {sha256}).\n\n"
        "katex.min.js    dist/katex.min.js, unchanged\n"
        f"katex.min.css   dist/katex.min.css with its {len(fonts)} woff2 fonts inlined as base64 data: URIs\n"
        "                (woff and ttf dropped), so a page that inlines it fetches nothing\n\n"
        "Rebuilt by tools/bundle_katex.py (python tools/bundle_katex.py [--tgz FILE]); do not edit by hand.\n"
        "Read by glassnet.explain.html, which inlines both into the HTML walkthrough.\n",
        encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tgz", type=Path, help="a katex-*.tgz from `npm pack katex@...` (default: run it)")
    parser.add_argument("--version", default=VERSION, help=f"KaTeX version to npm pack (default {VERSION})")
    args = parser.parse_args()
    if args.tgz is not None:
        bundle(args.tgz)
        return
    with tempfile.TemporaryDirectory() as folder:
        bundle(npm_pack(args.version, Path(folder)))


if __name__ == "__main__":
    main()
