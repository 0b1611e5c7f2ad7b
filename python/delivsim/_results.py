"""Results of a run: counts and rates of each outcome, overall and by group."""
from __future__ import annotations

import copy
import json
import operator
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _core, _html
from ._names import lookup
from ._scenario import Scenario

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd

#: Where a message can end, in the taxonomy's order (inbox first, bounced last).
OUTCOMES: tuple[str, ...] = tuple(_core.outcome_names)

Ranges = tuple[tuple[int, int], ...]


def _ordered(counts: dict[str, int]) -> dict[str, int]:
    return {o: counts[o] for o in OUTCOMES}


def _union(a: Ranges, b: Ranges) -> Ranges:
    """The union of two sets of message ranges [start, stop); ValueError if they overlap,
    because the same seed and message index is the same message, counted twice."""
    merged: list[list[int]] = []
    for start, stop in sorted(a + b):
        if merged and start < merged[-1][1]:
            raise ValueError(
                f"the results overlap in messages [{start}, {min(stop, merged[-1][1])}) and cannot be merged: "
                "merge runs of disjoint message ranges (first_message)"
            )
        if merged and start == merged[-1][1]:
            merged[-1][1] = stop
        else:
            merged.append([start, stop])
    return tuple((start, stop) for start, stop in merged)


#: What :meth:`Result.to_frame` can tabulate, and the report keys of each breakdown
#: (overall, by class, by profile, by truth).
FRAME_KINDS: dict[str, tuple[str, str, str, str]] = {
    "outcome": ("outcomes", "by_class", "by_profile", "by_truth"),
    "responsible": ("responsible", "responsible_by_class", "responsible_by_profile", "responsible_by_truth"),
    "deciding_stage": ("deciding_stage", "deciding_stage_by_class", "", "deciding_stage_by_truth"),
    "notice": ("notice", "notice_by_class", "notice_by_profile", "notice_by_truth"),
}


def tally_frame(tally: _core.Tally, name: str, seed: int, kinds: tuple[str, str] = ("class", "profile"),
                report: dict[str, Any] | None = None, what: str = "outcome") -> pd.DataFrame:
    """A Tally's counts as a tidy table (see :meth:`Result.to_frame`); ``kinds`` names its
    classes' and profiles' groups (a world's: "sender", "receiver")."""
    import pandas as pd

    from .metrics import wilson

    if not isinstance(what, str):
        raise TypeError(f"what must be a str, not {type(what).__name__}")
    if what not in FRAME_KINDS:
        raise ValueError(f"what: unknown table {what!r} (valid: {', '.join(FRAME_KINDS)})")
    rep = report if report is not None else json.loads(tally.report_json(name, seed))
    overall, by_class, by_profile, by_truth = FRAME_KINDS[what]
    # Outcome rates are the report's own (the library's Wilson intervals).
    groups = [("overall", "all", rep[overall], rep["outcomes"], rep["rates"])]
    groups += [(kinds[0], c, rep[by_class][c], rep["by_class"][c], rep["rates_by_class"][c]) for c in tally.class_names]
    if by_profile:
        groups += [(kinds[1], p, rep[by_profile][p], rep["by_profile"][p], rep["rates_by_profile"][p])
                   for p in tally.profile_names]
    if "by_truth" in rep:
        groups += [("truth", t, rep[by_truth][t], rep["by_truth"][t], None) for t in ("legitimate", "spam")]
    # Rows in the library's own order of outcomes, responsible parties and stages (the
    # report's JSON objects are sorted by name).
    order: tuple[str, ...] = tuple({"outcome": _core.outcome_names, "responsible": _core.responsible_names,
                                    "deciding_stage": _core.stage_names}.get(what, ()))
    rows = []
    for kind, group, counts, outcomes, rates in groups:
        messages = sum(outcomes.values())
        keys = [k for k in order if k in counts] + [k for k in counts if k not in order]
        for key in keys:
            count = counts[key]
            if not isinstance(count, int):  # a notice's time quantiles
                continue
            if what == "outcome" and rates is not None:
                rate, (low, high) = rates[key]["rate"], rates[key]["ci95"]
            else:
                rate, low, high = wilson(count, messages)
            rows.append((kind, group, key, count, messages, rate, low, high))
    columns = ["group_kind", "group", what, "count", "messages", "rate", "ci_low", "ci_high"]
    return pd.DataFrame(rows, columns=columns).astype({"count": "int64", "messages": "int64"})


class Result:
    """What a run found: returned by :func:`delivsim.run`; merge runs of disjoint message
    ranges of one scenario and seed with ``+``."""

    __slots__ = ("_scenario", "_seed", "_ranges", "_tally", "_report")

    def __init__(self, scenario: Scenario, seed: int, message_ranges: Ranges, tally: _core.Tally) -> None:
        # Public (and what unpickling calls): check the parts fit together.
        if not isinstance(scenario, Scenario):
            raise TypeError(f"scenario must be a delivsim.Scenario, not {type(scenario).__name__}")
        if not isinstance(tally, _core.Tally):
            raise TypeError(f"tally must be a delivsim._core.Tally, not {type(tally).__name__}")
        try:
            if isinstance(seed, bool):
                raise TypeError
            seed = operator.index(seed)  # an int, or a numpy integer
        except TypeError:
            raise TypeError(f"seed must be an int, not {type(seed).__name__}") from None
        if not 0 <= seed <= 2**64 - 1:
            raise ValueError(f"seed must be in [0, 2**64 - 1], got {seed}")
        try:
            ranges = [(operator.index(start), operator.index(stop)) for start, stop in message_ranges]
        except (TypeError, ValueError):
            raise TypeError("message_ranges must be (start, stop) pairs of ints") from None
        if any(not 0 <= start <= stop <= 2**63 for start, stop in ranges):
            raise ValueError(f"message_ranges: {ranges} has a range outside [0, 2**63] or with stop < start")
        try:
            ranges = list(_union(tuple(r for r in ranges if r[1] > r[0]), ()))
        except ValueError:
            raise ValueError(f"message_ranges: {ranges} overlap") from None
        if sum(stop - start for start, stop in ranges) != tally.messages:
            raise ValueError(f"message_ranges cover {sum(stop - start for start, stop in ranges)} messages, "
                             f"the tally {tally.messages}")
        self._scenario = scenario._snapshot()  # frozen: editing the run's scenario later cannot change it
        if (tally.class_names, tally.profile_names, tally.attempt_times) != (
                self._scenario.class_names, self._scenario.profile_names, self._scenario.attempt_times):
            raise ValueError("tally: its sender classes, recipient profiles or attempt times are not the scenario's")
        self._seed = int(seed)
        self._ranges = tuple(ranges)
        self._tally = tally
        self._report: dict[str, Any] | None = None

    def _rep(self) -> dict[str, Any]:
        if self._report is None:
            self._report = json.loads(self._tally.report_json(self._scenario.name, self._seed))
        return self._report

    @property
    def scenario(self) -> Scenario:
        """The scenario that was run (read-only: edit ``result.scenario.copy()``)."""
        return self._scenario

    @property
    def seed(self) -> int:
        return self._seed

    @property
    def messages(self) -> int:
        return self._tally.messages

    @property
    def message_ranges(self) -> Ranges:
        """The message index ranges [start, stop) simulated (one, unless merged)."""
        return self._ranges

    @property
    def outcomes(self) -> dict[str, int]:
        """Messages by outcome: inbox, rule_moved, spam_folder, quarantined, rule_deleted,
        silently_lost, bounced."""
        return _ordered(self._rep()["outcomes"])

    @property
    def bounces(self) -> dict[str, int]:
        """Bounced messages by enhanced status code (e.g. "5.1.1")."""
        return dict(self._rep()["bounces"])

    @property
    def by_class(self) -> dict[str, dict[str, int]]:
        """Messages by sender class, then by outcome."""
        return {c: _ordered(self._rep()["by_class"][c]) for c in self._scenario.class_names}

    @property
    def by_profile(self) -> dict[str, dict[str, int]]:
        """Messages by recipient profile, then by outcome."""
        return {p: _ordered(self._rep()["by_profile"][p]) for p in self._scenario.profile_names}

    @property
    def acceptance_time_s(self) -> dict[str, float | None]:
        """Quantiles p50, p90, p99 of the time to acceptance (250) in seconds; None if no
        message was accepted."""
        return dict(self._rep()["acceptance_time_s"])

    @property
    def acceptance_times(self) -> npt.NDArray[np.uint64]:
        """Accepted messages by delivery attempt: a histogram over ``scenario.attempt_times``
        (a new array that owns the C++ vector it was computed into: no copy)."""
        return self._tally.acceptance_histogram()

    def acceptance_histogram(self, sender_class: str | None = None, profile: str | None = None) -> npt.NDArray[np.uint64]:
        """Accepted messages by delivery attempt, of one sender class or one recipient profile
        (by name; not both: decision times are kept by class and by profile) or of all."""
        cls = None if sender_class is None else lookup("sender class", sender_class, self._scenario.class_names)
        prof = None if profile is None else lookup("recipient profile", profile, self._scenario.profile_names)
        if cls is not None and prof is not None:
            raise ValueError("acceptance times are kept by sender class or by recipient profile, not by both")
        return self._tally.acceptance_histogram(cls, prof)

    def to_json(self) -> str:
        """The full report (counts, rates with 95% Wilson intervals, bounces, responsibility,
        deciding stages, time histograms) as JSON text, as ``delivsim run --json`` writes it."""
        return self._tally.report_json(self._scenario.name, self._seed)

    def to_dict(self) -> dict[str, Any]:
        """The full report (see :meth:`to_json`) as a new dict."""
        return copy.deepcopy(self._rep())

    def to_frame(self, what: str = "outcome") -> pd.DataFrame:
        """A tidy table, one row per group and outcome: group_kind ("overall", "class",
        "profile" or "truth": "legitimate" mail or "spam"), group, outcome, count, messages
        (the group's), rate, and the 95% Wilson interval ci_low, ci_high.

        ``what`` chooses the column counted: "outcome" (where the mail went), "responsible"
        (who was responsible: the first stage that kept a message out of the inbox, with the
        blame rules of docs/attribution.md), "deciding_stage" (not by profile) or "notice"
        (how the sender first learns: never, bounce, delay_warning)."""
        return tally_frame(self._tally, self._scenario.name, self._seed, report=self._rep(), what=what)

    def plot(self, by: str = "class", ax: Any = None, **kwargs: Any) -> Any:
        """Where the mail went, stacked bars by "class", "profile", "overall" or "all" (see
        :func:`delivsim.plot.outcomes`). Returns the matplotlib Axes."""
        from . import plot

        return plot.outcomes(self, by=by, ax=ax, **kwargs)

    def plot_bounces(self, ax: Any = None, **kwargs: Any) -> Any:
        """Bounces by status code (see :func:`delivsim.plot.bounces`)."""
        from . import plot

        return plot.bounces(self, ax=ax, **kwargs)

    def plot_acceptance(self, by: str | None = None, ax: Any = None, **kwargs: Any) -> Any:
        """The acceptance-time CDF, overall or by "class"/"profile" (see
        :func:`delivsim.plot.acceptance_cdf`)."""
        from . import plot

        return plot.acceptance_cdf(self, by=by, ax=ax, **kwargs)

    def explain(self, *, message: int) -> dict[str, Any]:
        """Message ``message``'s delivery path, exactly as it went in this run (same seed).
        IndexError if the run did not simulate that message (see :attr:`message_ranges`)."""
        from ._run import _integer, explain

        message = _integer("message", message, 0, 2**63 - 1)
        if not any(start <= message < stop for start, stop in self._ranges):
            ranges = ", ".join(f"[{a}, {b})" for a, b in self._ranges) or "none"
            raise IndexError(f"message {message} is not in this run (its messages: {ranges})")
        return explain(self._scenario, message=message, seed=self._seed)

    def __add__(self, other: object) -> Result:
        if not isinstance(other, Result):
            return NotImplemented
        if other._scenario != self._scenario:
            raise ValueError(
                f"results of different scenarios ({self._scenario.name!r}, {other._scenario.name!r}) cannot be merged"
            )
        if other._seed != self._seed:
            raise ValueError(f"results of different seeds ({self._seed}, {other._seed}) cannot be merged")
        ranges = _union(self._ranges, other._ranges)
        return Result(self._scenario, self._seed, ranges, self._tally + other._tally)

    def __radd__(self, other: object) -> Result:
        # sum(results) starts from 0.
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self
        return NotImplemented

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Result):
            return NotImplemented
        return (
            self._seed == other._seed
            and self._ranges == other._ranges
            and self._tally == other._tally
            and self._scenario == other._scenario
        )

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (Result, (self._scenario, self._seed, self._ranges, self._tally))

    def _repr_html_(self) -> str:
        ranges = ", ".join(f"[{a:,}, {b:,})" for a, b in self._ranges)
        return _html.block(
            f"Result of {self._scenario.name!r}: seed {self._seed}, {self.messages:,} messages {ranges}",
            _html.outcome_table(self._rep(), OUTCOMES, self._scenario.class_names, self._scenario.profile_names),
            note="Shares of each group's messages, 95% Wilson interval in brackets.")

    def __repr__(self) -> str:
        n = self.messages
        shares = ", ".join(f"{o} {100 * k / n:.2f}%" for o, k in self.outcomes.items()) if n else "no messages"
        return f"<Result {self._scenario.name!r} seed={self._seed} messages={n:,}: {shares}>"
