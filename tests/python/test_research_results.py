"""Runs and results for researchers: tqdm progress bars, zero-copy acceptance histograms by
class and profile, and the rest of Result's surface."""
import builtins
import json
import sys

import numpy as np
import pytest

import delivsim
from delivsim import _progress


@pytest.fixture(scope="module")
def result():
    return delivsim.run(delivsim.default_scenario(), messages=30_000, seed=5, threads=2)


def test_progress_uses_tqdm(capsys):
    delivsim.run(messages=200_000, threads=2, progress=True)
    err = capsys.readouterr().err
    assert "100%" in err and "200k/200k" in err and "msg/s" in err  # tqdm's bar
    delivsim.run(messages=200_000, threads=2, progress=False)
    assert capsys.readouterr().err == ""


def test_progress_falls_back_without_tqdm(monkeypatch, capsys):
    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name == "tqdm" or name.startswith("tqdm."):
            raise ImportError("no tqdm here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    for module in [m for m in sys.modules if m == "tqdm" or m.startswith("tqdm.")]:
        monkeypatch.delitem(sys.modules, module)
    assert _progress._tqdm_class() is None
    delivsim.run(messages=1000, threads=1, progress=True)
    err = capsys.readouterr().err
    assert "[########################################] 100.0% 1000/1000" in err


def test_acceptance_histograms_are_zero_copy(result):
    hist = result.acceptance_times
    assert hist.dtype == np.uint64 and not hist.flags.owndata and hist.base is not None  # owned by a capsule
    assert len(hist) == len(result.scenario.attempt_times)
    by_class = sum(result.acceptance_histogram(sender_class=c) for c in result.scenario.class_names)
    by_profile = sum(result.acceptance_histogram(profile=p) for p in result.scenario.profile_names)
    assert np.array_equal(by_class, hist) and np.array_equal(by_profile, hist)
    accepted = {o: n for o, n in result.by_class["N"].items() if o not in ("bounced", "silently_lost")}
    assert int(result.acceptance_histogram(sender_class="N").sum()) == sum(accepted.values())
    assert json.loads(result.to_json())["acceptance_time_histogram"] == hist.tolist()
    with pytest.raises(ValueError, match="not by both"):
        result.acceptance_histogram(sender_class="N", profile="G")
    arrays = [result.acceptance_times for _ in range(3)]
    del result  # the arrays outlive their Result and Tally
    assert all(np.array_equal(a, arrays[0]) for a in arrays)


def test_result_surface(result):
    frame = result.to_frame()
    assert {"rate", "ci_low", "ci_high"} <= set(frame.columns)
    assert sum(result.bounces.values()) == result.outcomes["bounced"]
    lost = next(i for i in range(1000) if result.explain(message=i)["outcome"] != "inbox")
    assert result.explain(message=lost)["outcome"] != "inbox"
    assert json.loads(result.to_json())["messages"] == 30_000
    tail = delivsim.run(result.scenario, messages=1000, seed=5, first_message=30_000)
    assert (result + tail).messages == 31_000
