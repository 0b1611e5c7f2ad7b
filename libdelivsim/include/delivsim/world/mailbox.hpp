#pragma once
// Persistent mailboxes with a quota. Every accepted message (except those a recipient rule
// deletes or a gateway quarantines) adds its size; owners empty their mailbox every
// `empty_every_s` at their own phase, some never. "Mailbox full" (452 4.2.2, or 552 5.2.2
// when `when_full` is permanent) then emerges from the state. Emptying is applied lazily: when a mailbox is next touched, it is
// empty if an emptying time passed since it was last touched.
#include <cmath>
#include <cstdint>
#include <limits>

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

    // The fill at time t (t never decreases between calls; s is always the same settings).
    std::uint64_t at(double t, const MailboxSettings& s) noexcept {
        if (!never_empty && s.empty_every_s > 0 && t >= phase_s) {
            const double k = (t - phase_s) / s.empty_every_s, next = next_emptying(s);
            // Emptied when k reaches the next whole count; the count at t is then floor(k).
            if (k >= next) fill = 0;
            next_k_ = k >= next ? std::floor(k) + 1 : next;
            next_s_ = t;
        }
        last_s = t;
        return fill;
    }
    // The fill at time t without touching the state (for the fill distribution).
    std::uint64_t peek(double t, const MailboxSettings& s) const noexcept {
        if (!never_empty && s.empty_every_s > 0 && t >= phase_s && (t - phase_s) / s.empty_every_s >= next_emptying(s))
            return 0;
        return fill;
    }

private:
    // The count of emptying times (periods since phase_s) whose reaching empties the mailbox
    // after last_s: floor((last_s - phase_s) / empty_every_s) + 1, or 0 before the first.
    // floor(k) > floor(k_last) exactly when k >= floor(k_last) + 1, so no floor is needed
    // until the mailbox is emptied.
    double next_emptying(const MailboxSettings& s) const noexcept {
        if (last_s < phase_s) return 0;
        if (last_s == next_s_) return next_k_;
        return std::floor((last_s - phase_s) / s.empty_every_s) + 1;
    }
    // next_emptying() as at() left it at time next_s_ (the last_s it set), kept so that the
    // next call need not divide and round again. Not part of the state (checkpoints): a
    // restored mailbox computes it anew.
    double next_s_ = std::numeric_limits<double>::quiet_NaN(), next_k_ = 0;
};

}  // namespace delivsim::world
