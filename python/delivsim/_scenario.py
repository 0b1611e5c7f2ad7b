"""Scenarios: the sender classes, recipient profiles and retry schedule a run simulates."""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any, Union

from . import _core

PathLike = Union[str, "os.PathLike[str]"]


class Scenario:
    """A validated scenario. Obtain one from :func:`load_scenario`, :func:`parse_scenario`
    or :func:`default_scenario`; it cannot be changed once loaded (edit the dict from
    :meth:`to_dict` and parse it again)."""

    __slots__ = ("_core",)

    def __init__(self, core: _core.Scenario) -> None:
        if not isinstance(core, _core.Scenario):
            raise TypeError("Scenario objects come from load_scenario(), parse_scenario() or default_scenario()")
        self._core = core

    @property
    def name(self) -> str:
        return self._core.name

    @property
    def description(self) -> str:
        return self._core.description

    @property
    def class_names(self) -> list[str]:
        """The sender classes, in the scenario's order."""
        return self._core.class_names

    @property
    def profile_names(self) -> list[str]:
        """The recipient profiles, in the scenario's order."""
        return self._core.profile_names

    @property
    def attempt_times(self) -> list[float]:
        """Times (seconds after the first attempt) of the retry schedule's delivery attempts."""
        return self._core.attempt_times

    def to_json(self) -> str:
        """The scenario document as JSON text."""
        return self._core.to_json()

    def to_dict(self) -> dict[str, Any]:
        """The scenario document as a new dict (edit it and pass it to :func:`parse_scenario`)."""
        return json.loads(self._core.to_json())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Scenario):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (parse_scenario, (self.to_json(),))

    def __repr__(self) -> str:
        return (
            f"<Scenario {self.name!r}: sender classes {', '.join(self.class_names)}; "
            f"recipient profiles {', '.join(self.profile_names)}; {len(self.attempt_times)} delivery attempts>"
        )


def load_scenario(path: PathLike) -> Scenario:
    """Load and validate a scenario file. A broken file raises ValueError naming the JSON path
    of the first offending field, e.g. ``recipient_profiles[1].mx[0].down: 1.3 is not a probability``."""
    return Scenario(_core.load_scenario(os.fsdecode(path)))


def parse_scenario(source: str | bytes | Mapping[str, Any]) -> Scenario:
    """Validate a scenario given as JSON text or as a dict (e.g. an edited ``to_dict()``)."""
    if isinstance(source, (bytes, bytearray)):
        source = source.decode("utf-8")
    if isinstance(source, Mapping):
        source = json.dumps(dict(source))
    if not isinstance(source, str):
        raise TypeError(f"source must be JSON text or a dict, not {type(source).__name__}")
    return Scenario(_core.parse_scenario(source))


def default_scenario() -> Scenario:
    """The embedded reference scenario R1 ("article world")."""
    return Scenario(_core.default_scenario())
