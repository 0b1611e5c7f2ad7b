"""The seed's tips as paired what-ifs: each piece of advice a sender gets ("ask recipients to
check spam", "verify your addresses", "get delisted", ...) is an edit of the scenario for one sender class, run on the
same messages as the scenario as it is (:func:`delivsim.compare_scenarios` with
``paired=True``), and ranked by the inbox share it gains for that class, with a paired 95%
interval. docs/python.md ("Tips") gives each tip's edit and its assumptions.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Optional

from ._run import DEFAULT_MESSAGES, _scenario
from ._scenario import Scenario, parse_scenario

if TYPE_CHECKING:
    import pandas as pd

#: A message this large or larger is taken to carry a large attachment; the tip sends a link
#: instead and the message shrinks to this size (an assumption: 1 MB is under every common
#: size limit, and above a typical message with a link).
LARGE_MESSAGE_BYTES = 1_000_000

#: The share of a class's recipients who act on a request ("check your spam folder", "add us to
#: your contacts"): an assumption (no published rate), applied where the class's own share is lower.
ACTING_SHARE = 0.25

#: A tip: (name, what it does, the edit of the class's JSON dict, or of the whole document).
Edit = Callable[[dict[str, Any], dict[str, Any]], None]


def _check_spam(cls: dict[str, Any], doc: dict[str, Any]) -> None:
    habits = dict(cls.get("recipients", {}))
    habits["rescue"] = max(float(habits.get("rescue", 0.0)), ACTING_SHARE)
    cls["recipients"] = habits


def _safe_senders(cls: dict[str, Any], doc: dict[str, Any]) -> None:
    habits = dict(cls.get("recipients", {}))
    habits["safe_sender"] = max(float(habits.get("safe_sender", 0.0)), ACTING_SHARE)
    cls["recipients"] = habits


def _verify_addresses(cls: dict[str, Any], doc: dict[str, Any]) -> None:
    cls["address_error"] = {**cls["address_error"], "probability": 0.0}


def _avoid_large_attachments(cls: dict[str, Any], doc: dict[str, Any]) -> None:
    sizes: dict[int, float] = {}
    for entry in cls["size_bytes"]:
        b = min(int(entry["bytes"]), LARGE_MESSAGE_BYTES)
        sizes[b] = sizes.get(b, 0.0) + float(entry["weight"])
    cls["size_bytes"] = [{"bytes": b, "weight": w} for b, w in sizes.items()]
    cls.pop("attachment", None)


def _avoid_spam_content(cls: dict[str, Any], doc: dict[str, Any]) -> None:
    score = cls["content_score"]
    cls["content_score"] = {**score, "mean": min(float(score["mean"]), 0.0)}
    features = cls.get("features")
    if isinstance(features, dict):
        if "promo_phrases" in features:
            features["promo_phrases"] = {"poisson": 0.0}
        if "url_listed" in features:
            features["url_listed"] = 0.0


def _fix_authentication(cls: dict[str, Any], doc: dict[str, Any]) -> None:
    cls.pop("authentication", None)
    cls["dmarc"] = {"pass": 1.0}


def _get_delisted(cls: dict[str, Any], doc: dict[str, Any]) -> None:
    cls["ip_listed"] = 0.0


#: The tips, in the order of the issue's list; each is applied only where it changes the scenario.
TIPS: list[tuple[str, str, Edit]] = [
    ("check_spam", f"ask recipients to check the spam folder ({ACTING_SHARE:.0%} find the message and mark it "
     "not spam, a day later)", _check_spam),
    ("safe_senders", f"ask to be added to safe senders or contacts ({ACTING_SHARE:.0%} of recipients; only "
     "receivers that honour the list skip the spam folder)", _safe_senders),
    ("verify_addresses", "verify addresses before sending (no address errors)", _verify_addresses),
    ("avoid_large_attachments",
     f"send links instead of large attachments (messages capped at {LARGE_MESSAGE_BYTES} bytes, no attachments)",
     _avoid_large_attachments),
    ("avoid_spam_content", "avoid spam-like content (content score mean at most 0; no promotional phrases "
     "or blocklisted URLs)", _avoid_spam_content),
    ("fix_authentication", "fix SPF, DKIM and DMARC (every message passes DMARC)", _fix_authentication),
    ("get_delisted", "get delisted and warm up the sending IPs (no DNSBL listing)", _get_delisted),
]


def tip_scenarios(scenario: Scenario, sender_class: str) -> dict[str, tuple[str, Scenario]]:
    """Each tip that changes ``scenario`` for ``sender_class``: name -> (description, the
    edited scenario)."""
    doc = scenario.to_dict()
    names = [c["name"] for c in doc["sender_classes"]]
    if sender_class not in names:
        raise KeyError(f"no sender class {sender_class!r} (valid: {', '.join(names)})")
    index = names.index(sender_class)
    out = {}
    for name, description, edit in TIPS:
        edited = copy.deepcopy(doc)
        edit(edited["sender_classes"][index], edited)
        if edited != doc:
            out[name] = (description, parse_scenario(edited, scenario.python_policies or None))
    return out


def tips(
    scenario: Optional[Scenario] = None,
    *,
    sender_class: str,
    messages: int = DEFAULT_MESSAGES,
    seed: int = 1,
    threads: Optional[int] = None,
    progress: Any = False,
) -> pd.DataFrame:
    """The tips for ``sender_class``, ranked by the inbox share they gain for that class.

    Every tip is the scenario edited for that class only (see :data:`TIPS`); the scenario as
    it is and every tip that changes it run side by side on the same messages
    (``compare_scenarios(..., paired=True)``), so each gain is a paired difference with a
    paired 95% interval, far narrower than two independent runs'. Returns a frame, best tip
    first: tip, description, inbox (the class's inbox share with the tip), gain (the change
    in that share) and its interval ci_low, ci_high, then n (the class's messages) and
    better / worse (messages that reach the inbox only with / only without the tip)."""
    import pandas as pd

    from ._sweep import _paired_rows, compare_scenarios

    base = _scenario(scenario)
    if not isinstance(sender_class, str):
        raise TypeError(f"sender_class must be a class name (str), not {type(sender_class).__name__}")
    edited = tip_scenarios(base, sender_class)
    columns = ["tip", "description", "inbox", "gain", "ci_low", "ci_high", "n", "better", "worse"]
    if not edited:
        return pd.DataFrame(columns=columns)
    scenarios = {"as is": base, **{name: s for name, (_, s) in edited.items()}}
    frame = compare_scenarios(scenarios, messages=messages, seed=seed, threads=threads, progress=progress,
                              column="tip", paired=True)
    rows = []
    for name, (description, _) in edited.items():
        d = _paired_rows(frame, name, "as is")[("class", sender_class, "inbox")]
        rows.append({"tip": name, "description": description, "inbox": d.p_a, "gain": d.difference,
                     "ci_low": d.ci_low, "ci_high": d.ci_high, "n": d.n, "better": d.a_only, "worse": d.b_only})
    out = pd.DataFrame(rows, columns=columns).sort_values("gain", ascending=False, kind="stable")
    out = out.reset_index(drop=True)
    out.attrs["delivsim"] = {"sender_class": sender_class, "seed": seed, "messages": frame.attrs["delivsim"]["messages"],
                             "comparison": frame}
    return out
