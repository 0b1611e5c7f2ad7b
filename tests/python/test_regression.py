"""Stored regression results (as OpenMC keeps its results_true): R1, seed 1, 200000 messages,
and every scenario and world under examples/scenarios/ (small runs), must give exactly the
stored counts. Any change to the draws or the engine's decisions shows up here; if the change
is intended, regenerate with scripts/regenerate_regressions.py and say so in the commit."""
from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
STORED_DIR = ROOT / "tests" / "regression"
STORED = STORED_DIR / "r1_seed1_200k.json"
EXACT_KEYS = ("messages", "outcomes", "bounces", "by_class", "by_profile", "by_class_profile",
              "bounces_by_class", "bounces_by_profile", "responsible", "deciding_stage",
              "acceptance_time_s", "attempt_times_s", "acceptance_time_histogram", "bounce_time_histogram",
              "by_truth", "responsible_by_truth", "responsible_by_class", "responsible_by_profile",
              "deciding_stage_by_class", "notice", "notice_by_truth")
CLI = pathlib.Path(os.environ.get("DELIVSIM_CLI", ROOT / "build" / "delivsim"))

_spec = importlib.util.spec_from_file_location("regenerate_regressions", ROOT / "scripts" / "regenerate_regressions.py")
regen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(regen)


def _same(key: str, now: dict, stored):
    """now[key] equals the stored value; a stage added since the file was stored may appear
    in deciding_stage (and per class) with a count of 0 (a new policy that decided nothing here)."""
    return regen.without_new_idle_stages({key: now[key]}, {key: stored})[key] == stored


def _cli() -> pathlib.Path:
    if not CLI.exists():
        pytest.skip(f"delivsim CLI not built at {CLI} (set DELIVSIM_CLI)")
    return CLI


def test_r1_counts_are_unchanged():
    cli = _cli()
    stored = json.loads(STORED.read_text())
    for threads in ("1", "2"):
        out = subprocess.run([str(cli), "run", "--messages", "200000", "--seed", "1", "--threads", threads,
                              "--quiet", "--json", "-"], check=True, capture_output=True, text=True).stdout
        now = json.loads(out)
        for key in EXACT_KEYS:
            assert _same(key, now, stored[key]), f"{key} changed (threads={threads})"


def test_every_example_has_stored_counts():
    """A new example gets its stored counts (run the script); a removed one loses them."""
    expected = {regen.stored_name(path, kind) for path, kind in regen.examples()}
    present = {p.name for p in STORED_DIR.glob("*.json")} - {STORED.name}
    assert expected == present
    assert {kind for _, kind in regen.examples()} == {"scenario", "world"}


@pytest.mark.parametrize("path,kind", regen.examples(), ids=lambda x: x.stem if isinstance(x, pathlib.Path) else x)
def test_example_counts_are_unchanged(path, kind):
    stored = json.loads((STORED_DIR / regen.stored_name(path, kind)).read_text())
    assert stored["how"] == regen.command(path, kind)
    assert stored["results"]["messages"] > 0
    now = regen.run(stored["how"], _cli() if kind == "scenario" else None)
    for key, value in stored["results"].items():
        assert _same(key, now, value), f"{path.name}: {key} changed"
