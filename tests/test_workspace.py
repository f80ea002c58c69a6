"""Workspace-wide checks: every package declares what it imports, dependencies point one way."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MEMBERS = sorted([*ROOT.glob("packages/*/pyproject.toml"), *ROOT.glob("apps/*/pyproject.toml")])
# The only allowed direction: a package may depend on those listed before it.
LAYERS = ["gat-schemas", "gat-pf", "gat-dist", "gat-derms", "gat-adms", "gat-cli"]
ALLOWED_INTERNAL = {
    "gat-schemas": set(),
    "gat-pf": {"gat-schemas"},
    "gat-dist": {"gat-schemas", "gat-pf"},
    "gat-derms": {"gat-schemas", "gat-pf", "gat-dist"},
    "gat-adms": {"gat-schemas", "gat-pf", "gat-dist"},
    "gat-cli": set(LAYERS) - {"gat-cli"},
}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared(pyproject: Path) -> set[str]:
    data = tomllib.loads(pyproject.read_text())
    deps = data["project"].get("dependencies", [])
    return {_normalise(re.split(r"[ <>=!~;\[]", d, maxsplit=1)[0]) for d in deps}


def _imported_modules(src: Path) -> set[str]:
    found: set[str] = set()
    for path in src.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("pyproject", MEMBERS, ids=lambda p: p.parent.name)
def test_package_declares_every_import(pyproject: Path) -> None:
    name = _normalise(tomllib.loads(pyproject.read_text())["project"]["name"])
    own = name.replace("-", "_")
    declared = _declared(pyproject) | {name}
    dists = packages_distributions()
    missing = []
    for module in sorted(_imported_modules(pyproject.parent / "src")):
        if module == own or module in sys.stdlib_module_names or module == "__future__":
            continue
        candidates = {_normalise(d) for d in dists.get(module, [module.replace("_", "-")])}
        if not candidates & declared:
            missing.append(f"{module} (from {sorted(candidates)})")
    assert not missing, f"{name} imports undeclared packages: {missing}"


@pytest.mark.parametrize("pyproject", MEMBERS, ids=lambda p: p.parent.name)
def test_internal_dependencies_point_one_way(pyproject: Path) -> None:
    name = _normalise(tomllib.loads(pyproject.read_text())["project"]["name"])
    internal = {d for d in _declared(pyproject) if d.startswith("gat-")}
    assert internal <= ALLOWED_INTERNAL[name], (
        f"{name} depends on {internal - ALLOWED_INTERNAL[name]}"
    )


@pytest.mark.parametrize("pyproject", MEMBERS, ids=lambda p: p.parent.name)
def test_libraries_never_import_click_or_rich(pyproject: Path) -> None:
    name = _normalise(tomllib.loads(pyproject.read_text())["project"]["name"])
    if name == "gat-cli":
        return
    imported = _imported_modules(pyproject.parent / "src")
    assert not imported & {"click", "rich"}, f"{name} imports {imported & {'click', 'rich'}}"


def test_library_packages_have_no_entry_points() -> None:
    for pyproject in MEMBERS:
        data = tomllib.loads(pyproject.read_text())
        if data["project"]["name"] != "gat-cli":
            assert "scripts" not in data["project"], pyproject
