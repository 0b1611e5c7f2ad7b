"""Who is responsible: truth apart, blame by cause, counterfactual attribution, who is told,
and traces. The scenarios are made by hand so that every answer is known exactly."""
from __future__ import annotations

import copy
import json
import os
import pathlib
import subprocess

import pytest

import delivsim

ROOT = pathlib.Path(__file__).resolve().parents[2]
CLI = pathlib.Path(os.environ.get("DELIVSIM_CLI", ROOT / "build" / "delivsim"))
N = 2000


def clean_class(name="L", legit=True, weight=1.0):
    """A class with nothing wrong: no address errors, unlisted IP, small, DMARC pass, score 0."""
    return {"name": name, "weight": weight, "legit": legit,
            "address_error": {"probability": 0.0, "kinds": {"nxdomain": 1.0, "unknown_user": 0.0, "typosquat": 0.0}},
            "ip_listed": 0.0, "size_bytes": [{"bytes": 20000, "weight": 1.0}], "dmarc": {"pass": 1.0},
            "content_score": {"mean": 0.0, "sd": 0.0}}


def scenario(classes, policies, *, down=0.0, retry=None, name="hand_made"):
    return delivsim.parse_scenario({
        "format": "delivsim-scenario/1", "name": name,
        "retry": retry or {"first_retry_s": 300, "backoff_factor": 2, "max_backoff_s": 4000, "lifetime_s": 86400},
        "sender_classes": classes,
        "recipient_profiles": [{"name": "R", "weight": 1.0, "mx": [{"host": "mx.r.example", "preference": 10, "down": down}],
                                "policies": policies}],
    })


def only_failure(factor):
    """A scenario whose class L loses every message for one reason only, fixed by `factor`."""
    c = clean_class()
    policies = []
    down = 0.0
    if factor == "authentication":
        c["dmarc"] = {"fail_reject": 1.0}
        policies = [{"type": "dmarc_disposition", "fail_reject": "reject", "fail_quarantine": "spam_folder"}]
    elif factor == "ip_reputation":
        c["ip_listed"] = 1.0
        policies = [{"type": "dnsbl"}]
    elif factor == "content":
        c["content_score"] = {"mean": 8.0, "sd": 1.0}
        policies = [{"type": "content_filter", "actions": [{"min_score": 5, "action": "spam_folder"}]}]
    elif factor == "size":
        c["size_bytes"] = [{"bytes": 30_000_000, "weight": 1.0}]
        policies = [{"type": "size_limit", "max_bytes": 10_000_000}]
    elif factor == "attachment":
        c["attachment"] = {"min_size_bytes": 0, "probability": 1.0}
        policies = [{"type": "attachment_scanner", "false_positive": 1.0, "detection": 1.0}]
    elif factor == "address":
        c["address_error"]["probability"] = 1.0
    elif factor == "availability":
        down = 1.0
    elif factor == "quota":
        policies = [{"type": "mailbox_quota", "full": 1.0, "mode": "permanent"}]
    elif factor == "recipient_rules":
        policies = [{"type": "mailbox_rules", "by_class": {"L": {"delete": 1.0, "move": 0.0}}}]
    spam = clean_class("S", legit=False, weight=0.5)
    c["weight"] = 0.5
    return scenario([c, spam], policies, down=down)


@pytest.mark.parametrize("factor", delivsim._attribute.FACTORS)
def test_each_factor_rescues_exactly_its_own_failure(factor):
    a = delivsim.attribute(only_failure(factor), messages=N, seed=3, threads=2)
    frame = a.to_frame().set_index(["sender_class", "fix"])
    assert set(frame.index.get_level_values(0)) == {"L"}  # spam is not attributed
    lost = int(frame.loc[("L", factor), "lost"])
    assert 0 < lost == int(frame.loc[("L", factor), "legitimate"])  # every legitimate message lost
    for f in delivsim._attribute.FACTORS:
        assert int(frame.loc[("L", f), "rescued"]) == (lost if f == factor else 0), f
    sender = factor in delivsim._attribute.SENDER_FACTORS
    assert int(frame.loc[("L", "any sender-side fix"), "rescued"]) == (lost if sender else 0)
    assert int(frame.loc[("L", "only a receiver or recipient change"), "rescued"]) == (0 if sender else lost)
    assert int(frame.loc[("L", "no single fix"), "rescued"]) == 0
    row = frame.loc[("L", factor)]
    assert row.share == 1.0 and row.ci_high == 1.0 and 0.99 < row.ci_low < 1.0


def test_attribution_does_not_depend_on_threads_and_agrees_with_the_run(r1):
    one = delivsim.attribute(r1, messages=30_000, seed=5, threads=1).to_dict()
    two = delivsim.attribute(r1, messages=30_000, seed=5, threads=2).to_dict()
    assert one == two
    run = delivsim.run(r1, messages=30_000, seed=5, threads=2).to_dict()
    for cls, c in one["by_class"].items():
        assert c["lost"] == sum(run["by_class"][cls].values()) - run["by_class"][cls]["inbox"]
        parts = (c["any_sender_fix"]["count"] + c["only_receiver_or_recipient_fix"]["count"] +
                 c["no_single_fix"]["count"])
        assert parts == c["lost"]


def test_attribute_refuses_bad_input(r1):
    with pytest.raises(ValueError, match="factors: unknown factor 'luck'"):
        delivsim.attribute(r1, messages=10, factors=["luck"])
    with pytest.raises(TypeError, match="factors: each factor must be a str"):
        delivsim.attribute(r1, messages=10, factors=[3])
    with pytest.raises(TypeError, match="factors must be a list"):
        delivsim.attribute(r1, messages=10, factors="content")
    with pytest.raises(ValueError, match="given twice"):
        delivsim.attribute(r1, messages=10, factors=["content", "content"])
    with pytest.raises(TypeError, match="messages must be an int"):
        delivsim.attribute(r1, messages="10")


def test_attribute_cli_prints_and_writes_json(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps(only_failure("quota").to_dict()))
    out = tmp_path / "a.json"
    text = subprocess.run([str(CLI), "attribute", str(path), "--messages", "500", "--seed", "2", "--json", str(out)],
                          check=True, capture_output=True, text=True).stdout
    assert "quota" in text and "no single fix" in text
    j = json.loads(out.read_text())
    assert j["by_class"]["L"]["rescued_by"]["quota"]["count"] == j["by_class"]["L"]["lost"] > 0
    bad = subprocess.run([str(CLI), "attribute", "--messages", "10", "--factors", "content,luck"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown factor 'luck'" in bad.stderr


def test_truth_is_kept_apart_everywhere(r1):
    r = delivsim.run(r1, messages=20_000, seed=1, threads=2)
    d = r.to_dict()
    legit = [c for c in r1.class_names if d["truth_of_class"][c] == "legitimate"]
    assert legit == ["T", "N", "P"]
    for o in delivsim._results.OUTCOMES:
        assert d["by_truth"]["legitimate"][o] == sum(d["by_class"][c][o] for c in legit)
        assert d["by_truth"]["spam"][o] == d["by_class"]["S"][o]
    for who, n in d["responsible"].items():
        assert d["responsible_by_truth"]["legitimate"][who] + d["responsible_by_truth"]["spam"][who] == n
        assert sum(d["responsible_by_class"][c][who] for c in r1.class_names) == n
        assert sum(d["responsible_by_profile"][p][who] for p in r1.profile_names) == n
    for stage, n in d["deciding_stage"].items():
        assert sum(d["deciding_stage_by_class"][c][stage] for c in r1.class_names) == n
    f = r.to_frame("responsible")
    legit_rows = f[(f.group_kind == "truth") & (f.group == "legitimate")].set_index("responsible")
    assert legit_rows["count"].to_dict() == d["responsible_by_truth"]["legitimate"]
    assert set(r.to_frame("deciding_stage").group_kind) == {"overall", "class", "truth"}
    with pytest.raises(ValueError, match="what: unknown table 'luck'"):
        r.to_frame("luck")
    with pytest.raises(TypeError, match="what must be a str"):
        r.to_frame(3)


def test_cli_summary_shows_legitimate_mail_and_spam_apart():
    text = subprocess.run([str(CLI), "run", "--messages", "20000", "--seed", "1", "--quiet"], check=True,
                          capture_output=True, text=True).stdout
    assert "by truth" in text and "legitimate" in text
    assert "who was responsible for legitimate mail that missed the inbox" in text
    assert "spam kept out (all)" in text
    assert "how the sender of legitimate mail first learns" in text


@pytest.mark.parametrize("kind,who", [(None, "sender_reputation"), ("reputation", "sender_reputation"),
                                      ("policy", "sender_configuration"), ("shared", "shared_infrastructure")])
def test_a_dnsbl_listing_is_blamed_by_its_kind(kind, who):
    c = clean_class()
    c["ip_listed"] = 1.0
    if kind is not None:
        c["ip_listing"] = kind
    r = delivsim.run(scenario([c], [{"type": "dnsbl"}]), messages=300, seed=1, threads=1)
    assert r.to_dict()["responsible"][who] == 300


def test_an_unknown_listing_kind_is_refused():
    c = clean_class()
    c["ip_listing"] = "neighbour"
    with pytest.raises(ValueError, match=r"ip_listing.*'neighbour' is not one of"):
        scenario([c], [{"type": "dnsbl"}])


@pytest.mark.parametrize("mean,who", [(4.0, "sender_configuration"), (6.0, "sender_content")])
def test_a_score_verdict_is_blamed_on_the_adjustment_that_flipped_it(mean, who):
    c = clean_class()
    c["dmarc"] = {"none": 1.0}
    c["content_score"] = {"mean": mean, "sd": 0.0}
    s = scenario([c], [{"type": "content_filter", "dmarc_adjustment": {"none": 1.5},
                        "actions": [{"min_score": 5, "action": "spam_folder"}]}])
    r = delivsim.run(s, messages=200, seed=1, threads=1)
    assert r.outcomes["spam_folder"] == 200 and r.to_dict()["responsible"][who] == 200
    e = delivsim.explain(s, message=0, seed=1)
    assert e["score_components"] == {"content": mean, "authentication": 1.5, "reputation": 0.0}
    assert e["responsible"] == who


def test_who_is_told_and_when():
    # Every host down: each message bounces (4.4.7) when the queue lifetime is over, a day in.
    c = clean_class()
    retry = {"first_retry_s": 300, "backoff_factor": 2, "max_backoff_s": 4000, "lifetime_s": 86400}
    quiet = delivsim.run(scenario([c], [], down=1.0, retry=retry), messages=100, seed=1, threads=1).to_dict()
    last = quiet["attempt_times_s"][-1]
    assert quiet["delay_warning_s"] == 0
    assert quiet["notice"]["bounce"] == 100 and quiet["notice"]["delay_warning"] == 0
    assert quiet["notice"]["time_to_notice_s"]["p50"] == last
    warned = delivsim.run(scenario([c], [], down=1.0, retry={**retry, "delay_warning_s": 14400}), messages=100, seed=1,
                          threads=1).to_dict()
    assert warned["notice"] == {"never": 0, "bounce": 0, "delay_warning": 100,
                                "time_to_notice_s": {"p50": 14400.0, "p90": 14400.0, "p99": 14400.0}}
    assert warned["notice_by_truth"]["legitimate"]["delay_warning"] == 100
    # A clean scenario: delivered at once, nobody is told anything.
    fine = delivsim.run(scenario([c], [], retry={**retry, "delay_warning_s": 14400}), messages=100, seed=1).to_dict()
    assert fine["notice"]["never"] == 100
    f = delivsim.run(scenario([c], [], down=1.0, retry={**retry, "delay_warning_s": 14400}), messages=100,
                     seed=1).to_frame("notice")
    assert f[(f.group_kind == "truth") & (f.group == "legitimate") & (f.notice == "delay_warning")]["count"].item() == 100


def test_mta_models_warn_as_each_mta_ships():
    c = clean_class()
    for model, w in [("postfix", 0), ("exim", 86400), ("sendmail", 14400)]:
        d = delivsim.run(scenario([c], [], retry={"model": model}), messages=10, seed=1).to_dict()
        assert d["delay_warning_s"] == w, model
    with pytest.raises(ValueError, match="delay_warning_s"):
        scenario([c], [], retry={"model": "postfix", "delay_warning_s": -1})


def test_trace_gives_messages_exactly_as_in_the_run(r1):
    t = delivsim.trace(r1, messages=20_000, seed=1, where={"outcome": "silently_lost", "sender_class": "N"}, limit=5,
                       threads=2)
    assert len(t) == 5
    assert list(t.message) == sorted(t.message)
    assert (t.outcome == "silently_lost").all() and (t.sender_class == "N").all()
    for _, row in t.iterrows():
        e = delivsim.explain(r1, message=int(row.message), seed=1)
        assert e["outcome"] == row.outcome and e["responsible"] == row.responsible and e["attempts"] == row.attempts
    again = delivsim.trace(r1, messages=20_000, seed=1, where={"outcome": "silently_lost", "sender_class": "N"},
                           limit=5, threads=1)
    assert list(again.message) == list(t.message)
    run = delivsim.run(r1, messages=20_000, seed=1).to_dict()
    everything = delivsim.trace(r1, messages=20_000, seed=1, where={"truth": "legitimate", "outcome": "bounced"},
                                limit=10**6)
    assert len(everything) == run["by_truth"]["legitimate"]["bounced"]


def test_trace_writes_json_lines(r1, tmp_path):
    t = delivsim.trace(r1, messages=2000, seed=1, where={"notice": "bounce"}, limit=3)
    t.to_json_lines(tmp_path / "t.jsonl")
    lines = [json.loads(x) for x in (tmp_path / "t.jsonl").read_text().splitlines()]
    assert [x["message"] for x in lines] == list(t.message)
    assert all(x["notice"] == "bounce" for x in lines)


def test_trace_refuses_bad_input(r1):
    with pytest.raises(ValueError, match="where: unknown key 'colour'"):
        delivsim.trace(r1, messages=10, where={"colour": "red"})
    with pytest.raises(TypeError, match="where.outcome must be a str"):
        delivsim.trace(r1, messages=10, where={"outcome": 3})
    with pytest.raises(ValueError, match=r"where.outcome: unknown value 'lost'"):
        delivsim.trace(r1, messages=10, where={"outcome": "lost"})
    with pytest.raises(TypeError, match="where must be a dict"):
        delivsim.trace(r1, messages=10, where=[("outcome", "inbox")])


def test_trace_cli(tmp_path):
    out = tmp_path / "t.jsonl"
    text = subprocess.run([str(CLI), "trace", "--messages", "5000", "--where", "outcome=silently_lost,sender_class=N",
                           "--limit", "2", "--jsonl", str(out)], check=True, capture_output=True, text=True).stdout
    assert "2 messages traced" in text
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(rows) == 2 and all(r["outcome"] == "silently_lost" and r["sender_class"] == "N" for r in rows)
    bad = subprocess.run([str(CLI), "trace", "--messages", "10", "--where", "colour=red"], capture_output=True, text=True)
    assert bad.returncode == 2 and "where: unknown key 'colour'" in bad.stderr


SMALL_WORLD = ROOT / "tests" / "data" / "world" / "stateful_small.json"


def test_trace_works_for_worlds():
    w = delivsim.world.load(SMALL_WORLD)
    t = delivsim.trace(w, seed=3, where={"outcome": "bounced"}, limit=4, threads=2)
    assert 0 < len(t) <= 4
    assert list(t.message) == sorted(t.message)
    assert (t.outcome == "bounced").all()
    for _, row in t.iterrows():
        e = delivsim.world.explain(w, seed=3, message=int(row.message), threads=1)
        assert e["outcome"] == row.outcome and e["responsible"] == row.responsible and e["attempts"] == row.attempts
    again = delivsim.trace(w, seed=3, where={"outcome": "bounced"}, limit=4, threads=1)
    assert list(again.message) == list(t.message)
    everything = delivsim.trace(w, seed=3, where={"truth": "legitimate", "outcome": "bounced"}, limit=10**9, threads=2)
    report = delivsim.world.run(w, seed=3, threads=2).report()
    assert len(everything) == report["by_truth"]["legitimate"]["bounced"] > 0
    with pytest.raises(TypeError, match="messages: a world sends the messages of its schedule"):
        delivsim.trace(w, messages=10, seed=3)
    with pytest.raises(ValueError, match="where: unknown key 'colour'"):
        delivsim.trace(w, seed=3, where={"colour": "red"})


def test_trace_cli_for_worlds(tmp_path):
    out = tmp_path / "w.jsonl"
    text = subprocess.run([str(CLI), "trace", str(SMALL_WORLD), "--seed", "3", "--where", "outcome=bounced", "--limit",
                           "3", "--jsonl", str(out)], check=True, capture_output=True, text=True).stdout
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert f"{len(rows)} messages traced" in text and 0 < len(rows) <= 3
    assert all(r["outcome"] == "bounced" and r["format"] == "delivsim-world-explain/1" for r in rows)
