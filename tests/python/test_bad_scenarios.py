"""Broken scenario files must be refused by `delivsim validate` with exit code 2 and exactly
one line on stderr naming the JSON path and the rule; the example scenarios must validate.

The cases live in tests/data/bad_scenarios/cases.json. Each is a list of edits applied to a
deep copy of the reference scenario R1:

  {"set": "a.b[1].c", "value": V}     set a key (created if missing) or a list element
  {"delete": "a.b[1].c"}              remove a key or a list element
  {"append": "a.b", "value": V}       append to a list
  {"set_nested": "a.b[0]", "depth": N} set a value to N nested arrays [[[...]]] (written as text:
                                      Python's json cannot serialise that depth)
  {"text_replace": OLD, "value": NEW} replace the first OLD in the serialised text (for text
                                      that is not valid JSON, or JSON Python cannot express)
  {"raw_text": TEXT}                  the whole file is TEXT

Structured edits are applied first, in order; then the document is serialised with
json.dumps(indent=2) and the text edits are applied in order.

A case with "known_defect" documents a loader defect that is not fixed yet: it runs as a strict
xfail (it must still fail; once the loader is fixed it XPASSes, which fails the suite, and
the marker must be removed).

The CLI is $DELIVSIM_CLI, or <repo>/build/delivsim.
"""

from __future__ import annotations

import copy
import json
import os
import pathlib
import re
import signal
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
CASES_FILE = REPO / "tests" / "data" / "bad_scenarios" / "cases.json"
EXAMPLES = REPO / "examples" / "scenarios"
BASES = {"r1": EXAMPLES / "r1_article_world.json", "modern": EXAMPLES / "modern_2025.json"}

STRUCTURED_OPS = ("set", "delete", "append", "set_nested")
TEXT_OPS = ("text_replace", "raw_text")
_NESTED_PLACEHOLDER = "\u0000delivsim-nested-placeholder\u0000"


# ---------------------------------------------------------------------------------------------
# Materialising a case


def load_cases() -> list[dict]:
    with CASES_FILE.open(encoding="utf-8") as f:
        return json.load(f)


def parse_path(path: str) -> list[str | int]:
    """'recipient_profiles[1].mx[0].down' -> ['recipient_profiles', 1, 'mx', 0, 'down']."""
    steps: list[str | int] = []
    for m in re.finditer(r"\[(\d+)\]|([^.\[\]]+)|(\.)", path):
        if m.group(1) is not None:
            steps.append(int(m.group(1)))
        elif m.group(2) is not None:
            steps.append(m.group(2))
    rebuilt = "".join(f"[{s}]" if isinstance(s, int) else ("." if i else "") + s for i, s in enumerate(steps))
    if not steps or rebuilt != path:
        raise ValueError(f"unsupported path syntax: {path!r}")
    return steps


def _parent(doc, path: str):
    steps = parse_path(path)
    node = doc
    for s in steps[:-1]:
        node = node[s]
    return node, steps[-1]


def materialize(case: dict, base: pathlib.Path | None = None) -> str:
    """The text of the scenario file a case describes: its edits applied to ``base`` (default:
    the file its "base" names in BASES)."""
    base = base if base is not None else BASES[case.get("base", "r1")]
    doc = json.loads(base.read_text(encoding="utf-8"))
    doc = copy.deepcopy(doc)
    nested: list[int] = []
    text_edits = []
    for edit in case["edits"]:
        op = next((k for k in STRUCTURED_OPS + TEXT_OPS if k in edit), None)
        if op is None:
            raise ValueError(f"{case['name']}: unknown edit {edit!r}")
        if op in TEXT_OPS:
            text_edits.append(edit)
            continue
        parent, last = _parent(doc, edit[op])
        if op == "set":
            if isinstance(last, int) and last == len(parent):
                parent.append(copy.deepcopy(edit["value"]))
            else:
                parent[last] = copy.deepcopy(edit["value"])
        elif op == "delete":
            del parent[last]
        elif op == "append":
            parent[last].append(copy.deepcopy(edit["value"]))
        elif op == "set_nested":
            if nested:
                raise ValueError(f"{case['name']}: at most one set_nested edit")
            nested.append(int(edit["depth"]))
            parent[last] = _NESTED_PLACEHOLDER
    text = json.dumps(doc, indent=2)
    if nested:
        token = json.dumps(_NESTED_PLACEHOLDER)
        assert text.count(token) == 1
        text = text.replace(token, "[" * nested[0] + "]" * nested[0])
    for edit in text_edits:
        if "raw_text" in edit:
            text = edit["raw_text"]
        else:
            old = edit["text_replace"]
            if old not in text:
                raise ValueError(f"{case['name']}: text_replace target {old!r} not found")
            text = text.replace(old, edit["value"], 1)
    return text


# ---------------------------------------------------------------------------------------------
# The CLI


def cli_path() -> pathlib.Path | None:
    env = os.environ.get("DELIVSIM_CLI")
    p = pathlib.Path(env) if env else REPO / "build" / "delivsim"
    return p if p.is_file() and os.access(p, os.X_OK) else None


@pytest.fixture(scope="module")
def cli() -> pathlib.Path:
    p = cli_path()
    if p is None:
        where = os.environ.get("DELIVSIM_CLI") or str(REPO / "build" / "delivsim")
        pytest.skip(f"delivsim CLI not found at {where} (build target delivsim_cli, or set DELIVSIM_CLI)")
    return p


def run_validate(cli: pathlib.Path, scenario: pathlib.Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(cli), "validate", str(scenario)], capture_output=True, timeout=120)


def describe_exit(rc: int) -> str:
    if rc < 0:
        try:
            return f"killed by signal {signal.Signals(-rc).name}"
        except ValueError:
            return f"killed by signal {-rc}"
    return f"exit code {rc}"


# ---------------------------------------------------------------------------------------------
# Tests

CASES = load_cases()


def _params():
    for case in CASES:
        marks = []
        if case.get("known_defect"):
            marks.append(pytest.mark.xfail(strict=True, reason="known loader defect: " + case["known_defect"]))
        yield pytest.param(case, id=case["name"], marks=marks)


def test_manifest_is_well_formed():
    assert len(CASES) >= 20, f"only {len(CASES)} bad scenario cases"
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)), "case names must be unique"
    for c in CASES:
        assert set(c) <= {"name", "why", "base", "edits", "expect", "schema_rejects", "known_defect"}, c["name"]
        assert c["why"] and c["expect"] and c["edits"], c["name"]
        assert c.get("base", "r1") in BASES, c["name"]
        materialize(c)  # every edit applies


@pytest.mark.parametrize("case", _params())
def test_bad_scenario_is_refused(case, cli, tmp_path):
    scenario = tmp_path / f"{case['name']}.json"
    scenario.write_text(materialize(case), encoding="utf-8")
    proc = run_validate(cli, scenario)
    stderr = proc.stderr.decode("utf-8", errors="replace")
    assert proc.returncode >= 0, f"validate crashed ({describe_exit(proc.returncode)}); stderr: {stderr[:500]!r}"
    assert proc.returncode == 2, f"expected exit code 2, got {describe_exit(proc.returncode)}; stderr: {stderr[:500]!r}"
    assert stderr.endswith("\n") and stderr.count("\n") == 1, f"expected exactly one line on stderr, got {stderr!r}"
    try:
        proc.stderr.decode("utf-8")
    except UnicodeDecodeError as e:
        pytest.fail(f"the error line is not valid UTF-8 ({e}): {proc.stderr!r}")
    assert case["expect"] in stderr, f"expected {case['expect']!r} in the error, got {stderr!r}"
    assert proc.stdout == b"", f"nothing expected on stdout, got {proc.stdout[:200]!r}"


def example_scenarios() -> list[pathlib.Path]:
    return sorted(EXAMPLES.glob("*.json"))


def test_r1_validates(cli):
    proc = run_validate(cli, BASES["r1"])
    assert proc.returncode == 0, f"{describe_exit(proc.returncode)}: {proc.stderr.decode(errors='replace')!r}"
    assert proc.stderr == b""


@pytest.mark.parametrize("scenario", example_scenarios(), ids=lambda p: p.name)
def test_example_scenario_validates(scenario, cli):
    proc = run_validate(cli, scenario)
    assert proc.returncode == 0, f"{describe_exit(proc.returncode)}: {proc.stderr.decode(errors='replace')!r}"
    assert proc.stderr == b""
