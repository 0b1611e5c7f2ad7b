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
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence, Union

from . import _core, _policy, _progress, _views
from ._document import Document
from ._policy import Policy
from ._run import MAX_SEED, MAX_THREADS, _checkpoint_args, _integer, _ProgressBar

if TYPE_CHECKING:
    import matplotlib.axes
    import pandas as pd

#: Reputation levels, worst first (Gmail Postmaster Tools' bad / low / medium / high).
LEVELS: tuple[str, ...] = tuple(_core.world_level_names)
OUTCOMES: tuple[str, ...] = tuple(_core.outcome_names)

# --- the world document's structure for the editable views: derived from the JSON Schema
# --- shipped in the package (libdelivsim/schema/world.schema.json), as the scenario's ----------

_KEYS, _CHILD = _views.schema_tables(_views.load_schema("world.schema.json"), "world",
                                     {"scenario.schema.json": "scenario"})
_ITEM_KEY: dict[str, str] = {"recipient_list": "name", "world_sender": "name"}
_ALIASES: dict[tuple[str, str], tuple[str, ...]] = {
    ("world", "profiles"): ("scenario", "recipient_profiles"),
    ("world", "classes"): ("scenario", "sender_classes"),
}

def _join_tables() -> None:
    """Adds the world's kinds to the views' tables (no kind may have two meanings)."""
    pairs: tuple[tuple[dict[Any, Any], dict[Any, Any]], ...] = (
        (_views.KEYS, _KEYS), (_views._CHILD, _CHILD), (_views._ITEM_KEY, _ITEM_KEY), (_views._ALIASES, _ALIASES))
    for table, entries in pairs:
        clash = set(table) & set(entries)
        assert not clash, f"world view tables clash with the scenario's: {clash}"
        table.update(entries)


_join_tables()


class World(Document):
    """A world: an editable view over its ``delivsim-world/1`` document (docs/world.md).
    Obtain one from :func:`load` or :func:`parse`, then edit it in place by attribute, exactly
    as a :class:`delivsim.Scenario` (the same views)::

        w.senders["shop"].schedule[0].rate_per_hour = 200
        w.receivers["corp"].greylist.delay_s = 600
        w.lists["scraped"].stale = 0.2
        w.scenario.profiles["corp"].policies["content_filter"].thresholds.spam_folder = 4
        w.set("senders.spammer.schedule[0].end_s", 6 * 86400)   # or by path

    Edits are validated by the C++ loader when the world is next used (run) or on
    :meth:`validate`; a ValueError names the field by JSON path (and by names). A
    :class:`WorldResult`'s world is a frozen snapshot: edit a :meth:`copy` of it.
    ``to_json()`` and :func:`parse` round-trip losslessly; worlds pickle."""

    __slots__ = ()
    _KIND = "world"

    def __init__(self, core: _core.World) -> None:
        if not isinstance(core, _core.World):
            raise TypeError("World objects come from delivsim.world.load() or delivsim.world.parse()")
        self._doc: dict[str, Any] = _views.canonical(json.loads(core.to_json()), "world")
        self._checked: Optional[_core.World] = core  # the validated document, None once edited
        self._frozen = False
        self._policies: dict[str, Policy] = dict(core.python_policies)  # Python policies by name

    def _profiles(self) -> list[Any]:
        sc = self._doc.get("scenario")
        profiles = sc.get("recipient_profiles") if isinstance(sc, dict) else None
        return profiles if isinstance(profiles, list) else []

    @classmethod
    def _check(cls, doc: Mapping[str, Any], policies: Optional[Mapping[str, Policy]]) -> _core.World:
        return _validate_document(doc, policies)

    # the document's parts, as views
    @property
    def scenario(self) -> Any:
        """The embedded scenario: sender classes, recipient profiles (the receivers' MX and
        policy chains) and the retry schedule, edited as a Scenario's."""
        return self._root().scenario

    @scenario.setter
    def scenario(self, value: Any) -> None:
        if isinstance(value, Document):  # a delivsim.Scenario: its document, and its Python policies
            for policy in value._in_use().values():
                self._register_policy(policy)
            value = value._doc
        self._root().scenario = value

    @property
    def senders(self) -> Any:
        """The senders, by name or position: ``w.senders["shop"].schedule[0].rate_per_hour``."""
        return self._root().senders

    @senders.setter
    def senders(self, value: Any) -> None:
        self._root().senders = value

    @property
    def lists(self) -> Any:
        """The recipient lists, by name or position: ``w.lists["scraped"].stale``."""
        return self._root().lists

    @lists.setter
    def lists(self, value: Any) -> None:
        self._root().lists = value

    @property
    def receivers(self) -> Any:
        """The receiving domains' state settings, by profile name: ``w.receivers["corp"].mailbox``."""
        return self._root().receivers

    @receivers.setter
    def receivers(self, value: Any) -> None:
        self._root().receivers = value

    # what the C++ object answered, read from the document (names) or the validated world
    @property
    def sender_names(self) -> list[str]:
        """The senders, in the world's order."""
        return [str(x.get("name")) for x in self._doc.get("senders", []) if isinstance(x, dict)]

    @property
    def receiver_names(self) -> list[str]:
        """The receiving domains: the embedded scenario's recipient profiles, in order."""
        return [str(p.get("name")) for p in self._profiles() if isinstance(p, dict)]

    @property
    def list_names(self) -> list[str]:
        """The recipient lists, in the world's order."""
        return [str(x.get("name")) for x in self._doc.get("lists", []) if isinstance(x, dict)]

    @property
    def duration_s(self) -> float:
        return float(self._validated().duration_s)

    @duration_s.setter
    def duration_s(self, value: float) -> None:
        self._root().duration_s = value

    @property
    def epoch_s(self) -> float:
        return float(self._validated().epoch_s)

    @epoch_s.setter
    def epoch_s(self, value: float) -> None:
        self._root().epoch_s = value

    @property
    def bucket_s(self) -> float:
        return float(self._validated().bucket_s)

    @bucket_s.setter
    def bucket_s(self, value: float) -> None:
        self._root().bucket_s = value

    def __repr__(self) -> str:
        return _summary(self)

    def _repr_html_(self) -> str:
        from . import _html

        return _html.world(self)

    # Last in the class body: the name would hide the module _core from the lines below it.
    _core = property(Document._validated, doc="The validated C++ world (validates the document if it was edited).")


def _from_json(text: str, frozen: bool = False, policies: Optional[Mapping[str, Policy]] = None) -> World:
    doc = json.loads(text)
    return World._unchecked(_views.canonical(doc, "world"), _validate_document(doc, policies) if frozen else None,
                            frozen, policies)


World._unpickle = staticmethod(_from_json)


def _validate_document(doc: Mapping[str, Any], policies: Optional[Mapping[str, Policy]] = None) -> _core.World:
    """The C++ loader's verdict on ``doc``; its ValueError names the field by JSON path, to
    which the path with names is added (e.g. ``... [senders.shop.schedule[0].rate_per_hour]``)."""
    try:
        # Always a dict, so that a missing Python policy gets the Python package's error.
        return _core.parse_world(json.dumps(doc, allow_nan=False), dict(policies or {}))
    except ValueError as e:
        raise ValueError(_views.with_named_path(str(e), doc, "world")) from None


def _num(x: Any) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _duration(s: Any) -> str:
    if not isinstance(s, (int, float)) or isinstance(s, bool):
        return repr(s)
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if s >= size and s % size == 0:
            n = int(s // size)
            return f"{n} {unit}{'s' if unit == 'day' and n != 1 else ''}"
    return f"{_num(s)} s"


def _schedule_item(x: Any) -> str:
    if not isinstance(x, dict):
        return repr(x)
    t = x.get("type")
    if t == "campaign":
        return f"campaign {x.get('id')} of {x.get('messages')} to {x.get('list')} at {_duration(x.get('at_s'))}"
    text = f"{t} {_num(x.get('rate_per_hour'))}/h to {x.get('list')}"
    if "start_s" in x or "end_s" in x:
        text += f" [{_duration(x.get('start_s', 0))}, {_duration(x.get('end_s')) if 'end_s' in x else 'end'})"
    return text


def _summary(w: World) -> str:
    """A few readable lines describing a world (its repr)."""
    doc = w._doc
    state = "frozen" if w._frozen else ("validated" if w._checked is not None else "edited, not validated")
    lines = [f"<World {doc.get('name')!r} ({state}): sends for {_duration(doc.get('duration_s'))}, "
             f"epoch {_duration(doc.get('epoch_s'))}, buckets of {_duration(doc.get('bucket_s'))}"]
    lines.append("  senders:")
    for x in doc.get("senders", []):
        if isinstance(x, dict):
            ips = x["ips"] if isinstance(x.get("ips"), list) else []
            pool = f", pool {x['pool']}" if "pool" in x else ""
            sched = "; ".join(_schedule_item(i) for i in x.get("schedule", []) if isinstance(x.get("schedule"), list))
            lines.append(f"    {x.get('name')} (class {x.get('class')}, {len(ips)} IPs{pool}): {sched}")
    lists = [f"{x.get('name')} {x.get('recipients')}" for x in doc.get("lists", []) if isinstance(x, dict)]
    lines.append("  lists (recipients): " + ", ".join(lists))
    receivers = doc.get("receivers")
    if isinstance(receivers, dict):
        lines.append("  receivers:")
        for name, r in receivers.items():
            kept = [k for k in ("rate_limit", "reputation", "greylist", "mailbox") if isinstance(r, dict) and k in r]
            lines.append(f"    {name}: {', '.join(kept) or 'no state'}")
    sc = doc.get("scenario")
    if isinstance(sc, dict):
        classes = [str(c.get("name")) for c in sc.get("sender_classes", []) if isinstance(c, dict)]
        lines.append(f"  scenario {sc.get('name')!r}: classes {', '.join(classes)}")
    return "\n".join(lines) + ">"


def load(path: Union[str, bytes, "os.PathLike[str]"], policies: Any = None) -> World:
    """Load and validate a world file; ``ValueError`` names the offending JSON path.
    ``policies``: the Python policies (:class:`delivsim.Policy` objects, or a dict by name)
    that the embedded scenario's ``{"type": "python", "name": ...}`` entries name."""
    try:
        p = os.fsdecode(path)
    except TypeError:
        raise TypeError(f"path must be a str, bytes or os.PathLike, not {type(path).__name__}") from None
    return World(_core.load_world(p, _policy.as_mapping(policies)))


def parse(document: Union[str, bytes, Mapping[str, Any], World], policies: Any = None) -> World:
    """Parse and validate a world document given as JSON text, as a dict (e.g. an edited
    ``to_dict()``) or as a World (a validated copy). A ValueError names the field by JSON
    path; for a dict or World, the path with names follows in brackets. ``policies``: the
    Python policies its ``{"type": "python"}`` entries name (see :func:`load`)."""
    given = _policy.as_mapping(policies)
    if isinstance(document, World):
        given = {**document._in_use(), **given}
        document = document._doc
    if isinstance(document, Mapping):
        doc = _views.canonical(_views.plain(document, "world"), "world")
        return World._unchecked(doc, _validate_document(doc, given), policies=given)
    if isinstance(document, (bytes, bytearray)):
        document = document.decode("utf-8", errors="replace")
    elif not isinstance(document, str):
        raise TypeError(f"document must be JSON text, a dict or a World, not {type(document).__name__}")
    return World(_core.parse_world(document, given))


def _world(world: object) -> World:
    if isinstance(world, World):
        return world
    if isinstance(world, _core.World):
        return World(world)
    t = type(world)
    name = t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
    raise TypeError(f"world must be a delivsim.world.World (from load or parse), not {name}")


Progress = Union[bool, None, Callable[[int, int], object]]


def run(
    world: World,
    seed: int = 1,
    threads: Optional[int] = None,
    progress: Progress = False,
    *,
    checkpoint: Union[str, os.PathLike[str], None] = None,
    checkpoint_interval: float = 60.0,
    resume: Union[str, os.PathLike[str], None] = None,
) -> "WorldResult":
    """Simulate ``world`` with ``seed`` and return a :class:`WorldResult`.

    The arguments follow :func:`delivsim.run`: the result depends only on the world and
    ``seed``, never on ``threads`` (default: all CPUs). ``progress`` is True for a progress
    bar, False for none, or a callable ``progress(done, total)``, called after each simulated
    epoch with the simulated seconds done and ``duration_s`` (``done`` stays at ``total``
    while the last retries drain). The GIL is released while the world runs; Ctrl-C raises
    ``KeyboardInterrupt``.

    ``checkpoint`` names a file that receives the run's whole state at an epoch boundary
    (atomically) every ``checkpoint_interval`` seconds, at the end and on Ctrl-C (after the
    epoch under way). ``resume`` continues the run saved in such a file and keeps
    checkpointing there; the result is bit-identical to an uninterrupted run. A checkpoint of
    another world or seed is refused with ValueError.
    """
    world = _world(world)
    seed = _integer("seed", seed, 0, MAX_SEED)
    threads = _integer("threads", (os.cpu_count() or 1) if threads is None else threads, 1, MAX_THREADS)
    checkpoint_path, interval, resume_path = _checkpoint_args(checkpoint, checkpoint_interval, resume)
    core = world._validated()
    total = max(1, int(round(core.duration_s)))
    bar = _progress.new_bar(total, _ProgressBar, desc="simulated s") if progress is True else None
    report = bar if bar is not None else progress
    if not (callable(report) or report is False or report is None):
        raise TypeError(f"progress must be a bool or a callable progress(done, total), not {type(progress).__name__}")
    callback = (lambda simulated: report(min(total, int(simulated)), total)) if callable(report) else None
    snapshot = world._snapshot()
    try:
        result = _core.run_world(core, seed, threads, callback, checkpoint=checkpoint_path,
                                 checkpoint_interval=interval, resume=resume_path)
    finally:
        if bar is not None:
            bar.close()
    return WorldResult._of_run(snapshot, seed, result)


def message_id(sender: int, item: int, serial: int) -> int:
    """A world message's id: ``sender << 44 | schedule item << 32 | serial`` (sender and item
    by position; serial: the item's k-th message, from 0)."""
    sender = _integer("sender", sender, 0, 2**20 - 1)
    item = _integer("item", item, 0, 2**12 - 1)
    serial = _integer("serial", serial, 0, 2**32 - 1)
    return sender << 44 | item << 32 | serial


def explain(world: World, *, seed: int, message: int, threads: Optional[int] = None) -> dict[str, Any]:
    """Message ``message`` (an id: :func:`message_id`) of the run of ``world`` with ``seed``,
    exactly as it went in that run: the facts drawn for it, each attempt (hosts tried, the
    reply, the stage that decided) with the receiving domain's state it met (throttle tokens,
    reputation level and badness, greylist memory, the recipient's mailbox fill), and its
    fate. The whole world runs (the message's fate depends on the mail before it), so this
    takes as long as :func:`run`; the answer does not depend on ``threads``. ValueError if the
    world sends no such message."""
    world = _world(world)
    seed = _integer("seed", seed, 0, MAX_SEED)
    message = _integer("message", message, 0, 2**64 - 1)
    threads = _integer("threads", (os.cpu_count() or 1) if threads is None else threads, 1, MAX_THREADS)
    return json.loads(_core.explain_world(world._validated(), seed, message, threads))


#: The time series that count things: replicates' series add up. The others (reputation and
#: level) are the state of one run, which a merged result does not have.
_COUNTS = ("sender_outcomes", "sender_sent", "sender_deferrals", "sender_queue", "receiver_outcomes",
           "receiver_deferrals", "mailbox_fill")


class WorldResult:
    """What a world run found: totals (``outcomes``, ``tally``, :meth:`to_frame`) and time
    series (:meth:`timeseries`, :meth:`plot`).

    Results pickle (they travel between Dask workers). Replicates of one world with different
    seeds merge with ``+`` (or ``sum``): the totals and every counted time series add up
    (outcomes, messages sent, deferrals, queue lengths, mailbox-fill counts), so rates of the
    merged result pool the replicates. What is the state of one run does not merge: reputation
    and levels (absent from a merged result's :meth:`timeseries`), :attr:`epochs`,
    :attr:`greylist_triplets` and :meth:`report`. A seed counted twice is refused."""

    __slots__ = ("_world", "_seeds", "_tally", "_series", "_bucket_s", "_epochs", "_triplets", "_core_cache")

    def __init__(self, world: World, seeds: Sequence[int], tally: _core.Tally, series: Mapping[str, Any],
                 bucket_s: float, epochs: Optional[int] = None, greylist_triplets: Optional[int] = None) -> None:
        # Public (and what unpickling calls): check that the parts fit together.
        import numpy as np

        if not isinstance(world, World):
            raise TypeError(f"world must be a delivsim.world.World, not {type(world).__name__}")
        if not isinstance(tally, _core.Tally):
            raise TypeError(f"tally must be a delivsim._core.Tally, not {type(tally).__name__}")
        seeds = tuple(_integer("seed", s, 0, MAX_SEED) for s in seeds)
        if not seeds or len(set(seeds)) != len(seeds):
            raise ValueError(f"seeds must be distinct and at least one, got {seeds}")
        self._world = world._snapshot()
        if tally.class_names != self._world.sender_names or tally.profile_names != self._world.receiver_names:
            raise ValueError("tally: its senders or receivers are not the world's")
        wanted = _COUNTS + (("reputation", "level") if len(seeds) == 1 else ())
        missing = [k for k in wanted if k not in series]
        if missing:
            raise ValueError(f"series: missing {', '.join(missing)}")
        self._series = {k: np.array(series[k], copy=True) for k in wanted}
        if int(self._series["sender_sent"].sum()) != tally.messages:
            raise ValueError(f"series: {int(self._series['sender_sent'].sum())} messages sent, the tally has {tally.messages}")
        self._seeds = seeds
        self._tally = tally
        self._bucket_s = float(bucket_s)
        self._epochs = epochs
        self._triplets = greylist_triplets
        self._core_cache: Optional[_core.WorldResult] = None

    @classmethod
    def _of_run(cls, world: World, seed: int, result: _core.WorldResult) -> WorldResult:
        self = cls(world, (seed,), result.tally, result.series(), result.bucket_s, result.epochs,
                   result.greylist_triplets)
        self._core_cache = result
        return self

    @property
    def world(self) -> World:
        """The world that was run (read-only: edit ``result.world.copy()``)."""
        return self._world

    @property
    def seed(self) -> int:
        """The run's seed (a merged result: ValueError, see :attr:`seeds`)."""
        if len(self._seeds) != 1:
            raise ValueError(f"this result merges {len(self._seeds)} replicates: see .seeds")
        return self._seeds[0]

    @property
    def seeds(self) -> tuple[int, ...]:
        """The seeds of the replicates this result holds (one for a single run)."""
        return self._seeds

    def _single(self, what: str) -> None:
        if len(self._seeds) != 1:
            raise ValueError(f"{what} is the state of one run: this result merges {len(self._seeds)} replicates "
                             f"(seeds {list(self._seeds)}); look at each replicate")

    @property
    def epochs(self) -> int:
        """Epochs simulated, including the drain after ``duration_s`` (one run only)."""
        self._single("epochs")
        assert self._epochs is not None
        return int(self._epochs)

    @property
    def greylist_triplets(self) -> int:
        """Greylist triplets remembered at the end, all receivers (one run only)."""
        self._single("greylist_triplets")
        assert self._triplets is not None
        return int(self._triplets)

    @property
    def _core_result(self) -> _core.WorldResult:
        self._single("the core result")
        if self._core_cache is None:
            self._core_cache = _core._world_result_from_state(self._tally, self._series, self._bucket_s,
                                                              int(self.epochs), int(self.greylist_triplets))
        return self._core_cache

    @property
    def tally(self) -> "_core.Tally":
        """The totals as a core Tally: senders as classes, receivers as profiles."""
        return self._tally

    @property
    def messages(self) -> int:
        """Messages sent (each decided exactly once)."""
        return int(self._tally.messages)

    @property
    def outcomes(self) -> dict[str, int]:
        """Messages per outcome over the whole run."""
        return {o: int(v) for o, v in zip(OUTCOMES, self._series["sender_outcomes"].sum(axis=(0, 1)))}

    def report(self) -> dict[str, Any]:
        """Totals and time series as the CLI's ``delivsim world --json`` writes them (one run only)."""
        return json.loads(_core.world_report_json(self._world._core, self._core_result, self.seed))

    def arrays(self) -> dict[str, Any]:
        """The raw time series as numpy arrays indexed [bucket, sender or receiver, ...]."""
        return {k: v.copy() for k, v in self._series.items()}

    def to_frame(self, what: str = "outcome") -> "pd.DataFrame":
        """The totals as a tidy table, as :meth:`delivsim.Result.to_frame`: one row per group
        and outcome, group_kind ("overall", "sender", "receiver" or "truth"), group, outcome,
        count, messages (the group's), rate, and the 95% Wilson interval ci_low, ci_high;
        ``what`` as there ("outcome", "responsible", "deciding_stage", "notice")."""
        from ._results import tally_frame

        return tally_frame(self._tally, self._world.name, self._seeds[0], ("sender", "receiver"), what=what)

    def __add__(self, other: object) -> WorldResult:
        if not isinstance(other, WorldResult):
            return NotImplemented
        if other._world != self._world:
            raise ValueError(f"results of different worlds ({self._world.name!r}, {other._world.name!r}) cannot be merged")
        twice = sorted(set(self._seeds) & set(other._seeds))
        if twice:
            raise ValueError(f"both results hold seed {twice[0]}: the same replicate cannot be counted twice")
        import numpy as np

        series = {}
        for k in _COUNTS:
            a, b = self._series[k], other._series[k]
            n = max(a.shape[0], b.shape[0])  # replicates drain at different times: pad with empty buckets
            pad = lambda x: np.concatenate([x, np.zeros((n - x.shape[0],) + x.shape[1:], x.dtype)])  # noqa: E731
            series[k] = pad(a) + pad(b)
        return WorldResult(self._world, self._seeds + other._seeds, self._tally + other._tally, series, self._bucket_s)

    def __radd__(self, other: object) -> WorldResult:
        # sum(results) starts from 0.
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self
        return NotImplemented

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WorldResult):
            return NotImplemented
        import numpy as np

        return (self._seeds == other._seeds and self._tally == other._tally and self._bucket_s == other._bucket_s
                and self._epochs == other._epochs and self._triplets == other._triplets
                and self._series.keys() == other._series.keys()
                and all(np.array_equal(self._series[k], other._series[k]) for k in self._series)
                and self._world == other._world)

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (WorldResult, (self._world, self._seeds, self._tally, self._series, self._bucket_s, self._epochs,
                              self._triplets))

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
        step = pd.Timedelta(seconds=self._bucket_s)
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
            for r, rname in enumerate(receivers if "reputation" in s else ()):
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
            rep = self._world._doc["receivers"][what.split(":", 1)[1]].get("reputation", {})
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
        n = self.messages
        shares = ", ".join(f"{o} {100 * k / n:.2f}%" for o, k in self.outcomes.items() if k) if n else "no messages"
        seeds = f"seed={self._seeds[0]}" if len(self._seeds) == 1 else f"{len(self._seeds)} replicates"
        return f"<WorldResult {self._world.name!r} {seeds} messages={n:,}: {shares}>"
