"""The package's layers import only downward (STYLE.md): engine → nn → losses/optim/... → ..."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "glassnet"

# Lower number = lower layer. A module may import modules of its own layer or lower ones.
LAYERS: dict[str, int] = {
    "glassnet.errors": 0,
    "glassnet.formula": 0,
    "glassnet.files": 0,
    "glassnet.names": 0,
    "glassnet.engine": 0,
    "glassnet.nn": 1,
    "glassnet.nn.losses": 2,
    "glassnet.nn.custom_losses": 2,
    "glassnet.nn._loss_functional": 2,
    "glassnet.nn._loss_checks": 2,
    "glassnet.regularizers": 2,
    "glassnet.constraints": 2,
    "glassnet.optim": 2,
    "glassnet.data": 2,
    "glassnet.train": 3,
    "glassnet.checks": 3,
    "glassnet.metrics": 3,
    "glassnet._metrics_checks": 3,
    "glassnet.io": 4,
    "glassnet.sklearn": 5,
    "glassnet.explain": 5,
    "glassnet.report": 6,
    "glassnet.cli": 6,
    "glassnet.__main__": 6,
}
# Facades only re-export public names for users; they sit above everything they re-export.
FACADES = {"glassnet", "glassnet.nn", "glassnet.nn.functional"}


def layer_of(module: str) -> int:
    """The layer of the longest LAYERS prefix that names this module or a package holding it."""
    matches = [p for p in LAYERS if module == p or module.startswith(p + ".") or module.startswith(p + "_")]
    if not matches:
        raise AssertionError(f"{module} has no layer: add it to LAYERS in {__file__}")
    return LAYERS[max(matches, key=len)]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, module: str) -> list[str]:
    """Every glassnet module the file imports (relative imports resolved)."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found += [f"{base}.{a.name}" if _is_submodule(f"{base}.{a.name}") else base
                      for a in node.names]
    return [m for m in found if m == "glassnet" or m.startswith("glassnet.")]


def _is_submodule(name: str) -> bool:
    relative = Path(*name.split(".")[1:])
    return (SRC / relative).is_dir() or (SRC / relative).with_suffix(".py").exists()


SOURCES = sorted(SRC.rglob("*.py"))


def violations(path: Path, module: str) -> list[str]:
    """What is wrong with the imports of one source file (empty when they all point down)."""
    if module in FACADES:
        return []
    own, found = layer_of(module), []
    for target in imported_modules(path, module):
        if target in FACADES:
            found.append(f"{module} imports the facade {target}; import the defining module instead")
        elif layer_of(target) > own:
            found.append(f"{module} (layer {own}) imports {target} (layer {layer_of(target)}): "
                         "imports must point down engine → nn → losses/optim → train → io → ...")
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(SRC)))
def test_imports_point_down(path: Path) -> None:
    assert violations(path, module_name(path)) == []


def test_an_upward_import_is_caught(tmp_path: Path) -> None:
    bad = tmp_path / "ops.py"
    bad.write_text("from glassnet.optim import SGD\nfrom ..nn.layers import Linear\nimport glassnet\n")
    found = violations(bad, "glassnet.engine.ops")
    assert len(found) == 3, found
    assert "glassnet.optim" in found[0] and "glassnet.nn.layers" in found[1] and "facade" in found[2]


def test_package_never_imports_torch() -> None:
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.split(".")[0] == "torch" for n in names), f"{path} imports torch"
