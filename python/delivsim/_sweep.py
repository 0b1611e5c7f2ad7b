"""Sweeps: one scenario run at many parameter points (or several scenarios:
:func:`compare_scenarios`) with the same seed, gathered into one tidy pandas frame.

Common random numbers: every random draw of message i is a pure function of (seed, i, stream,
draw), so with one seed every point simulates the *same* messages: the same sender class,
recipient profile, address error, size, DMARC result, content score... A difference between
two points is what the parameter change did to those messages, not sampling noise; e.g.
changing a policy of profile H leaves every message sent to G and C exactly as it was.
Changing a mixture weight moves the messages near the boundary to another class or profile
(still the same messages otherwise).
"""
from __future__ import annotations

import itertools
import json
import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Callable, Union

from ._results import Result
from ._run import DEFAULT_MESSAGES, _ProgressBar, _integer, _scenario, run
from ._scenario import Scenario
from ._views import Path, PathError, format_path, parse_path, plain

if TYPE_CHECKING:
    import pandas as pd

Parameters = Union[Mapping[str, Sequence[Any]], Sequence[Mapping[str, Any]]]

#: The frame's columns other than the parameters.
RESULT_COLUMNS = ["group_kind", "group", "outcome", "count", "messages", "rate", "ci_low", "ci_high"]


def points_of(parameters: Parameters) -> tuple[list[str], list[dict[Any, Any]]]:
    """The parameter paths and the list of points: a grid (dict path -> values, the last path
    varying fastest) or the given list of dicts path -> value."""
    if isinstance(parameters, Mapping):
        paths = [_path_name(p) for p in parameters]
        values = []
        for path, vals in parameters.items():
            if isinstance(vals, (str, bytes, Mapping)) or not isinstance(vals, (Sequence, _array_types())):
                raise TypeError(f"sweep: the values of {path!r} must be a list of values, not {type(vals).__name__}")
            vals = list(vals)
            if not vals:
                raise ValueError(f"sweep: no values for {path!r}")
            values.append(vals)
        return paths, [dict(zip(paths, combo)) for combo in itertools.product(*values)]
    if hasattr(parameters, "to_dict") and hasattr(parameters, "columns"):  # a pandas frame: one point a row
        parameters = parameters.to_dict("records")  # type: ignore[union-attr]
    if isinstance(parameters, (str, bytes)) or not isinstance(parameters, Sequence):
        raise TypeError("sweep: parameters are a dict {path: [values...]} (a grid) or a list of dicts {path: value}")
    points, paths = [], []
    for i, point in enumerate(parameters):
        if not isinstance(point, Mapping):
            raise TypeError(f"sweep: point {i} must be a dict {{path: value}}, not {type(point).__name__}")
        named = {_path_name(p): v for p, v in point.items()}
        paths += [p for p in named if p not in paths]
        points.append(named)
    if not points:
        raise ValueError("sweep: no points")
    return paths, points


def _array_types() -> tuple[type, ...]:
    try:
        import numpy as np

        return (np.ndarray,)
    except ImportError:  # pragma: no cover
        return ()


def _path_name(path: Path) -> str:
    return path if isinstance(path, str) else format_path(parse_path(path))


def _cell(value: Any) -> Any:
    """A parameter value as a frame cell: scalars as they are, objects and lists as JSON text."""
    if value is None or isinstance(value, (bool, str, numbers.Number)):
        return value
    from ._views import plain

    return json.dumps(plain(value))


def _base_value(scenario: Scenario, path: str) -> Any:
    """The value at ``path`` in the base scenario, as a frame cell; None if it has none there
    (e.g. a policy a point adds)."""
    try:
        value = scenario.get(path)
    except (PathError, KeyError, IndexError, TypeError, ValueError):
        return None
    return _cell(plain(value.to_dict() if hasattr(value, "to_dict") else
                       value.to_list() if hasattr(value, "to_list") else value))


def _run_all(
    labelled: list[tuple[dict[str, Any], Scenario]],
    messages: int,
    seed: int,
    threads: int | None,
    progress: Any,
    cache: Any = None,
) -> list[Result]:
    """Validate every scenario first (a broken point fails before any work), then run each."""
    for labels, s in labelled:
        try:
            s.validate()
        except ValueError as e:
            raise ValueError(f"sweep point {labels}: {e}") from None
    messages = _integer("messages", messages, 0, 2**63 - 1)
    total = messages * len(labelled)
    bar = None
    if progress is True:
        from . import _progress

        bar = _progress.new_bar(total, _ProgressBar, desc="sweep")
        report: Callable[[int, int], object] | None = bar
    elif callable(progress):
        report = progress
    elif progress is False or progress is None:
        report = None
    else:
        raise TypeError(f"progress must be a bool or a callable progress(done, total), not {type(progress).__name__}")
    results = []
    try:
        for k, (_, s) in enumerate(labelled):
            base = k * messages
            callback: Any = (lambda done, _t, base=base: report(base + done, total)) if report else False
            results.append(run(s, messages=messages, seed=seed, threads=threads, progress=callback, cache=cache))
    finally:
        if bar is not None:
            bar.close()
    return results


def _frame(labelled: list[tuple[dict[str, Any], Scenario]], results: list[Result], label_columns: list[str],
           defaults: dict[str, Any] | None = None) -> pd.DataFrame:
    import pandas as pd

    defaults = defaults or {}
    frames = []
    for (labels, _), result in zip(labelled, results):
        f = result.to_frame()
        for i, column in enumerate(label_columns):
            value = _cell(labels[column]) if column in labels else defaults.get(column)
            f.insert(i, column, [value] * len(f))
        frames.append(f)
    frame = pd.concat(frames, ignore_index=True)
    register_accessor()
    frame.attrs["delivsim"] = {
        "parameters": [c for c in label_columns if c != "point"],
        "seed": results[0].seed if results else None,
        "messages": results[0].messages if results else 0,
    }
    return frame


def sweep(
    scenario: Scenario | None,
    parameters: Parameters,
    messages: int = DEFAULT_MESSAGES,
    seed: int = 1,
    threads: int | None = None,
    progress: Any = False,
    *,
    keep_results: bool = False,
    cache: Any = None,
) -> pd.DataFrame:
    """Run ``scenario`` at every point of ``parameters`` and return one tidy frame.

    ``parameters`` is a grid ``{path: [values...], ...}`` (every combination, the last path
    varying fastest), a list of points ``[{path: value, ...}, ...]`` or a frame with one point
    per row (e.g. :func:`delivsim.latin_hypercube`'s design). Paths are those of
    :meth:`Scenario.set`, e.g. ``"recipient_profiles.G.policies.content_filter.actions.spam_folder.min_score"``
    or ``"profiles.G.content.thresholds.spam_folder"``; a value may be a whole object
    (``{"profiles.G.policies.greylist": {"delay_s": 300}}`` adds a policy).

    The frame has one row per point x group x outcome: ``point`` (0, 1, ...), one column per
    path with its value (objects as JSON text), then the columns of :meth:`Result.to_frame`
    (group_kind, group, outcome, count, messages, rate, ci_low, ci_high). A point of a list
    that leaves a path unset runs with the base scenario's value, and the frame says so (the
    base value, not an empty cell). Every point runs
    messages [0, messages) with ``seed``: common random numbers (see the module's doc), so
    differences between points are the parameters' effect on the same messages. Every point is
    validated before any is run; a broken one raises ValueError naming the point and field.

    ``keep_results=True`` keeps each point's :class:`Result` (``frame.delivsim.results``) and
    allows paired differences between points (``frame.delivsim.paired(a, b)``). ``cache`` is
    a directory of cached results (see :func:`delivsim.run`). ``frame.delivsim.to_xarray()``
    gives the sweep as an xarray Dataset over the parameters.
    """
    base = _scenario(scenario)
    paths, points = points_of(parameters)
    labelled = []
    for i, point in enumerate(points):
        try:
            edited = base.with_values(point)
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise type(e)(f"sweep point {i} {point}: {e}") from None
        labelled.append(({"point": i, **point}, edited))
    results = _run_all(labelled, messages, seed, threads, progress, cache)
    frame = _frame(labelled, results, ["point"] + paths, {p: _base_value(base, p) for p in paths})
    if keep_results:
        frame.attrs["delivsim"].update(results=results, scenarios=[s for _, s in labelled], base=base)
    return frame


def compare_scenarios(
    scenarios: Mapping[Any, Scenario] | Sequence[Scenario],
    messages: int = DEFAULT_MESSAGES,
    seed: int = 1,
    threads: int | None = None,
    progress: Any = False,
    column: str = "scenario",
    *,
    paired: bool = False,
) -> pd.DataFrame:
    """Run several scenarios with the same seed (common random numbers: the same messages, as
    far as the scenarios share their sender classes and recipient profiles) and return one tidy
    frame like :func:`sweep`'s, whose first column (``column``, default "scenario") holds each
    one's label: the dict's keys (text, or numbers for a what-if over a quantity that is not a
    single field, e.g. ``{0.1: s1, 0.2: s2}`` with ``column="share"``), or the scenarios' names.

    ``paired=True`` runs the scenarios side by side, message by message (message i of each
    from the same random numbers), and keeps each message's outcome under every scenario: the
    frame gains ``diff``, ``diff_ci_low`` and ``diff_ci_high``, each row's rate minus the first
    scenario's (the baseline) on the same messages, with a paired 95% interval (Newcombe's
    hybrid score interval, :func:`delivsim.metrics.paired_difference`), far narrower than two
    independent intervals; ``frame.delivsim.paired(a, b)`` gives any two scenarios' differences
    (``a`` - ``b``, by their labels). Groups are the baseline's: a class's row pairs the messages that were of
    that class in the baseline (the same class in every scenario unless a scenario changes the
    class mixture). Not cached; the scenarios must not contain Python policies.

    (To compare filter strategies on the very same messages of one scenario, with TREC
    measures and paired differences, use :func:`delivsim.compare`.)"""
    if isinstance(scenarios, Mapping):
        items = list(scenarios.items())
    elif isinstance(scenarios, Iterable) and not isinstance(scenarios, (str, bytes)):
        items = [(_scenario(s).name, s) for s in scenarios]
    else:
        raise TypeError(f"compare_scenarios: scenarios must be a dict label -> Scenario or a list of Scenarios, "
                        f"not {type(scenarios).__name__}")
    if not items:
        raise ValueError("compare_scenarios: no scenarios")
    labels = [label for label, _ in items]
    if len(set(labels)) != len(labels):
        raise ValueError(f"compare_scenarios: the scenarios' labels are not unique: {labels}")
    if column in RESULT_COLUMNS:
        raise ValueError(f"compare_scenarios: column {column!r} is one of the result columns")
    labelled = [({column: label if isinstance(label, numbers.Number) else str(label)}, _scenario(s))
                for label, s in items]
    if not isinstance(paired, bool):
        raise TypeError(f"compare_scenarios: paired must be True or False, not {type(paired).__name__}")
    if not paired:
        results = _run_all(labelled, messages, seed, threads, progress)
        frame = _frame(labelled, results, [column])
        frame.attrs["delivsim"]["parameters"] = [column]
        return frame
    core, results = _run_paired(labelled, messages, seed, threads, progress)
    frame = _frame(labelled, results, [column])
    frame.attrs["delivsim"]["parameters"] = [column]
    keys = [labels[column] for labels, _ in labelled]
    frame.attrs["delivsim"]["paired"] = {"comparison": core, "labels": keys, "column": column,
                                         "base": labelled[0][1]}
    diffs = {key: _paired_rows(frame, key, keys[0]) for key in keys}
    cols: dict[str, list[float]] = {"diff": [], "diff_ci_low": [], "diff_ci_high": []}
    for row in frame[[column, "group_kind", "group", "outcome"]].itertuples(index=False):
        d = diffs[row[0]].get((row[1], row[2], row[3]))
        for name, value in zip(cols, (d.difference, d.ci_low, d.ci_high) if d else (math.nan,) * 3):
            cols[name].append(value)
    for name, values in cols.items():
        frame[name] = values
    return frame


def _run_paired(labelled: list[tuple[dict[str, Any], Scenario]], messages: int, seed: int, threads: int | None,
                progress: Any) -> tuple[Any, list[Result]]:
    """The scenarios side by side on messages [0, messages) (``_core.compare_scenarios``)."""
    import os

    from . import _core
    from ._run import MAX_SEED, MAX_THREADS

    for labels, s in labelled:
        try:
            s.validate()
        except ValueError as e:
            raise ValueError(f"scenario {labels}: {e}") from None
        if s.python_policies:
            raise ValueError(f"scenario {labels}: paired comparisons cannot run Python policies")
    messages = _integer("messages", messages, 0, 2**63 - 1)
    seed = _integer("seed", seed, 0, MAX_SEED)
    threads = _integer("threads", (os.cpu_count() or 1) if threads is None else threads, 1, MAX_THREADS)
    bar = None
    if progress is True:
        from . import _progress

        bar = _progress.new_bar(messages, _ProgressBar, desc="compare_scenarios")
        report: Any = bar
    elif callable(progress) or progress is False or progress is None:
        report = progress or None
    else:
        raise TypeError(f"progress must be a bool or a callable progress(done, total), not {type(progress).__name__}")
    try:
        core = _core.compare_scenarios([s._core for _, s in labelled], messages, seed, threads=threads,
                                       progress=(lambda done: report(done, messages)) if report else None)
    finally:
        if bar is not None:
            bar.close()
    results = [Result(s, seed, ((0, messages),), core.tally(i)) for i, (_, s) in enumerate(labelled)]
    return core, results


def _paired_rows(frame: pd.DataFrame, a: Any, b: Any) -> dict[tuple[str, str, str], Any]:
    """(group_kind, group, outcome) -> :class:`delivsim.metrics.PairedDifference` of scenario
    ``a`` minus scenario ``b`` (labels of a paired compare_scenarios frame), for the overall
    group, the baseline's classes and profiles, and legitimate mail and spam."""
    import numpy as np

    from . import metrics
    from ._core import outcome_names

    meta = frame.attrs.get("delivsim", {}).get("paired")
    if meta is None:
        raise ValueError("this frame has no per-message pairing: run compare_scenarios(..., paired=True)")
    labels = meta["labels"]
    index = {}
    for name, key in (("a", a), ("b", b)):
        matches = [i for i, k in enumerate(labels) if k == key or str(k) == str(key)]
        if not matches:
            raise KeyError(f"{name}={key!r} is not one of the scenarios: {labels}")
        index[name] = matches[0]
    joint = np.asarray(meta["comparison"].outcome_joint(index["a"], index["b"]), dtype=np.int64)
    base: Scenario = meta["base"]
    groups = [("overall", "all", joint.sum(axis=(0, 1)))]
    groups += [("class", c, joint[i].sum(axis=0)) for i, c in enumerate(base.class_names)]
    groups += [("profile", p, joint[:, i].sum(axis=0)) for i, p in enumerate(base.profile_names)]
    legit = np.array([bool(c.legit) for c in base.sender_classes])
    groups += [("truth", truth, joint[legit == flag].sum(axis=(0, 1))) for truth, flag in (("legitimate", True), ("spam", False))]
    out = {}
    for kind, group, table in groups:
        for k, outcome in enumerate(outcome_names):
            out[(kind, group, outcome)] = metrics.paired_difference(*metrics.paired_table(table, in_a=[k]))
    return out


def paired_scenarios(frame: pd.DataFrame, a: Any, b: Any) -> pd.DataFrame:
    """Scenario ``a`` minus scenario ``b`` (their labels) on the same messages, from a frame of
    :func:`compare_scenarios` with ``paired=True``: one row per group (overall, the baseline's
    classes and profiles) and outcome, with columns group_kind, group, outcome, diff, ci_low,
    ci_high (the paired 95% interval), rate_a, rate_b, n (messages), a_only and b_only (messages
    in that outcome under only one of the two)."""
    import pandas as pd

    rows = [{"group_kind": kind, "group": group, "outcome": outcome, "diff": d.difference, "ci_low": d.ci_low,
             "ci_high": d.ci_high, "rate_a": d.p_a, "rate_b": d.p_b, "n": d.n, "a_only": d.a_only,
             "b_only": d.b_only}
            for (kind, group, outcome), d in _paired_rows(frame, a, b).items()]
    return pd.DataFrame(rows)


_registered = False


def register_accessor() -> None:
    """``frame.delivsim.plot(...)`` and ``frame.delivsim.plot_outcomes(...)`` on sweep and
    compare frames (registered with pandas when the first such frame is made, or when
    delivsim.plot is imported)."""
    global _registered
    if _registered:
        return
    import pandas as pd

    @pd.api.extensions.register_dataframe_accessor("delivsim")
    class DelivsimAccessor:
        def __init__(self, frame: pd.DataFrame) -> None:
            self._frame = frame

        @property
        def parameters(self) -> list[str]:
            """The frame's parameter columns."""
            from . import plot

            return plot.parameters(self._frame)

        def plot(self, x: str | None = None, outcome: Any = "inbox", **kwargs: Any) -> Any:
            """Rates against a parameter with 95% bands: :func:`delivsim.plot.sweep`."""
            from . import plot

            return plot.sweep(self._frame, x=x, outcome=outcome, **kwargs)

        def plot_outcomes(self, by: str = "class", group: str | None = None, **kwargs: Any) -> Any:
            """Where the mail went at each point or scenario: :func:`delivsim.plot.outcomes`."""
            from . import plot

            return plot.outcomes(self._frame, by=by, group=group, **kwargs)

        @property
        def results(self) -> list[Result]:
            """Each point's :class:`Result` (a sweep run with ``keep_results=True``)."""
            return list(_kept(self._frame)["results"])

        def paired(self, a: Any, b: Any, costs: Any = None) -> pd.DataFrame:
            """Paired differences on the same messages: point ``a`` - point ``b`` of a sweep
            (:func:`paired_points`), or scenario ``a`` - scenario ``b`` (labels) of
            ``compare_scenarios(..., paired=True)`` (:func:`paired_scenarios`)."""
            if "paired" in self._frame.attrs.get("delivsim", {}):
                if costs is not None:
                    raise ValueError("costs apply to a sweep's points, not to paired scenarios")
                return paired_scenarios(self._frame, a, b)
            return paired_points(self._frame, a, b, costs)

        def to_xarray(self) -> Any:
            """The frame as an xarray Dataset: see :func:`to_xarray`."""
            return to_xarray(self._frame)

    _registered = True


def _kept(frame: pd.DataFrame) -> dict[str, Any]:
    meta = frame.attrs.get("delivsim", {})
    if "results" not in meta:
        raise ValueError("this frame keeps no results: run the sweep with keep_results=True")
    return meta  # type: ignore[no-any-return]


def _profile_chains(scenario: Scenario) -> dict[str, list[Any]]:
    return {p: scenario.get(("recipient_profiles", p, "policies")).to_list() for p in scenario.profile_names}


def _without_chains(scenario: Scenario) -> dict[str, Any]:
    doc = scenario.to_dict()
    for p in doc.get("recipient_profiles", []):
        p.pop("policies", None)
    return doc


def paired_points(frame: pd.DataFrame, a: int, b: int, costs: Any = None) -> pd.DataFrame:
    """The differences between sweep points ``a`` and ``b`` (frame of a sweep run with
    ``keep_results=True``) on the same messages, with 95% intervals from the per-message
    pairing: the two points' policy chains are delivered side by side over the sweep's
    messages by :func:`delivsim.compare` (which keeps the per-message joint counts), and
    :meth:`delivsim.Comparison.paired` gives the differences (hm, sm, legit_inbox, ...).

    The pairing needs the points to differ only in recipient profiles' policy chains (what a
    strategy is); a point that changes anything else (a class weight, an MX host) changes which
    messages exist, and is refused with ValueError."""
    from ._compare import compare

    meta = _kept(frame)
    scenarios: list[Scenario] = meta["scenarios"]
    for name, k in (("a", a), ("b", b)):
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 0 <= int(k) < len(scenarios):
            raise IndexError(f"point {name}={k!r} is not a point of this sweep (0 to {len(scenarios) - 1})")
    sa, sb = scenarios[int(a)], scenarios[int(b)]
    if _without_chains(sa) != _without_chains(sb):
        raise ValueError(f"points {a} and {b} differ outside the recipient profiles' policy chains: their messages "
                         "are not the same, so they have no per-message pairing (compare their rates in the frame)")
    base: Scenario = meta["base"]
    results: list[Result] = meta["results"]
    strategies = {f"point {a}": _profile_chains(sa), f"point {b}": _profile_chains(sb)}
    for s in (sa, sb):
        for policy in s.python_policies.values():
            base = base.copy()
            base._register_policy(policy)
    comparison = compare(base, strategies=strategies, messages=results[int(a)].messages, seed=results[int(a)].seed,
                         costs=costs)
    out = comparison.paired(f"point {a}", f"point {b}")
    out.attrs["delivsim"] = {"a": int(a), "b": int(b)}
    return out


def to_xarray(frame: pd.DataFrame) -> Any:
    """A sweep's (or compare_scenarios') frame as an ``xarray.Dataset`` with variables count,
    messages, rate, ci_low and ci_high. Dimensions: the parameters when the points form a grid
    (each combination once), else ``point`` with the parameters as coordinates; then
    group_kind, group and outcome (a class's rates are NaN under group_kind "profile")."""
    import xarray as xr

    from . import plot

    params = plot.parameters(frame)
    values = ["count", "messages", "rate", "ci_low", "ci_high"]
    combos = frame[params].astype(str).drop_duplicates() if params else frame[[]]
    points = frame["point"].nunique() if "point" in frame.columns else len(combos)
    sizes = [frame[p].astype(str).nunique() for p in params]
    grid = bool(params) and len(combos) == points and math.prod(sizes) == points
    if grid:
        index = params + ["group_kind", "group", "outcome"]
        data = frame.set_index(index)[values]
        ds = xr.Dataset.from_dataframe(data)
    else:
        index = ["point", "group_kind", "group", "outcome"]
        ds = xr.Dataset.from_dataframe(frame.set_index(index)[values])
        first = frame.drop_duplicates("point").set_index("point")
        ds = ds.assign_coords({p: ("point", first.loc[ds["point"].values, p].to_numpy()) for p in params})
    ds.attrs.update({k: v for k, v in frame.attrs.get("delivsim", {}).items() if k in ("seed", "messages")})
    return ds

