"""Opt-in result caching: ``run(..., cache=directory)`` keeps each result in a file named by
a hash of what determines it (the scenario's document, the seed, the message range and the
delivsim version), so that re-running a notebook or a sweep reads the results back instead of
simulating them again. Results are pure functions of that key (threads never matter), so a
cached result is exactly the one a run would give."""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any, Optional

from . import _core


def key(scenario: Any, seed: int, first_message: int, messages: int) -> str:
    """The cache key: sha256 over the canonical scenario document, seed, range and version."""
    if scenario.python_policies:
        raise ValueError("cache: a scenario with Python policies cannot be cached (their code is not part of the "
                         "scenario document, so a cached result could be stale); run it without cache=")
    text = json.dumps({"scenario": scenario.to_dict(), "seed": seed, "first_message": first_message,
                       "messages": messages, "version": _core.version}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def directory(cache: Any) -> Path:
    if isinstance(cache, bool) or cache is None:
        raise TypeError("cache must be a directory (str or os.PathLike) for the cached results")
    path = Path(os.fsdecode(cache))
    path.mkdir(parents=True, exist_ok=True)
    return path


def load(cache: Any, k: str) -> Optional[Any]:
    """The cached Result under key ``k``, or None (a missing or unreadable entry is a miss)."""
    path = directory(cache) / f"{k}.pickle"
    try:
        with open(path, "rb") as f:
            return pickle.load(f)
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError):
        return None


def store(cache: Any, k: str, result: Any) -> None:
    """Write atomically (a temporary file renamed), so that a concurrent reader never sees half."""
    folder = directory(cache)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{k}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(result, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, folder / f"{k}.pickle")
    except BaseException:
        os.unlink(tmp)
        raise
