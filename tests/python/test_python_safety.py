"""Every error reaches Python as a Python exception with a readable message, and the
interpreter survives every malformed scenario and API misuse (Hardening, items 4 and 5).

A few hundred cases (tests/python/safety_cases.py builds them): the 67 broken scenarios of
tests/data/bad_scenarios/cases.json through parse_scenario (text and dict) and load_scenario;
seeded random mutations of R1 (wrong types, NaN, infinities, huge integers, deletions, junk);
and misuse of run, explain, Result, pickling, checkpoints, progress callbacks and the private
_core module. They run in a few child interpreters (so a segfault or an abort is that case's
failure, not the test session's); each case is then checked here against its expectation:
ValueError for bad values and TypeError for wrong types, naming the argument or JSON field;
never SystemError, an empty message, a crash or a hang.

A case that fails today because of a library defect is a strict xfail naming the defect
(safety_cases.DEFECTS gives the file, the function and the proposed fix). Once the defect is
fixed the case XPASSes, which fails the suite: then remove its `defect`.
"""
from __future__ import annotations

import importlib.util
import json
import pathlib
import sys
import time

import pytest

pytestmark = pytest.mark.slow  # hundreds of cases in child processes (make test runs them)


def _load_cases_module():
    # By path, so that it works whatever pytest's import mode.
    path = pathlib.Path(__file__).with_name("safety_cases.py")
    spec = importlib.util.spec_from_file_location("delivsim_safety_cases", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


sc = _load_cases_module()

CASES = sc.build_cases()
BY_ID = {c["id"]: c for c in CASES}


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):
    t0 = time.monotonic()
    results, log = sc.run_all(CASES, tmp_path_factory.mktemp("safety"))
    return {"results": results, "log": log, "elapsed_s": time.monotonic() - t0}


def _params():
    for c in CASES:
        marks = []
        if c["defect"]:
            marks.append(pytest.mark.xfail(strict=True, reason=f"{c['defect']}: {sc.DEFECTS[c['defect']]}"))
        yield pytest.param(c["id"], id=c["id"], marks=marks)


def test_the_cases_are_many_and_well_formed():
    assert len(CASES) >= 300, f"only {len(CASES)} cases"
    assert len(BY_ID) == len(CASES), "case ids must be unique"
    kinds = {c["id"].split("/")[0] for c in CASES}
    assert {"bad_scenario", "mutation", "run", "explain", "result", "checkpoint", "resume", "progress",
            "_core", "unconstructed", "scenario_view", "sweep", "compare", "strategies", "calibrate"} <= kinds
    bad = len(json.loads(sc.BAD_CASES_FILE.read_text(encoding="utf-8")))  # 67 today
    assert sum(c["id"].startswith("bad_scenario/parse_text/") for c in CASES) == bad
    assert sum(c["id"].startswith("bad_scenario/load_file/") for c in CASES) == bad
    for c in CASES:
        assert c["kind"] in sc.KINDS, c["id"]
        assert c["defect"] is None or c["defect"] in sc.DEFECTS, c["id"]
        assert "raises" in c["expect"] or "ok" in c["expect"], c["id"]


def test_every_case_reported_and_every_child_exit_is_accounted_for(outcome):
    """Each case produced its result line; a child that did not exit normally died in a
    named case (which that case's own test reports)."""
    results = outcome["results"]
    missing = [i for i in BY_ID if i not in results]
    assert not missing, f"{len(missing)} cases never reported, e.g. {missing[:5]}"
    for run in outcome["log"]:
        if run["rc"] != 0:
            assert run["culprit"] in BY_ID, f"child {run} died outside any case"
    crashed = sorted(i for i, r in results.items() if "crash" in r)
    unexpected = [i for i in crashed if not BY_ID[i]["defect"]]
    assert not unexpected, f"the interpreter did not survive {unexpected}"


@pytest.mark.parametrize("case_id", _params())
def test_case(case_id, outcome):
    c = BY_ID[case_id]
    res = outcome["results"].get(case_id)
    found = sc.problems(c, res)
    if found:
        extra = f" (mutation: {c['args']['what']})" if "what" in c["args"] else ""
        pytest.fail(f"{case_id}{extra}: " + "; ".join(found), pytrace=False)
