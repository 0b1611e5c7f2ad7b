"""Shared fixtures and settings for the Python tests.

- Plots draw with matplotlib's Agg backend (no display), set once here, and every test's
  figures are closed after it.
- ``r1``: a fresh default scenario per test (tests edit it freely).
- ``made``: a hand-made comparison whose every table is counted message by message, for the
  tests of Comparison's frames and plots.
- ``cli``: the path of the delivsim program ($DELIVSIM_CLI, else build/delivsim).
Test modules share what they need through these fixtures, not by changing each other's globals.
"""
from __future__ import annotations

import os
import pathlib
import sys

import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def pytest_configure(config: pytest.Config) -> None:
    # Before any test module imports pyplot (the notebook tests' kernels keep their own backend).
    try:
        import matplotlib

        matplotlib.use("Agg")
    except ImportError:
        pass


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")


@pytest.fixture
def r1():
    import delivsim

    return delivsim.default_scenario()


@pytest.fixture(scope="session")
def cli() -> str:
    path = os.environ.get("DELIVSIM_CLI", str(REPO / "build" / "delivsim"))
    if not os.access(path, os.X_OK):
        pytest.skip(f"the delivsim program is not built at {path} (make build, or set DELIVSIM_CLI)")
    return path


class FakeCore:
    """Stands in for _core.Comparison: tables built from per-message (truth, outcome,
    judgement, class, profile, score)."""

    def __init__(self, names, truth, outcome, judged, cls, profile, profiles, scores, tally):
        self.names = names
        self.messages = len(truth)
        self._truth, self._outcome, self._judged, self._cls, self._scores = truth, outcome, judged, cls, scores
        self._profile, self._profiles = profile, profiles
        self._tally = tally
        self.score_bin_edges = np.array([0.0, 1.0, 2.0, 3.0])  # the regular bins' edges: 3 + 2 bins

    def tally(self, i):
        return self._tally

    def judged(self, i, j):
        t = np.zeros((2, 3, 3), np.uint64)
        np.add.at(t, (self._truth, self._judged[i], self._judged[j]), 1)
        return t

    def outcome_joint(self, i, j):
        t = np.zeros((2, 7, 7), np.uint64)
        np.add.at(t, (self._truth, self._outcome[i], self._outcome[j]), 1)
        return t

    def score_histogram(self, i):
        if self._scores[i] is None:
            return None
        h = np.zeros((4, self._profiles, 5), np.uint64)  # [class][profile][bin], as the engine's
        bins = np.digitize(self._scores[i], [0.0, 1.0, 2.0, 3.0])  # 0: < 0 ... 4: >= 3
        np.add.at(h, (self._cls, self._profile, bins), 1)
        return h


MADE_MESSAGES = 2000
CONTENT_ONLY = [{"type": "dnsbl"}, {"type": "content_filter", "actions": [{"min_score": 4, "action": "spam_folder"}]}]


@pytest.fixture(scope="session")
def made():
    """(comparison, truth, outcome, judged, cls, scores, costs): strategies "a" (the scenario's
    own chains, no scores recorded) and "b" (a content filter everywhere, with scores)."""
    import delivsim
    from delivsim._compare import Comparison

    n = MADE_MESSAGES
    rng = np.random.default_rng(7)
    s = delivsim.default_scenario()
    cls = rng.choice(4, size=n, p=[0.35, 0.25, 0.15, 0.25])          # T, N, P legit; S spam
    profile = rng.integers(0, len(s.profile_names), size=n)
    truth = (cls == 3).astype(int)
    outcome = rng.integers(0, 7, size=(2, n))
    outcome[1] = np.where(rng.random(n) < 0.8, outcome[0], outcome[1])  # b mostly agrees with a
    judged = rng.integers(0, 3, size=(2, n))
    judged[1] = np.where(rng.random(n) < 0.8, judged[0], judged[1])
    scores = [None, rng.normal(np.where(truth == 1, 2.5, 0.5), 1.0)]
    tally = delivsim.run(s, messages=n, seed=1)._tally
    core = FakeCore(["a", "b"], truth, outcome, judged, cls, profile, len(s.profile_names), scores, tally)
    costs = {"legit_lost_untold": 10, "legit_lost_told": 3, "spam_delivered": 1}
    c = Comparison(s, 1, ((0, n),), core, {"a": None, "b": CONTENT_ONLY}, costs)
    return c, truth, outcome, judged, cls, scores, costs
