"""Counterfactual attribution: which single fix would have delivered the legitimate mail that
missed the inbox (see docs/attribution.md)."""
from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from . import _core, _progress
from ._run import DEFAULT_MESSAGES, MAX_MESSAGES, MAX_SEED, MAX_THREADS, Progress, _integer, _ProgressBar, _scenario
from ._scenario import Scenario
from .metrics import wilson

if TYPE_CHECKING:
    import pandas as pd

#: Every factor, in order: the sender's side first, then the receiver's and the recipient's.
FACTORS: tuple[str, ...] = tuple(_core.factor_names)
#: The factors a sender can fix.
SENDER_FACTORS: tuple[str, ...] = ("authentication", "ip_reputation", "content", "size", "attachment", "address")

#: The summary rows of :meth:`Attribution.to_frame`, after the factors: (row name, report key).
SUMMARY_ROWS: tuple[tuple[str, str], ...] = (
    ("any sender-side fix", "any_sender_fix"),
    ("only a receiver or recipient change", "only_receiver_or_recipient_fix"),
    ("no single fix", "no_single_fix"),
)


def _factors(factors: Iterable[str] | None) -> list[str]:
    if factors is None:
        return list(FACTORS)
    if isinstance(factors, (str, bytes)) or not isinstance(factors, Iterable):
        raise TypeError(f"factors must be a list of factor names or None, not {type(factors).__name__}")
    out = []
    for f in factors:
        if not isinstance(f, str):
            raise TypeError(f"factors: each factor must be a str, not {type(f).__name__}")
        if f not in FACTORS:
            raise ValueError(f"factors: unknown factor {f!r} (valid: {', '.join(FACTORS)})")
        if f in out:
            raise ValueError(f"factors: {f!r} is given twice")
        out.append(f)
    if not out:
        raise ValueError("factors: is empty (None means every factor)")
    return out


class Attribution:
    """What :func:`attribute` found: for each sender class of legitimate mail, how many of its
    messages missed the inbox, and how many of those each single fix would have delivered."""

    __slots__ = ("_scenario", "_report")

    def __init__(self, scenario: Scenario, report: dict[str, Any]) -> None:
        self._scenario = scenario
        self._report = report

    @property
    def scenario(self) -> Scenario:
        return self._scenario

    @property
    def seed(self) -> int:
        return int(self._report["seed"])

    @property
    def messages(self) -> int:
        return int(self._report["messages"])

    @property
    def factors(self) -> tuple[str, ...]:
        return tuple(self._report["factors"])

    def to_dict(self) -> dict[str, Any]:
        """The attribution as ``delivsim attribute --json`` writes it (a new dict)."""
        return copy.deepcopy(self._report)

    def to_json(self) -> str:
        return json.dumps(self._report)

    def to_frame(self) -> pd.DataFrame:
        """One row per (sender class, fix): sender_class, fix (a factor, or "any sender-side
        fix", "only a receiver or recipient change", "no single fix"), side ("sender",
        "receiver" or "summary"), rescued (lost messages that fix alone delivers), lost (the
        class's legitimate messages that missed the inbox), legitimate (all of the class's),
        share = rescued / lost with its 95% Wilson interval ci_low, ci_high. A message can be
        rescued by several single fixes: the factors' shares do not add up to 1."""
        import pandas as pd

        rows = []
        for cls, c in self._report.get("by_class", {}).items():
            lost, legit = c["lost"], c["legitimate"]
            entries = [(f, "sender" if f in SENDER_FACTORS else "receiver", c["rescued_by"][f]["count"])
                       for f in self.factors]
            entries += [(name, "summary", c[key]["count"]) for name, key in SUMMARY_ROWS]
            for fix, side, k in entries:
                share, low, high = wilson(k, lost)
                rows.append((cls, fix, side, k, lost, legit, share, low, high))
        columns = ["sender_class", "fix", "side", "rescued", "lost", "legitimate", "share", "ci_low", "ci_high"]
        return pd.DataFrame(rows, columns=columns).astype({"rescued": "int64", "lost": "int64", "legitimate": "int64"})

    def __repr__(self) -> str:
        return f"<Attribution of {self._scenario.name!r}: {self.messages} messages, seed {self.seed}>"


def attribute(
    scenario: Scenario | None = None,
    messages: int = DEFAULT_MESSAGES,
    seed: int = 1,
    threads: int | None = None,
    factors: Iterable[str] | None = None,
    progress: Progress = False,
) -> Attribution:
    """Which single fix would have delivered each legitimate message that missed the inbox.

    Runs ``messages`` messages of ``scenario`` (default R1) with ``seed``, exactly as
    :func:`run` does; then every legitimate message that did not reach the inbox is delivered
    again once per factor, with that one factor fixed and every random draw the same (the
    draws are a function of seed, message index, stream and slot). ``factors`` (default
    all, :data:`FACTORS`) are the sender's ``authentication``, ``ip_reputation``,
    ``content``, ``size``, ``attachment`` and ``address``, and the receiver's or
    recipient's ``availability``, ``quota`` and ``recipient_rules``; docs/attribution.md
    says what each fix changes. The result does not depend on ``threads``.
    """
    scenario = _scenario(scenario)
    messages = _integer("messages", messages, 0, MAX_MESSAGES)
    seed = _integer("seed", seed, 0, MAX_SEED)
    threads = _integer("threads", (os.cpu_count() or 1) if threads is None else threads, 1, MAX_THREADS)
    names = _factors(factors)
    bar = _progress.new_bar(messages, _ProgressBar) if progress is True else None
    report = bar if bar is not None else progress
    if not (callable(report) or report is False or report is None):
        raise TypeError(f"progress must be a bool or a callable progress(done, total), not {type(progress).__name__}")
    callback = (lambda done: report(done, messages)) if callable(report) else None
    try:
        text = _core.attribute(scenario._core, messages, seed, threads, names, progress=callback)
    finally:
        if bar is not None:
            bar.close()
    return Attribution(scenario._snapshot(), json.loads(text))
