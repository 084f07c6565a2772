"""The analysis library never imports Streamlit; only app.py, app_pages/ and ui/ do."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_analysis_never_imports_streamlit() -> None:
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "analysis").rglob("*.py") if "streamlit" in _imports(p)]
    assert offenders == []


def test_every_python_file_uses_postponed_annotations() -> None:
    missing = [
        str(p.relative_to(ROOT))
        for folder in ("analysis", "ui", "app_pages", "benchmarks", "tests")
        for p in (ROOT / folder).rglob("*.py")
        if not any(part.startswith(".") for part in p.relative_to(ROOT).parts)  # e.g. benchmarks/.peers-venv
        and p.stat().st_size and "from __future__ import annotations" not in p.read_text()
    ]
    assert missing == []
