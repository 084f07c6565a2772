"""Every name in ``analysis.__all__`` resolves, and the package import stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest

import analysis


@pytest.mark.parametrize("name", analysis.__all__)
def test_public_name_resolves(name: str) -> None:
    assert getattr(analysis, name) is not None


def test_all_lists_exactly_the_lazily_loaded_names() -> None:
    assert sorted(analysis.__all__) == sorted(analysis._PUBLIC)


def test_unknown_name_says_what_exists() -> None:
    with pytest.raises(AttributeError, match=r"public names: .*funnel"):
        analysis.no_such_function  # noqa: B018


def test_importing_the_package_loads_no_heavy_library() -> None:
    code = "import sys, analysis; print(sorted(m for m in ('sklearn', 'plotly', 'streamlit') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("name", ["prepare", "journeys"])
def test_function_named_like_its_module_stays_the_function_after_the_module_is_imported(name: str) -> None:
    code = (f"import importlib, analysis; importlib.import_module('analysis.{name}'); "
            f"from analysis import {name}; print(callable({name}) and not hasattr({name}, '__path__') "
            f"and type({name}).__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "function"
