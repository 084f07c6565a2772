"""Import layering: the analysis library never imports Streamlit (only app.py, app_pages/ and ui/ do), and what
is private stays in its package: nothing outside ``analysis/ingest`` imports an ``analysis.ingest._*`` module, and
no module imports another package's ``_private`` module or name. A test file counts as part of the package it
mirrors (``tests/analysis/funnels/`` is ``analysis.funnels``), so white-box tests of internals stay beside them."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CODE = ("analysis", "ui", "app_pages", "benchmarks", "tests")
#: Tests that reach into a private module on purpose, and why.
FAULT_INJECTION = {
    ("tests/app/test_data_page.py", "analysis.ingest._files"): "makes a reader panic to check the page survives it",
}


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


def _python_files() -> Iterator[Path]:
    yield ROOT / "app.py"
    for folder in CODE:
        for path in (ROOT / folder).rglob("*.py"):
            if not any(part.startswith(".") for part in path.relative_to(ROOT).parts):  # benchmarks/.peers-venv
                yield path


def _package(path: Path, root: Path) -> str:
    """The dotted package a file belongs to; a test file belongs to the package it mirrors."""
    parts = list(path.relative_to(root).parts[:-1])
    if parts[:2] == ["tests", "analysis"]:
        parts = parts[1:]
    return ".".join(parts)


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _owner_of_private_module(module: str) -> str | None:
    """``analysis.ingest._load.x`` is owned by ``analysis.ingest``; None when no part of the path is private."""
    parts = module.split(".")
    for i, part in enumerate(parts):
        if _is_private(part):
            return ".".join(parts[:i])
    return None


def _owner_of_module_names(module: str, root: Path) -> str:
    """The package whose members may use ``module``'s private names: the module's own package."""
    return module if (root / module.replace(".", "/")).is_dir() else module.rpartition(".")[0]


def private_imports(path: Path, root: Path = ROOT) -> list[tuple[str, str]]:
    """``(imported module, what)`` for every private module or name ``path`` imports from outside its package."""
    package = _package(path, root)
    sibling = {p.stem for p in path.parent.glob("_*.py")}  # a script's own helpers, imported by plain name

    def inside(owner: str) -> bool:
        return package == owner or package.startswith(owner + ".")

    found: list[tuple[str, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            pairs = [(alias.name, "") for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            pairs = [(node.module, alias.name) for alias in node.names]
        else:
            continue
        for imported, name in pairs:
            # a test helper (tests/analysis/_events.py) belongs to the package it mirrors, as the tests do
            module = imported.removeprefix("tests.") if imported.startswith("tests.analysis") else imported
            owner = _owner_of_private_module(module)
            if owner is not None and not inside(owner) and module not in sibling:
                found.append((module, name or "(module)"))
            elif _is_private(name) and not inside(_owner_of_module_names(module, root)):
                found.append((f"{module}.{name}", name))
    return found


def test_nothing_outside_ingest_imports_an_ingest_internal() -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in _python_files()
        for module, _ in private_imports(path)
        if module.startswith("analysis.ingest._") and (str(path.relative_to(ROOT)), module) not in FAULT_INJECTION
    ]
    assert offenders == []


def test_no_module_imports_another_packages_private_names() -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in _python_files()
        for module, _ in private_imports(path)
        if (str(path.relative_to(ROOT)), module) not in FAULT_INJECTION
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("relative", "source", "expected"),
    [
        ("ui/data.py", "from analysis.ingest._load import read_raw\n", [("analysis.ingest._load", "read_raw")]),
        ("ui/data.py", "from analysis.ingest import _load\n", [("analysis.ingest._load", "_load")]),
        ("ui/data.py", "import analysis.ingest._sniff\n", [("analysis.ingest._sniff", "(module)")]),
        ("analysis/funnels/dropoff.py", "from analysis.funnels._match import person_expr\n", []),
        ("analysis/attribution/paths.py", "from analysis.funnels._match import person_expr\n",
         [("analysis.funnels._match", "person_expr")]),
        ("analysis/attribution/paths.py", "from analysis.funnels.spec import _labels\n",
         [("analysis.funnels.spec._labels", "_labels")]),
        ("analysis/ingest/_vendors/ga4.py", "from analysis.ingest._parse import plan_timestamp\n", []),
        ("tests/analysis/ingest/test_x.py", "from analysis.ingest._sniff import magic\n", []),
        ("tests/app/test_x.py", "from analysis.ingest._sniff import magic\n", [("analysis.ingest._sniff", "magic")]),
        ("tests/analysis/funnels/test_x.py", "from tests.analysis._events import events\n", []),
        ("ui/data.py", "from tests.analysis._events import events\n", [("analysis._events", "events")]),
    ],
)
def test_the_private_import_check_tells_inside_from_outside(
    tmp_path: Path, relative: str, source: str, expected: list[tuple[str, str]]
) -> None:
    for package in ("analysis/funnels", "analysis/ingest/_vendors"):
        (tmp_path / package).mkdir(parents=True, exist_ok=True)
    path = tmp_path / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source)
    assert private_imports(path, tmp_path) == expected


#: What the first view of the Data page must not wait for: SciPy, scikit-learn and the attribution models are
#: imported by the warm-up (ui.data.warm_up: before the server takes visitors under ui.serve, else after that view is
#: drawn), never by the view itself.
HEAVY_FOR_LATER = ("scipy", "sklearn", "analysis.attribution", "analysis.personas")


def test_the_data_page_imports_neither_scipy_nor_scikit_learn() -> None:
    code = ("import sys, analysis, ui.data, ui.sidebar, ui.links, ui.share, ui.ingest, ui.load_report, ui.people, "
            "ui.conversions, ui.tables, analysis.export; "
            f"print(','.join(m for m in {HEAVY_FOR_LATER!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
