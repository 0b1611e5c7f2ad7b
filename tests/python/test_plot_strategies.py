"""delivsim.plot's strategy and calibration plots draw (Agg) what they say: ROC curves,
forest plots of paired differences, calibration fits."""
import matplotlib.colors as mcolors
import matplotlib.pyplot as plt  # noqa: F401  (Agg, set by conftest.py)
import numpy as np
import pytest

import delivsim
import delivsim.plot as dplot


def test_roc_curves(made):
    c = made[0]
    ax = dplot.roc(c)
    (line,) = ax.get_lines()[:1]
    curve = c.roc("b")
    assert np.allclose(line.get_xdata(), 100 * curve.fpr) and np.allclose(line.get_ydata(), 100 * curve.tpr)
    assert "b (1-AUC" in ax.get_legend().get_texts()[0].get_text()
    log = c.plot_roc(log=True)
    assert log.get_xscale() == "log" and (log.get_lines()[0].get_xdata() > 0).all()
    with pytest.raises(ValueError, match="no score-based policy"):
        dplot.roc(c, names=["a"])


def test_forest_plot_colours_by_verdict(made):
    c = made[0]
    axes = dplot.paired(c, baseline="a", measures=["hm", "legit_inbox", "loss"])
    assert len(axes) == 3
    p = c.paired("b", "a", percent=True).set_index("measure")  # the plot shows rates in percentage points
    for ax, measure in zip(axes, ["hm", "legit_inbox", "loss"]):
        (point,) = [line for line in ax.get_lines() if len(line.get_xdata()) == 1 and line.get_marker() == "o"]
        assert point.get_xdata()[0] == pytest.approx(p.loc[measure, "difference"])
        lo, hi = p.loc[measure, "ci_low"], p.loc[measure, "ci_high"]
        better_if_up = measure == "legit_inbox"
        d = p.loc[measure, "difference"]
        want = "unclear" if lo <= 0 <= hi else ("better" if (d > 0) == better_if_up else "worse")
        assert mcolors.to_hex(point.get_color()) == dplot.DIFFERENCE_COLORS[want]
    assert [t.get_text() for t in axes[0].get_yticklabels()] == ["b"]  # shared: labelled on the first panel
    assert c.plot_paired("b", measures=["sm"])[0].get_yticklabels()[0].get_text() == "a"
    with pytest.raises(ValueError, match="no paired difference for \\['lam'\\]"):
        dplot.paired(c, "a", measures=["lam"])


def test_calibration_plot():
    s = delivsim.default_scenario()
    ip, score = "sender_classes.N.ip_listed", "sender_classes.N.content_score.mean"
    fit = delivsim.calibrate(s, [ip, score], {"inbox": 0.63, "spam_folder": 0.11, "missing": 0.26},
                             messages=50_000, bounds={ip: (0, 1), score: (-5, 15)}, target_sd=0.003)
    ax = fit.plot()
    bars = ax.patches
    assert len(bars) == 6  # target and fitted for each of the 3 targets
    heights = [b.get_height() for b in bars]
    res = fit.residuals
    assert heights[0::2] == pytest.approx(list(100 * res.target_rate))
    assert heights[1::2] == pytest.approx(list(100 * res.fitted_rate))
    assert mcolors.to_hex(bars[1].get_facecolor()) == dplot.OUTCOME_COLORS["inbox"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["inbox", "spam_folder", "missing"]
    assert "ip_listed" in ax.get_title()
