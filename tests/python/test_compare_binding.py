"""Smoke test of the _core.compare binding (engine/compare.hpp): shapes, pairing, merging,
pickling, errors. The statistics built on it live in the delivsim package."""
from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from delivsim import _core

BASE = [{"type": "dnsbl"}, {"type": "size_limit", "max_bytes": 36000000}, {"type": "unknown_user"}]


def chain(*policies):
    return json.dumps(BASE + list(policies))


STRICT = chain({"type": "content_filter", "actions": [{"min_score": 4, "action": "spam_folder"}]})
LAX = chain({"type": "content_filter", "actions": [{"min_score": 8, "action": "spam_folder"}]})
RSPAMD_G = json.dumps({"G": BASE + [{"type": "rspamd", "preset": "rspamd_default", "content_score": True}]})
NO_SCORE = json.dumps([{"type": "dnsbl"}])


@pytest.fixture(scope="module")
def comparison():
    s = _core.default_scenario()
    return _core.compare(s, ["strict", "lax", "rspamd_G", "dnsbl"], [STRICT, LAX, RSPAMD_G, NO_SCORE], 60000, 5,
                         threads=2)


def test_shapes_and_margins(comparison):
    c = comparison
    assert c.names == ["strict", "lax", "rspamd_G", "dnsbl"]
    assert c.messages == 60000
    assert _core.judged_names == ("not_judged", "judged_ham", "judged_spam")
    for i in range(4):
        t = c.tally(i)
        assert isinstance(t, _core.Tally) and t.messages == 60000
        outcomes = json.loads(t.report_json("r1", 5))["outcomes"]
        for j in range(4):
            jd, oj = c.judged(i, j), c.outcome_joint(i, j)
            assert jd.shape == (2, 3, 3) and jd.dtype == np.uint64 and jd.sum() == 60000
            assert oj.shape == (2, 7, 7) and oj.sum() == 60000
            row = oj.sum(axis=(0, 2))  # outcomes under i
            assert [int(row[k]) for k in range(7)] == [outcomes[n] for n in _core.outcome_names]
            assert (c.judged(j, i) == jd.transpose(0, 2, 1)).all()
    # strict (threshold 4) judges spam everything lax (8) does, message by message.
    assert c.judged(0, 1)[:, 1, 2].sum() == 0
    assert c.judged(0, 1)[:, 2, 1].sum() > 0


def test_score_histograms(comparison):
    c = comparison
    edges = c.score_bin_edges
    assert edges.shape == (1401,) and edges[0] == -20 and edges[-1] == 50
    h = c.score_histogram(0)
    assert h.shape == (4, 3, 1402) and h.sum() == 60000  # [class][profile][bin]
    assert (c.score_histogram(1) == h).all()  # same score, other threshold
    assert c.score_histogram(3) is None


def test_merge_and_pickle(comparison):
    s = _core.default_scenario()
    a = _core.compare(s, ["strict", "lax"], [STRICT, LAX], 3000, 5)
    b = _core.compare(s, ["strict", "lax"], [STRICT, LAX], 2000, 5, first_message=3000)
    whole = _core.compare(s, ["strict", "lax"], [STRICT, LAX], 5000, 5, threads=2)
    assert a + b == whole
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(comparison, protocol)) == comparison
    with pytest.raises(ValueError):
        a + comparison


def test_errors():
    s = _core.default_scenario()
    with pytest.raises(ValueError, match=r"^strategies\.x\.Q: 'Q' is not a recipient profile"):
        _core.compare(s, ["x"], ['{"Q": []}'], 10, 1)
    with pytest.raises(ValueError, match=r"^strategies\.x: not valid JSON"):
        _core.compare(s, ["x"], ["[{"], 10, 1)
    with pytest.raises(ValueError, match="2 chains for 1 names"):
        _core.compare(s, ["x"], ["[]", "[]"], 10, 1)
    with pytest.raises(ValueError, match="used twice"):
        _core.compare(s, ["x", "x"], ["[]", "[]"], 10, 1)
    c = _core.compare(s, ["x"], ["[]"], 10, 1)
    with pytest.raises(IndexError):
        c.judged(0, 1)
    with pytest.raises(TypeError):
        _core.Comparison.__new__(_core.Comparison).tally(0)


def test_progress_and_gil():
    s = _core.default_scenario()
    seen = []
    _core.compare(s, ["strict"], [STRICT], 300000, 1, threads=2, progress=seen.append)
    assert seen and seen[-1] == 300000


def test_gil_is_released():
    # As test_api's run() check: the main thread keeps counting while compare() simulates.
    import collections
    import threading
    import time

    s = _core.default_scenario()
    window = []

    def simulate():
        window.append(time.monotonic())
        _core.compare(s, ["strict", "lax"], [STRICT, LAX], 3_000_000, 1)
        window.append(time.monotonic())

    per_10ms = collections.Counter()
    worker = threading.Thread(target=simulate)
    worker.start()
    while worker.is_alive():
        per_10ms[int(time.monotonic() * 100)] += 1
    worker.join()
    start, end = window
    assert end - start > 0.3, "too short to observe: raise the message count"
    inside = sum(n for t, n in per_10ms.items() if start + 0.1 <= t / 100 and (t + 1) / 100 <= end - 0.1)
    assert inside > 1000
