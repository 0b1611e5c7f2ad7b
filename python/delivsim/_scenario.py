"""Scenarios: the sender classes, recipient profiles and retry schedule a run simulates."""
from __future__ import annotations

import copy
import errno
import json
import os
from collections.abc import Mapping
from typing import Any, Union

from . import _core
from . import _policy, _views
from ._policy import Policy
from ._views import Path

PathLike = Union[str, "os.PathLike[str]"]


class Scenario:
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

    __slots__ = ("_doc", "_checked", "_frozen", "_policies")

    def __init__(self, core: _core.Scenario) -> None:
        if not isinstance(core, _core.Scenario):
            raise TypeError("Scenario objects come from load_scenario(), parse_scenario() or default_scenario()")
        self._doc: dict[str, Any] = _views.canonical(json.loads(core.to_json()))
        self._checked: _core.Scenario | None = core  # the validated document, None once edited
        self._frozen = False
        self._policies: dict[str, Policy] = dict(core.python_policies)  # Python policies by name

    @classmethod
    def _unchecked(cls, doc: dict[str, Any], checked: _core.Scenario | None = None, frozen: bool = False,
                   policies: Mapping[str, Policy] | None = None) -> Scenario:
        self = cls.__new__(cls)
        self._doc, self._checked, self._frozen = doc, checked, frozen
        self._policies = dict(policies or {})
        return self

    def _policy_names(self) -> list[str]:
        """The names of the Python policies the document's chains name."""
        names: list[str] = []
        for p in self._doc.get("recipient_profiles", []):
            for x in p.get("policies", []) if isinstance(p, dict) and isinstance(p.get("policies"), list) else []:
                if isinstance(x, dict) and x.get("type") == "python" and isinstance(x.get("name"), str):
                    if x["name"] not in names:
                        names.append(x["name"])
        return names

    def _in_use(self) -> dict[str, Policy]:
        """The Python policy objects the document names (those it has)."""
        return {n: self._policies[n] for n in self._policy_names() if n in self._policies}

    def _register_policy(self, policy: object) -> dict[str, Any]:
        """Keep ``policy`` (a delivsim.Policy) for its chain entry, which is returned."""
        p = _policy.check(policy)
        old = self._policies.get(p.name)
        if old is not None and old is not p and p.name in self._policy_names():
            raise ValueError(f"this scenario already has a different Python policy named {p.name!r}: "
                             f"give the new one another name (set its `name`)")
        self._before_edit()
        self._policies[p.name] = p
        return p.to_dict()

    @property
    def python_policies(self) -> dict[str, Policy]:
        """The custom policies written in Python that the chains name, by name (a new dict)."""
        return self._in_use()

    def _before_edit(self) -> None:
        if self._frozen:
            raise TypeError("this scenario belongs to a Result and is read-only: edit a copy (result.scenario.copy())")
        self._checked = None

    def _root(self) -> Any:
        return _views._ObjectView(self, None, None, self._doc, "scenario")

    def _validated(self) -> _core.Scenario:
        if self._checked is None:
            self._checked = _validate_document(self._doc, self._in_use())
        return self._checked

    def validate(self) -> Scenario:
        """Check the whole document with the C++ loader now (it is checked anyway before it is
        used): ValueError names the first broken field. Returns the scenario."""
        self._validated()
        return self

    @property
    def is_validated(self) -> bool:
        """Whether the document has passed validation since it was last edited."""
        return self._checked is not None

    def copy(self) -> Scenario:
        """An independent, editable copy."""
        return Scenario._unchecked(copy.deepcopy(self._doc), self._checked, policies=self._policies)

    def _snapshot(self) -> Scenario:
        """A frozen, validated copy (what a Result keeps)."""
        if self._frozen:
            return self
        checked = self._validated()
        return Scenario._unchecked(copy.deepcopy(self._doc), checked, frozen=True, policies=self._in_use())

    @property
    def name(self) -> str:
        return str(self._doc.get("name", ""))

    @name.setter
    def name(self, value: str) -> None:
        self._root().name = value

    @property
    def description(self) -> str:
        return str(self._doc.get("description", ""))

    @description.setter
    def description(self, value: str) -> None:
        self._root().description = value

    @property
    def retry(self) -> Any:
        """The sender's retry queue: first_retry_s, backoff_factor, max_backoff_s, lifetime_s."""
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

    def get(self, path: Path) -> Any:
        """The value (or editable view) at ``path``, e.g.
        ``"recipient_profiles.G.policies.content_filter.actions.spam_folder.min_score"``,
        ``"profiles.G.content.thresholds.spam_folder"`` or ``"sender_classes[0].weight"``."""
        keys = _views.parse_path(path)
        target = self._root()
        for i, key in enumerate(keys):
            try:
                target = target[key]
            except (KeyError, IndexError, TypeError) as e:
                raise _views.PathError(f"{_views.format_path(keys)}: {e.args[0] if e.args else e}") from None
            if i + 1 < len(keys) and not hasattr(target, "__getitem__"):
                raise _views.PathError(
                    f"{_views.format_path(keys)}: {_views.format_path(keys[: i + 1])} is a value, not an object or list")
        return target

    def set(self, path: Path, value: Any) -> None:
        """Set the value at ``path`` (see :meth:`get`); the last key may be new (an optional
        field, a policy type, a threshold action)."""
        keys = _views.parse_path(path)
        parent = self.get(keys[:-1]) if len(keys) > 1 else self._root()
        if not hasattr(parent, "__setitem__"):
            raise _views.PathError(
                f"{_views.format_path(keys)}: {_views.format_path(keys[:-1])} is a value, not an object or list")
        parent[keys[-1]] = value

    def with_values(self, changes: Mapping[Path, Any]) -> Scenario:
        """A copy with ``{path: value}`` set (see :meth:`set`)."""
        if not isinstance(changes, Mapping):
            raise TypeError(f"changes must be a mapping of path -> value, not {type(changes).__name__}")
        other = self.copy()
        for path, value in changes.items():
            other.set(path, value)
        return other

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

    def to_json(self, indent: int | None = None) -> str:
        """The scenario document as JSON text (keys in the schema's order); ``parse_scenario``
        and ``load_scenario`` read it back to an equal scenario."""
        return json.dumps(self._doc, indent=indent, ensure_ascii=False)

    def to_dict(self) -> dict[str, Any]:
        """The scenario document as a new dict."""
        return copy.deepcopy(self._doc)

    def save(self, path: PathLike) -> None:
        """Write the scenario document to a JSON file (validated first)."""
        self.validate()
        with open(os.fspath(path), "w", encoding="utf-8") as f:
            f.write(self.to_json(indent=2) + "\n")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Scenario):
            return NotImplemented
        # Python policies: by class and parameters (delivsim.Policy.__eq__).
        return bool(self._doc == other._doc) and self._in_use() == other._in_use()

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        # The document as it is (edited or not); validation happens when it is used. Python
        # policies go by reference to their class (see delivsim._policy on __main__ classes).
        policies = self._in_use()
        if policies:
            return (_from_json, (self.to_json(), self._frozen, policies))
        return (_from_json, (self.to_json(), self._frozen))

    def __getattr__(self, name: str) -> Any:
        # Any other top-level key of the document ("format", unknown keys).
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._root(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_") or isinstance(getattr(type(self), name, None), property):
            object.__setattr__(self, name, value)
        else:
            setattr(self._root(), name, value)

    def __repr__(self) -> str:
        return _views.summary(self)

    def _repr_html_(self) -> str:
        from . import _html

        doc = self._doc
        classes = [c for c in doc.get("sender_classes", []) if isinstance(c, dict)]
        profiles = [p for p in doc.get("recipient_profiles", []) if isinstance(p, dict)]
        class_rows = [[_html.escape(c.get("name")), _html.number(c.get("weight")),
                       "legitimate" if c.get("legit") else "spam", _html.number(c.get("ip_listed", 0.0))]
                      for c in classes]

        def chain(policies: Any) -> str:
            if not isinstance(policies, list):
                return ""
            return ", ".join(_html.escape(p.get("name", p.get("type")) if p.get("type") == "python" else p.get("type"))
                             for p in policies if isinstance(p, dict))

        profile_rows = [[_html.escape(p.get("name")), _html.number(p.get("weight")),
                         _html.number(len(p.get("mx", [])) if isinstance(p.get("mx"), list) else ""),
                         chain(p.get("policies"))] for p in profiles]
        retry = doc.get("retry", {})
        note = (f"Retry: first after {retry.get('first_retry_s')} s, backoff x{retry.get('backoff_factor')}, "
                f"for {retry.get('lifetime_s')} s." if isinstance(retry, dict) else None)
        status = "" if self.is_validated else " (edited, not yet validated)"
        return _html.block(
            f"Scenario {self.name!r}{status}" + (f": {self.description}" if self.description else ""),
            _html.table(["sender class", "weight", "truth", "IP listed"], class_rows, text_columns=(0, 2)),
            _html.table(["recipient profile", "weight", "MX hosts", "policies"], profile_rows, text_columns=(0, 3)),
            note=note)

    # Last in the class body: the name would hide the module _core from the lines below it.
    _core = property(_validated, doc="The validated C++ scenario (validates the document if it was edited).")


def _from_json(text: str, frozen: bool = False, policies: Mapping[str, Policy] | None = None) -> Scenario:
    doc = json.loads(text)
    return Scenario._unchecked(_views.canonical(doc), _validate_document(doc, policies) if frozen else None, frozen,
                               policies)


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
    name = os.fsencode(path)
    # Python's own exceptions for a file that is not there or not a file (the core's
    # ValueError is for what the file says).
    if b"\0" not in name and not os.path.exists(name):
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), os.fsdecode(name))
    if os.path.isdir(name):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.fsdecode(name))
    return Scenario(_core.load_scenario(name, _policy.as_mapping(policies)))


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
