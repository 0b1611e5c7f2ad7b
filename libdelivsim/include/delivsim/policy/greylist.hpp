#pragma once
// Greylisting: the first attempt that reaches this check is deferred; a retry at least
// `delay_s` later passes (postgrey's default delay is 300 s). The deferral is written as the
// greylisting software writes it: a milter (rspamd, milter-greylist) 451 4.7.1, postgrey
// through Postfix's DEFER_IF_PERMIT 450 4.2.0 (measured: validation/report.md).
#include <delivsim/policy/policy.hpp>

#include <array>
#include <string_view>

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
    Status reply = Status::greylisted;  // or greylisted_postgrey
    bool operator==(const Greylist&) const = default;

    static constexpr std::array<std::string_view, 2> implementations{"milter", "postgrey"};

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
                   : Verdict::temp_fail(reply, Responsible::receiver_policy, stage_of<Greylist>);
    }
    static Greylist parse(const Field& f, const ParseContext&) {
        f.allow_keys({"type", "delay_s", "implementation"});
        Greylist g{f["delay_s"].non_negative()};
        if (f.has("implementation") && f["implementation"].choice(implementations) == 1) g.reply = Status::greylisted_postgrey;
        return g;
    }
};

}  // namespace delivsim
