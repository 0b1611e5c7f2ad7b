"""Stored regression results (as OpenMC keeps them): R1, seed 1, 200000 messages must give
exactly the stored counts. Any change to the draws or the engine's decisions shows up here;
if the change is intended, regenerate with tests/regression/update.sh and say so."""
from __future__ import annotations

import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
STORED = ROOT / "tests" / "regression" / "r1_seed1_200k.json"
EXACT_KEYS = ("messages", "outcomes", "bounces", "by_class", "by_profile", "by_class_profile",
              "bounces_by_class", "bounces_by_profile", "responsible", "deciding_stage",
              "acceptance_time_s", "attempt_times_s", "acceptance_time_histogram", "bounce_time_histogram")


def test_r1_counts_are_unchanged():
    cli = pathlib.Path(os.environ.get("DELIVSIM_CLI", ROOT / "build" / "delivsim"))
    if not cli.exists():
        pytest.skip(f"delivsim CLI not built at {cli} (set DELIVSIM_CLI)")
    stored = json.loads(STORED.read_text())
    for threads in ("1", "2"):
        out = subprocess.run([str(cli), "run", "--messages", "200000", "--seed", "1", "--threads", threads,
                              "--quiet", "--json", "-"], check=True, capture_output=True, text=True).stdout
        now = json.loads(out)
        for key in EXACT_KEYS:
            assert now[key] == stored[key], f"{key} changed (threads={threads})"
