"""Calibrate on what a sender can observe in its own Postfix log: an over-identified fit
(more targets than parameters) with a goodness-of-fit statistic and a held-out check.

The 2019 example (calibration_2019.py) fits 2 parameters to 3 shares that sum to 1: no
degree of freedom is left, so its fit is exact by construction and tests nothing. Here the
targets are what `delivsim.ingest.postfix_log` reads from a mail log: the share of unknown-user
bounces (5.1.1), of messages expired in the queue (4.4.7), and three points of the time to
delivery (the 50%, 90% and 99% quantiles of the delivered mail, as `accepted_within`). Five
targets, two parameters (the share of bad addresses, and the probability that the receiving
host does not answer an attempt): three degrees of freedom, tested by chi-square.

The log: a sender's month of mail is simulated with known parameters and written by
`delivsim.emit` in Postfix's own log format (sender Postfix with its default retry model,
lifetime shortened to 1 hour), then read back as a real log would be. Messages [0, N) give the
targets; messages [N, 2N) are held out: the fitted model must predict their rates within
their sampling error. With a real log, pass its path instead (--log): the same code reads it.

    .venv/bin/python examples/calibration_observed.py [--messages N] [--log-messages N] [--log FILE]
"""
from __future__ import annotations

import argparse
import math
import sys
import tempfile
from pathlib import Path

import delivsim
from delivsim import emit, ingest

SCENARIO = {
    "format": "delivsim-scenario/1", "name": "observed_sender",
    "retry": {"model": "postfix", "lifetime_s": 3600},
    "sender_classes": [{
        "name": "mail", "weight": 1.0, "legit": True,
        "address_error": {"probability": 0.05, "kinds": {"nxdomain": 0.0, "unknown_user": 1.0, "typosquat": 0.0}},
        "ip_listed": 0.0, "size_bytes": [{"bytes": 20000, "weight": 1.0}], "dmarc": {"pass": 1.0},
        "content_score": {"mean": 0.0, "sd": 1.0}}],
    "recipient_profiles": [{
        "name": "receivers", "weight": 1.0, "mx": [{"host": "mx.receiver.example", "preference": 10, "down": 0.3}],
        "policies": [{"type": "unknown_user"}]}],
}
PARAMS = {"sender_classes.mail.address_error.probability": (0.0, 0.5),
          'recipient_profiles.receivers.mx["mx.receiver.example"].down': (0.0, 0.95)}
#: The values the example's log is simulated with (unknown to the fit).
TRUTH = {"sender_classes.mail.address_error.probability": 0.08,
         'recipient_profiles.receivers.mx["mx.receiver.example"].down': 0.45}


def log_targets(path: Path, codes=("5.1.1", "4.4.7")) -> tuple[dict[str, float], int, "ingest.PostfixLog"]:
    log = ingest.postfix_log(path, year=2026)
    targets, n = delivsim.targets_from_log(log, quantiles=(0.5, 0.9, 0.99), codes=codes)
    return targets, n, log


def held_out_check(fit: delivsim.Calibration, held: dict[str, float], n_held: int, n_fit: int,
                   messages: int) -> list[dict]:
    """Each held-out rate against the fitted model's (the same target names), with z: the
    difference over its standard deviation from the held-out sample, the fitted sample (the
    fit's own uncertainty is at most that of the rates it was fitted to) and the simulation."""
    sim = delivsim.run(fit.scenario, messages=messages, seed=12345)
    rows = []
    for name, observed in held.items():
        kind = delivsim._calibrate.target_kind(name)
        labels, shares = delivsim._calibrate._cells(sim, None)
        predicted = float(sum(s for lab, s in zip(labels, shares) if delivsim._calibrate._member(kind, lab)))
        sd = math.sqrt(max(predicted * (1 - predicted), 1e-12) * (1 / n_held + 1 / n_fit + 1 / messages))
        rows.append({"target": name, "held_out": observed, "predicted": predicted, "z": (observed - predicted) / sd})
    return rows


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=100_000, help="simulated messages per evaluation")
    ap.add_argument("--log-messages", type=int, default=4000, help="messages in the example's log (and held out)")
    ap.add_argument("--log", type=Path, help="fit a real Postfix log instead (no held-out check)")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)

    base = delivsim.parse_scenario(SCENARIO)
    held = None
    with tempfile.TemporaryDirectory() as tmp:
        if a.log:
            targets, n, _ = log_targets(a.log)
        else:
            truth = base.with_values(TRUTH)
            n = a.log_messages
            fit_log = emit.write_postfix_log(Path(tmp) / "fit.maillog", truth, messages=range(n), seed=99)
            held_log = emit.write_postfix_log(Path(tmp) / "held.maillog", truth, messages=range(n, 2 * n), seed=99)
            targets, n, _ = log_targets(fit_log)
            # The held-out log is judged at the fitted log's quantile times.
            held_df = ingest.postfix_log(held_log, year=2026)
            held = {}
            for name in targets:
                kind = delivsim._calibrate.target_kind(name)
                rows = held_df[~held_df["notification"]]
                if kind[0] == "bounce":
                    held[name] = float((rows["final_dsn"].eq(kind[1]) & rows["final_status"].isin(["bounced", "expired"])).sum()) / len(rows)
                else:
                    ok = rows[rows["final_status"] == "sent"]
                    held[name] = float(sum(atts[-1]["time_s"] <= kind[1] + 1e-9 for atts in ok["attempts"])) / len(rows)
    fit = delivsim.calibrate(base, list(PARAMS), targets, messages=a.messages, seed=a.seed, bounds=PARAMS,
                             target_messages=n)
    print(f"Targets from the log ({n} messages):")
    for k, v in targets.items():
        print(f"  {k:28s} {v:.4f}")
    print()
    print(fit.frame().to_string(index=False))
    print()
    print(fit.residuals.to_string(index=False))
    print(f"\ngoodness of fit: chi2 = {fit.chi2:.2f} on {fit.dof} degrees of freedom, p = {fit.p_value:.3f}")
    out = {"fit": fit, "targets": targets}
    if held is not None:
        rows = held_out_check(fit, held, n, n, a.messages)
        print("\nheld-out messages (another", n, "from the same sender):")
        for r in rows:
            print(f"  {r['target']:28s} held out {r['held_out']:.4f}  predicted {r['predicted']:.4f}  z {r['z']:+.2f}")
        print("truth:", TRUTH)
        out["held_out"] = rows
    return out


if __name__ == "__main__":
    main(sys.argv[1:])
