#pragma once
// DKIM (RFC 6376), modelled rather than cryptographic: a signature is the facts that decide
// its verification, and verification reads the signing domain's key record from the zone.
//
//   DkimSignature sig = sign("example.com", "s1");      // d=example.com, s=s1
//   pass_through(sig, hops::mailing_list);                // a hop that adds a footer and a subject tag
//   DkimCheck r = verify(zone, sig);                      // reads TXT s1._domainkey.example.com
//
// The model:
//  - The signer's key pair is its public half, `key` (the p= value it matches); "" means the
//    key the selector publishes, whatever it is. A published p= that differs (a rotated or
//    mistyped key) makes the signature fail.
//  - `key_bits` is the RSA key length; the receiver's DkimVerifier sets the minimum it accepts
//    (RFC 8301: at least 1024). Ed25519 keys (RFC 8463) have no length to check.
//  - A hop changes what was signed: `rewrites_body` always breaks the body hash, an
//    appended footer breaks it unless the signature limits the hashed body length (l=,
//    section 3.5, with the risk of section 8.2), and changing signed header fields (a
//    mailing list's subject tag) breaks the header hash.
//
// Results (the RFC 8601 section 2.7.1 names, without "neutral", which the model never gives):
//   none       no signature (DkimSignature::unsigned_message)
//   pass
//   fail       the signature did not verify: a modified body or signed header, a published
//              key that is not the signer's, or a revoked key (p= empty, section 3.6.1)
//   policy     verifiable, but not acceptable to this receiver: an RSA key shorter than its
//              minimum, or rsa-sha1 (RFC 8301 section 3.1) when it refuses those
//   temperror  the key query timed out or got SERVFAIL
//   permerror  no key record (NXDOMAIN or no TXT: RFC 6376 section 6.1.2 "no key for
//              signature"), more than one TXT record at the selector name (section 3.6.2.2
//              leaves it undefined), a key record that is not a valid tag list, v= that is
//              not DKIM1 or not first, a missing p=, p= that is not base64, an unknown key
//              type k= or one that does not match the algorithm, h= that excludes the
//              signature's hash, s= without "email" or "*", or a malformed d= or s=.
// A revoked key is a fail (the signer disowns signatures made with it), a missing key a
// permerror (nothing to verify against); DMARC treats every result but pass alike.
#include <delivsim/auth/spf.hpp>
#include <delivsim/auth/tag_list.hpp>
#include <delivsim/dns/zone.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace delivsim::auth {

enum class DkimResult : std::uint8_t { none, pass, fail, policy, temperror, permerror };
inline constexpr std::size_t dkim_result_count = 6;
inline constexpr std::array<std::string_view, dkim_result_count> dkim_result_names{"none", "pass", "fail", "policy",
                                                                                   "temperror", "permerror"};
inline std::string_view name_of(DkimResult r) noexcept { return dkim_result_names[static_cast<std::size_t>(r)]; }

enum class DkimAlgorithm : std::uint8_t { rsa_sha256, rsa_sha1, ed25519_sha256 };
inline constexpr std::array<std::string_view, 3> dkim_algorithm_names{"rsa-sha256", "rsa-sha1", "ed25519-sha256"};
inline std::optional<DkimAlgorithm> parse_dkim_algorithm(std::string_view s) noexcept {
    for (std::size_t i = 0; i < dkim_algorithm_names.size(); ++i)
        if (dkim_algorithm_names[i] == s) return static_cast<DkimAlgorithm>(i);
    return std::nullopt;
}

struct DkimSignature {
    std::string domain;    // d=
    std::string selector;  // s=
    DkimAlgorithm algorithm = DkimAlgorithm::rsa_sha256;
    unsigned key_bits = 2048;
    std::string key;                 // the signer's public key (p=); "" = whatever is published
    bool body_length_limit = false;  // l=: content appended after the hashed length is ignored
    bool body_intact = true;
    bool headers_intact = true;

    bool is_unsigned() const noexcept { return domain.empty() && selector.empty(); }
    static DkimSignature unsigned_message() { return {}; }
};

inline DkimSignature sign(std::string domain, std::string selector, unsigned key_bits = 2048,
                          DkimAlgorithm algorithm = DkimAlgorithm::rsa_sha256, std::string key = {}) {
    DkimSignature s;
    s.domain = std::move(domain);
    s.selector = std::move(selector);
    s.key_bits = key_bits;
    s.algorithm = algorithm;
    s.key = std::move(key);
    return s;
}

// What a hop between signer and verifier does to the message.
struct Hop {
    std::string_view name;
    bool appends_to_body = false;          // a footer or disclaimer
    bool rewrites_body = false;            // re-encoding, link rewriting, content changes
    bool modifies_signed_headers = false;  // a subject tag, a rewritten From or Reply-To...
};
namespace hops {
inline constexpr Hop relay{"relay", false, false, false};            // an MTA that only adds Received:
inline constexpr Hop forwarder{"forwarder", false, false, false};    // .forward / alias expansion
inline constexpr Hop mailing_list{"mailing_list", true, false, true};  // footer + "[list]" subject tag
inline constexpr Hop gateway_footer{"gateway_footer", true, false, false};  // a corporate disclaimer
inline constexpr Hop content_rewrite{"content_rewrite", false, true, false};  // link rewriting, re-encoding
inline constexpr Hop subject_tag{"subject_tag", false, false, true};  // a "[list]" subject tag only
}  // namespace hops

inline void pass_through(DkimSignature& s, const Hop& hop) noexcept {
    if (hop.rewrites_body || (hop.appends_to_body && !s.body_length_limit)) s.body_intact = false;
    if (hop.modifies_signed_headers) s.headers_intact = false;
}

// The receiver's acceptance policy.
struct DkimVerifier {
    unsigned min_rsa_bits = 1024;  // RFC 8301 section 3.2
    bool accept_rsa_sha1 = false;  // RFC 8301 section 3.1
};

struct DkimCheck {
    DkimResult result = DkimResult::none;
    std::string domain, selector;
    std::string problem;   // why it is not pass
    bool testing = false;  // the key record has t=y (section 3.6.1); reported, not acted on
    std::uint32_t queries = 0;
};

inline std::string key_record_name(std::string_view selector, std::string_view domain) {
    return std::string(selector) + "._domainkey." + std::string(domain);
}

// A DKIM key record's TXT text, for building zones: "v=DKIM1; k=rsa; p=<key>" (p= empty:
// revoked), with "t=y" for testing.
inline std::string dkim_key_record(std::string_view key, std::string_view key_type = "rsa", bool testing = false) {
    std::string r = "v=DKIM1; k=" + std::string(key_type) + "; p=" + std::string(key);
    if (testing) r += "; t=y";
    return r;
}

namespace detail {
inline bool has_word(std::string_view list, std::string_view word) {
    // colon-separated list, whitespace allowed around items
    std::size_t start = 0;
    while (start <= list.size()) {
        std::size_t end = list.find(':', start);
        if (end == std::string_view::npos) end = list.size();
        std::string_view item = list.substr(start, end - start);
        while (!item.empty() && is_fws(item.front())) item.remove_prefix(1);
        while (!item.empty() && is_fws(item.back())) item.remove_suffix(1);
        if (item == word) return true;
        start = end + 1;
    }
    return false;
}
inline std::string without_ws(std::string_view s) {
    std::string out;
    for (const char c : s)
        if (!is_fws(c)) out += c;
    return out;
}
inline bool is_base64(std::string_view s) {
    std::size_t pad = 0;
    for (const char c : s) {
        if (c == '=') {
            ++pad;
            continue;
        }
        if (pad > 0) return false;  // data after padding
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/'))
            return false;
    }
    return pad <= 2;  // the length is not checked: the model's keys are tokens, not real keys
}
}  // namespace detail

inline DkimCheck verify(const dns::Zone& zone, const DkimSignature& sig, const DkimVerifier& verifier = {},
                        dns::TimeoutDraw draw = {}) {
    DkimCheck out;
    out.domain = sig.domain;
    out.selector = sig.selector;
    auto done = [&out](DkimResult r, std::string problem) {
        out.result = r;
        out.problem = std::move(problem);
        return out;
    };
    if (sig.is_unsigned()) return done(DkimResult::none, "the message is not signed");
    if (auto p = spf_domain_problem(sig.domain); !p.empty()) return done(DkimResult::permerror, "d=: " + p);
    if (sig.selector.empty()) return done(DkimResult::permerror, "s= is empty");
    const std::string name = key_record_name(sig.selector, sig.domain);
    if (auto p = dns::name_problem(name); !p.empty()) return done(DkimResult::permerror, "key record name '" + name + "' " + p);

    dns::Resolver resolver(zone, draw);
    const auto txt = resolver.txt(name);
    out.queries = resolver.queries();
    if (txt.error())
        return done(DkimResult::temperror, std::string("DNS ") + (txt.rcode == dns::Rcode::timeout ? "timeout" : "SERVFAIL") +
                                               " for TXT " + name);
    if (txt.records.empty()) return done(DkimResult::permerror, "no key for signature (" + name + " has no TXT record)");
    if (txt.records.size() > 1) return done(DkimResult::permerror, name + " has more than one TXT record");
    const TagList key = parse_tag_list(dns::joined(txt.records[0]));
    if (!key.ok()) return done(DkimResult::permerror, "key record syntax: " + key.problem);
    if (const auto* v = key.find("v")) {
        if (*v != "DKIM1") return done(DkimResult::permerror, "key record v=" + *v + " is not DKIM1");
        if (key.tags.front().first != "v") return done(DkimResult::permerror, "key record v= is not the first tag");
    }
    if (const auto* t = key.find("t")) out.testing = detail::has_word(*t, "y");
    const auto* p = key.find("p");
    if (!p) return done(DkimResult::permerror, "key record has no p= tag");
    const std::string published = detail::without_ws(*p);
    if (published.empty()) return done(DkimResult::fail, "key revoked (empty p=)");
    const std::string k = key.find("k") ? *key.find("k") : "rsa";
    if (k != "rsa" && k != "ed25519") return done(DkimResult::permerror, "unknown key type k=" + k);
    const bool ed = sig.algorithm == DkimAlgorithm::ed25519_sha256;
    if ((k == "ed25519") != ed)
        return done(DkimResult::permerror, "key type k=" + k + " does not match the algorithm " +
                                               std::string(dkim_algorithm_names[static_cast<std::size_t>(sig.algorithm)]));
    if (const auto* h = key.find("h")) {
        const char* hash = sig.algorithm == DkimAlgorithm::rsa_sha1 ? "sha1" : "sha256";
        if (!detail::has_word(*h, hash)) return done(DkimResult::permerror, std::string("the key's h= does not allow ") + hash);
    }
    if (const auto* s = key.find("s"))
        if (!detail::has_word(*s, "*") && !detail::has_word(*s, "email"))
            return done(DkimResult::permerror, "the key's s= is not for email");
    if (!detail::is_base64(published)) return done(DkimResult::permerror, "key record syntax: p= is not base64");
    if (!sig.key.empty() && detail::without_ws(sig.key) != published)
        return done(DkimResult::fail, "the signature does not verify with the published key (" + name + ")");
    if (!ed && sig.key_bits < verifier.min_rsa_bits)
        return done(DkimResult::policy, "RSA key of " + std::to_string(sig.key_bits) + " bits; this receiver requires " +
                                            std::to_string(verifier.min_rsa_bits));
    if (sig.algorithm == DkimAlgorithm::rsa_sha1 && !verifier.accept_rsa_sha1)
        return done(DkimResult::policy, "rsa-sha1 signatures are not accepted");
    if (!sig.body_intact) return done(DkimResult::fail, "body hash did not verify (the body was modified in transit)");
    if (!sig.headers_intact) return done(DkimResult::fail, "signature did not verify (signed header fields were modified)");
    return done(DkimResult::pass, "");
}

}  // namespace delivsim::auth
