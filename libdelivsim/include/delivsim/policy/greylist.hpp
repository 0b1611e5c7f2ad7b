#pragma once
// Greylisting: the first attempt that reaches this check is deferred with 451 4.7.1; a
// retry at least `delay_s` later passes (postgrey's default delay is 300 s).
#include <delivsim/policy/policy.hpp>

namespace delivsim {

struct Greylist {
    static constexpr std::string_view type_name = "greylist";
    static constexpr Phase phase = Phase::envelope;
    double delay_s = 0;

    Verdict evaluate(const Message&, Session& s, MessageRng&, const Attempt& a) const noexcept {
        if (!s.greylist_seen) {
            s.greylist_seen = true;
            s.greylist_first_s = a.time_s;
        } else if (a.time_s - s.greylist_first_s >= delay_s) {
            return Verdict::proceed();
        }
        return Verdict::temp_fail(Status::greylisted, Responsible::receiver_policy, Stage::greylist);
    }
    static Greylist parse(const Field& f, const ParseContext&) {
        f.allow_keys({"type", "delay_s"});
        return {f["delay_s"].non_negative()};
    }
};

}  // namespace delivsim
