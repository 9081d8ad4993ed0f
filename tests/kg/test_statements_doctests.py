"""The examples in the docstrings of kg/statements/ hold (periods, line items, tables, companies)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import kg.statements as statements_pkg

MODULES = sorted(m.name for m in pkgutil.iter_modules(statements_pkg.__path__))


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(f"kg.statements.{name}"), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
