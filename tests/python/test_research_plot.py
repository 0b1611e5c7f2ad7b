"""delivsim.plot (matplotlib, Agg backend): every plot draws, outcome colours are fixed, and
the Result and sweep-frame methods give the same plots."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import delivsim  # noqa: E402
import delivsim.plot as dplot  # noqa: E402


@pytest.fixture(scope="module")
def result():
    return delivsim.run(delivsim.default_scenario(), messages=20_000, seed=2, threads=2)


@pytest.fixture(scope="module")
def frame():
    return delivsim.sweep(delivsim.default_scenario(), {"profiles.G.content.thresholds.spam_folder": [3, 5, 8]},
                          messages=10_000, seed=2)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def bar_colors(ax):
    return {c.get_label(): mcolors.to_hex(c[0].get_facecolor()) for c in ax.containers}


def test_outcomes_bars_and_fixed_colours(result, tmp_path):
    for by, n_bars in [("class", 4), ("profile", 3), ("overall", 1), ("all", 8)]:
        ax = result.plot(by=by)
        assert len(ax.containers) == 7  # one stack per outcome
        assert bar_colors(ax) == dplot.OUTCOME_COLORS
        assert len(ax.get_yticklabels()) == n_bars
        widths = np.sum([[p.get_width() for p in c] for c in ax.containers], axis=0)
        np.testing.assert_allclose(widths, 100)  # each bar is 100% of its group
        assert [t.get_text() for t in ax.get_legend().get_texts()] == list(dplot.OUTCOME_COLORS)
    ax.figure.savefig(tmp_path / "outcomes.png")
    assert (tmp_path / "outcomes.png").stat().st_size > 1000
    assert [t.get_text() for t in result.plot(by="class").get_yticklabels()][::-1] == [
        "class T", "class N", "class P", "class S"]
    with pytest.raises(ValueError, match="by must be"):
        result.plot(by="cell")


def test_bounces(result):
    ax = result.plot_bounces()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert any(label.startswith("5.7.1") for label in labels)
    heights = [p.get_width() for p in ax.patches]
    assert sum(heights) == result.outcomes["bounced"]
    assert heights == sorted(heights)  # largest on top


def test_acceptance_cdf(result):
    ax = result.plot_acceptance()
    (line,) = ax.get_lines()
    y = line.get_ydata()
    assert y[-1] == pytest.approx(100) and np.all(np.diff(y) >= 0)
    assert len(result.plot_acceptance(by="class").get_lines()) == 4
    ax = dplot.acceptance_cdf({"a": result, "b": result}, of="all")
    accepted = 100 * result.acceptance_times.sum() / result.messages
    assert ax.get_lines()[0].get_ydata()[-1] == pytest.approx(accepted)
    with pytest.raises(ValueError, match="of must be"):
        dplot.acceptance_cdf(result, of="some")


def test_sweep_lines_with_bands(frame):
    ax = frame.delivsim.plot(outcome="spam_folder", group_kind="profile", groups=["G", "C"])
    assert len(ax.get_lines()) == 2 and len(ax.collections) == 2  # a line and a CI band each
    g = ax.get_lines()[0]
    assert list(g.get_xdata()) == [3, 5, 8] and np.all(np.diff(g.get_ydata()) < 0)
    assert ax.get_xlabel() == "profiles.G.content.thresholds.spam_folder"
    ax = dplot.sweep(frame, outcome=["inbox", "bounced"])
    assert [mcolors.to_hex(line.get_color()) for line in ax.get_lines()] == [
        dplot.OUTCOME_COLORS["inbox"], dplot.OUTCOME_COLORS["bounced"]]
    assert len(frame.delivsim.plot_outcomes().get_yticklabels()) == 3
    with pytest.raises(ValueError, match="unknown outcome"):
        dplot.sweep(frame, outcome="lost")
    with pytest.raises(ValueError, match="no column"):
        dplot.sweep(frame, x="retry.lifetime_s")


def test_compare_plots():
    s = delivsim.default_scenario()
    fixed = s.copy()
    fixed.sender_classes.N.dmarc = {"pass": 1.0}
    frame = delivsim.compare_scenarios({"baseline": s, "DMARC fixed": fixed}, messages=10_000)
    ax = frame.delivsim.plot(outcome=["inbox", "spam_folder"], group_kind="class", groups=["N"])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["baseline", "DMARC fixed"]
    ax = frame.delivsim.plot_outcomes(by="class", group="N")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["DMARC fixed", "baseline"]


def test_the_readme_five_lines(tmp_path, monkeypatch):
    """README's "from install to a plot in five lines" (lines 3 to 5) work as written."""
    import pathlib
    import re

    readme = (pathlib.Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = readme[readme.index("From install to a plot in five lines"):].split("```")[1]
    lines = [re.sub(r"\s+# \d\..*$", "", line[4:]) for line in block.splitlines() if line.startswith(">>> ")]
    assert len(lines) == 3
    monkeypatch.chdir(tmp_path)
    exec("\n".join(lines), {})
    assert (tmp_path / "where_the_mail_went.png").stat().st_size > 10_000
