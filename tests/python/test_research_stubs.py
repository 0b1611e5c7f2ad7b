"""The type stubs of the extension module (python/delivsim/_core.pyi) match the module."""
import ast
import importlib.util
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

import delivsim
from delivsim import _core

REPO = pathlib.Path(__file__).resolve().parents[2]
STUB = REPO / "python" / "delivsim" / "_core.pyi"


def public(names):
    return {n for n in names if not n.startswith("_")}


def stub_names():
    tree = ast.parse(STUB.read_text())
    top, members = set(), {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            top.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            top.add(node.target.id)
        if isinstance(node, ast.ClassDef):
            members[node.name] = {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
    return top, members


def pybind_parameters(function):
    """Parameter names of a pybind11 function, from the signature line of its docstring
    (pybind11 functions have no inspectable signature, so stubtest cannot compare them)."""
    first = (function.__doc__ or "").splitlines()[0]
    m = re.match(r"\w+\((.*)\) -> ", first)
    assert m, first
    names, depth, current = [], 0, ""
    for ch in m.group(1) + ",":
        depth += ch in "[(" and 1 or 0
        depth -= ch in "])" and 1 or 0
        if ch == "," and depth == 0:
            if current.strip():
                names.append(current.split(":")[0].strip())
            current = ""
        else:
            current += ch
    return names


def stub_parameters(node):
    args = node.args
    keywords = (["*"] + [a.arg for a in args.kwonlyargs]) if args.kwonlyargs else []
    return [a.arg for a in args.posonlyargs + args.args] + keywords


def test_stub_names_match_the_module():
    top, members = stub_names()
    assert public(top) == public(dir(_core))
    for cls, names in members.items():
        runtime = getattr(_core, cls)
        assert public(names) == public(dir(runtime)), cls
    tree = ast.parse(STUB.read_text())
    checked = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for f in node.body:
                if isinstance(f, ast.FunctionDef) and not f.name.startswith("_") and not f.decorator_list:
                    assert stub_parameters(f) == pybind_parameters(getattr(getattr(_core, node.name), f.name))
                    checked += 1
    for f in tree.body:
        if isinstance(f, ast.FunctionDef):
            assert stub_parameters(f) == pybind_parameters(getattr(_core, f.name)), f.name
            checked += 1
    assert checked >= 8


def test_stub_is_installed_with_the_package():
    assert (pathlib.Path(delivsim.__file__).parent / "_core.pyi").read_text() == STUB.read_text()


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy (Debian package mypy) is not installed")
@pytest.mark.slow  # mypy stubtest takes minutes
def test_stubtest(tmp_path):
    # The stub alone in a package of its own, so that mypy checks only it against the module.
    (tmp_path / "delivsim").mkdir()
    (tmp_path / "delivsim" / "__init__.pyi").write_text("")
    shutil.copy(STUB, tmp_path / "delivsim" / "_core.pyi")
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\n")
    env = dict(os.environ, MYPYPATH=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "delivsim._core", "--mypy-config-file", str(config), "--concise"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    # pybind11 artefacts a stub cannot express: every class's metaclass, and the __init__ of
    # classes without a constructor (their objects come from the module's functions).
    errors = [line for line in done.stdout.splitlines()
              if line.strip() and not re.search(r" is inconsistent, metaclass differs$", line)
              and not re.search(r"\.__init__ is inconsistent, stub does not have \*args argument", line)]
    assert done.returncode in (0, 1) and not done.stderr.strip(), done.stdout + done.stderr
    assert errors == [], "\n".join(errors)
