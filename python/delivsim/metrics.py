"""Measures for comparing filter strategies: pure functions of counts, no simulation.

TREC Spam Track measures (G. V. Cormack and T. R. Lynam, "TREC 2005 Spam Track Overview",
Proc. TREC 2005, NIST SP 500-266), where a filter's binary judgement of a message is ham or
spam and the truth (the sender class's ``legit`` flag) is legitimate (ham) or spam:

- ``hm`` (ham misclassification): legitimate messages judged spam / legitimate messages judged;
- ``sm`` (spam misclassification): spam judged ham / spam judged;
- ``lam`` (logistic average misclassification): ``expit((logit(hm) + logit(sm)) / 2)``;
- ``1-AUC`` and ``sm`` at ``hm = 0.1%`` from the ROC curve of the filter's score.

Each comes with a 95% confidence interval (:data:`Z95`); see each function for the method.
The comparison of two strategies run on the same messages uses the per-message pairing
(:func:`paired_difference`), which is far more precise than two independent intervals.

Every function takes plain counts or numpy arrays, so it can be checked on hand-made cases
(``tests/python/test_metrics.py`` works every measure out by hand).
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

#: The standard normal quantile for two-sided 95% intervals, Phi^-1(0.975).
Z95 = 1.959963984540054

#: The outcomes in the taxonomy's order (core/outcome.hpp): the columns of the cost matrix.
OUTCOMES: tuple[str, ...] = ("inbox", "rule_moved", "spam_folder", "quarantined", "rule_deleted",
                             "silently_lost", "bounced")
#: The truths: index 0 legitimate (ham), 1 spam.
TRUTHS: tuple[str, ...] = ("legit", "spam")
#: A strategy's judgement of a message: index 0 not judged (the message never reached a filter
#: that judges: an address error, a dead destination, a size limit...), 1 judged ham (it went
#: on to the mailbox), 2 judged spam (spam folder, quarantine or rejection by a filter).
JUDGEMENTS: tuple[str, ...] = ("not_judged", "judged_ham", "judged_spam")

#: Groups of outcomes, for the frames and for costs. "Lost" is legitimate mail that is not
#: where the recipient expects it: told = the sender gets a bounce (the only outcome a sender
#: ever learns of); untold = spam folder, quarantine, a recipient rule's deletion or a
#: typo-squatting domain's silent acceptance. ``rule_moved`` (the recipient's own rule filed
#: it) is neither inbox nor lost.
OUTCOME_GROUPS: dict[str, tuple[str, ...]] = {
    "lost_told": ("bounced",),
    "lost_untold": ("spam_folder", "quarantined", "rule_deleted", "silently_lost"),
    "delivered": ("inbox", "rule_moved"),
    "lost": ("spam_folder", "quarantined", "rule_deleted", "silently_lost", "bounced"),
}


class Estimate(NamedTuple):
    """A measure with its 95% confidence interval (fractions, not %; NaN when undefined)."""

    value: float
    ci_low: float
    ci_high: float


def _check_count(name: str, k: object) -> int:
    # Counts arrive as Python or numpy integers (uint64 arrays); floats are a caller's mistake.
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"{name} must be an integer count, not {type(k).__name__}")
    if k < 0:
        raise ValueError(f"{name} must be a count (>= 0), got {k}")
    return int(k)


def wilson(k: int, n: int, z: float = Z95) -> Estimate:
    """The proportion ``k / n`` with Wilson's score interval (E. B. Wilson, JASA 22, 1927):
    ``(p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)``. NaN for ``n = 0``."""
    k, n = _check_count("k", k), _check_count("n", n)
    if k > n:
        raise ValueError(f"k = {k} is more than n = {n}")
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan)
    p = k / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    # At k = 0 (or n) the exact bound is 0 (or 1); rounding must not push it past.
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return Estimate(p, low, high)


def logit(p: float) -> float:
    """log(p / (1 - p)), with logit(0) = -inf and logit(1) = +inf."""
    if p <= 0:
        return -math.inf
    if p >= 1:
        return math.inf
    return math.log(p / (1 - p))


def expit(x: float) -> float:
    """The inverse of :func:`logit`, 1 / (1 + e^-x)."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def lam(ham_as_spam: int, ham_judged: int, spam_as_ham: int, spam_judged: int, z: float = Z95) -> Estimate:
    """TREC's logistic average misclassification, ``expit((logit(hm) + logit(sm)) / 2)``,
    with ``hm = ham_as_spam / ham_judged`` and ``sm = spam_as_ham / spam_judged``.

    The value is TREC's definition, with its limits where a rate is 0 or 1 (``hm = 0`` and
    ``0 < sm < 1`` give lam = 0; NaN when one rate is 0 and the other 1, or nothing was judged).

    The 95% interval is the delta method on the logit scale: ``logit(lam)`` is the mean of two
    independent log-odds (hm and sm are counted on disjoint messages), each with variance
    ``1/x + 1/(n-x)``, so ``se = sqrt(v_hm + v_sm) / 2``. To stay finite at zero counts, both
    the variances and the interval's centre use the empirical logit with Haldane's 1/2
    correction, ``log((x + 1/2) / (n - x + 1/2))`` and ``1/(x + 1/2) + 1/(n - x + 1/2)``
    (Gart and Zweifel, Biometrika 54, 1967); the interval is then widened, if needed, to
    contain the value itself (which it always does unless a count is 0 or n).
    """
    hm_x, hm_n = _check_count("ham_as_spam", ham_as_spam), _check_count("ham_judged", ham_judged)
    sm_x, sm_n = _check_count("spam_as_ham", spam_as_ham), _check_count("spam_judged", spam_judged)
    if hm_x > hm_n or sm_x > sm_n:
        raise ValueError("more misclassified messages than judged ones")
    if hm_n == 0 or sm_n == 0:
        return Estimate(math.nan, math.nan, math.nan)
    total = logit(hm_x / hm_n) + logit(sm_x / sm_n)
    value = math.nan if math.isnan(total) else expit(total / 2)
    centre = (math.log((hm_x + 0.5) / (hm_n - hm_x + 0.5)) + math.log((sm_x + 0.5) / (sm_n - sm_x + 0.5))) / 2
    variance = 1 / (hm_x + 0.5) + 1 / (hm_n - hm_x + 0.5) + 1 / (sm_x + 0.5) + 1 / (sm_n - sm_x + 0.5)
    se = math.sqrt(variance) / 2
    low, high = expit(centre - z * se), expit(centre + z * se)
    if not math.isnan(value):
        low, high = min(low, value), max(high, value)
    return Estimate(value, low, high)


class TrecMeasures(NamedTuple):
    """hm, sm and lam of one strategy (fractions), with the counts behind them."""

    hm: Estimate
    sm: Estimate
    lam: Estimate
    ham_as_spam: int
    ham_judged: int
    spam_as_ham: int
    spam_judged: int


def judged_counts(judged: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """A (2, 3) table of messages by truth (legit, spam) and judgement (not judged, judged
    ham, judged spam), checked; also accepts a paired (2, 3, 3) table (summed over the second
    strategy's judgement)."""
    table = np.asarray(judged)
    if table.shape == (2, 3, 3):
        table = table.sum(axis=2)
    if table.shape != (2, 3):
        raise ValueError(f"judged counts must have shape (2, 3) [truth][judgement] or (2, 3, 3), not {table.shape}")
    if not np.issubdtype(table.dtype, np.integer) or (table < 0).any():
        raise ValueError("judged counts must be non-negative integers")
    return table.astype(np.int64)


def trec(judged: npt.ArrayLike, z: float = Z95) -> TrecMeasures:
    """hm, sm (each with Wilson's interval) and lam (see :func:`lam`) from a (2, 3) table of
    messages by truth [legit, spam] and judgement [not judged, judged ham, judged spam].
    Messages that were not judged (lost before any filter) count in neither rate."""
    t = judged_counts(judged)
    ham_as_spam, ham_judged = int(t[0, 2]), int(t[0, 1] + t[0, 2])
    spam_as_ham, spam_judged = int(t[1, 1]), int(t[1, 1] + t[1, 2])
    return TrecMeasures(wilson(ham_as_spam, ham_judged, z), wilson(spam_as_ham, spam_judged, z),
                        lam(ham_as_spam, ham_judged, spam_as_ham, spam_judged, z),
                        ham_as_spam, ham_judged, spam_as_ham, spam_judged)


# --- ROC from score histograms -------------------------------------------------------------

class Roc(NamedTuple):
    """An ROC curve: ``fpr`` (legitimate mail judged spam, i.e. hm) and ``tpr`` (spam judged
    spam, 1 - sm) when everything scoring at least ``thresholds[k]`` is judged spam; ascending
    from (0, 0) (threshold above every score) to (1, 1)."""

    fpr: npt.NDArray[np.float64]
    tpr: npt.NDArray[np.float64]
    thresholds: npt.NDArray[np.float64]


def roc(legit: npt.ArrayLike, spam: npt.ArrayLike, edges: npt.ArrayLike | None = None) -> Roc:
    """The ROC curve of a score recorded in histograms: ``legit[k]`` and ``spam[k]`` count the
    messages whose score fell in bin k (bins in ascending score order; ``edges`` has one more
    entry than bins, and may start at -inf and end at +inf).

    The threshold sweeps the bin edges: at ``edges[k]`` every message in bins k, k+1, ... is
    judged spam. That gives one ROC point per edge; within a bin the scores are unknown, so the
    curve joins consecutive points by straight lines, which is exactly a threshold inside the
    bin that judges a random share of the bin's messages spam (ties broken at random). The area
    under these segments is the Mann-Whitney AUC with ties counted one half."""
    legit_a = np.asarray(legit)
    spam_a = np.asarray(spam)
    if legit_a.ndim != 1 or legit_a.shape != spam_a.shape:
        raise ValueError(f"legit and spam histograms must be 1-D of the same length, got {legit_a.shape} and {spam_a.shape}")
    if (legit_a < 0).any() or (spam_a < 0).any():
        raise ValueError("histogram counts must be non-negative")
    bins = legit_a.shape[0]
    if edges is None:
        edge_a = np.arange(bins + 1, dtype=float)
    else:
        edge_a = np.asarray(edges, dtype=float)
        if edge_a.shape != (bins + 1,):
            raise ValueError(f"edges must have {bins + 1} entries (bins + 1), got {edge_a.shape}")
    n_legit, n_spam = float(legit_a.sum()), float(spam_a.sum())
    if n_legit == 0 or n_spam == 0:
        raise ValueError(f"an ROC curve needs scored messages of both truths (legit {n_legit:.0f}, spam {n_spam:.0f})")
    # Judged spam at threshold edges[k]: bins k .. end; k from bins (none) down to 0 (all).
    above_legit = np.concatenate([np.cumsum(legit_a[::-1].astype(float))[::-1], [0.0]])
    above_spam = np.concatenate([np.cumsum(spam_a[::-1].astype(float))[::-1], [0.0]])
    return Roc(above_legit[::-1] / n_legit, above_spam[::-1] / n_spam, edge_a[::-1].copy())


def auc(curve: Roc) -> float:
    """The area under the ROC curve (trapezoids between its points: see :func:`roc`)."""
    fpr, tpr = curve.fpr, curve.tpr
    return float(np.sum((fpr[1:] - fpr[:-1]) * (tpr[1:] + tpr[:-1]) / 2))


def tpr_at(curve: Roc, fpr: float) -> float:
    """The highest true positive rate at false positive rate ``fpr`` along the curve: between
    the last point at or below ``fpr`` and the next one, by the straight line of :func:`roc`
    (a threshold inside a bin)."""
    if not 0 <= fpr <= 1:
        raise ValueError(f"fpr must be in [0, 1], got {fpr}")
    x, y = curve.fpr, curve.tpr
    i = int(np.searchsorted(x, fpr, side="right")) - 1  # the last point with x <= fpr
    if i >= len(x) - 1 or x[i] == fpr:
        return float(y[i])
    return float(y[i] + (y[i + 1] - y[i]) * (fpr - x[i]) / (x[i + 1] - x[i]))


def sm_at_hm(curve: Roc, hm: float = 0.001) -> float:
    """TREC's spam misclassification at a fixed ham misclassification (default 0.1%):
    ``1 - tpr_at(curve, hm)``."""
    return 1.0 - tpr_at(curve, hm)


# --- costs ---------------------------------------------------------------------------------

def cost_keys() -> list[str]:
    """Every key a cost dict may use: ``<truth>_<outcome>`` (e.g. ``legit_spam_folder``,
    ``spam_inbox``) and ``<truth>_<group>`` for the groups of :data:`OUTCOME_GROUPS`
    (``legit_lost_told``, ``legit_lost_untold``, ``spam_delivered``, ...)."""
    return [f"{t}_{o}" for t in TRUTHS for o in OUTCOMES] + [f"{t}_{g}" for t in TRUTHS for g in OUTCOME_GROUPS]


#: The default costs: every misplaced message costs 1 (legitimate mail not delivered, spam
#: delivered), so the loss is the share of misplaced messages. Real costs are the user's to set.
DEFAULT_COSTS: dict[str, float] = {"legit_lost": 1.0, "spam_delivered": 1.0}


def cost_matrix(costs: Mapping[str, float] | None) -> npt.NDArray[np.float64]:
    """The (2, 7) matrix cost[truth][outcome] of a cost dict (see :func:`cost_keys`; missing
    entries cost 0). Group keys apply to each of their outcomes, and a key naming one outcome
    overrides its group's cost. None gives :data:`DEFAULT_COSTS`."""
    if costs is None:
        costs = DEFAULT_COSTS
    if not isinstance(costs, Mapping):
        raise TypeError(f"costs must be a dict such as {{'legit_lost_untold': 10, 'spam_inbox': 1}}, "
                        f"not {type(costs).__name__}")
    matrix = np.zeros((2, len(OUTCOMES)))
    valid = cost_keys()
    single: list[tuple[int, int, float]] = []
    for key, value in costs.items():
        if key not in valid:
            import difflib

            near = difflib.get_close_matches(str(key), valid, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise ValueError(f"costs: unknown kind of error {key!r}{hint}; kinds are <truth>_<outcome> with truth "
                             f"legit or spam and outcome one of {', '.join(OUTCOMES)}, or a group "
                             f"({', '.join(OUTCOME_GROUPS)})")
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"costs[{key!r}] must be a number, not {type(value).__name__}")
        if not math.isfinite(value):
            raise ValueError(f"costs[{key!r}] must be finite, got {value}")
        truth, rest = key.split("_", 1)
        t = TRUTHS.index(truth)
        if rest in OUTCOME_GROUPS:
            for o in OUTCOME_GROUPS[rest]:
                matrix[t, OUTCOMES.index(o)] = float(value)
        else:
            single.append((t, OUTCOMES.index(rest), float(value)))
    for t, column, cost in single:  # the specific key wins over its group
        matrix[t, column] = cost
    return matrix


def expected_cost(outcomes: npt.ArrayLike, costs: Mapping[str, float] | None = None, z: float = Z95) -> Estimate:
    """The mean cost per message, from a (2, 7) table of messages by truth and outcome, with a
    normal-approximation interval ``mean ± z sd / sqrt(n)`` (sd of the per-message cost)."""
    table = np.asarray(outcomes, dtype=float)
    if table.shape != (2, len(OUTCOMES)):
        raise ValueError(f"outcome counts must have shape (2, {len(OUTCOMES)}) [truth][outcome], not {table.shape}")
    matrix = cost_matrix(costs)
    n = table.sum()
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan)
    mean = float((table * matrix).sum() / n)
    second = float((table * matrix**2).sum() / n)
    se = math.sqrt(max(second - mean * mean, 0.0) / n)
    return Estimate(mean, mean - z * se, mean + z * se)


# --- paired comparisons --------------------------------------------------------------------

class PairedDifference(NamedTuple):
    """p_a - p_b of two strategies on the same n messages, with its 95% interval; ``a_only``
    and ``b_only`` are the discordant messages (counted by a's measure but not b's, and the
    reverse), ``both`` and ``neither`` the concordant ones."""

    difference: float
    ci_low: float
    ci_high: float
    p_a: float
    p_b: float
    n: int
    both: int
    a_only: int
    b_only: int
    neither: int


def paired_difference(both: int, a_only: int, b_only: int, neither: int, z: float = Z95) -> PairedDifference:
    """The difference of two proportions measured on the same messages, from the paired 2x2
    table, with Newcombe's hybrid score interval (method 10 of R. G. Newcombe, "Improved
    confidence intervals for the difference between binomial proportions based on paired
    data", Statistics in Medicine 17:2635-2650, 1998), without continuity correction:

    ``p_a = (both + a_only)/n``, ``p_b = (both + b_only)/n``, ``d = (a_only - b_only)/n``;
    Wilson intervals [l_a, u_a], [l_b, u_b] of p_a and p_b; the correlation
    ``phi = (both*neither - a_only*b_only) / sqrt((both+a_only)(b_only+neither)(both+b_only)(a_only+neither))``
    (0 when a margin is empty); then
    ``low = d - sqrt((p_a-l_a)² - 2 phi (p_a-l_a)(u_b-p_b) + (u_b-p_b)²)`` and
    ``high = d + sqrt((u_a-p_a)² - 2 phi (u_a-p_a)(p_b-l_b) + (p_b-l_b)²)``.

    Only the discordant messages move the difference; with common random numbers most
    messages are concordant, and the interval is far narrower than two independent ones."""
    counts = [_check_count(name, k) for name, k in
              (("both", both), ("a_only", a_only), ("b_only", b_only), ("neither", neither))]
    e, f, g, h = counts
    n = e + f + g + h
    if n == 0:
        return PairedDifference(math.nan, math.nan, math.nan, math.nan, math.nan, 0, e, f, g, h)
    p_a, l_a, u_a = wilson(e + f, n, z)
    p_b, l_b, u_b = wilson(e + g, n, z)
    d = (f - g) / n
    margins = float(e + f) * float(g + h) * float(e + g) * float(f + h)
    phi = 0.0 if margins == 0 else (float(e) * h - float(f) * g) / math.sqrt(margins)
    low = d - math.sqrt(max((p_a - l_a) ** 2 - 2 * phi * (p_a - l_a) * (u_b - p_b) + (u_b - p_b) ** 2, 0.0))
    high = d + math.sqrt(max((u_a - p_a) ** 2 - 2 * phi * (u_a - p_a) * (p_b - l_b) + (p_b - l_b) ** 2, 0.0))
    return PairedDifference(d, max(low, -1.0), min(high, 1.0), p_a, p_b, n, e, f, g, h)


def paired_table(joint: npt.ArrayLike, in_a: Sequence[int], in_b: Sequence[int] | None = None,
                 among: Sequence[int] | None = None) -> tuple[int, int, int, int]:
    """(both, a_only, b_only, neither) from a joint table ``joint[category of a][category of
    b]`` of messages: a message counts for a when its category is in ``in_a`` (for b, in
    ``in_b``, default the same), restricted to messages whose categories under both are in
    ``among`` (default all)."""
    t = np.asarray(joint)
    if t.ndim != 2 or t.shape[0] != t.shape[1]:
        raise ValueError(f"a joint table is square, got shape {t.shape}")
    k = t.shape[0]
    keep = np.zeros(k, bool)
    keep[list(range(k)) if among is None else list(among)] = True
    ma = np.zeros(k, bool)
    ma[list(in_a)] = True
    mb = np.zeros(k, bool)
    mb[list(in_a if in_b is None else in_b)] = True
    sub = t[np.ix_(keep, keep)]
    ma, mb = ma[keep], mb[keep]
    both = int(sub[np.ix_(ma, mb)].sum())
    a_only = int(sub[np.ix_(ma, ~mb)].sum())
    b_only = int(sub[np.ix_(~ma, mb)].sum())
    neither = int(sub[np.ix_(~ma, ~mb)].sum())
    return both, a_only, b_only, neither


def paired_trec(judged_ab: npt.ArrayLike, z: float = Z95) -> dict[str, PairedDifference]:
    """hm_a - hm_b and sm_a - sm_b over the messages that both strategies judged, from the
    (2, 3, 3) table ``judged_ab[truth][judgement by a][judgement by b]``. (Where both judge
    the same messages, as when strategies differ only in their content filters, these are the
    differences of the strategies' own hm and sm.)"""
    t = np.asarray(judged_ab)
    if t.shape != (2, 3, 3):
        raise ValueError(f"paired judged counts must have shape (2, 3, 3), not {t.shape}")
    judged = (1, 2)
    return {
        "hm": paired_difference(*paired_table(t[0], in_a=(2,), among=judged), z=z),
        "sm": paired_difference(*paired_table(t[1], in_a=(1,), among=judged), z=z),
    }


def paired_cost(joint: npt.ArrayLike, costs: Mapping[str, float] | None = None, z: float = Z95) -> Estimate:
    """The mean per-message cost difference (a - b) from the (2, 7, 7) table
    ``joint[truth][outcome under a][outcome under b]``, with the normal interval of the mean
    of the per-message differences (their sd from the table: the pairing, not two samples)."""
    t = np.asarray(joint, dtype=float)
    if t.shape != (2, len(OUTCOMES), len(OUTCOMES)):
        raise ValueError(f"the paired outcome table must have shape (2, 7, 7), not {t.shape}")
    matrix = cost_matrix(costs)
    diff = matrix[:, :, None] - matrix[:, None, :]  # [truth][a][b]
    n = t.sum()
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan)
    mean = float((t * diff).sum() / n)
    second = float((t * diff**2).sum() / n)
    se = math.sqrt(max(second - mean * mean, 0.0) / n)
    return Estimate(mean, mean - z * se, mean + z * se)
