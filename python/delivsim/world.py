"""Simulated time and persistent world state: senders with schedules, recipient lists, and
receiving domains that remember (rate limits, reputation, greylist triplets, mailboxes).

>>> from delivsim import world
>>> w = world.load("examples/scenarios/noisy_neighbour.json")
>>> r = world.run(w, seed=1)
>>> r.timeseries().query("sender == 'shop'")["inbox_rate"]
>>> r.plot("inbox_rate")

A world file has the format ``delivsim-world/1`` (docs/world.md). Results are bit-identical
for any thread count.
"""
from __future__ import annotations

import json
import numbers
import os
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

from . import _core

if TYPE_CHECKING:
    import matplotlib.axes
    import pandas as pd

World = _core.World
#: Reputation levels, worst first (Gmail Postmaster Tools' bad / low / medium / high).
LEVELS: tuple[str, ...] = tuple(_core.world_level_names)
OUTCOMES: tuple[str, ...] = tuple(_core.outcome_names)


def load(path: Union[str, bytes, "os.PathLike[str]"]) -> World:
    """Load and validate a world file; ``ValueError`` names the offending JSON path."""
    try:
        p = os.fsdecode(path)
    except TypeError:
        raise TypeError(f"path must be a str, bytes or os.PathLike, not {type(path).__name__}") from None
    return _core.load_world(p)


def parse(document: Union[str, bytes, dict[str, Any]]) -> World:
    """Parse and validate a world document given as JSON text or as a dict."""
    if isinstance(document, dict):
        document = json.dumps(document)
    elif isinstance(document, bytes):
        document = document.decode("utf-8", errors="replace")
    elif not isinstance(document, str):
        raise TypeError(f"document must be JSON text or a dict, not {type(document).__name__}")
    return _core.parse_world(document)


def _integer(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    v = int(value)
    if not low <= v <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {v}")
    return v


def run(
    world: World,
    *,
    seed: int = 1,
    threads: Optional[int] = None,
    progress: Optional[Callable[[float], object]] = None,
) -> "WorldResult":
    """Simulate ``world`` with ``seed`` and return a :class:`WorldResult`.

    The result does not depend on ``threads`` (default: all cores). ``progress(simulated_s)``
    is called after each simulated epoch. The GIL is released while the world runs; Ctrl-C
    raises ``KeyboardInterrupt``.
    """
    if not isinstance(world, _core.World):
        raise TypeError(f"world must be a delivsim.world.World (from load or parse), not {type(world).__name__}")
    seed = _integer("seed", seed, 0, 2**64 - 1)
    threads = (os.cpu_count() or 1) if threads is None else _integer("threads", threads, 1, 4096)
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be callable, not {type(progress).__name__}")
    return WorldResult(world, seed, _core.run_world(world, seed, threads, progress))


class WorldResult:
    """What a world run found: totals (``outcomes``, ``tally``) and time series
    (:meth:`timeseries`, :meth:`plot`)."""

    __slots__ = ("world", "seed", "_core_result", "_series")

    def __init__(self, world: World, seed: int, result: "_core.WorldResult") -> None:
        self.world = world
        self.seed = seed
        self._core_result = result
        self._series = result.series()

    @property
    def tally(self) -> "_core.Tally":
        """The totals as a core Tally: senders as classes, receivers as profiles."""
        return self._core_result.tally

    @property
    def messages(self) -> int:
        """Messages sent (each decided exactly once)."""
        return int(self.tally.messages)

    @property
    def outcomes(self) -> dict[str, int]:
        """Messages per outcome over the whole run."""
        return {o: int(v) for o, v in zip(OUTCOMES, self._series["sender_outcomes"].sum(axis=(0, 1)))}

    def report(self) -> dict[str, Any]:
        """Totals and time series as the CLI's ``delivsim world --json`` writes them."""
        return json.loads(_core.world_report_json(self.world, self._core_result, self.seed))

    def arrays(self) -> dict[str, Any]:
        """The raw time series as numpy arrays indexed [bucket, sender or receiver, ...]."""
        return {k: v.copy() for k, v in self._series.items()}

    def timeseries(self, by: str = "sender") -> "pd.DataFrame":
        """A time-indexed frame: one row per bucket and sender (``by="sender"``) or receiver
        (``by="receiver"``). The index is the bucket's start as a ``Timedelta`` from the start
        of the simulation.

        Sender rows: ``sent``, one column per outcome, ``inbox_rate`` (of the messages decided
        in the bucket), ``deferrals``, ``queue`` (messages waiting for a retry at the bucket's
        end), and per receiver ``reputation:<receiver>`` (badness on the complaint-rate scale)
        and ``level:<receiver>``.
        Receiver rows: outcomes, ``inbox_rate``, ``deferrals`` and one ``deferrals:<code>``
        column per deferral code seen, and ``mailbox_fill:<decile>`` (mailboxes whose fill is in
        that tenth of the quota at the bucket's end).
        """
        import numpy as np
        import pandas as pd

        if by not in ("sender", "receiver"):
            raise ValueError(f"by must be 'sender' or 'receiver', not {by!r}")
        s = self._series
        B = s["sender_sent"].shape[0]
        step = pd.Timedelta(seconds=self._core_result.bucket_s)
        times = [step * b for b in range(B)]
        senders, receivers = list(self.world.sender_names), list(self.world.receiver_names)
        names = senders if by == "sender" else receivers
        outcomes = s["sender_outcomes"] if by == "sender" else s["receiver_outcomes"]
        rows: dict[str, Any] = {
            "time": np.repeat(np.array(times, dtype="timedelta64[ns]"), len(names)),
            by: np.tile(np.array(names, dtype=object), B),
        }
        flat = outcomes.reshape(B * len(names), len(OUTCOMES))
        for k, o in enumerate(OUTCOMES):
            rows[o] = flat[:, k]
        decided = flat.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            rows["inbox_rate"] = np.where(decided > 0, flat[:, 0] / np.maximum(decided, 1), np.nan)
        if by == "sender":
            rows["sent"] = s["sender_sent"].reshape(-1)
            rows["deferrals"] = s["sender_deferrals"].reshape(-1)
            rows["queue"] = s["sender_queue"].reshape(-1)
            for r, rname in enumerate(receivers):
                rows[f"reputation:{rname}"] = s["reputation"][:, r, :].reshape(-1)
                rows[f"level:{rname}"] = pd.Categorical.from_codes(
                    s["level"][:, r, :].reshape(-1).astype(int), categories=list(LEVELS), ordered=True
                )
        else:
            d = s["receiver_deferrals"]
            rows["deferrals"] = d.sum(axis=2).reshape(-1)
            codes = _core.world_status_names
            for k, code in enumerate(codes):
                if d[:, :, k].any():
                    rows[f"deferrals:{code}"] = d[:, :, k].reshape(-1)
            for k in range(s["mailbox_fill"].shape[2]):
                rows[f"mailbox_fill:{k * 10}-{k * 10 + 10}%"] = s["mailbox_fill"][:, :, k].reshape(-1)
        frame = pd.DataFrame(rows).set_index("time")
        return frame

    def plot(self, what: str = "inbox_rate", by: str = "sender", ax: Optional["matplotlib.axes.Axes"] = None) -> "matplotlib.axes.Axes":
        """A line per sender (or receiver) of column ``what`` of :meth:`timeseries` over time
        (days). Reputation columns are per receiver: ``what="reputation:bigmail"``."""
        import matplotlib.pyplot as plt

        frame = self.timeseries(by)
        if what not in frame.columns:
            raise ValueError(f"what must be a column of timeseries({by!r}): one of {', '.join(map(str, frame.columns[1:]))}")
        if ax is None:
            _, ax = plt.subplots(figsize=(8, 4))
        values = frame[what]
        if hasattr(values, "cat"):
            values = values.cat.codes
        for name, part in frame.assign(_v=values).groupby(by, sort=False):
            ax.plot(part.index.total_seconds() / 86400.0, part["_v"], label=str(name))
        ax.set_xlabel("simulated day")
        ax.set_ylabel(what)
        if what.startswith("level:"):
            ax.set_yticks(range(len(LEVELS)), LEVELS)
        if what.startswith("reputation:"):
            # The receiver's level lines (Google's 0.1% and 0.3% unless the world sets others).
            rep = json.loads(self.world.to_json())["receivers"][what.split(":", 1)[1]].get("reputation", {})
            for key, default, style in (("high_below", 0.001, ":"), ("medium_below", 0.003, "--")):
                ax.axhline(rep.get(key, default), color="grey", linestyle=style, linewidth=0.8)
        ax.set_title(f"{self.world.name}: {what} by {by}")
        ax.legend(fontsize="small")
        return ax

    def to_xarray(self, by: str = "sender") -> Any:
        """The time series of :meth:`timeseries` as an xarray Dataset over (time, sender or
        receiver)."""
        return self.timeseries(by).reset_index().set_index(["time", by]).to_xarray()

    def _repr_html_(self) -> str:
        from . import _html

        return _html.world_result(self, OUTCOMES)

    def __repr__(self) -> str:
        return f"<WorldResult {self.world.name!r} seed={self.seed}: {self.messages} messages>"


def _world_html(world: World) -> str:
    from . import _html

    return _html.world(world)


World._repr_html_ = _world_html  # type: ignore[attr-defined]  # a table in Jupyter, like the Python classes
