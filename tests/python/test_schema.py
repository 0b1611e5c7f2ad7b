"""The JSON Schema libdelivsim/schema/scenario.schema.json must agree with the C++ loader:
every example scenario conforms; the broken cases of tests/data/bad_scenarios/cases.json
flagged "schema_rejects" are rejected by the schema too (at the loader's path or an ancestor),
and the others — rules only the loader can check, such as weights summing to 1 — pass the
schema, so the flag says exactly which rules are description-only; and the schema lists
exactly the policy types the loader knows.
"""

from __future__ import annotations

import importlib.util
import json
import math
import pathlib
import re
import subprocess

import pytest

jsonschema = pytest.importorskip("jsonschema", reason="python3-jsonschema is not installed")

REPO = pathlib.Path(__file__).resolve().parents[2]
SCHEMA_FILE = REPO / "libdelivsim" / "schema" / "scenario.schema.json"
EXAMPLES = REPO / "examples" / "scenarios"


def _load_helpers():
    # Shared materialisation code, loaded by file path so that it works with any pytest
    # import mode (and without collecting that module's tests a second time).
    path = pathlib.Path(__file__).resolve().with_name("test_bad_scenarios.py")
    spec = importlib.util.spec_from_file_location("delivsim_bad_scenario_helpers", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


helpers = _load_helpers()
CASES = helpers.load_cases()


@pytest.fixture(scope="module")
def schema() -> dict:
    with SCHEMA_FILE.open(encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="module")
def validator(schema):
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


class NotStrictJson(ValueError):
    pass


def strict_json(text: str):
    """json.loads that refuses what the C++ loader's JSON parser refuses or reads differently:
    NaN/Infinity literals, numbers that overflow to infinity, and duplicate keys."""

    def no_constant(name):
        raise NotStrictJson(f"{name} is not JSON")

    def finite_float(s):
        x = float(s)
        if not math.isfinite(x):
            raise NotStrictJson(f"{s} overflows")
        return x

    def unique_pairs(pairs):
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            raise NotStrictJson("duplicate key")
        return dict(pairs)

    try:
        return json.loads(text, parse_constant=no_constant, parse_float=finite_float, object_pairs_hook=unique_pairs)
    except RecursionError as e:
        raise NotStrictJson("too deeply nested for Python") from e
    except json.JSONDecodeError as e:
        raise NotStrictJson(str(e)) from e


def loader_path(case: dict) -> list:
    """The JSON path at the start of the loader's expected message ('' for the root)."""
    expect = case["expect"]
    head = expect.split(": ", 1)[0] if ": " in expect else ""
    return helpers.parse_path(head) if head else []


def _schema_cases(flag: bool):
    for case in CASES:
        if bool(case.get("schema_rejects")) != flag:
            continue
        try:
            strict_json(helpers.materialize(case))
        except NotStrictJson:
            continue  # not a JSON document: nothing for a schema to judge
        yield pytest.param(case, id=case["name"])


# ---------------------------------------------------------------------------------------------


def test_schema_is_valid(schema):
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


# Subschemas that only test a condition (if, not, the type_is_* matchers used by the
# at-most-once rule) describe no keys of their own.
_CONDITIONS = ("if", "not")


def _walk(node, where="#"):
    """Every subschema that documents keys, with its location."""
    if isinstance(node, dict):
        yield where, node
        for key, sub in node.items():
            if key in _CONDITIONS:
                continue
            if key == "$defs":
                for name, d in sub.items():
                    if not name.startswith("type_is_"):
                        yield from _walk(d, f"{where}/$defs/{name}")
                continue
            yield from _walk(sub, f"{where}/{key}")
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            yield from _walk(sub, f"{where}/{i}")


def test_every_property_has_a_description(schema):
    missing = [f"{where}/properties/{name}" for where, node in _walk(schema)
               for name, sub in (node.get("properties") or {}).items()
               if isinstance(node.get("properties"), dict) and not sub.get("description")]
    assert not missing, f"properties without a description: {missing}"


def test_objects_forbid_unknown_keys(schema):
    loose = [where for where, node in _walk(schema)
             if isinstance(node.get("properties"), dict) and where.split("/")[-1] != "properties"
             and node.get("additionalProperties") is not False]
    assert not loose, f"objects that allow unknown keys: {loose}"


def _example_scenarios():
    # World files (format delivsim-world/1) have their own schema: tests/python/test_world_schema.py.
    return [p for p in sorted(EXAMPLES.glob("*.json"))
            if json.loads(p.read_text(encoding="utf-8")).get("format") != "delivsim-world/1"]


@pytest.mark.parametrize("scenario", _example_scenarios(), ids=lambda p: p.name)
def test_example_conforms(scenario, validator):
    doc = strict_json(scenario.read_text(encoding="utf-8"))
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(doc)]
    assert not errors, errors


def test_schema_checkable_selection_is_covered():
    # The kinds of breakage a schema can express must be among the schema-checked cases.
    required = {
        "unknown_top_level_key", "unknown_key_in_policy",            # unknown key
        "probability_above_one", "negative_probability",             # probability range
        "negative_size", "non_integer_size",                         # sizes
        "mailbox_quota_bad_mode", "dmarc_disposition_bad_action",    # enums
        "content_filter_bad_action", "misspelt_policy_type",
        "missing_required_field",                                    # required
        "string_where_number_expected",                              # type
    }
    flagged = {c["name"] for c in CASES if c.get("schema_rejects")}
    assert required <= flagged, f"not flagged schema_rejects: {sorted(required - flagged)}"


@pytest.mark.parametrize("case", _schema_cases(True))
def test_schema_rejects_what_the_loader_rejects(case, validator):
    doc = strict_json(helpers.materialize(case))
    errors = list(validator.iter_errors(doc))
    assert errors, f"the schema accepts a file the loader refuses with {case['expect']!r}"
    want = loader_path(case)
    paths = [list(e.absolute_path) for e in errors]
    assert any(want[: len(p)] == p for p in paths), (
        f"schema errors at {[e.json_path for e in errors]} are not at or above the loader's path {want}")


@pytest.mark.parametrize("case", _schema_cases(False))
def test_loader_only_rules_pass_the_schema(case, validator):
    # Cases not flagged schema_rejects break a rule the schema documents only in words; if
    # the schema starts catching one, flag the case.
    doc = strict_json(helpers.materialize(case))
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(doc)]
    assert not errors, f"the schema rejects it too: flag the case schema_rejects ({errors})"


def _schema_policy_types(schema) -> list[str]:
    types = []
    for branch in schema["$defs"]["policy"]["oneOf"]:
        target = branch["$ref"].split("/")[-1]
        types.append(schema["$defs"][target]["properties"]["type"]["const"])
    return types


def test_policy_types_match_the_loader(schema, tmp_path):
    cli = helpers.cli_path()
    if cli is None:
        pytest.skip("delivsim CLI not found (build target delivsim_cli, or set DELIVSIM_CLI)")
    doc = json.loads(helpers.BASES["r1"].read_text(encoding="utf-8"))
    doc["recipient_profiles"][0]["policies"][0] = {"type": "no_such_policy_type"}
    scenario = tmp_path / "unknown_type.json"
    scenario.write_text(json.dumps(doc), encoding="utf-8")
    proc = subprocess.run([str(cli), "validate", str(scenario)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    m = re.search(r"unknown policy type 'no_such_policy_type' \(known: ([^)]*)\)", proc.stderr)
    assert m, f"no list of known types in {proc.stderr!r}"
    loader_types = [t.strip() for t in m.group(1).split(",")]

    schema_types = _schema_policy_types(schema)
    assert len(schema_types) == len(set(schema_types))
    assert sorted(schema_types) == sorted(loader_types)
    # The at-most-once rule covers every built-in type too (a Python policy may appear several
    # times, each name once: a rule the loader checks and the schema cannot state).
    once = [c["contains"]["$ref"].split("/")[-1]
            for c in schema["$defs"]["recipient_profile"]["properties"]["policies"]["allOf"]]
    assert sorted(schema["$defs"][t]["properties"]["type"]["const"] for t in once) == sorted(
        t for t in loader_types if t != "python")
    # And the description that names them.
    for t in loader_types:
        assert t in schema["$defs"]["policy"]["description"]
