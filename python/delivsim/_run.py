"""Running a scenario, and explaining one message of a run."""
from __future__ import annotations

import json
import numbers
import os
import sys
from typing import Any, Callable, Union

from . import _core, _progress
from ._results import Result
from ._scenario import Scenario, default_scenario

#: The number of messages every entry point simulates unless told otherwise (as the CLI's
#: ``--messages``): run, compare, sweep, compare_scenarios, calibrate, sensitivity, distributed.
DEFAULT_MESSAGES = 1_000_000

#: Message indices are signed 64-bit in the core; seeds are unsigned 64-bit.
MAX_MESSAGES = 2**63 - 1
MAX_SEED = 2**64 - 1
MAX_THREADS = 4096

Progress = Union[bool, None, Callable[[int, int], object]]


def _integer(name: str, value: object, low: int, high: int) -> int:
    # bool is an int subclass, but run(messages=True) is a mistake, not one message.
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    value = int(value)
    if value < low:
        raise ValueError(f"{name} must be at least {low}, got {value}")
    if value > high:
        raise ValueError(f"{name} must be at most {high}, got {value}")
    return value


def _path(name: str, value: object) -> bytes:
    # As bytes: a POSIX file name need not be UTF-8 (the core refuses '' and NUL characters).
    try:
        return os.fsencode(value)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"{name} must be a path (str, bytes or os.PathLike), not {type(value).__name__}") from None


def _checkpoint_args(checkpoint: object, checkpoint_interval: object,
                     resume: object) -> tuple[bytes | None, float, bytes | None]:
    """``checkpoint``, ``checkpoint_interval`` and ``resume`` as the core takes them (for
    delivsim.run and delivsim.world.run)."""
    if isinstance(checkpoint_interval, bool) or not isinstance(checkpoint_interval, numbers.Real):
        raise TypeError(f"checkpoint_interval must be a number of seconds, not {type(checkpoint_interval).__name__}")
    interval = float(checkpoint_interval)
    if not interval >= 0:
        raise ValueError(f"checkpoint_interval must be at least 0 seconds, got {checkpoint_interval}")
    return (None if checkpoint is None else _path("checkpoint", checkpoint), interval,
            None if resume is None else _path("resume", resume))


def _scenario(scenario: Scenario | None) -> Scenario:
    if scenario is None:
        return default_scenario()
    if not isinstance(scenario, Scenario):
        t = type(scenario)  # qualified: delivsim._core.Scenario is also called Scenario
        name = t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
        raise TypeError(
            f"scenario must be a delivsim.Scenario (from load_scenario, parse_scenario or default_scenario), "
            f"not {name}"
        )
    return scenario


class _ProgressBar:
    """A one-line progress bar on stderr, like the CLI's."""

    def __init__(self) -> None:
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        width = 40
        share = done / total if total else 1.0
        filled = int(share * width)
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {100 * share:5.1f}% {done}/{total}")
        sys.stderr.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            sys.stderr.write("\n")
            sys.stderr.flush()


def run(
    scenario: Scenario | None = None,
    messages: int = DEFAULT_MESSAGES,
    seed: int = 1,
    threads: int | None = None,
    progress: Progress = False,
    *,
    first_message: int = 0,
    checkpoint: str | os.PathLike[str] | None = None,
    checkpoint_interval: float = 60.0,
    resume: str | os.PathLike[str] | None = None,
    cache: str | os.PathLike[str] | None = None,
) -> Result:
    """Simulate ``messages`` messages of ``scenario`` (default: the embedded R1).

    The result depends only on the scenario, ``seed`` and the message range
    [first_message, first_message + messages), never on ``threads`` (default: all CPUs);
    results of disjoint ranges merge exactly with ``+``. ``progress`` is True for a progress
    bar (tqdm's, in a terminal or in Jupyter; a plain bar on stderr without tqdm), False for
    none, or a callable ``progress(done, total)`` called about every 100 ms. The GIL is
    released while the simulation runs; Ctrl-C stops it with KeyboardInterrupt.

    ``checkpoint`` names a file that receives the completed work (atomically: written to a
    temporary file, then renamed) every ``checkpoint_interval`` seconds, when the run ends
    and when it is interrupted. ``resume`` continues the run saved in such a file and keeps
    checkpointing there; the totals are bit-identical to an uninterrupted run. A checkpoint
    of another scenario, seed or message range is refused with ValueError.

    ``cache`` (opt-in) names a directory of cached results, keyed by the scenario's content,
    the seed, the message range and the delivsim version: a run already there is read back
    instead of simulated (a scenario with Python policies cannot be cached).
    """
    scenario = _scenario(scenario)
    messages = _integer("messages", messages, 0, MAX_MESSAGES)
    seed = _integer("seed", seed, 0, MAX_SEED)
    threads = _integer("threads", (os.cpu_count() or 1) if threads is None else threads, 1, MAX_THREADS)
    first_message = _integer("first_message", first_message, 0, MAX_MESSAGES)
    # Message indices run from 0 to 2**63 - 1: the range's exclusive end may be 2**63.
    if first_message + messages > MAX_MESSAGES + 1:
        raise ValueError(
            f"first_message + messages must be at most 2**63 (the last index is 2**63 - 1), got {first_message + messages}")

    checkpoint_path, interval, resume_path = _checkpoint_args(checkpoint, checkpoint_interval, resume)

    cache_key = None
    if cache is not None:
        from . import _cache

        if checkpoint is not None or resume is not None:
            raise ValueError("cache cannot be combined with checkpoint or resume")
        cache_key = _cache.key(scenario, seed, first_message, messages)
        cached = _cache.load(cache, cache_key)
        if isinstance(cached, Result) and cached.scenario == scenario:
            return cached

    bar = _progress.new_bar(messages, _ProgressBar) if progress is True else None
    report = bar if bar is not None else progress
    if not (callable(report) or report is False or report is None):
        raise TypeError(f"progress must be a bool or a callable progress(done, total), not {type(progress).__name__}")
    callback = (lambda done: report(done, messages)) if callable(report) else None

    try:
        tally = _core.run(scenario._core, messages, seed, threads, first_message=first_message, progress=callback,
                          checkpoint=checkpoint_path, checkpoint_interval=interval, resume=resume_path)
    finally:
        if bar is not None:
            bar.close()
    result = Result(scenario, seed, ((first_message, first_message + messages),), tally)
    if cache_key is not None:
        _cache.store(cache, cache_key, result)
    return result


def explain(scenario: Scenario | None = None, *, message: int, seed: int = 1) -> dict[str, Any]:
    """Message ``message``'s exact delivery path in any run of ``scenario`` (default R1) with
    ``seed``: the facts drawn for it, each attempt with the hosts tried and the reply, and its
    outcome. ``message`` and ``seed`` are keywords only: both are integers, easily swapped."""
    scenario = _scenario(scenario)
    message = _integer("message", message, 0, MAX_MESSAGES)
    seed = _integer("seed", seed, 0, MAX_SEED)
    return json.loads(_core.explain(scenario._core, seed=seed, message=message))
