#pragma once
// One message's whole delivery path: population draw, address errors, then delivery
// attempts on the retry schedule, each routed over MX and judged by the profile's chain.
// The same function serves the Monte Carlo loop (NoTrace: compiled away) and `explain`
// (a recording trace), so an explanation is exactly what happened in the full run.
#include <delivsim/core/message.hpp>
#include <delivsim/core/outcome.hpp>
#include <delivsim/core/rng.hpp>
#include <delivsim/policy/verdict.hpp>
#include <delivsim/sender/sender_class.hpp>

namespace delivsim {

struct NoTrace {
    static constexpr bool enabled = false;
    void message(const Message&) {}
    void host_tried(const Attempt&, int /*host*/, bool /*up*/) {}
    void attempt(const Attempt&, const Verdict&, const Session&) {}
};

template <class Scenario>
Message draw_message(const Scenario& s, MessageRng& rng) noexcept {
    Message m;
    m.index = rng.message_index();
    m.sender_class = pick(s.class_cdf, rng.uniform(Stream::message, draw_sender_class));
    m.profile = pick(s.profile_cdf, rng.uniform(Stream::message, draw_profile));
    s.classes[m.sender_class].draw(m, rng);
    return m;
}

// The fate of message `m`, whose facts were drawn from `rng`, when its recipient domain
// judges it with `chain` (normally its profile's own; compare() passes a strategy's).
template <class Scenario, class Chain, class Trace = NoTrace>
Fate deliver_through(const Scenario& s, const Chain& chain, const Message& m, MessageRng& rng, Trace&& trace = {}) {
    auto fate = [](Outcome o, Status st, Responsible r, Stage sg, std::uint32_t attempt, double t) {
        return Fate{o, st, r, sg, attempt, t};
    };
    // Address errors decided before any SMTP session.
    if (m.address_error == AddressError::nxdomain)
        return fate(Outcome::bounced, Status::bad_destination, Responsible::address_error, Stage::address, 0, 0);
    if (m.address_error == AddressError::typosquat)  // accepted by the wrong domain: nobody learns
        return fate(Outcome::silently_lost, Status::none, Responsible::address_error, Stage::address, 0, 0);

    const auto& profile = s.profiles[m.profile];
    const auto& routing = profile.routing;
    if (routing.null_mx())
        return fate(Outcome::bounced, Status::null_mx, Responsible::address_error, Stage::mx_routing, 0, 0);
    const bool dead = routing.dead_destination() > 0 &&
                      rng.bernoulli(Stream::message, draw_dead_destination, routing.dead_destination());

    Session session;
    Verdict last_temp;
    const auto& times = s.attempt_times;
    for (std::uint32_t i = 0; i < times.size(); ++i) {
        Attempt a{i, times[i], -1};
        if (!dead)
            a.host = routing.select(rng, i, [&](int h, bool up) {
                if constexpr (std::decay_t<Trace>::enabled) trace.host_tried(Attempt{i, times[i], h}, h, up);
            });
        if (a.host < 0) {
            last_temp = Verdict::temp_fail(Status::no_host_answered, Responsible::receiver_availability,
                                           Stage::mx_routing);
            if constexpr (std::decay_t<Trace>::enabled) trace.attempt(a, last_temp, session);
            continue;
        }
        const Verdict v = chain.evaluate(m, session, rng, a);
        if constexpr (std::decay_t<Trace>::enabled) trace.attempt(a, v, session);
        switch (v.action) {
            case Action::proceed:
                return fate(Outcome::inbox, Status::none, Responsible::none, Stage::delivery, i, a.time_s);
            case Action::file: return fate(v.folder, Status::none, v.responsible, v.stage, i, a.time_s);
            case Action::reject: return fate(Outcome::bounced, v.status, v.responsible, v.stage, i, a.time_s);
            case Action::temp_fail: last_temp = v; break;
        }
    }
    // Queue lifetime over: a 4.4.7 bounce, blamed on what kept failing.
    const auto last = static_cast<std::uint32_t>(times.size() - 1);
    return fate(Outcome::bounced, Status::expired, last_temp.responsible, Stage::retry_queue, last, times[last]);
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
