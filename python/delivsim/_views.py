"""Editable attribute-style views over a scenario document (the ``delivsim-scenario/1`` JSON).

A view wraps one JSON object or list *inside* a :class:`~delivsim.Scenario`'s document and
reads and writes it in place::

    s = delivsim.default_scenario()
    s.profiles["G"].content.thresholds.spam_folder = 4.0       # the content filter's threshold
    s.sender_classes["N"].dmarc = {"pass": 1.0}                 # replace a whole object
    s.profiles["H"].policies["greylist"].delay_s = 300          # a policy, by its type
    del s.profiles["C"].policies["attachment_scanner"]          # remove a policy
    s.profiles["G"].policies.add({"type": "greylist", "delay_s": 300})   # inserted in phase order
    s.profiles["G"].policies.insert(5, MyFilter())              # a delivsim.Policy written in Python

Objects have their JSON keys as attributes (and as items: ``dmarc["pass"]``, since ``pass``
is a Python keyword; ``dmarc.pass_`` works too). Lists of named things are indexed by name
(``sender_classes``, ``recipient_profiles``), policy chains by policy type, content filter
actions by action, MX lists by host (or by position). Every view knows its path, printed in
its ``repr`` and accepted by :meth:`Scenario.get`, :meth:`Scenario.set` and
:func:`delivsim.sweep`.

Nothing is validated while editing: the C++ loader checks the whole document when the
scenario is used (run, sweep, explain) or on :meth:`Scenario.validate`, and its ValueError
names the offending field. Values are checked only to be JSON (numbers, strings, booleans,
objects, lists; numpy scalars and arrays are converted; NaN and infinities are refused).
"""
from __future__ import annotations

import copy
import difflib
import json
import keyword
import math
import numbers
import re
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from importlib import resources
from typing import TYPE_CHECKING, Any, Union

from . import _core

if TYPE_CHECKING:
    from ._document import Document as Scenario  # a Scenario or a World

# --- the document's structure: derived from the JSON Schema shipped in the package
# --- (libdelivsim/schema/scenario.schema.json) and from the C++ policy registry -------------


def load_schema(file_name: str) -> dict[str, Any]:
    """One of the JSON Schemas shipped with the package (``scenario.schema.json``, ...)."""
    return json.loads(resources.files(__package__).joinpath("schema").joinpath(file_name).read_text(encoding="utf-8"))


def schema_tables(schema: Mapping[str, Any], root_kind: str, external: Mapping[str, str] | None = None) -> tuple[
        dict[str, tuple[str, ...]], dict[tuple[str, str], str]]:
    """The kinds of object a document holds, read from its JSON Schema.

    Every closed object (``additionalProperties: false``) is a kind, named by its ``title``,
    else by the ``$defs`` entry that defines it, else by its place, ``<parent kind>.<key>``
    (the root: ``root_kind``). Returns the key table, kind -> its keys in the schema's order,
    and the child table, (kind, key) -> the child's kind, where a list of items of kind k is
    ``list:k`` and an object of named k's ``map:k``. A ``oneOf`` of kinds (the policies) is
    one kind named by its definition; an item's own kind then comes from its content. Objects
    that share a title (the variants of a world's schedule item) are one kind with the keys
    of all, each object's keys in its own order. ``external`` names the root kind of another
    schema file that a ``$ref`` points to (``{"scenario.schema.json": "scenario"}``)."""
    defs = schema.get("$defs", {})
    keys: dict[str, tuple[str, ...]] = {}
    child: dict[tuple[str, str], str] = {}
    seen: set[int] = set()  # objects read: definitions may nest themselves (gateways)

    def merged(old: tuple[str, ...], new: Sequence[str]) -> tuple[str, ...]:
        out = list(old)
        at = 0
        for key in new:
            if key in out:
                at = out.index(key) + 1
            else:
                out.insert(at, key)
                at += 1
        return tuple(out)

    def kind_of(node: Mapping[str, Any], place: str) -> str:
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            name = ref[len("#/$defs/"):]
            return kind_of(defs[name], name)
        if isinstance(ref, str) and external and ref in external:
            return external[ref]
        if node.get("additionalProperties") is False and isinstance(node.get("properties"), Mapping):
            kind = node.get("title", place)
            if id(node) not in seen:  # before the children
                seen.add(id(node))
                keys[kind] = merged(keys.get(kind, ()), list(node["properties"]))
                for key, sub in node["properties"].items():
                    if sub_kind := kind_of(sub, f"{kind}.{key}"):
                        child[(kind, key)] = sub_kind
            return kind
        if isinstance(node.get("oneOf"), list):
            kinds = {kind_of(branch, place) for branch in node["oneOf"]}
            return kinds.pop() if len(kinds) == 1 and "" not in kinds else place
        if isinstance(node.get("items"), Mapping):
            item = kind_of(node["items"], place)
            return f"list:{item}" if item else ""
        if isinstance(node.get("additionalProperties"), Mapping):
            item = kind_of(node["additionalProperties"], place)
            return f"map:{item}" if item else ""
        return ""

    kind_of({k: v for k, v in schema.items() if k != "title"}, root_kind)
    return keys, child


#: The keys of each kind of object, in the schema's order (documents are kept in this order);
#: _CHILD: (kind of the parent object, key) -> kind of the child.
KEYS, _CHILD = schema_tables(load_schema("scenario.schema.json"), "scenario")

#: The built-in policy types with their SMTP phase (0-3; a chain never goes backwards), from
#: the C++ policy registry; -1: a Python policy, whose phase is its own "phase" field.
POLICY_PHASES: dict[str, int] = {
    t["type"]: _core.phase_names.index(t["phase"]) if t["phase"] is not None else -1 for t in _core.policy_types}
_PHASE_NAMES = _core.phase_names


def _phase_of(item: object, default: int) -> int:
    """A chain entry's phase (0-3), or ``default`` if it has none known."""
    if not isinstance(item, dict):
        return default
    phase = POLICY_PHASES.get(str(item.get("type")), default)
    if phase == -1:  # a type without a phase of its own: the entry's "phase" field says
        ph = item.get("phase")
        return _PHASE_NAMES.index(ph) if ph in _PHASE_NAMES else default
    return phase


def _item_name(item: object, field: str | None) -> Any:
    """The name an item of a keyed list is addressed by (a Python policy: its name)."""
    if not field or not isinstance(item, dict):
        return None
    return _policy_key(item) if field == "type" else item.get(field)


def _policy_key(item: object) -> Any:
    """How a chain addresses an entry: its type, or a Python policy's name."""
    if isinstance(item, dict) and item.get("type") == "python" and isinstance(item.get("name"), str):
        return item["name"]
    return item.get("type") if isinstance(item, dict) else None

# Lists whose items are addressed by one of their fields.
_ITEM_KEY: dict[str, str] = {
    "sender_class": "name",
    "recipient_profile": "name",
    "policy": "type",
    "content_action": "action",
    "mx_record": "host",
    "feature_rule": "name",
    "logistic.actions": "action",
    "url_reputation.actions": "action",
}

# Attribute shortcuts: (kind, alias) -> path below the object.
_ALIASES: dict[tuple[str, str], tuple[str, ...]] = {
    ("scenario", "profiles"): ("recipient_profiles",),
    ("scenario", "classes"): ("sender_classes",),
    ("recipient_profile", "content"): ("policies", "content_filter"),
    ("recipient_profile", "content_filter"): ("policies", "content_filter"),
}

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _object_kind(kind: str, data: object) -> str:
    """A retry object naming an MTA's model has that model's keys."""
    if kind == "retry" and isinstance(data, dict) and isinstance(data.get("model"), str) \
            and f"retry_{data['model']}" in KEYS:
        return f"retry_{data['model']}"
    return kind


def _kind_of(container_kind: str, item: object) -> str:
    """The kind of an item of a list or map of ``container_kind`` items."""
    if container_kind == "policy":
        return item.get("type", "policy") if isinstance(item, dict) and isinstance(item.get("type"), str) else "policy"
    return container_kind


# --- values ------------------------------------------------------------------------------


#: Containers nested deeper than this are refused (as the C++ loader does).
MAX_DEPTH = 64


def plain(value: object, where: str = "value", depth: int = 0) -> Any:
    """A deep copy of ``value`` as plain JSON data (views are unwrapped; numpy scalars and
    arrays become Python numbers and lists). TypeError for what JSON cannot hold, ValueError
    for NaN, infinities and containers nested deeper than MAX_DEPTH; all name ``where``."""
    if isinstance(value, _View):
        return copy.deepcopy(value._data)
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return bool(value) if type(value).__name__ == "bool_" else int(value)
    if isinstance(value, numbers.Real):
        f = float(value)
        if not math.isfinite(f):
            raise ValueError(f"{where}: {f} is not a finite number (JSON has no NaN or infinity)")
        return f
    if isinstance(value, (Mapping, list, tuple)) and depth >= MAX_DEPTH:
        raise ValueError(f"{where}: nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"{where}: keys must be strings, got {k!r}")
            out[k] = plain(v, f"{where}.{k}", depth + 1)
        return out
    if hasattr(value, "tolist") and not isinstance(value, (bytes, bytearray)):  # numpy arrays and scalars
        return plain(value.tolist(), where, depth)
    if isinstance(value, (list, tuple)):
        return [plain(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(value)]
    raise TypeError(f"{where}: {type(value).__name__} is not a JSON value (number, string, bool, dict or list)")


def canonical(data: Any, kind: str = "scenario") -> Any:
    """``data`` with every object's keys in the schema's order (unknown keys last, as found)."""
    if kind.startswith("list:"):
        item = kind[5:]
        return [canonical(x, _kind_of(item, x)) for x in data] if isinstance(data, list) else data
    if kind.startswith("map:"):
        return {k: canonical(v, kind[4:]) for k, v in data.items()} if isinstance(data, dict) else data
    if not isinstance(data, dict):
        return data
    kind = _object_kind(kind, data)
    order = KEYS.get(kind, ())
    keys = [k for k in order if k in data] + [k for k in data if k not in order]
    return {k: canonical(data[k], _CHILD.get((kind, k), "")) for k in keys}


# --- paths -------------------------------------------------------------------------------

_TOKEN = re.compile(r"""\s*(?:\[\s*(?:(-?\d+)|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*\]|([^.\[\]]+))\s*(\.)?""")

PathKey = Union[str, int]
Path = Union[str, "tuple[PathKey, ...]", "list[PathKey]"]


def parse_path(path: Path) -> tuple[PathKey, ...]:
    """Split a path such as ``recipient_profiles.G.mx["mx1.g.example"].down`` or
    ``sender_classes[0].weight`` into its keys (strings and list indices)."""
    if isinstance(path, (tuple, list)):
        return tuple(path)
    if not isinstance(path, str) or not path.strip():
        raise TypeError(f"a path is a non-empty string such as 'recipient_profiles.G.weight', not {path!r}")
    keys: list[PathKey] = []
    pos, expect_more = 0, True
    while pos < len(path):
        m = _TOKEN.match(path, pos)
        if m is None or m.end() == pos:
            raise ValueError(f"cannot parse the path {path!r} at position {pos}")
        index, dq, sq, bare, dot = m.groups()
        if index is not None:
            keys.append(int(index))
        elif dq is not None or sq is not None:
            keys.append(json.loads('"' + (dq if dq is not None else sq.replace('"', '\\"')) + '"'))
        else:
            keys.append(bare.strip())
        pos, expect_more = m.end(), dot is not None
    if expect_more and keys and path.rstrip().endswith("."):
        raise ValueError(f"the path {path!r} ends with '.'")
    return tuple(keys)


def format_path(keys: tuple[PathKey, ...]) -> str:
    """The inverse of :func:`parse_path`: names that are identifiers are written bare."""
    out = ""
    for k in keys:
        if isinstance(k, int):
            out += f"[{k}]"
        elif _IDENTIFIER.match(k):
            out += ("." if out else "") + k
        else:
            out += "[" + json.dumps(k) + "]"
    return out


# --- views -------------------------------------------------------------------------------


class PathError(KeyError):
    """A key or path that is not in the scenario (a KeyError whose message reads plainly)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""



class _View:
    """Base of all views: a JSON object or list inside a scenario's document."""

    __slots__ = ("_owner", "_parent", "_key", "_data", "_kind")
    _owner: Scenario
    _parent: _View | None
    _key: PathKey | None
    _data: Any
    _kind: str

    def __init__(self, owner: Scenario, parent: _View | None, key: PathKey | None, data: Any, kind: str) -> None:
        object.__setattr__(self, "_owner", owner)
        object.__setattr__(self, "_parent", parent)
        object.__setattr__(self, "_key", key)
        object.__setattr__(self, "_data", data)
        object.__setattr__(self, "_kind", kind)

    # where the view is -------------------------------------------------------------

    def _position(self) -> PathKey:
        """This view's key in its parent: a dict key, or for a list item its current index."""
        parent = self._parent
        assert parent is not None
        if isinstance(parent._data, list):
            for i, item in enumerate(parent._data):
                if item is self._data:
                    return i
            raise RuntimeError(f"this view is detached: the item at {parent._json_path()}[...] was removed or replaced")
        assert isinstance(self._key, str)
        if parent._data.get(self._key) is not self._data:
            raise RuntimeError(f"this view is detached: {parent._join(self._key)} was replaced")
        return self._key

    def _attached(self) -> None:
        """RuntimeError if some ancestor of this view has been replaced in the document."""
        view: _View = self
        while view._parent is not None:
            view._position()
            view = view._parent
        if view._data is not view._owner._doc:
            raise RuntimeError("this view is detached from its scenario")

    def _json_keys(self) -> tuple[PathKey, ...]:
        if self._parent is None:
            return ()
        return self._parent._json_keys() + (self._position(),)

    def _name_keys(self) -> tuple[PathKey, ...]:
        if self._parent is None:
            return ()
        pos = self._position()
        if isinstance(pos, int):
            field = _ITEM_KEY.get(self._parent._kind[5:]) if self._parent._kind.startswith("list:") else None
            name = _item_name(self._data, field)
            if isinstance(name, str) and name and not name.isdigit():
                names = [_item_name(x, field) for x in self._parent._data if isinstance(x, dict)]
                if names.count(name) == 1:
                    pos = name
        return self._parent._name_keys() + (pos,)

    def _json_path(self) -> str:
        """The path as the loader writes it, e.g. ``recipient_profiles[0].policies[5]``."""
        return format_path(self._json_keys()) or "(scenario)"

    @property
    def path(self) -> str:
        """The path with names, e.g. ``recipient_profiles.G.policies.content_filter``
        (usable with Scenario.get/set and delivsim.sweep)."""
        return format_path(self._name_keys())

    def _where(self) -> str:
        """The view's path, or "the scenario" / "the world" for the document's root."""
        return self.path or f"the {self._owner._KIND}"

    def _join(self, key: PathKey) -> str:
        return format_path(self._json_keys() + (key,))

    # writing -------------------------------------------------------------------------

    def _writing(self) -> None:
        self._owner._before_edit()
        self._attached()

    def _wrap(self, key: PathKey, value: Any, kind: str) -> Any:
        if isinstance(value, dict):
            if kind.startswith("map:"):
                return _MapView(self._owner, self, key, value, kind)
            if kind == "content_filter":
                return _ContentFilterView(self._owner, self, key, value, kind)
            return _ObjectView(self._owner, self, key, value, kind)
        if isinstance(value, list):
            if kind == "list:policy":
                return _PolicyChainView(self._owner, self, key, value, kind)
            if kind == "list:content_action":
                return _ActionsView(self._owner, self, key, value, kind)
            if kind.startswith("list:") and kind[5:] in ("sender_class", "recipient_profile"):
                return _NamedListView(self._owner, self, key, value, kind)
            if kind.startswith("list:") and kind[5:] in _ITEM_KEY:
                return _KeyedListView(self._owner, self, key, value, kind)
            return _ListView(self._owner, self, key, value, kind)
        return value

    # common API ---------------------------------------------------------------------

    def to_json(self, indent: int | None = None) -> str:
        """This part of the document as JSON text."""
        self._attached()
        return json.dumps(self._data, indent=indent)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _View):
            return bool(self._data == other._data)
        if isinstance(other, (dict, list)):
            return bool(self._data == other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __copy__(self) -> Any:
        return copy.deepcopy(self._data)

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        return copy.deepcopy(self._data, memo)

    def __reduce__(self) -> Any:
        # A view pickles as the plain data it shows (it is a window, not an object of its own).
        return (copy.deepcopy, (self._data,))

    def __repr__(self) -> str:
        try:
            where = self.path or "scenario"
        except RuntimeError:
            where = "(detached)"
        text = json.dumps(self._data)
        if len(text) > 400:
            text = text[:397] + "..."
        return f"<{where}: {text}>"

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{self._where()} has no attribute {name!r} to set")


class _ObjectView(_View):
    """A JSON object: its keys as attributes and as items."""

    __slots__ = ()

    def _key_for(self, name: str) -> str:
        if name not in self._data and name.endswith("_") and keyword.iskeyword(name[:-1]):
            return name[:-1]  # dmarc.pass_
        return name

    def _known(self) -> tuple[str, ...]:
        return KEYS.get(_object_kind(self._kind, self._data), ())

    def _child(self, name: PathKey) -> Any:
        self._attached()  # reads refuse a detached view, as writes do
        if not isinstance(name, str):
            raise TypeError(f"{self._where()} is an object: index it by key, not {name!r}")
        alias = _ALIASES.get((self._kind, name))
        if alias is not None and name not in self._data:
            target: Any = self
            for k in alias:
                target = target[k]
            return target
        key = self._key_for(name)
        if key in self._data:
            return self._wrap(key, self._data[key], _CHILD.get((self._kind, key), ""))
        raise self._missing(key)

    def _missing(self, key: str) -> Exception:
        where = self._where()
        if key in self._known():
            return PathError(f"{where} has no {key!r} (optional: set it to add it)")
        near = difflib.get_close_matches(key, list(self._data) + list(self._known()), n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        return PathError(f"{where} has no field {key!r}{hint}")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self._child(name)
        except KeyError as e:
            raise AttributeError(e.args[0]) from None

    def __getitem__(self, key: PathKey) -> Any:
        return self._child(key)

    def _set(self, name: str, value: Any) -> None:
        alias = _ALIASES.get((self._kind, name))
        if alias is not None and name not in self._data:
            target: Any = self
            for k in alias[:-1]:
                target = target[k]
            target[alias[-1]] = value
            return
        key = self._key_for(name)
        known = self._known()
        if known and key not in known and key not in self._data:
            near = difflib.get_close_matches(key, known, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise AttributeError(f"{self._where()} has no field {key!r} (fields: {', '.join(known)}){hint}")
        self._writing()
        kind = _CHILD.get((self._kind, key), "")
        new = canonical(plain(value, self._join(key)), kind)
        if key in self._data or not known:
            self._data[key] = new
        else:  # insert a new optional key at its place in the schema's order
            items = list(self._data.items()) + [(key, new)]
            order = {k: i for i, k in enumerate(known)}
            items.sort(key=lambda kv: order.get(kv[0], len(order)))
            self._data.clear()
            self._data.update(items)

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            raise AttributeError(f"cannot set {name!r}")
        self._set(name, value)

    def __setitem__(self, key: str, value: Any) -> None:
        self._set(key, value)

    def __delattr__(self, name: str) -> None:
        self.__delitem__(name)

    def __delitem__(self, key: str) -> None:
        key = self._key_for(key)
        if key not in self._data:
            raise self._missing(key)
        self._writing()
        del self._data[key]

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._data))

    def __len__(self) -> int:
        return len(self._data)

    def keys(self) -> list[str]:
        return list(self._data)

    def items(self) -> list[tuple[str, Any]]:
        return [(k, self._child(k)) for k in self._data]

    def get(self, key: str, default: Any = None) -> Any:
        return self._child(key) if self._key_for(key) in self._data else default

    def to_dict(self) -> dict[str, Any]:
        """A deep copy of this object as a plain dict."""
        self._attached()
        return copy.deepcopy(self._data)

    def __dir__(self) -> list[str]:
        extra = [k for k in self._data if _IDENTIFIER.match(k)] + [k for k in self._known()]
        extra += [alias for (kind, alias) in _ALIASES if kind == self._kind]
        return sorted(set(list(super().__dir__()) + extra))


class _MapView(_ObjectView):
    """A JSON object with free keys (mailbox_rules.by_class: sender class -> rule)."""

    __slots__ = ()

    def _known(self) -> tuple[str, ...]:
        return ()

    def _child(self, name: PathKey) -> Any:
        self._attached()
        if isinstance(name, str) and name in self._data:
            return self._wrap(name, self._data[name], self._kind[4:])
        raise PathError(f"{self.path} has no {name!r}")


class _ContentFilterView(_ObjectView):
    """A content_filter policy; ``.thresholds`` maps each action to its min_score."""

    __slots__ = ()

    @property
    def thresholds(self) -> _Thresholds:
        """The filter's thresholds by action, e.g. ``{"reject": 15, "spam_folder": 5}``:
        set one (``thresholds.spam_folder = 4``, added if missing), delete one, or assign a dict."""
        return _Thresholds(self)

    @thresholds.setter
    def thresholds(self, value: Mapping[str, float]) -> None:
        if not isinstance(value, Mapping):
            raise TypeError(f"{self.path}.thresholds: assign a dict action -> min_score, not {type(value).__name__}")
        self._set("actions", [{"min_score": score, "action": action} for action, score in value.items()])

    def _child(self, name: PathKey) -> Any:
        if name == "thresholds":
            return self.thresholds
        return super()._child(name)

    def _set(self, name: str, value: Any) -> None:
        if name == "thresholds":
            _ContentFilterView.thresholds.fset(self, value)  # type: ignore[attr-defined]
        else:
            super()._set(name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        self._set(name, value)


class _Thresholds(MutableMapping):  # type: ignore[type-arg]
    """A content filter's actions as a mapping action -> min_score (a live view)."""

    __slots__ = ("_filter",)

    def __init__(self, content_filter: _ContentFilterView) -> None:
        object.__setattr__(self, "_filter", content_filter)

    def _actions(self) -> list[dict[str, Any]]:
        self._filter._attached()
        actions = self._filter._data.get("actions")
        return actions if isinstance(actions, list) else []

    def __getitem__(self, action: str) -> Any:
        for a in self._actions():
            if isinstance(a, dict) and a.get("action") == action:
                return a.get("min_score")
        raise PathError(f"{self._filter.path} has no {action!r} action (it has: {', '.join(self)})")

    def __setitem__(self, action: str, score: Any) -> None:
        if "actions" not in self._filter._data:
            self._filter._set("actions", [])
        self._filter["actions"][action] = {"min_score": score}

    def __delitem__(self, action: str) -> None:
        del self._filter["actions"][action]

    def __iter__(self) -> Iterator[str]:
        return iter([str(a.get("action")) for a in self._actions() if isinstance(a, dict)])

    def __len__(self) -> int:
        return len(self._actions())

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError as e:
            raise AttributeError(e.args[0]) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        del self[name]

    @property
    def path(self) -> str:
        return self._filter.path + ".thresholds"

    def __repr__(self) -> str:
        return f"<{self.path}: {dict(self.items())}>"


class _ListView(_View):
    """A JSON list, indexed by position."""

    __slots__ = ()

    def _item_kind(self, item: object) -> str:
        return _kind_of(self._kind[5:], item) if self._kind.startswith("list:") else ""

    def _index(self, key: PathKey) -> int:
        if isinstance(key, bool) or not isinstance(key, int):
            if isinstance(key, str) and key.lstrip("-").isdigit():
                key = int(key)
            else:
                raise PathError(f"{self.path} is a list: index it by position, not {key!r}")
        n = len(self._data)
        if not -n <= key < n:
            raise IndexError(f"{self.path}[{key}]: out of range ({n} items)")
        return key % n

    def __getitem__(self, key: PathKey) -> Any:
        self._attached()  # reads refuse a detached view, as writes do
        i = self._index(key)
        item = self._data[i]
        return self._wrap(i, item, self._item_kind(item))

    _child = __getitem__

    def __setitem__(self, key: PathKey, value: Any) -> None:
        i = self._index(key)
        self._writing()
        new = plain(value, self._join(i))
        self._data[i] = canonical(new, self._item_kind(new))

    def __delitem__(self, key: PathKey) -> None:
        i = self._index(key)
        self._writing()
        del self._data[i]

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self) -> Iterator[Any]:
        return iter([self[i] for i in range(len(self._data))])

    def append(self, value: Any) -> None:
        """Add an item at the end."""
        self.insert(len(self._data), value)

    def insert(self, index: int, value: Any) -> None:
        """Add an item before position ``index``."""
        self._writing()
        new = plain(value, self._join(len(self._data)))
        self._data.insert(index, canonical(new, self._item_kind(new)))

    def to_list(self) -> list[Any]:
        """A deep copy of this list as plain data."""
        self._attached()
        return copy.deepcopy(self._data)


class _KeyedListView(_ListView):
    """A list of objects addressed by one of their fields (name, type, action, host), or by position."""

    __slots__ = ()

    @property
    def _field(self) -> str:
        return _ITEM_KEY[self._kind[5:]]

    def _find(self, key: PathKey) -> int | None:
        if isinstance(key, str):
            for i, item in enumerate(self._data):
                if isinstance(item, dict) and item.get(self._field) == key:
                    return i
        return None

    def _index(self, key: PathKey) -> int:
        i = self._find(key)
        if i is not None:
            return i
        if isinstance(key, int) or (isinstance(key, str) and key.lstrip("-").isdigit()):
            return super()._index(key)
        near = difflib.get_close_matches(str(key), self.keys(), n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise PathError(f"{self.path} has no item with {self._field} {key!r} (it has: {', '.join(self.keys())}){hint}")

    def keys(self) -> list[str]:
        """The items' names (types, actions, hosts) in order."""
        return [str(item.get(self._field)) for item in self._data if isinstance(item, dict)]

    def __contains__(self, key: object) -> bool:
        return key in self.keys()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        i = self._find(name)
        if i is None:
            raise AttributeError(f"{self.path} has no item with {self._field} {name!r} (it has: {', '.join(self.keys())})")
        return self[i]

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        del self[name]

    def _complete(self, key: PathKey, value: Any) -> Any:
        """An item set by name gets that name (e.g. policies["greylist"] = {"delay_s": 300})."""
        new = plain(value, format_path(self._json_keys() + (key,)))
        if isinstance(key, str) and not key.lstrip("-").isdigit() and isinstance(new, dict):
            new.setdefault(self._field, key)
            if new[self._field] != key:
                raise ValueError(f"{self.path}[{key!r}]: the item's {self._field} is {new[self._field]!r}")
        return new

    def __setitem__(self, key: PathKey, value: Any) -> None:
        new = self._complete(key, value)
        i = self._find(key)
        if i is None and isinstance(key, str) and not key.lstrip("-").isdigit():
            self._add(new)
        else:
            super().__setitem__(self._index(key), new)

    def _add(self, new: Any) -> None:
        self.append(new)

    def add(self, value: Any) -> None:
        """Add an item (an object with its name/type/action/host field)."""
        new = plain(value, self._join(len(self._data)))
        if not isinstance(new, dict) or not isinstance(new.get(self._field), str):
            raise ValueError(f"{self.path}: an added item must be an object with a {self._field!r}")
        if new[self._field] in self.keys():
            raise ValueError(f"{self.path} already has an item with {self._field} {new[self._field]!r}")
        self._add(new)

    def remove(self, key: PathKey) -> None:
        """Remove the item with this name (type, action, host) or at this position."""
        del self[key]

    def __dir__(self) -> list[str]:
        return sorted(set(list(super().__dir__()) + [k for k in self.keys() if isinstance(k, str) and _IDENTIFIER.match(k)]))


class _NamedListView(_KeyedListView):
    """sender_classes or recipient_profiles: a mixture of named items."""

    __slots__ = ()

    @property
    def names(self) -> list[str]:
        return self.keys()

    @property
    def weights(self) -> dict[str, Any]:
        """The mixture's weights by name; assign a dict to change some of them."""
        return {str(item.get("name")): item.get("weight") for item in self._data if isinstance(item, dict)}

    @weights.setter
    def weights(self, value: Mapping[str, float]) -> None:
        for name, weight in value.items():
            self[name].weight = weight

    def normalize_weights(self) -> None:
        """Scale the weights to sum to 1 (after adding or removing items)."""
        total = sum(float(w) for w in self.weights.values())
        if not total > 0:
            raise ValueError(f"{self.path}: the weights sum to {total}, cannot normalize")
        for item in self:
            item.weight = float(item._data["weight"]) / total

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "weights":
            _NamedListView.weights.fset(self, value)  # type: ignore[attr-defined]
        else:
            self[name] = value


class _PolicyChainView(_KeyedListView):
    """A profile's policy chain, addressed by policy type (a Python policy: by its name);
    ``add`` keeps the phase order. A :class:`delivsim.Policy` object may be given wherever an
    entry is (``insert``, ``append``, ``add``, item assignment): the scenario keeps it and the
    chain gets its ``{"type": "python", "name", "phase"}`` entry."""

    __slots__ = ()

    @property
    def types(self) -> list[str]:
        return [str(item.get("type")) for item in self._data if isinstance(item, dict)]

    def keys(self) -> list[str]:
        """The entries' types (a Python policy's name) in order."""
        return [str(_policy_key(item)) for item in self._data if isinstance(item, dict)]

    def _find(self, key: PathKey) -> int | None:
        if isinstance(key, str):
            for i, item in enumerate(self._data):
                if _policy_key(item) == key:
                    return i
        return None

    def _entry(self, value: Any) -> Any:
        from ._policy import Policy

        if isinstance(value, Policy):
            self._attached()
            return self._owner._register_policy(value)
        return value

    def insert(self, index: int, value: Any) -> None:
        """Add an entry (a dict, or a delivsim.Policy object) before position ``index``."""
        super().insert(index, self._entry(value))

    def add(self, value: Any) -> None:
        """Add an entry (a dict, or a delivsim.Policy object) at its place in the phase order."""
        value = self._entry(value)
        if isinstance(value, dict) and value.get("type") == "python":
            if value.get("name") in self.keys():
                raise ValueError(f"{self.path} already has a Python policy named {value.get('name')!r}")
            self._add(plain(value, self._join(len(self._data))))
            return
        super().add(value)

    def __setitem__(self, key: PathKey, value: Any) -> None:
        value = self._entry(value)
        if isinstance(value, dict) and value.get("type") == "python" and isinstance(key, str) and not key.lstrip("-").isdigit():
            if value.get("name") != key:
                raise ValueError(f"{self.path}[{key!r}]: the Python policy's name is {value.get('name')!r}")
            i = self._find(key)
            if i is None:
                self._add(plain(value, self._join(len(self._data))))
            else:
                _ListView.__setitem__(self, i, value)
            return
        super().__setitem__(key, value)

    def _add(self, new: Any) -> None:
        phase = _phase_of(new, 99)
        at = len(self._data)
        for i, item in enumerate(self._data):
            if _phase_of(item, -1) > phase:
                at = i
                break
        self.insert(at, new)


class _ActionsView(_KeyedListView):
    """A content filter's actions, addressed by action name."""

    __slots__ = ()


# --- errors and summaries ------------------------------------------------------------------

_ERROR_PATH = re.compile(r"^((?:[A-Za-z_][A-Za-z0-9_]*|\[\d+\])(?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])*)(: .*)$", re.S)


def named_keys(doc: Any, keys: tuple[PathKey, ...], root: str = "scenario") -> tuple[PathKey, ...]:
    """``keys`` (JSON keys and list indices) with the indices of named lists replaced by names;
    ``root`` is the document's kind ("scenario", "world")."""
    out: list[PathKey] = []
    node, kind = doc, root
    for key in keys:
        if isinstance(key, int) and isinstance(node, list) and 0 <= key < len(node):
            item_kind = kind[5:] if kind.startswith("list:") else ""
            item = node[key]
            field = _ITEM_KEY.get(item_kind)
            name = _item_name(item, field)
            names = [_item_name(x, field) for x in node if isinstance(x, dict)] if field else []
            ok = isinstance(name, str) and name and not name.isdigit() and names.count(name) == 1
            out.append(name if ok and isinstance(name, str) else key)
            node, kind = item, _kind_of(item_kind, item)
        elif isinstance(key, str) and isinstance(node, dict) and key in node:
            out.append(key)
            node, kind = node[key], (kind[4:] if kind.startswith("map:") else _CHILD.get((kind, key), ""))
        else:
            out.append(key)
            node, kind = None, ""
    return tuple(out)


def with_named_path(message: str, doc: Any, root: str = "scenario") -> str:
    """A loader error ``recipient_profiles[0].mx[0].down: ...`` with the path by names added
    (``[recipient_profiles.G.mx[0].down]``) when it differs."""
    m = _ERROR_PATH.match(message)
    if not m:
        return message
    keys = tuple(int(k[1:-1]) if k.startswith("[") else k for k in re.findall(r"\[\d+\]|[A-Za-z_][A-Za-z0-9_]*", m.group(1)))
    named = format_path(named_keys(doc, keys, root))
    return message if named == m.group(1) else f"{message} [{named}]"


def _num(x: Any) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def summary(scenario: Scenario) -> str:
    """A few readable lines describing a scenario (its repr)."""
    doc = scenario._doc
    state = "frozen" if scenario._frozen else ("validated" if scenario._checked is not None else "edited, not validated")
    lines = [f"<Scenario {doc.get('name')!r} ({state})"]
    r = doc.get("retry")
    if isinstance(r, dict) and "model" in r:
        lines.append("  retry: " + str(r["model"]) + " model" + "".join(
            f", {k} {_num(v) if not isinstance(v, str) else v}" for k, v in r.items() if k != "model"))
    elif isinstance(r, dict):
        lines.append(
            f"  retry: first after {_num(r.get('first_retry_s'))} s, x{_num(r.get('backoff_factor'))}, "
            f"at most {_num(r.get('max_backoff_s'))} s apart, lifetime {_num(r.get('lifetime_s'))} s")
    classes = [c for c in doc.get("sender_classes", []) if isinstance(c, dict)]
    lines.append("  sender classes: " + ", ".join(
        f"{c.get('name')} {_num(c.get('weight'))}{'' if c.get('legit', True) else ' (spam)'}" for c in classes))
    lines.append("  recipient profiles:")
    for p in doc.get("recipient_profiles", []):
        if isinstance(p, dict):
            chain = ", ".join(str(x.get("type")) if x.get("type") != "python" else f"{x.get('name')} (python)"
                              for x in p.get("policies", []) if isinstance(x, dict))
            lines.append(f"    {p.get('name')} {_num(p.get('weight'))}: {chain or '(no policies)'}")
    return "\n".join(lines) + ">"
