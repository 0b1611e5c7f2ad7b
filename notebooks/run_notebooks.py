"""Execute the notebooks in this folder with the current interpreter's kernel.

    .venv/bin/python notebooks/run_notebooks.py           # execute each, fail on a cell error
    .venv/bin/python notebooks/run_notebooks.py --save    # ... and store the outputs in the files

The kernel is this interpreter (sys.executable: the venv's python, which has delivsim), not
whatever "python3" kernelspec Jupyter would find on the machine (Debian's points at
/usr/bin/python3): a kernelspec for it is written to a temporary JUPYTER_PATH directory.
tests/python/test_research_notebooks.py runs every notebook this way.
"""
from __future__ import annotations

import json
import os
import pathlib
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
KERNEL = "delivsim-current-python"


def notebooks() -> list[pathlib.Path]:
    return sorted(HERE.glob("[0-9][0-9]_*.ipynb"))


def install_kernelspec(directory: str | os.PathLike[str]) -> str:
    """A kernelspec running this interpreter, under directory/kernels; returns its name."""
    spec = pathlib.Path(directory) / "kernels" / KERNEL
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"Python ({sys.executable})",
        "language": "python",
    }))
    return KERNEL


def execute(path: pathlib.Path, save: bool = False, timeout: int = 120) -> float:
    """Run every cell of the notebook at ``path`` (in its folder); raises nbclient's
    CellExecutionError on the first failing cell. Returns the seconds it took."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as jupyter_path:
        name = install_kernelspec(jupyter_path)
        old = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = jupyter_path + (os.pathsep + old if old else "")
        env_backend = os.environ.pop("MPLBACKEND", None)  # the kernel's inline backend, not Agg
        try:
            start = time.monotonic()
            client = NotebookClient(nb, timeout=timeout, kernel_name=name, record_timing=False,
                                    resources={"metadata": {"path": str(path.parent)}})
            client.execute()
            elapsed = time.monotonic() - start
        finally:
            if old is None:
                os.environ.pop("JUPYTER_PATH", None)
            else:
                os.environ["JUPYTER_PATH"] = old
            if env_backend is not None:
                os.environ["MPLBACKEND"] = env_backend
    if save:
        # The committed notebooks name the usual kernel, not the temporary one.
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, path)
    return elapsed


def main(argv: list[str]) -> int:
    save = "--save" in argv
    chosen = [pathlib.Path(a) for a in argv if not a.startswith("--")] or notebooks()
    for path in chosen:
        print(f"{path.name}: {execute(path.resolve(), save=save):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
