"""Forwarding and mailing lists through the Python package (docs/forwarding.md): SPF through a
forwarder with and without SRS, DKIM and a list's footer, From rewriting, and ARC seals honoured
only by receivers that trust the sealer; errors name the field."""
from __future__ import annotations

import copy
import json

import pytest

import delivsim
from delivsim import Policy

KEY = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC1"

BASE = {
    "format": "delivsim-scenario/1",
    "name": "forwarding",
    "retry": {"first_retry_s": 300, "backoff_factor": 2, "max_backoff_s": 4000, "lifetime_s": 432000},
    "dns": {"records": [
        {"name": "example.com", "type": "TXT", "value": "v=spf1 ip4:192.0.2.0/28 -all"},
        {"name": "s1._domainkey.example.com", "type": "TXT", "value": "v=DKIM1; k=rsa; p=" + KEY},
        {"name": "_dmarc.example.com", "type": "TXT", "value": "v=DMARC1; p=reject"},
        {"name": "fwd.example", "type": "TXT", "value": "v=spf1 ip4:198.51.100.7 -all"},
        {"name": "lists.example", "type": "TXT", "value": "v=spf1 ip4:198.51.100.7 -all"},
        {"name": "_dmarc.lists.example", "type": "TXT", "value": "v=DMARC1; p=none"},
    ]},
    "sender_classes": [{
        "name": "news", "weight": 1.0, "legit": True,
        "address_error": {"probability": 0.0, "kinds": {"nxdomain": 0.5, "unknown_user": 0.35, "typosquat": 0.15}},
        "ip_listed": 0.0,
        "size_bytes": [{"bytes": 1000, "weight": 1.0}],
        "authentication": {"from_domain": "example.com", "mail_from_domain": "example.com", "helo": "out.example.com",
                           "ips": ["192.0.2.10"],
                           "dkim": {"domain": "example.com", "selector": "s1", "key": KEY}},
        "content_score": {"mean": 0.0, "sd": 0.0},
    }],
    "recipient_profiles": [
        {"name": name, "weight": 0.5, "mx": [{"host": "mx." + name + ".example", "preference": 10, "down": 0.0}],
         "policies": [{"type": "dmarc_disposition", "fail_reject": "reject", "fail_quarantine": "spam_folder"}]}
        for name in ("trusting", "other")
    ],
}


def scenario(forwarded: dict, trusted: list | None = None) -> delivsim.Scenario:
    doc = copy.deepcopy(BASE)
    doc["sender_classes"][0]["authentication"]["forwarded"] = forwarded
    if trusted is not None:
        doc["recipient_profiles"][0]["trusted_arc_sealers"] = trusted
    return delivsim.parse_scenario(json.dumps(doc))


def only(counts: dict) -> str:
    """The one outcome with messages (an error if there are several)."""
    nonzero = [k for k, v in counts.items() if v]
    assert len(nonzero) == 1, counts
    return nonzero[0]


def facts(s: delivsim.Scenario, message: int = 3) -> dict:
    return delivsim.explain(s, message=message, seed=1)["auth_results"]


def test_spf_fails_through_a_forwarder_and_passes_unaligned_with_srs():
    plain = {"probability": 1.0, "hop": "forwarder", "ip": "198.51.100.7"}
    a = facts(scenario(plain))
    assert a["spf"]["result"] == "fail" and a["spf"]["domain"] == "example.com"
    assert a["dkim"][0]["result"] == "pass"  # the body is intact: DMARC passes on DKIM
    assert a["dmarc"]["result"] == "pass"
    assert a["indirect"]["via"] == "forwarder" and not a["indirect"]["envelope_rewritten"]
    b = facts(scenario({**plain, "srs": True, "domain": "fwd.example"}))
    assert (b["spf"]["result"], b["spf"]["domain"], b["spf"]["aligned"]) == ("pass", "fwd.example", False)
    assert b["indirect"]["envelope_rewritten"]


def test_a_footer_breaks_dkim_and_a_from_rewrite_gives_a_dmarc_pass():
    footer = {"probability": 1.0, "hop": "gateway_footer", "kind": "mailing_list", "domain": "lists.example",
              "ip": "198.51.100.7"}
    s = scenario(footer)
    a = facts(s)
    assert a["dkim"][0]["result"] == "fail"
    assert a["dmarc"] == {"result": "fail", "policy": "reject"}
    r = delivsim.run(s, messages=2000, seed=1, threads=1)._rep()
    assert r["by_class_profile"]["news"]["trusting"].get("inbox", 0) == 0

    rewritten = scenario({**footer, "rewrite_from": True})
    b = facts(rewritten)
    assert b["spf"]["aligned"] and b["dmarc"] == {"result": "pass", "policy": "none"}
    assert b["indirect"]["from_rewritten"]
    cp = delivsim.run(rewritten, messages=2000, seed=1, threads=1)._rep()["by_class_profile"]["news"]
    assert only(cp["trusting"]) == "inbox" and only(cp["other"]) == "inbox"


class IndirectRecorder(Policy):
    name = "indirect"
    phase = "data"

    def __init__(self) -> None:
        self.seen: set = set()

    def evaluate(self, message, attempt, rng):
        i = message.indirect
        self.seen.add((message.profile, message.dmarc, i["arc_sealed"], i["arc_honoured"]))
        return None


def test_an_arc_seal_changes_the_disposition_only_where_the_sealer_is_trusted():
    sealed = {"probability": 1.0, "hop": "mailing_list", "kind": "mailing_list", "domain": "lists.example",
              "arc": True, "ip": "198.51.100.7"}
    s = scenario(sealed, trusted=["lists.example"])
    cp = delivsim.run(s, messages=4000, seed=1, threads=2)._rep()["by_class_profile"]["news"]
    assert only(cp["trusting"]) == "inbox"
    assert only(cp["other"]) == "bounced"
    untrusted = delivsim.run(scenario(sealed), messages=2000, seed=1, threads=1)._rep()["by_class_profile"]["news"]
    assert only(untrusted["trusting"]) == "bounced"
    # a custom policy reads the indirect-flow facts
    rec = IndirectRecorder()
    s.profiles["trusting"].policies.add(rec)
    delivsim.run(s, messages=200, seed=1, threads=1)
    assert rec.seen == {("trusting", "pass", True, True)}


def test_bad_forwarding_names_the_field():
    with pytest.raises(ValueError, match=r"sender_classes\[0\]\.authentication\.forwarded\.srs: a mailing list always"):
        scenario({"probability": 1.0, "hop": "forwarder", "kind": "mailing_list", "domain": "l.example", "srs": True,
                  "ip": "198.51.100.7"})
    with pytest.raises(ValueError, match=r"recipient_profiles\[0\]\.trusted_arc_sealers\[0\]: no forwarder or mailing list"):
        scenario({"probability": 1.0, "hop": "forwarder", "ip": "198.51.100.7"}, trusted=["lists.example"])
