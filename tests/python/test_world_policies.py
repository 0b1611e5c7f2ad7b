"""Python policies (delivsim.Policy) in worlds: in the embedded scenario's chains, through the
same views as a Scenario's, equal to the built-in they re-implement, thread-independent, and
carried by pickling."""
import pathlib
import pickle

import numpy as np
import pytest

from delivsim import world
from test_custom_policy import Coin, PyContentFilter

SMALL = pathlib.Path(__file__).resolve().parents[2] / "tests" / "data" / "world" / "stateful_small.json"


def with_python_content_filter(w):
    """A copy of ``w`` whose receivers' content filters are the Python re-implementation."""
    t = w.copy()
    for name in t.receiver_names:
        chain = t.scenario.profiles[name].policies
        entry = chain["content_filter"].to_dict()
        at = chain.keys().index("content_filter")
        del chain["content_filter"]
        chain.insert(at, PyContentFilter(f"content_{name}", entry.get("dmarc_adjustment", {}), entry["actions"]))
    return t


def test_a_python_content_filter_gives_the_builtins_world():
    w = world.load(SMALL)
    py = with_python_content_filter(w)
    assert set(py.python_policies) == {f"content_{n}" for n in w.receiver_names}
    assert "python" in py.to_json()
    a = world.run(w, seed=3, threads=2)
    b = world.run(py, seed=3, threads=2)
    ra, rb = a.report(), b.report()
    for key in ("outcomes", "bounces", "by_class", "by_profile", "by_class_profile", "timeseries"):
        assert ra[key] == rb[key], key
    # the same messages are blamed on the sender; the built-in splits a score verdict by the score's
    # parts (a reputation adjustment that flipped it blames reputation), a Python policy's is content
    sender_side = ("sender_content", "sender_reputation", "sender_configuration")
    assert sum(ra["responsible"][k] for k in sender_side) == sum(rb["responsible"][k] for k in sender_side)
    assert {k: v for k, v in ra["responsible"].items() if k not in sender_side} == \
        {k: v for k, v in rb["responsible"].items() if k not in sender_side}
    # the content score a Python policy sees is shifted by the receiver's reputation levels, as the built-in's
    assert rb["deciding_stage"]["custom_policy"] == ra["deciding_stage"]["content_filter"] > 0
    for k, v in a.arrays().items():
        assert np.array_equal(v, b.arrays()[k]), k


def test_a_python_policy_changes_a_world_and_is_thread_independent():
    w = world.load(SMALL)
    w.scenario.profiles[w.receiver_names[0]].policies.add(Coin(0.5))
    one = world.run(w, seed=5, threads=1)
    two = world.run(w, seed=5, threads=2)
    assert one == two
    assert one.report()["deciding_stage"]["custom_policy"] > 0
    plain = world.run(world.load(SMALL), seed=5, threads=2)
    assert one.outcomes["spam_folder"] > plain.outcomes["spam_folder"]


def test_worlds_with_python_policies_load_pickle_and_need_their_objects(tmp_path):
    w = world.load(SMALL)
    w.scenario.profiles[w.receiver_names[1]].policies.add(Coin(0.25))
    w.save(tmp_path / "w.json")
    with pytest.raises(ValueError, match="coin"):
        world.load(tmp_path / "w.json")  # the file names a Python policy it was not given
    again = world.load(tmp_path / "w.json", policies=[Coin(0.25)])
    assert again == w
    assert world.parse(w.to_json(), policies={"coin": Coin(0.25)}) == w
    r = world.run(w, seed=2, threads=1)
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        w2 = pickle.loads(pickle.dumps(w, protocol))
        assert w2 == w and w2.python_policies["coin"].p == 0.25
        r2 = pickle.loads(pickle.dumps(r, protocol))
        assert r2 == r and r2.world.python_policies["coin"].p == 0.25
    assert world.run(w2, seed=2, threads=2) == r
    with pytest.raises(TypeError, match="a _core.World with Python policies does not pickle"):
        pickle.dumps(w._core)


def test_a_python_policy_error_stops_the_world_run():
    class Boom(Coin):
        name = "boom"

        def evaluate(self, message, attempt, rng):
            raise RuntimeError("no")

    w = world.load(SMALL)
    w.scenario.profiles[w.receiver_names[0]].policies.add(Boom())
    with pytest.raises(RuntimeError, match="no"):
        world.run(w, seed=1, threads=2)
