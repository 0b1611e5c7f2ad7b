#pragma once
// Persistent mailboxes with a quota. Every accepted message (except those a recipient rule
// deletes or a gateway quarantines) adds its size; owners empty their mailbox every
// `empty_every_s` at their own phase, some never. "Mailbox full" (452 4.2.2, or 552 5.2.2
// when `when_full` is permanent) then emerges from the state. Emptying is applied lazily: when a mailbox is next touched, it is
// empty if an emptying time passed since it was last touched.
#include <cmath>
#include <cstdint>

namespace delivsim::world {

struct MailboxSettings {
    std::uint64_t quota_bytes = 0;
    double initial_fill = 0;      // initial fill, uniform in [0, initial_fill] x quota
    double empty_every_s = 0;
    double never_empty = 0;       // share of owners who never empty their mailbox
    bool permanent = false;       // full: 552 5.2.2 instead of 452 4.2.2
};

struct Mailbox {
    std::uint64_t fill = 0;
    double last_s = 0;
    double phase_s = 0;   // first emptying time
    bool never_empty = false;

    // The fill at time t (t never decreases between calls).
    std::uint64_t at(double t, const MailboxSettings& s) noexcept {
        if (!never_empty && s.empty_every_s > 0 && t >= phase_s) {
            const double now_k = std::floor((t - phase_s) / s.empty_every_s);
            const double last_k = last_s < phase_s ? -1 : std::floor((last_s - phase_s) / s.empty_every_s);
            if (now_k > last_k) fill = 0;
        }
        last_s = t;
        return fill;
    }
    // The fill at time t without touching the state (for the fill distribution).
    std::uint64_t peek(double t, const MailboxSettings& s) const noexcept {
        Mailbox copy = *this;
        return copy.at(t, s);
    }
};

}  // namespace delivsim::world
