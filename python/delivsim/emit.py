"""Simulated data out, in the formats real tools read: Postfix log lines for sampled
simulated messages, and a DMARC aggregate report (RFC 7489 appendix C) as a receiver would
send it for a sender domain's simulated mail. Both read back with :mod:`delivsim.ingest`.

Each message is taken from :func:`delivsim.explain`, so what is written is exactly what the
run with the same seed did to that message.
"""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Optional, Union
from xml.sax.saxutils import escape

from ._run import explain
from ._scenario import Scenario

#: The namespace RFC 7489's schema declares.
DMARC_NAMESPACE = "http://dmarc.org/dmarc-xml/0.1"
#: The schema itself (RFC 7489 appendix C), shipped with the package.
DMARC_SCHEMA = Path(__file__).with_name("data") / "rfc7489-aggregate.xsd"

def _indices(messages: Union[int, Iterable[int]]) -> list[int]:
    return list(range(messages)) if isinstance(messages, int) else [int(i) for i in messages]


def _queue_id(seed: int, index: int) -> str:
    # Postfix's short queue ids are upper-case hex; this one is unique per (seed, message).
    return f"{(seed * 1_000_003 + index) & 0xFFFFFFFFFF:010X}"


def postfix_log(scenario: Scenario, messages: Union[int, Iterable[int]] = 100, seed: int = 1,
                start: Optional[_dt.datetime] = None, spacing_s: float = 1.0, hostname: str = "mta.sender.example",
                sender: str = "sender@sender.example", syslog_name: str = "postfix") -> list[str]:
    """Postfix log lines (``maillog_file`` form, one year-less timestamp per line) for the
    given messages of a run of ``scenario`` with ``seed``: message i arrives at ``start +
    i * spacing_s``; qmgr's ``from=`` line at arrival and at every retry, an smtp ``to=`` line per
    attempt (``relay=`` the host, ``delay=`` the time since arrival, ``dsn=``, ``status=`` sent,
    deferred or bounced with the SMTP reply), Postfix's expiry line when the queue lifetime runs
    out, and ``removed``. Recipient: ``rcptN@<profile>.example``. Lines are sorted by time."""
    start = start or _dt.datetime(2026, 1, 1, tzinfo=_dt.timezone.utc)
    events: list[tuple[float, int, str]] = []
    for order, i in enumerate(_indices(messages)):
        e = explain(scenario, i, seed)
        qid = _queue_id(seed, i)
        t0 = order * spacing_s
        rcpt = f"rcpt{i}@{e['profile'].lower()}.example"
        size = int(e["size_bytes"])
        seq = 0

        def add(t: float, program: str, text: str) -> None:
            nonlocal seq
            events.append((t, seq + 10 * i, f"{program}[{1000 + i % 9000}]: {qid}: {text}"))
            seq += 1

        add(t0, "cleanup", f"message-id=<{i}.{seed}@delivsim>")
        attempts = e["attempts"]
        if not attempts:  # decided before any SMTP session: an address error
            add(t0, "qmgr", f"from=<{sender}>, size={size}, nrcpt=1 (queue active)")
            st = e["status"]
            if st is None:  # a typo domain that accepts everything: the sender sees a delivery
                add(t0 + 0.01, "smtp", f"to=<{rcpt}>, relay=typo.example[192.0.2.26]:25, delay=0.01, "
                                       "delays=0/0/0/0, dsn=2.0.0, status=sent (250 2.0.0 Ok)")
            else:
                add(t0 + 0.01, "smtp", f"to=<{rcpt}>, relay=none, delay=0.01, delays=0/0/0/0, dsn={st['enhanced']}, "
                                       f"status=bounced (Host or domain name not found: {st['text']})")
            add(t0 + 0.02, "qmgr", "removed")
            continue
        for a in attempts:
            t = t0 + float(a["time_s"])
            add(t, "qmgr", f"from=<{sender}>, size={size}, nrcpt=1 (queue active)")
            reply = a["reply"]
            host = a["host"]
            relay = f"{host}[192.0.2.25]:25" if host else "none"
            delay = float(a["time_s"]) + 0.01
            code = int(reply["reply"])
            if code == 250:
                status, text = "sent", f"250 2.0.0 Ok: queued as {qid[::-1]}"
            elif host is None:
                status, text = "deferred", f"connect to {e['profile'].lower()}.example[192.0.2.25]:25: Connection timed out"
            else:
                status = "bounced" if code >= 500 else "deferred"
                text = f"host {host}[192.0.2.25] said: {code} {reply['enhanced']} {reply['text']} (in reply to RCPT TO command)"
            add(t + 0.01, "smtp", f"to=<{rcpt}>, relay={relay}, delay={delay:.2f}, delays=0/0/0/0, "
                                  f"dsn={reply['enhanced']}, status={status} ({text})")
        last = attempts[-1]
        tl = t0 + float(last["time_s"]) + 0.02
        if e["outcome"] == "bounced" and e["status"] and e["status"]["enhanced"] == "4.4.7":
            add(tl, "qmgr", f"from=<{sender}>, status=expired, returned to sender")
        add(tl + 0.01, "qmgr", "removed")
    events.sort(key=lambda x: (x[0], x[1]))
    out = []
    for t, _, text in events:
        when = start + _dt.timedelta(seconds=t)
        prog = text.split("[", 1)[0]
        out.append(f"{when:%b %d %H:%M:%S} {hostname} {syslog_name}/{prog}[{text.split('[', 1)[1]}")
    return out


def write_postfix_log(path: Union[str, Path], *args: Any, **kwargs: Any) -> Path:
    """:func:`postfix_log`, written to ``path`` (one line each)."""
    p = Path(path)
    p.write_text("\n".join(postfix_log(*args, **kwargs)) + "\n")
    return p


def _dmarc_facts(e: dict[str, Any], domain: str) -> dict[str, Any]:
    """The facts one aggregate-report record groups by, from an explanation."""
    a = e.get("authentication")
    if a is not None:
        d = a["dmarc"]
        spf_pass = a["spf"]["result"] == "pass"
        dkim_res = a["dkim"]["result"]
        return {"ip": a["ip"], "header_from": d["from_domain"], "envelope_from": a["spf"]["domain"],
                "dkim_domain": a["dkim"]["domain"], "dkim_result": dkim_res if dkim_res in (
                    "pass", "fail", "none", "policy", "neutral", "temperror", "permerror") else "fail",
                "spf_domain": a["spf"]["domain"], "spf_result": a["spf"]["result"],
                "dmarc_dkim": "pass" if d["alignment"]["dkim"] and dkim_res == "pass" else "fail",
                "dmarc_spf": "pass" if d["alignment"]["spf"] and spf_pass else "fail",
                "disposition": d["disposition"] if d["disposition"] in ("none", "quarantine", "reject") else "none",
                "has_record": d["record_domain"] is not None}
    r = e["dmarc"]  # a probability-based class: the result only
    ok = r == "pass"
    return {"ip": "192.0.2.1", "header_from": domain, "envelope_from": domain,
            "dkim_domain": domain, "dkim_result": "pass" if ok else "fail", "spf_domain": domain,
            "spf_result": "pass" if ok else "fail", "dmarc_dkim": "pass" if ok else "fail",
            "dmarc_spf": "pass" if ok else "fail",
            "disposition": {"fail_reject": "reject", "fail_quarantine": "quarantine"}.get(r, "none"),
            "has_record": r != "none"}


def dmarc_aggregate(scenario: Scenario, sender_class: str, domain: str, messages: Union[int, Iterable[int]] = 1000,
                    seed: int = 1, org_name: str = "receiver.example", email: str = "dmarc-reports@receiver.example",
                    report_id: Optional[str] = None, begin: int = 1767225600, end: int = 1767311999,
                    policy: str = "reject", adkim: str = "r", aspf: str = "r", pct: int = 100) -> str:
    """The aggregate report a receiver would send ``domain``'s owner for ``sender_class``'s
    messages among ``messages`` of a run with ``seed``: one record per distinct (source IP,
    results, disposition) with its count. Messages whose domain has no DMARC record (result
    'none') are not reported, as receivers only report to a published rua. The XML is valid
    against RFC 7489 appendix C's schema (:data:`DMARC_SCHEMA`)."""
    groups: Counter[tuple[Any, ...]] = Counter()
    for i in _indices(messages):
        e = explain(scenario, i, seed)
        if e["sender_class"] != sender_class:
            continue
        f = _dmarc_facts(e, domain)
        if not f["has_record"]:
            continue
        groups[tuple(sorted(f.items()))] += 1
    if not groups:
        raise ValueError(f"no reported message of class {sender_class!r} among the messages: nothing to report "
                         "(an aggregate report has at least one record)")
    rid = report_id or f"delivsim-{seed}-{sender_class}-{begin}"
    x = [f'<?xml version="1.0" encoding="UTF-8"?>', f'<feedback xmlns="{DMARC_NAMESPACE}">', "  <version>1.0</version>",
         "  <report_metadata>", f"    <org_name>{escape(org_name)}</org_name>", f"    <email>{escape(email)}</email>",
         f"    <report_id>{escape(rid)}</report_id>",
         f"    <date_range><begin>{int(begin)}</begin><end>{int(end)}</end></date_range>", "  </report_metadata>",
         "  <policy_published>", f"    <domain>{escape(domain)}</domain>", f"    <adkim>{adkim}</adkim>",
         f"    <aspf>{aspf}</aspf>", f"    <p>{policy}</p>", f"    <sp>{policy}</sp>", f"    <pct>{int(pct)}</pct>",
         "    <fo>0</fo>", "  </policy_published>"]
    for key, count in sorted(groups.items(), key=lambda kv: -kv[1]):
        f = dict(key)
        x += ["  <record>", "    <row>", f"      <source_ip>{escape(f['ip'])}</source_ip>", f"      <count>{count}</count>",
              "      <policy_evaluated>", f"        <disposition>{f['disposition']}</disposition>",
              f"        <dkim>{f['dmarc_dkim']}</dkim>", f"        <spf>{f['dmarc_spf']}</spf>",
              "      </policy_evaluated>", "    </row>", "    <identifiers>",
              f"      <envelope_from>{escape(f['envelope_from'] or '')}</envelope_from>",
              f"      <header_from>{escape(f['header_from'])}</header_from>", "    </identifiers>", "    <auth_results>"]
        if f["dkim_domain"]:
            x += ["      <dkim>", f"        <domain>{escape(f['dkim_domain'])}</domain>",
                  f"        <result>{f['dkim_result']}</result>", "      </dkim>"]
        x += ["      <spf>", f"        <domain>{escape(f['spf_domain'] or f['header_from'])}</domain>",
              "        <scope>mfrom</scope>", f"        <result>{f['spf_result']}</result>", "      </spf>",
              "    </auth_results>", "  </record>"]
    x.append("</feedback>")
    return "\n".join(x) + "\n"


def validate_dmarc_xml(xml: Union[str, bytes]) -> list[str]:
    """The RFC 7489 schema's complaints about ``xml`` (empty when valid); needs lxml."""
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(str(DMARC_SCHEMA)))
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    doc = etree.fromstring(xml.encode() if isinstance(xml, str) else xml, parser)
    return [] if schema.validate(doc) else [f"line {e.line}: {e.message}" for e in schema.error_log]


__all__ = ["postfix_log", "write_postfix_log", "dmarc_aggregate", "validate_dmarc_xml", "DMARC_SCHEMA",
           "DMARC_NAMESPACE"]
