#pragma once
// Reverse DNS of a sending IP as receivers check it ("iprev", RFC 8601 section 3; the
// forward-confirmed reverse DNS that Gmail's and Yahoo's sender requirements ask for): the
// PTR names of the IP's reverse name (dns::reverse_name), and for each of the first 10 an
// A/AAAA lookup; the IP is forward-confirmed when one of them resolves back to it.
//   fcrdns       a PTR name resolves back to the IP            (RFC 8601 iprev pass)
//   no_ptr       no PTR record (NXDOMAIN or NODATA)             (permerror)
//   unconfirmed  PTR names, none of which resolves back to it   (fail)
//   temperror    the PTR lookup, or every forward lookup, failed with a DNS error
// Deterministic: the zone's random timeout probability does not apply here (the engine
// evaluates it once per sending IP, at scenario load).
#include <delivsim/core/message.hpp>
#include <delivsim/dns/zone.hpp>

#include <stdexcept>
#include <string>
#include <string_view>

namespace delivsim::auth {

struct IprevCheck {
    ReverseDns result = ReverseDns::no_ptr;
    std::string name;  // the PTR name that resolved back to the IP (fcrdns)
    std::uint32_t queries = 0;
};

inline IprevCheck check_iprev(const dns::Zone& zone, std::string_view ip_text, std::size_t max_names = 10) {
    const auto parsed = dns::parse_ip(ip_text);
    if (!parsed) throw std::invalid_argument("'" + std::string(ip_text) + "' is not an IPv4 or IPv6 address");
    const dns::IpAddress ip = parsed->unmapped();
    IprevCheck c;
    const auto ptr = zone.ptr(dns::reverse_name(ip));
    ++c.queries;
    if (ptr.error()) {
        c.result = ReverseDns::temperror;
        return c;
    }
    if (ptr.records.empty()) return c;
    bool any_answer = false;
    std::size_t n = 0;
    for (const auto& name : ptr.records) {
        if (n++ >= max_names) break;
        const auto fwd = ip.is_v4() ? zone.a(name) : zone.aaaa(name);
        ++c.queries;
        if (fwd.error()) continue;
        any_answer = true;
        for (const auto& a : fwd.records)
            if (a == ip) {
                c.result = ReverseDns::fcrdns;
                c.name = name;
                return c;
            }
    }
    c.result = any_answer ? ReverseDns::unconfirmed : ReverseDns::temperror;
    return c;
}

}  // namespace delivsim::auth
