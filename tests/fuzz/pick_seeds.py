#!/usr/bin/env python3
"""Picks a small seed corpus out of a large fuzzing corpus: greedy set cover of the coverage
edges (COV lines of a libFuzzer -merge=1 control file), skipping edges the committed seeds
already reach. Used by hand to refresh tests/fuzz/corpus/<target>/ after a long fuzzing run:

  build-asan/tests/fuzz/TARGET -merge=1 -merge_control_file=/tmp/ctl /tmp/empty tests/fuzz/corpus/TARGET BIG_CORPUS
  python3 tests/fuzz/pick_seeds.py /tmp/ctl tests/fuzz/corpus/TARGET 40

(the merge itself writes into /tmp/empty; only the control file is used). Copies at most N new
inputs, named by their content hash, into the committed corpus.
"""

from __future__ import annotations

import hashlib
import pathlib
import shutil
import sys


def main(control: str, seed_dir: str, limit: int) -> int:
    lines = pathlib.Path(control).read_text().splitlines()
    n = int(lines[0])
    files = lines[2 : 2 + n]
    cov: dict[int, set[int]] = {}
    for line in lines[2 + n :]:
        if line.startswith("COV "):
            parts = line.split()
            cov[int(parts[1])] = {int(x) for x in parts[2:]}
    seeds = pathlib.Path(seed_dir).resolve()
    covered: set[int] = set()
    for i, f in enumerate(files):
        if pathlib.Path(f).resolve().parent == seeds:
            covered |= cov.get(i, set())
    candidates = {i: c - covered for i, c in cov.items() if pathlib.Path(files[i]).resolve().parent != seeds}
    picked = 0
    while picked < limit:
        best = max(candidates, key=lambda i: len(candidates[i]), default=None)
        if best is None or not candidates[best]:
            break
        gain = candidates.pop(best)
        covered |= gain
        for i in candidates:
            candidates[i] -= gain
        data = pathlib.Path(files[best]).read_bytes()
        shutil.copyfile(files[best], seeds / ("found-" + hashlib.sha1(data).hexdigest()[:16]))
        print(f"+{len(gain)} edges: {files[best]}")
        picked += 1
    print(f"{picked} seeds added; {len(covered)} edges covered")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
