"""One convention across the package, each proven here: rates are fractions in every frame
(percent only on request); explain takes message= and seed= as keywords and refuses messages
a run did not simulate; one default message count; Python's standard exceptions with the
valid names and a suggestion; sweep points show the base value of paths they leave unset;
contradictory thresholds are refused naming the field; distributed.run takes a scheduler
address."""
import inspect
import json
import math

import pytest

import delivsim
from delivsim import metrics


# --- rates are fractions; percent is a display option -------------------------------------
def test_comparison_frames_are_fractions_and_percent_is_only_display(made):
    c = made[0]
    frame, shown = c.to_frame(), c.to_frame(percent=True)
    t = c.trec("b")
    hm = frame[(frame.strategy == "b") & (frame.measure == "hm")].iloc[0]
    assert hm["value"] == t.hm.value and hm["unit"] == "fraction" and 0 <= hm["value"] <= 1
    rates = frame.unit == "fraction"
    assert (shown.loc[rates, "value"] == 100 * frame.loc[rates, "value"]).all()
    assert (shown.loc[rates, "unit"] == "%").all()
    assert (shown.loc[~rates, "value"] == frame.loc[~rates, "value"]).all()  # loss is not a rate
    assert c.summary().loc["b", "sm"] == t.sm.value  # the same fractions as trec()
    assert c.summary(percent=True).loc["b", "sm"] == 100 * t.sm.value
    p, pp = c.paired("b", "a"), c.paired("b", "a", percent=True)
    assert (p.set_index("measure").loc["hm", ["a", "b", "difference"]] * 100
            == pp.set_index("measure").loc["hm", ["a", "b", "difference"]]).all()


def test_result_and_sweep_rates_are_fractions(r1):
    r = delivsim.run(r1, messages=2000, seed=1)
    frame = r.to_frame()
    assert frame.rate.between(0, 1).all()
    inbox = frame[(frame.group_kind == "overall") & (frame.outcome == "inbox")].iloc[0]
    assert inbox.rate == r.outcomes["inbox"] / 2000


# --- explain: keywords only, everywhere; out-of-range messages refused ----------------------
def test_explain_takes_message_and_seed_as_keywords_only(r1):
    for f in (delivsim.explain, delivsim.Result.explain):
        params = inspect.signature(f).parameters
        assert params["message"].kind is inspect.Parameter.KEYWORD_ONLY
    assert inspect.signature(delivsim.explain).parameters["seed"].kind is inspect.Parameter.KEYWORD_ONLY
    with pytest.raises(TypeError):
        delivsim.explain(r1, 1, 42)  # the old, swappable positional form
    with pytest.raises(TypeError):
        delivsim._core.explain(r1._core, 42, 1)
    a = delivsim.explain(r1, message=1, seed=42)
    assert a == json.loads(delivsim._core.explain(r1._core, seed=42, message=1))
    r = delivsim.run(r1, messages=100, seed=42)
    assert r.explain(message=1) == a
    with pytest.raises(TypeError):
        r.explain(1)


def test_result_explain_refuses_a_message_the_run_did_not_simulate(r1):
    r = delivsim.run(r1, messages=100, seed=3, first_message=50)
    assert r.explain(message=50)["outcome"] in delivsim._results.OUTCOMES
    for outside in (49, 150, 10**6):
        with pytest.raises(IndexError, match=r"not in this run \(its messages: \[50, 150\)\)"):
            r.explain(message=outside)
    with pytest.raises(ValueError):
        r.explain(message=-1)


# --- one default message count --------------------------------------------------------------
def test_one_default_message_count():
    import delivsim.distributed

    entry_points = [delivsim.run, delivsim.compare, delivsim.sweep, delivsim.compare_scenarios, delivsim.calibrate, delivsim.tips,
                    delivsim.distributed.run, delivsim.distributed.compare]
    for f in entry_points:
        assert inspect.signature(f).parameters["messages"].default == delivsim.DEFAULT_MESSAGES, f.__qualname__
    # sensitivity's None means the same default
    assert inspect.signature(delivsim.sensitivity).parameters["messages"].default is None
    assert delivsim.DEFAULT_MESSAGES == 1_000_000  # the CLI's --messages default too


# --- standard exceptions --------------------------------------------------------------------
def test_a_missing_scenario_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.json"):
        delivsim.load_scenario(tmp_path / "nope.json")
    with pytest.raises(IsADirectoryError):
        delivsim.load_scenario(tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(ValueError):  # what a file says is still a ValueError naming the field
        delivsim.load_scenario(bad)


def test_unknown_names_are_key_errors_with_the_valid_names_and_a_suggestion(r1, made):
    r = delivsim.run(r1, messages=500, seed=1)
    with pytest.raises(KeyError, match=r"no sender class 'X' \(valid: T, N, P, S\)") as e:
        r.acceptance_histogram(sender_class="X")
    assert "did you mean" not in str(e.value)
    with pytest.raises(KeyError, match=r"no recipient profile 'g' \(valid: G, C, H\); did you mean 'G'\?"):
        r.acceptance_histogram(profile="g")
    with pytest.raises(KeyError, match=r"no strategy 'bb' \(valid: a, b\); did you mean 'b'\?"):
        made[0].trec("bb")


def test_plot_outcomes_refuses_an_unknown_grouping(r1):
    frame = delivsim.sweep(r1, {"sender_classes.N.ip_listed": [0.0, 0.1]}, messages=500)
    with pytest.raises(ValueError, match=r"by must be one of class, profile, overall, all, not 'klass'.*did you mean "
                                         r"'class'\?"):
        frame.delivsim.plot_outcomes(by="klass")
    with pytest.raises(KeyError, match=r"no sender class 'Q'"):
        frame.delivsim.plot_outcomes(by="class", group="Q")
    with pytest.raises(ValueError, match="by must be one of"):
        delivsim.run(r1, messages=100).plot(by="klass")
    assert frame.delivsim.plot_outcomes(by="class", group="N") is not None


# --- sweeps: unset paths have the base value -----------------------------------------------
def test_sweep_points_show_the_base_value_of_paths_they_leave_unset(r1):
    ip, down = "sender_classes.N.ip_listed", "recipient_profiles.H.mx[0].down"
    base_ip, base_down = r1.get(ip), r1.get(down)
    frame = delivsim.sweep(r1, [{ip: 0.2}, {down: 0.5}, {}], messages=500)
    by_point = frame.drop_duplicates("point").set_index("point")
    assert by_point.loc[0, down] == base_down and by_point.loc[1, ip] == base_ip
    assert by_point.loc[2, ip] == base_ip and by_point.loc[2, down] == base_down
    assert frame[[ip, down]].notna().all().all()
    # so the baseline row survives a pivot
    wide = frame[frame.group_kind == "overall"].pivot_table(index=[ip, down], columns="outcome", values="rate")
    assert len(wide) == 3


# --- contradictory thresholds ---------------------------------------------------------------
def test_a_spam_folder_threshold_above_reject_is_refused_naming_the_field(r1):
    s = r1.copy()
    path = "recipient_profiles.G.policies.content_filter.actions"
    actions = s.get(path).to_list()
    reject = next(a["min_score"] for a in actions if a["action"] == "reject")
    s.set(path, [{"min_score": reject, "action": "reject"}, {"min_score": reject + 1, "action": "spam_folder"}])
    with pytest.raises(ValueError, match=r"recipient_profiles\[0\]\.policies\[5\]\.actions\[1\]\.min_score.*"
                                         r"the spam_folder threshold .* is not below the reject threshold"):
        s.validate()
    s.set(path, [{"min_score": reject, "action": "reject"}, {"min_score": reject, "action": "quarantine"}])
    with pytest.raises(ValueError, match="share the threshold|is not below"):
        s.validate()
    s.set(path, [{"min_score": reject, "action": "reject"}, {"min_score": reject - 1, "action": "spam_folder"}])
    s.validate()  # the sensible order is fine


# --- distributed.run takes a scheduler address --------------------------------------------
@pytest.mark.slow
def test_distributed_run_accepts_a_scheduler_address(r1):
    distributed = pytest.importorskip("distributed")
    import delivsim.distributed as dd

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, worker_dashboard_address=None) as cluster:
        result = dd.run(r1, messages=30_000, seed=2, client=cluster.scheduler_address, chunks=3)
    assert result == delivsim.run(r1, messages=30_000, seed=2)
    with pytest.raises(TypeError, match="scheduler address"):
        dd.run(r1, messages=10, client=42)
