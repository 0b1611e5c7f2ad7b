#!/usr/bin/env python3
"""Exact reference answer for delivsim's reference scenario R1 ("article world").

Engine-independent: nothing here imports delivsim.  The numbers of the R1
specification are hard-coded below in tables that mirror its sections
(1 = population, A..H = stages); keep them in step with the spec.

Method.  Every draw in R1 is independent, so a message splits into
  * per-message draws (class, profile, address error, dead destination, DNSBL
    listing, size, mailbox-full, DMARC result, content score, attachment,
    scanner verdict, mailbox rule), enumerated exactly as weighted branches
    (the content score is continuous; only its band probabilities matter and
    they come from the exact normal CDF), and
  * per-attempt draws (MX hosts up/down, G's mailbox still full), which,
    conditional on a branch, make the delivery attempts a small Markov chain.
For each branch we iterate that chain's probability vector over the 111
attempts to get the exact distribution of the attempt at which the session
reaches its decision; mass still undecided after the last attempt expires
(bounce 4.4.7).  No sampling anywhere.

Usage:
    python3 r1_exact.py                 # readable summary
    python3 r1_exact.py --json OUT.json # also write every number as JSON
"""

import argparse
import json
import math
import sys
from collections import defaultdict

# ---------------------------------------------------------------------------
# Section 1: the population (class and profile drawn independently)
# ---------------------------------------------------------------------------
CLASS_WEIGHTS = {"T": 0.35, "N": 0.25, "P": 0.15, "S": 0.25}
PROFILE_WEIGHTS = {"G": 0.55, "C": 0.35, "H": 0.10}

# ---------------------------------------------------------------------------
# Section A: recipient address (per message, before any DNS)
# ---------------------------------------------------------------------------
ADDRESS_ERROR_P = {"T": 0.005, "N": 0.02, "P": 0.01, "S": 0.08}
# Kind of an address error, given there is one.
ADDRESS_ERROR_NXDOMAIN = 0.50      # bounced 5.1.2 at t = 0, no session at all
ADDRESS_ERROR_UNKNOWN_USER = 0.35  # rejected at RCPT (stage D.2) with 5.1.1
ADDRESS_ERROR_TYPOSQUAT = 0.15     # silently_lost at t = 0 (other domain: no
                                   # routing, filters or dead destination apply)

# ---------------------------------------------------------------------------
# Section B: routing and the retry schedule (Postfix defaults)
# ---------------------------------------------------------------------------
RETRY_FIRST_WAIT_S = 300
RETRY_MAX_WAIT_S = 4000
MAX_QUEUE_LIFETIME_S = 432000      # no attempt after this
EXPECTED_ATTEMPTS = 111
EXPECTED_LAST_ATTEMPT_S = 428500
# Per-attempt down probability of each MX host.  Any host that is up takes the
# session and all hosts of a profile behave alike, so MX ordering (preference,
# random order at equal preference) cannot change any outcome: an attempt
# connects iff at least one host is up.
MX_HOST_DOWN_P = {"G": (0.02, 0.02), "C": (0.05, 0.20), "H": (0.25,)}
# Per message: destination dead for the whole 5 days (C only).
DEAD_DESTINATION_P = {"G": 0.0, "C": 0.01, "H": 0.0}

# ---------------------------------------------------------------------------
# Section C: DNS blocklist at connect (G and C; H does not check)
# ---------------------------------------------------------------------------
DNSBL_CHECKED = {"G": True, "C": True, "H": False}
DNSBL_LISTED_P = {"T": 0.001, "N": 0.03, "P": 0.005, "S": 0.50}  # -> 5.7.1

# ---------------------------------------------------------------------------
# Section D: envelope checks, in this order: size, unknown user, mailbox
# full, greylisting
# ---------------------------------------------------------------------------
SIZE_LIMIT_BYTES = {"G": 50_000_000, "C": 36_000_000, "H": 10_240_000}
SIZE_DIST = {  # per message: {size in bytes: probability}
    "T": {40_000: 1.0},
    "N": {150_000: 1.0},
    "P": {30_000: 0.75, 5_000_000: 0.15, 20_000_000: 0.07, 45_000_000: 0.03},
    "S": {15_000: 1.0},
}
MAILBOX_FULL_P = {"G": 0.001, "C": 0.003, "H": 0.02}
# G answers 452 4.2.2 (temporary); C and H answer 552 5.2.2 (bounce).
MAILBOX_FULL_TEMPORARY = {"G": True, "C": False, "H": False}
# G: at each later connected attempt the mailbox is still full w.p. 0.97;
# once it is not, it stays not full (the session goes on).
MAILBOX_STILL_FULL_P = 0.97
# H greylists: the first connected attempt that gets this far gets 451 4.7.1,
# every later connected attempt passes.
GREYLISTING = {"G": False, "C": False, "H": True}

# ---------------------------------------------------------------------------
# Section E: DATA, DMARC (enforced by G and C; H ignores it)
# ---------------------------------------------------------------------------
DMARC_ENFORCED = {"G": True, "C": True, "H": False}
DMARC_DIST = {
    "T": {"pass": 1.0},
    "N": {"none": 1.0},
    "P": {"pass": 0.8, "none": 0.2},
    "S": {"fail_reject": 0.30, "fail_quarantine": 0.10, "none": 0.60},
}
DMARC_REJECT_CODE = "5.7.26"
# fail under p=quarantine: accepted into this outcome, stages F..H skipped.
DMARC_QUARANTINE_OUTCOME = {"G": "spam_folder", "C": "quarantined"}

# ---------------------------------------------------------------------------
# Section F: content filter (every profile), score per message
# ---------------------------------------------------------------------------
CONTENT_SCORE_MU_SD = {"T": (0.5, 1.0), "N": (3.0, 1.5), "P": (1.0, 1.2),
                       "S": (9.0, 4.0)}
DMARC_NONE_PENALTY = 1.5                  # added when DMARC result is none ...
DMARC_NONE_PENALTY_PROFILES = {"G", "C"}  # ... and the profile is G or C
# Bands per profile, highest threshold first: score >= threshold (and below
# the previous threshold) -> result.  Below the last threshold the filter passes.
CONTENT_BANDS = {
    "G": [(15.0, ("bounced", "5.7.1")), (5.0, ("spam_folder", None))],
    "C": [(6.0, ("quarantined", None))],
    "H": [(5.0, ("spam_folder", None))],
}

# ---------------------------------------------------------------------------
# Section G: attachment scanner (C only, after the content filter passed)
# ---------------------------------------------------------------------------
SCANNER_PROFILES = {"C"}
P_ATTACHMENT_MIN_SIZE = 5_000_000   # every P message this large has one
S_ATTACHMENT_P = 0.20               # per S message
SCANNER_QUARANTINE_P = {"P": 0.02, "S": 0.90}

# ---------------------------------------------------------------------------
# Section H: recipient mailbox rules (only mail headed for the inbox)
# ---------------------------------------------------------------------------
MAILBOX_RULES = {"N": {"rule_deleted": 0.04, "rule_moved": 0.15}}

# ---------------------------------------------------------------------------
# Section 3: outcomes and bounce codes
# ---------------------------------------------------------------------------
OUTCOMES = ["inbox", "rule_moved", "spam_folder", "quarantined",
            "rule_deleted", "silently_lost", "bounced"]
ACCEPTED_OUTCOMES = ["inbox", "rule_moved", "spam_folder", "quarantined",
                     "rule_deleted"]
BOUNCE_CODES = ["5.1.2", "5.1.1", "5.7.1", "5.3.4", "5.2.2", "5.7.26", "4.4.7"]
EXPIRED_CODE = "4.4.7"
QUANTILES = {"p50": 0.50, "p90": 0.90, "p99": 0.99}

SUM_TOL = 1e-12


def bounce(code):
    return ("bounced", code)


def outcome(name):
    return (name, None)


# ---------------------------------------------------------------------------
# Section B: attempt times
# ---------------------------------------------------------------------------
def attempt_times():
    """Attempt times in seconds: 0, then waits 300, 600, ... capped at 4000."""
    times, t, wait = [0], 0, RETRY_FIRST_WAIT_S
    while t + wait <= MAX_QUEUE_LIFETIME_S:
        t += wait
        times.append(t)
        wait = min(2 * wait, RETRY_MAX_WAIT_S)
    return times


ATTEMPT_TIMES = attempt_times()
N_ATTEMPTS = len(ATTEMPT_TIMES)


def connect_p(profile):
    """Per-attempt probability that at least one MX host is up."""
    all_down = 1.0
    for p_down in MX_HOST_DOWN_P[profile]:
        all_down *= p_down
    return 1.0 - all_down


# ---------------------------------------------------------------------------
# Timing: the per-attempt Markov chain of one branch
# ---------------------------------------------------------------------------
# A branch's timing is one of
#   "t0"                  decided before any DNS (nxdomain, typosquat)
#   "never"               no attempt ever connects (dead destination)
#   ("first",)            decided at the first connected attempt
#   ("after_temp", pass)  the first connected attempt fails temporarily, then
#                         each later connected attempt proceeds w.p. `pass`
#                         (G mailbox full: 0.03; H greylisting: 1.0)
_pmf_cache = {}


def decision_pmf(profile, timing):
    """Exact P(decision at attempt k), k = 0..110, plus the undecided mass.

    Iterates the probability vector of the chain's transient states
    (w0 = never connected yet, w1 = temporarily failed at a connected attempt)
    over the attempts.  Undecided mass after the last attempt expires (4.4.7).
    """
    key = (profile, timing)
    if key in _pmf_cache:
        return _pmf_cache[key]
    c = connect_p(profile)
    two_stage = timing[0] == "after_temp"
    pass_p = timing[1] if two_stage else None
    w0, w1 = 1.0, 0.0
    pmf = []
    for _ in range(N_ATTEMPTS):
        if two_stage:
            decided = w1 * c * pass_p   # w1 uses this attempt: connect + pass
            w1 = w1 - decided + w0 * c  # w0 connects here: temporary failure
        else:
            decided = w0 * c
        w0 *= 1.0 - c
        pmf.append(decided)
    expired = w0 + w1
    assert abs(sum(pmf) + expired - 1.0) < SUM_TOL
    _pmf_cache[key] = (pmf, expired)
    return pmf, expired


# ---------------------------------------------------------------------------
# Per-message branches
# ---------------------------------------------------------------------------
def phi_upper(x, mu, sd):
    """P(Normal(mu, sd) >= x), via erfc so small tails stay accurate."""
    if x == math.inf:
        return 0.0
    return 0.5 * math.erfc((x - mu) / (sd * math.sqrt(2.0)))


def phi_lower(x, mu, sd):
    """P(Normal(mu, sd) < x)."""
    return 0.5 * math.erfc(-(x - mu) / (sd * math.sqrt(2.0)))


def data_stage(cls, profile, size):
    """Stages E..H for a message whose session reached DATA.

    Returns {result: probability}; result is (outcome, code).
    """
    res = defaultdict(float)
    for dmarc, p_dmarc in DMARC_DIST[cls].items():
        # E. DMARC failures end the evaluation (F..H skipped).
        if DMARC_ENFORCED[profile] and dmarc == "fail_reject":
            res[bounce(DMARC_REJECT_CODE)] += p_dmarc
            continue
        if DMARC_ENFORCED[profile] and dmarc == "fail_quarantine":
            res[outcome(DMARC_QUARANTINE_OUTCOME[profile])] += p_dmarc
            continue
        # F. Content filter: exact band probabilities of the normal score.
        mu, sd = CONTENT_SCORE_MU_SD[cls]
        if dmarc == "none" and profile in DMARC_NONE_PENALTY_PROFILES:
            mu += DMARC_NONE_PENALTY
        upper = math.inf
        for threshold, result in CONTENT_BANDS[profile]:
            res[result] += p_dmarc * (phi_upper(threshold, mu, sd)
                                      - phi_upper(upper, mu, sd))
            upper = threshold
        p = p_dmarc * phi_lower(upper, mu, sd)   # passed the filter
        # G. Attachment scanner.
        if profile in SCANNER_PROFILES:
            if cls == "P":
                p_attach = 1.0 if size >= P_ATTACHMENT_MIN_SIZE else 0.0
            elif cls == "S":
                p_attach = S_ATTACHMENT_P
            else:
                p_attach = 0.0
            p_q = p_attach * SCANNER_QUARANTINE_P.get(cls, 0.0)
            res[outcome("quarantined")] += p * p_q
            p *= 1.0 - p_q
        # H. Mailbox rules on mail headed for the inbox.
        rules = MAILBOX_RULES.get(cls, {})
        for name, p_rule in rules.items():
            res[outcome(name)] += p * p_rule
        res[outcome("inbox")] += p * (1.0 - sum(rules.values()))
    return res


def branches(cls, profile):
    """All per-message branches of (cls, profile): [(prob, timing, result)].

    Probabilities are conditional on (cls, profile) and sum to 1.
    """
    out = []
    p_err = ADDRESS_ERROR_P[cls]
    # A. Address errors decided before any DNS.
    out.append((p_err * ADDRESS_ERROR_NXDOMAIN, "t0", bounce("5.1.2")))
    out.append((p_err * ADDRESS_ERROR_TYPOSQUAT, "t0", outcome("silently_lost")))
    for unknown_user, p_addr in ((False, 1.0 - p_err),
                                 (True, p_err * ADDRESS_ERROR_UNKNOWN_USER)):
        # B. A dead destination never connects: expires whatever comes later.
        p_dead = DEAD_DESTINATION_P[profile]
        out.append((p_addr * p_dead, "never", bounce(EXPIRED_CODE)))
        p = p_addr * (1.0 - p_dead)
        # C. DNSBL rejects at connect, before any envelope check.
        if DNSBL_CHECKED[profile]:
            p_listed = DNSBL_LISTED_P[cls]
            out.append((p * p_listed, ("first",), bounce("5.7.1")))
            p *= 1.0 - p_listed
        for size, p_size in SIZE_DIST[cls].items():
            q = p * p_size
            # D.1 Size.
            if size > SIZE_LIMIT_BYTES[profile]:
                out.append((q, ("first",), bounce("5.3.4")))
                continue
            # D.2 Unknown user.
            if unknown_user:
                out.append((q, ("first",), bounce("5.1.1")))
                continue
            data = data_stage(cls, profile, size)
            # D.3 Mailbox full (drawn at the first connected attempt).
            p_full = MAILBOX_FULL_P[profile]
            if MAILBOX_FULL_TEMPORARY[profile]:
                timing = ("after_temp", 1.0 - MAILBOX_STILL_FULL_P)
                out.extend((q * p_full * pr, timing, r) for r, pr in data.items())
            else:
                out.append((q * p_full, ("first",), bounce("5.2.2")))
            q *= 1.0 - p_full
            # D.4 Greylisting: one extra connected attempt needed.
            timing = ("after_temp", 1.0) if GREYLISTING[profile] else ("first",)
            out.extend((q * pr, timing, r) for r, pr in data.items())
    return out


# ---------------------------------------------------------------------------
# Aggregation
# ---------------------------------------------------------------------------
def cell(cls, profile):
    """Exact results conditional on (cls, profile).

    Returns (outcome probs, bounce-code probs, joint P(accepted at attempt k)).
    """
    outs = dict.fromkeys(OUTCOMES, 0.0)
    codes = dict.fromkeys(BOUNCE_CODES, 0.0)
    accept = [0.0] * N_ATTEMPTS

    def add(result, p):
        name, code = result
        outs[name] += p
        if code is not None:
            codes[code] += p

    total = 0.0
    for p, timing, result in branches(cls, profile):
        total += p
        if timing == "t0":
            add(result, p)
        elif timing == "never":
            add(bounce(EXPIRED_CODE), p)
        else:
            pmf, expired = decision_pmf(profile, timing)
            add(result, p * (1.0 - expired))
            add(bounce(EXPIRED_CODE), p * expired)
            if result[0] in ACCEPTED_OUTCOMES:
                for k in range(N_ATTEMPTS):
                    accept[k] += p * pmf[k]
    assert abs(total - 1.0) < SUM_TOL, (cls, profile, total)
    return outs, codes, accept


def mix(parts):
    """Weighted sum of dicts or lists: parts = [(weight, dict_or_list)]."""
    first = parts[0][1]
    if isinstance(first, dict):
        acc = dict.fromkeys(first, 0.0)
        for w, d in parts:
            for k, v in d.items():
                acc[k] += w * v
        return acc
    acc = [0.0] * len(first)
    for w, lst in parts:
        for i, v in enumerate(lst):
            acc[i] += w * v
    return acc


def quantile_report(cdf):
    """Spec section 4 quantiles: smallest attempt time with CDF >= q."""
    quantiles, margins = {}, {}
    for name, q in QUANTILES.items():
        k = next(i for i, c in enumerate(cdf) if c >= q)
        quantiles[name] = ATTEMPT_TIMES[k]
        margins[name] = {
            "q": q,
            "t_s": ATTEMPT_TIMES[k],
            "cdf_at_t": cdf[k],
            # Previous attempt (none before t = 0: its CDF is then 0).
            "t_prev_s": ATTEMPT_TIMES[k - 1] if k > 0 else None,
            "cdf_at_prev": cdf[k - 1] if k > 0 else 0.0,
        }
    return quantiles, margins


def compute():
    assert N_ATTEMPTS == EXPECTED_ATTEMPTS, N_ATTEMPTS
    assert ATTEMPT_TIMES[-1] == EXPECTED_LAST_ATTEMPT_S, ATTEMPT_TIMES[-1]
    assert abs(sum(CLASS_WEIGHTS.values()) - 1.0) < SUM_TOL
    assert abs(sum(PROFILE_WEIGHTS.values()) - 1.0) < SUM_TOL

    cells = {(c, g): cell(c, g) for c in CLASS_WEIGHTS for g in PROFILE_WEIGHTS}

    def by(select, index):
        return mix([(CLASS_WEIGHTS[c] * PROFILE_WEIGHTS[g] / select_w, cells[c, g][index])
                    for c in CLASS_WEIGHTS for g in PROFILE_WEIGHTS
                    for select_w in [select(c, g)] if select_w is not None])

    overall = [mix([(CLASS_WEIGHTS[c] * PROFILE_WEIGHTS[g], cells[c, g][i])
                    for c in CLASS_WEIGHTS for g in PROFILE_WEIGHTS])
               for i in range(3)]
    by_class = {c: [mix([(PROFILE_WEIGHTS[g], cells[c, g][i]) for g in PROFILE_WEIGHTS])
                    for i in range(3)] for c in CLASS_WEIGHTS}
    by_profile = {g: [mix([(CLASS_WEIGHTS[c], cells[c, g][i]) for c in CLASS_WEIGHTS])
                      for i in range(3)] for g in PROFILE_WEIGHTS}

    # Self-checks: every table sums to 1; codes add up to bounced; the
    # acceptance-time mass equals the accepted probability.
    tables = ([("overall", overall)]
              + [("class " + c, v) for c, v in by_class.items()]
              + [("profile " + g, v) for g, v in by_profile.items()]
              + [("cell %s/%s" % k, v) for k, v in cells.items()])
    for label, (outs, codes, accept) in tables:
        assert abs(sum(outs.values()) - 1.0) < SUM_TOL, (label, sum(outs.values()))
        assert abs(sum(codes.values()) - outs["bounced"]) < SUM_TOL, label
        p_acc = sum(outs[o] for o in ACCEPTED_OUTCOMES)
        assert abs(sum(accept) - p_acc) < SUM_TOL, label
        assert min(outs.values()) >= 0.0 and min(codes.values()) >= 0.0, label

    outs, codes, accept = overall
    p_accepted = sum(outs[o] for o in ACCEPTED_OUTCOMES)
    pmf = [a / p_accepted for a in accept]
    cdf, run = [], 0.0
    for v in pmf:
        run += v
        cdf.append(run)
    quantiles, margins = quantile_report(cdf)

    return {
        "scenario": "R1 article world",
        "method": "exact: per-message branch enumeration x per-attempt Markov chain DP",
        "outcomes": outs,
        "by_class": {c: v[0] for c, v in by_class.items()},
        "by_profile": {g: v[0] for g, v in by_profile.items()},
        "by_class_profile": {"%s/%s" % k: v[0] for k, v in cells.items()},
        "bounces": codes,
        "bounces_by_class": {c: v[1] for c, v in by_class.items()},
        "bounces_by_profile": {g: v[1] for g, v in by_profile.items()},
        "bounces_by_class_profile": {"%s/%s" % k: v[1] for k, v in cells.items()},
        "accepted_probability": p_accepted,
        "acceptance_time_pmf": {str(t): p for t, p in zip(ATTEMPT_TIMES, pmf)},
        "acceptance_time_s": quantiles,
        "quantile_margins": margins,
        "attempt_times_s": ATTEMPT_TIMES,
        "class_weights": CLASS_WEIGHTS,
        "profile_weights": PROFILE_WEIGHTS,
        "notes": {
            "by_class": "conditional on the class",
            "by_profile": "conditional on the profile",
            "by_class_profile": "conditional on (class, profile)",
            "bounces": "probability per message of a bounce with that code",
            "acceptance_time_pmf": "conditional on acceptance (all outcomes "
                                   "but bounced and silently_lost)",
            "quantile_margins": "exact CDF at the quantile attempt and at the "
                                "attempt before it",
        },
    }


def print_summary(r):
    def row(label, d, keys):
        return "%-8s" % label + "".join("%14.9f" % d[k] for k in keys)

    print("R1 article world: exact reference (%d attempts, last at %d s)"
          % (len(r["attempt_times_s"]), r["attempt_times_s"][-1]))
    print()
    print("Outcomes (rows conditional on class / profile / class,profile)")
    print("%-8s" % "" + "".join("%14s" % o for o in OUTCOMES))
    print(row("overall", r["outcomes"], OUTCOMES))
    for c, d in r["by_class"].items():
        print(row(c, d, OUTCOMES))
    for g, d in r["by_profile"].items():
        print(row(g, d, OUTCOMES))
    for k, d in r["by_class_profile"].items():
        print(row(k, d, OUTCOMES))
    print()
    print("Bounces by code (probability per message)")
    print("%-8s" % "" + "".join("%14s" % b for b in BOUNCE_CODES))
    print(row("overall", r["bounces"], BOUNCE_CODES))
    for c, d in r["bounces_by_class"].items():
        print(row(c, d, BOUNCE_CODES))
    for g, d in r["bounces_by_profile"].items():
        print(row(g, d, BOUNCE_CODES))
    print()
    print("Accepted probability: %.12f" % r["accepted_probability"])
    print("Acceptance time given acceptance (first attempts; full pmf in JSON):")
    run = 0.0
    shown = 10
    for i, (t, p) in enumerate(r["acceptance_time_pmf"].items()):
        run += p
        if i < shown:
            print("  t = %7s s  p = %.9f  cdf = %.9f" % (t, p, run))
    print("  t > %7s s  p = %.9f" % (r["attempt_times_s"][shown - 1],
                                      1.0 - sum(list(r["acceptance_time_pmf"].values())[:shown])))
    print("Quantiles (spec section 4):")
    for name, m in r["quantile_margins"].items():
        print("  %s = %6d s   cdf(t) = %.9f   cdf(previous attempt %s) = %.9f"
              % (name, m["t_s"], m["cdf_at_t"], m["t_prev_s"], m["cdf_at_prev"]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", metavar="PATH", help="write all results as JSON")
    args = ap.parse_args(argv)
    r = compute()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(r, f, indent=2)
            f.write("\n")
    else:
        print_summary(r)
    return 0


if __name__ == "__main__":
    sys.exit(main())
