"""Real data in: Postfix logs and DMARC aggregate reports, as pandas DataFrames.

- :func:`postfix_log` reads a Postfix log (syslog form, ``maillog_file`` form, or either
  gzipped) and joins its lines by queue id into one row per (message, recipient) with every
  delivery attempt; ``.summary()`` counts outcomes and bounce codes in delivsim's words.
- :func:`dmarc_aggregate` reads DMARC aggregate reports (RFC 7489 appendix C) as XML,
  ``.xml.gz``, ``.zip`` or a folder of them; :func:`authentication_mix` summarises a sender
  domain's results into the shares a sender class's ``dmarc`` mixture takes.

Both refuse malformed input with a :class:`IngestError` naming the file and the line (logs)
or element (reports). XML is parsed by ``defusedxml`` (no entities, no DTDs, no external
resources: an XML bomb is refused, not expanded), and sizes are bounded.
"""

from __future__ import annotations

import datetime as _dt
import gzip
import os
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional, Union

import pandas as pd

PathLike = Union[str, "os.PathLike[str]"]

#: Longest log line read; a longer one is malformed input, not a reason to exhaust memory.
MAX_LINE_BYTES = 64 * 1024
#: Largest report (after decompression) read.
MAX_REPORT_BYTES = 64 * 1024 * 1024


class IngestError(ValueError):
    """Malformed input: ``where`` names the file and line or element."""

    def __init__(self, where: str, rule: str):
        super().__init__(f"{where}: {rule}")
        self.where = where
        self.rule = rule


# --- Postfix logs ------------------------------------------------------------------------

_MONTHS = {m: i + 1 for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"))}
# Syslog (RFC 3164) and maillog_file both begin "Mon dd hh:mm:ss[.ffffff] host program[pid]: ";
# rsyslog's high-precision form begins with an RFC 3339 time instead.
_ENVELOPE = re.compile(
    r"(?:(?P<iso>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)"
    r"|(?P<mon>[A-Z][a-z]{2}) +(?P<day>\d{1,2}) (?P<hms>\d\d:\d\d:\d\d)(?P<frac>\.\d+)?)"
    r" (?P<host>\S+) (?P<prog>[^\s\[:]+)(?:\[(?P<pid>\d+)\])?: (?P<msg>.*)\Z")
# Short queue ids are upper-case hex; long ones (enable_long_queue_ids) have a 'z' inside.
_QID = re.compile(r"(?P<qid>[0-9A-F]{5,}|[0-9A-Za-y]{10,}z[0-9A-Za-z]+): (?P<rest>.*)\Z")
_ATTR = re.compile(r"(\w+)=(<[^>]*>|[^,\s]*)")
_STATUS = re.compile(r"status=(?P<status>\w+)(?: \((?P<text>.*)\))?\Z")
_DSN_IN_TEXT = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_REPLY_CODE = re.compile(r"said: (\d{3})[ -]")


def _strip(v: str) -> str:
    return v[1:-1] if v.startswith("<") and v.endswith(">") else v


class PostfixLog(pd.DataFrame):
    """One row per (message, recipient) of a Postfix log (see :func:`postfix_log`)."""

    _metadata = ["source"]

    @property
    def _constructor(self) -> Any:
        return PostfixLog

    def summary(self, include_notifications: bool = False) -> dict[str, Any]:
        """Outcome and bounce-code counts in delivsim's words: ``delivered`` (accepted by the
        next hop), ``bounced`` (with ``bounces`` by enhanced code; the queue lifetime running
        out is 4.4.7) and ``still_queued``; ``accepted_at_attempt`` counts deliveries by the
        attempt (0 = the first) that succeeded. Bounce notifications the log's Postfix sent
        itself (sender ``<>``) are left out unless ``include_notifications``."""
        rows = self if include_notifications else self[~self["notification"]]
        outcomes = {"delivered": 0, "bounced": 0, "still_queued": 0}
        bounces: dict[str, int] = {}
        accepted_at: dict[int, int] = {}
        for status, dsn, n in zip(rows["final_status"], rows["final_dsn"], rows["n_attempts"]):
            if status == "sent":
                outcomes["delivered"] += 1
                accepted_at[int(n) - 1] = accepted_at.get(int(n) - 1, 0) + 1
            elif status in ("bounced", "expired"):
                outcomes["bounced"] += 1
                code = "4.4.7" if status == "expired" else (dsn or "unknown")
                bounces[code] = bounces.get(code, 0) + 1
            else:
                outcomes["still_queued"] += 1
        return {"messages": int(len(rows)), "outcomes": outcomes, "bounces": dict(sorted(bounces.items())),
                "accepted_at_attempt": dict(sorted(accepted_at.items()))}


def _open_text_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of a plain or gzipped log; lines longer than MAX_LINE_BYTES refused."""
    raw = path.open("rb")
    with raw:
        head = raw.read(2)
        raw.seek(0)
        stream: Any = gzip.GzipFile(fileobj=raw) if head == b"\x1f\x8b" else raw
        n = 0
        while True:
            try:
                line = stream.readline(MAX_LINE_BYTES + 1)
            except (OSError, EOFError) as e:
                raise IngestError(f"{path}:{n + 1}", f"cannot be read ({e})") from None
            if not line:
                return
            n += 1
            if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
                raise IngestError(f"{path}:{n}", f"line longer than {MAX_LINE_BYTES} bytes")
            yield n, line.decode("utf-8", errors="replace").rstrip("\r\n")


def _timestamp(m: re.Match[str], year: int, where: str) -> float:
    try:
        if m["iso"]:
            t = _dt.datetime.fromisoformat(m["iso"].replace("Z", "+00:00"))
            if t.tzinfo is None:
                t = t.replace(tzinfo=_dt.timezone.utc)
            return t.timestamp()
        h, mi, s = (int(x) for x in m["hms"].split(":"))
        t = _dt.datetime(year, _MONTHS[m["mon"]], int(m["day"]), h, mi, s, tzinfo=_dt.timezone.utc)
        return t.timestamp() + (float(m["frac"]) if m["frac"] else 0.0)
    except (KeyError, ValueError) as e:
        raise IngestError(where, f"bad timestamp ({e})") from None


def postfix_log(path: PathLike, year: Optional[int] = None, syslog_name: Optional[str] = None,
                strict: bool = True) -> PostfixLog:
    """Read a Postfix log into one row per (message, recipient).

    Columns: ``queue_id``, ``sender``, ``recipient``, ``message_id``, ``size``, ``arrival``
    (UTC seconds; syslog's year-less times take ``year``, default the current year),
    ``attempts`` (a list of dicts: ``time_s`` after arrival (Postfix's ``delay=``), ``status``,
    ``dsn``, ``reply_code``,
    ``relay``, ``text``), ``n_attempts``, ``final_status`` (``sent``, ``bounced``, ``expired`` or
    ``deferred`` = still queued), ``final_dsn``, ``final_time_s``, ``notification`` (a bounce
    notice Postfix sent itself) and ``notice_queue_id`` (the notice sent for this message).

    Lines of other programs are skipped; ``syslog_name`` keeps only ``NAME/service`` lines
    (one instance of several logging to one file). A line that is not a log line at all, or a
    Postfix delivery line missing its fields, raises :class:`IngestError` naming ``path:line``
    (with ``strict=False`` such lines are skipped)."""
    p = Path(path)
    if not p.is_file():
        raise IngestError(str(p), "is not a file")
    year = year or _dt.datetime.now(_dt.timezone.utc).year
    messages: dict[str, dict[str, Any]] = {}
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    order: list[tuple[str, str]] = []
    last_t: Optional[float] = None

    def bad(where: str, rule: str) -> None:
        if strict:
            raise IngestError(where, rule)

    for n, line in _open_text_lines(p):
        where = f"{p}:{n}"
        if not line.strip():
            continue
        m = _ENVELOPE.match(line)
        if not m:
            bad(where, "not a syslog or maillog_file line (expected 'Mon dd hh:mm:ss host program[pid]: text')")
            continue
        prog = m["prog"]
        if "/" not in prog:
            continue  # another program's line
        name, service = prog.rsplit("/", 1)
        if syslog_name is not None and name != syslog_name:
            continue
        t = _timestamp(m, year, where)
        # Year-less syslog times wrap at New Year: keep the sequence increasing.
        if last_t is not None and not m["iso"] and t < last_t - 180 * 86400:
            t = _timestamp(m, year + 1, where)
            year += 1
        last_t = t
        q = _QID.match(m["msg"])
        if not q:
            continue  # NOQUEUE rejects, warnings, daemon start-up
        qid, rest = q["qid"], q["rest"]
        msg = messages.setdefault(qid, {"queue_id": qid, "arrival": None, "sender": None, "size": None,
                                        "message_id": None, "expired_at": None, "notice": None})
        if service in ("qmgr", "nqmgr") and rest.startswith("from="):
            attrs = dict(_ATTR.findall(rest))
            if attrs.get("status") == "expired":  # "from=<s>, status=expired, returned to sender"
                msg["expired_at"] = t
                continue
            if msg["arrival"] is None:
                msg["arrival"] = t
            msg["sender"] = _strip(attrs.get("from", ""))
            if "size" in attrs:
                try:
                    msg["size"] = int(attrs["size"])
                except ValueError:
                    bad(where, f"size={attrs['size']!r} is not a number")
        elif service == "cleanup" and rest.startswith("message-id="):
            msg["message_id"] = _strip(rest[len("message-id="):].strip())
        elif service == "pickup" and rest.startswith("uid="):
            msg["arrival"] = msg["arrival"] if msg["arrival"] is not None else t
        elif service == "bounce" and "notification:" in rest:
            msg["notice"] = rest.rsplit(":", 1)[1].strip()
        elif rest.startswith("to="):
            attrs = dict(_ATTR.findall(rest))
            st = _STATUS.search(rest)
            if st is None or "relay" not in attrs:
                bad(where, "a delivery line without relay= and status=")
                continue
            rcpt = _strip(attrs["to"])
            key = (qid, rcpt)
            if key not in rows:
                rows[key] = {"queue_id": qid, "recipient": rcpt, "attempts": []}
                order.append(key)
            text = st["text"] or ""
            dsn = attrs.get("dsn")
            if dsn is None:
                d = _DSN_IN_TEXT.search(text)
                dsn = ".".join(d.groups()) if d else None
            code = _REPLY_CODE.search(text)
            delay = attrs.get("delay")
            try:
                delay_s = float(delay) if delay is not None else None
            except ValueError:
                bad(where, f"delay={delay!r} is not a number")
                delay_s = None
            rows[key]["attempts"].append({
                "time": t, "delay_s": delay_s, "status": st["status"], "dsn": dsn,
                "reply_code": int(code.group(1)) if code else None, "relay": attrs["relay"], "text": text})

    out = []
    for key in order:
        r = rows[key]
        msg = messages[key[0]]
        atts = r["attempts"]
        # Arrival: qmgr's first from= line; failing that, the first attempt's time less its delay.
        arrival = msg["arrival"]
        if arrival is None:
            first = atts[0]
            arrival = first["time"] - (first["delay_s"] or 0.0)
        # An attempt's time: Postfix's delay= (time since arrival to the attempt's end, to
        # 10 ms below 10 s), which is finer than a syslog timestamp; else the timestamps.
        attempts = [{"time_s": a["delay_s"] if a["delay_s"] is not None else a["time"] - arrival,
                     "status": a["status"], "dsn": a["dsn"], "reply_code": a["reply_code"], "relay": a["relay"],
                     "text": a["text"]} for a in atts]
        final_status, final_dsn = atts[-1]["status"], atts[-1]["dsn"]
        final_s = attempts[-1]["time_s"]
        if final_status == "deferred" and msg["expired_at"] is not None:
            final_status, final_dsn, final_s = "expired", "4.4.7", msg["expired_at"] - arrival
        elif final_status == "expired":
            final_dsn = "4.4.7"
        # Attempts are the smtp/lmtp/local tries; an expiry line is not one.
        tries = [a for a in attempts if a["status"] != "expired"]
        out.append({
            "queue_id": key[0], "sender": msg["sender"], "recipient": key[1], "message_id": msg["message_id"],
            "size": msg["size"], "arrival": arrival, "attempts": tries, "n_attempts": len(tries),
            "final_status": final_status, "final_dsn": final_dsn, "final_time_s": final_s,
            "notification": msg["sender"] == "", "notice_queue_id": msg["notice"]})
    columns = ["queue_id", "sender", "recipient", "message_id", "size", "arrival", "attempts", "n_attempts",
               "final_status", "final_dsn", "final_time_s", "notification", "notice_queue_id"]
    df = PostfixLog(pd.DataFrame(out, columns=columns))
    df.source = str(p)
    return df


# --- DMARC aggregate reports -------------------------------------------------------------

def _defused() -> Any:
    try:
        from defusedxml import ElementTree as DET  # Debian python3-defusedxml
    except ImportError as e:  # pragma: no cover - the bootstrap installs it
        raise ImportError("delivsim.ingest.dmarc_aggregate needs defusedxml (Debian: python3-defusedxml)") from e
    return DET


def _report_sources(p: Path) -> Iterator[tuple[str, bytes]]:
    """(name, XML bytes) of every report under ``p``: a file, a .gz, a .zip, or a folder."""
    if p.is_dir():
        for child in sorted(p.iterdir()):
            if child.is_file() and child.name.lower().endswith((".xml", ".gz", ".zip")):
                yield from _report_sources(child)
        return
    if not p.is_file():
        raise IngestError(str(p), "is not a file or folder")
    name = p.name.lower()

    def bounded(stream: Any, where: str) -> bytes:
        data = stream.read(MAX_REPORT_BYTES + 1)
        if len(data) > MAX_REPORT_BYTES:
            raise IngestError(where, f"larger than {MAX_REPORT_BYTES} bytes")
        return data

    try:
        if name.endswith(".zip"):
            with zipfile.ZipFile(p) as z:
                for info in z.infolist():
                    if info.is_dir():
                        continue
                    where = f"{p}!{info.filename}"
                    if info.file_size > MAX_REPORT_BYTES:
                        raise IngestError(where, f"larger than {MAX_REPORT_BYTES} bytes")
                    with z.open(info) as f:
                        yield where, bounded(f, where)
        elif name.endswith(".gz"):
            with gzip.open(p, "rb") as gz:
                yield str(p), bounded(gz, str(p))
        else:
            with p.open("rb") as f:
                yield str(p), bounded(f, str(p))
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise IngestError(str(p), f"cannot be read ({e})") from None


def _text(el: Any, path: str, where: str, required: bool = True) -> Optional[str]:
    node = el.find(path)
    if node is None or node.text is None or not node.text.strip():
        if required:
            raise IngestError(where, f"<{path}> is missing or empty")
        return None
    return node.text.strip()


def _int(el: Any, path: str, where: str) -> int:
    v = _text(el, path, where)
    try:
        n = int(v or "")
    except ValueError:
        raise IngestError(where, f"<{path}> {v!r} is not a whole number") from None
    if n < 0:
        raise IngestError(where, f"<{path}> {v!r} is negative")
    return n


def _aligned(auth_domain: Optional[str], from_domain: str, mode: Optional[str]) -> bool:
    """RFC 7489 3.1 alignment: strict = equal names; relaxed = same organizational domain
    (approximated here by the last two labels, as the report carries no public suffix list)."""
    if not auth_domain:
        return False
    a, f = auth_domain.lower().rstrip("."), from_domain.lower().rstrip(".")
    if (mode or "r") == "s":
        return a == f
    return a.split(".")[-2:] == f.split(".")[-2:]


def dmarc_aggregate(path: PathLike) -> pd.DataFrame:
    """Read DMARC aggregate reports (RFC 7489 appendix C) into one row per report record.

    Columns: ``org_name``, ``report_id``, ``begin``, ``end`` (UTC seconds), ``policy_domain``,
    ``policy_p``, ``source_ip``, ``count``, ``disposition``, ``dkim`` and ``spf`` (the policy
    evaluation's pass/fail), ``header_from``, ``dkim_domain``, ``dkim_result``, ``spf_domain``,
    ``spf_result`` (the first of each in auth_results), ``dkim_aligned``, ``spf_aligned``
    (the auth_results domain aligned with header_from and passing) and ``source`` (the file).
    Malformed XML, a DTD or entity (an XML bomb), a missing required element or a bad number
    raises :class:`IngestError` naming the file and the element."""
    DET = _defused()
    from defusedxml import DefusedXmlException
    from xml.etree.ElementTree import ParseError

    rows = []
    p = Path(path)
    found = False
    for where, data in _report_sources(p):
        found = True
        try:
            root = DET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
        except DefusedXmlException as e:
            raise IngestError(where, f"refused: {type(e).__name__} (DTDs and entities are not allowed)") from None
        except ParseError as e:
            line = getattr(e, "position", (None,))[0]
            raise IngestError(f"{where}:{line}" if line else where, f"not well-formed XML ({e})") from None
        except (ValueError, LookupError) as e:  # e.g. an encoding expat cannot read
            raise IngestError(where, f"cannot be parsed ({e})") from None
        # Reports in the wild sometimes carry a default namespace: compare local names.
        for el in root.iter():
            if isinstance(el.tag, str) and "}" in el.tag:
                el.tag = el.tag.split("}", 1)[1]
        if root.tag != "feedback":
            raise IngestError(where, f"root element <{root.tag}> is not <feedback>")
        meta = root.find("report_metadata")
        if meta is None:
            raise IngestError(where, "<feedback><report_metadata> is missing")
        mw = f"{where} <report_metadata>"
        org = _text(meta, "org_name", mw)
        rid = _text(meta, "report_id", mw)
        begin = _int(meta, "date_range/begin", mw)
        end = _int(meta, "date_range/end", mw)
        pol = root.find("policy_published")
        if pol is None:
            raise IngestError(where, "<feedback><policy_published> is missing")
        pw = f"{where} <policy_published>"
        pdomain = _text(pol, "domain", pw) or ""
        p_p = _text(pol, "p", pw)
        adkim = _text(pol, "adkim", pw, required=False)
        aspf = _text(pol, "aspf", pw, required=False)
        for i, rec in enumerate(root.findall("record")):
            rw = f"{where} <record[{i}]>"
            row = rec.find("row")
            if row is None:
                raise IngestError(rw, "<row> is missing")
            header_from = _text(rec, "identifiers/header_from", rw) or ""
            dk = rec.findall("auth_results/dkim")
            sp = rec.findall("auth_results/spf")
            dkim_domain = _text(dk[0], "domain", rw + " <auth_results><dkim>") if dk else None
            dkim_result = _text(dk[0], "result", rw + " <auth_results><dkim>") if dk else None
            spf_domain = _text(sp[0], "domain", rw + " <auth_results><spf>") if sp else None
            spf_result = _text(sp[0], "result", rw + " <auth_results><spf>") if sp else None
            dkim_aligned = any(_text(d, "result", rw, False) == "pass" and
                               _aligned(_text(d, "domain", rw, False), header_from, adkim) for d in dk)
            spf_aligned = any(_text(s, "result", rw, False) == "pass" and
                              _aligned(_text(s, "domain", rw, False), header_from, aspf) for s in sp)
            rows.append({
                "org_name": org, "report_id": rid, "begin": begin, "end": end, "policy_domain": pdomain,
                "policy_p": p_p, "source_ip": _text(row, "source_ip", rw), "count": _int(row, "count", rw),
                "disposition": _text(row, "policy_evaluated/disposition", rw),
                "dkim": _text(row, "policy_evaluated/dkim", rw), "spf": _text(row, "policy_evaluated/spf", rw),
                "header_from": header_from, "dkim_domain": dkim_domain, "dkim_result": dkim_result,
                "spf_domain": spf_domain, "spf_result": spf_result, "dkim_aligned": dkim_aligned,
                "spf_aligned": spf_aligned, "source": where})
    if not found:
        raise IngestError(str(p), "holds no .xml, .xml.gz or .zip report")
    return pd.DataFrame(rows, columns=[
        "org_name", "report_id", "begin", "end", "policy_domain", "policy_p", "source_ip", "count", "disposition",
        "dkim", "spf", "header_from", "dkim_domain", "dkim_result", "spf_domain", "spf_result", "dkim_aligned",
        "spf_aligned", "source"])


def authentication_mix(reports: pd.DataFrame, domain: Optional[str] = None) -> dict[str, Any]:
    """A sender domain's authentication mix from :func:`dmarc_aggregate` rows, weighted by
    message count: the DMARC pass rate, SPF and DKIM alignment rates, the disposition shares,
    and ``dmarc`` shares in a sender class's terms (``pass``, and failures split by the
    disposition the policy asked: ``fail_reject``, ``fail_quarantine``, ``none``)."""
    df = reports if domain is None else reports[reports["header_from"].str.lower() == domain.lower()]
    total = int(df["count"].sum())
    if total == 0:
        raise ValueError(f"no messages for {domain or 'any domain'} in the reports")
    passed = (df["dkim"] == "pass") | (df["spf"] == "pass")

    def share(mask: Any) -> float:
        return float(df.loc[mask, "count"].sum()) / total

    disp = {d: share(df["disposition"] == d) for d in ("none", "quarantine", "reject")}
    return {
        "messages": total,
        "dmarc_pass": share(passed),
        "dkim_aligned": share(df["dkim_aligned"]),
        "spf_aligned": share(df["spf_aligned"]),
        "disposition": disp,
        "dmarc": {"pass": share(passed), "none": share(~passed & (df["policy_p"] == "none")),
                  "fail_reject": share(~passed & (df["policy_p"] == "reject")),
                  "fail_quarantine": share(~passed & (df["policy_p"] == "quarantine"))},
    }


__all__ = ["IngestError", "PostfixLog", "postfix_log", "dmarc_aggregate", "authentication_mix",
           "MAX_LINE_BYTES", "MAX_REPORT_BYTES"]
