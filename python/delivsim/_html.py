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
