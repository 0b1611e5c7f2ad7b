"""Rich display in Jupyter: small HTML tables for the ``_repr_html_`` of scenarios, results,
comparisons and worlds. Plain HTML with inline styles (no CSS or JavaScript), every text
escaped; rates are shown in % with their 95% interval, as a display choice only (the objects
and their frames hold fractions)."""
from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

_TABLE = 'style="border-collapse:collapse;font-size:0.9em;margin:0.3em 0"'
_CELL = 'style="padding:0.15em 0.6em;text-align:{align};border-bottom:1px solid #ddd"'


def escape(value: Any) -> str:
    return html.escape(str(value), quote=True)


def percent(rate: float, low: float | None = None, high: float | None = None, digits: int = 2) -> str:
    """A rate as "63.83% [63.62, 64.04]" (HTML), the interval smaller and grey; "–" for NaN."""
    if rate is None or (isinstance(rate, float) and math.isnan(rate)):
        return "–"
    text = f"{100 * rate:.{digits}f}%"
    if low is not None and high is not None and not (math.isnan(low) or math.isnan(high)):
        text += f' <span style="color:#757575;font-size:0.85em">[{100 * low:.{digits}f}, {100 * high:.{digits}f}]</span>'
    return text


def number(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return escape(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return "–" if math.isnan(value) else f"{value:.4g}"
    return escape(value)


def table(header: Sequence[str], rows: Iterable[Sequence[str]], caption: str | None = None,
          raw: bool = True, text_columns: Sequence[int] = (0,)) -> str:
    """A table: ``header`` escaped; the cells are HTML already (``raw``) or escaped. The
    ``text_columns`` (default the first) are left-aligned, the others right-aligned (numbers)."""
    def cell(tag: str, i: int, content: str) -> str:
        style = _CELL.format(align="left" if i in text_columns else "right")
        return f"<{tag} {style}>{content}</{tag}>"

    out = [f"<table {_TABLE}>"]
    if caption:
        out.append(f'<caption style="text-align:left;font-weight:bold;caption-side:top">{escape(caption)}</caption>')
    out.append("<tr>" + "".join(cell("th", i, escape(h)) for i, h in enumerate(header)) + "</tr>")
    for row in rows:
        out.append("<tr>" + "".join(cell("td", i, c if raw else escape(c)) for i, c in enumerate(row)) + "</tr>")
    out.append("</table>")
    return "".join(out)


def block(title: str, *parts: str, note: str | None = None) -> str:
    """A titled block of tables, as one notebook output."""
    body = "".join(parts)
    foot = f'<div style="color:#757575;font-size:0.85em">{escape(note)}</div>' if note else ""
    return f'<div class="delivsim"><div style="font-weight:bold">{escape(title)}</div>{body}{foot}</div>'


def outcome_table(report: dict[str, Any], outcomes: Sequence[str], classes: Sequence[str],
                  profiles: Sequence[str], class_label: str = "class", profile_label: str = "profile") -> str:
    """The rates of each outcome with their intervals, overall, by class and by profile, from
    a report (``Tally.report_json``: a run's, or a world's with senders and receivers)."""
    groups = [("all mail", report["outcomes"], report["rates"])]
    groups += [(f"{class_label} {c}", report["by_class"][c], report["rates_by_class"][c]) for c in classes]
    groups += [(f"{profile_label} {p}", report["by_profile"][p], report["rates_by_profile"][p]) for p in profiles]
    rows = [[escape(name), number(sum(counts.values()))]
            + [percent(rates[o]["rate"], *rates[o]["ci95"]) for o in outcomes]
            for name, counts, rates in groups]
    return table(["group", "messages", *outcomes], rows)


def world(world: Any) -> str:
    """A world: its size, senders and receiving domains."""
    import json

    doc = json.loads(world.to_json())
    days = doc.get("duration_s", 0) / 86400
    senders = [[escape(x.get("name")), escape(x.get("class")), escape(x.get("domain")), number(len(x.get("ips", []))),
                number(len(x.get("schedule", [])))] for x in doc.get("senders", [])]
    receivers = [[escape(name), escape(", ".join(k for k in ("rate_limit", "reputation", "greylist", "mailbox")
                                                  if k in r))] for name, r in doc.get("receivers", {}).items()]
    shown = senders[:20]
    note = f"{len(senders) - len(shown)} more senders not shown." if len(senders) > len(shown) else None
    return block(f"World {doc.get('name', '')!r}: {days:g} simulated days, {len(senders)} senders, "
                 f"{len(doc.get('lists', []))} recipient lists, {len(receivers)} receiving domains",
                 table(["sender", "class", "domain", "IPs", "schedule items"], shown, text_columns=(0, 1, 2)),
                 table(["receiving domain", "state kept"], receivers, text_columns=(0, 1)), note=note)


def world_result(result: Any, outcomes: Sequence[str]) -> str:
    """A world run's totals by sender and receiving domain, with 95% intervals."""
    import json

    report = json.loads(result.tally.report_json(result.world.name, result.seed))
    return block(f"World result {result.world.name!r}: seed {result.seed}, {result.messages:,} messages",
                 outcome_table(report, outcomes, list(result.world.sender_names), list(result.world.receiver_names),
                               "sender", "domain"),
                 note="Shares of each group's messages, 95% Wilson interval in brackets; timeseries() has them "
                      "over time.")
