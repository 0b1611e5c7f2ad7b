"""Compare what the real Postfix / postgrey / rspamd did (their logs, read by
delivsim.ingest) with what delivsim predicts for the same configuration.

Each kind of message is simulated as its own one-class, one-profile scenario (in the lab a
message's kind decides its destination, which delivsim's independent class and profile draws
cannot express in one scenario), with the sender's Postfix retry model and the same time
compression. Every comparison gives the real count, the simulated share, the 95% interval
for the count of `n` real messages under the simulated share (binomial quantiles), and
whether the real count falls inside.
"""

from __future__ import annotations

import math
from typing import Any, Optional

import pandas as pd


#: The "mixed" kind's shares of unknown recipients and of messages over the size limit.
MIXED_UNKNOWN, MIXED_BIG = 0.3, 0.2


def retry_of(settings: Any) -> dict[str, Any]:
    return {"model": "postfix", "minimal_backoff_s": settings.minimal_backoff_s,
            "maximal_backoff_s": settings.maximal_backoff_s, "queue_run_delay_s": settings.queue_run_delay_s,
            "lifetime_s": settings.lifetime_s}


def _class(name: str, size: int = 500, unknown: bool = False, score: float = 0.0) -> dict[str, Any]:
    return {"name": name, "weight": 1.0, "legit": True,
            "address_error": {"probability": 1.0 if unknown else 0.0,
                              "kinds": {"nxdomain": 0.0, "unknown_user": 1.0, "typosquat": 0.0}},
            "ip_listed": 0.0, "size_bytes": [{"bytes": size, "weight": 1.0}], "dmarc": {"pass": 1.0},
            "content_score": {"mean": score, "sd": 0.0}}


def _profile(name: str, policies: list[dict[str, Any]], mx: Optional[list[dict[str, Any]]] = None) -> dict[str, Any]:
    return {"name": name, "weight": 1.0, "mx": mx or [{"host": "mx.receiver.test", "preference": 10, "down": 0.0}],
            "policies": policies}


def receiver_policies(settings: Any, greylist: bool = False, rspamd: bool = False) -> list[dict[str, Any]]:
    """The receiving Postfix's checks, in the order it applies them: recipient (unknown user,
    postgrey), size (the SIZE announced at MAIL FROM is refused before RCPT, but a refused
    size and an unknown user never meet in the lab), rspamd at end of data, the mailbox."""
    p: list[dict[str, Any]] = [{"type": "size_limit", "max_bytes": settings.message_size_limit},
                               {"type": "unknown_user"}]
    if greylist:
        p.append({"type": "greylist", "delay_s": settings.postgrey_delay_s})
    if rspamd:
        p.append({"type": "rspamd", "content_score": True, "reject": 15, "add_header": 6, "greylist": 4,
                  "greylist_delay_s": settings.rspamd_greylist_s})
    return p


def scenario_for(kind: str, settings: Any) -> dict[str, Any]:
    """The delivsim scenario of one kind of lab message."""
    s = settings
    cls = _class(kind)
    prof = _profile("receiver", receiver_policies(s))
    if kind == "unknown_user":
        cls = _class(kind, unknown=True)
    elif kind == "too_big":
        cls = _class(kind, size=30000)
    elif kind == "mailbox_full":
        prof = _profile("receiver", receiver_policies(s) + [{"type": "mailbox_quota", "full": 1.0, "mode": "permanent"}])
    elif kind == "greylist_new":
        prof = _profile("receiver", receiver_policies(s, greylist=True))
    elif kind == "greylist_repeat":
        # postgrey already passed this triplet: no greylisting (the per-message model has no
        # memory across messages; worlds do).
        prof = _profile("receiver", receiver_policies(s))
    elif kind == "mx_fallback":
        prof = _profile("receiver", receiver_policies(s), mx=[
            {"host": "never-answers.test", "preference": 10, "down": 1.0},
            {"host": "mx.receiver.test", "preference": 20, "down": 0.0}])
    elif kind == "unreachable":
        prof = _profile("receiver", receiver_policies(s), mx=[{"host": "never-answers.test", "preference": 10, "down": 1.0}])
    elif kind == "mixed":
        cls = _class(kind, unknown=True)
        cls["address_error"]["probability"] = MIXED_UNKNOWN
        cls["size_bytes"] = [{"bytes": 30000, "weight": MIXED_BIG}, {"bytes": 500, "weight": 1 - MIXED_BIG}]
    elif kind.startswith("rspamd_"):
        score = {"rspamd_reject": 20.0, "rspamd_add_header": 7.0, "rspamd_greylist": 5.0}[kind]
        cls = _class(kind, score=score)
        prof = _profile("receiver", receiver_policies(s, rspamd=True))
    return {"format": "delivsim-scenario/1", "name": f"lab_{kind}", "retry": retry_of(s),
            "sender_classes": [cls], "recipient_profiles": [prof]}


def binom_interval(n: int, p: float, level: float = 0.95) -> tuple[int, int]:
    """The central `level` interval of a Binomial(n, p) count."""
    from scipy.stats import binom

    if p <= 0:
        return 0, 0
    if p >= 1:
        return n, n
    a = (1 - level) / 2
    return int(binom.ppf(a, n, p)), int(binom.ppf(1 - a, n, p))


def simulate(kind: str, settings: Any, messages: int = 20000, seed: int = 1) -> dict[str, Any]:
    import delivsim

    sc = delivsim.parse_scenario(scenario_for(kind, settings))
    r = delivsim.run(sc, messages=messages, seed=seed, threads=1, progress=False)
    d = r.to_dict()
    accepted = sum(v for k, v in r.outcomes.items() if k != "bounced" and k != "silently_lost")
    hist = [int(x) for x in r.acceptance_histogram()]
    return {"messages": r.messages, "outcomes": dict(r.outcomes), "bounces": dict(r.bounces), "accepted": accepted,
            "acceptance_histogram": hist, "attempt_times_s": list(d["attempt_times_s"]),
            "bounce_time_histogram": d["bounce_time_histogram"]}


def real_fates(sender: pd.DataFrame, receiver: Optional[pd.DataFrame]) -> pd.DataFrame:
    """The sender's rows, with a receiver-side bounce (e.g. the mailbox over its limit: 5.2.2
    after 250) replacing 'sent'; joined on the message-id the receiver's cleanup logs."""
    df = sender[~sender["notification"]].copy()
    df["kind"] = df["message_id"].str.split("-").str[0]
    df["outcome"] = df["final_status"].map(
        {"sent": "accepted", "bounced": "bounced", "expired": "bounced", "deferred": "still_queued"})
    df["code"] = df.apply(lambda r: ("4.4.7" if r["final_status"] == "expired" else r["final_dsn"])
                          if r["outcome"] == "bounced" else None, axis=1)
    df["accepted_at"] = df.apply(lambda r: r["n_attempts"] - 1 if r["outcome"] == "accepted" else None, axis=1)
    if receiver is not None and len(receiver):
        late = receiver[(receiver["final_status"] == "bounced") & ~receiver["notification"]]
        late_by_id = dict(zip(late["message_id"], late["final_dsn"]))
        for i, r in df.iterrows():
            if r["outcome"] == "accepted" and r["message_id"] in late_by_id:
                df.at[i, "outcome"] = "bounced"
                df.at[i, "code"] = late_by_id[r["message_id"]]
                df.at[i, "told_by"] = "receiver"
    return df


def compare_kind(kind: str, real: pd.DataFrame, sim: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of the report for one kind: outcome and code counts, acceptance attempt."""
    rows = []
    n = len(real)
    if n == 0:
        return rows
    sim_n = sim["messages"]
    cats: dict[str, tuple[int, float]] = {}
    cats["accepted"] = (int((real["outcome"] == "accepted").sum()), sim["accepted"] / sim_n)
    codes = set(real.loc[real["outcome"] == "bounced", "code"].dropna()) | set(sim["bounces"])
    for c in sorted(codes):
        k = int(((real["outcome"] == "bounced") & (real["code"] == c)).sum())
        cats[f"bounced {c}"] = (k, sim["bounces"].get(c, 0) / sim_n)
    cats["still queued"] = (int((real["outcome"] == "still_queued").sum()), 0.0)
    for name, (k, p) in cats.items():
        lo, hi = binom_interval(n, p)
        rows.append({"kind": kind, "behaviour": name, "n": n, "real": k, "simulated_share": p,
                     "simulated": p * n, "interval": (lo, hi), "agrees": lo <= k <= hi})
    # The attempt that was accepted (0 = the first), where anything was accepted.
    acc = real.loc[real["outcome"] == "accepted", "accepted_at"].dropna().astype(int)
    hist = sim["acceptance_histogram"]
    total = sum(hist)
    if len(acc) and total:
        for idx in sorted(set(acc) | {i for i, h in enumerate(hist) if h}):
            p = hist[idx] / total if idx < len(hist) else 0.0
            k = int((acc == idx).sum())
            lo, hi = binom_interval(len(acc), p)
            t = sim["attempt_times_s"][idx] if idx < len(sim["attempt_times_s"]) else math.nan
            rows.append({"kind": kind, "behaviour": f"accepted at attempt {idx} (model t={t:g} s)", "n": len(acc),
                         "real": k, "simulated_share": p, "simulated": p * len(acc), "interval": (lo, hi),
                         "agrees": lo <= k <= hi})
    return rows


def postfix_next_attempt(prev_s: float, settings: Any) -> float:
    """The Postfix rule: after a failure at age a, wait clamp(a, min, max) (then the next scan)."""
    return prev_s + min(max(prev_s, settings.minimal_backoff_s), settings.maximal_backoff_s)


#: How early a real retry may come against the rule: Postfix counts the age in whole seconds
#: (up to 1 s), sets the wait from a clock its event loop caches (up to 1 s), and logs delay=
#: above 10 s rounded to whole seconds (up to 0.5 s on the previous and on the next attempt).
EARLY_S = 3.0


def retry_rows(real: pd.DataFrame, settings: Any, sim: dict[str, Any]) -> list[dict[str, Any]]:
    """The retry schedule against an unreachable host: attempts per message, each real gap
    against the rule applied to the real previous attempt (one step ahead, so that an early
    error is not doubled by the age rule), and each attempt's time against the model's."""
    rows: list[dict[str, Any]] = []
    model = sim["attempt_times_s"]
    late = settings.queue_run_delay_s + 0.5  # the next deferred-queue scan, and log rounding
    n = len(real)
    if n == 0:
        return rows
    counts = real["n_attempts"].astype(int)
    rows.append({"kind": "unreachable", "behaviour": "attempts before expiry", "n": n,
                 "real": f"{counts.min()}-{counts.max()} (median {int(counts.median())})",
                 "simulated_share": None, "simulated": len(model), "interval": (len(model) - 1, len(model) + 1),
                 "agrees": bool(((counts >= len(model) - 1) & (counts <= len(model) + 1)).all())})
    steps_ok = steps = 0
    misses = []
    for atts in real["attempts"]:
        times = [a["time_s"] for a in atts]
        for a, b in zip(times, times[1:]):
            miss = b - postfix_next_attempt(a, settings)
            steps += 1
            misses.append(miss)
            steps_ok += -EARLY_S - 1e-9 <= miss <= late
    rows.append({"kind": "unreachable", "behaviour": f"each retry after age a comes clamp(a, {settings.minimal_backoff_s}, "
                 f"{settings.maximal_backoff_s}) s later (-{EARLY_S:g} s clock, +{late:g} s scan)", "n": steps,
                 "real": steps_ok, "simulated_share": 1.0, "simulated": steps, "interval": (steps, steps),
                 "agrees": steps_ok == steps,
                 "note": f"real minus rule: {min(misses):+.1f} to {max(misses):+.1f} s" if misses else ""})
    for k in range(min(len(model), int(counts.max()))):
        ts = [atts[k]["time_s"] for atts in real["attempts"] if len(atts) > k]
        if not ts:
            continue
        lo, hi = min(ts), max(ts)
        ok = model[k] - EARLY_S <= lo and hi <= model[k] + late
        rows.append({"kind": "unreachable", "behaviour": f"attempt {k} time (s)", "n": len(ts),
                     "real": f"{pd.Series(ts).median():.1f} [{lo:.1f}, {hi:.1f}]", "simulated_share": None,
                     "simulated": model[k], "interval": (round(model[k] - EARLY_S, 1), round(model[k] + late, 1)),
                     "agrees": ok, "explained": not ok,
                     "note": "" if ok else "early: Postfix's whole-second clock, doubled by the age rule (below)"})
    return rows
