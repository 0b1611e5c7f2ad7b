#!/usr/bin/env python3
"""The README's sample outputs, produced by the program itself.

    scripts/readme_samples.py [--cli build/delivsim]          # rewrite them in README.md
    scripts/readme_samples.py --check [--cli build/delivsim]  # exit 1 (with a diff) if stale

Each sample follows a marker line ``<!-- sample: NAME -->`` and is the fenced block right after
it (or, for inline samples, the marker's own line). tests/python/test_readme_samples.py runs
the check, so a change in the simulation's numbers or the report's layout cannot leave the
README behind.
"""
from __future__ import annotations

import argparse
import difflib
import json
import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MESSAGES = "1000000"


def make_run_output(cli: str) -> str:
    """What `make run` prints (`delivsim run --messages 10^6`), shortened as the README shows
    it: the outcome table, the first two bounce codes, "...", and the acceptance times."""
    text = subprocess.run([cli, "run", "--messages", MESSAGES, "--quiet"], capture_output=True, text=True,
                          check=True).stdout
    lines = text.splitlines()
    out, i = [], 0
    while i < len(lines) and not lines[i].startswith("bounces by code"):
        out.append(lines[i])
        i += 1
    if i < len(lines):
        out.append(lines[i])
        codes = []
        i += 1
        while i < len(lines) and lines[i].startswith("  "):
            codes.append(lines[i])
            i += 1
        out += codes[:2] + (["  ..."] if len(codes) > 2 else [])
    acceptance = next((line for line in lines if line.startswith("acceptance time")), None)
    if acceptance is not None:
        out.append(acceptance)
    return "\n".join(out) + "\n"


def inbox_count(cli: str) -> int:
    doc = json.loads(subprocess.run([cli, "run", "--messages", MESSAGES, "--quiet", "--json", "-"],
                                    capture_output=True, text=True, check=True).stdout)
    return int(doc["outcomes"]["inbox"])


def render(readme: str, cli: str) -> str:
    def block(name: str, body: str, text: str) -> str:
        pattern = re.compile(rf"(<!-- sample: {re.escape(name)} -->\n```\n)(.*?)(```\n)", re.DOTALL)
        if not pattern.search(text):
            raise SystemExit(f"README.md: no sample block {name!r}")
        return pattern.sub(lambda m: m.group(1) + body + m.group(3), text, count=1)

    text = block("make run", make_run_output(cli), readme)
    inline = re.compile(r"(result\.outcomes\s+# \{'inbox': )\d+(, \.\.\.\})( <!-- sample: outcomes -->)?")
    if not inline.search(text):
        raise SystemExit("README.md: no `result.outcomes  # {'inbox': N, ...}` sample")
    return inline.sub(lambda m: f"{m.group(1)}{inbox_count(cli)}{m.group(2)}", text, count=1)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the README's samples are stale")
    parser.add_argument("--cli", default=os.environ.get("DELIVSIM_CLI", str(ROOT / "build" / "delivsim")))
    args = parser.parse_args(argv)
    current = README.read_text(encoding="utf-8")
    fresh = render(current, args.cli)
    if args.check:
        if fresh != current:
            sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), fresh.splitlines(True),
                                                       "README.md", "README.md (fresh samples)"))
            return 1
        return 0
    README.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
