"""Start the app: ``python -m ui.serve [Streamlit options]`` is ``streamlit run app.py`` with what every page's
first visit needs made ready before the server takes its first visitor.

Streamlit runs ``app.py`` in this process, in a thread per session; whatever this module imports stays imported, so
no first visit waits for Polars, PyArrow, pandas (``st.dataframe`` converts through it), Plotly (Streamlit sets its
chart theme on the first session), SciPy, scikit-learn or the analysis library. On the bundled sample the prepared
events are read (or prepared and kept, once per version of the library) here too, so a page opened by its address
on a new server is as quick as one reached by a click. Nothing here touches Streamlit's caches or session state
(those need the running server). A dataset given at start (``JOURNEYLENS_DATA``) is read after the server is up,
where the Data page shows its progress: minutes of silence before the address appears would look like a hang.

Examples
--------
``python -m ui.serve --server.port 8502`` (what ``make run`` does, on port 8501).
"""

from __future__ import annotations

import importlib
import os
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
    """Preload and warm up, then hand over to Streamlit's own command line (``streamlit run app.py <argv>``)."""
    preload()
    from ui.data import STARTUP_ENV, warm_up  # noqa: PLC0415 (imports Streamlit; after the libraries above)

    warm_up(with_data=not os.environ.get(STARTUP_ENV, "").strip())
    from streamlit.web import cli  # noqa: PLC0415 (after the preload, as the server would import it)

    sys.argv = ["streamlit", "run", str(APP), *(sys.argv[1:] if argv is None else argv)]
    cli.main()


if __name__ == "__main__":
    main()
