"""Calibration: fit scenario parameters to observed outcome rates by weighted least squares.

Every evaluation simulates messages [0, messages) with the same seed (common random numbers),
so the simulated rates are a deterministic function of the parameters: the same messages,
only the parameters change. That function is a staircase (a rate moves in steps of
1/messages as single messages cross a threshold), smooth at any scale much larger than a few
messages; the Jacobian is taken by central differences with steps chosen at that scale (see
:func:`calibrate`).
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from . import metrics
from ._results import OUTCOMES, Result
from ._run import DEFAULT_MESSAGES, _integer, _scenario, run
from ._scenario import Scenario
from ._views import format_path, parse_path

if TYPE_CHECKING:
    import pandas as pd

#: Named rates a target may use besides the outcomes: "missing" is every message that ends
#: neither in the inbox nor in the spam folder (what a seed-list deliverability benchmark
#: calls missing: blocked, bounced, deferred until expiry, quarantined, filed or deleted by a
#: rule, accepted by a wrong domain); the groups of :data:`delivsim.metrics.OUTCOME_GROUPS`.
RATE_SETS: dict[str, tuple[str, ...]] = {
    "missing": tuple(o for o in OUTCOMES if o not in ("inbox", "spam_folder")),
    **metrics.OUTCOME_GROUPS,
}

#: The default finite-difference step as a share of the parameter's bound range (finite
#: bounds) or of max(abs(start), 1) (no bounds).
DEFAULT_STEP_SHARE = 0.02

#: A Jacobian column whose step moved fewer messages than this (over every target) is refused:
#: the rate change would be mostly the staircase's granularity, not the slope.
MIN_MESSAGES_MOVED = 50

Bounds = Union[Mapping[str, Sequence[float]], Sequence[Sequence[float]], None]


def rate_set(name: str) -> tuple[str, ...]:
    """The outcomes a target rate counts: an outcome, a name of :data:`RATE_SETS`, or several
    joined by "+" (e.g. ``"inbox+rule_moved"``)."""
    if not isinstance(name, str):
        raise TypeError(f"targets: a rate name is a string, not {type(name).__name__}")
    outcomes: list[str] = []
    for part in name.split("+"):
        part = part.strip()
        if part in OUTCOMES:
            found: tuple[str, ...] = (part,)
        elif part in RATE_SETS:
            found = RATE_SETS[part]
        else:
            raise ValueError(f"targets: unknown rate {part!r}: rates are outcomes ({', '.join(OUTCOMES)}), "
                             f"{', '.join(RATE_SETS)}, or several joined by '+'")
        for o in found:
            if o in outcomes:
                raise ValueError(f"targets: {name!r} counts {o!r} twice")
            outcomes.append(o)
    return tuple(outcomes)


#: Outcomes whose messages were accepted (250) at some attempt.
ACCEPTED = tuple(o for o in OUTCOMES if o not in ("bounced", "silently_lost"))


def target_kind(name: str) -> tuple[str, Any]:
    """What a target name counts: ("outcomes", outcome tuple) for :func:`rate_set` names,
    ("bounce", code) for ``"bounce:5.1.1"`` (bounced with that enhanced code), or
    ("accepted_within", seconds) for ``"accepted_within:600"`` (accepted at an attempt at most
    that long after the first: a point of the deferral-time distribution)."""
    if isinstance(name, str) and name.startswith("bounce:"):
        code = name[len("bounce:"):].strip()
        parts = code.split(".")
        if len(parts) != 3 or parts[0] not in ("4", "5") or not all(p.isdigit() for p in parts):
            raise ValueError(f"targets: {name!r}: expected bounce:<enhanced code>, e.g. 'bounce:5.1.1'")
        return "bounce", code
    if isinstance(name, str) and name.startswith("accepted_within:"):
        try:
            t = float(name[len("accepted_within:"):])
        except ValueError:
            raise ValueError(f"targets: {name!r}: expected accepted_within:<seconds>, e.g. 'accepted_within:600'") from None
        if not math.isfinite(t) or t < 0:
            raise ValueError(f"targets: {name!r}: the time must be a finite number of seconds >= 0")
        return "accepted_within", t
    return "outcomes", rate_set(name)


def _cells(result: Result, sender_class: str | None) -> tuple[list[tuple[str, Any]], np.ndarray]:
    """The run's messages split into cells every target is a union of: each accepted outcome
    by the attempt that was accepted, silently_lost, and bounced by code. Tallies keep the
    outcome and the acceptance attempt separately, so an accepted cell's share is the
    outcome's share times the attempt's share among accepted messages (folder and delay taken
    as independent)."""
    counts = result.outcomes if sender_class is None else result.by_class[sender_class]
    total = float(sum(counts.values()))
    if total == 0:
        raise ValueError(f"calibrate: no messages of class {sender_class!r} were simulated")
    hist = np.asarray(result.acceptance_histogram(sender_class), dtype=float)
    times = result.scenario.attempt_times
    h = hist / hist.sum() if hist.sum() > 0 else np.zeros_like(hist)
    labels: list[tuple[str, Any]] = []
    shares: list[float] = []
    for o in ACCEPTED:
        accepted_at: Any = np.nonzero(h)[0] if counts[o] else []
        for a in accepted_at:
            labels.append((o, times[int(a)]))
            shares.append(counts[o] / total * h[a])
    labels.append(("silently_lost", None))
    shares.append(counts["silently_lost"] / total)
    bounces = result.bounces if sender_class is None else result.to_dict()["bounces_by_class"][sender_class]
    for code, k in sorted(bounces.items()):
        labels.append(("bounced", code))
        shares.append(k / total)
    return labels, np.array(shares)


def _member(kind: tuple[str, Any], label: tuple[str, Any]) -> bool:
    what, arg = kind
    outcome, detail = label
    if what == "outcomes":
        return outcome in arg
    if what == "bounce":
        return outcome == "bounced" and detail == arg
    return outcome in ACCEPTED and detail <= arg + 1e-9


class Calibration:
    """What :func:`calibrate` found: ``values`` and ``stderr`` (dicts path -> number),
    ``covariance`` (numpy, in ``params`` order), ``frame()`` (one row per parameter),
    ``residuals`` (one row per target), ``scenario`` (a copy with the fitted values),
    ``result`` (the run at the fit)."""

    def __init__(self, params: list[str], start: np.ndarray, values: np.ndarray, covariance: np.ndarray,
                 targets: dict[str, float], target_sd: np.ndarray, fitted: np.ndarray, sim_sd: np.ndarray,
                 scenario: Scenario, result: Result, evaluations: int, success: bool, message: str,
                 steps: np.ndarray) -> None:
        self.params = params
        self.start = start
        self._values = values
        self.covariance = covariance
        self.targets = targets
        self._target_sd = target_sd
        self._fitted = fitted
        self._sim_sd = sim_sd
        self.scenario = scenario
        self.result = result
        self.evaluations = evaluations
        self.success = success
        self.message = message
        self.steps = steps

    @property
    def values(self) -> dict[str, float]:
        """The fitted value of each parameter."""
        return dict(zip(self.params, self._values.tolist()))

    @property
    def stderr(self) -> dict[str, float]:
        """The standard error of each fitted value (see :func:`calibrate` for what it covers)."""
        return dict(zip(self.params, np.sqrt(np.diag(self.covariance)).tolist()))

    @property
    def fitted_rates(self) -> dict[str, float]:
        """The simulated rate of each target at the fitted values."""
        return dict(zip(self.targets, self._fitted.tolist()))

    def frame(self) -> pd.DataFrame:
        """One row per parameter: param, start, value, stderr and the 95% interval
        ``value -/+ 1.96 stderr`` (ci_low, ci_high)."""
        import pandas as pd

        se = np.sqrt(np.diag(self.covariance))
        return pd.DataFrame({"param": self.params, "start": self.start, "value": self._values, "stderr": se,
                             "ci_low": self._values - metrics.Z95 * se, "ci_high": self._values + metrics.Z95 * se})

    @property
    def residuals(self) -> pd.DataFrame:
        """One row per target: target (its name), target_rate, fitted_rate, residual (fitted -
        target), target_sd and fitted_sd (the standard deviations of the target's and the
        simulation's sampling), sd (the residual's, both together) and z (residual / sd)."""
        import pandas as pd

        target = np.array(list(self.targets.values()))
        residual = self._fitted - target
        sd = np.sqrt(self._sim_sd**2 + self._target_sd**2)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(sd > 0, residual / sd, np.nan)
        return pd.DataFrame({"target": list(self.targets), "target_rate": target, "fitted_rate": self._fitted,
                             "residual": residual, "target_sd": self._target_sd, "fitted_sd": self._sim_sd,
                             "sd": sd, "z": z})

    @property
    def chi2(self) -> float:
        """Goodness of fit: the sum of the squared z of :attr:`residuals`."""
        return float(np.nansum(self.residuals["z"].to_numpy() ** 2))

    @property
    def dof(self) -> int:
        """Degrees of freedom of :attr:`chi2`: targets minus parameters (0: exactly identified,
        the fit is exact by construction and tests nothing)."""
        return len(self.targets) - len(self.params)

    @property
    def p_value(self) -> float | None:
        """P(chi-square with :attr:`dof` degrees of freedom >= :attr:`chi2`): small when the
        model cannot reproduce the targets together. None when dof is 0. Rates that add up to
        1 (or share outcomes) are correlated, which this plain sum of squares does not undo:
        give targets that do not overlap for a calibrated test."""
        if self.dof <= 0:
            return None
        from scipy.stats import chi2

        return float(chi2.sf(self.chi2, self.dof))

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Target against fitted rates: :func:`delivsim.plot.calibration`."""
        from . import plot

        return plot.calibration(self, ax=ax, **kwargs)

    def __repr__(self) -> str:
        se = self.stderr
        parts = ", ".join(f"{p} = {v:.6g} ± {se[p]:.2g}" for p, v in self.values.items())
        fit = ", ".join(f"{t} {100 * f:.2f}% (target {100 * self.targets[t]:.2f}%)"
                        for t, f in self.fitted_rates.items())
        return f"<Calibration {parts}; {fit}; {self.evaluations} runs of {self.result.messages:,} messages>"


def _number(what: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what} must be a number, not {type(value).__name__}")
    value = float(value)
    if math.isnan(value):
        raise ValueError(f"{what} is NaN")
    return value


def _per_param(what: str, given: Any, params: list[str], default: Any) -> list[Any]:
    """A per-parameter setting given as a dict path -> value or a list in params order."""
    if given is None:
        return [default] * len(params)
    if isinstance(given, Mapping):
        named = {format_path(parse_path(k)): v for k, v in given.items()}
        unknown = [k for k in named if k not in params]
        if unknown:
            raise ValueError(f"{what}: {unknown} are not among the params {params}")
        return [named.get(p, default) for p in params]
    if isinstance(given, (str, bytes)) or not isinstance(given, Sequence):
        raise TypeError(f"{what} must be a dict path -> value or a list with one entry per parameter")
    if len(given) != len(params):
        raise ValueError(f"{what} has {len(given)} entries for {len(params)} params")
    return list(given)


def calibrate(
    scenario: Scenario | None,
    params: Sequence[str],
    targets: Mapping[str, float],
    messages: int = DEFAULT_MESSAGES,
    seed: int = 1,
    bounds: Bounds = None,
    *,
    start: Mapping[str, float] | Sequence[float] | None = None,
    steps: Mapping[str, float] | Sequence[float] | None = None,
    target_messages: int | None = None,
    target_sd: Mapping[str, float] | float | None = None,
    sender_class: str | None = None,
    threads: int | None = None,
    max_evaluations: int = 200,
) -> Calibration:
    """Fit the numeric scenario fields ``params`` (paths, as in :meth:`Scenario.set`) so that
    the simulated outcome rates match ``targets`` ({rate: observed share}), by weighted least
    squares (scipy's trust-region ``least_squares`` within ``bounds``).

    - **Rates**: an outcome (``inbox``, ``spam_folder``, ...), ``missing`` (neither inbox nor
      spam folder), a group of :data:`delivsim.metrics.OUTCOME_GROUPS` (``lost_told``,
      ``lost_untold``, ...), or several joined by "+"; ``bounce:<code>`` (bounced with that
      enhanced code, e.g. ``bounce:4.4.7``); ``accepted_within:<seconds>`` (accepted at an
      attempt at most that long after the first: a point of the deferral-time distribution).
      Shares of all messages, or of ``sender_class``'s messages when it is given.
      :func:`targets_from_log` makes such targets from a real Postfix log.
    - **Start**: the scenario's current values, or ``start``. **Bounds**: a dict path ->
      (low, high) or a list of pairs; keep probabilities in [0, 1], or the loader refuses a
      trial point.
    - **Common random numbers**: every evaluation runs messages [0, messages) with ``seed``.
    - **Steps**: the Jacobian is central differences (one-sided at a bound) with step ``steps``
      (default 2% of the bound range, or of ``max(abs(start), 1)`` when unbounded). A step must move
      many messages: the simulated rate is a staircase of 1/messages steps, and a difference
      over a few steps is noise. A parameter whose step moves fewer than 50 messages in all
      (summed over the targets) is refused, naming it: raise ``steps`` or ``messages``.
    - **Weights**: residual k is ``(simulated_k - target_k) / sd_k`` with
      ``sd_k² = t_k(1 - t_k) / messages`` (the simulation's binomial variance at the target)
      plus the target's: ``t_k(1 - t_k) / target_messages`` when the targets were measured on
      ``target_messages`` messages, or ``target_sd²`` when given (e.g. the rounding of published
      whole percents: 0.01/sqrt(12)).
    - **Uncertainty**: the fitted values move with the simulation's and the target's sampling
      noise, through the Jacobian J at the fit: with W = diag(1/sd²) and A = J'WJ,
      ``cov = A⁻¹ J'W Σ WJ A⁻¹``, where Σ is the covariance of (simulated - target) rates:
      multinomial, ``(p(S_k ∩ S_l) - p(S_k)p(S_l)) (1/messages + 1/target_messages)`` from the
      fitted run's outcome shares (rates that share outcomes, or that add up to 1, are
      correlated), plus ``diag(target_sd²)``. It assumes the model can reproduce the targets;
      ``residuals`` shows whether it does (z = residual / sd).
    """
    try:
        from scipy.optimize import least_squares
    except ImportError as e:  # pragma: no cover - python3-scipy is a bootstrap package
        raise ImportError("delivsim.calibrate needs scipy (Debian: apt-get install python3-scipy)") from e

    base = _scenario(scenario).copy()
    messages = _integer("messages", messages, 1, 2**63 - 1)
    if isinstance(params, (str, bytes)) or not isinstance(params, Sequence) or not params:
        raise TypeError("params must be a non-empty list of paths, e.g. ['sender_classes.N.ip_listed']")
    names = [format_path(parse_path(p)) for p in params]
    if len(set(names)) != len(names):
        raise ValueError(f"params: a path is given twice: {names}")
    if not isinstance(targets, Mapping) or not targets:
        raise TypeError("targets must be a non-empty dict {rate: share}, e.g. {'inbox': 0.83, 'spam_folder': 0.07}")
    sets = []
    target_values = []
    for name, value in targets.items():
        sets.append(target_kind(name))
        v = _number(f"targets[{name!r}]", value)
        if not 0 <= v <= 1:
            raise ValueError(f"targets[{name!r}]: {v} is not a share in [0, 1]")
        target_values.append(v)
    t = np.array(target_values)
    if len(t) < len(names):
        raise ValueError(f"{len(names)} params cannot be fitted to {len(t)} targets: give at least as many targets")
    if sender_class is not None and sender_class not in base.class_names:
        raise ValueError(f"sender_class: no class {sender_class!r} (classes: {', '.join(base.class_names)})")
    if target_messages is not None:
        target_messages = _integer("target_messages", target_messages, 1, 2**63 - 1)
    if target_sd is None:
        extra_sd = np.zeros(len(t))
    elif isinstance(target_sd, Mapping):
        unknown = [k for k in target_sd if k not in targets]
        if unknown:
            raise ValueError(f"target_sd: {unknown} are not targets")
        extra_sd = np.array([_number(f"target_sd[{k!r}]", target_sd.get(k, 0.0)) for k in targets])
    else:
        extra_sd = np.full(len(t), _number("target_sd", target_sd))
    if (extra_sd < 0).any():
        raise ValueError("target_sd must be >= 0")

    # Start values, bounds and steps.
    if start is None:
        x0 = []
        for p in names:
            try:
                value = base.get(p)
            except (KeyError, ValueError, TypeError) as e:
                raise ValueError(f"params: {e}") from None
            x0.append(_number(f"the scenario's {p}", value))
    else:
        x0 = [_number(f"start[{p}]", v) for p, v in zip(names, _per_param("start", start, names, None))]
    x0_a = np.array(x0, dtype=float)
    pairs = _per_param("bounds", bounds, names, (-math.inf, math.inf))
    lo = np.array([_number(f"bounds[{p}][0]", b[0]) for p, b in zip(names, pairs)])
    hi = np.array([_number(f"bounds[{p}][1]", b[1]) for p, b in zip(names, pairs)])
    if (lo >= hi).any():
        bad = names[int(np.argmax(lo >= hi))]
        raise ValueError(f"bounds[{bad}]: the low bound must be below the high one")
    outside = (x0_a < lo) | (x0_a > hi)
    if outside.any():
        i = int(np.argmax(outside))
        raise ValueError(f"start: {names[i]} = {x0_a[i]} is outside its bounds [{lo[i]}, {hi[i]}]")
    default_steps = np.where(np.isfinite(hi - lo), DEFAULT_STEP_SHARE * (hi - lo),
                             DEFAULT_STEP_SHARE * np.maximum(np.abs(x0_a), 1.0))
    given_steps = _per_param("steps", steps, names, None)
    h = np.array([default_steps[i] if s is None else _number(f"steps[{names[i]}]", s)
                  for i, s in enumerate(given_steps)])
    if (h <= 0).any():
        raise ValueError("steps must be positive")

    def membership_of(labels: list[tuple[str, Any]]) -> np.ndarray:  # [target][cell]
        return np.array([[_member(k, c) for c in labels] for k in sets], dtype=float)

    var_scale = 1.0 / messages + (0.0 if target_messages is None else 1.0 / target_messages)
    # Fixed weights (at the targets, not at the trial point: the objective stays a plain sum of squares).
    sd = np.sqrt(np.maximum(t * (1 - t), 1.0 / messages) * var_scale + extra_sd**2)

    # Per trial point: the target rates, the membership of targets in the run's cells, the
    # cells' shares, and the run.
    cache: dict[tuple[float, ...], tuple[np.ndarray, np.ndarray, np.ndarray, Result]] = {}

    def simulate(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, Result]:
        key = tuple(float(v) for v in x)
        if key not in cache:
            if len(cache) >= max_evaluations:
                raise RuntimeError(f"calibrate: more than max_evaluations = {max_evaluations} runs; the fit does "
                                   f"not converge (raise max_evaluations, or check the params move the targets)")
            trial = base.with_values(dict(zip(names, key)))
            try:
                result = run(trial, messages=messages, seed=seed, threads=threads)
            except ValueError as e:
                point = ", ".join(f"{p} = {v:.6g}" for p, v in zip(names, key))
                raise ValueError(f"calibrate: the scenario refused the trial point {point}: {e} "
                                 f"(set bounds to keep the params valid)") from None
            labels, shares = _cells(result, sender_class)
            member = membership_of(labels)
            cache[key] = (member @ shares, member, shares, result)
        return cache[key]

    def rates(x: np.ndarray) -> np.ndarray:
        return simulate(x)[0]

    def residual(x: np.ndarray) -> np.ndarray:
        return (rates(x) - t) / sd

    def jacobian_of_rates(x: np.ndarray) -> np.ndarray:
        cols = []
        for j in range(len(x)):
            up, down = x.copy(), x.copy()
            up[j] = min(x[j] + h[j], hi[j])
            down[j] = max(x[j] - h[j], lo[j])
            if up[j] == down[j]:
                raise ValueError(f"calibrate: {names[j]}: its bounds leave no room for a finite difference")
            r_up, r_down = rates(up), rates(down)
            moved = np.abs(r_up - r_down).sum() * messages
            if moved < MIN_MESSAGES_MOVED:
                raise ValueError(
                    f"calibrate: {names[j]}: a step of {up[j] - down[j]:.3g} moved {moved:.0f} messages over the targets "
                    f"(fewer than {MIN_MESSAGES_MOVED}): the param does not move them, or the step is too small for "
                    f"{messages:,} messages (raise steps or messages)")
            cols.append((r_up - r_down) / (up[j] - down[j]))
        return np.column_stack(cols)

    def jacobian(x: np.ndarray) -> np.ndarray:
        return jacobian_of_rates(x) / sd[:, None]

    fit = least_squares(residual, x0_a, jac=jacobian, bounds=(lo, hi), x_scale=h, method="trf",
                        ftol=1e-10, xtol=1e-6, gtol=1e-10, max_nfev=max_evaluations)
    x = np.clip(fit.x, lo, hi)
    fitted, membership, shares, result = simulate(x)

    # Sandwich covariance of the fitted values (see the docstring).
    jr = jacobian_of_rates(x)
    w = 1.0 / sd**2
    a = jr.T @ (w[:, None] * jr)
    overlap = membership @ np.diag(shares) @ membership.T          # p(S_k ∩ S_l)
    sigma = (overlap - np.outer(fitted, fitted)) * var_scale + np.diag(extra_sd**2)
    a_inv = np.linalg.pinv(a)
    middle = jr.T @ (w[:, None] * sigma * w[None, :]) @ jr
    covariance = a_inv @ middle @ a_inv
    sim_sd = np.sqrt(np.maximum(fitted * (1 - fitted), 0.0) / messages)
    target_sd_all = np.sqrt(t * (1 - t) * (0.0 if target_messages is None else 1.0 / target_messages) + extra_sd**2)

    return Calibration(names, x0_a, x, covariance, dict(zip(targets, t.tolist())), target_sd_all, fitted, sim_sd,
                       base.with_values(dict(zip(names, x.tolist()))), result, len(cache), bool(fit.success),
                       str(fit.message), h)


def targets_from_log(log: Any, quantiles: Sequence[float] = (0.5, 0.9), codes: Sequence[str] | None = None,
                     include_notifications: bool = False) -> tuple[dict[str, float], int]:
    """Calibration targets from an ingested Postfix log (:func:`delivsim.ingest.postfix_log`):
    the share of each bounce code (``bounce:<code>``; all codes seen, or ``codes``) and, for
    each quantile q of the time to acceptance of the delivered mail, ``accepted_within:<t_q>``
    = q x the delivered share. Returns (targets, messages): pass messages as
    ``target_messages`` so the fit weighs the log's sampling error."""
    rows = log if include_notifications else log[~log["notification"]]
    n = len(rows)
    if n == 0:
        raise ValueError("targets_from_log: the log has no messages")
    summary = log.summary(include_notifications)
    targets: dict[str, float] = {}
    for code in (codes if codes is not None else summary["bounces"]):
        targets[f"bounce:{code}"] = summary["bounces"].get(code, 0) / n
    sent = rows[rows["final_status"] == "sent"]
    if len(sent):
        times = np.sort(np.array([a[-1]["time_s"] for a in sent["attempts"]]))
        for q in quantiles:
            t = float(np.quantile(times, q, method="inverted_cdf"))
            targets[f"accepted_within:{round(t, 3):g}"] = float((times <= t + 1e-9).sum()) / n
    return targets, n
