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
import numbers
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Callable, Union

from ._results import Result
from ._run import _ProgressBar, _integer, _scenario, run
from ._scenario import Scenario
from ._views import Path, format_path, parse_path

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


def _run_all(
    labelled: list[tuple[dict[str, Any], Scenario]],
    messages: int,
    seed: int,
    threads: int | None,
    progress: Any,
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
            results.append(run(s, messages=messages, seed=seed, threads=threads, progress=callback))
    finally:
        if bar is not None:
            bar.close()
    return results


def _frame(labelled: list[tuple[dict[str, Any], Scenario]], results: list[Result], label_columns: list[str]) -> pd.DataFrame:
    import pandas as pd

    frames = []
    for (labels, _), result in zip(labelled, results):
        f = result.to_frame()
        for i, column in enumerate(label_columns):
            f.insert(i, column, [_cell(labels.get(column))] * len(f))
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
    messages: int = 100_000,
    seed: int = 1,
    threads: int | None = None,
    progress: Any = False,
) -> pd.DataFrame:
    """Run ``scenario`` at every point of ``parameters`` and return one tidy frame.

    ``parameters`` is a grid ``{path: [values...], ...}`` (every combination, the last path
    varying fastest) or a list of points ``[{path: value, ...}, ...]``. Paths are those of
    :meth:`Scenario.set`, e.g. ``"recipient_profiles.G.policies.content_filter.actions.spam_folder.min_score"``
    or ``"profiles.G.content.thresholds.spam_folder"``; a value may be a whole object
    (``{"profiles.G.policies.greylist": {"delay_s": 300}}`` adds a policy).

    The frame has one row per point x group x outcome: ``point`` (0, 1, ...), one column per
    path with its value (objects as JSON text), then the columns of :meth:`Result.to_frame`
    (group_kind, group, outcome, count, messages, rate, ci_low, ci_high). Every point runs
    messages [0, messages) with ``seed``: common random numbers (see the module's doc), so
    differences between points are the parameters' effect on the same messages. Every point is
    validated before any is run; a broken one raises ValueError naming the point and field.
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
    results = _run_all(labelled, messages, seed, threads, progress)
    return _frame(labelled, results, ["point"] + paths)


def compare_scenarios(
    scenarios: Mapping[Any, Scenario] | Sequence[Scenario],
    messages: int = 100_000,
    seed: int = 1,
    threads: int | None = None,
    progress: Any = False,
    column: str = "scenario",
) -> pd.DataFrame:
    """Run several scenarios with the same seed (common random numbers: the same messages, as
    far as the scenarios share their sender classes and recipient profiles) and return one tidy
    frame like :func:`sweep`'s, whose first column (``column``, default "scenario") holds each
    one's label: the dict's keys (text, or numbers for a what-if over a quantity that is not a
    single field, e.g. ``{0.1: s1, 0.2: s2}`` with ``column="share"``), or the scenarios' names.

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
    results = _run_all(labelled, messages, seed, threads, progress)
    frame = _frame(labelled, results, [column])
    frame.attrs["delivsim"]["parameters"] = [column]
    return frame


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

    _registered = True
