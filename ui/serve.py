"""Start the app: ``python -m ui.serve [Streamlit options]`` is ``streamlit run app.py`` with the libraries every
first page needs imported before the server takes its first visitor.

Streamlit runs ``app.py`` in this process, in a thread per session; whatever this module imports stays imported, so
the first visitor's Data page does not wait for Polars, PyArrow, pandas (``st.dataframe`` converts through it),
Plotly (Streamlit sets its chart theme on the first session) and the analysis library. Nothing here touches
Streamlit's caches or session state (those need the running server): the rest of the warm-up (SciPy,
scikit-learn, the prepared sample) stays in :func:`ui.data.start_warm_up`, after the first page is drawn.

Examples
--------
``python -m ui.serve --server.port 8502`` (what ``make run`` does, on port 8501).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app.py"
#: Imported before the server starts: what the first view of any page needs (about 2 s of imports on this machine).
PRELOAD = ("numpy", "pyarrow", "polars", "pandas", "plotly.graph_objects", "analysis", "analysis.ingest",
           "analysis.conversions", "analysis.summary", "analysis.formatting")


def preload() -> None:
    """Import :data:`PRELOAD` (each a library with no Streamlit state)."""
    for name in PRELOAD:
        importlib.import_module(name)


def main(argv: Sequence[str] | None = None) -> None:
    """Preload, then hand over to Streamlit's own command line (``streamlit run app.py <argv>``)."""
    preload()
    from streamlit.web import cli  # noqa: PLC0415 (after the preload, as the server would import it)

    sys.argv = ["streamlit", "run", str(APP), *(sys.argv[1:] if argv is None else argv)]
    cli.main()


if __name__ == "__main__":
    main()
