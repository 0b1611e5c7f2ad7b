"""An editable JSON document validated by the C++ loader: what :class:`delivsim.Scenario` and
:class:`delivsim.world.World` have in common.

The document is kept as plain JSON data (keys in the schema's order) and edited in place
through the views of ``delivsim._views``; the loader's verdict is cached until the next edit.
A subclass says what its root is (``_KIND``), where its recipient profiles are (for Python
policies in their chains) and how the loader checks it (``_check``)."""
from __future__ import annotations

import copy
import json
import os
from collections.abc import Mapping
from typing import Any, Callable, TypeVar, Union

from . import _policy, _views
from ._policy import Policy
from ._views import Path

PathLike = Union[str, "os.PathLike[str]"]
D = TypeVar("D", bound="Document")


class Document:
    """Base of Scenario and World: a JSON document, its views, its validation and its copies."""

    __slots__ = ("_doc", "_checked", "_frozen", "_policies")

    #: The root's kind in the views' key tables, and how messages call the document.
    _KIND = "document"
    #: The module function that unpickles a document: f(json_text, frozen[, policies]).
    _unpickle: Callable[..., Any]

    _doc: dict[str, Any]
    _checked: Any
    _frozen: bool
    _policies: dict[str, Policy]

    @classmethod
    def _unchecked(cls: type[D], doc: dict[str, Any], checked: Any = None, frozen: bool = False,
                   policies: Mapping[str, Policy] | None = None) -> D:
        self = cls.__new__(cls)
        self._doc, self._checked, self._frozen = doc, checked, frozen
        self._policies = dict(policies or {})
        return self

    # --- what a subclass provides ---------------------------------------------------------

    def _profiles(self) -> list[Any]:
        """The recipient profiles in the document (their chains may name Python policies)."""
        raise NotImplementedError

    @classmethod
    def _check(cls, doc: Mapping[str, Any], policies: Mapping[str, Policy] | None) -> Any:
        """The C++ loader's verdict on ``doc``: the validated core object, or ValueError."""
        raise NotImplementedError

    # --- Python policies --------------------------------------------------------------------

    def _policy_names(self) -> list[str]:
        """The names of the Python policies the document's chains name."""
        names: list[str] = []
        for p in self._profiles():
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
            raise ValueError(f"this {self._KIND} already has a different Python policy named {p.name!r}: "
                             f"give the new one another name (set its `name`)")
        self._before_edit()
        self._policies[p.name] = p
        return p.to_dict()

    @property
    def python_policies(self) -> dict[str, Policy]:
        """The custom policies written in Python that the chains name, by name (a new dict)."""
        return self._in_use()

    # --- editing and validation -------------------------------------------------------------

    def _before_edit(self) -> None:
        if self._frozen:
            raise TypeError(f"this {self._KIND} belongs to a result and is read-only: "
                            f"edit a copy (result.{self._KIND}.copy())")
        self._checked = None

    def _root(self) -> Any:
        return _views._ObjectView(self, None, None, self._doc, self._KIND)

    def _validated(self) -> Any:
        if self._checked is None:
            self._checked = self._check(self._doc, self._in_use())
        return self._checked

    def validate(self: D) -> D:
        """Check the whole document with the C++ loader now (it is checked anyway before it is
        used): ValueError names the first broken field. Returns the document."""
        self._validated()
        return self

    @property
    def is_validated(self) -> bool:
        """Whether the document has passed validation since it was last edited."""
        return self._checked is not None

    def copy(self: D) -> D:
        """An independent, editable copy."""
        return type(self)._unchecked(copy.deepcopy(self._doc), self._checked, policies=self._policies)

    def _snapshot(self: D) -> D:
        """A frozen, validated copy (what a result keeps)."""
        if self._frozen:
            return self
        checked = self._validated()
        return type(self)._unchecked(copy.deepcopy(self._doc), checked, frozen=True, policies=self._in_use())

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

    # --- paths ------------------------------------------------------------------------------

    def get(self, path: Path) -> Any:
        """The value (or editable view) at ``path``, e.g.
        ``"recipient_profiles.G.policies.content_filter.actions.spam_folder.min_score"``,
        ``"senders.shop.schedule[0].rate_per_hour"`` or ``"sender_classes[0].weight"``."""
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

    def with_values(self: D, changes: Mapping[Path, Any]) -> D:
        """A copy with ``{path: value}`` set (see :meth:`set`)."""
        if not isinstance(changes, Mapping):
            raise TypeError(f"changes must be a mapping of path -> value, not {type(changes).__name__}")
        other = self.copy()
        for path, value in changes.items():
            other.set(path, value)
        return other

    # --- JSON -------------------------------------------------------------------------------

    def to_json(self, indent: int | None = None) -> str:
        """The document as JSON text (keys in the schema's order); the loaders read it back
        to an equal document."""
        return json.dumps(self._doc, indent=indent, ensure_ascii=False)

    def to_dict(self) -> dict[str, Any]:
        """The document as a new dict."""
        return copy.deepcopy(self._doc)

    def save(self, path: PathLike) -> None:
        """Write the document to a JSON file (validated first)."""
        self.validate()
        with open(os.fspath(path), "w", encoding="utf-8") as f:
            f.write(self.to_json(indent=2) + "\n")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Document)
        # Python policies: by class and parameters (delivsim.Policy.__eq__).
        return bool(self._doc == other._doc) and self._in_use() == other._in_use()

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        # The document as it is (edited or not); validation happens when it is used. Python
        # policies go by reference to their class (see delivsim._policy on __main__ classes).
        policies = self._in_use()
        unpickle = type(self)._unpickle
        if policies:
            return (unpickle, (self.to_json(), self._frozen, policies))
        return (unpickle, (self.to_json(), self._frozen))

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
