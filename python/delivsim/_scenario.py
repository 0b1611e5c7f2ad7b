"""Scenarios: the sender classes, recipient profiles and retry schedule a run simulates."""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any, Union

from . import _core
from . import _policy, _views
from ._policy import Policy
from ._document import Document

PathLike = Union[str, "os.PathLike[str]"]


class Scenario(Document):
    """A scenario: an editable view over its ``delivsim-scenario/1`` document. Obtain one
    from :func:`load_scenario`, :func:`parse_scenario` or :func:`default_scenario`, then edit
    it in place by attribute (``s.profiles["G"].content.thresholds.spam_folder = 4.0``; see
    ``delivsim._views`` and docs/python.md) or by path (:meth:`set`, :meth:`with_values`).

    Edits are validated by the C++ loader when the scenario is next used (run, sweep,
    explain, :attr:`attempt_times`) or on :meth:`validate`; a ValueError names the field.
    A :class:`Result`'s scenario is a frozen snapshot: edit a :meth:`copy` of it.

    Custom policies written in Python (:class:`delivsim.Policy`) go into a chain like any
    policy (``s.profiles["G"].policies.insert(5, MyFilter())``): the document holds
    ``{"type": "python", "name": ..., "phase": ...}`` and the scenario keeps the instance."""

    __slots__ = ()
    _KIND = "scenario"

    def __init__(self, core: _core.Scenario) -> None:
        if not isinstance(core, _core.Scenario):
            raise TypeError("Scenario objects come from load_scenario(), parse_scenario() or default_scenario()")
        self._doc: dict[str, Any] = _views.canonical(json.loads(core.to_json()))
        self._checked: _core.Scenario | None = core  # the validated document, None once edited
        self._frozen = False
        self._policies: dict[str, Policy] = dict(core.python_policies)  # Python policies by name

    def _profiles(self) -> list[Any]:
        profiles = self._doc.get("recipient_profiles")
        return profiles if isinstance(profiles, list) else []

    @classmethod
    def _check(cls, doc: Mapping[str, Any], policies: Mapping[str, Policy] | None) -> _core.Scenario:
        return _validate_document(doc, policies)

    @property
    def retry(self) -> Any:
        """The sender's retry queue: first_retry_s, backoff_factor, max_backoff_s, lifetime_s;
        or a named MTA's model ({"model": "postfix" | "exim" | "sendmail", ...})."""
        return self._root().retry

    @retry.setter
    def retry(self, value: Mapping[str, Any]) -> None:
        self._root().retry = value

    @property
    def sender_classes(self) -> Any:
        """The sender classes, by name or position: ``s.sender_classes["N"].ip_listed``."""
        return self._root().sender_classes

    @sender_classes.setter
    def sender_classes(self, value: Any) -> None:
        self._root().sender_classes = value

    @property
    def recipient_profiles(self) -> Any:
        """The recipient profiles, by name or position (also :attr:`profiles`)."""
        return self._root().recipient_profiles

    @recipient_profiles.setter
    def recipient_profiles(self, value: Any) -> None:
        self._root().recipient_profiles = value

    profiles = recipient_profiles

    @property
    def class_names(self) -> list[str]:
        """The sender classes, in the scenario's order."""
        return [str(c.get("name")) for c in self._doc.get("sender_classes", []) if isinstance(c, dict)]

    @property
    def profile_names(self) -> list[str]:
        """The recipient profiles, in the scenario's order."""
        return [str(p.get("name")) for p in self._doc.get("recipient_profiles", []) if isinstance(p, dict)]

    @property
    def attempt_times(self) -> list[float]:
        """Times (seconds after the first attempt) of the retry schedule's delivery attempts."""
        return self._validated().attempt_times

    def __repr__(self) -> str:
        return _views.summary(self)

    # Last in the class body: the name would hide the module _core from the lines below it.
    _core = property(Document._validated, doc="The validated C++ scenario (validates the document if it was edited).")


def _from_json(text: str, frozen: bool = False, policies: Mapping[str, Policy] | None = None) -> Scenario:
    doc = json.loads(text)
    return Scenario._unchecked(_views.canonical(doc), _validate_document(doc, policies) if frozen else None, frozen,
                               policies)


Scenario._unpickle = staticmethod(_from_json)


def _validate_document(doc: Mapping[str, Any], policies: Mapping[str, Policy] | None = None) -> _core.Scenario:
    """The C++ loader's verdict on ``doc``; its ValueError names the field by JSON path, to
    which the path with names is added (e.g. ``... [recipient_profiles.G.mx[0].down]``).
    ``policies``: the Python policy objects that ``{"type": "python"}`` entries name."""
    try:
        # Always a dict, so that a missing Python policy gets the Python package's error.
        return _core.parse_scenario(json.dumps(doc, allow_nan=False), dict(policies or {}))
    except ValueError as e:
        raise ValueError(_views.with_named_path(str(e), doc)) from None


def load_scenario(path: PathLike, policies: Any = None) -> Scenario:
    """Load and validate a scenario file. A broken file raises ValueError naming the JSON path
    of the first offending field, e.g. ``recipient_profiles[1].mx[0].down: 1.3 is not a probability``.
    ``policies``: the Python policies (:class:`delivsim.Policy` objects, or a dict by name)
    that the file's ``{"type": "python", "name": ...}`` entries name."""
    # As bytes: a POSIX file name need not be UTF-8 (the core refuses NUL characters).
    return Scenario(_core.load_scenario(os.fsencode(path), _policy.as_mapping(policies)))


def parse_scenario(source: str | bytes | Mapping[str, Any], policies: Any = None) -> Scenario:
    """Validate a scenario given as JSON text or as a dict (e.g. an edited ``to_dict()``).
    ``policies``: the Python policies its ``{"type": "python"}`` entries name (see
    :func:`load_scenario`)."""
    given = _policy.as_mapping(policies)
    if isinstance(source, (bytes, bytearray)):
        source = source.decode("utf-8")
    if isinstance(source, Scenario):
        given = {**source._in_use(), **given}
        source = source._doc
    if isinstance(source, Mapping):
        doc = _views.canonical(_views.plain(source, "scenario"))
        return Scenario._unchecked(doc, _validate_document(doc, given), policies=given)
    if not isinstance(source, str):
        raise TypeError(f"source must be JSON text or a dict, not {type(source).__name__}")
    try:
        text = source.encode("utf-8")
    except UnicodeEncodeError as e:  # a lone surrogate
        raise ValueError(f"source: not valid UTF-8 text at position {e.start} ({e.reason})") from None
    return Scenario(_core.parse_scenario(text, given))


def default_scenario() -> Scenario:
    """The embedded reference scenario R1 ("article world")."""
    return Scenario(_core.default_scenario())
