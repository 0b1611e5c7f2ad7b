"""Sobol sensitivity indices (Saltelli/Jansen over scipy's Sobol sequence, bootstrap
intervals): recovered on the Ishigami function, whose indices are known analytically, and
computed for a simulated rate."""
import math

import numpy as np
import pytest

import delivsim
from delivsim import _sensitivity

# Ishigami (a = 7, b = 0.1) on [-pi, pi]^3: the analytic indices (Saltelli et al., Global
# Sensitivity Analysis: The Primer, 2008, section 4.1; Sobol' and Levitan 1999).
A, B = 7.0, 0.1
V = A**2 / 8 + B * math.pi**4 / 5 + B**2 * math.pi**8 / 18 + 0.5
V1 = 0.5 * (1 + B * math.pi**4 / 5) ** 2
V2 = A**2 / 8
V13 = B**2 * math.pi**8 * (1 / 18 - 1 / 50)
FIRST = [V1 / V, V2 / V, 0.0]
TOTAL = [(V1 + V13) / V, V2 / V, V13 / V]


def ishigami(x):
    return math.sin(x[0]) + A * math.sin(x[1]) ** 2 + B * x[2] ** 4 * math.sin(x[0])


def test_ishigami_indices_are_recovered_within_their_intervals():
    bounds = {"x1": (-math.pi, math.pi), "x2": (-math.pi, math.pi), "x3": (-math.pi, math.pi)}
    s = _sensitivity.sobol(ishigami, bounds, n=2**13, seed=3, bootstrap=300)
    assert s.parameters == ["x1", "x2", "x3"] and s.evaluations == 2**13 * 5
    for i in range(3):
        assert s.first_ci[i, 0] <= FIRST[i] <= s.first_ci[i, 1], (i, s.first[i], s.first_ci[i], FIRST[i])
        assert s.total_ci[i, 0] <= TOTAL[i] <= s.total_ci[i, 1], (i, s.total[i], s.total_ci[i], TOTAL[i])
        assert abs(s.first[i] - FIRST[i]) < 0.05 and abs(s.total[i] - TOTAL[i]) < 0.05
        assert s.first_ci[i, 1] - s.first_ci[i, 0] < 0.1  # informative, not vacuous
    frame = s.to_frame()
    assert list(frame.columns) == ["S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"]
    assert frame.loc["x2", "S1"] == s.first[1]


def test_the_estimators_are_saltelli_and_jansen():
    rng = np.random.default_rng(1)
    fa, fb, fab = rng.normal(size=50), rng.normal(size=50), rng.normal(size=(2, 50))
    s = _sensitivity.sobol_indices(fa, fb, fab, ["p", "q"], bootstrap=10)
    var = np.var(np.concatenate([fa, fb]))
    assert s.first[1] == pytest.approx(np.mean(fb * (fab[1] - fa)) / var)
    assert s.total[0] == pytest.approx(np.mean((fa - fab[0]) ** 2) / 2 / var)


def test_sensitivity_of_a_simulated_rate():
    r1 = delivsim.default_scenario()
    # The spam folder share of newsletters depends on their content score, not on S's IP listing.
    out = delivsim.sensitivity(
        r1, {"sender_classes.N.content_score.mean": (0.0, 6.0), "sender_classes.S.ip_listed": (0.0, 0.5)},
        output=lambda r: r.by_class["N"]["spam_folder"] / sum(r.by_class["N"].values()),
        n=16, seed=1, messages=4000, bootstrap=200)
    frame = out.to_frame()
    assert frame.loc["sender_classes.N.content_score.mean", "ST"] > 0.8
    assert abs(frame.loc["sender_classes.S.ip_listed", "ST"]) < 0.05
    assert out.evaluations == 16 * 4
    with pytest.raises(KeyError, match="did you mean 'inbox'"):
        delivsim.sensitivity(r1, {"sender_classes.S.ip_listed": (0, 1)}, output="inbx", n=4, messages=10)
    with pytest.raises(ValueError, match="low < high"):
        delivsim.sensitivity(r1, {"sender_classes.S.ip_listed": (1, 0)}, n=4, messages=10)
