"""Every policy of the C++ policy registry (libdelivsim/include/delivsim/policy/registry.hpp,
exported as _core.policy_types) is known wherever it must be: the JSON Schema, the stage
names, the Python views and the type stubs. Adding a policy is its header, its registry line
and its schema definition (README, "Adding a policy"); this test names whatever was missed."""
from __future__ import annotations

import ast
import json
import pathlib

import pytest

from delivsim import _core, _views

REPO = pathlib.Path(__file__).resolve().parents[2]
SCHEMA = REPO / "libdelivsim" / "schema" / "scenario.schema.json"
STUB = REPO / "python" / "delivsim" / "_core.pyi"

REGISTERED = [t["type"] for t in _core.policy_types]


def schema_policies(schema: dict) -> dict[str, dict]:
    """Policy type -> its definition, for every branch of the schema's policy oneOf."""
    out = {}
    for branch in schema["$defs"]["policy"]["oneOf"]:
        definition = schema["$defs"][branch["$ref"].rsplit("/", 1)[1]]
        out[definition["properties"]["type"]["const"]] = definition
    return out


def test_the_registry_is_exported():
    # The C++ registry's list, in its order, with what the rest derives from.
    assert REGISTERED[:2] == ["dnsbl", "size_limit"] and REGISTERED[-1] == "gateway"
    assert len(set(REGISTERED)) == len(REGISTERED) >= 15
    by_type = {t["type"]: t for t in _core.policy_types}
    assert by_type["greylist"] == {"type": "greylist", "phase": "envelope", "stage": "greylist",
                                   "judges_spam": False, "scored": False}
    assert by_type["rspamd"]["scored"] and by_type["rspamd"]["judges_spam"]
    assert by_type["python"]["phase"] is None and by_type["python"]["stage"] == "custom_policy"
    assert by_type["gateway"]["stage"] is None


def test_every_registered_policy_has_a_schema_definition():
    schema = json.loads(SCHEMA.read_text())
    defined = schema_policies(schema)
    assert sorted(defined) == sorted(REGISTERED)
    for t in REGISTERED:
        assert t in schema["$defs"]["policy"]["description"], f"the policy description does not list {t!r}"
    # The package ships the same schema (a link to libdelivsim/schema).
    assert _views.load_schema("scenario.schema.json") == schema


def test_every_registered_policy_names_its_stage():
    stages = [t["stage"] for t in _core.policy_types if t["stage"] is not None]
    assert list(_core.stage_names[-len(stages):]) == stages  # the policies' stages follow the engine's
    assert len(set(_core.stage_names)) == len(_core.stage_names)
    assert {"none", "address", "mx_routing", "retry_queue", "delivery"} <= set(_core.stage_names[:-len(stages)])


@pytest.mark.parametrize("policy", REGISTERED)
def test_the_views_know_every_registered_policy(policy):
    info = next(t for t in _core.policy_types if t["type"] == policy)
    want = _core.phase_names.index(info["phase"]) if info["phase"] is not None else -1
    assert _views.POLICY_PHASES[policy] == want
    keys = _views.KEYS[policy]
    assert keys[0] == "type"
    # A chain entry of this type is put in its kind's key order.
    entry = {**dict.fromkeys(reversed(keys), 0), "type": policy}  # keys in reverse order
    assert list(_views.canonical([entry], "list:policy")[0]) == list(keys)


def test_the_views_phase_table_is_the_registry():
    assert list(_views.POLICY_PHASES) == REGISTERED


def test_the_stubs_name_every_registered_policy_and_stage():
    tree = ast.parse(STUB.read_text())
    aliases = {node.targets[0].id: node.value for node in tree.body
               if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)}

    def literal(name: str) -> list[str]:
        return [e.value for e in aliases[name].slice.elts]

    assert literal("_PolicyType") == REGISTERED, "run scripts/update_core_stub.py"
    assert literal("_Stage") == list(_core.stage_names), "run scripts/update_core_stub.py"


def test_schema_tables_name_kinds_by_title_definition_or_place():
    # The derivation the views' tables come from, on a small schema.
    schema = {
        "type": "object", "additionalProperties": False,
        "properties": {
            "a": {"$ref": "#/$defs/thing"},
            "b": {"type": "array", "items": {"type": "object", "additionalProperties": False,
                                             "properties": {"x": {}, "y": {}}}},
            "c": {"type": "object", "additionalProperties": {"title": "named", "type": "object",
                                                             "additionalProperties": False, "properties": {"z": {}}}},
            "n": {"type": "number"},
        },
        "$defs": {"thing": {"type": "object", "additionalProperties": False, "properties": {"k": {}, "a": {}}}},
    }
    keys, child = _views.schema_tables(schema, "root")
    assert keys == {"root": ("a", "b", "c", "n"), "thing": ("k", "a"), "root.b": ("x", "y"), "named": ("z",)}
    assert child == {("root", "a"): "thing", ("root", "b"): "list:root.b", ("root", "c"): "map:named"}
