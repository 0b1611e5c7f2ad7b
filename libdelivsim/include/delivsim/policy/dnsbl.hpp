#pragma once
// DNS blocklist check at connect: a listed sending IP is refused before any envelope. Who is
// responsible follows the kind of listing (core/message.hpp IpListing).
#include <delivsim/policy/policy.hpp>

namespace delivsim {

struct DnsblCheck {
    static constexpr std::string_view type_name = "dnsbl";
    static constexpr Phase phase = Phase::connect;
    static constexpr bool judges_spam = true;
    bool operator==(const DnsblCheck&) const = default;

    Verdict evaluate(const Message& m, Session&, MessageRng&, const Attempt&) const noexcept {
        return m.ip_listed ? Verdict::reject(Status::ip_blocklisted, responsible_for(m.ip_listing), stage_of<DnsblCheck>)
                           : Verdict::proceed();
    }
    static constexpr Responsible responsible_for(IpListing k) noexcept {
        switch (k) {
            case IpListing::policy: return Responsible::sender_configuration;
            case IpListing::shared: return Responsible::shared_infrastructure;
            case IpListing::reputation: break;
        }
        return Responsible::sender_reputation;
    }
    static DnsblCheck parse(const Field& f, const ParseContext&) {
        f.allow_keys({"type"});
        return {};
    }
};

}  // namespace delivsim
