#pragma once
// Greylisting: the first attempt that reaches this check is deferred with 451 4.7.1; a
// retry at least `delay_s` later passes (postgrey's default delay is 300 s).
#include <delivsim/policy/policy.hpp>

namespace delivsim {

struct Greylist {
    static constexpr std::string_view type_name = "greylist";
    static constexpr Phase phase = Phase::envelope;
    static constexpr bool judges_spam = false;
    // Its memory of one message: when the first attempt reached the check.
    struct Memory {
        bool seen = false;
        double first_s = 0;
    };
    double delay_s = 0;

    // False (defer) at the first attempt that reaches the check, and until `delay` after
    // it; true (pass) from then on.
    static bool passes(Memory& g, double delay, double now_s) noexcept {
        if (!g.seen) {
            g.seen = true;
            g.first_s = now_s;
            return false;
        }
        return now_s - g.first_s >= delay;
    }

    Verdict evaluate(const Message&, Session& s, MessageRng&, const Attempt& a) const noexcept {
        return passes(policy_memory<Greylist>(s), delay_s, a.time_s)
                   ? Verdict::proceed()
                   : Verdict::temp_fail(Status::greylisted, Responsible::receiver_policy, stage_of<Greylist>);
    }
    static Greylist parse(const Field& f, const ParseContext&) {
        f.allow_keys({"type", "delay_s"});
        return {f["delay_s"].non_negative()};
    }
};

}  // namespace delivsim
