"""DMARC (RFC 7489): policy discovery in a :class:`delivsim.dns.Zone`, identifier alignment,
and the disposition a message gets.

>>> from delivsim import dmarc, dns
>>> zone = dns.Zone()
>>> zone.add("_dmarc.example.com", "TXT", "v=DMARC1; p=reject; sp=quarantine")
>>> r = dmarc.evaluate(zone, "news.example.com", "bounce.esp.example", "pass", [])
>>> r.result, r.disposition, r.policy, r.record_domain
('fail', 'quarantine', 'quarantine', 'example.com')

The record is looked up at _dmarc.<from domain>, then at _dmarc.<organizational domain>
(:func:`organizational_domain`, from the Public Suffix List through libpsl: Debian's
``publicsuffix`` copy or libpsl's built-in one, whichever is newer; see auth/public_suffix.hpp).
``policy`` is p= or, for a subdomain covered by its organizational domain's record, sp=;
pct= samples messages with ``sample`` (a uniform number in [0, 1): sampled when below
pct/100), and a message not sampled falls back one step (reject to quarantine, quarantine
to none). ``disposition`` is what the domain asks for; ``action`` is what this receiver does
(``enforce=False``: nothing; a DNS error: "tempfail" if ``tempfail_on_dns_error``).
The C++ side is auth/dmarc.hpp.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Callable, Optional, Union

from . import _core
from .dns import Zone
from .spf import RESULTS as SPF_RESULTS
from .spf import SpfResult

__all__ = ["RESULTS", "DmarcResult", "evaluate", "organizational_domain", "public_suffix"]

RESULTS = ("none", "pass", "fail", "temperror", "permerror")


@dataclass(frozen=True)
class DmarcResult:
    """The outcome of :func:`evaluate`."""

    result: str
    """One of :data:`RESULTS`."""
    disposition: str
    """What the domain's policy asks for this message, after pct: "none", "quarantine", "reject"."""
    action: str
    """What this receiver does: "none", "quarantine", "reject" or "tempfail"."""
    policy: Optional[str]
    """The published policy used (p= or sp=, before pct), None without a record."""
    policy_tag: str
    """"p" or "sp"."""
    spf_aligned: bool
    dkim_aligned: bool
    aspf: str
    adkim: str
    pct: int
    sampled: bool
    from_domain: str
    organizational_domain: str
    record_domain: str
    """Where the record was found ("" if nowhere)."""
    problem: str
    notes: "tuple[str, ...]"
    """Invalid tags that were ignored, and how an invalid policy was read."""
    message_result: str
    """The engine's per-message DMARC fact: "pass", "none", "fail_reject" or "fail_quarantine"."""

    @property
    def alignment(self) -> "tuple[bool, bool]":
        """(spf_aligned, dkim_aligned)."""
        return (self.spf_aligned, self.dkim_aligned)


def evaluate(
    zone: Zone,
    from_domain: str,
    spf_domain: str,
    spf_result: Union[str, SpfResult],
    dkim_domains_passing: Iterable[str],
    *,
    sample: float = 0.0,
    enforce: bool = True,
    tempfail_on_dns_error: bool = False,
    draw: Optional[Callable[[int], float]] = None,
) -> DmarcResult:
    """Evaluate DMARC for a message whose RFC5322.From domain is ``from_domain``, whose SPF
    check of ``spf_domain`` gave ``spf_result`` (a result name or a :class:`delivsim.spf.SpfResult`),
    and whose passing DKIM signatures have the d= domains ``dkim_domains_passing``."""
    if not isinstance(zone, Zone):
        raise TypeError(f"zone must be a delivsim.dns.Zone, not {type(zone).__name__}")
    if isinstance(spf_result, SpfResult):
        spf_result = spf_result.result
    if spf_result not in SPF_RESULTS:
        raise ValueError(f"spf_result {spf_result!r} is not one of {', '.join(SPF_RESULTS)}")
    for what, value in (("from_domain", from_domain), ("spf_domain", spf_domain)):
        if not isinstance(value, str):
            raise ValueError(f"{what} must be a str, not {type(value).__name__}")
    if isinstance(dkim_domains_passing, (str, bytes)):
        raise ValueError("dkim_domains_passing must be a list of domains, not a single string")
    domains = list(dkim_domains_passing)
    if not all(isinstance(d, str) for d in domains):
        raise ValueError("dkim_domains_passing must hold domain names (str)")
    if isinstance(sample, bool) or not isinstance(sample, (int, float)) or not 0.0 <= sample <= 1.0:
        raise ValueError(f"sample must be a number in [0, 1], not {sample!r}")
    e = _core.dmarc_evaluate(zone._core, from_domain, spf_domain, spf_result, domains, float(sample), enforce,
                             tempfail_on_dns_error, draw)
    return DmarcResult(
        result=e.result, disposition=e.disposition, action=e.action, policy=e.policy, policy_tag=e.policy_tag,
        spf_aligned=e.spf_aligned, dkim_aligned=e.dkim_aligned, aspf=e.aspf, adkim=e.adkim, pct=e.pct,
        sampled=e.sampled, from_domain=e.from_domain, organizational_domain=e.organizational_domain,
        record_domain=e.record_domain, problem=e.problem, notes=tuple(e.notes), message_result=e.message_result)


def organizational_domain(domain: str) -> str:
    """RFC 7489 section 3.2: the public suffix plus one label (embedded suffix subset)."""
    return _core.organizational_domain(domain)


def public_suffix(domain: str) -> str:
    return _core.public_suffix(domain)
