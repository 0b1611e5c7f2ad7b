"""Plots of runs and sweeps (matplotlib). Each function draws on ``ax`` (a new figure when
None) and returns the Axes.

- :func:`outcomes`: where the mail went, stacked bars per sender class, recipient profile,
  sweep point or compared scenario;
- :func:`bounces`: bounced messages by enhanced status code;
- :func:`acceptance_cdf`: when mail was accepted, the CDF over the retry schedule;
- :func:`sweep`: a sweep's rates against a parameter, with 95% confidence bands;
- :func:`roc`: ROC curves of the score-based strategies of a :func:`delivsim.compare`;
- :func:`paired`: a forest plot of paired differences between strategies;
- :func:`calibration`: a :func:`delivsim.calibrate` fit, target against fitted rates.

Outcomes have the same colour in every plot (:data:`OUTCOME_COLORS`). The same plots are
methods: ``result.plot()``, ``result.plot_bounces()``, ``result.plot_acceptance()`` and, on
the frames of :func:`delivsim.sweep` and :func:`delivsim.compare_scenarios`, ``frame.delivsim.plot()``
and ``frame.delivsim.plot_outcomes()``.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from ._names import lookup, suggestion
from ._results import OUTCOMES, Result
from ._sweep import register_accessor

register_accessor()

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

#: One colour per outcome, the same in every plot (green: delivered to the inbox; shades
#: towards red as the mail gets further from it).
OUTCOME_COLORS: dict[str, str] = {
    "inbox": "#2e7d32",
    "rule_moved": "#9ccc65",
    "spam_folder": "#fbc02d",
    "quarantined": "#ef6c00",
    "rule_deleted": "#8e24aa",
    "silently_lost": "#616161",
    "bounced": "#c62828",
}

#: What the enhanced status codes the engine gives mean.
STATUS_MEANINGS: dict[str, str] = {
    "4.2.2": "mailbox full (temporary)",
    "4.4.1": "no MX host answered",
    "4.4.7": "queue lifetime expired",
    "4.7.1": "greylisted",
    "5.1.1": "unknown user",
    "5.1.2": "domain does not exist",
    "5.1.10": "null MX",
    "5.2.2": "mailbox full",
    "5.3.4": "message too large",
    "5.7.1": "policy: blocklist or content",
    "5.7.26": "DMARC failure",
    "4.7.0": "rate limited (sending IP)",
    "4.2.1": "rate limited (sending network)",
}

_LABEL_COLUMNS = ("point", "scenario")
_RESULT_COLUMNS = {"group_kind", "group", "outcome", "count", "messages", "rate", "ci_low", "ci_high"}


def _axes(ax: Axes | None, size: tuple[float, float] = (7.0, 3.6)) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=size, layout="constrained")[1]


def _legend(ax: Axes, outcomes: Sequence[str]) -> None:
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color=OUTCOME_COLORS[o], label=o) for o in outcomes], loc="upper left",
              bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize="small")


def parameters(frame: pd.DataFrame) -> list[str]:
    """The parameter columns of a sweep or compare frame."""
    meta = frame.attrs.get("delivsim", {})
    if meta.get("parameters"):
        return [p for p in meta["parameters"] if p in frame.columns]
    return [c for c in frame.columns if c not in _RESULT_COLUMNS and c != "point"]


def outcomes(
    data: Union[Result, pd.DataFrame],
    by: str = "class",
    ax: Axes | None = None,
    group: str | None = None,
    annotate: bool = True,
    title: str | None = None,
) -> Axes:
    """Where the mail went: one horizontal bar per group, split by outcome (shares in %).

    ``data`` is a :class:`Result` (or its ``to_frame()``): ``by`` is "class", "profile",
    "overall" or "all" (overall, then classes, then profiles). Or a frame of
    :func:`delivsim.sweep`/:func:`delivsim.compare_scenarios`: one bar per point or scenario, for the
    ``group`` (by=class/profile, e.g. ``group="N"``; overall by default).
    """
    import pandas as pd

    frame = data.to_frame() if isinstance(data, Result) else data
    label_cols = [c for c in frame.columns if c not in _RESULT_COLUMNS]
    kinds = {"class": ["class"], "profile": ["profile"], "overall": ["overall"],
             "all": ["overall", "class", "profile"]}
    if by not in kinds:
        raise ValueError(f"by must be one of {', '.join(kinds)}, not {by!r} {suggestion(by, list(kinds))}")
    if label_cols:  # a sweep or compare: one bar per point or scenario
        if group is not None and by not in ("class", "profile"):
            raise ValueError(f"group={group!r} names a sender class (by='class') or a recipient profile "
                             f"(by='profile'), not a group of by={by!r}")
        kind = "overall" if group is None else by
        if group is not None:
            lookup("sender class" if by == "class" else "recipient profile", group,
                   list(dict.fromkeys(frame.loc[frame.group_kind == by, "group"])))
        sel = frame[(frame.group_kind == kind) & (frame.group == (group or "all"))]
        if sel.empty:
            raise ValueError(f"no rows for group_kind={kind!r}, group={group!r}")
        params = parameters(frame)
        key = "point" if "point" in sel.columns else (params[0] if params else label_cols[0])
        params = [p for p in params if p != key]

        def label(rows: pd.DataFrame) -> str:
            if key != "point" or not params:
                return str(rows[key].iloc[0])
            return ", ".join(f"{p.rsplit('.', 1)[-1]}={rows[p].iloc[0]}" for p in params)

        bars = [(label(rows), rows.set_index("outcome")["rate"]) for _, rows in sel.groupby(key, sort=False)]
        default_title = f"Where the mail went ({'all mail' if group is None else f'{by} {group}'})"
    else:
        if group is not None:
            raise ValueError("group= picks one group of a sweep's or compare's frame; for a Result, by= chooses "
                             "the groups")
        bars = []
        for kind in kinds[by]:
            for g, rows in frame[frame.group_kind == kind].groupby("group", sort=False):
                name = "all mail" if kind == "overall" else (f"class {g}" if kind == "class" else f"profile {g}")
                bars.append((name, rows.set_index("outcome")["rate"]))
        default_title = "Where the mail went"
    ax = _axes(ax, (7.5, 0.45 * len(bars) + 1.4))
    names = [name for name, _ in bars][::-1]  # the first group on top
    left = np.zeros(len(bars))
    for o in OUTCOMES:
        shares = np.array([100 * float(rates.get(o, 0.0)) for _, rates in bars][::-1])
        ax.barh(names, shares, left=left, color=OUTCOME_COLORS[o], label=o, height=0.7)
        if annotate:
            for y, (x0, w) in enumerate(zip(left, shares)):
                if w >= 6:
                    ax.text(x0 + w / 2, y, f"{w:.0f}", ha="center", va="center", fontsize="x-small",
                            color="white" if o in ("inbox", "rule_deleted", "silently_lost", "bounced") else "black")
        left += shares
    ax.set_xlim(0, 100)
    ax.set_xlabel("share of messages (%)")
    ax.set_title(title or default_title)
    _legend(ax, OUTCOMES)
    return ax


def bounces(result: Result, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Bounced messages by enhanced status code, largest first, each with its meaning and its
    share of all messages."""
    items = sorted(result.bounces.items(), key=lambda kv: (-kv[1], kv[0]))
    ax = _axes(ax, (7.0, 0.4 * max(len(items), 1) + 1.2))
    labels = [f"{code} {STATUS_MEANINGS.get(code, '')}".strip() for code, _ in items][::-1]
    counts = [n for _, n in items][::-1]
    colors = ["#c62828" if code.startswith("5") else "#ef9a9a" for code, _ in items][::-1]
    ax.barh(labels, counts, color=colors)
    total = max(result.messages, 1)
    for y, n in enumerate(counts):
        ax.text(n, y, f" {100 * n / total:.2f}%", va="center", fontsize="x-small")
    ax.set_xlabel("bounced messages")
    if counts:
        ax.set_xlim(0, max(counts) * 1.18)
    ax.set_title(title or f"Bounces by status code ({sum(counts):,} of {result.messages:,} messages)")
    return ax


def _time_ticks(ax: Axes, last: float) -> None:
    ticks = [(0, "0"), (300, "5 min"), (3600, "1 h"), (6 * 3600, "6 h"), (86400, "1 d"), (5 * 86400, "5 d"),
             (30 * 86400, "30 d")]
    shown = [(t, s) for t, s in ticks if t <= last * 1.01] or ticks[:1]
    ax.set_xticks([t for t, _ in shown], [s for _, s in shown])
    ax.minorticks_off()


def acceptance_cdf(
    results: Union[Result, Mapping[str, Result]],
    by: str | None = None,
    of: str = "accepted",
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """When mail was accepted: the share of messages accepted (250) by each time after the
    first attempt, over the retry schedule (a step at each attempt; symmetric-log time axis).

    ``results`` is a Result or a dict label -> Result (one curve each); ``by="class"`` or
    ``"profile"`` draws one curve per group of a single Result. ``of="accepted"`` normalises
    each curve by its accepted messages (it ends at 100%), ``of="all"`` by all its messages (it
    ends at the accepted share, below 100% by the bounces and losses).
    """
    if of not in ("accepted", "all"):
        raise ValueError(f"of must be 'accepted' or 'all', not {of!r}")
    curves: list[tuple[str, np.ndarray, Sequence[float], int]] = []
    if isinstance(results, Result):
        r = results
        if by is None:
            curves.append(("all mail", r.acceptance_times, r.scenario.attempt_times, r.messages))
        elif by in ("class", "profile"):
            names = r.scenario.class_names if by == "class" else r.scenario.profile_names
            counts = r.by_class if by == "class" else r.by_profile
            for name in names:
                hist = r.acceptance_histogram(**({"sender_class": name} if by == "class" else {"profile": name}))
                curves.append((f"{by} {name}", hist, r.scenario.attempt_times, sum(counts[name].values())))
        else:
            raise ValueError(f"by must be None, 'class' or 'profile', not {by!r}")
    else:
        for label, r in results.items():
            curves.append((str(label), r.acceptance_times, r.scenario.attempt_times, r.messages))
    ax = _axes(ax)
    last = 0.0
    for label, hist, times, messages in curves:
        hist = np.asarray(hist, dtype=float)
        denominator = hist.sum() if of == "accepted" else messages
        if denominator <= 0:
            continue
        cdf = 100 * np.cumsum(hist) / denominator
        t = np.asarray(times, dtype=float)
        # only the attempts that accepted something, plus the end of the schedule
        ax.step(np.append(t, t[-1]), np.append(cdf, cdf[-1]), where="post", label=label)
        last = max(last, float(t[-1]))
    ax.set_xscale("symlog", linthresh=300, linscale=0.5)
    _time_ticks(ax, last)
    ax.set_xlim(0, last * 1.05 if last else 1)
    ax.set_ylim(0, 101 if of == "accepted" else None)
    ax.set_xlabel("time after the first attempt")
    ax.set_ylabel("accepted (% of " + ("accepted" if of == "accepted" else "all") + " messages)")
    ax.grid(alpha=0.3)
    ax.set_title(title or "When mail was accepted")
    if len(curves) > 1:
        ax.legend(frameon=False, fontsize="small")
    return ax


def sweep(
    frame: pd.DataFrame,
    x: str | None = None,
    outcome: Union[str, Sequence[str]] = "inbox",
    group_kind: str = "overall",
    groups: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """A sweep's rates against a parameter, one line per group (or per outcome when several
    are given), with its 95% confidence band.

    ``x`` is the parameter column (default: the sweep's only, or first, parameter); other
    parameters give one line per value. ``group_kind`` "overall", "class" or "profile" and
    ``groups`` (default all of that kind) choose the lines. Non-numeric x (a compare frame's
    scenarios, object values) is drawn as points with error bars.
    """
    params = parameters(frame)
    if x is None:
        if not params:
            raise ValueError("the frame has no parameter column: pass x")
        x = params[0]
    if x not in frame.columns:
        raise ValueError(f"no column {x!r} (parameters: {', '.join(params)})")
    wanted = [outcome] if isinstance(outcome, str) else list(outcome)
    unknown = [o for o in wanted if o not in OUTCOMES]
    if unknown:
        raise ValueError(f"unknown outcome(s) {unknown}: outcomes are {', '.join(OUTCOMES)}")
    sel = frame[(frame.group_kind == group_kind) & frame.outcome.isin(wanted)]
    if groups is not None:
        sel = sel[sel.group.isin(list(groups))]
    if sel.empty:
        raise ValueError(f"no rows for group_kind={group_kind!r}, groups={groups}, outcome={wanted}")
    others = [p for p in params if p != x and sel[p].nunique(dropna=False) > 1]
    ax = _axes(ax)
    numeric = np.issubdtype(sel[x].dtype, np.number)
    categories = list(dict.fromkeys(sel[x])) if not numeric else []
    keys = ["group", "outcome"] + others
    for n_line, (key, rows) in enumerate(sel.groupby(keys, sort=False)):
        key = key if isinstance(key, tuple) else (key,)
        group, o = key[0], key[1]
        parts = [] if group == "all" else [f"{group_kind} {group}"]
        parts += [o] if len(wanted) > 1 or not parts else []
        parts += [f"{p.rsplit('.', 1)[-1]}={v}" for p, v in zip(others, key[2:])]
        label = ", ".join(parts)
        color = OUTCOME_COLORS[o] if len(wanted) > 1 and sel.group.nunique() == 1 and not others else None
        rows = rows.sort_values(x) if numeric else rows
        xs = rows[x].to_numpy() if numeric else np.array([categories.index(v) for v in rows[x]])
        y, lo, hi = (100 * rows[c].to_numpy() for c in ("rate", "ci_low", "ci_high"))
        if numeric:
            (line,) = ax.plot(xs, y, marker="o", ms=3, label=label, color=color)
            ax.fill_between(xs, lo, hi, color=line.get_color(), alpha=0.2, linewidth=0)
        else:
            offset = 0.08 * (n_line - (sel.groupby(keys).ngroups - 1) / 2)
            ax.errorbar(xs + offset, y, yerr=[y - lo, hi - y], fmt="o", capsize=3, label=label, color=color)
    if not numeric:
        ax.set_xticks(range(len(categories)), [str(c) for c in categories], rotation=20, ha="right")
        ax.set_xlim(-0.6, len(categories) - 0.4)
    ax.set_xlabel(x)
    ax.set_ylabel(("% " + wanted[0]) if len(wanted) == 1 else "% of messages")
    ax.grid(alpha=0.3)
    ax.set_title(title or (f"{', '.join(wanted)} vs {x.rsplit('.', 1)[-1]}" if numeric else ", ".join(wanted)))
    ax.legend(frameon=False, fontsize="small", loc="best")
    return ax


# --- filter strategies and calibration --------------------------------------------------------

#: Colours of a paired difference: the strategy is better than the baseline, worse, or the
#: interval contains 0 (the same greens and reds as the outcomes).
DIFFERENCE_COLORS: dict[str, str] = {"better": "#2e7d32", "worse": "#c62828", "unclear": "#616161"}

#: The direction in which each measure of a comparison improves (-1: lower is better).
_BETTER: dict[str, int] = {"hm": -1, "sm": -1, "lam": -1, "legit_inbox": 1, "legit_lost_told": -1,
                           "legit_lost_untold": -1, "spam_delivered": -1, "loss": -1}


def roc(
    comparison: Any,
    names: Sequence[str] | None = None,
    log: bool = False,
    ax: Axes | None = None,
    title: str | None = None,
    profile: str | None = None,
) -> Axes:
    """ROC curves of a :class:`delivsim.Comparison`'s score-based strategies (all, or
    ``names``), over the mail of one recipient ``profile`` or of all: spam caught (100 - sm%) against legitimate mail judged spam (hm%), as the
    threshold sweeps the score (see :func:`delivsim.metrics.roc`). The legend gives each
    curve's 1-AUC; a dotted line marks hm = 0.1%. A strategy whose profiles' scores are on
    different scales gets one curve per profile (see :meth:`delivsim.Comparison.roc`). ``log=True`` puts hm% on a log scale (the
    region where filters are actually run)."""
    from . import metrics

    if names is None:
        names = [n for n in comparison.names if comparison.score_histogram(n, profile) is not None]
        if not names:
            raise ValueError("no strategy of this comparison has a score-based policy: there is no ROC curve")
    ax = _axes(ax, (5.6, 4.4))
    curves = []
    for name in names:
        scales = comparison.score_scales(name)
        if profile is not None:
            curves.append((name, comparison.roc(name, profile=profile)))
        elif len(set(scales.values())) > 1:  # no combined curve across scales: one per profile
            curves += [(f"{name}, profile {p}", comparison.roc(name, profile=p)) for p in scales]
        else:
            curves.append((name, comparison.roc(name)))
    for label, curve in curves:
        x, y = 100 * curve.fpr, 100 * curve.tpr
        if log:
            keep = x > 0
            x, y = x[keep], y[keep]
        ax.plot(x, y, label=f"{label} (1-AUC {100 * (1 - metrics.auc(curve)):.3g}%)", drawstyle="default")
    ax.axvline(0.1, color="#616161", linestyle=":", linewidth=1)
    if log:
        ax.set_xscale("log")
        ax.set_xlim(1e-3, 100)
    else:
        ax.set_xlim(0, 100)
    ax.set_ylim(0, 101)
    ax.set_xlabel("legitimate mail judged spam, hm (%)" + (" (log scale)" if log else ""))
    ax.set_ylabel("spam judged spam, 100 - sm (%)")
    ax.grid(alpha=0.3, which="both" if log else "major")
    ax.set_title(title or "ROC: spam caught against legitimate mail lost"
                 + ("" if profile is None else f" (profile {profile})"))
    ax.legend(frameon=False, fontsize="small", loc="lower right")
    return ax


def paired(
    comparison: Any,
    baseline: str,
    measures: Sequence[str] = ("hm", "sm", "legit_inbox", "legit_lost_untold", "loss"),
    names: Sequence[str] | None = None,
    axes: Sequence[Axes] | None = None,
    title: str | None = None,
) -> list[Axes]:
    """A forest plot of paired differences: for each measure a panel, one row per strategy
    (all but ``baseline``, or ``names``) with its difference from ``baseline`` and the 95%
    interval from the per-message pairing (:meth:`delivsim.Comparison.paired`). Green: the
    strategy is better than the baseline on that measure, red: worse, grey: the interval
    contains 0. Returns the Axes, one per measure."""
    others = [n for n in (comparison.names if names is None else names) if n != baseline]
    if not others:
        raise ValueError("no strategy to compare with the baseline")
    unknown = [m for m in measures if m not in _BETTER or m == "lam"]
    if unknown:
        raise ValueError(f"no paired difference for {unknown}: measures are "
                         f"{', '.join(m for m in _BETTER if m != 'lam')}")
    frames = {n: comparison.paired(n, baseline).set_index("measure") for n in others}
    if axes is None:
        import matplotlib.pyplot as plt

        fig, created = plt.subplots(1, len(measures), figsize=(2.6 * len(measures) + 1.6, 0.45 * len(others) + 1.5),
                                    sharey=True, layout="constrained", squeeze=False)
        axes = list(created[0])
        fig.suptitle(title or f"Paired differences from {baseline!r} (95% CI)", fontsize="medium")
    elif len(axes) != len(measures):
        raise ValueError(f"{len(measures)} measures need {len(measures)} axes, got {len(axes)}")
    ys = np.arange(len(others))[::-1]
    for ax, measure in zip(axes, measures):
        for y, name in zip(ys, others):
            row = frames[name].loc[measure]
            scale = 100 if row["unit"] == "fraction" else 1  # shown in percentage points
            d, lo, hi = (scale * float(row[c]) for c in ("difference", "ci_low", "ci_high"))
            if lo > 0 or hi < 0:
                verdict = "better" if (d > 0) == (_BETTER[measure] > 0) else "worse"
            else:
                verdict = "unclear"
            ax.errorbar([d], [y], xerr=[[d - lo], [hi - d]], fmt="o", color=DIFFERENCE_COLORS[verdict], capsize=3,
                        ms=4)
        ax.axvline(0, color="black", linewidth=0.8)
        unit = "%" if measure != "loss" else "per message"
        ax.set_xlabel(f"{measure} ({'pp' if unit == '%' else unit})", fontsize="small")
        ax.grid(alpha=0.3, axis="x")
        ax.set_yticks(ys, others)
    return list(axes)


def calibration(fit: Any, ax: Axes | None = None, title: str | None = None) -> Axes:
    """A calibration fit (:func:`delivsim.calibrate`): each target rate (hatched, with its
    95% interval when it has one) beside the simulated rate at the fitted values (solid, with
    the simulation's 95% interval), in %. Outcome targets keep their outcome's colour."""
    res = fit.residuals
    ax = _axes(ax, (1.3 * len(res) + 3.0, 3.6))
    xs = np.arange(len(res))
    width = 0.38
    for x, (_, row) in zip(xs, res.iterrows()):
        color = OUTCOME_COLORS.get(row["target"], "#616161")
        target_sd, sim_sd = float(row["target_sd"]), float(row["fitted_sd"])
        ax.bar(x - width / 2, 100 * row["target_rate"], width, color=color, alpha=0.45, hatch="//",
               edgecolor=color, label="target" if x == 0 else None,
               yerr=100 * 1.96 * target_sd if target_sd > 0 else None, capsize=3)
        ax.bar(x + width / 2, 100 * row["fitted_rate"], width, color=color, label="fitted" if x == 0 else None,
               yerr=100 * 1.96 * sim_sd, capsize=3)
        top = 100 * max(row["target_rate"], row["fitted_rate"])
        ax.text(x, top, f"{100 * row['target_rate']:.1f} / {100 * row['fitted_rate']:.1f}", ha="center",
                va="bottom", fontsize="x-small")
    ax.set_xticks(xs, list(res["target"]))
    ax.set_ylabel("share of messages (%)")
    ax.set_ylim(0, 100 * float(max(res.target_rate.max(), res.fitted_rate.max())) * 1.15 + 1)
    ax.grid(alpha=0.3, axis="y")
    params = ", ".join(f"{'.'.join(p.split('.')[-2:])} = {v:.3g} ± {fit.stderr[p]:.2g}" for p, v in fit.values.items())
    ax.set_title(title or f"Calibration: target / fitted (%)\n{params}", fontsize="small")
    ax.legend(frameon=False, fontsize="small")
    return ax
