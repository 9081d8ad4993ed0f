"""The shape rules of docs/architecture.md, checked: small files, small functions, tests mirroring the tree."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "retrieval", "kg", "engine", "ui", "eval", "kgqa")
MAX_FILE_LINES = 700
MAX_FUNCTION_LINES = 80


def _sources() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def test_files_and_functions_stay_small() -> None:
    too_long: list[str] = []
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(ROOT)
        if len(text.splitlines()) > MAX_FILE_LINES:
            too_long.append(f"{rel}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = (node.end_lineno or node.lineno) - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    too_long.append(f"{rel}:{node.lineno} {node.name}() is {n} lines")
    assert not too_long, "split by responsibility:\n" + "\n".join(too_long)


def test_every_package_has_a_test_folder() -> None:
    for pkg in PACKAGES:
        assert (ROOT / "tests" / pkg).is_dir(), f"tests/{pkg} should mirror {pkg}/"
