#!/usr/bin/env python3
"""Regenerates the stored regression results under tests/regression/ (as OpenMC keeps its
results_true): R1 with seed 1 and 200000 messages, and every scenario and world under
examples/scenarios/ with a small run each: a scenario through the CLI with 20000 messages, a
world through delivsim.world.run (a long world cut to its first days: WORLD_DURATION_S).
tests/python/test_regression.py reruns the same runs and requires the same counts.

Run it only when a change is meant to alter the draws or the engine's decisions, and say in
the commit message which figures changed and why; never to make a test pass.

    scripts/regenerate_regressions.py [--cli build/delivsim] [--check]

It needs the delivsim CLI and the Python package (run it with the venv's Python, or with
PYTHONPATH set to a build of delivsim._core). --check writes nothing: it reports which stored
files differ (exit 1 if any).
"""
from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import sys
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parents[1]
STORED = ROOT / "tests" / "regression"
EXAMPLES = ROOT / "examples" / "scenarios"

#: A scenario example is run with this many messages (small: the whole set runs in seconds).
SCENARIO_MESSAGES = 20_000
SEED = 1
#: Worlds whose whole run is long are cut to their first days (they send only then; the run
#: still continues until every retry queue has drained).
WORLD_DURATION_S = {"warmup": 86_400}
#: The counts a run's report must reproduce exactly (rates and intervals follow from them).
RUN_KEYS = ("messages", "outcomes", "bounces", "by_class", "by_profile", "by_class_profile", "bounces_by_class",
            "bounces_by_profile", "responsible", "deciding_stage", "sender_told", "acceptance_time_s",
            "attempt_times_s", "acceptance_time_histogram", "bounce_time_histogram", "by_truth", "responsible_by_truth",
            "responsible_by_class", "responsible_by_profile", "deciding_stage_by_class", "notice", "notice_by_truth")
#: A world's totals as above, and its whole time series.
WORLD_KEYS = RUN_KEYS + ("timeseries",)


def examples() -> list[tuple[pathlib.Path, str]]:
    """Every example document and its format ("scenario" or "world"), sorted by name."""
    out = []
    for path in sorted(EXAMPLES.glob("*.json")):
        fmt = json.loads(path.read_text())["format"]
        kind = {"delivsim-scenario/1": "scenario", "delivsim-world/1": "world"}.get(fmt)
        if kind is None:
            raise SystemExit(f"{path}: unknown format {fmt!r}")
        out.append((path, kind))
    return out


def stored_name(path: pathlib.Path, kind: str) -> str:
    return f"{path.stem}_seed{SEED}_{SCENARIO_MESSAGES // 1000}k.json" if kind == "scenario" else f"{path.stem}_seed{SEED}.json"


def command(path: pathlib.Path, kind: str) -> dict[str, Any]:
    """What produces the example's counts (stored with them): the CLI's arguments after the
    program for a scenario, delivsim.world.run's inputs for a world."""
    rel = path.relative_to(ROOT).as_posix()
    if kind == "scenario":
        return {"cli": ["run", rel, "--messages", str(SCENARIO_MESSAGES), "--seed", str(SEED), "--threads", "2",
                        "--quiet", "--json", "-"]}
    out: dict[str, Any] = {"world": rel, "seed": SEED}
    if path.stem in WORLD_DURATION_S:
        out["duration_s"] = WORLD_DURATION_S[path.stem]
    return out


def run_cli(cli: pathlib.Path, args: list[str]) -> dict[str, Any]:
    done = subprocess.run([str(cli), *args], cwd=ROOT, check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def run(how: dict[str, Any], cli: pathlib.Path | None) -> dict[str, Any]:
    """The report of the run ``how`` describes (see :func:`command`)."""
    if "cli" in how:
        if cli is None:
            raise ValueError("a scenario's counts come from the CLI: give its path")
        return run_cli(cli, how["cli"])
    from delivsim import world

    w = world.load(ROOT / how["world"])
    if "duration_s" in how:
        w.duration_s = how["duration_s"]
    return world.run(w, seed=how["seed"], threads=2).report()


def counts(report: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: report[k] for k in keys if k in report}


def without_new_idle_stages(results: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    """``results`` without the deciding stages that ``old`` lacks and that decided nothing (in
    deciding_stage and in each class of deciding_stage_by_class): a policy added to the library
    leaves stored files unchanged until it decides something."""
    if not old:
        return results

    def kept(now: dict[str, int], before: dict[str, int]) -> dict[str, int]:
        return {k: v for k, v in now.items() if k in before or v != 0}

    out = dict(results)
    if "deciding_stage" in results and "deciding_stage" in old:
        out["deciding_stage"] = kept(results["deciding_stage"], old["deciding_stage"])
    if "deciding_stage_by_class" in results and "deciding_stage_by_class" in old:
        out["deciding_stage_by_class"] = {
            c: kept(stages, old["deciding_stage_by_class"].get(c, {}))
            for c, stages in results["deciding_stage_by_class"].items()}
    return out


def stored_document(path: pathlib.Path, kind: str, cli: pathlib.Path) -> dict[str, Any]:
    how = command(path, kind)
    return {
        "about": "stored regression counts, compared by tests/python/test_regression.py; "
                 "regenerate with scripts/regenerate_regressions.py and explain any change in the commit",
        "how": how,
        "results": counts(run(how, cli), WORLD_KEYS if kind == "world" else RUN_KEYS),
    }


def dump(value: Any, indent: int = 0) -> str:
    """JSON with one line per object key and lists of numbers on one line (short diffs)."""
    pad = " " * indent
    if isinstance(value, dict) and value:
        items = [f'{pad} {json.dumps(k)}: {dump(v, indent + 1)}' for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        items = [f"{pad} {dump(v, indent + 1)}" for v in value]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(value)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cli", type=pathlib.Path, default=ROOT / "build" / "delivsim", help="the delivsim program")
    ap.add_argument("--check", action="store_true", help="compare only, write nothing")
    a = ap.parse_args()
    cli = a.cli.resolve()
    if not cli.exists():
        raise SystemExit(f"{cli}: not built (cmake --build build --target delivsim_cli)")
    changed = []

    # R1: the CLI's whole report, written by the CLI itself (the file predates this script).
    r1 = STORED / "r1_seed1_200k.json"
    now = run_cli(cli, ["run", "--messages", "200000", "--seed", "1", "--threads", "2", "--quiet", "--json", "-"])
    stored_r1 = json.loads(r1.read_text())
    if without_new_idle_stages(counts(now, RUN_KEYS), stored_r1) != counts(stored_r1, RUN_KEYS):
        changed.append(r1.name)
        if not a.check:
            subprocess.run([str(cli), "run", "--messages", "200000", "--seed", "1", "--threads", "2", "--quiet",
                            "--json", str(r1)], check=True, capture_output=True)

    for path, kind in examples():
        target = STORED / stored_name(path, kind)
        doc = stored_document(path, kind, cli)
        old = json.loads(target.read_text()) if target.exists() else None
        doc["results"] = without_new_idle_stages(doc["results"], old["results"] if old else None)
        if old != doc:
            changed.append(target.name)
        if not a.check:
            target.write_text(dump(doc) + "\n")
    print(("differ: " if a.check else "changed: ") + (", ".join(changed) or "none"))
    return 1 if a.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
