"""delivsim.emit: simulated messages written as Postfix log lines and as a DMARC aggregate
report, read back by delivsim.ingest with the same counts; the XML is valid against the
RFC 7489 appendix C schema."""

from collections import Counter

import pytest

import delivsim
from delivsim import emit, ingest


def _expected(scenario, n, seed):
    """Outcome and bounce-code counts of messages [0, n) from explain, in ingest's words."""
    outcomes, codes, attempts = Counter(), Counter(), []
    for i in range(n):
        e = delivsim.explain(scenario, i, seed)
        if e["outcome"] == "bounced":
            outcomes["bounced"] += 1
            codes[e["status"]["enhanced"]] += 1
        else:
            outcomes["delivered"] += 1
        attempts.append(len(e["attempts"]) or 1)
    return outcomes, codes, attempts


def test_postfix_log_round_trip(tmp_path):
    sc = delivsim.default_scenario()
    n, seed = 300, 7
    path = emit.write_postfix_log(tmp_path / "sim.maillog", sc, messages=n, seed=seed)
    df = ingest.postfix_log(path, year=2026)
    assert len(df) == n
    outcomes, codes, attempts = _expected(sc, n, seed)
    s = df.summary()
    assert s["outcomes"] == {"delivered": outcomes["delivered"], "bounced": outcomes["bounced"], "still_queued": 0}
    assert s["bounces"] == dict(sorted(codes.items()))
    assert list(df["n_attempts"]) == attempts
    # Attempt times are the scenario's schedule (R1: 0, 300, 900, ...), to the log's 10 ms.
    times = sc.attempt_times
    for atts in df["attempts"]:
        for k, a in enumerate(atts):
            assert a["time_s"] == pytest.approx(times[k], abs=0.05)


def test_postfix_log_round_trip_with_expiry_and_postfix_retry_model(tmp_path):
    doc = delivsim.default_scenario().to_dict()
    doc["retry"] = {"model": "postfix", "lifetime_s": 3000}
    for p in doc["recipient_profiles"]:
        p.pop("dead_destination", None)
        for h in p["mx"]:
            h["down"] = 1.0  # nothing ever answers: every message expires
    sc = delivsim.parse_scenario(doc)
    assert sc.attempt_times == [0, 300, 600, 1200, 2400, 4800]
    df = ingest.postfix_log(emit.write_postfix_log(tmp_path / "x.log", sc, messages=40, seed=1), year=2026)
    undeliverable = df[df["n_attempts"] > 1]
    assert len(undeliverable) > 20
    assert set(undeliverable["final_status"]) == {"expired"}
    assert all([round(a["time_s"]) for a in atts] == [0, 300, 600, 1200, 2400, 4800] for atts in undeliverable["attempts"])


def test_dmarc_aggregate_is_valid_and_round_trips(tmp_path):
    sc = delivsim.default_scenario()
    n, seed = 2000, 3
    # Class S (spam under someone else's domain): no record, p=reject and p=quarantine failures.
    xml = emit.dmarc_aggregate(sc, "S", "spoofed.example", messages=n, seed=seed)
    assert emit.validate_dmarc_xml(xml) == []
    (tmp_path / "r.xml").write_text(xml)
    df = ingest.dmarc_aggregate(tmp_path / "r.xml")
    counts = Counter()
    for i in range(n):
        e = delivsim.explain(sc, i, seed)
        if e["sender_class"] == "S":
            counts[e["dmarc"]] += 1
    assert counts["fail_reject"] > 50 and counts["fail_quarantine"] > 5
    assert df["count"].sum() == n_reported(counts)
    by_disposition = df.groupby("disposition")["count"].sum().to_dict()
    assert by_disposition == {"reject": counts["fail_reject"], "quarantine": counts["fail_quarantine"]}
    mix = ingest.authentication_mix(df)
    assert mix["dmarc_pass"] == pytest.approx(counts["pass"] / n_reported(counts))
    assert not df["dkim_aligned"].any() and not df["spf_aligned"].any()


def n_reported(counts):
    return sum(v for k, v in counts.items() if k != "none")


def test_dmarc_schema_refuses_a_broken_report():
    sc = delivsim.default_scenario()
    xml = emit.dmarc_aggregate(sc, "T", "t.example", messages=200, seed=1)
    assert emit.validate_dmarc_xml(xml) == []
    broken = xml.replace("<scope>mfrom</scope>", "<scope>envelope</scope>")
    assert emit.validate_dmarc_xml(broken)


def test_dmarc_aggregate_needs_a_record():
    with pytest.raises(ValueError, match="no reported message of class 'N'"):
        emit.dmarc_aggregate(delivsim.default_scenario(), "N", "x.example", messages=50)  # N publishes no DMARC
