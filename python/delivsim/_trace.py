"""Sampled message traces: the first messages of a run whose fate matches a filter, each with
its drawn facts, attempts and fate exactly as in the full run (see docs/attribution.md)."""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import pandas as pd

from . import _core
from ._run import DEFAULT_MESSAGES, MAX_MESSAGES, MAX_SEED, MAX_THREADS, _integer, _path, _scenario

#: The keys ``where`` understands.
WHERE_KEYS: tuple[str, ...] = ("outcome", "sender_class", "profile", "responsible", "stage", "truth", "notice")


class Trace(pd.DataFrame):
    """A DataFrame of traced messages, one row each (columns as :func:`delivsim.explain`'s
    keys: message, sender_class, profile, legit, the drawn facts, attempts, outcome, status,
    responsible, stage, time_s, sender_told, notice, notice_time_s)."""

    @property
    def _constructor(self) -> type[Trace]:
        return Trace

    def to_json_lines(self, path: str | os.PathLike[str]) -> None:
        """Writes one JSON object per message (as explain gives it) to ``path``."""
        target = _path("path", path)
        with open(target, "w", encoding="utf-8") as f:
            for record in self.to_dict(orient="records"):
                f.write(json.dumps(record, default=_plain) + "\n")


def _plain(x: Any) -> Any:
    if hasattr(x, "item"):  # numpy scalars
        return x.item()
    raise TypeError(f"{type(x).__name__} is not JSON serialisable")


def _where(where: Mapping[str, str] | None) -> list[tuple[str, str]]:
    if where is None:
        return []
    if not isinstance(where, Mapping):
        raise TypeError(f"where must be a dict of key: value, not {type(where).__name__}")
    pairs = []
    for key, value in where.items():
        if not isinstance(key, str):
            raise TypeError(f"where: keys must be str, not {type(key).__name__}")
        if key not in WHERE_KEYS:
            raise ValueError(f"where: unknown key {key!r} (valid: {', '.join(WHERE_KEYS)})")
        if not isinstance(value, str):
            raise TypeError(f"where.{key} must be a str, not {type(value).__name__}")
        pairs.append((key, value))
    return pairs


def trace(
    scenario: Any = None,
    messages: int | None = None,
    seed: int = 1,
    where: Mapping[str, str] | None = None,
    limit: int = 100,
    threads: int | None = None,
) -> Trace:
    """The first ``limit`` messages (in index order) of a run of ``messages`` messages
    (default :data:`delivsim.DEFAULT_MESSAGES`) of ``scenario`` with ``seed`` whose fate
    matches every ``where`` item: outcome, sender_class, profile, responsible, stage, truth
    ("legitimate" or "spam") or notice ("never", "bounce", "delay_warning"). Each row is the
    message exactly as the full run delivered it (:func:`delivsim.explain`). The rows do not
    depend on ``threads``.

    ``scenario`` may be a :class:`delivsim.world.World`: then its whole run is searched (it
    defines its own messages: ``messages`` must not be given), ``sender_class`` is a sender's
    class and ``profile`` a receiving domain, and each row is as
    :func:`delivsim.world.explain` gives it (message ids, the receiver's state at each
    attempt)."""
    from .world import World

    seed = _integer("seed", seed, 0, MAX_SEED)
    limit = _integer("limit", limit, 0, MAX_MESSAGES)
    threads = _integer("threads", (os.cpu_count() or 1) if threads is None else threads, 1, MAX_THREADS)
    pairs = _where(where)
    if isinstance(scenario, World):
        if messages is not None:
            raise TypeError("messages: a world sends the messages of its schedule; do not give messages")
        rows = json.loads(_core.trace_world(scenario._validated(), seed, threads, pairs, limit))
    else:
        scenario = _scenario(scenario)
        messages = _integer("messages", DEFAULT_MESSAGES if messages is None else messages, 0, MAX_MESSAGES)
        rows = json.loads(_core.trace(scenario._core, messages, seed, threads, pairs, limit))
    columns = ["message", "sender_class", "profile", "legit", "outcome", "responsible", "stage", "notice"]
    frame = Trace(rows)
    if frame.empty:
        return Trace(columns=columns)
    return frame[columns + [c for c in frame.columns if c not in columns]]
