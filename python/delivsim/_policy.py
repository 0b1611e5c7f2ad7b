"""Custom policies written in Python: prototype a filter or a mailbox rule without C++.

Subclass :class:`Policy`, give it a ``name`` and a ``phase``, implement
``evaluate(message, attempt, rng)``, and put an instance into a profile's chain::

    class StrictDmarcNone(delivsim.Policy):
        name = "strict_dmarc_none"
        phase = "data"

        def __init__(self, threshold: float = 3.0) -> None:
            self.threshold = threshold

        def evaluate(self, message, attempt, rng):
            if message.dmarc == "none" and message.content_score >= self.threshold:
                return delivsim.Verdict.file("spam_folder", "sender_configuration")
            return None                                    # no objection: the chain goes on

    s = delivsim.default_scenario()
    s.profiles["G"].policies.insert(5, StrictDmarcNone())  # before G's content_filter
    delivsim.run(s, messages=100_000, seed=1)

The scenario's document keeps ``{"type": "python", "name": "strict_dmarc_none", "phase": "data"}``
at that place and the scenario keeps the instance. The loader's rules apply: phases do not go
backwards in a chain, and a name appears once per chain (the same instance may serve several
profiles). Verdicts of a Python policy are counted under the deciding stage ``custom_policy``;
``explain`` names the policy.

What ``evaluate`` receives (read-only; copies that may be kept):

- ``message`` (:class:`delivsim._core.PolicyMessage`): ``index``, ``sender_class`` and
  ``profile`` (names), ``legit``, ``address_error``, ``ip_listed``, ``has_attachment``, ``dmarc``
  (``pass``, ``none``, ``fail_reject``, ``fail_quarantine``), ``size_bytes``, ``content_score``
  (as drawn; a content filter's DMARC adjustments are the filter's own); the authentication
  and transport facts ``spf`` and ``spf_aligned``, ``dkim`` (a list of (result, aligned) per
  signature), ``dmarc_result`` (``none`` means no record) and ``dmarc_policy`` (``no_record``,
  ``none``, ``quarantine``, ``reject``), ``ptr`` (``fcrdns``, ``no_ptr``, ``unconfirmed``,
  ``temperror``), ``tls``, ``list_unsubscribe`` (``none``, ``header``, ``one_click``), ``bulk``,
  ``indirect`` (None, or a dict: ``via`` forwarder or mailing_list, ``envelope_rewritten``,
  ``from_rewritten``, ``arc_sealed``, ``arc_dmarc_pass``, ``arc_honoured``; docs/forwarding.md);
- ``attempt`` (:class:`delivsim._core.PolicyAttempt`): ``index`` in the retry schedule,
  ``time_s`` after the first attempt, ``host`` (the MX host that took the session);
- ``rng`` (:class:`delivsim._core.PolicyRng`): ``rng.uniform(k)`` is draw ``k`` (0, 1, 2, ...)
  of the policy's own random stream for this message. It is a pure function of (seed, message
  index, policy name, k): the same on every attempt (use ``k = attempt.index`` for a draw per
  attempt), for any thread count, whatever else is in the chain.

It returns a :class:`Verdict` or None (no objection). ``evaluate`` must depend only on its
arguments and the policy's parameters (no state kept between calls): that is what keeps runs
reproducible and independent of the thread count.

Cost: each evaluation is a Python call made with the GIL, so with ``threads > 1`` the Python
calls are serialised (the C++ remainder of each message still runs in parallel); see
docs/python.md for the measured slowdown. An exception raised by ``evaluate`` stops the run
and is re-raised as itself, with a note naming the policy, the message and the attempt.

Pickling: a scenario pickles with its policy objects, by class reference, so the class must be
importable where it is unpickled. A class defined in a notebook or script (``__main__``)
unpickles only in the same process; Dask pickles with cloudpickle, which carries such classes
by value (if their attributes are cloudpickle-able). Elsewhere, put the class in a module.
"""
from __future__ import annotations

from typing import Any

from ._core import PolicyAttempt, PolicyMessage, PolicyRng, Verdict

#: The SMTP phases, in order: a chain's policies never go backwards.
PHASES: tuple[str, ...] = ("connect", "envelope", "data", "mailbox")


class Policy:
    """Base class of custom policies written in Python (see the module documentation).

    Class attributes to set: ``name`` (unique in a chain; it also keys the policy's random
    stream; defaults to the class name) and ``phase`` (``"connect"``, ``"envelope"``,
    ``"data"`` or ``"mailbox"``; default ``"data"``). Override :meth:`evaluate`."""

    name: str = ""
    phase: str = "data"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("name"):
            cls.name = cls.__name__

    def evaluate(self, message: PolicyMessage, attempt: PolicyAttempt, rng: PolicyRng) -> Verdict | None:
        """The verdict on ``message`` at ``attempt``: a :class:`Verdict`, or None for no objection."""
        raise NotImplementedError(f"policy {self.name!r}: {type(self).__qualname__} does not implement evaluate()")

    def to_dict(self) -> dict[str, Any]:
        """The policy's entry in a scenario document: ``{"type": "python", "name", "phase"}``."""
        check(self)
        return {"type": "python", "name": self.name, "phase": self.phase}

    def __eq__(self, other: object) -> bool:
        # By class and parameters, not identity: a scenario's copy that crossed a process (a
        # Dask worker's) still runs the same policy, and its results may merge with ours.
        if not isinstance(other, Policy):
            return NotImplemented
        if (type(self).__module__, type(self).__qualname__) != (type(other).__module__, type(other).__qualname__):
            return False
        try:
            return bool(vars(self) == vars(other))
        except Exception:  # parameters without a plain ==, e.g. numpy arrays
            return self is other

    def __hash__(self) -> int:
        return hash((type(self).__module__, type(self).__qualname__, self.name))

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"<{type(self).__qualname__} policy {self.name!r} ({self.phase} phase){': ' + params if params else ''}>"


def check(policy: object) -> Policy:
    """``policy`` if it is a usable :class:`Policy`; TypeError or ValueError saying what is wrong."""
    if not isinstance(policy, Policy):
        raise TypeError(f"a custom policy must be a delivsim.Policy instance, not {type(policy).__qualname__}")
    name, phase = policy.name, policy.phase
    if not isinstance(name, str) or not name or not name.isprintable():
        raise ValueError(f"{type(policy).__qualname__}.name must be a non-empty printable str, not {name!r}")
    if not isinstance(phase, str) or phase not in PHASES:
        raise ValueError(f"policy {name!r}: phase must be one of {', '.join(PHASES)}, not {phase!r}")
    if type(policy).evaluate is Policy.evaluate:
        raise TypeError(f"policy {name!r}: {type(policy).__qualname__} does not implement evaluate(message, attempt, rng)")
    return policy


def as_mapping(policies: object) -> dict[str, Policy]:
    """Policies given as an iterable of instances or a mapping name -> instance, by name."""
    if policies is None:
        return {}
    items = list(policies.values()) if isinstance(policies, dict) else policies
    if isinstance(policies, Policy) or not hasattr(items, "__iter__"):
        raise TypeError(f"policies must be a list of delivsim.Policy objects, not {type(policies).__qualname__}")
    out: dict[str, Policy] = {}
    for p in items:  # type: ignore[union-attr]
        check(p)
        if p.name in out and out[p.name] is not p:
            raise ValueError(f"policies: two different policies are named {p.name!r}")
        out[p.name] = p
    return out


__all__ = ["PHASES", "Policy", "PolicyAttempt", "PolicyMessage", "PolicyRng", "Verdict", "check"]
