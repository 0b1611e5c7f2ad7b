"""Global sensitivity analysis: Sobol indices of a simulated rate with respect to scenario
parameters varied over ranges.

The first-order index S_i is the share of the output's variance explained by parameter i
alone; the total index ST_i also counts its interactions. Both are estimated from Saltelli's
scheme (A. Saltelli et al., "Variance based sensitivity analysis of model output", Computer
Physics Communications 181, 2010): two quasi-random sample matrices A and B (the two halves
of a ``scipy.stats.qmc.Sobol`` sequence in 2d dimensions) and, for each i, A with column i
taken from B. Estimators: S_i = mean(f(B) (f(AB_i) - f(A))) / V (Saltelli 2010, eq. (b)) and
ST_i = mean((f(A) - f(AB_i))^2) / 2V (Jansen 1999), V the variance of f over A and B. Their
95% intervals are percentile bootstrap intervals over the n rows.

Every simulation runs the same messages (one seed: common random numbers), so the Monte Carlo
noise of the rate varies little between points and does not swamp small indices.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Union

import numpy as np

from ._design import check_bounds

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd


class SobolIndices(NamedTuple):
    """First-order (``first``) and total (``total``) Sobol indices per parameter, with their
    95% bootstrap intervals, and the evaluations they came from."""

    parameters: list[str]
    first: npt.NDArray[np.float64]
    first_ci: npt.NDArray[np.float64]  # (d, 2)
    total: npt.NDArray[np.float64]
    total_ci: npt.NDArray[np.float64]  # (d, 2)
    evaluations: int

    def to_frame(self) -> pd.DataFrame:
        """One row per parameter: S1, S1_low, S1_high, ST, ST_low, ST_high."""
        import pandas as pd

        return pd.DataFrame({"S1": self.first, "S1_low": self.first_ci[:, 0], "S1_high": self.first_ci[:, 1],
                             "ST": self.total, "ST_low": self.total_ci[:, 0], "ST_high": self.total_ci[:, 1]},
                            index=pd.Index(self.parameters, name="parameter"))


def _estimate(fa: npt.NDArray[np.float64], fb: npt.NDArray[np.float64], fab: npt.NDArray[np.float64]
              ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(S1, ST) from f(A) (n,), f(B) (n,) and f(AB_i) (d, n)."""
    variance = np.var(np.concatenate([fa, fb]))
    if not variance > 0:
        nan = np.full(fab.shape[0], math.nan)
        return nan, nan
    first = np.mean(fb * (fab - fa), axis=1) / variance
    total = 0.5 * np.mean((fa - fab) ** 2, axis=1) / variance
    return first, total


def sobol_indices(fa: npt.ArrayLike, fb: npt.ArrayLike, fab: npt.ArrayLike, parameters: Sequence[str],
                  bootstrap: int = 1000, seed: int | None = 1) -> SobolIndices:
    """Sobol indices from the evaluations of Saltelli's scheme (see the module's doc): ``fa``
    and ``fb`` the outputs at the rows of A and B, ``fab[i]`` at A with column i from B."""
    a, b, ab = (np.asarray(x, dtype=float) for x in (fa, fb, fab))
    n, d = a.shape[0], len(parameters)
    if a.shape != (n,) or b.shape != (n,) or ab.shape != (d, n):
        raise ValueError(f"evaluations must be f(A) (n,), f(B) (n,) and f(AB) (d, n); got {a.shape}, {b.shape}, "
                         f"{ab.shape} for d = {d}")
    first, total = _estimate(a, b, ab)
    rng = np.random.default_rng(seed)
    boot_first, boot_total = np.empty((bootstrap, d)), np.empty((bootstrap, d))
    for k in range(bootstrap):
        rows = rng.integers(0, n, n)
        boot_first[k], boot_total[k] = _estimate(a[rows], b[rows], ab[:, rows])
    first_ci = np.nanpercentile(boot_first, [2.5, 97.5], axis=0).T
    total_ci = np.nanpercentile(boot_total, [2.5, 97.5], axis=0).T
    return SobolIndices(list(parameters), first, first_ci, total, total_ci, n * (d + 2))


def saltelli_samples(bounds: Mapping[str, Sequence[float]], n: int, seed: int | None = 1
                     ) -> tuple[list[str], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The paths and matrices A, B (n, d) of Saltelli's scheme over ``bounds``, from a scrambled
    Sobol sequence in 2d dimensions (``scipy.stats.qmc.Sobol``; n a power of two keeps its
    balance properties)."""
    from scipy.stats import qmc

    paths, lows, highs = check_bounds(bounds, "sensitivity")
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 2:
        raise ValueError(f"sensitivity: n must be an int of at least 2 (a power of two is best), got {n!r}")
    d = len(paths)
    unit = qmc.Sobol(d=2 * d, scramble=True, seed=seed).random(int(n))
    a = qmc.scale(unit[:, :d], lows, highs)
    b = qmc.scale(unit[:, d:], lows, highs)
    return paths, a, b


def sobol(function: Callable[[npt.NDArray[np.float64]], Any], bounds: Mapping[str, Sequence[float]], n: int,
          seed: int | None = 1, bootstrap: int = 1000) -> SobolIndices:
    """Sobol indices of any ``function`` of a point (a 1-D array in the order of ``bounds``)
    returning a number: n (d + 2) evaluations."""
    paths, a, b = saltelli_samples(bounds, n, seed)
    fa = np.array([float(function(x)) for x in a])
    fb = np.array([float(function(x)) for x in b])
    fab = np.empty((len(paths), a.shape[0]))
    for i in range(len(paths)):
        ab = a.copy()
        ab[:, i] = b[:, i]
        fab[i] = [float(function(x)) for x in ab]
    return sobol_indices(fa, fb, fab, paths, bootstrap, seed)


Output = Union[str, Callable[[Any], float]]


def _output(output: Output, scenario: Any) -> Callable[[Any], float]:
    if callable(output):
        return output
    if isinstance(output, str):
        from ._names import lookup
        from ._results import OUTCOMES

        lookup("outcome", output, list(OUTCOMES))
        return lambda result: result.outcomes[output] / result.messages if result.messages else math.nan
    raise TypeError(f"output must be an outcome name (its overall rate) or a function Result -> number, "
                    f"not {type(output).__name__}")


def sensitivity(
    scenario: Any,
    params: Mapping[str, Sequence[float]],
    output: Output = "inbox",
    n: int = 64,
    seed: int = 1,
    messages: int | None = None,
    *,
    simulation_seed: int = 1,
    threads: int | None = None,
    bootstrap: int = 1000,
    cache: Any = None,
) -> SobolIndices:
    """Sobol sensitivity indices of a simulated ``output`` with respect to the scenario fields
    ``params`` {path: (low, high)} (paths as in :meth:`Scenario.set`), each varied uniformly
    over its range: first-order and total indices with 95% bootstrap intervals (see the
    module's doc for the estimators).

    ``output`` is an outcome name (its overall rate, e.g. "inbox") or a function of the
    :class:`Result` returning a number (e.g. ``lambda r: r.by_class["N"]["spam_folder"] /
    sum(r.by_class["N"].values())``). ``n`` base points (a power of two) give n (d + 2)
    simulations of ``messages`` messages (default :data:`delivsim.DEFAULT_MESSAGES`) each,
    all with ``simulation_seed`` (the same messages); ``seed`` drives the Sobol sequence and
    the bootstrap. ``.to_frame()`` tabulates the result."""
    from ._run import DEFAULT_MESSAGES, _scenario, run

    base = _scenario(scenario)
    measure = _output(output, base)
    count = DEFAULT_MESSAGES if messages is None else messages

    def evaluate(point: npt.NDArray[np.float64]) -> float:
        edited = base.with_values(dict(zip(paths, (float(v) for v in point))))
        return float(measure(run(edited, messages=count, seed=simulation_seed, threads=threads, cache=cache)))

    paths = check_bounds(params, "sensitivity")[0]
    return sobol(evaluate, params, n, seed, bootstrap)
