"""The example notebook runs from top to bottom on the bundled data (nbclient, a real kernel)."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "north_korea_mirror.ipynb"


def test_example_notebook_is_committed_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


def test_example_notebook_runs(tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    # The autouse fixture points XDG_DATA_HOME at a fresh folder: the kernel builds its own default store.
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    html = [o["data"]["text/html"] for o in outputs if "data" in o and "text/html" in o["data"]]
    charts_shown = [h for h in html if h.startswith("<iframe srcdoc=") and "vegaEmbed" in h]
    assert len(charts_shown) >= 4  # three charts and the report, each through the offline renderer
    text = "".join(o.get("text", "") for o in outputs)
    assert "2709" in text and "2014" in text  # the crude gap's reason was printed
