"""DKIM, modelled rather than cryptographic: a signature is the facts that decide its
verification, and :func:`verify` reads the signer's key record from a :class:`delivsim.dns.Zone`.

>>> from delivsim import dkim, dns
>>> zone = dns.Zone()
>>> zone.add("s1._domainkey.example.com", "TXT", dkim.key_record("MIGfMA0GCSqGSIb3"))
>>> sig = dkim.sign("example.com", "s1")
>>> dkim.verify(zone, sig).result
'pass'
>>> dkim.verify(zone, sig.through(dkim.MAILING_LIST)).result
'fail'

Results: none (unsigned), pass, fail (modified in transit, a published key that is not the
signer's, or a revoked key ``p=``), policy (an RSA key shorter than ``min_rsa_bits``, or
rsa-sha1 when not accepted), temperror (the key query timed out or failed), permerror (no key
record, several, or a malformed one). The C++ side is auth/dkim.hpp.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable, Optional

from . import _core
from .dns import Zone

__all__ = [
    "ALGORITHMS", "CONTENT_REWRITE", "FORWARDER", "GATEWAY_FOOTER", "MAILING_LIST", "RELAY", "RESULTS",
    "DkimResult", "Hop", "Signature", "key_record", "sign", "verify",
]

RESULTS = ("none", "pass", "fail", "policy", "temperror", "permerror")
ALGORITHMS = ("rsa-sha256", "rsa-sha1", "ed25519-sha256")


@dataclass(frozen=True)
class Hop:
    """What a hop between signer and verifier does to the message."""

    name: str
    appends_to_body: bool = False
    """A footer or disclaimer: breaks the body hash unless the signature has l=."""
    rewrites_body: bool = False
    """Re-encoding, link rewriting: always breaks the body hash."""
    modifies_signed_headers: bool = False
    """A subject tag, a rewritten From: breaks the header hash."""


RELAY, FORWARDER, MAILING_LIST, GATEWAY_FOOTER, CONTENT_REWRITE = (Hop(*h) for h in _core.dkim_hops)


@dataclass(frozen=True)
class Signature:
    """A modelled DKIM signature (d=, s=, the algorithm and key), and whether what it signed
    is still intact. An unsigned message is ``Signature("", "")``."""

    domain: str
    selector: str
    algorithm: str = "rsa-sha256"
    key_bits: int = 2048
    key: str = ""
    """The signer's public key (the p= it matches); "" = whatever the selector publishes."""
    body_length_limit: bool = False
    """l=: content appended after the signed length does not break the body hash."""
    body_intact: bool = True
    headers_intact: bool = True

    def through(self, *hops: Hop) -> "Signature":
        """This signature after the message passed the hops, in order."""
        s = self
        for hop in hops:
            if not isinstance(hop, Hop):
                raise ValueError(f"{hop!r} is not a delivsim.dkim.Hop")
            body, headers = _core.dkim_pass_through(s.body_length_limit, s.body_intact, s.headers_intact,
                                                    hop.appends_to_body, hop.rewrites_body, hop.modifies_signed_headers)
            s = dataclasses.replace(s, body_intact=body, headers_intact=headers)
        return s


def sign(domain: str, selector: str, *, algorithm: str = "rsa-sha256", key_bits: int = 2048, key: str = "",
         body_length_limit: bool = False) -> Signature:
    """A signature by ``domain`` with ``selector`` (its key at <selector>._domainkey.<domain>)."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm {algorithm!r} is not one of {', '.join(ALGORITHMS)}")
    if isinstance(key_bits, bool) or not isinstance(key_bits, int) or key_bits <= 0:
        raise ValueError(f"key_bits must be a positive int, not {key_bits!r}")
    return Signature(domain, selector, algorithm, key_bits, key, body_length_limit)


def key_record(key: str, *, key_type: str = "rsa", testing: bool = False) -> str:
    """The TXT text of a key record: ``v=DKIM1; k=rsa; p=<key>`` (``key`` "" = revoked)."""
    return f"v=DKIM1; k={key_type}; p={key}" + ("; t=y" if testing else "")


@dataclass(frozen=True)
class DkimResult:
    """The outcome of :func:`verify`."""

    result: str
    """One of :data:`RESULTS`."""
    domain: str
    selector: str
    problem: str
    """Why the result is not pass."""
    testing: bool
    """The key record has t=y."""


def verify(zone: Zone, signature: Signature, *, min_rsa_bits: int = 1024, accept_rsa_sha1: bool = False,
           draw: Optional[Callable[[int], float]] = None) -> DkimResult:
    """Verify ``signature`` against its key record in ``zone``. ``min_rsa_bits`` and
    ``accept_rsa_sha1`` are the receiver's policy (RFC 8301: 1024, no)."""
    if not isinstance(zone, Zone):
        raise TypeError(f"zone must be a delivsim.dns.Zone, not {type(zone).__name__}")
    if not isinstance(signature, Signature):
        raise TypeError(f"signature must be a delivsim.dkim.Signature, not {type(signature).__name__}")
    if isinstance(min_rsa_bits, bool) or not isinstance(min_rsa_bits, int) or min_rsa_bits < 0:
        raise ValueError(f"min_rsa_bits must be a non-negative int, not {min_rsa_bits!r}")
    s = signature
    c = _core.dkim_verify(zone._core, s.domain, s.selector, s.algorithm, s.key_bits, s.key, s.body_intact,
                          s.headers_intact, min_rsa_bits, accept_rsa_sha1, draw)
    return DkimResult(c.result, c.domain, c.selector, c.problem, c.testing)
