"""Custom policies written in Python (delivsim.Policy): equal to the built-ins they re-implement,
independent of the thread count, reproducible draws, errors that name the policy, pickling,
explain, and the CLI's refusal."""
from __future__ import annotations

import json
import os
import pathlib
import pickle
import re
import subprocess
import sys
import textwrap

import pytest

import delivsim
from delivsim import Policy, Verdict, _core

REPO = pathlib.Path(__file__).resolve().parents[2]


class PySizeLimit(Policy):
    """size_limit in Python: larger than max_bytes is refused with 552 5.3.4."""

    phase = "envelope"

    def __init__(self, name: str, max_bytes: int) -> None:
        self.name = name
        self.max_bytes = max_bytes

    def evaluate(self, message, attempt, rng):
        if message.size_bytes > self.max_bytes:
            return Verdict.reject("message_too_big", "sender_content")
        return None


class PyContentFilter(Policy):
    """content_filter in Python: score plus DMARC adjustment against thresholds, highest first;
    blamed on the sender's configuration when the adjustment alone pushed the score over."""

    phase = "data"

    def __init__(self, name: str, adjustment: dict, actions: list) -> None:
        self.name = name
        self.adjustment = adjustment
        self.actions = sorted(((a["min_score"], a["action"]) for a in actions), reverse=True)

    def level(self, score):
        return next((i for i, (min_score, _) in enumerate(self.actions) if score >= min_score), len(self.actions))

    def evaluate(self, message, attempt, rng):
        adjustment = self.adjustment.get(message.dmarc, 0.0)
        score = message.content_score + adjustment
        k = self.level(score)
        if k == len(self.actions):
            return None
        who = "sender_configuration" if adjustment > 0 and self.level(score - adjustment) > k else "sender_content"
        action = self.actions[k][1]
        if action == "reject":
            return Verdict.reject("content_rejected", who)
        return Verdict.file("quarantined" if action == "quarantine" else action, who)


class Coin(Policy):
    """Files a share of the mail into spam by its own draw, per attempt."""

    name = "coin"
    phase = "data"

    def __init__(self, p: float = 0.3) -> None:
        self.p = p

    def evaluate(self, message, attempt, rng):
        if rng.uniform(attempt.index) < self.p:
            return Verdict.file("spam_folder", "receiver_policy")
        return None


def replace_everywhere(s: delivsim.Scenario, builtin: str, make) -> delivsim.Scenario:
    """A copy of ``s`` with the built-in ``builtin`` of every profile replaced by make(profile, entry)."""
    t = s.copy()
    for p in t.profiles:
        if builtin not in p.policies:
            continue
        i = p.policies.keys().index(builtin)
        entry = p.policies[builtin].to_dict()
        del p.policies[i]
        p.policies.insert(i, make(p.name, entry))
    return t


def same_counts_but_the_stage(a: delivsim.Result, b: delivsim.Result, builtin: str) -> None:
    ra, rb = a._rep(), b._rep()
    for key in ("outcomes", "bounces", "by_class", "by_profile", "by_class_profile", "responsible", "sender_told",
                "acceptance_time_s", "bounces_by_class", "bounces_by_profile"):
        assert ra[key] == rb[key], key
    stages_a, stages_b = dict(ra["deciding_stage"]), dict(rb["deciding_stage"])
    assert stages_a[builtin] > 0
    assert stages_b["custom_policy"] == stages_a[builtin]
    assert stages_b[builtin] == 0
    stages_a[builtin] = stages_b[builtin] = 0
    stages_a["custom_policy"] = stages_b["custom_policy"] = 0
    assert stages_a == stages_b
    assert (a.acceptance_times == b.acceptance_times).all()


def test_python_size_limit_gives_the_builtins_counts():
    s = delivsim.default_scenario()
    py = replace_everywhere(s, "size_limit", lambda prof, e: PySizeLimit(f"size_{prof}", e["max_bytes"]))
    assert py.profiles["G"].policies.types[1] == "python"
    same_counts_but_the_stage(delivsim.run(s, messages=150_000, seed=7, threads=1),
                              delivsim.run(py, messages=150_000, seed=7, threads=1), "size_limit")


def test_python_content_filter_gives_the_builtins_counts():
    s = delivsim.default_scenario()
    py = replace_everywhere(s, "content_filter", lambda prof, e: PyContentFilter(
        f"content_{prof}", e.get("dmarc_adjustment", {}), e["actions"]))
    same_counts_but_the_stage(delivsim.run(s, messages=150_000, seed=3, threads=2),
                              delivsim.run(py, messages=150_000, seed=3, threads=2), "content_filter")


def test_results_do_not_depend_on_the_thread_count():
    s = delivsim.default_scenario()
    s.profiles["G"].policies.add(Coin())
    s.profiles["C"].policies.insert(0, PySizeLimit("tiny", 20_000))  # connect phase? no: envelope, before dnsbl
    with pytest.raises(ValueError, match=r"'dnsbl' \(connect phase\) cannot come after Python policy 'tiny'"):
        s.validate()
    del s.profiles["C"].policies["tiny"]
    s.profiles["C"].policies.add(PySizeLimit("tiny", 20_000))
    keys = s.profiles["C"].policies.keys()
    assert keys.index("tiny") == keys.index("dmarc_disposition") - 1  # the last of the envelope phase
    # 3 chunks of 65536: the workers are not the calling thread.
    one = delivsim.run(s, messages=140_000, seed=11, threads=1)
    two = delivsim.run(s, messages=140_000, seed=11, threads=2)
    assert one.to_json() == two.to_json()
    assert one._rep()["deciding_stage"]["custom_policy"] > 10_000
    split = delivsim.run(s, messages=70_000, seed=11) + delivsim.run(s, messages=70_000, seed=11, first_message=70_000)
    assert split.to_json() == one.to_json()


def test_draws_are_a_pure_function_of_seed_message_name_and_k():
    seen: dict = {}

    class Recorder(Policy):
        phase = "data"

        def __init__(self, name: str) -> None:
            self.name = name

        def evaluate(self, message, attempt, rng):
            key = (self.name, rng.seed, message.index, attempt.index)
            draws = (rng.uniform(0), rng.uniform(1), rng.uniform(10**12))
            assert all(0.0 < u < 1.0 for u in draws)
            assert seen.setdefault(key, draws) == draws  # the same on a second run
            return None

    s = delivsim.default_scenario()
    s.profiles["G"].policies.add(Recorder("a"))
    s.profiles["G"].policies.add(Recorder("b"))
    for _ in range(2):
        delivsim.run(s, messages=3000, seed=5, threads=1)
    a = {k[1:]: v for k, v in seen.items() if k[0] == "a"}
    b = {k[1:]: v for k, v in seen.items() if k[0] == "b"}
    assert a.keys() == b.keys() and len(a) > 1000
    assert all(a[k] != b[k] for k in a)  # each name has its own stream
    assert len({v[0] for v in a.values()}) > 0.99 * len({k[:2] for k in a})  # differs between messages
    delivsim.run(s, messages=3000, seed=6, threads=1)
    six = {k[1:]: v for k, v in seen.items() if k[0] == "a" and k[1] == 6}
    assert all(six[(6,) + k[1:]] != a[k] for k in a if (6,) + k[1:] in six)


def test_an_exception_stops_the_run_and_is_reraised_with_the_policys_name():
    class Broken(Policy):
        name = "broken_filter"

        def evaluate(self, message, attempt, rng):
            if message.index >= 100_000:
                return 1 / 0
            return None

    s = delivsim.default_scenario()
    broken = Broken()
    for profile in ("G", "C", "H"):
        s.profiles[profile].policies.add(broken)
    for threads in (1, 2):
        with pytest.raises(ZeroDivisionError) as info:
            delivsim.run(s, messages=200_000, seed=1, threads=threads)
        notes = getattr(info.value, "__notes__", [])
        if sys.version_info >= (3, 11):
            assert len(notes) == 1
            assert re.fullmatch(r"raised by delivsim policy 'broken_filter' evaluating message (\d+), attempt \d+ \(seed 1\)",
                                notes[0])
            assert int(re.search(r"message (\d+)", notes[0]).group(1)) >= 100_000
        assert info.traceback[-1].name == "evaluate"  # the Python frame is kept
    assert delivsim.explain(s, message=99_999, seed=1)["outcome"]  # before the failing messages
    with pytest.raises(ZeroDivisionError):
        for i in range(100_000, 100_100):  # the first that reaches the data phase raises
            delivsim.explain(s, message=i, seed=1)


def test_a_bad_return_value_is_a_type_error_naming_the_policy():
    class Sloppy(Policy):
        name = "sloppy"

        def evaluate(self, message, attempt, rng):
            return "spam_folder"

    s = delivsim.default_scenario()
    s.profiles["G"].policies.add(Sloppy())
    with pytest.raises(TypeError, match=r"^policy 'sloppy': evaluate\(\) returned str, expected a delivsim.Verdict"):
        delivsim.run(s, messages=1000, seed=1)


def test_verdicts_check_their_names():
    assert Verdict.reject("content_rejected", "sender_content").status == "content_rejected"
    assert Verdict.file("quarantined", "receiver_policy").folder == "quarantined"
    assert Verdict.temp_fail().status == "greylisted"
    assert Verdict.proceed().action == "proceed"
    assert Verdict.reject("message_too_big", "sender_content") == Verdict.reject("message_too_big", "sender_content")
    assert repr(Verdict.reject("message_too_big", "sender_content")).endswith("# 552 5.3.4")
    v = Verdict.file("spam_folder", "sender_content")
    assert pickle.loads(pickle.dumps(v)) == v
    with pytest.raises(ValueError, match=r"reject status: 'greylisted' is not one of bad_destination, unknown_user"):
        Verdict.reject("greylisted", "receiver_policy")
    with pytest.raises(ValueError, match=r"temp_fail status: 'unknown_user' is not one of mailbox_full_temporary, greylisted"):
        Verdict.temp_fail("unknown_user")
    with pytest.raises(ValueError, match=r"file folder: 'bounced' is not one of inbox, rule_moved, spam_folder"):
        Verdict.file("bounced", "none")
    with pytest.raises(ValueError, match=r"responsible: 'nobody' is not one of none, sender_configuration"):
        Verdict.file("spam_folder", "nobody")
    with pytest.raises(TypeError):
        Verdict.file(3, "none")  # type: ignore[arg-type]


def test_policies_are_checked_when_they_are_inserted():
    class NoEvaluate(Policy):
        name = "lazy"

    class BadPhase(Coin):
        name = "bad_phase"
        phase = "body"

    s = delivsim.default_scenario()
    with pytest.raises(TypeError, match=r"policy 'lazy': .*NoEvaluate does not implement evaluate"):
        s.profiles["G"].policies.add(NoEvaluate())
    with pytest.raises(ValueError, match=r"policy 'bad_phase': phase must be one of connect, envelope, data, mailbox"):
        s.profiles["G"].policies.add(BadPhase())
    coin = Coin()
    s.profiles["G"].policies.add(coin)
    with pytest.raises(ValueError, match="already has a Python policy named 'coin'"):
        s.profiles["G"].policies.add(coin)
    # Another object under the same name elsewhere in the scenario: refused.
    with pytest.raises(ValueError, match="already has a different Python policy named 'coin'"):
        s.profiles["C"].policies.add(Coin(0.9))
    # The same object may serve several profiles.
    s.profiles["C"].policies.add(s.python_policies["coin"])
    assert list(s.python_policies) == ["coin"]
    assert s.profiles["C"].policies["coin"].to_dict() == {"type": "python", "name": "coin", "phase": "data"}
    assert "coin (python)" in repr(s)

    # Changing the object's phase after insertion: the loader names the mismatch.
    class Movable(Coin):
        name = "movable"

    m = Movable()
    s.profiles["H"].policies.add(m)
    m.phase = "envelope"
    with pytest.raises(ValueError, match=r"recipient_profiles\[2\]\.policies\[\d\]\.phase: 'data', but Python policy "
                                         r"'movable' has phase 'envelope'"):
        s.validate()


def test_a_scenario_document_needs_its_policy_objects():
    s = delivsim.default_scenario()
    s.profiles["G"].policies.add(Coin())
    text = s.to_json()
    assert json.loads(text)["recipient_profiles"][0]["policies"][-2] == {"type": "python", "name": "coin", "phase": "data"}
    with pytest.raises(ValueError, match=r"policies\[\d\]\.name: no Python policy named 'coin' was given \(given: none\)"):
        delivsim.parse_scenario(text)
    again = delivsim.parse_scenario(text, policies=[Coin()])
    assert list(again.python_policies) == ["coin"]
    assert delivsim.run(again, messages=5000, seed=2).outcomes == delivsim.run(s, messages=5000, seed=2).outcomes


def test_the_cli_refuses_a_python_policy_with_a_clear_error(tmp_path):
    cli = os.environ.get("DELIVSIM_CLI", str(REPO / "build" / "delivsim"))
    if not os.path.exists(cli):
        pytest.skip("the delivsim CLI is not built")
    s = delivsim.default_scenario()
    s.profiles["G"].policies.add(Coin())
    path = tmp_path / "with_python.json"
    path.write_text(s.to_json())
    for command in (["run", str(path), "--messages", "10", "--quiet"], ["validate", str(path)]):
        proc = subprocess.run([cli, *command], capture_output=True, text=True)
        assert proc.returncode == 2
        assert proc.stderr == ("delivsim: error: recipient_profiles[0].policies[6].type: policy 'coin' is written in "
                               "Python: run it from the delivsim Python package\n")


def test_explain_names_the_policy_and_its_verdict():
    s = delivsim.default_scenario()
    s.profiles["G"].policies.add(Coin(p=1.0))
    r = delivsim.run(s, messages=2000, seed=1)
    decided = [r.explain(message=i) for i in range(200)]
    mine = [e for e in decided if e["stage"] == "custom_policy"]
    assert mine and all(e["policy"] == "coin" and e["outcome"] == "spam_folder" for e in mine)
    last = mine[0]["attempts"][-1]
    assert last["policy"] == "coin" and last["filed"] == "spam_folder" and last["stage"] == "custom_policy"


def test_scenarios_and_results_with_python_policies_pickle():
    s = delivsim.default_scenario()
    s.profiles["G"].policies.add(Coin(0.25))
    r = delivsim.run(s, messages=5000, seed=4)
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        s2 = pickle.loads(pickle.dumps(s, protocol))
        assert s2 == s and s2.python_policies["coin"].p == 0.25
        r2 = pickle.loads(pickle.dumps(r, protocol))
        assert r2.outcomes == r.outcomes and r2.scenario.python_policies["coin"].p == 0.25
    assert delivsim.run(s2, messages=5000, seed=4).outcomes == r.outcomes
    with pytest.raises(TypeError, match="a _core.Scenario with Python policies does not pickle: pickle the delivsim.Scenario"):
        pickle.dumps(s._core)


def test_a_policy_class_from_main_does_not_cross_processes_and_says_why(tmp_path):
    # Pickled by a script that defines the class in __main__, unpickled by another process.
    blob = tmp_path / "scenario.pickle"
    writer = textwrap.dedent(f"""
        import pickle, delivsim
        class InMain(delivsim.Policy):
            name = "in_main"
            def evaluate(self, message, attempt, rng):
                return None
        s = delivsim.default_scenario()
        s.profiles["G"].policies.add(InMain())
        open({str(blob)!r}, "wb").write(pickle.dumps(s))
    """)
    subprocess.run([sys.executable, "-c", writer], check=True)
    proc = subprocess.run([sys.executable, "-c", f"import pickle; pickle.loads(open({str(blob)!r}, 'rb').read())"],
                          capture_output=True, text=True)
    assert proc.returncode == 1  # an exception, not a crash
    assert "AttributeError: Can't get attribute 'InMain' on <module '__main__'" in proc.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals")
@pytest.mark.parametrize("threads", [1, 2])
def test_ctrl_c_stops_a_run_with_a_python_policy_within_a_second(threads):
    import signal
    import threading
    import time

    s = delivsim.default_scenario()
    s.profiles["G"].policies.add(Coin())
    sent = []
    timer = threading.Timer(0.5, lambda: (sent.append(time.monotonic()), os.kill(os.getpid(), signal.SIGINT)))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            delivsim.run(s, messages=10**9, seed=1, threads=threads)  # minutes: running at the signal
            time.sleep(5)
    finally:
        timer.cancel()
    assert sent and time.monotonic() - sent[0] < 1.0


def test_results_merge_only_if_the_python_policies_are_the_same():
    s = delivsim.default_scenario()
    s.profiles["G"].policies.add(Coin(0.3))
    other = delivsim.default_scenario()
    other.profiles["G"].policies.add(Coin(0.4))  # the same document, another parameter
    assert s.to_json() == other.to_json() and s != other
    a = delivsim.run(s, messages=1000, seed=1)
    with pytest.raises(ValueError, match="results of different scenarios"):
        a + delivsim.run(other, messages=1000, seed=1, first_message=1000)
    # A copy that went through pickle (as to a Dask worker) is the same scenario.
    remote = pickle.loads(pickle.dumps(s))
    assert remote == s and remote.python_policies["coin"] is not s.python_policies["coin"]
    merged = a + delivsim.run(remote, messages=1000, seed=1, first_message=1000)
    assert merged.outcomes == delivsim.run(s, messages=2000, seed=1).outcomes


def test_uninitialised_objects_are_refused_not_read():
    blank = _core.Verdict.__new__(_core.Verdict)
    with pytest.raises(TypeError, match="was not initialised"):
        blank.action
    with pytest.raises(TypeError, match="was not initialised"):
        repr(blank)

    class Blank(Policy):
        name = "blank"

        def evaluate(self, message, attempt, rng):
            return blank

    s = delivsim.default_scenario()
    s.profiles["G"].policies.add(Blank())
    with pytest.raises(TypeError, match="was not initialised"):
        delivsim.run(s, messages=1000, seed=1)
    for cls in (_core.PolicyMessage, _core.PolicyAttempt, _core.PolicyRng):
        with pytest.raises(TypeError):
            cls()
        with pytest.raises(TypeError, match="was not initialised"):
            repr(cls.__new__(cls))


def test_compare_runs_python_policies_of_the_scenario_and_of_the_strategies():
    """A Python policy works in delivsim.compare both where the scenario has it and inside a
    strategy; either way each strategy's counts are exactly a plain run of its chains."""
    s = delivsim.default_scenario()
    with_coin = s.copy()
    with_coin.profiles["C"].policies.insert(5, Coin(0.2))
    lax = [{"type": "dnsbl"}, {"type": "content_filter", "actions": [{"min_score": 8, "action": "spam_folder"}]}]
    c = delivsim.compare(with_coin, {"as is": None, "lax at G": {"G": lax}}, messages=60_000, seed=11, threads=2)
    # The scenario's own Python policy runs under every strategy: "as is" is the plain run.
    assert c.results["as is"] == delivsim.run(with_coin, messages=60_000, seed=11, threads=1)
    assert c.results["as is"]._rep()["by_profile"]["C"]["spam_folder"] > 0
    assert c.results["lax at G"]._rep()["deciding_stage"]["custom_policy"] == \
        c.results["as is"]._rep()["deciding_stage"]["custom_policy"] > 0  # C is the same in both
    # A strategy's Python policy decides exactly as the built-in it re-implements.
    strict = [{"type": "dnsbl"}, {"type": "content_filter", "actions": [{"min_score": 4, "action": "spam_folder"}]}]
    py_strict = [{"type": "dnsbl"}, PyContentFilter("strict", {}, [{"min_score": 4, "action": "spam_folder"}])]
    c = delivsim.compare(s, {"strict": strict, "py strict": py_strict}, messages=60_000, seed=11, threads=2)
    same_counts_but_the_stage(c.results["strict"], c.results["py strict"], "content_filter")
    assert c.results["py strict"] == delivsim.run(c.results["py strict"].scenario.copy(), messages=60_000, seed=11,
                                                  threads=1)


def test_compare_refuses_two_python_policies_with_one_name():
    s = delivsim.default_scenario()
    a, b = PySizeLimit("limit", 10), PySizeLimit("limit", 20)
    with pytest.raises(ValueError, match=r"strategies\['b'\]\[0\]: another Python policy is already named 'limit'"):
        delivsim.compare(s, {"a": [a], "b": [b]}, messages=1000)


def test_explain_names_a_python_policy_inside_a_gateway():
    doc = delivsim.default_scenario().to_dict()
    for p in doc["recipient_profiles"]:
        if p["name"] == "C":
            p["policies"] = [{"type": "dnsbl"},
                             {"type": "gateway", "policies": [{"type": "python", "name": "coin", "phase": "data"}]}]
    s = delivsim.parse_scenario(json.dumps(doc), policies=[Coin(1.0)])
    for i in range(200):
        e = delivsim.explain(s, message=i, seed=2)
        if e["profile"] == "C" and e["stage"] == "custom_policy":
            assert e["policy"] == "coin" and e["outcome"] == "spam_folder"
            assert e["attempts"][-1]["policy"] == "coin"
            break
    else:
        raise AssertionError("no message of the first 200 was decided by the gateway's Python policy")
