"""delivsim.compare end to end: every strategy runs on the same messages (each strategy's
result is exactly a plain run of the scenario with its chains, so everything that does not
depend on the strategy is identical), the joint counts agree with the per-strategy results,
thread count and splits do not matter, and bad input names the strategy and field."""
import pickle

import numpy as np
import pytest

import delivsim
from delivsim import metrics

N = 60_000


def chains(s):
    return {p: s.profiles[p].policies.to_list() for p in s.profile_names}


def with_threshold(policies, score):
    out = []
    for p in policies:
        if p["type"] == "content_filter":
            p = {**p, "actions": [a if a["action"] != "spam_folder" else {**a, "min_score": score}
                                  for a in p["actions"]]}
        out.append(p)
    return out


def with_rspamd(policies):
    return [{"type": "rspamd", "preset": "rspamd_default", "content_score": True} if p["type"] == "content_filter"
            else p for p in policies]


@pytest.fixture(scope="module")
def r1():
    return delivsim.default_scenario()


@pytest.fixture(scope="module")
def strategies(r1):
    c = chains(r1)
    return {
        "as is": None,
        "G threshold 4": {"G": with_threshold(c["G"], 4)},
        "rspamd at G": {"G": with_rspamd(c["G"])},
        "H chain everywhere": c["H"],
    }


@pytest.fixture(scope="module")
def comparison(r1, strategies):
    return delivsim.compare(r1, strategies, messages=N, seed=3, threads=2,
                            costs={"legit_lost_untold": 10, "legit_lost_told": 3, "spam_delivered": 1})


def test_each_strategy_is_exactly_a_run_of_its_chains_on_the_same_messages(r1, strategies, comparison):
    for name, chain in strategies.items():
        alone = r1.copy()
        if isinstance(chain, dict):
            for profile, policies in chain.items():
                alone.set(("recipient_profiles", profile, "policies"), policies)
        elif chain is not None:
            for profile in alone.profile_names:
                alone.set(("recipient_profiles", profile, "policies"), chain)
        run = delivsim.run(alone, messages=N, seed=3, threads=1)
        assert comparison.results[name] == run, name
    # Strategies that change only G leave every message sent to C and H exactly as it was.
    base = comparison.results["as is"].by_profile
    for name in ("G threshold 4", "rspamd at G"):
        other = comparison.results[name].by_profile
        assert other["C"] == base["C"] and other["H"] == base["H"]
        assert other["G"] != base["G"]


def test_joint_counts_agree_with_the_results(comparison):
    names = comparison.names
    for a in names:
        joint = comparison.outcome_joint(a, a)
        assert (joint == np.stack([np.diag(np.diag(joint[t])) for t in range(2)])).all()  # a vs a: diagonal
        for b in names:
            j = comparison.outcome_joint(a, b)
            assert int(j.sum()) == N
            assert (j.sum(axis=2) == comparison.outcome_joint(a)).all()
            assert (j.sum(axis=1) == comparison.outcome_joint(b)).all()
            assert (comparison.outcome_joint(b, a) == j.transpose(0, 2, 1)).all()
            assert (comparison.judged(a, b).sum(axis=2) == comparison.judged(a)).all()
        by_outcome = comparison.outcome_joint(a).sum(axis=0)
        assert dict(zip(metrics.OUTCOMES, by_outcome.tolist())) == comparison.results[a].outcomes
        legit = sum(sum(v.values()) for c, v in comparison.results[a].by_class.items() if c != "S")
        assert int(comparison.judged(a)[0].sum()) == legit


def test_frames_roc_and_choice(comparison):
    summary = comparison.summary()
    assert list(summary.index) == comparison.names
    assert {"hm", "sm", "lam", "legit_inbox", "legit_lost_told", "legit_lost_untold", "spam_delivered",
            "loss"} <= set(summary.columns)
    # A lower spam-folder threshold at G judges more legitimate mail spam and less spam ham.
    p = comparison.paired("G threshold 4", "as is").set_index("measure")
    assert p.loc["hm", "difference"] > 0 and p.loc["hm", "ci_low"] > 0 and p.loc["hm", "b_only"] == 0
    assert p.loc["sm", "difference"] < 0 and p.loc["sm", "ci_high"] < 0
    # rspamd and the content filter have scores: ROC curves from the one run (rspamd's at G
    # only: its points are not the content filters' of C and H).
    for name, profile in (("as is", None), ("rspamd at G", "G")):
        curve = comparison.roc(name, profile=profile)
        assert curve.fpr[0] == 0 and curve.fpr[-1] == 1 and 0.5 < metrics.auc(curve) < 1
    with pytest.raises(ValueError, match="different scales"):
        comparison.roc("rspamd at G")
    rows = comparison.to_frame().set_index(["strategy", "measure"])
    assert 0 < rows.loc[("as is", "1-auc"), "value"] < 0.5  # a fraction
    assert ("rspamd at G", "1-auc") not in rows.index
    g = comparison.roc_measures().set_index(["strategy", "profile"])
    assert 0 < g.loc[("rspamd at G", "G"), "1-auc"] < 0.5
    assert 0 <= g.loc[("rspamd at G", "G"), "sm@hm=0.1%"] <= 1


def test_threads_splits_merging_and_pickling(r1, strategies, comparison):
    one = delivsim.compare(r1, strategies, messages=N, seed=3, threads=1,
                           costs={"legit_lost_untold": 10, "legit_lost_told": 3, "spam_delivered": 1})
    assert one == comparison
    first = delivsim.compare(r1, strategies, messages=25_000, seed=3, threads=2, costs=comparison.costs)
    rest = delivsim.compare(r1, strategies, messages=N - 25_000, seed=3, threads=2, first_message=25_000,
                            costs=comparison.costs)
    assert first + rest == comparison
    with pytest.raises(ValueError, match="overlap"):
        first + first
    again = pickle.loads(pickle.dumps(comparison))
    assert again == comparison and again.summary().equals(comparison.summary())
    seen = []
    delivsim.compare(r1, {"as is": None}, messages=10_000, seed=3, progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1] == (10_000, 10_000)


def test_bad_input_names_the_strategy_and_field(r1):
    bad_threshold = [{"type": "content_filter", "actions": [{"min_score": "high", "action": "spam_folder"}]}]
    with pytest.raises(ValueError, match=r"strategies\.strict.*min_score"):
        delivsim.compare(r1, {"strict": bad_threshold}, messages=100)
    with pytest.raises(ValueError, match="'Z' is not a recipient profile"):
        delivsim.compare(r1, {"x": {"Z": []}}, messages=100)
    with pytest.raises(TypeError, match=r"strategies\['x'\]\[0\] must be a policy"):
        delivsim.compare(r1, {"x": ["dnsbl"]}, messages=100)
    with pytest.raises(TypeError, match="compare_scenarios"):
        delivsim.compare({"a": r1, "b": r1})
    with pytest.raises(TypeError, match="strategies must be a dict"):
        delivsim.compare(r1, [None])
    with pytest.raises(ValueError, match="at least one strategy"):
        delivsim.compare(r1, {})
    with pytest.raises(ValueError, match="unknown kind of error"):
        delivsim.compare(r1, {"a": None}, messages=100, costs={"ham_lost": 1})
    with pytest.raises(TypeError, match="core must be a delivsim._core.Comparison"):
        delivsim.Comparison(r1, 1, ((0, 1),), object(), {"a": None})
