"""examples/what-if.ipynb runs top to bottom, offline, without a cell error."""

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_what_if_notebook_runs_top_to_bottom(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(EXAMPLES / "what-if.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(EXAMPLES)}}
    )
    client.execute()  # raises CellExecutionError, with the traceback, if any cell fails
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    glyphs = [o.text for o in outputs if o.output_type == "stream" and "Glyph" in o.text]
    assert not glyphs, glyphs[0]  # the chart by area draws its Chinese names, not boxes
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 4  # the charts were drawn
    assert any("municipal incubator 800k" in o.get("data", {}).get("text/html", "") for o in outputs)
