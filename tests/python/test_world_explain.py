"""Explaining one world message (delivsim.world.explain, delivsim world --explain): exactly as
it went in the full run, every attempt with the receiver's state it met, and its fate."""
import collections
import json
import os
import pathlib
import subprocess

import pytest

from delivsim import world

REPO = pathlib.Path(__file__).resolve().parents[2]
SMALL = REPO / "tests" / "data" / "world" / "stateful_small.json"
CLI = os.environ.get("DELIVSIM_CLI", str(REPO / "build" / "delivsim"))
PROBE_MESSAGES = 24


@pytest.fixture(scope="module")
def probed():
    """The small world with a new sender whose one campaign is small enough to explain whole."""
    w = world.load(SMALL)
    shop = w.senders["shop"].to_dict()
    w.senders.append(dict(shop, name="probe", domain="probe.example", ips=["198.51.100.7"],
                          schedule=[{"type": "campaign", "id": "probe", "list": "customers", "at_s": 100_000,
                                     "messages": PROBE_MESSAGES, "spread_s": 3600}]))
    w.validate()
    return w


def test_every_message_explained_adds_up_to_the_full_run(probed):
    run = world.run(probed, seed=7, threads=2)
    probe = len(probed.sender_names) - 1
    outcomes, deferrals, greylisted_then_passed = collections.Counter(), 0, 0
    for serial in range(PROBE_MESSAGES):
        e = world.explain(probed, seed=7, message=world.message_id(probe, 0, serial), threads=2)
        assert (e["sender"], e["schedule_item"], e["serial"], e["world"]) == ("probe", 0, serial, probed.name)
        outcomes[e["outcome"]] += 1
        attempts = e["attempts"]
        decided_at_an_attempt = bool(attempts) and e["stage"] != "retry_queue"
        deferrals += len(attempts) - (1 if decided_at_an_attempt else 0)
        for a in attempts:
            state = a["receiver_state"]
            assert state["time_s"] >= 100_000 and state["sending_ip"] == "198.51.100.7"
            assert {"rate_limit", "reputation", "mailbox"} <= set(state)
            assert state["reputation"]["level"] in world.LEVELS
        stages = [a["stage"] for a in attempts]
        if stages[:1] == ["greylist"] and stages[-1] != "greylist":  # deferred, then past the greylist on a retry
            greylisted_then_passed += 1
            assert attempts[0]["reply"]["enhanced"] == "4.2.0" and attempts[-1]["time_s"] > attempts[0]["time_s"]
            assert e["receiver"] == "corp"
    rep = run.report()
    assert dict(outcomes) == {k: v for k, v in rep["by_class"]["probe"].items() if v}
    assert deferrals == int(run.arrays()["sender_deferrals"][:, probe].sum())
    assert greylisted_then_passed > 0  # the probe is new to corp's greylist


def test_explain_is_the_run_whatever_the_threads(probed):
    probe = len(probed.sender_names) - 1
    one = world.explain(probed, seed=3, message=world.message_id(probe, 0, 5), threads=1)
    assert world.explain(probed, seed=3, message=world.message_id(probe, 0, 5), threads=4) == one
    assert one["format"] == "delivsim-world-explain/1" and one["seed"] == 3


def test_arguments(probed):
    with pytest.raises(TypeError):
        world.explain(probed, 1, 2)  # keyword-only, as delivsim.explain
    with pytest.raises(ValueError, match="sent no message"):
        world.explain(probed, seed=1, message=world.message_id(0, 7, 0))
    with pytest.raises(ValueError, match="seed must be at least 0"):
        world.explain(probed, seed=-1, message=0)
    assert world.message_id(2, 1, 5) == (2 << 44) | (1 << 32) | 5


def test_cli_explain_equals_python(probed, tmp_path):
    path = tmp_path / "probed.json"
    probed.save(path)
    probe = len(probed.sender_names) - 1
    mid = world.message_id(probe, 0, 3)
    done = subprocess.run([CLI, "world", str(path), "--seed", "7", "--explain", str(mid), "--json", "-"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == world.explain(probed, seed=7, message=mid)
    text = subprocess.run([CLI, "world", str(path), "--seed", "7", "--explain", str(mid)],
                          capture_output=True, text=True, timeout=300)
    assert text.returncode == 0, text.stderr
    assert "sender probe (schedule item 0, serial 3)" in text.stdout
    assert "the receiver's state at each attempt" in text.stdout and "outcome:" in text.stdout
    bad = subprocess.run([CLI, "world", str(path), "--explain", str(world.message_id(0, 9, 0))],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "sent no message" in bad.stderr
