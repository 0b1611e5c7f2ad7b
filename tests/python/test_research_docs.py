"""The API reference (docs/api, Sphinx autodoc over the installed package) builds with no
warning: `make docs` treats warnings as errors, and so does this test."""
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_api_reference_builds_without_warnings(tmp_path):
    pytest.importorskip("sphinx", reason="python3-sphinx (scripts/bootstrap.sh installs it)")
    done = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                           str(ROOT / "docs" / "api"), str(tmp_path / "html")], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    page = (tmp_path / "html" / "experiments.html").read_text(encoding="utf-8")
    assert "latin_hypercube" in page and "sensitivity" in page
    strategies = (tmp_path / "html" / "strategies.html").read_text(encoding="utf-8")
    assert "roc_measures" in strategies and "Saltelli" in page
