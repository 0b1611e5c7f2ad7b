#pragma once
// The one per-attempt delivery step. Every way a message is delivered goes through it: run(),
// compare() and explain() through deliver_through() (engine/deliver.hpp), and the world, whose
// receiving domains call it once per attempt with their state (world/receiving_domain.hpp).
//
// A message's delivery, in four pieces:
//   decided_before_sessions()  address errors and a null MX, decided before any SMTP session;
//   open_delivery()            otherwise, the Delivery the message keeps for its whole life
//                              (its Session, and whether its destination is dead);
//   attempt_step()             one attempt: MX selection, the receiver's state (if any), the
//                              recipient profile's chain;
//   settle() / expire()        the verdict's fate, or none (deferred: the queue retries); the
//                              4.4.7 bounce when the queue lifetime is over.
//
// Receiver state. A receiver that remembers across messages (rate limits, reputation,
// greylist triplets, mailboxes: the world) passes an object with
//   static constexpr bool enabled = true;
//   Verdict before_chain(Message& m, const Attempt& a, MessageRng& rng);
//       the receiver's own checks after MX selection and before the chain (connect, RCPT);
//       anything but proceed decides the attempt. It may adjust `m`, this attempt's copy of
//       the message (e.g. a content score shifted by reputation).
//   void after_chain(const Message& m, const Attempt& a, const Verdict& v, MessageRng& rng);
//       what the receiver learns from the chain's verdict (only when the chain ran).
// Stateless receivers (run, compare, explain) pass NoReceiverState, which compiles away.
//
// Tracing. `trace` (NoTrace in engine/deliver.hpp, or a recording type such as
// ExplainTrace) sees every host tried and every attempt's verdict with the Session after it.
// A world message is traced by passing a recording trace to the step for that message only
// (ReceivingDomain::attempt takes one), so its explanation is exactly what happened in the run.
#include <delivsim/core/message.hpp>
#include <delivsim/core/outcome.hpp>
#include <delivsim/core/rng.hpp>
#include <delivsim/policy/verdict.hpp>
#include <delivsim/routing/retry_schedule.hpp>

#include <optional>
#include <type_traits>
#include <vector>

namespace delivsim {

struct NoTrace {
    static constexpr bool enabled = false;
    void message(const Message&) {}
    void host_tried(const Attempt&, int /*host*/, bool /*up*/) {}
    void host_reply(Status) {}  // the 4xx of the host just tried, when the attempt moved on
    void attempt(const Attempt&, const Verdict&, const Session&) {}
};

struct NoReceiverState {
    static constexpr bool enabled = false;
    Verdict before_chain(Message&, const Attempt&, MessageRng&) noexcept { return Verdict::proceed(); }
    void after_chain(const Message&, const Attempt&, const Verdict&, MessageRng&) noexcept {}
};

// What one message carries from attempt to attempt, for its whole life: on the stack of
// deliver_through() in a run, in the receiving domain's queue in a world.
struct Delivery {
    Session session;
    bool dead = false;  // the destination's hosts are all gone (drawn once per message)
};

// The fate decided before any SMTP session, or nullopt: the message goes on to its attempts.
// `unresolvable` is how the sending MTA reports a domain that does not exist
// (RetrySchedule::unresolvable_domain()).
template <class Routing>
std::optional<Fate> decided_before_sessions(const Message& m, const Routing& routing,
                                            Status unresolvable) noexcept {
    if (m.address_error == AddressError::nxdomain)
        return Fate{Outcome::bounced, unresolvable, Responsible::address_error, Stage::address, 0, 0};
    if (m.address_error == AddressError::typosquat)  // accepted by the wrong domain: nobody learns
        return Fate{Outcome::silently_lost, Status::none, Responsible::address_error, Stage::address, 0, 0};
    if (routing.null_mx())
        return Fate{Outcome::bounced, Status::null_mx, Responsible::address_error, Stage::mx_routing, 0, 0};
    return std::nullopt;
}

template <class Routing>
Delivery open_delivery(const Routing& routing, MessageRng& rng) noexcept {
    Delivery d;
    d.dead = routing.dead_destination() > 0 &&
             rng.bernoulli(Stream::message, draw_dead_destination, routing.dead_destination());
    return d;
}

// One attempt of message `m` (a.index, a.time_s set; a.host is filled in): the hosts in MX
// order within the sending MTA's limits (`limits`); a host that does not answer or answers
// 421 at its greeting is passed over, a session's 4xx hands the message to the next host
// while the session limit allows. Returns the attempt's verdict (the last host's when every
// host deferred); d.session carries what the receiving side remembers to the next one.
template <class Routing, class Chain, class Receiver = NoReceiverState, class Trace = NoTrace>
[[gnu::always_inline]] inline Verdict attempt_step(const Routing& routing, const MxLimits& limits, const Chain& chain, const Message& m, Delivery& d,
                     MessageRng& rng, Attempt& a, Receiver&& receiver = {}, Trace&& trace = {}) {
    constexpr bool tracing = std::decay_t<Trace>::enabled;
    a.host = -1;
    Verdict v = Verdict::temp_fail(Status::no_host_answered, Responsible::receiver_availability, Stage::mx_routing);
    // The session with host h: the receiver's own checks (if it has state), then the chain.
    const auto session_with = [&](int h) __attribute__((always_inline)) {
        a.host = h;
        if constexpr (std::decay_t<Receiver>::enabled) {
            Message seen = m;
            Verdict r = receiver.before_chain(seen, a, rng);
            if (r.action == Action::proceed) {
                r = chain.evaluate(seen, d.session, rng, a);
                receiver.after_chain(seen, a, r, rng);
            }
            return r;
        } else {
            return chain.evaluate(m, d.session, rng, a);
        }
    };
    if (d.dead) {
    } else if (routing.plain() && limits.session_limit == 1 &&
               (limits.address_limit == 0 || limits.address_limit >= routing.hosts().size())) {
        // No host can be busy or relay, one session per attempt, every host within the
        // address limit: the first host that answers takes the session. The general loop
        // below gives the same result with the same draws; this shape costs less per message.
        const int h = routing.select(rng, a.index, [&](int tried, bool up) {
            if constexpr (tracing) trace.host_tried(Attempt{a.index, a.time_s, tried}, tried, up);
        });
        if (h >= 0) v = session_with(h);
    } else {
        std::uint32_t addresses = 0, sessions = 0;
        routing.visit(rng, a.index, [&](int h, bool up) {
            if (limits.address_limit > 0 && addresses++ == limits.address_limit) return true;
            if constexpr (tracing) trace.host_tried(Attempt{a.index, a.time_s, h}, h, up);
            if (!up) return false;
            if (routing.busy(rng, a.index, h)) {  // no session: not counted against session_limit
                v = Verdict::temp_fail(Status::host_busy, Responsible::receiver_availability, Stage::mx_routing);
                if constexpr (tracing) trace.host_reply(v.status);
                return false;
            }
            if (limits.relays != MxLimits::Relays::ordinary && routing.relay(h)) {
                if (limits.relays == MxLimits::Relays::skip) return false;
                a.host = h;  // the backup MX accepts everything: its onward delivery decides
                v = Verdict::proceed();
                return true;
            }
            v = session_with(h);
            if (v.action != Action::temp_fail || ++sessions == limits.session_limit) return true;
            if constexpr (tracing) trace.host_reply(v.status);
            return false;
        });
    }
    if constexpr (tracing) trace.attempt(a, v, d.session);
    return v;
}

// The fate a verdict decides at attempt `a`, or nullopt for a deferral (the queue retries).
inline std::optional<Fate> settle(const Verdict& v, const Attempt& a) noexcept {
    switch (v.action) {
        case Action::proceed:
            return Fate{Outcome::inbox, Status::none, Responsible::none, Stage::delivery, a.index, a.time_s};
        case Action::file: return Fate{v.folder, Status::none, v.responsible, v.stage, a.index, a.time_s};
        case Action::reject: return Fate{Outcome::bounced, v.status, v.responsible, v.stage, a.index, a.time_s};
        case Action::temp_fail: break;
    }
    return std::nullopt;
}

// Queue lifetime over after the last attempt of `times`: a 4.4.7 bounce, blamed on what kept
// failing (the last deferral).
inline Fate expire(const Verdict& last_deferral, const std::vector<double>& times) noexcept {
    const auto last = static_cast<std::uint32_t>(times.size() - 1);
    return Fate{Outcome::bounced, Status::expired, last_deferral.responsible, Stage::retry_queue, last, times[last]};
}

}  // namespace delivsim
