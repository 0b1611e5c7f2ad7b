"""Worlds as editable views (the same machinery as Scenario), their JSON round trip and errors,
delivsim.world.run's argument rules, and WorldResult: pickling, merging replicates, to_frame."""
import json
import pathlib
import pickle

import numpy as np
import pytest

import delivsim
from delivsim import world

REPO = pathlib.Path(__file__).resolve().parents[2]
SMALL = REPO / "tests" / "data" / "world" / "stateful_small.json"
EXAMPLES = REPO / "examples" / "scenarios"
WORLD_EXAMPLES = sorted(p for p in EXAMPLES.glob("*.json") if json.loads(p.read_text())["format"] == "delivsim-world/1")


@pytest.fixture
def small():
    return world.load(SMALL)


@pytest.fixture(scope="module")
def runs():
    w = world.load(SMALL)
    return {seed: world.run(w, seed=seed, threads=2) for seed in (3, 4, 5)}


def test_edit_by_attribute_and_by_path(small):
    name = small.sender_names[0]
    item = small.senders[name].schedule[0]
    assert small.is_validated
    before = json.loads(item.to_json())
    key = "rate_per_hour" if "rate_per_hour" in before else "messages"
    setattr(small.senders[name].schedule[0], key, 7)
    assert not small.is_validated
    assert small.to_dict()["senders"][0]["schedule"][0][key] == 7
    assert small.get(f"senders.{name}.schedule[0].{key}") == 7
    small.set(f"senders[0].schedule[0].{key}", 9)
    assert small.senders[0].schedule[0][key] == 9
    assert small.senders[name].schedule[0].path == f"senders.{name}.schedule[0]"
    # receivers by profile name, the embedded scenario as a Scenario's views
    receiver = small.receiver_names[0]
    small.receivers[receiver].feedback_delay_s = 1234
    assert small.to_dict()["receivers"][receiver]["feedback_delay_s"] == 1234
    small.scenario.retry.first_retry_s = 600
    assert small.profiles[receiver].name == receiver  # the alias of scenario.recipient_profiles
    small.lists[0].stale = 0.25
    small.validate()
    assert small.is_validated
    # an edit changes what runs
    assert world.run(small, seed=3, threads=1).tally != world.run(world.load(SMALL), seed=3, threads=1).tally


def test_the_example_in_the_docs():
    w = world.load(EXAMPLES / "noisy_neighbour.json")
    w.senders["shop"].schedule[0].rate_per_hour = 200
    assert w.to_dict()["senders"][0]["schedule"][0]["rate_per_hour"] == 200
    w.validate()


def test_unknown_fields_are_refused_with_a_suggestion(small):
    with pytest.raises(AttributeError, match="did you mean 'rate_per_hour'"):
        small.senders[0].schedule[0].rate_per_houur = 3
    with pytest.raises(KeyError, match="has no item with name 'nobody'"):
        small.senders["nobody"]
    with pytest.raises(KeyError, match="did you mean 'senders'"):
        small.get("sendrs[0]")


@pytest.mark.parametrize("path", WORLD_EXAMPLES + [SMALL], ids=lambda p: p.stem)
def test_json_round_trip_is_lossless(path):
    w = world.load(path)
    assert json.loads(w.to_json()) == json.loads(path.read_text())  # nothing lost or added
    assert world.parse(w.to_json()) == w
    assert world.parse(w.to_dict()) == w
    assert world.parse(w) == w
    assert pickle.loads(pickle.dumps(w)) == w
    edited = w.copy()
    edited.description = "edited"
    back = world.parse(edited.to_json())
    assert back == edited and back != w
    assert json.loads(world.load(path).to_json()) == json.loads(path.read_text())  # the copy did not touch w


def test_save_and_load(small, tmp_path):
    small.description = "saved"
    small.save(tmp_path / "w.json")
    assert world.load(tmp_path / "w.json") == small


def test_validation_names_the_field_by_path_and_name(small):
    name = small.sender_names[2]
    small.senders[name].schedule[0].daily_growth = -1
    with pytest.raises(ValueError) as e:
        small.validate()
    assert str(e.value) == (f"senders[2].schedule[0].daily_growth: -1 must be greater than 0 "
                            f"[senders.{name}.schedule[0].daily_growth]")
    with pytest.raises(ValueError, match=r"senders\[2\]\.schedule\[0\]\.daily_growth"):
        world.run(small, seed=1)
    receiver = small.receiver_names[1]
    bad = world.load(SMALL)
    bad.receivers[receiver]["mailbox"] = {"quota_bytes": -5}
    with pytest.raises(ValueError, match=rf"^receivers\.{receiver}\.mailbox"):
        bad.validate()


def test_repr_is_readable(small):
    text = repr(small)
    assert text.startswith(f"<World {small.name!r} (validated): sends for ")
    for name in small.sender_names + small.list_names + small.receiver_names:
        assert name in text
    small.name = "renamed"
    assert repr(small).startswith("<World 'renamed' (edited, not validated)")
    assert "senders" in repr(small.senders) and repr(small.senders[0]).startswith("<senders.")


def test_view_tables_agree_with_the_schema():
    """Every object of world.schema.json has its keys, in the schema's order, in the views' table."""
    schema = json.loads((REPO / "libdelivsim" / "schema" / "world.schema.json").read_text())
    props = schema["properties"]
    sender = props["senders"]["items"]["properties"]
    receiver = props["receivers"]["additionalProperties"]["properties"]
    reputation = receiver["reputation"]["properties"]
    expected = {
        "world": props,
        "class_feedback": props["class_feedback"]["additionalProperties"]["properties"],
        "recipient_list": props["lists"]["items"]["properties"],
        "world_sender": sender,
        "receiver": receiver,
        "rate_limit": receiver["rate_limit"]["properties"],
        "receiver_reputation": reputation,
        "reputation_weights": reputation["weights"]["properties"],
        "reputation_levels": reputation["levels"]["properties"],
        "level_settings": reputation["levels"]["properties"]["bad"]["properties"],
        "greylist_memory": receiver["greylist"]["properties"],
        "mailbox": receiver["mailbox"]["properties"],
        "postmaster": receiver["postmaster"]["properties"],
        "blocklist": props["blocklist"]["properties"],
        "blocklist_weights": props["blocklist"]["properties"]["weights"]["properties"],
    }
    for kind, properties in expected.items():
        assert world._KEYS[kind] == tuple(properties), kind
    items = sender["schedule"]["items"]
    variants = items.get("oneOf") or items.get("anyOf")
    keys = [k for v in variants for k in v["properties"]]
    assert set(world._KEYS["schedule_item"]) == set(keys)
    for v in variants:  # each variant's keys in the table's order
        order = [k for k in world._KEYS["schedule_item"] if k in v["properties"]]
        assert order == list(v["properties"])


def test_run_follows_delivsim_run_argument_rules(small):
    with pytest.raises(TypeError, match="world must be a delivsim.world.World"):
        world.run("not a world")
    with pytest.raises(TypeError, match="seed must be an int"):
        world.run(small, seed=1.5)
    with pytest.raises(TypeError, match="seed must be an int"):
        world.run(small, seed=True)
    with pytest.raises(ValueError, match="seed must be at least 0"):
        world.run(small, seed=-1)
    with pytest.raises(ValueError, match="threads must be at least 1"):
        world.run(small, threads=0)
    with pytest.raises(TypeError, match="progress must be a bool or a callable"):
        world.run(small, progress="yes")
    seen = []
    r = world.run(small, 3, 1, lambda done, total: seen.append((done, total)))  # positional, as delivsim.run
    assert seen and seen[-1] == (int(small.duration_s), int(small.duration_s))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert r.seed == 3
    assert world.run(small, seed=3, threads=1, progress=True) == r  # a bar changes nothing


def test_result_pickles_and_reports(runs):
    r = runs[3]
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        back = pickle.loads(pickle.dumps(r, protocol))
        assert back == r
        assert back.report() == r.report()  # rebuilt from the pickled state
        assert back.timeseries().equals(r.timeseries())
        assert back.epochs == r.epochs and back.greylist_triplets == r.greylist_triplets
    with pytest.raises(TypeError, match="read-only"):
        r.world.description = "no"


def test_to_frame_like_result(runs):
    r = runs[3]
    f = r.to_frame()
    assert list(f.columns) == ["group_kind", "group", "outcome", "count", "messages", "rate", "ci_low", "ci_high"]
    assert set(f["group_kind"]) == {"overall", "sender", "receiver"}
    overall = f[f.group_kind == "overall"].set_index("outcome")["count"].to_dict()
    assert overall == r.outcomes
    senders = f[f.group_kind == "sender"]
    assert list(senders["group"].unique()) == r.world.sender_names
    assert senders["count"].sum() == r.messages
    assert ((f.ci_low <= f.rate) & (f.rate <= f.ci_high)).all()


def test_replicates_merge(runs):
    a, b, c = runs[3], runs[4], runs[5]
    m = a + b
    assert m.seeds == (3, 4)
    assert m.messages == a.messages + b.messages
    assert m.outcomes == {o: a.outcomes[o] + b.outcomes[o] for o in a.outcomes}
    assert m.tally == a.tally + b.tally
    s = sum([a, b, c])
    assert s.seeds == (3, 4, 5) and s.messages == a.messages + b.messages + c.messages
    fa, fm = a.timeseries(), m.timeseries()
    assert fm["sent"].sum() == m.messages
    assert not any(col.startswith(("reputation:", "level:")) for col in fm.columns)
    assert any(col.startswith("reputation:") for col in fa.columns)
    arrays = m.arrays()
    n = arrays["sender_sent"].shape[0]
    padded = np.zeros_like(arrays["sender_sent"])
    for r in (a, b):
        x = r.arrays()["sender_sent"]
        padded[: x.shape[0]] += x
    assert (arrays["sender_sent"] == padded).all() and n >= a.arrays()["sender_sent"].shape[0]
    assert pickle.loads(pickle.dumps(m)) == m
    assert m.to_frame()["count"].sum() == a.to_frame()["count"].sum() + b.to_frame()["count"].sum()
    for what in ("seed", "epochs", "greylist_triplets"):
        with pytest.raises(ValueError, match="replicates"):
            getattr(m, what)
    with pytest.raises(ValueError, match="state of one run"):
        m.report()
    with pytest.raises(ValueError, match="seed 3"):
        a + m
    other = runs[3].world.copy()
    other.description = "another world"
    with pytest.raises(ValueError, match="different worlds"):
        a + world.run(other, seed=9, threads=1)


def test_errors_on_a_world_say_world_and_a_scenario_can_be_embedded(small):
    with pytest.raises(AttributeError, match="^the world has no field 'sendrs'"):
        small.sendrs = []
    s = delivsim.parse_scenario(small.to_dict()["scenario"])
    s.retry.first_retry_s = 450
    small.scenario = s
    assert small.scenario.retry.first_retry_s == 450
    small.validate()
