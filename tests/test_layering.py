"""The package's layers import only downward, as docs/architecture.md draws them: engine → nn →
losses/optim/utils.data → train → io → sklearn/explain → report/cli; and no private name crosses a package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "glassnet"

# docs/architecture.md, "The layers": lower number = lower layer. A module may import modules of its own
# layer or lower ones; the longest prefix that names a module gives its layer.
LAYERS: dict[str, int] = {
    "glassnet.errors": 0,
    "glassnet.registry": 0,
    "glassnet.notation": 0,
    "glassnet.engine": 1,
    "glassnet.io.atomic": 1,
    "glassnet.io.safetensors": 1,
    "glassnet.io.state": 1,
    "glassnet.io.onnx": 1,  # the wire format and graphs (proto, graph): NumPy only
    "glassnet.io.onnx.forms": 2,
    "glassnet.io.onnx.templates": 2,
    "glassnet.io.onnx.load": 2,
    "glassnet.io.onnx.network": 5,
    "glassnet.io.onnx.export": 6,
    "glassnet.nn": 2,
    "glassnet.data": 2,
    "glassnet.io.tables": 2,
    "glassnet.io.idx": 2,
    "glassnet.metrics": 2,
    "glassnet.nn.losses": 3,
    "glassnet.nn.custom_losses": 3,
    "glassnet.nn._loss_functional": 3,
    "glassnet.nn._loss_checks": 3,
    "glassnet.regularizers": 3,
    "glassnet.optim": 3,
    "glassnet.utils": 3,
    "glassnet.train": 4,
    "glassnet.search": 4,
    "glassnet.io.model": 5,
    "glassnet.io.architecture": 5,
    "glassnet.sklearn": 6,
    "glassnet.io.estimator": 6,
    "glassnet.explain": 6,
    "glassnet.distributed": 6,
    "glassnet.report": 7,
    "glassnet.cli": 7,
    "glassnet.playground": 7,
    "glassnet.__main__": 7,
}
# Facades only re-export public names for users; they sit above everything they re-export.
FACADES = {"glassnet", "glassnet.nn", "glassnet.nn.functional", "glassnet.io", "glassnet.metrics",
           "glassnet.onnx", "glassnet.regularizers", "glassnet.utils", "glassnet.utils.data"}


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


def _package(module: str) -> str:
    """The package a module belongs to: glassnet.nn for glassnet.nn.layers, glassnet for glassnet.errors."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 or (SRC / parts[-1]).is_dir() else "glassnet"


def private_imports(path: Path, module: str) -> list[str]:
    """Underscore names (or modules) this file imports from another glassnet package."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith("glassnet"):
            continue
        source = node.module or ""
        if _package(source) == _package(module):
            continue
        private_module = any(part.startswith("_") for part in source.split("."))
        names = [a.name for a in node.names if a.name.startswith("_")]
        if private_module or names:
            found.append(f"{module} imports {', '.join(names) or '*'} from {source}")
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_private_name_crosses_a_package(path: Path) -> None:
    assert private_imports(path, module_name(path)) == []


def test_a_private_import_across_packages_is_caught(tmp_path: Path) -> None:
    bad = tmp_path / "loop.py"
    bad.write_text("from glassnet.engine.loss_ops import _spread\n"
                   "from glassnet.nn._loss_checks import as_input\n"
                   "from glassnet.train.steps import _sum\n")
    assert len(private_imports(bad, "glassnet.train.loop")) == 2
