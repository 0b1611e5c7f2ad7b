"""Builds the extension delivsim._core with CMake; everything else is in pyproject.toml.
The version is CMake's project version (CMakeLists.txt), the one number for C++ and Python.

    python3 -m venv --system-site-packages .venv && .venv/bin/pip install --no-build-isolation .

The CMake build tree is kept in setuptools' build_temp (build/temp.*/cmake), so rebuilds
are incremental. Set CMAKE_BUILD_PARALLEL_LEVEL to change the number of compile jobs (2).
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


class CMakeExtension(Extension):
    def __init__(self, name: str, target: str) -> None:
        super().__init__(name, sources=[])
        self.target = target


class CMakeBuild(build_ext):
    def build_extension(self, ext: CMakeExtension) -> None:
        cmake = shutil.which("cmake")
        if cmake is None:
            sys.exit("delivsim: building the extension needs CMake >= 3.21 on PATH")
        build_dir = Path(self.build_temp).resolve() / "cmake"
        config = "Debug" if self.debug else "Release"
        configure = [
            cmake, "-S", str(ROOT), "-B", str(build_dir),
            "-DDELIVSIM_BUILD_PYTHON=ON",
            "-DDELIVSIM_BUILD_TESTS=OFF",
            "-DDELIVSIM_BUILD_BENCHMARKS=OFF",
            "-DDELIVSIM_BUILD_CLI=OFF",
            "-DDELIVSIM_INSTALL=OFF",
            f"-DCMAKE_BUILD_TYPE={config}",
            # The interpreter doing the install, not whichever python3 is first on PATH.
            f"-DPython_EXECUTABLE={sys.executable}",
            f"-DPYTHON_EXECUTABLE={sys.executable}",
        ]
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", "2")
        subprocess.run(configure, check=True)
        subprocess.run([cmake, "--build", str(build_dir), "--target", ext.target, "-j", jobs], check=True)

        # pybind11 names the module with this interpreter's suffix, as setuptools does.
        built = sorted((build_dir / "bindings").glob(ext.target + ".*"))
        built = [p for p in built if p.suffix in (".so", ".pyd", ".dylib")]
        if len(built) != 1:
            sys.exit(f"delivsim: expected one built {ext.target} module in {build_dir / 'bindings'}, found {built}")
        destination = Path(self.get_ext_fullpath(ext.name))
        destination.parent.mkdir(parents=True, exist_ok=True)
        self.copy_file(str(built[0]), str(destination))


def cmake_project_version() -> str:
    """The VERSION of CMakeLists.txt's project() call."""
    text = (ROOT / "CMakeLists.txt").read_text(encoding="utf-8")
    match = re.search(r"^project\(\s*delivsim\s+VERSION\s+([0-9][0-9.]*)", text, re.MULTILINE)
    if match is None:
        sys.exit("delivsim: no 'project(delivsim VERSION x.y.z ...)' in CMakeLists.txt")
    return match.group(1)


setup(
    version=cmake_project_version(),
    ext_modules=[CMakeExtension("delivsim._core", target="_core")],
    cmdclass={"build_ext": CMakeBuild},
)
