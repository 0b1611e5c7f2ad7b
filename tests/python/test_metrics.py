"""delivsim.metrics on small cases worked out by hand (the arithmetic is in the comments).

The z used throughout is Phi^-1(0.975) = 1.959964 (z² = 3.841459)."""
import math

import numpy as np
import pytest

from delivsim import metrics as m


def close(a, b, tol=5e-6):
    return abs(a - b) <= tol


def test_wilson_against_published_values():
    # Newcombe (Statistics in Medicine 17:857-872, 1998), Table II, Wilson score method:
    # 81/263 -> 0.2553, 0.3662; 15/148 -> 0.0624, 0.1605; 0/20 -> 0, 0.1611; 1/29 -> 0.0061, 0.1718.
    for k, n, low, high in [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611),
                            (1, 29, 0.0061, 0.1718)]:
        p, lo, hi = m.wilson(k, n)
        assert p == k / n and round(lo, 4) == low and round(hi, 4) == high
    # 10/100 by hand: centre = (0.1 + z²/200) / (1 + z²/100) = 0.1192073 / 1.0384146 = 0.1147975;
    # half = z sqrt(0.1*0.9/100 + z²/40000) / 1.0384146 = 1.959964 * 0.0315600 / 1.0384146 = 0.0595681
    # -> [0.0552294, 0.1743656]
    p, lo, hi = m.wilson(10, 100)
    assert close(lo, 0.0552294) and close(hi, 0.1743656)
    assert all(math.isnan(x) for x in m.wilson(0, 0))
    with pytest.raises(ValueError, match="more than n"):
        m.wilson(3, 2)
    with pytest.raises(TypeError, match="integer count"):
        m.wilson(1.5, 2)


def test_trec_hm_sm_lam_hand_computed():
    # truth x judgement [not judged, judged ham, judged spam]
    #   legit: 5 not judged, 90 judged ham, 10 judged spam -> hm = 10/100 = 0.1
    #   spam:  3 not judged, 20 judged ham, 60 judged spam -> sm = 20/80 = 0.25
    # lam: logit(0.1) = ln(1/9), logit(0.25) = ln(1/3); their mean is ln(1/sqrt(27)), so
    #   lam = 1 / (1 + sqrt(27)) = 1 / 6.196152 = 0.1613905.
    # lam's CI (delta method on the empirical logits):
    #   centre = (ln(10.5/90.5) + ln(20.5/60.5)) / 2 = (-2.1539746 - 1.0822185) / 2 = -1.6180965
    #   var = 1/10.5 + 1/90.5 + 1/20.5 + 1/60.5 = 0.0952381 + 0.0110497 + 0.0487805 + 0.0165289 = 0.1715972
    #   se = sqrt(0.1715972) / 2 = 0.2071215
    #   logit bounds -1.6180965 -/+ 1.959964 * 0.2071215 = -2.0240542, -1.2121388
    #   -> [expit(-2.0240542), expit(-1.2121388)] = [0.1167012, 0.2293216]
    # hm's Wilson interval: [0.0552294, 0.1743656] (above); sm's, 20/80:
    #   centre = (0.25 + z²/160) / (1 + z²/80) = 0.2740091 / 1.0480182 = 0.2614548
    #   half = z sqrt(0.25*0.75/80 + z²/25600) / 1.0480182 = 1.959964 * 0.0499381 / 1.0480182 = 0.0933924
    #   -> [0.1680624, 0.3548472] (the test also recomputes these two lines in full precision)
    t = m.trec(np.array([[5, 90, 10], [3, 20, 60]], dtype=np.uint64))
    assert (t.ham_as_spam, t.ham_judged, t.spam_as_ham, t.spam_judged) == (10, 100, 20, 80)
    assert t.hm.value == 0.1 and t.sm.value == 0.25
    assert close(t.hm.ci_low, 0.0552294) and close(t.hm.ci_high, 0.1743656)
    z2 = m.Z95**2
    centre = (0.25 + z2 / 160) / (1 + z2 / 80)
    half = m.Z95 * math.sqrt(0.25 * 0.75 / 80 + z2 / 25600) / (1 + z2 / 80)
    assert close(t.sm.ci_low, centre - half, 1e-12) and close(t.sm.ci_high, centre + half, 1e-12)
    assert close(t.sm.ci_low, 0.1680623) and close(t.sm.ci_high, 0.3548467)
    assert close(t.lam.value, 1 / (1 + math.sqrt(27)), 1e-12)
    assert close(t.lam.value, 0.1613905)
    assert close(t.lam.ci_low, 0.1167012) and close(t.lam.ci_high, 0.2293216)
    # A paired (2, 3, 3) table gives the first strategy's marginal.
    joint = np.zeros((2, 3, 3), np.uint64)
    joint[:, :, 0] = [[5, 90, 10], [3, 20, 60]]
    assert m.trec(joint) == t


def test_lam_limits():
    # hm = 0 and 0 < sm < 1: logit(hm) = -inf, so lam = 0; its CI still has a positive upper bound.
    e = m.lam(0, 50, 5, 50)
    # upper: centre (ln(0.5/50.5) + ln(5.5/45.5))/2 = -3.3642, se sqrt(2 + 1/50.5 + 1/5.5 + 1/45.5)/2 = 0.7456
    #   -> expit(-3.3642 + 1.959964 * 0.7456) = expit(-1.9029) = 0.1298
    assert e.value == 0.0 and e.ci_low == 0.0 and round(e.ci_high, 4) == 0.1298
    assert math.isnan(m.lam(0, 50, 50, 50).value)  # -inf + inf
    assert all(math.isnan(x) for x in m.lam(0, 0, 5, 50))  # no legitimate mail judged
    with pytest.raises(ValueError, match="shape"):
        m.trec(np.zeros((3, 3), int))


def test_roc_auc_and_sm_at_hm_hand_computed():
    # Scores in 4 bins; legit [5, 3, 2, 0], spam [0, 1, 3, 6] (10 of each).
    # Judging spam from edge k on: k=4 none (0, 0); k=3: legit 0, spam 6 -> (0, 0.6);
    # k=2: legit 2, spam 9 -> (0.2, 0.9); k=1: legit 5, spam 10 -> (0.5, 1); k=0: (1, 1).
    curve = m.roc([5, 3, 2, 0], [0, 1, 3, 6], edges=[-np.inf, 1, 2, 3, np.inf])
    assert curve.fpr.tolist() == [0, 0, 0.2, 0.5, 1] and curve.tpr.tolist() == [0, 0.6, 0.9, 1, 1]
    assert curve.thresholds.tolist() == [np.inf, 3, 2, 1, -np.inf]
    # AUC by trapezoids: 0.2 * (0.6 + 0.9)/2 + 0.3 * (0.9 + 1)/2 + 0.5 * 1 = 0.15 + 0.285 + 0.5 = 0.935.
    # Mann-Whitney with ties as 1/2 over the 100 (spam, legit) pairs: spam in bin 1 (1 message)
    # beats the 5 legit in bin 0 and ties 3: 6.5; bin 2 (3): beats 8, ties 2: 3 * 9 = 27;
    # bin 3 (6): beats all 10: 60. (6.5 + 27 + 60) / 100 = 0.935.
    assert close(m.auc(curve), 0.935, 1e-12)
    # sm at hm = 10%: between (0, 0.6) and (0.2, 0.9) halfway: tpr 0.75, sm 0.25.
    assert close(m.sm_at_hm(curve, 0.1), 0.25, 1e-12)
    # At hm = 0.1%: tpr = 0.6 + 0.3 * 0.001/0.2 = 0.6015 -> sm = 0.3985.
    assert close(m.sm_at_hm(curve), 0.3985, 1e-12)
    # Exactly at a point with a vertical segment below it: the highest tpr there.
    assert m.tpr_at(curve, 0.0) == 0.6 and m.tpr_at(curve, 0.5) == 1.0 and m.tpr_at(curve, 1.0) == 1.0
    with pytest.raises(ValueError, match="both truths"):
        m.roc([0, 0], [1, 2])


def test_cost_matrix_and_expected_cost_hand_computed():
    costs = {"legit_lost_untold": 10, "legit_bounced": 2, "legit_spam_folder": 1, "spam_delivered": 1}
    matrix = m.cost_matrix(costs)
    # legit: spam_folder 1 (its own key beats the group's 10), quarantined, rule_deleted,
    # silently_lost 10, bounced 2; spam: inbox and rule_moved 1.
    assert matrix.tolist() == [[0, 0, 1, 10, 10, 10, 2], [1, 1, 0, 0, 0, 0, 0]]
    # outcomes [inbox, rule_moved, spam_folder, quarantined, rule_deleted, silently_lost, bounced]
    table = [[80, 5, 6, 3, 1, 1, 4], [10, 0, 30, 10, 0, 0, 50]]
    # total cost = 6*1 + 3*10 + 1*10 + 1*10 + 4*2 + 10*1 = 74 over 200 messages: mean 0.37
    # mean square = (6*1 + 3*100 + 100 + 100 + 4*4 + 10*1) / 200 = 532/200 = 2.66
    # var = 2.66 - 0.37² = 2.5231; se = sqrt(2.5231/200) = 0.1123187
    # CI = 0.37 -/+ 1.959964 * 0.1123187 = 0.37 -/+ 0.2201406 -> [0.1498594, 0.5901406]
    e = m.expected_cost(table, costs)
    assert close(e.value, 0.37, 1e-12) and close(e.ci_low, 0.1498594) and close(e.ci_high, 0.5901406)
    # The default costs: every misplaced message costs 1 (legit lost 15, spam delivered 10).
    assert close(m.expected_cost(table).value, 25 / 200, 1e-12)
    with pytest.raises(ValueError, match="did you mean 'legit_spam_folder'"):
        m.cost_matrix({"legit_spamfolder": 1})
    with pytest.raises(ValueError, match="finite"):
        m.cost_matrix({"spam_inbox": math.nan})
    with pytest.raises(TypeError, match="must be a number"):
        m.cost_matrix({"spam_inbox": "1"})


def test_paired_difference_newcombe_hand_computed():
    # both 5, a only 10, b only 2, neither 83 (n = 100): p_a = 0.15, p_b = 0.07, d = 0.08.
    # Wilson: p_a [0.0930599, 0.2328356], p_b [0.0343193, 0.1374951].
    # phi = (5*83 - 10*2) / sqrt(15 * 85 * 7 * 93) = 395 / 911.0570 = 0.4335623
    # low  = 0.08 - sqrt(0.0569401² - 2 phi 0.0569401 * 0.0674951 + 0.0674951²)
    #      = 0.08 - sqrt(0.0032422 - 0.0033324 + 0.0045556) = 0.08 - 0.0668226 = 0.0131774
    # high = 0.08 + sqrt(0.0828356² - 2 phi 0.0828356 * 0.0356807 + 0.0356807²)
    #      = 0.08 + sqrt(0.0068617 - 0.0025629 + 0.0012731) = 0.08 + 0.0746455 = 0.1546455
    d = m.paired_difference(5, 10, 2, 83)
    assert (d.p_a, d.p_b, d.n) == (0.15, 0.07, 100) and close(d.difference, 0.08, 1e-12)
    assert close(d.ci_low, 0.0131774) and close(d.ci_high, 0.1546455)
    # The pairing matters: the same margins treated as independent samples (phi = 0, Newcombe's
    # unpaired square-and-add) give a wider interval.
    unpaired_half = math.sqrt((0.15 - 0.0930599) ** 2 + (0.1374951 - 0.07) ** 2)
    assert d.difference - d.ci_low < unpaired_half
    # No discordant pairs: the difference is 0 and the interval is tight around it.
    same = m.paired_difference(300, 0, 0, 9700)
    assert same.difference == 0 and -0.01 < same.ci_low <= 0 <= same.ci_high < 0.01
    assert math.isnan(m.paired_difference(0, 0, 0, 0).difference)


def test_paired_trec_counts_only_messages_both_judged():
    t = np.zeros((2, 3, 3), np.uint64)
    # legit [judgement by a][by b]; a not judged & b not judged: 3, a judged spam & b not: 1
    t[0] = [[3, 0, 0],
            [0, 85, 2],
            [1, 7, 3]]
    # spam: both judged ham (both wrong) 4, a ham b spam 1, a spam b ham 6, both spam 29
    t[1] = [[0, 0, 0],
            [0, 4, 1],
            [0, 6, 29]]
    p = m.paired_trec(t)
    # hm: among the 97 legit messages both judged: a wrong (judged spam) 7 + 3, b wrong 2 + 3.
    assert p["hm"] == m.paired_difference(3, 7, 2, 85)
    assert close(p["hm"].difference, 5 / 97, 1e-12)
    # sm: a wrong (judged ham) 4 + 1, b wrong 4 + 6: d = (1 - 6) / 40.
    assert p["sm"] == m.paired_difference(4, 1, 6, 29)
    assert close(p["sm"].difference, -5 / 40, 1e-12)


def test_paired_cost_hand_computed():
    costs = {"legit_lost_untold": 1, "legit_bounced": 2, "spam_inbox": 1}
    o = {name: i for i, name in enumerate(m.OUTCOMES)}
    t = np.zeros((2, 7, 7), np.uint64)
    t[0, o["inbox"], o["inbox"]] = 90               # cost 0 - 0
    t[0, o["spam_folder"], o["inbox"]] = 6          # 1 - 0 = +1
    t[0, o["inbox"], o["bounced"]] = 4              # 0 - 2 = -2
    t[1, o["bounced"], o["bounced"]] = 50           # 0
    t[1, o["bounced"], o["inbox"]] = 10             # 0 - 1 = -1
    t[1, o["spam_folder"], o["spam_folder"]] = 40   # 0
    # mean = (6 - 8 - 10) / 200 = -0.06; mean square = (6 + 16 + 10) / 200 = 0.16;
    # var = 0.16 - 0.0036 = 0.1564; se = sqrt(0.1564 / 200) = 0.0279643
    # CI = -0.06 -/+ 1.959964 * 0.0279643 = -0.06 -/+ 0.0548090 -> [-0.1148090, -0.0051910]
    e = m.paired_cost(t, costs)
    assert close(e.value, -0.06, 1e-12) and close(e.ci_low, -0.1148090) and close(e.ci_high, -0.0051910)


def test_paired_table_selects_categories():
    joint = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    # a counts category 2; b counts category 2; among 1 and 2 only: both 9, a only 8, b only 6, neither 5
    assert m.paired_table(joint, in_a=(2,), among=(1, 2)) == (9, 8, 6, 5)
    # over all categories, a counts 0 (row 0), b counts 1 (column 1): both 2, a only 1 + 3,
    # b only 5 + 8, neither 4 + 6 + 7 + 9
    assert m.paired_table(joint, in_a=(0,), in_b=(1,)) == (2, 4, 13, 26)


def test_intervals_cover_about_95_percent():
    # Simulated coverage (fixed seed, 4000 replications each: a 95% interval covers between
    # 93.6% and 96.4% with probability 0.99): lam's delta-method interval at a small and a
    # skewed case, Newcombe's paired interval with correlated pairs.
    rng = np.random.default_rng(1)
    reps = 4000
    for ph, nh, ps, ns in [(0.02, 5000, 0.05, 2000), (0.001, 3000, 0.2, 500)]:
        true = m.expit((m.logit(ph) + m.logit(ps)) / 2)
        covered = sum(e.ci_low <= true <= e.ci_high for e in
                      (m.lam(int(x), nh, int(y), ns) for x, y in zip(rng.binomial(nh, ph, reps), rng.binomial(ns, ps, reps))))
        assert 0.936 < covered / reps < 0.964, (ph, ps, covered / reps)
    for cells, n in [((0.05, 0.01, 0.005), 2000), ((0.3, 0.05, 0.05), 100)]:
        probs = [*cells, 1 - sum(cells)]
        true = cells[1] - cells[2]
        covered = sum(e.ci_low <= true <= e.ci_high for e in
                      (m.paired_difference(*map(int, row)) for row in rng.multinomial(n, probs, reps)))
        assert 0.936 < covered / reps < 0.964, (cells, covered / reps)
