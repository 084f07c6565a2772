"""Every name in ``analysis.__all__`` resolves, and the package import stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest

import analysis


@pytest.mark.parametrize("name", analysis.__all__)
def test_public_name_resolves(name: str) -> None:
    assert getattr(analysis, name) is not None


def test_unknown_name_says_what_exists() -> None:
    with pytest.raises(AttributeError, match="public names: .*funnel"):
        analysis.no_such_function  # noqa: B018


def test_importing_the_package_loads_no_heavy_library() -> None:
    code = "import sys, analysis; print(sorted(m for m in ('sklearn', 'plotly', 'streamlit') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
