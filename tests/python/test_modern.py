"""Authentication and transport facts, provider presets and the modern_2025 example through the
Python package: a custom policy reads every fact, the presets give the providers' replies."""
from __future__ import annotations

import json
import pathlib

import pytest

import delivsim
from delivsim import Policy, Verdict

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODERN = ROOT / "examples" / "scenarios" / "modern_2025.json"


class FactRecorder(Policy):
    """Records the facts it sees and rejects mail without forward-confirmed reverse DNS."""

    name = "facts"
    phase = "data"

    def __init__(self) -> None:
        self.seen: list = []

    def evaluate(self, message, attempt, rng):
        self.seen.append((message.sender_class, message.spf, message.spf_aligned, tuple(message.dkim),
                          message.dmarc_result, message.dmarc_policy, message.ptr, message.tls,
                          message.list_unsubscribe, message.bulk))
        if message.ptr != "fcrdns":
            return Verdict.reject("no_reverse_dns", "sender_configuration")
        return None


def test_a_python_policy_reads_every_fact():
    s = delivsim.load_scenario(MODERN)
    rec = FactRecorder()
    for p in s.profiles:
        del p["preset"]
    s.profiles["gmail_like"].policies.add(rec)
    r = delivsim.run(s, messages=3000, seed=1, threads=1)
    by_class = {}
    for row in rec.seen:
        by_class.setdefault(row[0], set()).add(row[1:])
    # the compliant bulk sender: SPF for bounces.shop.example (aligned), DKIM d=shop.example, p=reject
    assert by_class["compliant_bulk"] == {("pass", True, (("pass", True),), "pass", "reject", "fcrdns", True,
                                           "one_click", True)}
    # the non-compliant one: no DKIM, p=none, no PTR; TLS drawn
    assert {row[:5] for row in by_class["noncompliant_bulk"]} == {("pass", True, (), "pass", "none")}
    assert {row[5] for row in by_class["noncompliant_bulk"]} == {"no_ptr"}
    assert {row[6] for row in by_class["noncompliant_bulk"]} == {True, False}
    # the mailing lists: SPF passes for the list's bounce address (unaligned), the author's signature
    # is broken by the footer, DMARC fails under p=quarantine (the receiver's own results, ARC or not)
    for cls in ("mailing_list", "mailing_list_arc"):
        assert by_class[cls] == {("pass", False, (("fail", True),), "fail", "quarantine", "fcrdns", True, "header", False)}
    assert r._rep()["bounces_by_class"]["noncompliant_bulk"]["5.7.25"] > 0


def _stage_counts(r: delivsim.Result) -> dict:
    return r._rep()["by_class_profile"]


def test_modern_2025_each_provider_gives_its_reply():
    s = delivsim.load_scenario(MODERN)
    assert delivsim.parse_scenario(s.to_json()).to_json() == s.to_json()
    r = delivsim.run(s, messages=20_000, seed=1, threads=2)
    rep = r._rep()
    cp = rep["by_class_profile"]
    # non-compliant bulk mail never arrives: Gmail 5.7.25 (no PTR), Microsoft 5.7.515 (no DKIM), Yahoo 5.7.9
    for prof in ("gmail_like", "outlook_like", "yahoo_like"):
        assert cp["noncompliant_bulk"][prof]["inbox"] == 0
        assert cp["compliant_bulk"][prof]["inbox"] > 0.95 * sum(cp["compliant_bulk"][prof].values())
        assert cp["mailing_list"][prof]["spam_folder"] > 0.95 * sum(cp["mailing_list"][prof].values())
    # the list with ARC: Gmail- and Outlook-like receivers trust the seal (inbox), Yahoo-like does not
    for prof in ("gmail_like", "outlook_like"):
        assert cp["mailing_list_arc"][prof]["inbox"] > 0.95 * sum(cp["mailing_list_arc"][prof].values())
    assert cp["mailing_list_arc"]["yahoo_like"]["spam_folder"] > 0.95 * sum(cp["mailing_list_arc"]["yahoo_like"].values())
    codes = rep["bounces_by_class"]["noncompliant_bulk"]
    assert set(codes) >= {"5.7.25", "5.7.515", "5.7.9"}
    assert rep["deciding_stage"]["sender_requirements"] > 0
    e = next(e for e in (delivsim.explain(s, message=i, seed=1) for i in range(200))
             if e["sender_class"] == "noncompliant_bulk" and e["profile"] == "gmail_like" and e["address_error"] == "none")
    assert e["transport"]["ptr"] == "no_ptr"
    assert e["auth_results"]["dkim"] == []
    assert e["auth_results"]["dmarc"] == {"result": "pass", "policy": "none"}
    assert json.dumps(e).count("sender_requirements") >= 1


def test_bad_preset_names_the_field():
    doc = json.loads(MODERN.read_text())
    doc["recipient_profiles"][0]["preset"] = "gmail_2019"
    with pytest.raises(ValueError, match=r"recipient_profiles\[0\]\.preset: 'gmail_2019' is not one of: gmail_2025"):
        delivsim.parse_scenario(json.dumps(doc))
