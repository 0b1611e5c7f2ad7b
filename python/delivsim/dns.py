"""A simulated DNS zone, queried by the authentication checks (:mod:`delivsim.spf`,
:mod:`delivsim.dkim`, :mod:`delivsim.dmarc`) instead of the network.

>>> from delivsim import dns, spf
>>> zone = dns.Zone()
>>> zone.add("example.com", "TXT", "v=spf1 mx -all")
>>> zone.add("example.com", "MX", (10, "mx.example.com"))
>>> zone.add("mx.example.com", "A", "192.0.2.1")
>>> spf.check_host(zone, "192.0.2.1", "example.com", "alice@example.com").result
'pass'

Record types: A, AAAA, MX ``(preference, host)``, TXT (a str, or a list of str: the
record's character-strings, each at most 255 octets, which SPF, DKIM and DMARC read joined),
PTR, CNAME, and the obsolete type SPF (99), which SPF checks never query (RFC 7208 section
3.1). Names are case-insensitive and a trailing dot is ignored; a CNAME is followed.

Failures: :meth:`Zone.add_timeout` and :meth:`Zone.add_servfail` make every query for a
name (or for one type at it) time out or fail, which the checks report as temperror;
:attr:`Zone.timeout_probability` makes any query time out at random, but only for checks
given a ``draw`` (a callable from the query's ordinal to a uniform number in [0, 1)), so that
checks stay reproducible.

Zones load from JSON (:meth:`Zone.from_json`)::

    {"records": [{"name": "example.com", "type": "TXT", "value": "v=spf1 -all"},
                 {"name": "example.com", "type": "MX", "value": [10, "mx.example.com"]}],
     "timeouts": [{"name": "slow.example", "type": "TXT"}],
     "servfail": [{"name": "broken.example"}],
     "timeout_probability": 0.0}
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any, Optional, Union

from . import _core

__all__ = ["RTYPES", "Zone", "reverse_name"]

RTYPES = ("A", "AAAA", "MX", "TXT", "SPF", "PTR", "CNAME")

#: A record value: an address or host name (str), an MX ``(preference, host)``, or TXT strings.
RecordValue = Union[str, Sequence[str], "tuple[int, str]"]


def _rtype(rtype: object, *, optional: bool = False) -> Optional[str]:
    if rtype is None and optional:
        return None
    if not isinstance(rtype, str) or rtype.upper() not in RTYPES:
        raise ValueError(f"record type {rtype!r} is not one of {', '.join(RTYPES)}")
    return rtype.upper()


def _name(name: object) -> str:
    if not isinstance(name, str):
        raise ValueError(f"a DNS name must be a str, not {type(name).__name__}")
    return name


class Zone:
    """A simulated DNS zone. Build it with :meth:`add`, or load it with :meth:`from_json`."""

    __slots__ = ("_core",)

    def __init__(self) -> None:
        self._core = _core.DnsZone()

    # --- building --------------------------------------------------------------------------
    def add(self, name: str, rtype: str, value: RecordValue) -> None:
        """Add one record. ``rtype`` is one of "A", "AAAA", "MX", "TXT", "SPF", "PTR",
        "CNAME"; an MX value is ``(preference, host)`` (host "." for a null MX); a TXT or SPF
        value is a str or a list of str. Raises ValueError naming the problem."""
        name = _name(name)
        t = _rtype(rtype)
        if t in ("A", "AAAA", "PTR", "CNAME"):
            if not isinstance(value, str):
                raise ValueError(f"{name}: a {t} value must be a str, not {type(value).__name__}")
            {"A": self._core.add_a, "AAAA": self._core.add_aaaa, "PTR": self._core.add_ptr,
             "CNAME": self._core.add_cname}[t](name, value)
        elif t == "MX":
            if (isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 2
                    or isinstance(value[0], bool) or not isinstance(value[0], int) or not isinstance(value[1], str)):
                raise ValueError(f"{name}: an MX value must be (preference, host), e.g. (10, 'mx.example.com'), "
                                 f"not {value!r}")
            self._core.add_mx(name, value[0], value[1])
        else:  # TXT, SPF
            if isinstance(value, str):
                strings = [value]
            elif (isinstance(value, Sequence) and not isinstance(value, bytes)
                  and all(isinstance(s, str) for s in value)):
                strings = list(value)
            else:
                raise ValueError(f"{name}: a {t} value must be a str or a list of str, not {value!r}")
            (self._core.add_txt if t == "TXT" else self._core.add_spf)(name, strings)

    def add_timeout(self, name: str, rtype: Optional[str] = None) -> None:
        """Every query for ``name`` (or only for type ``rtype`` at it) times out."""
        self._core.add_timeout(_name(name), _rtype(rtype, optional=True))

    def add_servfail(self, name: str, rtype: Optional[str] = None) -> None:
        """Every query for ``name`` (or only for type ``rtype`` at it) answers SERVFAIL."""
        self._core.add_servfail(_name(name), _rtype(rtype, optional=True))

    @property
    def timeout_probability(self) -> float:
        """The chance that any query times out, for checks given a ``draw``."""
        return self._core.timeout_probability

    @timeout_probability.setter
    def timeout_probability(self, p: float) -> None:
        if isinstance(p, bool) or not isinstance(p, (int, float)):
            raise ValueError(f"timeout probability must be a number in [0, 1], not {p!r}")
        self._core.timeout_probability = float(p)

    # --- reading -----------------------------------------------------------------------------
    def lookup(self, name: str, rtype: str) -> "tuple[str, list[Any]]":
        """The zone's answer, without random timeouts: ``(rcode, values)``, rcode one of
        "noerror", "nxdomain", "servfail", "timeout"."""
        return self._core.lookup(_name(name), str(_rtype(rtype)))  # not optional here: never None

    def __len__(self) -> int:
        return self._core.record_count

    @property
    def generation(self) -> int:
        """Changes with every modification (for caches of check results)."""
        return self._core.generation

    def copy(self) -> "Zone":
        z = Zone.__new__(Zone)
        z._core = self._core.copy()
        return z

    # --- JSON ----------------------------------------------------------------------------------
    @classmethod
    def from_json(cls, source: "Union[str, bytes, Mapping[str, Any]]") -> "Zone":
        """A zone from JSON text or an already parsed dict. ValueError names the JSON path of
        the first problem, e.g. ``records[2].value: MX preference 70000 is not in 0..65535``."""
        if isinstance(source, Mapping):
            source = json.dumps(source)
        elif isinstance(source, bytes):
            source = source.decode("utf-8")
        elif not isinstance(source, str):
            raise ValueError(f"zone JSON must be a str, bytes or dict, not {type(source).__name__}")
        z = cls.__new__(cls)
        z._core = _core.parse_zone(source)
        return z

    @classmethod
    def load(cls, path: "Union[str, os.PathLike[str]]") -> "Zone":
        """A zone from a JSON file."""
        z = cls.__new__(cls)
        z._core = _core.load_zone(os.fsdecode(path))
        return z

    def to_json(self) -> str:
        return self._core.to_json()

    def to_dict(self) -> "dict[str, Any]":
        return json.loads(self._core.to_json())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Zone):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> "tuple[Any, ...]":
        return (Zone.from_json, (self.to_json(),))

    def __repr__(self) -> str:
        p = self.timeout_probability
        return f"<Zone: {len(self)} records" + (f", timeout probability {p}" if p else "") + ">"


def reverse_name(ip: str) -> str:
    """The name a PTR lookup of ``ip`` queries: "4.3.2.1.in-addr.arpa" or its ip6.arpa form."""
    if not isinstance(ip, str):
        raise ValueError(f"an IP address must be a str, not {type(ip).__name__}")
    return _core.reverse_name(ip)
