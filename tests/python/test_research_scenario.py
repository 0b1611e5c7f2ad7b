"""Editable scenarios (python/delivsim/_views.py, Scenario in _scenario.py): attribute-style
edits, paths, lossless JSON round trips, validation by the C++ loader, pickling."""
import json
import pathlib
import pickle

import numpy as np
import pytest

import delivsim
from delivsim import _views

REPO = pathlib.Path(__file__).resolve().parents[2]
R1 = REPO / "examples" / "scenarios" / "r1_article_world.json"
SCHEMA = REPO / "libdelivsim" / "schema" / "scenario.schema.json"


def leaves(x, path=""):
    """Every leaf of a JSON document with its type: a lossless round trip keeps both."""
    if isinstance(x, dict):
        return {k: v for key, value in x.items() for k, v in leaves(value, f"{path}.{key}").items()}
    if isinstance(x, list):
        return {k: v for i, value in enumerate(x) for k, v in leaves(value, f"{path}[{i}]").items()}
    return {path: (type(x), x)}


def test_json_round_trip_is_lossless(tmp_path):
    source = json.loads(R1.read_text())
    for s in [delivsim.default_scenario(), delivsim.load_scenario(R1), delivsim.parse_scenario(source)]:
        assert leaves(json.loads(s.to_json())) == leaves(source)  # same values, ints stay ints
        assert delivsim.parse_scenario(s.to_json()) == s
        assert delivsim.parse_scenario(s.to_dict()) == s
        s.save(tmp_path / "s.json")
        assert delivsim.load_scenario(tmp_path / "s.json") == s
        assert leaves(json.loads((tmp_path / "s.json").read_text())) == leaves(source)
    # keys come in the schema's order, whatever the source's
    assert list(delivsim.default_scenario().to_dict()) == [
        "format", "name", "description", "retry", "sender_classes", "recipient_profiles"]


def test_the_issue_example_edits_the_threshold():
    s = delivsim.default_scenario()
    s.profiles["G"].content.thresholds.spam_folder = 4.0
    assert s.to_dict()["recipient_profiles"][0]["policies"][5]["actions"][1] == {"min_score": 4.0, "action": "spam_folder"}
    assert s.get("recipient_profiles.G.policies.content_filter.actions.spam_folder.min_score") == 4.0
    assert s.get("profiles.G.content.thresholds.spam_folder") == 4.0
    assert s != delivsim.default_scenario()
    base = delivsim.run(delivsim.default_scenario(), messages=20_000, seed=3)
    edited = delivsim.run(s, messages=20_000, seed=3)
    assert edited.by_profile["G"]["spam_folder"] > base.by_profile["G"]["spam_folder"]
    assert edited.by_profile["C"] == base.by_profile["C"]  # common random numbers: C untouched


def test_views_read_and_write_in_place():
    s = delivsim.default_scenario()
    n = s.sender_classes["N"]
    assert n.weight == 0.25 and n.legit is True and n.dmarc["none"] == 1.0
    assert n.address_error.kinds.typosquat == 0.15
    assert s.sender_classes[1] == n and s.classes.N == n
    n.dmarc = {"pass": 1.0}
    n.dmarc.pass_ = 0.9  # "pass" is a keyword
    n.dmarc["none"] = 0.1
    assert s.to_dict()["sender_classes"][1]["dmarc"] == {"pass": 0.9, "none": 0.1}
    n.content_score.mean -= 1
    assert s.sender_classes.N.content_score.mean == 2.0
    s.retry.lifetime_s = np.int64(86_400)  # numpy numbers become JSON numbers
    assert type(s.to_dict()["retry"]["lifetime_s"]) is int
    s.profiles.C.mx["gw2.c.example"].down = np.float64(0.5)
    assert s.profiles.C.mx[1].down == 0.5
    s.sender_classes["P"].size_bytes[0].bytes = 31_000
    assert s.sender_classes.P.size_bytes[0].to_dict() == {"bytes": 31_000, "weight": 0.75}
    s.name = "edited"
    assert s.name == "edited" and s.validate() is s
    r = delivsim.run(s, messages=1000)
    assert r.scenario.name == "edited"


def test_policy_chains_by_type_in_phase_order():
    s = delivsim.default_scenario()
    g = s.profiles["G"].policies
    assert g.types == ["dnsbl", "size_limit", "unknown_user", "mailbox_quota", "dmarc_disposition",
                       "content_filter", "mailbox_rules"]
    g.add({"type": "greylist", "delay_s": 300})
    assert g.types.index("greylist") == 4  # after the envelope policies, before the data ones
    assert "greylist" in g and g.greylist.delay_s == 300
    del g["greylist"]
    g["attachment_scanner"] = {"false_positive": 0.1, "detection": 0.5}  # the type is filled in
    assert g.types[-2:] == ["attachment_scanner", "mailbox_rules"]
    g.remove("dnsbl")
    del s.profiles.C.policies.dnsbl
    s.validate()
    with pytest.raises(ValueError, match="already has"):
        g.add({"type": "content_filter", "actions": []})
    with pytest.raises(KeyError, match="did you mean 'greylist'"):
        s.profiles.H.policies["greylst"]
    # thresholds: set, add and delete actions by name
    t = s.profiles.C.content.thresholds
    assert dict(t) == {"quarantine": 6}
    t["reject"] = 12
    t.spam_folder = 3
    del t.quarantine
    assert dict(s.profiles.C.content.thresholds) == {"reject": 12, "spam_folder": 3}
    s.profiles.H.content.thresholds = {"reject": 20}
    assert s.profiles.H.content.actions.to_list() == [{"min_score": 20, "action": "reject"}]
    s.validate()


def test_optional_fields_and_typos():
    s = delivsim.default_scenario()
    t = s.sender_classes.T
    with pytest.raises(AttributeError, match="optional"):
        t.attachment
    t.attachment = {"probability": 0.5, "min_size_bytes": 0}
    assert list(t.to_dict())[-1] == "attachment"
    assert list(t.attachment.to_dict()) == ["min_size_bytes", "probability"]  # schema order
    del t.attachment
    assert "attachment" not in t
    with pytest.raises(AttributeError, match="did you mean 'ip_listed'"):
        t.ip_lsted = 0.1
    with pytest.raises(KeyError, match="no item with name 'X'"):
        s.profiles["X"]
    with pytest.raises(TypeError, match="not a JSON value"):
        t.weight = object()
    with pytest.raises(ValueError, match=r"sender_classes\[0\]\.weight: nan is not a finite number"):
        t.weight = float("nan")
    assert "ip_listed" in dir(t) and "content" in dir(s.profiles.G)


def test_validation_names_the_field():
    s = delivsim.default_scenario()
    s.profiles["C"].mx[0].down = 1.3  # accepted while editing
    assert not s.is_validated
    message = r"recipient_profiles\[1\]\.mx\[0\]\.down: 1\.3 is not a probability \[recipient_profiles\.C\.mx\[\"gw1\.c\.example\"\]\.down\]"
    with pytest.raises(ValueError, match=message):
        s.validate()
    with pytest.raises(ValueError, match="is not a probability"):
        delivsim.run(s, messages=10)
    with pytest.raises(ValueError, match="is not a probability"):
        s.attempt_times
    s.profiles["C"].mx[0].down = 0.05
    s.sender_classes.weights = {"T": 0.5}
    with pytest.raises(ValueError, match="sender_classes: weights sum to"):
        s.validate()
    s.sender_classes.normalize_weights()
    assert s.validate().is_validated
    s.profiles.G.policies.content_filter.actions.reject.action = "bounce"
    with pytest.raises(ValueError, match=r"policies\[5\]\.actions\[0\]\.action: .bounce. is not one of.*content_filter\.actions\.bounce\.action\]"):
        s.validate()


def test_paths_get_set_and_with_values():
    s = delivsim.default_scenario()
    assert _views.parse_path('recipient_profiles.G.mx["mx1.g.example"].down') == (
        "recipient_profiles", "G", "mx", "mx1.g.example", "down")
    assert _views.parse_path("sender_classes[0].weight") == ("sender_classes", 0, "weight")
    assert s.get('recipient_profiles.G.mx["mx1.g.example"].down') == 0.02
    assert s.get("sender_classes[0].weight") == s.get("sender_classes.0.weight") == 0.35
    assert s.get(("profiles", "H", "weight")) == 0.1
    view = s.get("profiles.H.policies.greylist")
    assert view.path == "recipient_profiles.H.policies.greylist"
    assert s.get(view.path) == view
    assert "recipient_profiles.H.policies.greylist" in repr(view)
    other = s.with_values({"profiles.H.policies.greylist.delay_s": 600, "retry.first_retry_s": 600})
    assert other.get("recipient_profiles.H.policies.greylist.delay_s") == 600
    assert s.get("profiles.H.policies.greylist.delay_s") == 0  # the original is untouched
    s.set("profiles.G.policies.greylist", {"delay_s": 60})  # a new policy, in phase order
    assert s.profiles.G.policies.types[4] == "greylist"
    with pytest.raises(KeyError, match="is a value"):
        s.get("retry.lifetime_s.x")
    with pytest.raises(KeyError, match="has no field 'lifetime'"):
        s.get("retry.lifetime")


def test_copies_snapshots_and_detached_views():
    s = delivsim.default_scenario()
    c = s.copy()
    c.profiles.G.weight = 0.5
    assert s.profiles.G.weight == 0.55
    r = delivsim.run(s, messages=100)
    s.profiles.G.weight = 0.6  # editing after the run does not change the result's scenario
    assert r.scenario.profiles.G.weight == 0.55
    with pytest.raises(TypeError, match="read-only"):
        r.scenario.profiles.G.weight = 0.5
    again = r.scenario.copy()
    again.profiles.G.weight = 0.5
    g = s.profiles.G
    s.recipient_profiles = s.to_dict()["recipient_profiles"]
    with pytest.raises(RuntimeError, match="detached"):
        g.weight = 0.1


def test_pickles():
    s = delivsim.default_scenario()
    s.profiles.C.mx[0].down = 2.0  # not valid: still pickles, as edited
    back = pickle.loads(pickle.dumps(s))
    assert back == s and not back.is_validated
    s.profiles.C.mx[0].down = 0.1
    r = delivsim.run(s, messages=1000, seed=4)
    back = pickle.loads(pickle.dumps(r))
    assert back == r and back.scenario == s
    with pytest.raises(TypeError, match="read-only"):
        back.scenario.name = "x"
    view = pickle.loads(pickle.dumps(s.profiles.C))  # a view pickles as its data
    assert view == s.profiles.C.to_dict()


def test_repr_is_readable():
    s = delivsim.default_scenario()
    text = repr(s)
    assert "r1_article_world" in text and "(validated)" in text
    assert "G 0.55: dnsbl, size_limit" in text and "S 0.25 (spam)" in text
    s.retry.lifetime_s = 0
    assert "edited, not validated" in repr(s)
    assert repr(s.profiles.G.content.thresholds) == (
        "<recipient_profiles.G.policies.content_filter.thresholds: {'reject': 15, 'spam_folder': 5}>")


def _schema_keys(schema, node, seen):
    """The property names, in order, of every closed object (additionalProperties false) in the schema."""
    out = {}
    if isinstance(node, dict):
        if "properties" in node and node.get("additionalProperties") is False:
            out[id(node)] = tuple(node["properties"])
        for v in node.values():
            out.update(_schema_keys(schema, v, seen))
    elif isinstance(node, list):
        for v in node:
            out.update(_schema_keys(schema, v, seen))
    return out


def test_the_key_table_agrees_with_the_schema():
    schema = json.loads(SCHEMA.read_text())
    in_schema = set(_schema_keys(schema, schema, set()).values())
    # The world document's kinds are added by delivsim.world (checked in test_world_views.py).
    in_views = {keys for kind, keys in _views.KEYS.items() if kind not in delivsim.world._KEYS}
    assert in_views == in_schema
    policies = [d["properties"]["type"]["const"] for name, d in schema["$defs"].items() if name.startswith("policy_")]
    assert policies == list(_views.POLICY_PHASES)
