"""delivsim.calibrate: recovers parameters from rates simulated with them, within the stated
uncertainty; refuses bad input naming what is wrong."""
import pickle

import pytest

import delivsim

IP = "sender_classes.N.ip_listed"
SCORE = "sender_classes.N.content_score.mean"
BOUNDS = {IP: (0, 1), SCORE: (-5, 15)}


@pytest.mark.slow  # a least-squares fit of many simulations
def test_recovers_known_parameters_within_stated_uncertainty():
    s = delivsim.default_scenario()
    truth = {IP: 0.03, SCORE: 3.0}
    # The "observed" rates: simulated with the true values on other messages (another seed).
    observed = delivsim.run(s.with_values(truth), messages=200_000, seed=1000)
    targets = {o: observed.outcomes[o] / observed.messages for o in ("inbox", "spam_folder", "bounced")}
    start = s.with_values({IP: 0.08, SCORE: 2.0})  # perturbed
    fit = delivsim.calibrate(start, [IP, SCORE], targets, messages=200_000, seed=2000, bounds=BOUNDS,
                             target_messages=observed.messages)
    assert fit.success
    for p in truth:
        # informative: the interval is narrow ...
        assert fit.stderr[p] < 0.2 * truth[p]
        # ... and contains the truth (within 3 standard errors)
        assert abs(fit.values[p] - truth[p]) < 3 * fit.stderr[p], (p, fit.values[p], fit.stderr[p])
        assert fit.values[p] != fit.start[[IP, SCORE].index(p)]
    frame = fit.frame()
    assert list(frame.param) == [IP, SCORE]
    assert (frame.ci_low < frame.value).all() and (frame.value < frame.ci_high).all()
    res = fit.residuals
    assert list(res.target) == ["inbox", "spam_folder", "bounced"]
    assert (res.z.abs() < 3).all()
    # The fitted scenario and its run are returned, and the fit pickles.
    assert fit.scenario.get(IP) == fit.values[IP] and fit.result.messages == 200_000
    again = pickle.loads(pickle.dumps(fit))
    assert again.values == fit.values and again.result == fit.result
    assert "Calibration" in repr(fit) and "±" in repr(fit)


def test_missing_and_sender_class_rates():
    s = delivsim.default_scenario()
    r = delivsim.run(s, messages=50_000, seed=3)
    n_counts = r.by_class["N"]
    n = sum(n_counts.values())
    missing = 1 - (n_counts["inbox"] + n_counts["spam_folder"]) / n
    # Fitting at the true values from the same messages: the residuals are exactly zero.
    fit = delivsim.calibrate(s, [SCORE], {"missing": missing, "spam_folder": n_counts["spam_folder"] / n},
                             messages=50_000, seed=3, bounds={SCORE: (-5, 15)}, sender_class="N", steps={SCORE: 0.3})
    assert abs(fit.values[SCORE] - 3.0) < 3 * fit.stderr[SCORE]
    assert delivsim._calibrate.rate_set("missing") == ("rule_moved", "quarantined", "rule_deleted",
                                                       "silently_lost", "bounced")
    assert delivsim._calibrate.rate_set("inbox+rule_moved") == ("inbox", "rule_moved")


def test_bad_input_names_the_problem():
    s = delivsim.default_scenario()
    with pytest.raises(ValueError, match="unknown rate 'inbx'"):
        delivsim.calibrate(s, [IP], {"inbx": 0.8})
    with pytest.raises(ValueError, match="not a share"):
        delivsim.calibrate(s, [IP], {"inbox": 83})
    with pytest.raises(ValueError, match="2 params cannot be fitted to 1 targets"):
        delivsim.calibrate(s, [IP, SCORE], {"inbox": 0.8})
    with pytest.raises(ValueError, match="outside its bounds"):
        delivsim.calibrate(s, [IP], {"inbox": 0.8}, bounds={IP: (0.1, 1)})
    with pytest.raises(ValueError, match="counts 'bounced' twice"):
        delivsim.calibrate(s, [IP], {"missing+bounced": 0.1})
    with pytest.raises(ValueError, match="not among the params"):
        delivsim.calibrate(s, [IP], {"inbox": 0.8}, bounds={SCORE: (0, 1)})
    # A param that moves no message: refused, naming it, instead of a meaningless fit.
    with pytest.raises(ValueError, match=r"sender_classes.T.size_bytes\[0\].bytes: a step .* moved 0 messages"):
        delivsim.calibrate(s, ["sender_classes.T.size_bytes[0].bytes"], {"inbox": 0.8}, messages=5_000)
    with pytest.raises(TypeError, match="params must be a non-empty list"):
        delivsim.calibrate(s, IP, {"inbox": 0.8})
