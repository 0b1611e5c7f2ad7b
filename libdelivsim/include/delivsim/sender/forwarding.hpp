#pragma once
// Indirect mail flows: a share of a sender class's mail reaches the receiver through an
// intermediary, a forwarder (an alias, a .forward) or a mailing list, and the receiver then
// authenticates what the intermediary sent (docs/forwarding.md gives the sources):
//   - SPF is checked for the intermediary's IP. A forwarder that keeps MAIL FROM makes SPF fail
//     (or softfail...: whatever the sender's record says about a foreign IP, RFC 7208 appendix
//     D); one that rewrites it with SRS, and a mailing list (which always rewrites it to its own
//     bounce address), gets SPF checked for its own domain: a pass, not aligned with From.
//   - DKIM survives unless the hop changes what was signed (auth/dkim.hpp: a footer without
//     l=, a body rewrite, a subject tag; RFC 6376 sections 3.4, 3.5 and 5).
//   - A mailing list may rewrite From to its own domain (RFC 7960 section 4.1.3): DMARC is then
//     evaluated for the list's domain.
//   - The intermediary may add an ARC seal (RFC 8617) recording the authentication results it
//     saw on arrival. A receiver that lists the sealer in its "trusted_arc_sealers" uses them:
//     a DMARC failure caused by the hop is overridden (the message's DmarcResult, what the
//     dmarc_disposition and content_filter policies read, is the first hop's pass), as Gmail
//     and Microsoft 365 document. The AuthResults keep the receiver's own results.
//
// JSON, in a class's "authentication" (zone-based) or "auth_results" (drawn):
//   "forwarded": {"probability": 0.1,            // share of the class's mail (per message)
//                 "kind": "mailing_list",        // or "forwarder" (the default)
//                 "hop": "mailing_list",         // what it does to the content (auth_hop_names)
//                 "domain": "lists.example",     // its domain: SRS, list bounces, From rewrite, ARC d=
//                 "srs": true,                   // forwarders only: rewrite MAIL FROM with SRS
//                 "rewrite_from": true,          // mailing lists only: From becomes the list's domain
//                 "arc": true,                   // it adds an ARC seal (d= its domain)
//                 "to": "gmail_like",            // optional: the receiving profile it forwards to
//                 "ip": "198.51.100.7"}          // zone-based: the IP the receiver sees
// Drawn classes also give "spf" (the result the sender's SPF record gives the intermediary's
// IP, needed when MAIL FROM is kept) and "dmarc_policy" (the list domain's policy, needed with
// "rewrite_from"); zone-based ones find both in the zone.
// Cost: nothing for a class without "forwarded"; a forwarded message of a zone-based class reads
// its precomputed case (sender/authentication.hpp), a drawn one adjusts its drawn facts.
#include <delivsim/auth/dkim.hpp>
#include <delivsim/core/json.hpp>
#include <delivsim/core/message.hpp>
#include <delivsim/dns/zone.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace delivsim {

// The content changes a hop can make (auth/dkim.hpp).
inline constexpr std::array<std::string_view, 6> auth_hop_names{"relay",          "forwarder",       "mailing_list",
                                                                "gateway_footer", "content_rewrite", "subject_tag"};
inline const auth::Hop& auth_hop(std::size_t i) noexcept {
    static constexpr std::array<auth::Hop, 6> h{auth::hops::relay,          auth::hops::forwarder,
                                                auth::hops::mailing_list,   auth::hops::gateway_footer,
                                                auth::hops::content_rewrite, auth::hops::subject_tag};
    return h[i];
}

enum class IntermediaryKind : std::uint8_t { forwarder, mailing_list };
inline constexpr std::array<std::string_view, 2> intermediary_kind_names{"forwarder", "mailing_list"};

struct Forwarding {
    double probability = 0;
    IntermediaryKind kind = IntermediaryKind::forwarder;
    std::size_t hop = 0;
    std::string domain;  // empty: a forwarder without SRS or ARC need not name one
    std::string ip;      // zone-based classes
    bool srs = false, rewrite_from = false, arc = false;
    std::string to;           // profile name, resolved at load into to_profile
    std::int32_t to_profile = -1;
    // Per receiving profile: does it trust this intermediary's ARC seal (resolved at load).
    std::vector<std::uint8_t> arc_trusted_by_profile;

    bool given() const noexcept { return probability > 0; }
    bool envelope_rewritten() const noexcept { return srs || kind == IntermediaryKind::mailing_list; }
    // Does the hop break a DKIM signature (drawn signatures carry no l=)?
    bool breaks_dkim(bool body_length_limit = false) const noexcept {
        auth::DkimSignature s;
        s.body_length_limit = body_length_limit;
        auth::pass_through(s, auth_hop(hop));
        return !s.body_intact || !s.headers_intact;
    }
    // The indirect-flow facts of a forwarded message, without the ARC bits.
    std::uint8_t indirect_bits() const noexcept {
        std::uint8_t b = AuthResults::forwarded;
        if (kind == IntermediaryKind::mailing_list) b |= AuthResults::via_mailing_list;
        if (envelope_rewritten()) b |= AuthResults::envelope_rewritten;
        if (rewrite_from) b |= AuthResults::from_rewritten;
        if (arc) b |= AuthResults::arc_sealed;
        return b;
    }

    // At the receiver, after the facts: the profile it was forwarded to, and whether that
    // receiver honours the ARC seal's recorded DMARC pass.
    void arrive(Message& m) const noexcept {
        if (to_profile >= 0) m.profile = static_cast<std::uint32_t>(to_profile);
        if ((m.auth.indirect & AuthResults::arc_dmarc_pass) && m.profile < arc_trusted_by_profile.size() &&
            arc_trusted_by_profile[m.profile]) {
            m.auth.indirect |= AuthResults::arc_honoured;
            m.dmarc = DmarcResult::pass;
        }
    }

    // The keys every class shares; `zone_based` adds "ip", drawn classes "spf" and "dmarc_policy"
    // (their parsers read those).
    static Forwarding parse(const Field& f, bool zone_based) {
        if (zone_based) f.allow_keys({"probability", "kind", "hop", "domain", "srs", "rewrite_from", "arc", "to", "ip"});
        else f.allow_keys({"probability", "kind", "hop", "domain", "srs", "rewrite_from", "arc", "to", "spf", "dmarc_policy"});
        Forwarding w;
        w.probability = f["probability"].probability();
        if (f.has("kind")) w.kind = static_cast<IntermediaryKind>(f["kind"].choice(intermediary_kind_names));
        w.hop = f["hop"].choice(auth_hop_names);
        if (f.has("srs")) {
            if (w.kind == IntermediaryKind::mailing_list)
                f["srs"].fail("a mailing list always rewrites the envelope sender to its own domain: 'srs' is for forwarders");
            w.srs = f["srs"].boolean();
        }
        if (f.has("rewrite_from")) {
            if (w.kind != IntermediaryKind::mailing_list)
                f["rewrite_from"].fail("only a mailing list rewrites From (give \"kind\": \"mailing_list\")");
            w.rewrite_from = f["rewrite_from"].boolean();
        }
        if (f.has("arc")) w.arc = f["arc"].boolean();
        const bool needs_domain = w.envelope_rewritten() || w.rewrite_from || w.arc;
        if (f.has("domain")) {
            const Field d = f["domain"];
            std::string s = d.name();
            if (auto p = dns::name_problem(s); !p.empty()) d.fail("'" + s + "' " + p);
            w.domain = dns::normalize_name(s);
        } else if (needs_domain) {
            f.child("domain").fail(std::string("required: the intermediary's own domain (") +
                                   (w.kind == IntermediaryKind::mailing_list ? "a mailing list's bounce address"
                                    : w.srs                                   ? "SRS"
                                                                              : "the ARC seal's d=") +
                                   " uses it)");
        }
        if (f.has("to")) w.to = f["to"].name();
        if (zone_based) {
            std::string s = f["ip"].string();
            if (!dns::parse_ip(s)) f["ip"].fail("'" + s + "' is not an IPv4 or IPv6 address");
            w.ip = s;
        }
        return w;
    }
};

}  // namespace delivsim
