#pragma once
// DNS blocklist check at connect: a listed sending IP is refused before any envelope.
#include <delivsim/policy/policy.hpp>

namespace delivsim {

struct DnsblCheck {
    static constexpr std::string_view type_name = "dnsbl";
    static constexpr Phase phase = Phase::connect;
    static constexpr bool judges_spam = true;

    Verdict evaluate(const Message& m, Session&, MessageRng&, const Attempt&) const noexcept {
        return m.ip_listed ? Verdict::reject(Status::ip_blocklisted, Responsible::sender_configuration, stage_of<DnsblCheck>)
                           : Verdict::proceed();
    }
    static DnsblCheck parse(const Field& f, const ParseContext&) {
        f.allow_keys({"type"});
        return {};
    }
};

}  // namespace delivsim
