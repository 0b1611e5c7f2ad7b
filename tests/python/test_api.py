"""Tests of the installed Python package `delivsim` (pip install --no-build-isolation .)."""
import collections
import importlib.metadata
import json
import os
import pathlib
import pickle
import signal
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest

import delivsim

REPO = pathlib.Path(__file__).resolve().parents[2]
R1 = REPO / "examples" / "scenarios" / "r1_article_world.json"
OUTCOMES = ["inbox", "rule_moved", "spam_folder", "quarantined", "rule_deleted", "silently_lost", "bounced"]


@pytest.fixture(scope="module")
def r1():
    return delivsim.load_scenario(R1)


@pytest.fixture(scope="module")
def small(r1):
    return delivsim.run(r1, messages=20_000, seed=7, threads=2)


def test_import_and_version():
    assert delivsim.__version__ == importlib.metadata.version("delivsim")
    assert pathlib.Path(delivsim._core.__file__).parent == pathlib.Path(delivsim.__file__).parent


def test_default_scenario_is_r1(r1):
    s = delivsim.default_scenario()
    assert s.name == "r1_article_world"
    assert s == r1
    assert s.class_names == ["T", "N", "P", "S"]
    assert s.profile_names == ["G", "C", "H"]
    assert s.attempt_times[0] == 0.0
    assert s.to_dict() == json.loads(R1.read_text())
    assert "r1_article_world" in repr(s)


def test_parse_scenario_from_text_and_dict(r1):
    assert delivsim.parse_scenario(R1.read_text()) == r1
    assert delivsim.parse_scenario(r1.to_dict()) == r1
    with pytest.raises(TypeError, match="source"):
        delivsim.parse_scenario(42)


def test_broken_scenario_names_the_field(r1, tmp_path):
    doc = r1.to_dict()
    doc["sender_classes"][0]["ip_listed"] = 1.3
    with pytest.raises(ValueError) as err:
        delivsim.parse_scenario(doc)
    assert "1.3 is not a probability" in str(err.value)
    assert "sender_classes[0].ip_listed" in str(err.value)

    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match=r"sender_classes\[0\]\.ip_listed: 1\.3 is not a probability"):
        delivsim.load_scenario(broken)

    with pytest.raises(ValueError, match="line 1"):
        delivsim.parse_scenario("{ not json")
    with pytest.raises(FileNotFoundError, match="missing.json"):  # Python's own exception
        delivsim.load_scenario(tmp_path / "missing.json")


def test_small_run(small):
    assert small.messages == 20_000
    assert list(small.outcomes) == OUTCOMES
    assert sum(small.outcomes.values()) == small.messages
    assert sum(sum(c.values()) for c in small.by_class.values()) == small.messages
    assert sum(sum(p.values()) for p in small.by_profile.values()) == small.messages
    assert sum(small.bounces.values()) == small.outcomes["bounced"]
    assert set(small.acceptance_time_s) == {"p50", "p90", "p99"}
    hist = small.acceptance_times
    assert isinstance(hist, np.ndarray) and hist.dtype == np.uint64
    assert len(hist) == len(small.scenario.attempt_times)
    accepted = small.messages - small.outcomes["bounced"] - small.outcomes["silently_lost"]
    assert int(hist.sum()) == accepted
    report = json.loads(small.to_json())
    assert report["messages"] == 20_000 and report["seed"] == 7
    assert small.to_dict() == report
    assert "messages=20,000" in repr(small)


def test_threads_do_not_change_results(r1):
    # Several chunks (of 65536 messages), so that threads really share the work.
    one = delivsim.run(r1, messages=300_000, seed=3, threads=1)
    two = delivsim.run(r1, messages=300_000, seed=3, threads=2)
    assert one.outcomes == two.outcomes
    assert one.to_json() == two.to_json()
    assert one == two


def test_split_runs_merge_exactly(r1):
    whole = delivsim.run(r1, messages=200_000, seed=11, threads=2)
    head = delivsim.run(r1, messages=70_001, seed=11, threads=2)
    tail = delivsim.run(r1, messages=129_999, seed=11, threads=1, first_message=70_001)
    assert head + tail == whole
    assert sum([tail, head]) == whole
    assert (head + tail).message_ranges == ((0, 200_000),)
    with pytest.raises(ValueError, match="overlap"):
        head + head
    with pytest.raises(ValueError, match="seeds"):
        head + delivsim.run(r1, messages=10, seed=12, first_message=70_001)
    other = r1.to_dict()
    other["name"] = "other"
    with pytest.raises(ValueError, match="scenarios"):
        head + delivsim.run(delivsim.parse_scenario(other), messages=10, seed=11, first_message=70_001)


def test_to_frame(small):
    frame = small.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == [
        "group_kind", "group", "outcome", "count", "messages", "rate", "ci_low", "ci_high"]
    assert set(frame.group_kind) == {"overall", "class", "profile", "truth"}
    groups = frame.groupby(["group_kind", "group"])
    assert len(groups) == 1 + 4 + 3 + 2
    np.testing.assert_allclose(groups.rate.sum(), 1.0)
    assert (groups["count"].sum() == groups.messages.first()).all()
    assert (frame.ci_low <= frame.rate).all() and (frame.rate <= frame.ci_high).all()
    overall = frame[frame.group_kind == "overall"].set_index("outcome")
    assert overall["count"].to_dict() == small.outcomes
    assert (overall.messages == small.messages).all()


def test_explain_agrees_with_the_run(r1, small):
    for index in [0, 1, 2, 17, 1234, 19_999, 10**12]:
        path = delivsim.explain(r1, message=index, seed=7)
        for field in ["message", "sender_class", "profile", "attempts", "outcome", "responsible", "stage", "time_s"]:
            assert field in path
        assert path["message"] == index and path["seed"] == 7
        one = delivsim.run(r1, messages=1, seed=7, threads=1, first_message=index)
        assert one.outcomes[path["outcome"]] == 1
        assert one.by_class[path["sender_class"]][path["outcome"]] == 1
        assert one.by_profile[path["profile"]][path["outcome"]] == 1
        if index < small.messages:  # a Result explains only the messages it ran
            assert small.explain(message=index) == path
    assert delivsim.explain(None, message=5) == delivsim.explain(delivsim.default_scenario(), message=5, seed=1)


@pytest.mark.parametrize(
    "kwargs, error, name",
    [
        ({"messages": -1}, ValueError, "messages"),
        ({"messages": 1.5}, TypeError, "messages"),
        ({"messages": True}, TypeError, "messages"),
        ({"messages": 2**63}, ValueError, "messages"),
        ({"seed": "1"}, TypeError, "seed"),
        ({"seed": -1}, ValueError, "seed"),
        ({"seed": 2**64}, ValueError, "seed"),
        ({"threads": 0}, ValueError, "threads"),
        ({"threads": 2.0}, TypeError, "threads"),
        ({"first_message": -5}, ValueError, "first_message"),
        ({"first_message": 2**63 - 5, "messages": 10}, ValueError, "first_message"),
        ({"scenario": "r1_article_world"}, TypeError, "scenario"),
        ({"progress": 3}, TypeError, "progress"),
    ],
)
def test_bad_run_arguments(kwargs, error, name):
    with pytest.raises(error, match=name):
        delivsim.run(**{"messages": 10, **kwargs})


def test_bad_explain_arguments(r1):
    with pytest.raises(ValueError, match="message"):
        delivsim.explain(r1, message=-1)
    with pytest.raises(TypeError, match="seed"):
        delivsim.explain(r1, message=0, seed=1.0)


def test_numpy_integers_are_accepted(r1):
    assert delivsim.run(r1, messages=np.int64(100), seed=np.uint64(7), threads=np.int32(1)).messages == 100


def test_pickle_round_trip(small):
    back = pickle.loads(pickle.dumps(small))
    assert back == small
    assert back.to_json() == small.to_json()
    assert back.scenario == small.scenario and back.seed == small.seed
    assert np.array_equal(back.acceptance_times, small.acceptance_times)
    merged = pickle.loads(pickle.dumps(small + delivsim.run(small.scenario, 5, seed=7, first_message=20_000)))
    assert merged.message_ranges == ((0, 20_005),)


def test_progress_callback(r1):
    seen = []
    delivsim.run(r1, messages=300_000, threads=2, progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1] == (300_000, 300_000)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_progress_callback_error_stops_the_run(r1):
    def fail(done, total):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        delivsim.run(r1, messages=10**9, threads=2, progress=fail)


def test_progress_bar(r1, capsys):
    delivsim.run(r1, messages=1000, threads=1, progress=True)
    assert "1000/1000" in capsys.readouterr().err


def test_gil_is_released_during_a_run(r1):
    # The run's thread notes the time just before and after the call. Were the GIL held
    # during the run, the main thread could not count anything well inside that window.
    window = []

    def simulate():
        window.append(time.monotonic())
        delivsim.run(r1, messages=10_000_000, threads=1)
        window.append(time.monotonic())

    per_10ms = collections.Counter()
    worker = threading.Thread(target=simulate)
    worker.start()
    while worker.is_alive():
        per_10ms[int(time.monotonic() * 100)] += 1
    worker.join()
    start, end = window
    assert end - start > 0.3, "the run was too short to observe: raise its message count"
    inside = sum(n for t, n in per_10ms.items() if start + 0.1 <= t / 100 and (t + 1) / 100 <= end - 0.1)
    assert inside > 1000


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals")
def test_ctrl_c_stops_a_run(r1):
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    start = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            # Long enough to be running at the signal: over a minute on 2 cores. Should the
            # run end first, sleeping here keeps the late interrupt inside this block.
            delivsim.run(r1, messages=10**9, threads=2)
            time.sleep(5)
    finally:
        timer.cancel()
    assert time.monotonic() - start < 10


def test_checkpoint_and_resume_from_python(tmp_path):
    """A checkpoint written by one run resumes in another to the uninterrupted totals; a
    checkpoint of another seed is refused with ValueError."""
    scenario = delivsim.default_scenario()
    path = tmp_path / "run.ckpt"
    whole = delivsim.run(scenario, messages=300_000, seed=12, threads=2)
    done = delivsim.run(scenario, messages=300_000, seed=12, threads=2, checkpoint=path, checkpoint_interval=0)
    assert done.outcomes == whole.outcomes
    assert path.exists()
    again = delivsim.run(scenario, messages=300_000, seed=12, threads=1, resume=path)  # all chunks done: no work
    assert again.outcomes == whole.outcomes
    with pytest.raises(ValueError, match="was written for seed 12, this run has 13"):
        delivsim.run(scenario, messages=300_000, seed=13, resume=path)
    with pytest.raises(ValueError, match="checkpoint_interval"):
        delivsim.run(scenario, messages=10, checkpoint=path, checkpoint_interval=-1)
