"""Filter strategies compared on identical mail: :func:`compare` and its :class:`Comparison`.

A strategy is the receivers' policy chain: a list of policies (as in a scenario's
``"policies"``) that replaces every recipient profile's chain, or a dict profile -> list that
replaces the named profiles' chains (the others keep theirs), or None for the scenario as it
is. Every message is drawn once and delivered under every strategy with the same random
numbers, so everything that does not depend on the strategy (class, profile, address error,
size, features, DNS and MX draws...) is identical across strategies. The per-message pairing
is kept as joint counts (what a message's judgement and outcome were under strategy a and
under b), and the paired differences come from it (see :mod:`delivsim.metrics`).
"""
from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

import numpy as np

from . import _core, _progress, metrics
from ._names import lookup
from ._results import OUTCOMES, Result, _union
from ._run import DEFAULT_MESSAGES, MAX_MESSAGES, MAX_SEED, MAX_THREADS, _integer, _ProgressBar, _scenario
from ._scenario import Scenario
from . import _policy
from ._policy import Policy
from ._views import plain
from . import _html

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd

# A strategy: None (the scenario's own chains), a list of policies for every profile, or a dict
# profile -> list; a policy is a dict with a 'type' or a delivsim.Policy object.
Chain = Union[None, Sequence[Union[Mapping[str, Any], Policy]], Mapping[str, Sequence[Union[Mapping[str, Any], Policy]]]]
Costs = Optional[Mapping[str, float]]

#: The rate measures of :meth:`Comparison.to_frame` and :meth:`Comparison.paired`: truth and
#: the outcomes counted (see :data:`delivsim.metrics.OUTCOME_GROUPS`).
RATE_MEASURES: dict[str, tuple[int, tuple[str, ...]]] = {
    "legit_inbox": (0, ("inbox",)),
    "legit_lost_told": (0, metrics.OUTCOME_GROUPS["lost_told"]),
    "legit_lost_untold": (0, metrics.OUTCOME_GROUPS["lost_untold"]),
    "spam_delivered": (1, metrics.OUTCOME_GROUPS["delivered"]),
}

#: What each measure means (the frames' ``measure`` column).
MEASURES: dict[str, str] = {
    "hm": "ham misclassification: legitimate mail judged spam / legitimate mail judged (TREC)",
    "sm": "spam misclassification: spam judged ham / spam judged (TREC)",
    "lam": "logistic average of hm and sm (TREC)",
    "legit_inbox": "legitimate mail in the inbox / legitimate mail",
    "legit_lost_told": "legitimate mail bounced (the sender is told) / legitimate mail",
    "legit_lost_untold": "legitimate mail in spam folder, quarantine, deleted by a rule or silently lost "
                         "(the sender is not told) / legitimate mail",
    "spam_delivered": "spam in the inbox or moved by a rule / spam",
    "loss": "mean cost per message under the comparison's costs",
    "1-auc": "1 - area under the ROC curve of the strategy's score (TREC's 1-ROCA)",
    "sm@hm=0.1%": "spam misclassification at ham misclassification 0.1% on the score's ROC curve (TREC)",
}


def _strategy_json(name: str, chain: Chain, scenario: Scenario, hooks: dict[str, Any]) -> str:
    """The strategy as the JSON _core.compare takes; its delivsim.Policy objects go into
    ``hooks`` (name -> object), which starts with the scenario's own."""
    where = f"strategies[{name!r}]"
    if chain is None:  # the scenario's own chains, given explicitly for every profile
        return json.dumps({p: scenario.get(("recipient_profiles", p, "policies")).to_list()
                           for p in scenario.profile_names})
    if isinstance(chain, Mapping):
        if not chain:
            raise ValueError(f"{where} is empty: name at least one profile, or give a list of policies for all")
        out = {}
        for profile, policies in chain.items():
            if not isinstance(profile, str):
                raise TypeError(f"{where}: profile names are strings, not {type(profile).__name__}")
            if profile not in scenario.profile_names:
                raise ValueError(f"{where}: {profile!r} is not a recipient profile "
                                 f"(profiles: {', '.join(scenario.profile_names)})")
            out[profile] = _policies(f"{where}[{profile!r}]", policies, hooks)
        return json.dumps(out)
    return json.dumps(_policies(where, chain, hooks))


def _policies(where: str, policies: Any, hooks: dict[str, Any]) -> list[Any]:
    if isinstance(policies, (str, bytes)) or not isinstance(policies, Sequence):
        raise TypeError(f"{where} must be a list of policies (dicts with a 'type'), a dict profile -> list, or None; "
                        f"not {type(policies).__name__}")
    out = []
    for i, p in enumerate(policies):
        if isinstance(p, Policy):  # a custom policy written in Python: the chain names it
            p = _policy.check(p)
            if hooks.setdefault(p.name, p) is not p:
                raise ValueError(f"{where}[{i}]: another Python policy is already named {p.name!r} in this "
                                 "comparison (its scenario or another strategy): give this one another name")
            out.append(p.to_dict())
            continue
        if not isinstance(p, Mapping):
            raise TypeError(f"{where}[{i}] must be a policy (a dict with a 'type'), not {type(p).__name__}")
        out.append(plain(p, f"{where}[{i}]"))
    return out


def _strategy_scenario(scenario: Scenario, chain: Chain) -> Scenario:
    """The scenario a strategy amounts to: its chains in place of the profiles' own."""
    if chain is None:
        return scenario
    edited = scenario.copy()
    for policies in (chain.values() if isinstance(chain, Mapping) else [chain]):
        for p in policies:
            if isinstance(p, Policy):
                edited._register_policy(p)
    if isinstance(chain, Mapping):
        for profile, policies in chain.items():
            edited.set(("recipient_profiles", profile, "policies"), _plain_chain(policies))
    else:
        for profile in edited.profile_names:
            edited.set(("recipient_profiles", profile, "policies"), _plain_chain(chain))
    return edited


#: The score-based policies (the first in a chain decides its content verdict, as in the
#: engine's score_policy) and the scale each one's score is on. Scores on different scales
#: (content points, rule points, rspamd points, log-odds) cannot share one ROC threshold.
SCORE_SCALES: dict[str, str] = {
    "content_filter": "content score (points)",
    "rule_score": "rule_score points",
    "rspamd": "rspamd points",
    "logistic": "logistic log-odds",
}


def _score_policy(policies: Any) -> str | None:
    """The type of a chain's score-based policy (looking into gateways), or None."""
    for p in policies or []:
        kind = p.get("type") if isinstance(p, Mapping) else None
        if kind in SCORE_SCALES:
            return str(kind)
        if kind == "gateway":
            inner = _score_policy(p.get("policies"))
            if inner is not None:
                return inner
    return None


def _copy_chain(chain: Chain, where: str) -> Chain:
    """A copy of a strategy: its dicts as plain JSON, its delivsim.Policy objects kept."""
    if chain is None:
        return None
    if isinstance(chain, Mapping):
        return {p: _copy_chain(c, f"{where}.{p}") for p, c in chain.items()}  # type: ignore[misc]
    return [p if isinstance(p, Policy) else plain(p, f"{where}[{i}]") for i, p in enumerate(chain)]


def _plain_chain(policies: Any) -> list[Any]:
    """A chain as the document holds it: a Python policy as its entry."""
    return [p.to_dict() if isinstance(p, Policy) else plain(p) for p in policies]


class Comparison:
    """Strategies run on the same messages: returned by :func:`compare`.

    - ``names``, ``strategies`` (name -> chain), ``scenario``, ``seed``, ``messages``, ``costs``;
    - ``to_frame()``: per strategy hm, sm, lam (TREC) with 95% intervals, legitimate inbox
      placement, legitimate mail lost with and without the sender told, spam delivered, the
      cost-weighted loss, and 1-AUC and sm at hm = 0.1% for score-based strategies;
      ``summary()`` the same values as one row per strategy;
    - ``paired(a, b)``: the differences a - b with intervals from the per-message pairing;
    - ``roc(name)``: the ROC curve of a score-based strategy (``fpr``/``tpr`` arrays);
    - ``results[name]``: each strategy's run as a :class:`Result`;
    - ``judged(a, b)`` and ``outcome_joint(a, b)``: the joint counts behind the pairing;
    - ``+`` merges comparisons of disjoint message ranges; pickles.
    """

    __slots__ = ("_scenario", "_seed", "_ranges", "_core", "_strategies", "_costs", "_results", "_truth")

    def __init__(self, scenario: Scenario, seed: int, message_ranges: Sequence[tuple[int, int]], core: Any,
                 strategies: Mapping[str, Chain], costs: Costs = None) -> None:
        if not isinstance(scenario, Scenario):
            raise TypeError(f"scenario must be a delivsim.Scenario, not {type(scenario).__name__}")
        needed = ("names", "messages", "tally", "judged", "outcome_joint", "score_histogram", "score_bin_edges")
        if not all(hasattr(core, attribute) for attribute in needed):
            raise TypeError(f"core must be a delivsim._core.Comparison (from delivsim.compare), not {type(core).__name__}")
        if not isinstance(strategies, Mapping):
            raise TypeError(f"strategies must be a dict name -> chain, not {type(strategies).__name__}")
        names = list(strategies)
        if list(core.names) != names:
            raise ValueError(f"the comparison's strategies {list(core.names)} are not {names}")
        metrics.cost_matrix(costs)  # check now, naming the bad key
        self._scenario = scenario._snapshot()
        self._seed = int(seed)
        self._ranges = tuple((int(a), int(b)) for a, b in message_ranges)
        if sum(b - a for a, b in self._ranges) != core.messages:
            raise ValueError("message_ranges do not cover the comparison's messages")
        self._core = core
        # Copies (plain JSON, and the delivsim.Policy objects): what was run, unaffected by
        # later edits of the caller's lists.
        self._strategies: dict[str, Chain] = {n: _copy_chain(strategies[n], n) for n in names}
        self._costs = None if costs is None else dict(costs)
        self._results: dict[str, Result] | None = None
        # The truth of each sender class: legitimate (0) or spam (1).
        self._truth = np.array([0 if c["legit"] else 1 for c in self._scenario.to_dict()["sender_classes"]])

    # --- what was compared ---------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return list(self._strategies)

    @property
    def strategies(self) -> dict[str, Chain]:
        """Each strategy's chain as given (None: the scenario's own chains)."""
        return dict(self._strategies)

    @property
    def scenario(self) -> Scenario:
        return self._scenario

    @property
    def seed(self) -> int:
        return self._seed

    @property
    def messages(self) -> int:
        return int(self._core.messages)

    @property
    def message_ranges(self) -> tuple[tuple[int, int], ...]:
        return self._ranges

    @property
    def costs(self) -> dict[str, float]:
        """The costs of each kind of error used by ``loss`` (see
        :func:`delivsim.metrics.cost_matrix`; the default counts every misplaced message 1)."""
        return dict(metrics.DEFAULT_COSTS if self._costs is None else self._costs)

    def with_costs(self, costs: Costs) -> Comparison:
        """The same comparison with other costs (no simulation)."""
        return Comparison(self._scenario, self._seed, self._ranges, self._core, self._strategies, costs)

    def _index(self, name: str) -> int:
        return lookup("strategy", name, self.names)

    def score_policies(self, name: str) -> dict[str, str | None]:
        """Per recipient profile, the type of the score-based policy that judges its mail under
        strategy ``name`` (None: the profile's chain has none)."""
        self._index(name)
        chain = self._strategies[name]
        out: dict[str, str | None] = {}
        for profile in self._scenario.profile_names:
            if chain is None or (isinstance(chain, Mapping) and profile not in chain):
                policies = self._scenario.get(("recipient_profiles", profile, "policies")).to_list()
            else:
                policies = _plain_chain(chain[profile] if isinstance(chain, Mapping) else chain)  # type: ignore[index]
            out[profile] = _score_policy(policies)
        return out

    def score_scales(self, name: str) -> dict[str, str]:
        """The scale of each scored profile's score under strategy ``name`` (profiles without a
        score-based policy left out): see :data:`SCORE_SCALES`."""
        return {p: SCORE_SCALES[t] for p, t in self.score_policies(name).items() if t is not None}

    # --- the counts ----------------------------------------------------------------------
    def judged(self, a: str, b: str | None = None) -> npt.NDArray[np.uint64]:
        """Messages by [truth: legit, spam][judgement under a][judgement under b], judgements
        :data:`delivsim.metrics.JUDGEMENTS` (not judged, judged ham, judged spam). With one
        name: the (2, 3) table of that strategy."""
        i = self._index(a)
        joint = np.asarray(self._core.judged(i, i if b is None else self._index(b)), dtype=np.uint64).reshape(2, 3, 3)
        return joint.sum(axis=2, dtype=np.uint64) if b is None else joint

    def outcome_joint(self, a: str, b: str | None = None) -> npt.NDArray[np.uint64]:
        """Messages by [truth][outcome under a][outcome under b] (2, 7, 7). With one name: the
        (2, 7) table of that strategy's outcomes by truth."""
        i = self._index(a)
        n = len(OUTCOMES)
        joint = np.asarray(self._core.outcome_joint(i, i if b is None else self._index(b)),
                           dtype=np.uint64).reshape(2, n, n)
        return joint.sum(axis=2, dtype=np.uint64) if b is None else joint

    def score_histogram(self, name: str, profile: str | None = None
                        ) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64], npt.NDArray[np.float64]] | None:
        """(legit, spam, edges): the strategy's score histograms of legitimate mail and spam
        over bins with ``edges`` (first -inf, last +inf: the under- and overflow bins), of one
        recipient ``profile`` or of all; None for a strategy without a score-based policy (in
        that profile). The histograms of all profiles add scores of every profile's policy,
        whatever their scales (:meth:`roc` checks them)."""
        hist = self._core.score_histogram(self._index(name))
        if hist is None:
            return None
        hist = np.asarray(hist, dtype=np.uint64)
        if hist.size == 0:
            return None
        profiles = self._scenario.profile_names
        hist = hist.reshape(len(self._truth), len(profiles), -1)
        if profile is None:
            hist = hist.sum(axis=1, dtype=np.uint64)
        else:
            p = lookup("recipient profile", profile, profiles)
            if self.score_policies(name)[profile] is None:
                return None
            hist = hist[:, p, :]
        bins = hist.shape[1]
        edges = np.asarray(self._core.score_bin_edges, dtype=float)
        if edges.shape == (bins - 1,):  # the regular bins' edges: add the under- and overflow bins'
            edges = np.concatenate([[-math.inf], edges, [math.inf]])
        if edges.shape != (bins + 1,):
            raise RuntimeError(f"score histogram of {bins} bins with {edges.size} edges")
        legit = hist[self._truth == 0].sum(axis=0, dtype=np.uint64)
        spam = hist[self._truth == 1].sum(axis=0, dtype=np.uint64)
        return legit, spam, edges

    # --- measures ------------------------------------------------------------------------
    def trec(self, name: str) -> metrics.TrecMeasures:
        """hm, sm and lam of one strategy, with their counts and intervals."""
        return metrics.trec(self.judged(name))

    def roc(self, name: str, profile: str | None = None) -> metrics.Roc:
        """The ROC curve of a score-based strategy's score (``.fpr``, ``.tpr``, ``.thresholds``),
        over every message of ``profile`` (default: of every profile whose chain has a
        score-based policy), scored whether or not delivery reached the policy; see
        :func:`delivsim.metrics.roc` for the interpolation.

        One threshold across profiles only means something if their scores are on one scale:
        without ``profile``, a strategy whose profiles are judged by scores on different scales
        (e.g. a logistic model's log-odds for one profile, content scores for the others) raises
        ValueError naming them; ask for each profile's curve instead."""
        scales = self.score_scales(name) if self._core.score_histogram(self._index(name)) is not None else {}
        if profile is not None:
            lookup("recipient profile", profile, self._scenario.profile_names)
        if not scales or (profile is not None and profile not in scales):
            where = "" if profile is None else f" for profile {profile!r}"
            raise ValueError(f"strategy {name!r} has no score-based policy{where} (rule_score, logistic, rspamd, "
                             f"content_filter...): it records no scores, so it has no ROC curve")
        if profile is None and len(set(scales.values())) > 1:
            listed = "; ".join(f"{p}: {s}" for p, s in scales.items())
            raise ValueError(f"strategy {name!r} judges its profiles by scores on different scales ({listed}): "
                             "one threshold across them means nothing, so there is no combined ROC curve; use "
                             "roc(name, profile=...) for each profile")
        h = self.score_histogram(name, profile)
        assert h is not None
        return metrics.roc(*h)

    def roc_measures(self, percent: bool = False) -> pd.DataFrame:
        """1-AUC and sm at hm = 0.1% of every score-based strategy, per recipient profile
        (``profile``) and combined (``profile`` "all", only when every scored profile's score
        is on one scale). Columns: strategy, profile, scale, 1-auc, sm@hm=0.1% (fractions, or %
        with ``percent``)."""
        import pandas as pd

        k = 100.0 if percent else 1.0
        rows = []
        for name in self.names:
            scales = self.score_scales(name) if self.score_histogram(name) is not None else {}
            groups = list(scales) + (["all"] if scales and len(set(scales.values())) == 1 else [])
            for profile in groups:
                curve = self.roc(name, None if profile == "all" else profile)
                scale = scales[profile] if profile != "all" else next(iter(scales.values()))
                rows.append((name, profile, scale, k * (1 - metrics.auc(curve)), k * metrics.sm_at_hm(curve, 0.001)))
        return pd.DataFrame(rows, columns=["strategy", "profile", "scale", "1-auc", "sm@hm=0.1%"])

    def loss(self, name: str, costs: Costs = None) -> metrics.Estimate:
        """The mean cost per message of a strategy (``costs`` default: the comparison's)."""
        return metrics.expected_cost(self.outcome_joint(name), self._costs if costs is None else costs)

    def to_frame(self, costs: Costs = None, *, percent: bool = False) -> pd.DataFrame:
        """A tidy frame, one row per strategy and measure: ``strategy``, ``measure`` (see
        :data:`MEASURES`), ``value``, the 95% interval ``ci_low``, ``ci_high`` (rates as
        fractions, as in every frame; ``percent=True`` shows them in %), ``count`` and ``of``
        (the rate's numerator and denominator), ``unit`` ("fraction", "%" or "per message").
        lam's interval is the delta method on the logit scale; 1-AUC and sm@hm=0.1%
        (score-based strategies whose profiles share one score scale; see :meth:`roc_measures`
        for each profile) have none; loss's is the normal interval of a mean."""
        import pandas as pd

        k, unit = (100.0, "%") if percent else (1.0, "fraction")
        rows = []
        for name in self.names:
            t = self.trec(name)
            rows.append((name, "hm", *(k * v for v in t.hm), t.ham_as_spam, t.ham_judged, unit))
            rows.append((name, "sm", *(k * v for v in t.sm), t.spam_as_ham, t.spam_judged, unit))
            rows.append((name, "lam", *(k * v for v in t.lam), None, None, unit))
            by_truth = self.outcome_joint(name)
            for measure, (truth, outcomes) in RATE_MEASURES.items():
                x = int(sum(by_truth[truth, OUTCOMES.index(o)] for o in outcomes))
                n = int(by_truth[truth].sum())
                rows.append((name, measure, *(k * v for v in metrics.wilson(x, n)), x, n, unit))
            rows.append((name, "loss", *self.loss(name, costs), None, self.messages, "per message"))
            scales = set(self.score_scales(name).values())
            if len(scales) == 1 and self.score_histogram(name) is not None:
                curve = self.roc(name)
                rows.append((name, "1-auc", k * (1 - metrics.auc(curve)), math.nan, math.nan, None, None, unit))
                rows.append((name, "sm@hm=0.1%", k * metrics.sm_at_hm(curve, 0.001), math.nan, math.nan, None, None,
                             unit))
        frame = pd.DataFrame(rows, columns=["strategy", "measure", "value", "ci_low", "ci_high", "count", "of", "unit"])
        return frame.astype({"count": "Int64", "of": "Int64"})

    def summary(self, costs: Costs = None, *, percent: bool = False) -> pd.DataFrame:
        """One row per strategy, one column per measure (the values of :meth:`to_frame`:
        fractions, or % with ``percent``)."""
        frame = self.to_frame(costs, percent=percent)
        wide = frame.pivot(index="strategy", columns="measure", values="value")
        order = [m for m in MEASURES if m in wide.columns]
        return wide.loc[self.names, order].rename_axis(columns=None)

    def paired(self, a: str, b: str, costs: Costs = None, *, percent: bool = False) -> pd.DataFrame:
        """The differences a - b, one row per measure, with 95% intervals from the pairing of
        the messages (not from two independent intervals):

        - ``hm``, ``sm``: over the messages both strategies judged (see
          :func:`delivsim.metrics.paired_trec`), and the rates (``legit_inbox``, ...): over all
          messages of that truth; Newcombe's hybrid score interval for paired proportions
          (method 10), from the discordant counts ``a_only`` and ``b_only``;
        - ``loss``: the mean per-message cost difference and its normal interval.

        Columns: measure, a, b (each strategy's value on those messages), difference, ci_low,
        ci_high (rates as fractions; in % with ``percent``), n (messages paired), a_only, b_only
        (the discordant messages: counted
        by a's rate and not b's, and the reverse; for loss, the messages that cost more under a,
        and under b), unit, method."""
        import pandas as pd

        self._index(a), self._index(b)  # KeyError naming an unknown strategy
        rows = []
        k, unit = (100.0, "%") if percent else (1.0, "fraction")
        newcombe = "Newcombe hybrid score, paired (method 10)"
        for measure, d in metrics.paired_trec(self.judged(a, b)).items():
            rows.append((measure, k * d.p_a, k * d.p_b, k * d.difference, k * d.ci_low, k * d.ci_high,
                         d.n, d.a_only, d.b_only, unit, newcombe))
        joint = self.outcome_joint(a, b)
        for measure, (truth, outcomes) in RATE_MEASURES.items():
            idx = [OUTCOMES.index(o) for o in outcomes]
            d = metrics.paired_difference(*metrics.paired_table(joint[truth], in_a=idx))
            rows.append((measure, k * d.p_a, k * d.p_b, k * d.difference, k * d.ci_low, k * d.ci_high,
                         d.n, d.a_only, d.b_only, unit, newcombe))
        c = self._costs if costs is None else costs
        la, lb = self.loss(a, c).value, self.loss(b, c).value
        diff = metrics.paired_cost(joint, c)
        matrix = metrics.cost_matrix(c)
        dearer = matrix[:, :, None] - matrix[:, None, :]  # [truth][outcome under a][under b]: a's cost - b's
        a_dearer, b_dearer = int(joint[dearer > 0].sum()), int(joint[dearer < 0].sum())
        rows.append(("loss", la, lb, *diff, self.messages, a_dearer, b_dearer, "per message",
                     "normal, mean of paired differences"))
        frame = pd.DataFrame(rows, columns=["measure", "a", "b", "difference", "ci_low", "ci_high", "n", "a_only",
                                            "b_only", "unit", "method"])
        frame.attrs["delivsim"] = {"a": a, "b": b}
        return frame

    # --- results per strategy ------------------------------------------------------------
    @property
    def results(self) -> dict[str, Result]:
        """Each strategy's run as a :class:`Result` (its scenario has the strategy's chains):
        outcomes by class and profile, bounces, acceptance times, ``explain``."""
        if self._results is None:
            self._results = {
                name: Result(_strategy_scenario(self._scenario.copy(), chain), self._seed, self._ranges,
                             self._core.tally(i))
                for i, (name, chain) in enumerate(self._strategies.items())
            }
        return dict(self._results)

    # --- plots ---------------------------------------------------------------------------
    def plot_roc(self, names: Sequence[str] | None = None, ax: Any = None, **kwargs: Any) -> Any:
        """ROC curves of the score-based strategies (``profile=`` for one profile's mail):
        :func:`delivsim.plot.roc`."""
        from . import plot

        return plot.roc(self, names=names, ax=ax, **kwargs)

    def plot_paired(self, baseline: str, **kwargs: Any) -> Any:
        """Each strategy against ``baseline``, a forest plot: :func:`delivsim.plot.paired`."""
        from . import plot

        return plot.paired(self, baseline=baseline, **kwargs)

    # --- merging, equality, pickling -----------------------------------------------------
    def __add__(self, other: object) -> Comparison:
        if not isinstance(other, Comparison):
            return NotImplemented
        if other._scenario != self._scenario or other._seed != self._seed:
            raise ValueError("comparisons of different scenarios or seeds cannot be merged")
        if other._strategies != self._strategies:
            raise ValueError("comparisons of different strategies cannot be merged")
        ranges = _union(self._ranges, other._ranges)
        return Comparison(self._scenario, self._seed, ranges, self._core + other._core, self._strategies, self._costs)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Comparison):
            return NotImplemented
        return (self._seed == other._seed and self._ranges == other._ranges and self._scenario == other._scenario
                and self._strategies == other._strategies and self._costs == other._costs
                and _same_counts(self._core, other._core))

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (Comparison, (self._scenario, self._seed, self._ranges, self._core, self._strategies, self._costs))

    def _repr_html_(self) -> str:
        rows = []
        for name in self.names:
            t = self.trec(name)
            by_truth = self.outcome_joint(name)
            cells = [_html.escape(name), _html.percent(*t.hm, digits=3), _html.percent(*t.sm, digits=3),
                     _html.percent(*t.lam, digits=3)]
            for measure in ("legit_inbox", "legit_lost_untold", "spam_delivered"):
                truth, outcomes = RATE_MEASURES[measure]
                x = int(sum(by_truth[truth, OUTCOMES.index(o)] for o in outcomes))
                cells.append(_html.percent(*metrics.wilson(x, int(by_truth[truth].sum())), digits=3))
            loss = self.loss(name)
            cells.append(f"{loss.value:.4g} "
                         f'<span style="color:#757575;font-size:0.85em">[{loss.ci_low:.4g}, {loss.ci_high:.4g}]</span>')
            rows.append(cells)
        return _html.block(
            f"Comparison of {len(self.names)} strategies on {self._scenario.name!r}: seed {self._seed}, "
            f"{self.messages:,} messages",
            _html.table(["strategy", "hm", "sm", "lam", "legit_inbox", "legit_lost_untold", "spam_delivered",
                         "loss"], rows),
            note="95% intervals in brackets; hm, sm and lam as in TREC (see delivsim.metrics); loss per message.")

    def __repr__(self) -> str:
        lines = [f"<Comparison of {len(self.names)} strategies on {self._scenario.name!r}, seed={self._seed}, "
                 f"messages={self.messages:,}"]
        for name in self.names:
            t = self.trec(name)
            loss = self.loss(name).value
            lines.append(f"  {name}: hm {100 * t.hm.value:.3f}%, sm {100 * t.sm.value:.3f}%, "
                         f"lam {100 * t.lam.value:.3f}%, loss {loss:.4g}")
        return "\n".join(lines) + ">"


def _same_counts(a: Any, b: Any) -> bool:
    """Whether two core comparisons hold the same counts (table by table: the binding's own
    equality, where it has one, is the same test)."""
    names = list(a.names)
    if names != list(b.names) or a.messages != b.messages:
        return False
    k = len(names)
    for i in range(k):
        if a.tally(i) != b.tally(i):
            return False
        ha, hb = a.score_histogram(i), b.score_histogram(i)
        if (ha is None) != (hb is None) or (ha is not None and not np.array_equal(np.asarray(ha), np.asarray(hb))):
            return False
        for j in range(i, k):
            if not (np.array_equal(np.asarray(a.judged(i, j)), np.asarray(b.judged(i, j)))
                    and np.array_equal(np.asarray(a.outcome_joint(i, j)), np.asarray(b.outcome_joint(i, j)))):
                return False
    return True


def compare(
    scenario: Scenario | None = None,
    strategies: Mapping[str, Chain] | None = None,
    messages: int = DEFAULT_MESSAGES,
    seed: int = 1,
    threads: int | None = None,
    progress: Union[bool, None, Callable[[int, int], object]] = False,
    costs: Costs = None,
    *,
    first_message: int = 0,
) -> Comparison:
    """Run every strategy on exactly the same messages of ``scenario`` (default R1) and
    compare them.

    ``strategies`` is a dict name -> chain, where a chain is a list of policies (dicts as in
    a scenario's ``"policies"``, e.g. ``[{"type": "dnsbl"}, {"type": "rspamd", "preset":
    "rspamd_default"}]``) replacing every recipient profile's chain, or a dict profile name ->
    list replacing only those profiles' chains, or None for the scenario's own chains.
    Message i is drawn once from (seed, i) and delivered under each strategy with the same
    random numbers (common random numbers): whatever does not depend on the strategy is the
    same for every strategy, so the differences between strategies are what the strategies did
    to the same mail. The cost of K strategies is well under K runs (the message is generated
    once; chains that are the same object are delivered once).

    ``costs`` (see :func:`delivsim.metrics.cost_matrix`) prices each kind of error for the
    ``loss`` measure, e.g. ``{"legit_lost_untold": 10, "legit_lost_told": 3, "spam_delivered": 1}``.
    ``threads``, ``progress`` and ``first_message`` are as in :func:`delivsim.run`; the result
    never depends on ``threads``. Bad input raises naming the strategy and field
    (``strategies.<name>[i].<field>``).

    (To compare whole scenarios, use :func:`delivsim.compare_scenarios`.)
    """
    if isinstance(scenario, Mapping) or (isinstance(scenario, Sequence) and not isinstance(scenario, (str, bytes))):
        raise TypeError("compare(scenario, strategies={...}) compares filter strategies on one scenario; "
                        "to compare whole scenarios use delivsim.compare_scenarios(scenarios)")
    scenario = _scenario(scenario)
    if strategies is None or not isinstance(strategies, Mapping):
        raise TypeError("strategies must be a dict name -> chain (a list of policies, a dict profile -> list, "
                        f"or None), not {type(strategies).__name__}")
    if not strategies:
        raise ValueError("strategies: at least one strategy is needed")
    for name in strategies:
        if not isinstance(name, str):
            raise TypeError(f"strategies: names are strings, not {type(name).__name__} ({name!r})")
        if not name:
            raise ValueError("strategies: a strategy name must not be empty")
    messages = _integer("messages", messages, 0, MAX_MESSAGES)
    seed = _integer("seed", seed, 0, MAX_SEED)
    threads = _integer("threads", (os.cpu_count() or 1) if threads is None else threads, 1, MAX_THREADS)
    first_message = _integer("first_message", first_message, 0, MAX_MESSAGES)
    if first_message + messages > MAX_MESSAGES + 1:
        raise ValueError(f"first_message + messages must be at most 2**63, got {first_message + messages}")
    metrics.cost_matrix(costs)
    names = list(strategies)
    hooks: dict[str, Any] = dict(scenario.python_policies)
    chains = [_strategy_json(n, strategies[n], scenario, hooks) for n in names]
    core_scenario = scenario._validated()

    bar = _progress.new_bar(messages, _ProgressBar, desc="compare") if progress is True else None
    report = bar if bar is not None else progress
    if not (callable(report) or report is False or report is None):
        raise TypeError(f"progress must be a bool or a callable progress(done, total), not {type(progress).__name__}")
    callback = (lambda done: report(done, messages)) if callable(report) else None
    try:
        core = _core.compare(core_scenario, names, chains, messages, seed, first_message=first_message,
                             threads=threads, progress=callback, policies=hooks)
    finally:
        if bar is not None:
            bar.close()
    return Comparison(scenario, seed, ((first_message, first_message + messages),), core, strategies, costs)

