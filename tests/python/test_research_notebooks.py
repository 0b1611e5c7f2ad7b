"""The notebooks in notebooks/ run from the first cell to the last without an error, with the
``python3`` kernel that the venv's Jupyter finds (the venv's own kernelspec, installed by
``make venv`` with --sys-prefix), exactly as a user's tools run them."""
import importlib.util
import os
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("run_notebooks", REPO / "notebooks" / "run_notebooks.py")
run_notebooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_notebooks)

NOTEBOOKS = run_notebooks.notebooks()

pytest.importorskip("nbclient", reason="python3-nbclient (scripts/bootstrap.sh installs it)")
pytest.importorskip("ipykernel", reason="python3-ipykernel (scripts/bootstrap.sh installs it)")
in_venv = pytest.mark.skipif(sys.prefix == sys.base_prefix, reason="run from the venv (make check / make test)")


def test_the_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == ["01_quickstart.ipynb", "02_why_not_delivered.ipynb", "03_custom_policy.ipynb",
                                           "04_filter_strategies.ipynb", "05_who_is_responsible.ipynb"]


@in_venv
def test_the_python3_kernel_is_the_venv():
    # What Jupyter started by this interpreter resolves "python3" to: the venv's spec, whose
    # interpreter imports delivsim (Debian's spec would run /usr/bin/python3, which cannot).
    python = run_notebooks.kernel_python("python3")
    assert os.path.abspath(python) == os.path.abspath(sys.executable)
    assert pathlib.Path(sys.prefix, "share", "jupyter", "kernels", "python3", "kernel.json").is_file()
    out = subprocess.run([python, "-c", "import delivsim; print(delivsim.__file__)"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr  # the kernel's interpreter has delivsim


@in_venv
@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path):
    import nbformat

    committed = nbformat.read(path, as_version=4)
    code = [c for c in committed.cells if c.cell_type == "code"]
    assert committed.metadata["kernelspec"]["name"] == "python3"
    assert code and all(c.outputs for c in code), "commit the notebook executed (run_notebooks.py --save)"
    assert any("image/png" in o.get("data", {}) for c in code for o in c.outputs), "its plots are in it"
    seconds = run_notebooks.execute(path, save=False, timeout=180)  # raises on the first failing cell
    assert seconds < 120


@in_venv
@pytest.mark.slow
def test_nbconvert_executes_a_notebook_with_the_venv_kernel(tmp_path):
    # The README's command, as a user runs it: nbconvert by the venv's python, kernel python3.
    pytest.importorskip("nbconvert", reason="python3-nbconvert (scripts/bootstrap.sh installs it)")
    out = tmp_path / "out.ipynb"
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    done = subprocess.run([sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute",
                           "--ExecutePreprocessor.timeout=180", "--output", str(out),
                           str(REPO / "notebooks" / "01_quickstart.ipynb")], capture_output=True, text=True, env=env,
                          cwd=REPO / "notebooks", timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    import nbformat

    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs)


@in_venv
@pytest.mark.slow
def test_progress_bars_in_jupyter_are_widgets_where_jupyter_runs_them():
    # A widget with ipywidgets' protocol 2 (ipywidgets >= 7); Debian bookworm's ipywidgets 6
    # speaks protocol 1, which nbclient cannot execute (KeyError: 'state'): then tqdm's text
    # bar, and the notebook still runs headless.
    import nbformat
    from nbclient import NotebookClient

    pytest.importorskip("ipywidgets", reason="python3-ipywidgets (scripts/bootstrap.sh installs it)")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import delivsim\nfrom delivsim import _progress\n"
                                          "print(_progress._tqdm_class().__module__)\n"
                                          "r = delivsim.run(messages=200_000, seed=1, progress=True)")]
    env_backend = os.environ.pop("MPLBACKEND", None)
    try:
        NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    finally:
        if env_backend is not None:
            os.environ["MPLBACKEND"] = env_backend
    outputs = nb.cells[0].outputs
    from delivsim import _progress

    widgets = _progress._widget_protocol_2()
    module = "tqdm.notebook" if widgets else "tqdm.std"
    assert any(o.get("text", "").strip() == module for o in outputs), outputs
    widget = any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    assert widget == widgets, outputs
    if not widgets:  # the text bar, on stderr
        assert any(o.get("name") == "stderr" and "200000/200000" in o.get("text", "").replace(",", "")
                   or "200k/200k" in o.get("text", "") for o in outputs), outputs
