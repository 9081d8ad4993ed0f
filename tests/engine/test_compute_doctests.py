"""The examples in the docstrings of engine/compute/ hold (word formulas, quantities, plans, formatting)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import engine.compute as compute_pkg

MODULES = sorted(m.name for m in pkgutil.iter_modules(compute_pkg.__path__))


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(f"engine.compute.{name}"), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
