"""Looking up a thing by name: an unknown name is a KeyError that lists the valid names and
suggests the nearest one (a typo is the usual cause)."""
from __future__ import annotations

import difflib
from collections.abc import Sequence


class UnknownNameError(KeyError):
    """A KeyError whose message reads as a sentence (KeyError's own str() is the repr)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def suggestion(name: object, valid: Sequence[str]) -> str:
    """The valid names, and the nearest one to ``name``: "(valid: a, b); did you mean 'a'?"."""
    names = [str(v) for v in valid]
    lowered = {n.lower(): n for n in names}  # a wrong case is the commonest slip ("g" for "G")
    near = [lowered[str(name).lower()]] if str(name).lower() in lowered else [
        lowered[m] for m in difflib.get_close_matches(str(name).lower(), list(lowered), n=1)]
    hint = f"; did you mean {near[0]!r}?" if near else ""
    return f"(valid: {', '.join(map(str, valid)) or 'none'}){hint}"


def unknown(kind: str, name: object, valid: Sequence[str]) -> KeyError:
    """The KeyError for an unknown ``kind`` named ``name`` among ``valid``."""
    return UnknownNameError(f"no {kind} {name!r} {suggestion(name, valid)}")


def lookup(kind: str, name: object, valid: Sequence[str]) -> int:
    """The position of ``name`` in ``valid``, or the KeyError of :func:`unknown`."""
    if not isinstance(name, str):
        raise TypeError(f"a {kind} is named by a string, not {type(name).__name__}")
    try:
        return list(valid).index(name)
    except ValueError:
        raise unknown(kind, name, valid) from None
