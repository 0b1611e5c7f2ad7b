"""R1 against its exact answer (OpenMC-style regression against a stored reference).

tests/reference/r1_exact.json is computed by tests/reference/r1_exact.py by dynamic
programming over the 111 attempts, independently of the engine. Here a 10^6-message run
must agree with every exact rate within 5 standard errors, and its acceptance-time
quantiles must be the exact ones.
"""
from __future__ import annotations

import json
import math
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXACT = json.loads((ROOT / "tests" / "reference" / "r1_exact.json").read_text())
MESSAGES = 1_000_000
SEED = 20261128
Z = 5.0


def cli() -> pathlib.Path:
    path = pathlib.Path(os.environ.get("DELIVSIM_CLI", ROOT / "build" / "delivsim"))
    if not path.exists():
        pytest.skip(f"delivsim CLI not built at {path} (set DELIVSIM_CLI)")
    return path


@pytest.fixture(scope="module")
def report() -> dict:
    out = subprocess.run(
        [str(cli()), "run", "--messages", str(MESSAGES), "--seed", str(SEED), "--threads", "2", "--json", "-"],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out)


def assert_agrees(counts: dict, exact: dict, n: int, where: str) -> None:
    """Each simulated rate within Z binomial standard errors of the exact probability."""
    assert n > 0, where
    for name, p in exact.items():
        k = counts.get(name, 0)
        if p == 0.0:
            assert k == 0, f"{where} {name}: {k} messages where the exact probability is 0"
            continue
        se = math.sqrt(p * (1 - p) / n)
        z = (k / n - p) / se
        assert abs(z) <= Z, f"{where} {name}: simulated {k / n:.6f}, exact {p:.6f}, z = {z:+.2f}"


def group_size(report: dict, key: str, group: str) -> int:
    return sum(report[key][group].values())


def test_overall_outcomes(report):
    assert report["messages"] == MESSAGES
    assert_agrees(report["outcomes"], EXACT["outcomes"], MESSAGES, "overall")


def test_bounces_by_code(report):
    assert set(report["bounces"]) <= set(EXACT["bounces"])
    assert_agrees(report["bounces"], EXACT["bounces"], MESSAGES, "bounces")


@pytest.mark.parametrize("cls", ["T", "N", "P", "S"])
def test_by_class(report, cls):
    n = group_size(report, "by_class", cls)
    assert_agrees({cls: n}, {cls: EXACT["class_weights"][cls]}, MESSAGES, "class mix")
    assert_agrees(report["by_class"][cls], EXACT["by_class"][cls], n, f"class {cls}")
    assert_agrees(report["bounces_by_class"][cls], EXACT["bounces_by_class"][cls], n, f"class {cls} bounces")


@pytest.mark.parametrize("profile", ["G", "C", "H"])
def test_by_profile(report, profile):
    n = group_size(report, "by_profile", profile)
    assert_agrees(report["by_profile"][profile], EXACT["by_profile"][profile], n, f"profile {profile}")
    assert_agrees(report["bounces_by_profile"][profile], EXACT["bounces_by_profile"][profile], n,
                  f"profile {profile} bounces")


def test_by_class_and_profile(report):
    for cell, exact in EXACT["by_class_profile"].items():
        cls, profile = cell.split("/")
        counts = report["by_class_profile"][cls][profile]
        assert_agrees(counts, exact, sum(counts.values()), f"cell {cell}")


def test_acceptance_time_distribution_and_quantiles(report):
    assert report["attempt_times_s"] == EXACT["attempt_times_s"]
    hist = report["acceptance_time_histogram"]
    accepted = sum(hist)
    pmf = {str(int(t)): k for t, k in zip(report["attempt_times_s"], hist)}
    assert_agrees(pmf, EXACT["acceptance_time_pmf"], accepted, "acceptance time")
    for q in ("p50", "p90", "p99"):
        assert report["acceptance_time_s"][q] == EXACT["acceptance_time_s"][q], q
        # The exact quantile is robust at this sample size: its CDF margin is > 5 SE.
        m = EXACT["quantile_margins"][q]
        se = math.sqrt(m["q"] * (1 - m["q"]) / accepted)
        assert m["cdf_at_t"] - m["q"] > Z * se and m["q"] - m["cdf_at_prev"] > Z * se
