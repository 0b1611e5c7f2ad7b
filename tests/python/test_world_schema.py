"""The JSON Schema of the world format (libdelivsim/schema/world.schema.json) agrees with the
C++ loader: the example worlds validate, the bad-world cases flagged "schema_rejects" are
rejected by the schema, and the others (rules only the loader can check) are not."""
import copy
import json
import pathlib

import pytest

jsonschema = pytest.importorskip("jsonschema", reason="python3-jsonschema is not installed")

REPO = pathlib.Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "libdelivsim" / "schema"
WORLDS = [REPO / "examples" / "scenarios" / f"{n}.json" for n in ("warmup", "noisy_neighbour", "complaint_spiral")] + [
    REPO / "tests" / "data" / "world" / "stateful_small.json", REPO / "benchmarks" / "world_campaigns.json"]


@pytest.fixture(scope="module")
def validator():
    world = json.loads((SCHEMAS / "world.schema.json").read_text())
    scenario = json.loads((SCHEMAS / "scenario.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(world)
    resolver = jsonschema.RefResolver.from_schema(world, store={scenario["$id"]: scenario, world["$id"]: world})
    return jsonschema.Draft202012Validator(world, resolver=resolver)


@pytest.mark.parametrize("path", WORLDS, ids=lambda p: p.name)
def test_world_files_validate_against_the_schema(validator, path):
    errors = [e.message for e in validator.iter_errors(json.loads(path.read_text()))]
    assert errors == []


def _cases():
    return json.loads((REPO / "tests" / "data" / "bad_worlds" / "cases.json").read_text())


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c["name"])
def test_schema_rejects_exactly_the_flagged_cases(validator, case):
    import test_bad_scenarios as tbs

    doc = json.loads(tbs.materialize(case, base=WORLDS[3]))
    rejected = not validator.is_valid(doc)
    assert rejected == bool(case.get("schema_rejects")), case["expect"]


def test_every_property_has_a_description():
    schema = json.loads((SCHEMAS / "world.schema.json").read_text())
    missing = []

    def walk(node, where):
        if isinstance(node, dict):
            for name, sub in (node.get("properties") or {}).items():
                if not sub.get("description"):
                    missing.append(f"{where}/properties/{name}")
            for k, v in node.items():
                walk(v, f"{where}/{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}/{i}")

    walk(schema, "#")
    assert missing == []
