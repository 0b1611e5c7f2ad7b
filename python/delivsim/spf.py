"""SPF: RFC 7208's check_host() against a simulated zone (:class:`delivsim.dns.Zone`).

>>> from delivsim import dns, spf
>>> zone = dns.Zone()
>>> zone.add("example.com", "TXT", "v=spf1 ip4:192.0.2.0/24 -all")
>>> r = spf.check_host(zone, "203.0.113.5", "example.com", "alice@example.com")
>>> r.result, r.explanation
('fail', 'example.com does not designate 203.0.113.5 as a permitted sender')

``sender`` "" is the null reverse-path: the HELO identity ``postmaster@<helo>`` is checked
(with ``domain`` "" meaning the HELO name). A sender without a local part gets "postmaster".
The C++ function is ``delivsim::auth::check_host`` (auth/spf.hpp), which documents every
interpretation of the RFC.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from . import _core
from .dns import Zone

__all__ = ["RESULTS", "SpfResult", "check_host"]

#: The seven results of check_host().
RESULTS = ("none", "neutral", "pass", "fail", "softfail", "temperror", "permerror")


@dataclass(frozen=True)
class SpfResult:
    """The outcome of :func:`check_host`."""

    result: str
    """One of :data:`RESULTS`."""
    explanation: str
    """For fail: the domain's exp= text, or the default explanation; else ""."""
    mechanism: str
    """The directive that decided, as written ("-all", "include:_spf.example.net"), "default" when
    nothing matched, "" for none and errors."""
    domain: str
    """The domain whose record decided (after redirects)."""
    problem: str
    """Why the result is none, temperror or permerror."""
    dns_terms: int
    void_lookups: int
    queries: int
    random_timeout: bool
    """A query timed out by the zone's timeout_probability."""
    used_sender: bool
    """The evaluation read the sender (a macro): a cache must key on it."""
    used_helo: bool
    used_ptr: bool
    trace: "tuple[str, ...]"
    """With ``trace=True``: each record and term as it was evaluated."""

    def __str__(self) -> str:
        return self.result + (f" ({self.explanation or self.problem})" if self.explanation or self.problem else "")


def check_host(
    zone: Zone,
    ip: str,
    domain: str,
    sender: str,
    helo: str = "",
    *,
    receiver: str = "unknown",
    timestamp: int = 0,
    default_explanation: Optional[str] = None,
    trace: bool = False,
    draw: Optional[Callable[[int], float]] = None,
) -> SpfResult:
    """RFC 7208 check_host(<ip>, <domain>, <sender>) with the HELO name ``helo``.

    ``receiver`` and ``timestamp`` are the %{r} and %{t} macros of explanations;
    ``default_explanation`` replaces the explanation of a fail without a usable exp= (macros
    allowed, "" for none); ``draw(k)`` returns a uniform number in [0, 1) for the k-th DNS
    query, which times out when the number is below ``zone.timeout_probability``.
    Raises ValueError for an ``ip`` that is not an IPv4 or IPv6 address.
    """
    if not isinstance(zone, Zone):
        raise TypeError(f"zone must be a delivsim.dns.Zone, not {type(zone).__name__}")
    for what, value in (("ip", ip), ("domain", domain), ("sender", sender), ("helo", helo)):
        if not isinstance(value, str):
            raise ValueError(f"{what} must be a str, not {type(value).__name__}")
    c = _core.spf_check_host(zone._core, ip, domain, sender, helo, receiver, timestamp, default_explanation, trace, draw)
    return SpfResult(
        result=c.result, explanation=c.explanation, mechanism=c.mechanism, domain=c.domain, problem=c.problem,
        dns_terms=c.dns_terms, void_lookups=c.void_lookups, queries=c.queries, random_timeout=c.random_timeout,
        used_sender=c.used_sender, used_helo=c.used_helo, used_ptr=c.used_ptr, trace=tuple(c.trace))
