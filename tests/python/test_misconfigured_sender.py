"""examples/scenarios/misconfigured_sender.json: one sender with zone-based authentication
whose mail is fine until one SPF edit (misconfigured_sender_after.json: a vendor's include
pushes the record over 10 DNS-querying terms, SPF permerror, DMARC fails under p=reject).
The CLI runs both; the inbox rate must drop by a clear margin, by 5.7.26 rejections."""
from __future__ import annotations

import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "scenarios"


@pytest.fixture(scope="module")
def cli() -> pathlib.Path:
    p = pathlib.Path(os.environ.get("DELIVSIM_CLI", ROOT / "build" / "delivsim"))
    if not (p.is_file() and os.access(p, os.X_OK)):
        pytest.skip(f"delivsim CLI not built at {p} (set DELIVSIM_CLI)")
    return p


def _run(cli: pathlib.Path, name: str) -> dict:
    out = subprocess.run([str(cli), "run", str(EXAMPLES / name), "--messages", "100000", "--seed", "1",
                          "--threads", "2", "--quiet", "--json", "-"], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def test_the_after_file_is_the_before_file_with_one_spf_edit():
    before = json.loads((EXAMPLES / "misconfigured_sender.json").read_text())
    after = json.loads((EXAMPLES / "misconfigured_sender_after.json").read_text())
    changed = [(b, a) for b, a in zip(before["dns"]["records"], after["dns"]["records"]) if a != b]
    assert len(changed) == 1 and changed[0][0]["name"] == "shop.example" and changed[0][0]["type"] == "TXT"
    for key in ("sender_classes", "recipient_profiles", "retry"):
        assert before[key] == after[key]


def test_inbox_rate_drops_after_the_dns_change(cli):
    before, after = _run(cli, "misconfigured_sender.json"), _run(cli, "misconfigured_sender_after.json")
    n = before["messages"]
    inbox_before = before["outcomes"]["inbox"] / n
    inbox_after = after["outcomes"]["inbox"] / n
    assert inbox_before > 0.85
    assert inbox_after < inbox_before - 0.5
    rejected_before = before["bounces"].get("5.7.26", 0) / n
    rejected_after = after["bounces"].get("5.7.26", 0) / n
    assert rejected_before < 0.05       # only forwarded mail (3%) fails DMARC before
    assert rejected_after > 0.8         # G and C reject 5.7.26; H has no DMARC policy


def test_explain_shows_the_permerror(cli):
    out = subprocess.run([str(cli), "explain", str(EXAMPLES / "misconfigured_sender_after.json"), "--seed", "1",
                          "--message", "0", "--json"], check=True, capture_output=True, text=True).stdout
    a = json.loads(out)["authentication"]
    assert a["spf"]["result"] == "permerror"
    assert a["dmarc"]["record"] == "_dmarc.shop.example"
    assert a["dmarc"]["result"] == "fail"


def test_zone_based_scenario_through_the_python_api():
    """The authentication block loads, runs, explains and round-trips losslessly in Python."""
    import delivsim

    s = delivsim.load_scenario(ROOT / "examples" / "scenarios" / "misconfigured_sender.json")
    assert delivsim.parse_scenario(s.to_json()).to_json() == s.to_json()
    r = delivsim.run(s, messages=20_000, seed=1, threads=1)
    assert r.outcomes["inbox"] > 0.9 * 20_000
    assert "authentication" in r.explain(message=0)
