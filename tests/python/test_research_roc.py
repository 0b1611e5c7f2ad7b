"""ROC per recipient profile, and the refusal of a combined curve over scores on different
scales: a logistic model (log-odds) at profile G while C and H keep their content filters
(content scores) used to give one histogram mixing both, and a wrong 1-AUC with no warning."""
import numpy as np
import pytest

import delivsim
from delivsim import metrics

N = 40_000
LOGISTIC = {"type": "logistic", "intercept": -4, "weights": {"content_score": 0.8},
            "actions": [{"min_probability": 0.9, "action": "spam_folder"}]}


def with_logistic(policies):
    return [LOGISTIC if p["type"] == "content_filter" else p for p in policies]


@pytest.fixture(scope="module")
def comparison():
    s = delivsim.default_scenario()
    g = s.profiles["G"].policies.to_list()
    return delivsim.compare(s, strategies={
        "own": None,
        "logistic_G": {"G": with_logistic(g)},
        "logistic_everywhere": {p: with_logistic(s.profiles[p].policies.to_list()) for p in s.profile_names},
    }, messages=N, seed=5, threads=2)


def test_a_combined_roc_over_different_scales_is_refused_saying_why(comparison):
    assert comparison.score_policies("logistic_G") == {"G": "logistic", "C": "content_filter", "H": "content_filter"}
    with pytest.raises(ValueError, match=r"'logistic_G' judges its profiles by scores on different scales \(G: "
                                         r"logistic log-odds; C: content score \(points\); H: content score "
                                         r"\(points\)\).*roc\(name, profile=\.\.\.\)"):
        comparison.roc("logistic_G")
    # One scale everywhere: a combined curve.
    assert metrics.auc(comparison.roc("logistic_everywhere")) > 0.5
    assert metrics.auc(comparison.roc("own")) > 0.5


def test_per_profile_curves_are_each_profiles_own(comparison):
    # G's messages are the same in every strategy, and judged by the same model in the two
    # logistic strategies: the same curve. C's are judged by the content filter in "own" and
    # "logistic_G": the same curve too.
    for a, b, profile in (("logistic_G", "logistic_everywhere", "G"), ("logistic_G", "own", "C"),
                          ("logistic_G", "own", "H")):
        ca, cb = comparison.roc(a, profile=profile), comparison.roc(b, profile=profile)
        assert np.array_equal(ca.fpr, cb.fpr) and np.array_equal(ca.tpr, cb.tpr)
    # The profile histograms add up to the strategy's
    legit, spam, _ = comparison.score_histogram("own")
    parts = [comparison.score_histogram("own", p) for p in ("G", "C", "H")]
    assert np.array_equal(legit, sum(p[0] for p in parts)) and np.array_equal(spam, sum(p[1] for p in parts))
    with pytest.raises(KeyError, match="did you mean 'G'"):
        comparison.roc("own", profile="g")


def test_measures_per_profile_and_combined_only_on_one_scale(comparison):
    m = comparison.roc_measures()
    g = m[m.strategy == "logistic_G"].set_index("profile")
    assert list(g.index) == ["G", "C", "H"]  # no combined row across scales
    assert g.loc["G", "scale"] == "logistic log-odds" and g.loc["C", "scale"] == "content score (points)"
    every = m[m.strategy == "logistic_everywhere"].set_index("profile")
    assert list(every.index) == ["G", "C", "H", "all"]
    assert g.loc["G", "1-auc"] == every.loc["G", "1-auc"]
    assert g.loc["G", "1-auc"] == pytest.approx(1 - metrics.auc(comparison.roc("logistic_G", profile="G")))
    assert (m["1-auc"].between(0, 1)).all() and (m["sm@hm=0.1%"].between(0, 1)).all()
    frame = comparison.to_frame()
    assert "1-auc" not in set(frame[frame.strategy == "logistic_G"].measure)
    assert "1-auc" in set(frame[frame.strategy == "logistic_everywhere"].measure)


def test_the_plot_draws_one_curve_per_profile_for_mixed_scales(comparison):
    ax = comparison.plot_roc(names=["logistic_G"])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert [label.split(" (")[0] for label in labels] == ["logistic_G, profile G", "logistic_G, profile C",
                                                           "logistic_G, profile H"]
