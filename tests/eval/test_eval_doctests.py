"""The examples in the docstrings of eval/ hold."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import eval as eval_pkg

MODULES = sorted(m.name for m in pkgutil.iter_modules(eval_pkg.__path__) if m.name != "plots")


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(f"eval.{name}"), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
