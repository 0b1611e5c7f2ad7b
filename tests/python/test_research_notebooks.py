"""The notebooks in notebooks/ run from the first cell to the last without an error, in a
kernel of this interpreter (the venv's python: see notebooks/run_notebooks.py)."""
import importlib.util
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("run_notebooks", REPO / "notebooks" / "run_notebooks.py")
run_notebooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_notebooks)

NOTEBOOKS = run_notebooks.notebooks()

pytest.importorskip("nbclient", reason="python3-nbclient (scripts/bootstrap.sh installs it)")
pytest.importorskip("ipykernel", reason="python3-ipykernel (scripts/bootstrap.sh installs it)")


def test_the_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == ["01_quickstart.ipynb", "02_why_not_delivered.ipynb", "03_custom_policy.ipynb",
                                           "04_filter_strategies.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path):
    import nbformat

    committed = nbformat.read(path, as_version=4)
    code = [c for c in committed.cells if c.cell_type == "code"]
    assert code and all(c.outputs for c in code), "commit the notebook executed (run_notebooks.py --save)"
    assert any("image/png" in o.get("data", {}) for c in code for o in c.outputs), "its plots are in it"
    seconds = run_notebooks.execute(path, save=False, timeout=120)  # raises on the first failing cell
    assert seconds < 60
