"""The package layers of docs/architecture.md, checked on the source (AST), so the picture cannot drift.

Run by ``make lint``. Every ``import`` counts, also those inside functions, relative ones included.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from muni_core.paths import REPO_ROOT

OURS = ("muni", "muni_core", "muni_rasa", "actions", "voice_gateway", "bench", "tests")
"""This project's top-level packages."""

ALLOWED: dict[str, frozenset[str]] = {
    "muni_core": frozenset({"muni_core"}),
    "actions": frozenset({"actions", "muni_core"}),
    "muni_rasa": frozenset({"muni_rasa", "muni_core"}),
    "voice_gateway": frozenset({"voice_gateway", "muni_core"}),
    "muni": frozenset({"muni", "muni_core", "voice_gateway", "bench"}),
}
"""Which of our packages each product package may import. Only tests and benchmarks import ``muni``."""

PRODUCT_PACKAGES = tuple(ALLOWED)
MAX_MODULE_LINES = 700


def python_files(package: str) -> Iterator[Path]:
    """Every Python file of a top-level package of the checkout."""
    yield from sorted((REPO_ROOT / package).rglob("*.py"))


def module_name(path: Path) -> str:
    """Dotted module name of a file in the checkout (``voice_gateway/channels/twilio.py`` → ``voice_gateway.channels.twilio``)."""
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import in a file, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                if node.module:
                    yield node.lineno, ".".join([*base, node.module])
                else:
                    for alias in node.names:
                        yield node.lineno, ".".join([*base, alias.name])
            elif node.module:
                yield node.lineno, node.module


def violations(package: str) -> list[str]:
    """Imports in ``package`` of our packages that its layer may not use."""
    found = []
    for path in python_files(package):
        for line, name in imported_modules(path):
            top = name.split(".")[0]
            if top in OURS and top not in ALLOWED[package]:
                found.append(f"{path.relative_to(REPO_ROOT)}:{line} imports {name}")
    return found


@pytest.mark.parametrize("package", PRODUCT_PACKAGES)
def test_package_imports_only_its_allowed_layers(package: str) -> None:
    assert (REPO_ROOT / package).is_dir(), f"{package}/ is missing"
    assert violations(package) == []


def test_the_rules_see_relative_and_nested_imports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "muni_core"
    (fake / "sub").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "sub" / "__init__.py").write_text("from ... import muni\n")
    (fake / "sub" / "mod.py").write_text("def f():\n    from voice_gateway import app\n    import muni.cli\n")
    monkeypatch.setattr(f"{__name__}.REPO_ROOT", tmp_path)
    assert sorted(violations("muni_core")) == [
        "muni_core/sub/__init__.py:1 imports muni",
        "muni_core/sub/mod.py:2 imports voice_gateway",
        "muni_core/sub/mod.py:3 imports muni.cli",
    ]


@pytest.mark.parametrize("package", PRODUCT_PACKAGES)
def test_no_product_module_is_over_700_lines(package: str) -> None:
    long = {
        str(path.relative_to(REPO_ROOT)): lines
        for path in python_files(package)
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_the_repository_root_is_defined_once() -> None:
    definitions = [
        f"{path.relative_to(REPO_ROOT)}:{node.lineno}"
        for package in (*PRODUCT_PACKAGES, "bench", "tests")
        for path in python_files(package)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name) and target.id == "REPO_ROOT"
    ]
    assert definitions == ["muni_core/paths.py:7"]
