"""pyproject.toml's [project.scripts]: every command names a callable of the package that runs with no argument."""

from __future__ import annotations

import importlib
import inspect
import tomllib
from pathlib import Path

import pytest

SCRIPTS = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())["project"]["scripts"]


def test_there_are_entry_points():
    assert {"tom-eval", "tom-benchmark-eval", "tom-correlate"} <= set(SCRIPTS)


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_entry_point_is_a_callable_taking_no_argument(name):
    module, _, attr = SCRIPTS[name].partition(":")
    main = getattr(importlib.import_module(module), attr)
    params = inspect.signature(main).parameters.values()
    assert callable(main) and all(p.default is not inspect.Parameter.empty for p in params), SCRIPTS[name]
