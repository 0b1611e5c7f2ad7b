"""Housekeeping: one version number (CMake's project version is Python's __version__ and the
package's metadata), a BSD-3-Clause LICENSE, and mypy clean over the package with the
configuration in pyproject.toml."""
import importlib.metadata
import importlib.util
import pathlib
import re
import subprocess
import sys

import pytest

import delivsim

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_one_version_number():
    cmake = re.search(r"^project\(\s*delivsim\s+VERSION\s+([0-9.]+)", (ROOT / "CMakeLists.txt").read_text(), re.M)
    assert cmake is not None
    assert delivsim.__version__ == cmake.group(1)
    assert 'dynamic = ["version"]' in (ROOT / "pyproject.toml").read_text()  # no second number there
    try:
        installed = importlib.metadata.version("delivsim")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("delivsim is not installed (run from the venv)")
    assert installed == cmake.group(1)


def test_license_is_bsd_3_clause():
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("BSD 3-Clause License") and "The delivsim developers" in text
    assert "Neither the name of the copyright holder" in text


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy (Debian package mypy) is not installed")
def test_mypy_over_the_package():
    done = subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml")],
                          cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]
