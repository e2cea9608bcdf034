"""The built page in src/glassnet/playground/static/ is the build of web/playground's sources.

No npm here: the sources' hash is recomputed with tools/build_playground.py's own function and
compared with the SOURCE_HASH the build wrote; then the built index.html is checked to load only
files that exist beside it, by relative URLs, and nothing from the network."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "src" / "glassnet" / "playground" / "static"


def build_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_playground", ROOT / "tools" / "build_playground.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_built_page_matches_its_sources() -> None:
    tool = build_tool()
    names = [p.relative_to(tool.WEB).as_posix() for p in tool.source_files()]
    expected = {"package.json", "package-lock.json", "index.html", "vite.config.ts", "src/main.ts"}
    assert expected <= set(names), names
    assert not any(n.startswith("node_modules/") for n in names)
    recorded = (STATIC / "SOURCE_HASH").read_text(encoding="ascii").strip()
    assert recorded == tool.source_hash(), (
        "src/glassnet/playground/static was built from other sources than web/playground holds now; "
        "run `python tools/build_playground.py` and commit the result")


def test_the_source_hash_sees_every_byte_and_name(tmp_path: Path) -> None:
    tool = build_tool()
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.ts").write_text("export const a = 1;\n")
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "x.js").write_text("ignored")
    first = tool.source_hash(tmp_path)
    (tmp_path / "node_modules" / "x.js").write_text("still ignored")
    assert tool.source_hash(tmp_path) == first
    (tmp_path / "src" / "a.ts").write_text("export const a = 2;\n")
    assert tool.source_hash(tmp_path) != first
    (tmp_path / "src" / "a.ts").write_text("export const a = 1;\n")
    assert tool.source_hash(tmp_path) == first
    (tmp_path / "src" / "a.ts").rename(tmp_path / "src" / "b.ts")
    assert tool.source_hash(tmp_path) != first


def test_the_built_index_loads_only_its_own_files_by_relative_urls() -> None:
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    scripts = [u for u in urls if u.endswith(".js")]
    assert scripts, html
    for url in urls:
        if url.startswith("data:"):
            continue
        assert not re.match(r"^[a-z]+:|^//|^/", url), f"{url} is not relative to the page"
        assert (STATIC / url).is_file(), f"index.html loads {url}, which the build did not write"
    built = "".join(p.read_text(encoding="utf-8") for p in (STATIC / "assets").iterdir()
                    if p.suffix in (".js", ".css"))
    assert not re.search(r"https?://(?!www\.w3\.org/)", built), "the page must fetch nothing from the network"
    assert "katex/katex.min.js" in built  # KaTeX comes from the server (glassnet/explain/assets)
