"""Execute the notebooks in this folder with the venv's ``python3`` kernel, as Jupyter does.

    .venv/bin/python notebooks/run_notebooks.py           # execute each, fail on a cell error
    .venv/bin/python notebooks/run_notebooks.py --save    # ... and store the outputs in the files

The notebooks name the kernel ``python3``. ``make venv`` installs the venv's kernelspec with
``--sys-prefix`` (.venv/share/jupyter/kernels/python3), so Jupyter tools run by the venv's
python (this script, ``.venv/bin/python -m nbconvert --execute``, ``make notebook``) start
kernels of the venv, which has delivsim, and not Debian's /usr/bin/python3.
tests/python/test_research_notebooks.py runs every notebook this way.
"""
from __future__ import annotations

import os
import pathlib
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
KERNEL = "python3"


def notebooks() -> list[pathlib.Path]:
    return sorted(HERE.glob("[0-9][0-9]_*.ipynb"))


def kernel_python(name: str = KERNEL) -> str:
    """The interpreter Jupyter starts for kernel ``name`` when run by this interpreter."""
    from jupyter_client.kernelspec import KernelSpecManager

    return KernelSpecManager().get_kernel_spec(name).argv[0]


def check_kernel() -> None:
    """Refuse to run when ``python3`` would not be this interpreter (the venv's kernelspec is
    missing: run ``make venv``)."""
    found = kernel_python()
    # Not realpath: the venv's python is a symlink to /usr/bin/python3, which lacks delivsim.
    if os.path.abspath(found) != os.path.abspath(sys.executable):
        raise RuntimeError(f"the {KERNEL!r} kernel runs {found}, not {sys.executable}: install the venv's "
                           f"kernelspec with `{sys.executable} -m ipykernel install --sys-prefix` (make venv)")


def execute(path: pathlib.Path, save: bool = False, timeout: int = 120) -> float:
    """Run every cell of the notebook at ``path`` (in its folder) with the ``python3`` kernel;
    raises nbclient's CellExecutionError on the first failing cell. Returns the seconds it took."""
    import nbformat
    from nbclient import NotebookClient

    check_kernel()
    nb = nbformat.read(path, as_version=4)
    env_backend = os.environ.pop("MPLBACKEND", None)  # the kernel's inline backend, not Agg
    try:
        start = time.monotonic()
        client = NotebookClient(nb, timeout=timeout, kernel_name=KERNEL, record_timing=False,
                                resources={"metadata": {"path": str(path.parent)}})
        client.execute()
        elapsed = time.monotonic() - start
    finally:
        if env_backend is not None:
            os.environ["MPLBACKEND"] = env_backend
    if save:
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
