"""delivsim.sweep and delivsim.compare_scenarios: grids and listed points, one tidy frame, and common
random numbers (the same messages at every point)."""
import numpy as np
import pandas as pd
import pytest

import delivsim

N = 20_000


@pytest.fixture(scope="module")
def r1():
    return delivsim.default_scenario()


def test_grid_frame_shape_and_values(r1):
    frame = delivsim.sweep(r1, {"profiles.G.content.thresholds.spam_folder": [3.0, 5.0, 8.0],
                                "retry.lifetime_s": [86_400, 432_000]}, messages=N, seed=3)
    assert list(frame.columns) == ["point", "profiles.G.content.thresholds.spam_folder", "retry.lifetime_s",
                                   "group_kind", "group", "outcome", "count", "messages", "rate", "ci_low", "ci_high"]
    groups = 1 + len(r1.class_names) + len(r1.profile_names) + 2  # and legitimate mail, spam
    assert len(frame) == 6 * groups * 7
    points = frame.groupby("point")[["profiles.G.content.thresholds.spam_folder", "retry.lifetime_s"]].first()
    assert points.values.tolist() == [[3.0, 86_400], [3.0, 432_000], [5.0, 86_400], [5.0, 432_000],
                                      [8.0, 86_400], [8.0, 432_000]]  # the last path varies fastest
    assert frame.attrs["delivsim"]["parameters"] == ["profiles.G.content.thresholds.spam_folder", "retry.lifetime_s"]
    overall = frame[frame.group_kind == "overall"]
    assert (overall.groupby("point")["count"].sum() == N).all()
    assert (frame.ci_low <= frame.rate).all() and (frame.rate <= frame.ci_high).all()
    # each point is exactly a run of the edited scenario
    edited = r1.with_values({"profiles.G.content.thresholds.spam_folder": 8.0, "retry.lifetime_s": 86_400})
    one = delivsim.run(edited, messages=N, seed=3).to_frame()
    got = frame[frame.point == 4][one.columns].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, one)
    # a lower spam threshold sends more of G's mail to the spam folder
    spam = frame[(frame.group == "G") & (frame.outcome == "spam_folder") & (frame["retry.lifetime_s"] == 432_000)]
    assert spam["count"].is_monotonic_decreasing and spam["count"].iloc[0] > spam["count"].iloc[-1]


def cells_of(by_class_profile):
    """{(class, profile): counts} from the report's by_class_profile, nested or keyed "C/P"."""
    out = {}
    for key, value in by_class_profile.items():
        if "/" in key and "inbox" in value:
            cls, profile = key.split("/")
            out[cls, profile] = value
        else:
            out.update({(key, profile): counts for profile, counts in value.items()})
    return out


def test_common_random_numbers(r1):
    """Changing only profile H's policies leaves every message to G and C exactly as it was:
    the same counts, cell by cell (class x profile)."""
    points = [{}, {"profiles.H.content.thresholds.spam_folder": 2.0},
              {"profiles.H.policies.greylist.delay_s": 100_000, "profiles.H.mx[0].down": 0.9}]
    frame = delivsim.sweep(r1, points, messages=N, seed=8)
    by_profile = frame[frame.group_kind == "profile"].pivot_table(index=["group", "outcome"], columns="point",
                                                                  values="count")
    for p in ["G", "C"]:
        assert (by_profile.loc[p].nunique(axis=1) == 1).all()
    assert (by_profile.loc["H"].nunique(axis=1) > 1).any()  # H itself did change
    # cell by cell, with the full reports
    runs = [delivsim.run(r1.with_values(pt), messages=N, seed=8) for pt in points]
    cells = [cells_of(r.to_dict()["by_class_profile"]) for r in runs]
    assert len(cells[0]) == 12
    for (cls, profile), counts in cells[0].items():
        if profile != "H":
            assert counts == cells[1][cls, profile] == cells[2][cls, profile], (cls, profile)
    # and the same messages: per-message explanations agree outside H
    for i in range(200):
        paths = [delivsim.explain(r1.with_values(pt), message=i, seed=8) for pt in points]
        assert len({p["sender_class"] for p in paths}) == 1 and len({p["profile"] for p in paths}) == 1
        if paths[0]["profile"] != "H":
            assert paths[0] == paths[1] == paths[2]


def test_listed_points_and_object_values(r1):
    frame = delivsim.sweep(r1, [
        {"profiles.G.policies.greylist": {"delay_s": 300}},
        {"recipient_profiles.G.policies.content_filter.actions.spam_folder.min_score": 4},
    ], messages=5000, seed=1)
    assert frame["point"].unique().tolist() == [0, 1]
    col = "profiles.G.policies.greylist"
    assert frame.loc[frame.point == 0, col].iloc[0] == '{"delay_s": 300}'  # objects as JSON text
    assert frame.loc[frame.point == 1, col].isna().all()


def test_bad_points_fail_before_running(r1):
    with pytest.raises(ValueError, match=r"sweep point .*is not a probability \[recipient_profiles\.H\.mx"):
        delivsim.sweep(r1, {"profiles.H.mx[0].down": [0.1, 1.5]}, messages=10)
    with pytest.raises(KeyError, match="sweep point 0 .*no item with name 'X'"):
        delivsim.sweep(r1, {"profiles.X.weight": [0.1]}, messages=10)
    with pytest.raises(TypeError, match="list of values"):
        delivsim.sweep(r1, {"retry.lifetime_s": 5}, messages=10)
    with pytest.raises(TypeError, match="progress"):
        delivsim.sweep(r1, {"retry.lifetime_s": [5]}, messages=10, progress="yes")


def test_sweep_progress(r1, capsys):
    seen = []
    delivsim.sweep(r1, {"retry.lifetime_s": [3600, 7200]}, messages=100_000,
                   progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (200_000, 200_000) and all(t == 200_000 for _, t in seen)
    delivsim.sweep(r1, {"retry.lifetime_s": [3600, 7200]}, messages=1000, progress=True)
    assert "2000/2000" in capsys.readouterr().err


def test_compare_scenarios(r1):
    verified = r1.copy()
    for c in verified.sender_classes:
        c.address_error.probability = 0.0
    frame = delivsim.compare_scenarios({"baseline": r1, "verified addresses": verified}, messages=N, seed=2)
    assert frame.scenario.unique().tolist() == ["baseline", "verified addresses"]
    bounced = frame[(frame.group_kind == "overall") & (frame.outcome == "bounced")].set_index("scenario")["count"]
    assert bounced["verified addresses"] < bounced["baseline"]
    np.testing.assert_array_equal(
        frame[frame.scenario == "baseline"]["count"].values, delivsim.run(r1, messages=N, seed=2).to_frame()["count"].values)
    with pytest.raises(ValueError, match="not unique"):
        delivsim.compare_scenarios([r1, r1], messages=10)


def test_compare_scenarios_with_numeric_labels(r1):
    def with_address_errors(p):
        s = r1.copy()
        s.sender_classes.N.address_error.probability = p
        return s

    frame = delivsim.compare_scenarios({p: with_address_errors(p) for p in [0.0, 0.02, 0.05]}, messages=N, column="N errors")
    assert frame.columns[0] == "N errors" and frame["N errors"].dtype.kind == "f"
    assert frame.attrs["delivsim"]["parameters"] == ["N errors"]
    bounced = frame[(frame.group == "N") & (frame.outcome == "bounced")]["count"]
    assert bounced.is_monotonic_increasing
