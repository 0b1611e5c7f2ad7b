"""compare_scenarios(..., paired=True): differences between whole scenarios on the same
messages, with paired intervals; and delivsim.tips, the seed's tips ranked by that."""
import math

import numpy as np
import pandas as pd
import pytest

import delivsim
from delivsim import metrics

N = 20_000


def delisted(s, cls):
    t = s.copy()
    for c in t.sender_classes:
        if c.name == cls:
            c.ip_listed = 0.0
    return t


def test_paired_frame_keeps_every_run_and_adds_paired_differences(r1):
    fixed = delisted(r1, "N")
    frame = delivsim.compare_scenarios({"as is": r1, "delisted": fixed}, messages=N, seed=3, paired=True)
    # each scenario's counts are exactly its own run's
    plain = delivsim.compare_scenarios({"as is": r1, "delisted": fixed}, messages=N, seed=3)
    pd.testing.assert_frame_equal(frame[plain.columns], plain)
    # the baseline's differences with itself are zero (no discordant message); Newcombe's interval
    # still has the width that n messages without a discordant one allow
    base = frame[frame.scenario == "as is"]
    assert (base["diff"] == 0).all() and (base.diff_ci_low <= 0).all() and (base.diff_ci_high >= 0).all()
    assert (base.diff_ci_high - base.diff_ci_low < 0.005).all()
    # the class mixture is unchanged, so a row's paired difference is exactly its rate's change
    rows = frame.set_index(["scenario", "group_kind", "group", "outcome"])
    after, before = rows.loc["delisted"], rows.loc["as is"]
    np.testing.assert_allclose(after["diff"], after["rate"] - before["rate"], atol=1e-12)
    # only N's listed messages can change: every other class is untouched, exactly
    for cls in ("T", "P", "S"):
        assert (after.loc["class"].loc[cls]["diff"] == 0).all()
    inbox = after.loc[("class", "N", "inbox")]
    assert inbox["diff"] > 0 and 0 < inbox.diff_ci_low < inbox["diff"] < inbox.diff_ci_high
    # the paired interval is narrower than the difference of two independent intervals
    independent = (after.loc[("class", "N", "inbox")].ci_high - after.loc[("class", "N", "inbox")].ci_low) + \
                  (before.loc[("class", "N", "inbox")].ci_high - before.loc[("class", "N", "inbox")].ci_low)
    assert inbox.diff_ci_high - inbox.diff_ci_low < independent / 2


def test_paired_any_two_scenarios_by_label(r1):
    a, b = delisted(r1, "N"), delisted(r1, "P")
    frame = delivsim.compare_scenarios({"r1": r1, "N delisted": a, "P delisted": b}, messages=N, seed=1, paired=True)
    d = frame.delivsim.paired("N delisted", "P delisted")
    assert list(d.columns) == ["group_kind", "group", "outcome", "diff", "ci_low", "ci_high", "rate_a", "rate_b", "n",
                               "a_only", "b_only"]
    row = d[(d.group_kind == "overall") & (d.outcome == "inbox")].iloc[0]
    # a - b from the joint table, recomputed by hand from the two scenarios' own counts
    rates = frame[(frame.group_kind == "overall") & (frame.outcome == "inbox")].set_index("scenario")["rate"]
    assert math.isclose(row["diff"], rates["N delisted"] - rates["P delisted"], abs_tol=1e-12)
    assert row.n == N and row.rate_a == rates["N delisted"]
    assert (row["diff"] * N) == row.a_only - row.b_only
    expected = metrics.paired_difference(int(row.rate_a * N) - int(row.a_only), int(row.a_only), int(row.b_only),
                                         N - int(row.rate_a * N) - int(row.b_only))
    assert math.isclose(row.ci_low, expected.ci_low) and math.isclose(row.ci_high, expected.ci_high)
    with pytest.raises(KeyError, match="not one of the scenarios"):
        frame.delivsim.paired("r1", "nope")
    unpaired = delivsim.compare_scenarios({"r1": r1, "N delisted": a}, messages=100)
    assert "diff" not in unpaired.columns


def test_paired_is_bit_identical_for_any_thread_count(r1):
    s = {"r1": r1, "fixed": delisted(r1, "N")}
    one = delivsim.compare_scenarios(s, messages=N, seed=5, threads=1, paired=True)
    two = delivsim.compare_scenarios(s, messages=N, seed=5, threads=2, paired=True)
    pd.testing.assert_frame_equal(one, two)


def test_paired_refuses_bad_arguments(r1):
    with pytest.raises(TypeError, match="paired must be True or False"):
        delivsim.compare_scenarios({"a": r1}, messages=10, paired="yes")


def test_tips_rank_the_changes_for_one_class(r1):
    frame = delivsim.tips(r1, sender_class="N", messages=N, seed=1)
    assert list(frame.columns) == ["tip", "description", "inbox", "gain", "ci_low", "ci_high", "n", "better", "worse"]
    assert frame["gain"].is_monotonic_decreasing
    # N has address errors, a DNSBL listing and no DMARC: those tips apply; its messages are small
    # (150 kB, no attachment), so the attachment tip changes nothing and is not listed
    assert set(frame.tip) >= {"verify_addresses", "get_delisted", "fix_authentication"}
    assert "avoid_large_attachments" not in set(frame.tip)
    for row in frame.itertuples():
        assert row.ci_low <= row.gain <= row.ci_high
        assert row.n == frame.n.iloc[0]
    delist = frame.set_index("tip").loc["get_delisted"]
    # by hand: the tip's run alone against the scenario's, class N's inbox share
    before = delivsim.run(r1, messages=N, seed=1).to_frame()
    after = delivsim.run(delisted(r1, "N"), messages=N, seed=1).to_frame()

    def share(f):
        return f[(f.group_kind == "class") & (f.group == "N") & (f.outcome == "inbox")]["rate"].iloc[0]

    assert math.isclose(delist.gain, share(after) - share(before), abs_tol=1e-12)
    assert delist.gain > 0 and delist.ci_low > 0
    # P sends large attachments: that tip applies to P
    assert "avoid_large_attachments" in set(delivsim.tips(r1, sender_class="P", messages=2000).tip)


def test_tips_name_a_bad_class(r1):
    with pytest.raises(KeyError, match="no sender class 'Q'"):
        delivsim.tips(r1, sender_class="Q", messages=10)


def with_folders(s):
    """R1 whose G honours safe senders and deletes spam after 30 days (as Gmail)."""
    doc = s.to_dict()
    for p in doc["recipient_profiles"]:
        if p["name"] == "G":
            p["folders"] = {"honours_safe_senders": True, "spam_retention_s": 2_592_000}
    return delivsim.parse_scenario(doc)


def test_recipient_tips_act_through_the_folders(r1):
    s = with_folders(r1)
    frame = delivsim.tips(s, sender_class="N", messages=N, seed=2).set_index("tip")
    # asking recipients to check spam rescues legitimate spam-folder mail everywhere
    assert frame.loc["check_spam", "gain"] > 0 and frame.loc["check_spam", "ci_low"] > 0
    assert frame.loc["check_spam", "worse"] == 0
    # safe senders help only where the receiver honours them (G here): paired, the gain is real
    assert frame.loc["safe_senders", "gain"] > 0 and frame.loc["safe_senders", "worse"] == 0
    # in R1 itself no receiver honours safe senders: the tip changes the scenario but gains nothing
    plain = delivsim.tips(r1, sender_class="N", messages=N, seed=2).set_index("tip")
    assert plain.loc["safe_senders", "gain"] == 0 and plain.loc["safe_senders", "better"] == 0
    # spam is never rescued: the tip gains spam (S) nothing
    spam = delivsim.tips(s, sender_class="S", messages=N, seed=2).set_index("tip")
    assert spam.loc["check_spam", "gain"] == 0
