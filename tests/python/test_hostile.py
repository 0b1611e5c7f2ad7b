"""The hostile-input corpus (tests/hostile/cases.json): inputs and situations a hostile or
unlucky user can produce, each run through the CLI with its expected outcome (an exit code and
a clear error naming the field, or the correct result). A hang is a failure (each run has a
timeout). Files are built in a private temporary folder: FIFOs and symlinks there, never a
real device as a checkpoint."""
from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
CASES = json.loads((ROOT / "tests" / "hostile" / "cases.json").read_text())["cases"]


def set_pointer(doc, pointer: str, value) -> None:
    """Sets a JSON pointer (RFC 6901) in doc; '-' appends to a list."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/")]
    node = doc
    for p in parts[:-1]:
        node = node[int(p)] if isinstance(node, list) else node[p]
    last = parts[-1]
    if isinstance(node, list):
        node.append(value) if last == "-" else node.__setitem__(int(last), value)
    else:
        node[last] = value


def make_input(spec: dict, tmp: pathlib.Path) -> pathlib.Path:
    path = tmp / spec.get("name", "input.json")
    if "base" in spec:
        doc = json.loads((ROOT / spec["base"]).read_text())
        for pointer, value in spec.get("set", {}).items():
            set_pointer(doc, pointer, value)
        text = json.dumps(doc)
        if "raw_replace" in spec:  # values JSON cannot hold in Python (NaN, huge literals)
            for old, new in spec["raw_replace"].items():
                assert old in text, old
                text = text.replace(old, new)
        path.write_text(text)
    elif "text" in spec:
        path.write_text(spec["text"])
    elif "items" in spec:  # a world-like document of many schedule items (parses to ~25x its size)
        items = [{"type": "campaign", "list": "x", "id": str(i), "at_s": 0, "messages": 1} for i in range(spec["items"])]
        path.write_text(json.dumps({"format": "delivsim-world/1", "name": "big", "senders": [{"schedule": items}]}))
    elif "bytes" in spec:  # a big file of spaces (sparse would not exercise the cap)
        with open(path, "wb") as f:
            block = b" " * (1 << 20)
            left = spec["bytes"]
            while left > 0:
                f.write(block[: min(left, len(block))])
                left -= len(block)
    return path


def prepare(actions: list, tmp: pathlib.Path) -> None:
    for a in actions:
        if "mkfifo" in a:
            os.mkfifo(tmp / a["mkfifo"])
        elif "symlink" in a:
            os.symlink(a["symlink"][1], tmp / a["symlink"][0])
        elif "write" in a:
            (tmp / a["write"][0]).write_text(a["write"][1])
        else:
            raise AssertionError(f"unknown setup action {a}")


def run_one(cli: str, run: dict, tmp: pathlib.Path, input_path: pathlib.Path | None):
    def fill(x: str) -> str:
        return x.replace("{tmp}", str(tmp)).replace("{input}", str(input_path)).replace("{root}", str(ROOT))

    args = [cli, *map(fill, run["args"])]
    stdout_to = run.get("stdout", "pipe")
    timeout = run.get("timeout", 60)
    pass_fds = ()
    if stdout_to == "devfull":  # a full disk; writing to /dev/full leaves it unchanged
        out = open("/dev/full", "wb")
    elif stdout_to == "closed":
        out = None
    elif stdout_to == "broken_pipe":  # a reader that has gone, SIGPIPE ignored by the writer
        r, w = os.pipe()
        os.close(r)
        out = w
    else:
        out = subprocess.PIPE

    def preexec():
        if "address_space_mb" in run:  # a memory limit: allocations fail with ENOMEM
            import resource
            limit = run["address_space_mb"] << 20
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        if stdout_to == "broken_pipe":
            signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        if stdout_to == "closed":
            os.close(1)

    proc = subprocess.Popen(args, stdout=out if stdout_to != "closed" else subprocess.DEVNULL,
                            stderr=subprocess.PIPE, preexec_fn=preexec, pass_fds=pass_fds, cwd=tmp)
    if stdout_to in ("devfull",):
        out.close()
    if stdout_to == "broken_pipe":
        os.close(out)
    if "send_signal" in run:
        time.sleep(run["send_signal"]["after_s"])
        proc.send_signal(getattr(signal, run["send_signal"]["signal"]))
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"{args} did not finish within {timeout} s (a hang)")
    return proc.returncode, (stdout or b"").decode(errors="replace"), stderr.decode(errors="replace")


def move_one_count(tmp: pathlib.Path, spec: dict) -> None:
    """Moves one count from the first non-zero cell of an array to the next cell (in a saved
    file): every total stays the same, only a checksum can tell."""
    path = tmp / spec["file"]
    doc = json.loads(path.read_text())
    node = doc
    for p in spec["array"].lstrip("/").split("/"):
        node = node[p]
    i = next(k for k, v in enumerate(node) if v > 0)
    node[i] -= 1
    node[i + 1] += 1
    path.write_text(json.dumps(doc))


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_hostile_case(cli, case, tmp_path):
    input_path = make_input(case["input"], tmp_path) if "input" in case else None
    prepare(case.get("setup", []), tmp_path)
    for run in case["runs"]:
        if "move_one_count" in run:
            move_one_count(tmp_path, run["move_one_count"])
            continue
        code, out, err = run_one(cli, run, tmp_path, input_path)
        where = f"{run['args']}: exit {code}\nstdout: {out[-2000:]}\nstderr: {err[-2000:]}"
        assert code == run["exit"], where
        for text in run.get("stderr_has", []):
            assert text.replace("{tmp}", str(tmp_path)) in err, where
        for text in run.get("stdout_has", []):
            assert text in out, where
        for text in run.get("stderr_lacks", []):
            assert text not in err, where
        for text in run.get("stdout_lacks", []):
            assert text not in out, where
        if "stdout_json" in run:  # a value in the --json - document, by JSON pointer
            doc = json.loads(out)
            for pointer, value in run["stdout_json"].items():
                node = doc
                for p in pointer.lstrip("/").split("/"):
                    node = node[int(p)] if isinstance(node, list) else node[p]
                assert node == value, f"{pointer}: {node} != {value}\n{where}"
    for name, kind in case.get("after", {}).items():
        p = tmp_path / name
        actual = ("symlink" if p.is_symlink() else "fifo" if p.is_fifo() else "regular" if p.is_file()
                  else "absent" if not p.exists() else "other")
        assert actual == kind, f"{name} is {actual}, expected {kind}"
        if kind == "regular" and name.endswith(".ckpt"):
            assert json.loads(p.read_text())["format"].startswith("delivsim-checkpoint/")
