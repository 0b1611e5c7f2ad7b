"""How much slower a policy written in Python is than the C++ built-in doing the same thing.

    .venv/bin/python benchmarks/python_policy_slowdown.py [--messages N] [--repeat R] [--threads T]

Runs R1 three ways, with the same seed, and prints messages per second (best of R):
  - as shipped (every policy a C++ built-in);
  - with every profile's size_limit replaced by the same rule in Python (an envelope-phase
    policy: every attempt that reaches a host calls it, ~1.1 calls per message);
  - with every profile's content_filter replaced by the same rule in Python (data phase,
    reached by the messages that pass the envelope).
The counts of each Python run are checked to equal the built-in's (but for the deciding stage,
custom_policy instead of the built-in's name), so the figures compare the same work.
"""
from __future__ import annotations

import argparse
import time

import delivsim
from delivsim import Policy, Verdict


class PySizeLimit(Policy):
    phase = "envelope"

    def __init__(self, name: str, max_bytes: int) -> None:
        self.name = name
        self.max_bytes = max_bytes
        self.too_big = Verdict.reject("message_too_big", "sender_content")

    def evaluate(self, message, attempt, rng):
        return self.too_big if message.size_bytes > self.max_bytes else None


class PyContentFilter(Policy):
    phase = "data"

    def __init__(self, name: str, adjustment: dict, actions: list) -> None:
        self.name = name
        self.adjustment = {k: float(v) for k, v in adjustment.items()}
        verdicts = {"reject": Verdict.reject("content_rejected", "sender_content"),
                    "quarantine": Verdict.file("quarantined", "sender_content"),
                    "spam_folder": Verdict.file("spam_folder", "sender_content")}
        self.actions = sorted(((a["min_score"], verdicts[a["action"]]) for a in actions), key=lambda x: -x[0])

    def evaluate(self, message, attempt, rng):
        score = message.content_score + self.adjustment.get(message.dmarc, 0.0)
        for min_score, verdict in self.actions:
            if score >= min_score:
                return verdict
        return None


def replaced(s: delivsim.Scenario, builtin: str, make) -> delivsim.Scenario:
    t = s.copy()
    for p in t.profiles:
        if builtin in p.policies:
            i = p.policies.keys().index(builtin)
            entry = p.policies[builtin].to_dict()
            del p.policies[i]
            p.policies.insert(i, make(p.name, entry))
    return t.validate()


def rate(s: delivsim.Scenario, messages: int, repeat: int, threads: int) -> tuple[float, delivsim.Result]:
    best, result = 0.0, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = delivsim.run(s, messages=messages, seed=1, threads=threads)
        best = max(best, messages / (time.perf_counter() - t0))
    assert result is not None
    return best, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()

    s = delivsim.default_scenario()
    cases = [
        ("size_limit", replaced(s, "size_limit", lambda prof, e: PySizeLimit(f"size_{prof}", e["max_bytes"]))),
        ("content_filter", replaced(s, "content_filter", lambda prof, e: PyContentFilter(
            f"content_{prof}", e.get("dmarc_adjustment", {}), e["actions"]))),
    ]
    base, base_result = rate(s, a.messages, a.repeat, a.threads)
    print(f"R1, {a.messages} messages, seed 1, threads {a.threads}, best of {a.repeat}")
    print(f"{'policy':<16}{'C++ built-in':>16}{'Python':>16}{'slowdown':>10}")
    for builtin, scenario in cases:
        py, py_result = rate(scenario, a.messages, a.repeat, a.threads)
        assert py_result.outcomes == base_result.outcomes, "the Python policy is not the built-in's equal"
        stages = py_result._rep()["deciding_stage"]
        assert stages["custom_policy"] == base_result._rep()["deciding_stage"][builtin]
        print(f"{builtin:<16}{base / 1e6:>12.2f} M/s{py / 1e6:>12.3f} M/s{base / py:>9.1f}x")


if __name__ == "__main__":
    main()
