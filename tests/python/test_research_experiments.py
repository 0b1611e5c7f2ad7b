"""Experiments: sweeps that keep each point's Result and give paired differences between
points, sweeps as xarray Datasets, designs (grid, list of dicts, Latin hypercube), opt-in
result caching, and comparisons on Dask equal to local ones; rich HTML display."""
import json

import numpy as np
import pytest

import delivsim

SPAM_FOLDER = "profiles.G.content.thresholds.spam_folder"
IP = "sender_classes.N.ip_listed"


def test_sweep_keeps_results_and_pairs_points_on_the_same_messages(r1):
    frame = delivsim.sweep(r1, {SPAM_FOLDER: [4.0, 6.0]}, messages=20_000, seed=3, keep_results=True)
    results = frame.delivsim.results
    assert len(results) == 2 and all(isinstance(r, delivsim.Result) for r in results)
    assert results[1] == delivsim.run(r1.with_values({SPAM_FOLDER: 6.0}), messages=20_000, seed=3)
    p = frame.delivsim.paired(0, 1).set_index("measure")
    # A lower spam-folder threshold at G: more legitimate mail misjudged, fewer inbox messages.
    assert p.loc["legit_inbox", "difference"] < 0 < p.loc["hm", "difference"]
    assert p.loc["legit_inbox", "ci_high"] < 0
    # The pairing: the differences are exactly those of the two points' outcome counts.
    legit = [c for c, v in zip(r1.class_names, r1.to_dict()["sender_classes"]) if v["legit"]]
    inbox = [sum(r.by_class[c]["inbox"] for c in legit) for r in results]
    n = sum(sum(results[0].by_class[c].values()) for c in legit)
    assert p.loc["legit_inbox", "difference"] == pytest.approx((inbox[0] - inbox[1]) / n, abs=1e-15)
    # Paired intervals are much narrower than independent ones
    assert p.loc["legit_inbox", "ci_high"] - p.loc["legit_inbox", "ci_low"] < 0.5 * 2 * 1.96 * np.sqrt(0.25 / n)


def test_paired_points_need_the_same_messages(r1):
    frame = delivsim.sweep(r1, {IP: [0.0, 0.3]}, messages=2000, keep_results=True)
    with pytest.raises(ValueError, match="differ outside the recipient profiles' policy chains"):
        frame.delivsim.paired(0, 1)
    with pytest.raises(IndexError):
        frame.delivsim.paired(0, 7)
    plain = delivsim.sweep(r1, {IP: [0.0]}, messages=100)
    with pytest.raises(ValueError, match="keep_results=True"):
        plain.delivsim.results


def test_sweep_to_xarray_grid_and_points(r1):
    pytest.importorskip("xarray")
    frame = delivsim.sweep(r1, {IP: [0.0, 0.2], SPAM_FOLDER: [4.0, 5.0, 6.0]}, messages=2000)
    ds = frame.delivsim.to_xarray()
    assert dict(ds.rate.sizes)[IP] == 2 and dict(ds.rate.sizes)[SPAM_FOLDER] == 3
    one = frame[(frame[IP] == 0.2) & (frame[SPAM_FOLDER] == 5.0) & (frame.group == "N") & (frame.outcome == "inbox")]
    assert float(ds.rate.sel({IP: 0.2, SPAM_FOLDER: 5.0, "group_kind": "class", "group": "N",
                              "outcome": "inbox"})) == one.rate.iloc[0]
    assert ds.attrs["messages"] == 2000
    # Not a grid (a Latin hypercube): a "point" dimension, the parameters as coordinates.
    design = delivsim.latin_hypercube({IP: (0.0, 0.5), SPAM_FOLDER: (3.0, 8.0)}, n=4, seed=2)
    lhs = delivsim.sweep(r1, design, messages=1000)
    ds = lhs.delivsim.to_xarray()
    assert ds.rate.sizes["point"] == 4 and list(ds[IP].values) == list(design[IP])


def test_designs(r1):
    assert delivsim.grid({"a": [1, 2], "b": [3]}) == [{"a": 1, "b": 3}, {"a": 2, "b": 3}]
    design = delivsim.latin_hypercube({IP: (0.0, 0.5), SPAM_FOLDER: (3.0, 8.0)}, n=10, seed=4)
    assert list(design.columns) == [IP, SPAM_FOLDER] and len(design) == 10
    # Latin: each of the 10 strata of each range holds exactly one point
    assert sorted(np.floor(design[IP] / 0.05).astype(int)) == list(range(10))
    assert sorted(np.floor((design[SPAM_FOLDER] - 3.0) / 0.5).astype(int)) == list(range(10))
    assert design.equals(delivsim.latin_hypercube({IP: (0.0, 0.5), SPAM_FOLDER: (3.0, 8.0)}, n=10, seed=4))
    frame = delivsim.sweep(r1, design, messages=500)
    assert frame.point.nunique() == 10 and (frame.drop_duplicates("point")[IP].to_numpy() == design[IP]).all()
    listed = delivsim.sweep(r1, delivsim.grid({IP: [0.0, 0.1]}), messages=500)
    gridded = delivsim.sweep(r1, {IP: [0.0, 0.1]}, messages=500)
    assert listed.equals(gridded)
    with pytest.raises(ValueError, match="low < high"):
        delivsim.latin_hypercube({IP: (0.5, 0.1)}, n=3)


def test_result_cache_is_opt_in_and_keyed_by_content(r1, tmp_path, monkeypatch):
    first = delivsim.run(r1, messages=3000, seed=9, cache=tmp_path)
    assert len(list(tmp_path.glob("*.pickle"))) == 1
    # Another seed, message count or scenario content is another entry
    delivsim.run(r1, messages=3000, seed=10, cache=tmp_path)
    delivsim.run(r1, messages=3001, seed=9, cache=tmp_path)
    delivsim.run(r1.with_values({IP: 0.5}), messages=3000, seed=9, cache=tmp_path)
    assert len(list(tmp_path.glob("*.pickle"))) == 4
    # A hit is read back, not simulated: with the simulator disabled it still answers.
    def no_simulation(*args, **kwargs):
        raise AssertionError("simulated instead of reading the cache")

    monkeypatch.setattr(delivsim._run._core, "run", no_simulation)
    assert delivsim.run(r1.copy(), messages=3000, seed=9, cache=tmp_path) == first
    with pytest.raises(AssertionError, match="simulated"):  # no cache unless asked
        delivsim.run(r1, messages=3000, seed=9)
    with pytest.raises(AssertionError, match="simulated"):  # a miss simulates
        delivsim.run(r1, messages=3000, seed=11, cache=tmp_path)
    monkeypatch.undo()
    with pytest.raises(ValueError, match="checkpoint"):
        delivsim.run(r1, messages=10, cache=tmp_path, checkpoint=tmp_path / "c")


@pytest.mark.slow
def test_distributed_compare_equals_local_compare(r1):
    distributed = pytest.importorskip("distributed")
    import delivsim.distributed as dd

    strategies = {"own": None, "strict": {"G": [{"type": "content_filter", "actions": [
        {"min_score": 3, "action": "spam_folder"}]}]}}
    local = delivsim.compare(r1, strategies=strategies, messages=40_000, seed=4)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, worker_dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        remote = dd.compare(r1, strategies=strategies, messages=40_000, seed=4, client=client, chunks=5)
    assert remote == local  # every count: tallies, paired tables, score histograms
    assert remote.to_frame().equals(local.to_frame())


def test_html_display(r1, made):
    html = r1._repr_html_()
    assert "<table" in html and "r1_article_world" in html and "content_filter" in html and "greylist" in html
    r = delivsim.run(r1, messages=5000, seed=1)
    html = r._repr_html_()
    inbox = r.to_dict()["rates"]["inbox"]
    assert f"{100 * inbox['rate']:.2f}%" in html
    assert f"[{100 * inbox['ci95'][0]:.2f}, {100 * inbox['ci95'][1]:.2f}]" in html
    assert html.count("<tr>") == 1 + 1 + len(r1.class_names) + len(r1.profile_names)
    c = made[0]
    html = c._repr_html_()
    t = c.trec("b")
    assert f"{100 * t.hm.value:.3f}%" in html and f"[{100 * t.hm.ci_low:.3f}, {100 * t.hm.ci_high:.3f}]" in html
    # Names are escaped
    s = r1.copy()
    s.name = "<b>x</b>"
    assert "<b>x</b>" not in s._repr_html_() and "&lt;b&gt;x&lt;/b&gt;" in s._repr_html_()


def test_world_display_and_xarray():
    pytest.importorskip("xarray")
    import pathlib

    from delivsim import world

    w = world.load(pathlib.Path(__file__).resolve().parents[2] / "tests" / "data" / "world" / "stateful_small.json")
    html = w._repr_html_()
    assert "<table" in html and w.name in html
    r = world.run(w, seed=1, threads=2)
    html = r._repr_html_()
    report = json.loads(r.tally.report_json(w.name, 1))
    first = list(w.sender_names)[0]
    inbox = report["rates_by_class"][first]["inbox"]
    assert f"sender {first}" in html and f"{100 * inbox['rate']:.2f}%" in html
    ds = r.to_xarray()
    frame = r.timeseries()
    assert set(ds.sizes) == {"time", "sender"} and ds.sizes["sender"] == len(w.sender_names)
    assert int(ds["inbox"].sum()) == int(frame["inbox"].sum()) == r.outcomes["inbox"]
