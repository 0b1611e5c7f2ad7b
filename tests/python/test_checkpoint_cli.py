"""Checkpoint and resume through the CLI: a run killed with SIGKILL at a random moment and
resumed gives results bit-identical to an uninterrupted run; another run's checkpoint is
refused with a clear error (exit 2)."""
from __future__ import annotations

import json
import pathlib
import random
import signal
import subprocess
import time

import pytest

pytestmark = pytest.mark.slow  # runs of 4*10^7 messages, killed and resumed

ROOT = pathlib.Path(__file__).resolve().parents[2]
MESSAGES = "40000000"


def run_json(cli: str, *args: str) -> dict:
    out = subprocess.run([cli, "run", "--quiet", "--json", "-", *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def test_sigkill_then_resume_is_bit_identical(cli, tmp_path):
    checkpoint = tmp_path / "run.ckpt"
    proc = subprocess.Popen([cli, "run", "--quiet", "--messages", MESSAGES, "--seed", "9", "--threads", "2",
                             "--checkpoint", str(checkpoint), "--checkpoint-interval", "0.1"],
                            stdout=subprocess.DEVNULL)
    time.sleep(random.uniform(0.4, 1.2))  # a random moment, after at least one checkpoint
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed: raise MESSAGES"
    assert checkpoint.exists()
    saved = json.loads(checkpoint.read_text())
    assert 0 < saved["tally"]["messages"] < int(MESSAGES)

    resumed = run_json(cli, "--messages", MESSAGES, "--seed", "9", "--threads", "2", "--resume", str(checkpoint))
    whole = run_json(cli, "--messages", MESSAGES, "--seed", "9", "--threads", "1")
    assert resumed == whole


def test_sigint_writes_a_checkpoint_and_says_how_to_resume(cli, tmp_path):
    checkpoint = tmp_path / "run.ckpt"
    proc = subprocess.Popen([cli, "run", "--quiet", "--messages", MESSAGES, "--seed", "3",
                             "--checkpoint", str(checkpoint), "--checkpoint-interval", "1000"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 130
    assert f"resume with --resume {checkpoint}" in err
    assert json.loads(checkpoint.read_text())["tally"]["messages"] > 0


def test_checkpoint_of_another_run_is_refused(cli, tmp_path):
    checkpoint = tmp_path / "run.ckpt"
    subprocess.run([cli, "run", "--quiet", "--messages", "100000", "--seed", "5", "--checkpoint", str(checkpoint)],
                   check=True, stdout=subprocess.DEVNULL)
    for args, says in ((["--seed", "6"], "was written for seed 5, this run has 6"),
                       (["--seed", "5", "--messages", "99"], "was written for messages 100000, this run has 99")):
        if "--messages" not in args:
            args = [*args, "--messages", "100000"]
        r = subprocess.run([cli, "run", "--quiet", *args, "--resume", str(checkpoint)], capture_output=True, text=True)
        assert r.returncode == 2
        assert says in r.stderr and r.stderr.count("\n") == 1
    other = tmp_path / "other.json"
    doc = json.loads((ROOT / "examples" / "scenarios" / "r1_article_world.json").read_text())
    doc["name"] = "another_world"
    other.write_text(json.dumps(doc))
    r = subprocess.run([cli, "run", str(other), "--quiet", "--messages", "100000", "--seed", "5",
                        "--resume", str(checkpoint)], capture_output=True, text=True)
    assert r.returncode == 2 and "was written for a different scenario" in r.stderr
