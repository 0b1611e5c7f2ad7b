"""delivsim.Comparison's frames on a hand-made comparison: every number must be the
delivsim.metrics function of the counts made here message by message (the engine's own
comparison is tested in test_compare.py)."""
import math

import numpy as np
import pytest

import delivsim
from delivsim import metrics
from conftest import CONTENT_ONLY  # the chain of the hand-made comparison's strategy "b"

OUTCOMES = metrics.OUTCOMES
N = 2000  # the messages of conftest's hand-made comparison (`made`)


def test_to_frame_is_metrics_of_the_counts(made):
    c, truth, outcome, judged, cls, scores, costs = made
    frame = c.to_frame()
    assert list(frame.columns) == ["strategy", "measure", "value", "ci_low", "ci_high", "count", "of", "unit"]
    for i, name in enumerate(c.names):
        table = np.zeros((2, 3), int)
        np.add.at(table, (truth, judged[i]), 1)
        t = metrics.trec(table)
        rows = frame[frame.strategy == name].set_index("measure")
        assert rows.loc["hm", "value"] == t.hm.value and rows.loc["hm", "ci_high"] == t.hm.ci_high
        assert rows.loc["sm", "count"] == t.spam_as_ham and rows.loc["sm", "of"] == t.spam_judged
        assert rows.loc["lam", "value"] == t.lam.value
        legit = truth == 0
        inbox = int((legit & (outcome[i] == 0)).sum())
        assert rows.loc["legit_inbox", "count"] == inbox and rows.loc["legit_inbox", "of"] == legit.sum()
        told = int((legit & (outcome[i] == OUTCOMES.index("bounced"))).sum())
        assert rows.loc["legit_lost_told", "count"] == told
        untold = int((legit & np.isin(outcome[i], [2, 3, 4, 5])).sum())
        assert rows.loc["legit_lost_untold", "count"] == untold
        delivered = int(((truth == 1) & np.isin(outcome[i], [0, 1])).sum())
        assert rows.loc["spam_delivered", "count"] == delivered
        # loss: the mean of each message's cost
        cost = metrics.cost_matrix(costs)[truth, outcome[i]]
        assert math.isclose(rows.loc["loss", "value"], cost.mean(), rel_tol=1e-12)
    # Only b has a score: its ROC from the legit and spam histograms (classes T, N, P vs S).
    b = frame[frame.strategy == "b"].set_index("measure")
    assert "1-auc" not in set(frame[frame.strategy == "a"].measure)
    legit_scores, spam_scores = scores[1][truth == 0], scores[1][truth == 1]
    # Mann-Whitney on the binned scores, ties one half
    lb = np.digitize(legit_scores, [0, 1, 2, 3])
    sb = np.digitize(spam_scores, [0, 1, 2, 3])
    wins = (sb[:, None] > lb[None, :]).sum() + 0.5 * (sb[:, None] == lb[None, :]).sum()
    assert math.isclose(b.loc["1-auc", "value"], 1 - wins / (len(lb) * len(sb)), rel_tol=1e-9)
    curve = c.roc("b")
    assert curve.fpr[0] == 0 and curve.tpr[-1] == 1 and curve.thresholds[0] == math.inf
    with pytest.raises(ValueError, match="'a' has no score-based policy"):
        c.roc("a")
    summary = c.summary()
    assert list(summary.index) == ["a", "b"] and summary.loc["b", "hm"] == b.loc["hm", "value"]
    assert math.isnan(summary.loc["a", "1-auc"])


def test_paired_is_the_per_message_pairing(made):
    c, truth, outcome, judged, cls, scores, costs = made
    p = c.paired("b", "a").set_index("measure")
    legit_both = (truth == 0) & (judged[0] > 0) & (judged[1] > 0)
    b_wrong, a_wrong = judged[1] == 2, judged[0] == 2
    expect = metrics.paired_difference(int((legit_both & b_wrong & a_wrong).sum()),
                                       int((legit_both & b_wrong & ~a_wrong).sum()),
                                       int((legit_both & ~b_wrong & a_wrong).sum()),
                                       int((legit_both & ~b_wrong & ~a_wrong).sum()))
    assert p.loc["hm", "difference"] == expect.difference
    assert p.loc["hm", "ci_low"] == expect.ci_low and p.loc["hm", "a_only"] == expect.a_only
    legit = truth == 0
    b_in, a_in = outcome[1] == 0, outcome[0] == 0
    d = metrics.paired_difference(int((legit & b_in & a_in).sum()), int((legit & b_in & ~a_in).sum()),
                                  int((legit & ~b_in & a_in).sum()), int((legit & ~b_in & ~a_in).sum()))
    assert p.loc["legit_inbox", "difference"] == d.difference and p.loc["legit_inbox", "n"] == legit.sum()
    m = metrics.cost_matrix(costs)
    per_message = m[truth, outcome[1]] - m[truth, outcome[0]]
    assert math.isclose(p.loc["loss", "difference"], per_message.mean(), rel_tol=1e-12)
    assert p.loc["loss", "a_only"] == (per_message > 0).sum() and p.loc["loss", "b_only"] == (per_message < 0).sum()
    se = per_message.std() / math.sqrt(N)
    assert math.isclose(p.loc["loss", "ci_high"], per_message.mean() + metrics.Z95 * se, rel_tol=1e-9)
    # The pairing narrows the interval: narrower than two independent Wilson intervals combined.
    frame = c.to_frame().set_index(["strategy", "measure"])
    independent = math.hypot(frame.loc[("a", "legit_inbox"), "ci_high"] - frame.loc[("a", "legit_inbox"), "value"],
                             frame.loc[("b", "legit_inbox"), "ci_high"] - frame.loc[("b", "legit_inbox"), "value"])
    assert p.loc["legit_inbox", "ci_high"] - p.loc["legit_inbox", "difference"] < independent
    # a - a is exactly zero with no discordant message
    same = c.paired("a", "a").set_index("measure")
    assert (same.difference == 0).all() and (same.a_only[same.index != "loss"] == 0).all()
    with pytest.raises(KeyError, match="no strategy 'c'"):
        c.paired("a", "c")


def test_results_costs_and_repr(made):
    c = made[0]
    results = c.results
    assert list(results) == ["a", "b"]
    assert results["a"].scenario == c.scenario
    assert results["b"].scenario.profiles["G"].policies.to_list() == CONTENT_ONLY
    assert results["b"].scenario.profiles["C"].policies.to_list() == CONTENT_ONLY
    assert c.costs == made[6]
    cheap = c.with_costs({"spam_inbox": 1})
    assert cheap.loss("a").value != c.loss("a").value and cheap.costs == {"spam_inbox": 1}
    with pytest.raises(ValueError, match="unknown kind of error 'legit_lost_untld'"):
        c.with_costs({"legit_lost_untld": 1})
    text = repr(c)
    assert "2 strategies" in text and "a: hm" in text and "b: hm" in text
