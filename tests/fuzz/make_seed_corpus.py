#!/usr/bin/env python3
"""Writes the committed seed corpus of fuzz_scenario_text (tests/fuzz/corpus/fuzz_scenario_text/).

Run once by hand when the scenario format changes (with a Python that has pytest, e.g.
/usr/bin/python3 or .venv/bin/python); CI only reads the corpus. The seeds are:
R1 itself, the other example scenarios (with a "dns" zone and sender authentication), the
minimal scenario of tests/cpp/scenario_builder.hpp, valid variants that reach
what R1 does not use (implicit and null MX, 32 equal-preference hosts, a 100000-attempt retry
schedule, temporary quota, every policy knob), and a selection of the broken files of
tests/data/bad_scenarios/cases.json, materialised with the pytest suite's own materialize().

The seeds of fuzz_scenario_structure are FuzzedDataProvider byte streams, not JSON: they were
taken from a short fuzzing run (libFuzzer -merge=1) and are not generated here.
"""

from __future__ import annotations

import copy
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
OUT = HERE / "corpus" / "fuzz_scenario_text"
R1 = json.loads((REPO / "examples" / "scenarios" / "r1_article_world.json").read_text(encoding="utf-8"))

MINIMAL = {
    "format": "delivsim-scenario/1",
    "name": "minimal",
    "retry": {"first_retry_s": 300, "backoff_factor": 2, "max_backoff_s": 4000, "lifetime_s": 432000},
    "sender_classes": [{
        "name": "A", "weight": 1.0, "legit": True,
        "address_error": {"probability": 0.0, "kinds": {"nxdomain": 0.5, "unknown_user": 0.35, "typosquat": 0.15}},
        "ip_listed": 0.0,
        "size_bytes": [{"bytes": 1000, "weight": 1.0}],
        "dmarc": {"pass": 1.0},
        "content_score": {"mean": 0.0, "sd": 0.0},
    }],
    "recipient_profiles": [{
        "name": "X", "weight": 1.0,
        "mx": [{"host": "mx.x.example", "preference": 10, "down": 0.0}],
        "policies": [{"type": "dnsbl"}, {"type": "size_limit", "max_bytes": 10000}, {"type": "unknown_user"}],
    }],
}

# Broken files (cases.json names) kept as seeds: one per kind of rule, not all 67.
BAD = [
    "probability_above_one", "nan_literal", "number_overflow_1e999", "unknown_key_in_policy",
    "misspelt_policy_type", "non_integer_size", "size_beyond_64_bits", "weights_overflow_to_infinity",
    "empty_size_mixture", "dmarc_weights_do_not_sum_to_one", "missing_address_error_kind",
    "duplicate_profile_name", "phases_out_of_order", "policy_not_an_object", "mailbox_rules_unknown_class",
    "mailbox_rules_delete_plus_move_above_one", "null_mx_mixed_with_other_records", "implicit_mx_with_mx_records",
    "mx_preference_above_16_bits", "retry_too_many_attempts",
    "retry_attempts_silently_truncated", "mailbox_quota_temporary_without_still_full",
    "content_filter_same_threshold_twice", "root_not_an_object", "truncated_json", "duplicate_json_key",
    "control_character_in_key", "non_ascii_value_in_message",
]


def variants() -> dict[str, dict]:
    v: dict[str, dict] = {}

    d = copy.deepcopy(MINIMAL)
    d["recipient_profiles"][0]["mx"] = []
    d["recipient_profiles"][0]["implicit_mx"] = {"host": "x.example", "down": 0.5}
    v["valid_implicit_mx"] = d

    d = copy.deepcopy(MINIMAL)
    d["recipient_profiles"][0]["mx"] = [{"host": ".", "preference": 0}]
    v["valid_null_mx"] = d

    d = copy.deepcopy(MINIMAL)
    d["recipient_profiles"][0]["mx"] = [{"host": f"mx{i}.example", "preference": i % 3, "down": 0.5} for i in range(32)]
    v["valid_32_mx_hosts"] = d

    d = copy.deepcopy(MINIMAL)
    d["retry"] = {"first_retry_s": 5, "backoff_factor": 1, "max_backoff_s": 5, "lifetime_s": 499995}
    d["recipient_profiles"][0]["mx"][0]["down"] = 1.0  # every message uses all 100000 attempts
    v["valid_100000_attempts"] = d

    d = copy.deepcopy(MINIMAL)
    d["recipient_profiles"][0]["dead_destination"] = 1.0
    d["recipient_profiles"][0]["policies"].append(
        {"type": "mailbox_quota", "full": 1.0, "mode": "temporary", "still_full": 0.5})
    v["valid_dead_destination_and_quota"] = d

    d = copy.deepcopy(MINIMAL)
    cls = d["sender_classes"][0]
    cls["address_error"]["probability"] = 0.5
    cls["ip_listed"] = 0.1
    cls["legit"] = False
    cls["size_bytes"] = [{"bytes": 0, "weight": 0.5}, {"bytes": 18446744073709551615, "weight": 0.5}]
    cls["dmarc"] = {"pass": 0.25, "none": 0.25, "fail_reject": 0.25, "fail_quarantine": 0.25}
    cls["content_score"] = {"mean": 1e300, "sd": 1e300}
    cls["attachment"] = {"min_size_bytes": 0, "probability": 1.0}
    d["recipient_profiles"][0]["policies"] = [
        {"type": "dnsbl"},
        {"type": "size_limit", "max_bytes": 18446744073709551615},
        {"type": "unknown_user"},
        {"type": "mailbox_quota", "full": 0.5, "mode": "permanent"},
        {"type": "greylist", "delay_s": 600},
        {"type": "dmarc_disposition", "fail_reject": "accept", "fail_quarantine": "spam_folder"},
        {"type": "content_filter",
         "dmarc_adjustment": {"pass": -1, "none": 1.5, "fail_reject": 1e308, "fail_quarantine": -1e308},
         "actions": [{"min_score": 5, "action": "spam_folder"}, {"min_score": 10, "action": "quarantine"},
                     {"min_score": 15, "action": "reject"}]},
        {"type": "attachment_scanner", "false_positive": 0.02, "detection": 0.9},
        {"type": "mailbox_rules", "by_class": {"A": {"delete": 0.5, "move": 0.5}}},
    ]
    v["valid_every_policy"] = d
    return v


def main() -> int:
    sys.path.insert(0, str(REPO / "tests" / "python"))
    from test_bad_scenarios import load_cases, materialize  # the suite's own case materialiser

    OUT.mkdir(parents=True, exist_ok=True)
    files = {
        "valid_r1.json": (REPO / "examples" / "scenarios" / "r1_article_world.json").read_text(encoding="utf-8"),
        "valid_minimal.json": json.dumps(MINIMAL, indent=2),
    }
    for example in sorted((REPO / "examples" / "scenarios").glob("*.json")):
        if example.name != "r1_article_world.json":  # the scenarios with a "dns" zone and authentication
            files["valid_example_" + example.name] = example.read_text(encoding="utf-8")
    for name, doc in variants().items():
        files[name + ".json"] = json.dumps(doc, indent=2)
    cases = {c["name"]: c for c in load_cases()}
    for name in BAD:
        files["bad_" + name + ".json"] = materialize(cases[name])
    for name, text in files.items():
        (OUT / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(files)} seeds to {OUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
