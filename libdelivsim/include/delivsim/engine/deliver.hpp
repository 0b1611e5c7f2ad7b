#pragma once
// One message's whole delivery path: population draw, then the delivery step (engine/step.hpp)
// on each attempt of the retry schedule, each routed over MX and judged by the profile's chain.
// The same function serves the Monte Carlo loop (NoTrace: compiled away) and `explain`
// (a recording trace), so an explanation is exactly what happened in the full run.
#include <delivsim/engine/step.hpp>
#include <delivsim/recipient/folders.hpp>
#include <delivsim/sender/sender_class.hpp>

namespace delivsim {

// The shape of the per-message code is fixed here rather than left to GCC's heuristics,
// which depend on the size of the whole program: with them, the CLI executed 16% more
// instructions per message than the benchmark on the same source (the policy chain and the
// class draw stayed out of line in the larger program). draw_message() and deliver_through()
// are each one function with their stages inlined (SenderClass::draw, PolicyChain::evaluate).
template <class Scenario>
[[gnu::noinline]] Message draw_message(const Scenario& s, MessageRng& rng) noexcept {
    Message m = fresh_message();
    m.index = rng.message_index();
    m.sender_class = pick(s.class_cdf, rng.uniform(Stream::message, draw_sender_class));
    m.profile = pick(s.profile_cdf, rng.uniform(Stream::message, draw_profile));
    s.classes[m.sender_class].draw(m, rng);
    return m;
}

// The fate of message `m`, whose facts were drawn from `rng`, when its recipient domain
// judges it with `chain` (normally its profile's own; compare() passes a strategy's): the one
// delivery step (engine/step.hpp) on each attempt of the retry schedule, with one Delivery
// (one Session) for the message's whole life.
// A message a backup MX accepted (MxHost::relay) goes on from there: the backup MX delivers it
// to the domain's other hosts on the same retry schedule, counted from its acceptance, with its
// own attempts' draws (numbered after the sender's); the primary sees the backup MX's address,
// not the sender's (no DNSBL listing). A refusal there is a bounce the backup MX sends, later.
template <class Scenario, class Chain, class Trace>
[[gnu::noinline]] Fate relay_onward(const Scenario& s, const Chain& chain, const Message& m, const Delivery& sender_side,
                                    MessageRng& rng, const Attempt& accepted, FolderFate& after, Trace&& trace) {
    const auto& routing = s.profiles[m.profile].routing;
    Delivery d = sender_side;  // the Session goes on at the domain's other hosts
    Message relayed = m;
    relayed.ip_listed = false;
    MxLimits limits = s.retry.mx;
    limits.relays = MxLimits::Relays::skip;
    const auto& times = s.attempt_times;
    const auto first = static_cast<std::uint32_t>(times.size());
    Verdict last_deferral;
    for (std::uint32_t k = 0; k < times.size(); ++k) {
        Attempt b{first + k, accepted.time_s + times[k], -1};
        const Verdict v = attempt_step(routing, limits, chain, relayed, d, rng, b, NoReceiverState{}, trace);
        if (auto fate = settle(v, b)) {
            fate->attempt = accepted.index;  // the sender's attempt that handed it over
            after = {fate->outcome == Outcome::bounced ? AfterAcceptance::bounced_by_backup_mx : AfterAcceptance::relayed,
                     fate->time_s};
            return *fate;
        }
        last_deferral = v;
    }
    Fate f = expire(last_deferral, times);
    f.attempt = accepted.index;
    f.time_s += accepted.time_s;
    after = {AfterAcceptance::bounced_by_backup_mx, f.time_s};
    return f;
}

// What follows an attempt whose verdict `v` settled the message (settle(v, a) is not empty):
// a backup MX's onward delivery (relay_onward), then what the recipient's folders do with an
// accepted message (recipient/folders.hpp), which may change its fate. deliver_through() and
// compare()'s strategies delivered side by side (engine/compare.hpp) both finish this way.
// The fate is settled again here rather than passed: a Fate argument went on the stack, where
// its fields, just written one byte at a time, were read back as whole words (a stalled
// store-to-load forward, 3% of R1's time).
template <class Scenario, class Chain, class Trace>
[[gnu::noinline]] Fate finish_settled(const Scenario& s, const Chain& chain, const Message& m, const Delivery& d,
                                      MessageRng& rng, const Verdict& v, const Attempt& a, Trace&& trace) {
    Fate fate = *settle(v, a);
    const auto& profile = s.profiles[m.profile];
    FolderFate after;
    if (v.action == Action::proceed && a.host >= 0 && profile.routing.relay(a.host))
        fate = relay_onward(s, chain, m, d, rng, a, after, trace);
    if (fate.outcome != Outcome::bounced && (profile.folders.any() || s.classes[m.sender_class].recipients.any())) {
        const FolderFate folders = after_acceptance(fate, m, s.classes[m.sender_class].recipients, profile.folders, rng);
        if (folders.after != AfterAcceptance::none) after = folders;
    }
    if constexpr (requires { trace.after(after); })
        if (after.after != AfterAcceptance::none) trace.after(after);
    return fate;
}

// What the recipient's folders then do with an accepted message (recipient/folders.hpp) may
// change its fate; a trace with `after(FolderFate)` records it.
template <class Scenario, class Chain, class Trace = NoTrace>
[[gnu::noinline]] Fate deliver_through(const Scenario& s, const Chain& chain, const Message& m, MessageRng& rng, Trace&& trace = {}) {
    const auto& profile = s.profiles[m.profile];
    const auto& routing = profile.routing;
    if (const auto decided = decided_before_sessions(m, routing, s.retry.unresolvable_domain())) return *decided;
    Delivery d = open_delivery(routing, rng);
    MxLimits limits = s.retry.mx;
    limits.relays = MxLimits::Relays::accept;
    Verdict last_deferral;
    const auto& times = s.attempt_times;
    for (std::uint32_t i = 0; i < times.size(); ++i) {
        Attempt a{i, times[i], -1};
        const Verdict v = attempt_step(routing, limits, chain, m, d, rng, a, NoReceiverState{}, trace);
        if (v.action != Action::temp_fail) return finish_settled(s, chain, m, d, rng, v, a, trace);
        last_deferral = v;
    }
    return expire(last_deferral, times);
}

// The fate of message `m`, whose facts were drawn from `rng`.
template <class Scenario, class Trace = NoTrace>
Fate deliver(const Scenario& s, const Message& m, MessageRng& rng, Trace&& trace = {}) {
    return deliver_through(s, s.profiles[m.profile].policies, m, rng, std::forward<Trace>(trace));
}

// The fate of message number `index` of a run with `seed`.
template <class Scenario, class Trace = NoTrace>
Fate deliver(const Scenario& s, std::uint64_t seed, std::uint64_t index, Trace&& trace = {}) {
    MessageRng rng(seed, index);
    const Message m = draw_message(s, rng);
    if constexpr (std::decay_t<Trace>::enabled) trace.message(m);
    return deliver(s, m, rng, trace);
}

}  // namespace delivsim
