#!/usr/bin/env python3
"""Rewrites the registry's names in python/delivsim/_core.pyi (the _PolicyType and _Stage
literals) from the built module, delivsim._core.policy_types and stage_names: run it after
registering a policy, with the new _core importable (e.g. PYTHONPATH=python after building
the _core target into python/delivsim, or from the project's .venv)."""
from __future__ import annotations

import pathlib
import re
import sys
import textwrap

from delivsim import _core

STUB = pathlib.Path(__file__).resolve().parents[1] / "python" / "delivsim" / "_core.pyi"


def literal(name: str, values: list[str]) -> str:
    body = textwrap.fill(", ".join(f'"{v}"' for v in values), width=116, initial_indent="    ",
                         subsequent_indent="    ", break_long_words=False, break_on_hyphens=False)
    return f"{name} = Literal[\n{body}]\n"


def updated(text: str) -> str:
    for name, values in (("_PolicyType", [t["type"] for t in _core.policy_types]),
                         ("_Stage", list(_core.stage_names))):
        text, n = re.subn(rf"^{name} = Literal\[.*?\]\n", lambda _: literal(name, values), text,
                          count=1, flags=re.MULTILINE | re.DOTALL)
        if n != 1:
            sys.exit(f"{STUB}: no '{name} = Literal[...]' to update")
    return text


if __name__ == "__main__":
    old = STUB.read_text()
    new = updated(old)
    if new != old:
        STUB.write_text(new)
    print(f"{STUB}: {'updated' if new != old else 'already up to date'}")
