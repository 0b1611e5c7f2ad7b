"""Ctrl-C stops a run within a second even when a Python policy is in the chain (each of its
calls takes the GIL, so the run's work units must be short enough, or cancellable, for the
interrupt to be seen promptly)."""
import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest

CHILD = r"""
import sys, time
import delivsim

class Slow(delivsim.Policy):
    name = "slow"
    phase = "data"

    def __init__(self, seconds):
        self.seconds = seconds

    def evaluate(self, message, attempt, rng):
        end = time.perf_counter() + self.seconds
        while time.perf_counter() < end:
            pass
        return None

s = delivsim.default_scenario()
slow = Slow(float(sys.argv[1]))  # one instance may serve every profile
for p in s.profile_names:
    s.profiles[p].policies.insert(len(s.profiles[p].policies) - 1, slow)
print("running", flush=True)
try:
    delivsim.run(s, messages=10**8, seed=1, threads=2)
    print("finished", flush=True)
except KeyboardInterrupt:
    print("interrupted", time.monotonic(), flush=True)
"""


# Cancellation is seen between the runner's work slices, which are sized by time (about 10 ms),
# not only by message count: with a slow Python policy a count-sized unit would take seconds.
@pytest.mark.slow
@pytest.mark.parametrize("seconds_per_call", [0.0001, 0.0005])
def test_ctrl_c_stops_a_run_with_a_python_policy_within_a_second(seconds_per_call, tmp_path):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    child = subprocess.Popen([sys.executable, str(script), str(seconds_per_call)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert child.stdout.readline().strip() == "running"
        time.sleep(1.5)  # well inside the run and its first work units
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=20)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    word, _, when = out.strip().partition(" ")
    assert word == "interrupted", (out, err[-2000:])
    assert float(when) - sent < 1.0  # CLOCK_MONOTONIC: one clock for both processes
