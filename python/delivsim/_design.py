"""Experiment designs: the points a sweep runs. A grid (every combination), a list of dicts
(any points), or a space-filling Latin hypercube over ranges (``scipy.stats.qmc``)."""
from __future__ import annotations

import itertools
import numbers
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

Bounds = Mapping[str, Sequence[float]]


def grid(parameters: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the values, the last path varying fastest, as a list of points
    (what :func:`delivsim.sweep` does with a dict of lists)."""
    if not isinstance(parameters, Mapping) or not parameters:
        raise TypeError("grid: parameters are a non-empty dict {path: [values...]}")
    paths = list(parameters)
    values = []
    for path in paths:
        vals = parameters[path]
        if isinstance(vals, (str, bytes, Mapping)) or not isinstance(vals, Sequence) or not len(vals):
            raise ValueError(f"grid: the values of {path!r} must be a non-empty list")
        values.append(list(vals))
    return [dict(zip(paths, combo)) for combo in itertools.product(*values)]


def check_bounds(bounds: Bounds, what: str) -> tuple[list[str], list[float], list[float]]:
    """The paths and their (low, high) ranges, checked: finite numbers with low < high."""
    if not isinstance(bounds, Mapping) or not bounds:
        raise TypeError(f"{what}: give a non-empty dict {{path: (low, high)}}")
    paths, lows, highs = [], [], []
    for path, pair in bounds.items():
        if not isinstance(path, str):
            raise TypeError(f"{what}: paths are strings, not {type(path).__name__}")
        if isinstance(pair, (str, bytes)) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise ValueError(f"{what}: {path!r} needs a range (low, high), got {pair!r}")
        low, high = pair
        for v in (low, high):
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or v != v or abs(float(v)) == float("inf"):
                raise ValueError(f"{what}: the range of {path!r} must be finite numbers, got {pair!r}")
        if not float(low) < float(high):
            raise ValueError(f"{what}: the range of {path!r} must have low < high, got {pair!r}")
        paths.append(path)
        lows.append(float(low))
        highs.append(float(high))
    return paths, lows, highs


def latin_hypercube(bounds: Bounds, n: int, seed: int | None = 1) -> pd.DataFrame:
    """``n`` points of a Latin hypercube over ``bounds`` {path: (low, high)}: each range is cut
    into n equal strata and every stratum of every path is sampled once
    (``scipy.stats.qmc.LatinHypercube``, optimised for space filling). One row per point, one
    column per path: pass it to :func:`delivsim.sweep` as the parameters. ``seed`` makes the
    design reproducible."""
    import pandas as pd
    from scipy.stats import qmc

    paths, lows, highs = check_bounds(bounds, "latin_hypercube")
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"latin_hypercube: n must be a positive int, got {n!r}")
    sampler = qmc.LatinHypercube(d=len(paths), seed=seed)
    unit = sampler.random(int(n))
    return pd.DataFrame(qmc.scale(unit, lows, highs), columns=paths)
