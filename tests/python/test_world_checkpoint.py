"""World checkpoints through the CLI and the Python API: a world run killed with SIGKILL after
its first checkpoints and resumed ends bit-identical (the same --json report) to an
uninterrupted run; SIGTERM writes a final checkpoint and says how to resume; a checkpoint of
another world or seed, or a damaged one, is refused with a one-line error (exit 2)."""
from __future__ import annotations

import json
import pathlib
import signal
import subprocess
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
WORLD = ROOT / "examples" / "scenarios" / "complaint_spiral.json"  # several seconds of epochs
SMALL = ROOT / "tests" / "data" / "world" / "stateful_small.json"


def world_json(cli: str, world: pathlib.Path, *args: str) -> dict:
    out = subprocess.run([cli, "world", str(world), "--quiet", "--json", "-", *args], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout)


def saved_epoch(path: pathlib.Path) -> int:
    try:
        return json.loads(path.read_text())["state"]["epoch"]
    except (OSError, ValueError, KeyError):
        return -1  # not there yet


def with_modern_state(tmp_path: pathlib.Path) -> pathlib.Path:
    """WORLD with the state modern receivers add: spam traps feeding a shared blocklist, list
    hygiene at the senders, Postmaster-style counts at the receivers."""
    doc = json.loads(WORLD.read_text())
    doc["name"] = "complaint_spiral_modern"
    doc["blocklist"] = {"threshold": 3, "window_s": 86400, "listing_delay_s": 3600, "delist_after_s": 86400}
    for item in doc["lists"]:
        item["pristine_trap"] = 0.002
        item["typo_trap"] = 0.002
    for sender in doc["senders"]:
        sender["list_hygiene"] = True
    for receiver in doc["receivers"].values():
        receiver["postmaster"] = {"enabled": True}
    path = tmp_path / "modern_world.json"
    path.write_text(json.dumps(doc))
    return path


def start(cli: str, checkpoint: pathlib.Path, *args: str, world: pathlib.Path = WORLD,
          **popen: object) -> subprocess.Popen:
    return subprocess.Popen([cli, "world", str(world), "--quiet", "--seed", "4", "--threads", "2",
                             "--checkpoint", str(checkpoint), *args], stdout=subprocess.DEVNULL, **popen)


def wait_for_epoch(proc: subprocess.Popen, checkpoint: pathlib.Path, timeout: float = 120) -> int:
    """Waits until a checkpoint past the first epoch is on disk; its epoch."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if (epoch := saved_epoch(checkpoint)) > 0:
            return epoch
        assert proc.poll() is None, "the run ended before its first checkpoint past epoch 0"
        time.sleep(0.02)
    proc.kill()
    pytest.fail("no checkpoint appeared")


@pytest.mark.slow  # whole runs of a month-long world
@pytest.mark.parametrize("modern", [False, True], ids=["complaint_spiral", "with_blocklist_hygiene_postmaster"])
def test_sigkill_then_resume_is_bit_identical(cli, tmp_path, modern):
    world = with_modern_state(tmp_path) if modern else WORLD
    checkpoint = tmp_path / "world.ckpt"
    proc = start(cli, checkpoint, "--checkpoint-interval", "0.2", world=world)
    wait_for_epoch(proc, checkpoint)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed: use a longer world"
    saved = json.loads(checkpoint.read_text())
    assert 0 < saved["state"]["epoch"] and not saved["state"]["finished"]

    resumed = world_json(cli, world, "--seed", "4", "--threads", "1", "--resume", str(checkpoint))
    whole = world_json(cli, world, "--seed", "4", "--threads", "2")
    assert resumed == whole
    assert json.loads(checkpoint.read_text())["state"]["finished"]  # it kept checkpointing there


@pytest.mark.slow
def test_sigterm_writes_a_final_checkpoint_and_says_how_to_resume(cli, tmp_path):
    checkpoint = tmp_path / "world.ckpt"
    proc = start(cli, checkpoint, "--checkpoint-interval", "0.2", stderr=subprocess.PIPE, text=True)
    epoch = wait_for_epoch(proc, checkpoint)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM
    assert f"interrupted (SIGTERM); resume with --resume {checkpoint}" in err
    assert saved_epoch(checkpoint) >= epoch
    assert world_json(cli, WORLD, "--seed", "4", "--resume", str(checkpoint)) == world_json(cli, WORLD, "--seed", "4")


def test_another_world_seed_or_a_damaged_checkpoint_is_refused(cli, tmp_path):
    checkpoint = tmp_path / "small.ckpt"
    subprocess.run([cli, "world", str(SMALL), "--quiet", "--seed", "5", "--checkpoint", str(checkpoint)],
                   check=True, stdout=subprocess.DEVNULL)
    doc = json.loads(SMALL.read_text())
    doc["name"] = "another"
    other = tmp_path / "other.json"
    other.write_text(json.dumps(doc))
    text = checkpoint.read_text()
    truncated = tmp_path / "truncated.ckpt"
    truncated.write_text(text[: len(text) // 2])
    damaged = tmp_path / "damaged.ckpt"
    saved = json.loads(text)
    saved["state"]["epoch"] += 1  # the CRC-32 no longer matches
    damaged.write_text(json.dumps(saved))
    cases = (
        (SMALL, ["--seed", "6"], checkpoint, "was written for seed 5, this run has 6"),
        (other, ["--seed", "5"], checkpoint, "was written for a different world"),
        (SMALL, ["--seed", "5"], truncated, "is not a checkpoint file (not valid JSON)"),
        (SMALL, ["--seed", "5"], damaged, "damaged checkpoint: its CRC-32"),
    )
    for world, args, path, says in cases:
        r = subprocess.run([cli, "world", str(world), "--quiet", *args, "--resume", str(path)],
                           capture_output=True, text=True)
        assert r.returncode == 2, r.stderr
        assert says in r.stderr and r.stderr.count("\n") == 1, r.stderr
    r = subprocess.run([cli, "run", "--quiet", "--messages", "1000", "--resume", str(checkpoint)],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "is a checkpoint of a world" in r.stderr


def test_python_world_run_checkpoints_and_resumes(tmp_path):
    from delivsim import world

    w = world.load(SMALL)
    checkpoint = tmp_path / "py.ckpt"
    whole = world.run(w, seed=3, threads=2, checkpoint=checkpoint, checkpoint_interval=0)
    assert json.loads(checkpoint.read_text())["state"]["finished"]
    assert world.run(w, seed=3, threads=1, resume=checkpoint).tally == whole.tally
    with pytest.raises(ValueError, match="was written for seed 3, this run has 4"):
        world.run(w, seed=4, resume=checkpoint)
    with pytest.raises(ValueError, match="checkpoint_interval must be at least 0"):
        world.run(w, seed=3, checkpoint=checkpoint, checkpoint_interval=-1)
