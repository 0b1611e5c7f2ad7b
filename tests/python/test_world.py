"""The world layer from Python and the CLI: determinism, the time-indexed frame, plots, errors."""
import json
import os
import pathlib
import subprocess
import threading
import time

import pandas as pd
import pytest

import delivsim
from delivsim import world

REPO = pathlib.Path(__file__).resolve().parents[2]
SMALL = REPO / "tests" / "data" / "world" / "stateful_small.json"
EXAMPLES = REPO / "examples" / "scenarios"
CLI = os.environ.get("DELIVSIM_CLI", str(REPO / "build" / "delivsim"))


@pytest.fixture(scope="module")
def small():
    return world.load(SMALL)


@pytest.fixture(scope="module")
def small_result(small):
    return world.run(small, seed=3, threads=1)


def test_world_run_is_identical_for_any_thread_count(small, small_result):
    for threads in (2, 4):
        other = world.run(small, seed=3, threads=threads)
        assert other._core_result == small_result._core_result
        assert other.tally == small_result.tally
    assert world.run(small, seed=4, threads=1).tally != small_result.tally


def test_world_timeseries_is_time_indexed_and_adds_up(small, small_result):
    f = small_result.timeseries()
    assert isinstance(f.index, pd.TimedeltaIndex)
    assert f.index.name == "time"
    assert set(f["sender"]) == set(small.sender_names)
    assert f["sent"].sum() == small_result.messages
    outcomes = list(delivsim.world.OUTCOMES)
    assert f[outcomes].to_numpy().sum() == small_result.messages
    assert small_result.outcomes["inbox"] == f["inbox"].sum()
    # Buckets of 6 hours (the file's bucket_s).
    assert f.index.unique()[1] == pd.Timedelta(hours=6)
    assert f["level:bigmail"].cat.categories.tolist() == ["bad", "low", "medium", "high"]
    g = small_result.timeseries(by="receiver")
    assert set(g["receiver"]) == {"bigmail", "corp"}
    assert g["deferrals"].sum() == f["deferrals"].sum()
    # Every mailbox is counted once per bucket at each receiver that keeps mailboxes.
    fill = g[[c for c in g.columns if c.startswith("mailbox_fill:")]].sum(axis=1)
    assert fill.groupby(g["receiver"]).nunique().max() == 1
    assert g.filter(like="deferrals:4.2.2").to_numpy().sum() > 0  # full mailboxes emerged


def test_world_plot(small_result):
    import matplotlib

    matplotlib.use("Agg")
    ax = small_result.plot("inbox_rate")
    assert len(ax.get_lines()) == 3
    ax = small_result.plot("level:corp")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["bad", "low", "medium", "high"]
    ax = small_result.plot("reputation:bigmail")
    assert len(ax.get_lines()) == 3 + 2  # a line per sender, and the 0.1% and 0.3% lines
    with pytest.raises(ValueError, match="what must be a column"):
        small_result.plot("nonsense")


def test_world_report_matches_cli(small_result, tmp_path):
    out = tmp_path / "r.json"
    done = subprocess.run([CLI, "world", str(SMALL), "--seed", "3", "--threads", "2", "--json", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "reputation level" in done.stdout
    # The totals' rows are the world's senders and receiving domains, and say so.
    assert "\nby sender (" in done.stdout and "\nby receiving domain (" in done.stdout
    assert "by sender class" not in done.stdout
    cli = json.loads(out.read_text())
    py = small_result.report()
    assert cli["outcomes"] == py["outcomes"]
    assert cli["timeseries"] == py["timeseries"]
    assert cli["format"] == "delivsim-world-result/1"


def test_world_bad_input_names_the_field(tmp_path):
    doc = json.loads(SMALL.read_text())
    doc["senders"][2]["schedule"][0]["daily_growth"] = -1
    with pytest.raises(ValueError, match=r"^senders\[2\]\.schedule\[0\]\.daily_growth: -1 must be greater than 0$"):
        world.parse(json.dumps(doc))
    with pytest.raises(ValueError, match=r"^senders\[2\]\.schedule\[0\]\.daily_growth: -1 must be greater than 0 "
                                         r"\[senders\.\w+\.schedule\[0\]\.daily_growth\]$"):
        world.parse(doc)  # a dict: the path by names follows
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    done = subprocess.run([CLI, "world", str(bad)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr == "delivsim: error: senders[2].schedule[0].daily_growth: -1 must be greater than 0\n"
    done = subprocess.run([CLI, "world", str(SMALL), "--check"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "valid world (3 senders, 2 lists, 5000 recipients, 2 receivers)" in done.stdout
    with pytest.raises(TypeError):
        world.run("not a world")
    with pytest.raises(ValueError, match="threads"):
        world.run(world.load(SMALL), threads=0)
    with pytest.raises(TypeError):
        world.parse(42)
    with pytest.raises(ValueError, match="not valid JSON"):
        world.parse("{")


def test_world_run_releases_the_gil(small):
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.001)

    t = threading.Thread(target=ticker)
    t.start()
    start = time.monotonic()
    world.run(small, seed=5, threads=1)
    end = time.monotonic()
    stop.set()
    t.join()
    during = [x for x in ticks if start < x < end]
    assert end - start > 0.05
    assert len(during) > 5  # the other thread ran while the world was simulated


def test_world_progress_and_interrupt(small):
    seen = []
    world.run(small, seed=1, threads=1, progress=lambda done, total: seen.append((done, total)))
    # Reported about every 100 ms and at the end, in simulated seconds: rising, and the last
    # call is the whole run.
    assert seen and [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert seen[-1][0] == seen[-1][1] > 0

    def boom(done, total):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        world.run(small, seed=1, threads=1, progress=boom)


def test_world_examples_load():
    for name in ("warmup", "noisy_neighbour", "complaint_spiral"):
        w = world.load(EXAMPLES / f"{name}.json")
        assert w.name == name


BAD_WORLDS = REPO / "tests" / "data" / "bad_worlds" / "cases.json"


def _bad_world_cases():
    return json.loads(BAD_WORLDS.read_text())


@pytest.mark.parametrize("case", _bad_world_cases(), ids=lambda c: c["name"])
def test_bad_world_is_refused_naming_the_field(case, tmp_path):
    """tests/data/bad_worlds/cases.json: edits of tests/data/world/stateful_small.json (the edit
    language of tests/python/test_bad_scenarios.py); `delivsim validate` exits 2 with one line."""
    import test_bad_scenarios as tbs

    path = tmp_path / f"{case['name']}.json"
    path.write_text(tbs.materialize(case, base=SMALL))
    done = subprocess.run([CLI, "validate", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr == f"delivsim: error: {case['expect']}\n"
    assert done.stdout == ""
    with pytest.raises(ValueError) as e:  # the same from Python
        world.load(path)
    assert str(e.value) == case["expect"]


def test_world_objects_are_safe(small):
    import pickle

    from delivsim import _core

    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        back = pickle.loads(pickle.dumps(small, protocol))
        assert back.to_json() == small.to_json()
    with pytest.raises(TypeError, match="not initialised"):
        _core.run_world(_core.World.__new__(_core.World), 1, 1)
    with pytest.raises(TypeError):
        _core.world_report_json(small, _core.WorldResult.__new__(_core.WorldResult), 1)


def test_world_too_large_results_are_refused():
    doc = json.loads(SMALL.read_text())
    doc["duration_s"] = 86400 * 365 * 100
    doc["epoch_s"] = 600
    doc["bucket_s"] = 600
    with pytest.raises(ValueError, match=r"^the results of 3 senders x 2 receivers over \d+ time buckets would need \d+ MiB"):
        world.parse(doc)
    doc = json.loads(SMALL.read_text())
    doc["lists"][0]["recipients"] = 10**9
    with pytest.raises(ValueError, match=r"^lists\[0\]\.recipients: lists hold more than 100000000 recipients in all( \[lists\.\w+\.recipients\])?$"):
        world.parse(doc)


def test_world_load_takes_a_bytes_path_and_parse_names_a_nan_field():
    # bytes paths work like str ones (os.fsencode'd names need not be UTF-8)
    assert world.load(os.fsencode(SMALL)).name == world.load(SMALL).name
    doc = json.loads(SMALL.read_text())
    doc["senders"][1]["schedule"][0]["rate_per_hour"] = float("nan")
    with pytest.raises(ValueError, match=r"^world\.senders.*rate_per_hour: nan is not a finite number"):
        world.parse(doc)


def test_world_check_prints_the_plan():
    out = subprocess.run([CLI, "world", "--check", str(SMALL)], capture_output=True, text=True, check=True).stdout
    assert "valid world" in out
    assert "messages:" in out and "per epoch: at most" in out and "state:" in out and "results:" in out
