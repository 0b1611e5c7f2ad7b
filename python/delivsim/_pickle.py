"""Pickle constructors for the compiled objects.

_core's __reduce__ methods name these plain Python functions: pickle stores a function by its
module and name, which works for Python functions but not for pybind11 builtins (pickle would
try to pickle their capsule)."""
from __future__ import annotations

from typing import Any

from . import _core


def scenario_from_json(text: str) -> _core.Scenario:
    return _core.parse_scenario(text)


def tally_from_state(state: Any) -> _core.Tally:
    try:
        return _core._tally_from_state(state)
    except TypeError:  # pybind11's "incompatible function arguments": say what a state is
        raise TypeError(
            "Tally state: not a tuple (format, classes, profiles, attempt_times, messages, outcome, status, "
            "responsible, stage, class_decided_at, profile_decided_at, axis names, crc32, class truth, "
            "delay_warning_s) of names and "
            f"non-negative counts: "
            f"{type(state).__name__}") from None


def verdict_from_state(state: Any) -> _core.Verdict:
    try:
        return _core._verdict_from_state(*state)
    except TypeError:
        raise TypeError(f"Verdict state: not a tuple (action, folder, status, responsible) of ints: {state!r}") from None


def world_from_json(text: str) -> _core.World:
    return _core.parse_world(text)


def comparison_from_state(state: Any) -> _core.Comparison:
    try:
        return _core._comparison_from_state(state)
    except TypeError:  # pybind11's "incompatible function arguments": say what a state is
        raise TypeError(
            "Comparison state: not a tuple (format, names, tallies, has_score, classes, messages, joint, "
            f"histograms): {type(state).__name__}") from None
