#pragma once
// Recipient verification at RCPT TO: a mistyped local part is refused with 550 5.1.1.
#include <delivsim/policy/policy.hpp>

namespace delivsim {

struct UnknownUser {
    static constexpr std::string_view type_name = "unknown_user";
    static constexpr Phase phase = Phase::envelope;
    static constexpr bool judges_spam = false;
    bool operator==(const UnknownUser&) const = default;

    Verdict evaluate(const Message& m, Session&, MessageRng&, const Attempt&) const noexcept {
        return m.address_error == AddressError::unknown_user
                   ? Verdict::reject(Status::unknown_user, Responsible::address_error, stage_of<UnknownUser>)
                   : Verdict::proceed();
    }
    static UnknownUser parse(const Field& f, const ParseContext&) {
        f.allow_keys({"type"});
        return {};
    }
};

}  // namespace delivsim
