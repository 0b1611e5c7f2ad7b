#pragma once
// A sender class's authentication and transport facts when they are drawn rather than computed
// from the simulated DNS (sender/authentication.hpp computes them for zone-based classes).
//
// "auth_results" (instead of "dmarc" or "authentication"): the checks' results as the
// receiver records them, and the DMARC result that follows from them (RFC 7489 section 4.2:
// pass when SPF or a DKIM signature passes with an identifier aligned to the From domain;
// otherwise fail under a record's policy, or none without a record):
//   {"from_domain": "shop.example", "dmarc_policy": "reject",       // or none, quarantine, no_record
//    "alignment": "relaxed",                                         // or strict (aspf and adkim)
//    "spf": {"domain": "bounces.esp.example", "result": {"pass": 0.97, "softfail": 0.03}},
//    "dkim": [{"domain": "shop.example", "result": "pass"},         // at most two signatures
//             {"domain": "esp.example", "result": {"pass": 0.99, "fail": 0.01}}],
//    "forwarded": {...}}                                             // optional, sender/forwarding.hpp
// A result is one value's name or a distribution over them. Alignment is computed once from the
// domains (organizational domains from the Public Suffix List, auth/public_suffix.hpp).
//
// "transport" (any class, optional; each key optional):
//   {"ptr": {"fcrdns": 0.9, "no_ptr": 0.1},   // drawn classes only: zone-based ones look it up
//    "tls": 0.98,                              // probability that the session used STARTTLS
//    "list_unsubscribe": "one_click",          // or none, header (RFC 2369 only), or a distribution
//    "bulk": true}                             // counts as a bulk sender (a world counts it instead)
// Defaults: forward-confirmed PTR, TLS, no List-Unsubscribe, not bulk.
//
// A class with only the four-valued "dmarc" mixture gets facts that match its DMARC result
// (legacy_auth_results below): SPF passes aligned exactly when DMARC passes; "none" is read as
// no DMARC record; no DKIM signature.
//
// Forwarded (sender/forwarding.hpp): the facts above are drawn as the intermediary received
// them, then changed by the hop: SPF becomes "forwarded.spf" (MAIL FROM kept) or a pass for the
// intermediary's domain (SRS, a list); a signature the hop breaks fails; with "rewrite_from",
// alignment and the policy are the list domain's. DMARC follows from the changed facts.
//
// Draws: Stream::message slots draw_spf, draw_dkim_0/1, draw_ptr, draw_tls,
// draw_list_unsubscribe, draw_forwarded and draw_forwarded_spf (core/rng.hpp), each only when
// its value is uncertain.
#include <delivsim/auth/public_suffix.hpp>
#include <delivsim/core/json.hpp>
#include <delivsim/core/message.hpp>
#include <delivsim/core/rng.hpp>
#include <delivsim/dns/zone.hpp>
#include <delivsim/sender/forwarding.hpp>
#include <delivsim/sender/mixture.hpp>

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace delivsim {

// A distribution over an enum's values, given as one value's name or {"value": weight, ...}.
template <std::size_t N>
struct ValueDistribution {
    std::array<double, N> cdf{};
    int certain = 0;  // the value that carries all the weight, or -1: drawn

    std::uint32_t draw(MessageRng& rng, std::uint32_t slot) const noexcept {
        return certain >= 0 ? static_cast<std::uint32_t>(certain) : pick(cdf, rng.uniform(Stream::message, slot));
    }

    // `allowed`: which of `names` may appear (the others are an error naming the field).
    static ValueDistribution parse(const Field& f, const std::array<std::string_view, N>& names,
                                   const std::array<bool, N>& allowed) {
        auto known = [&] {
            std::string list;
            for (std::size_t i = 0; i < N; ++i)
                if (allowed[i]) list += (list.empty() ? "" : ", ") + std::string(names[i]);
            return list;
        };
        ValueDistribution d;
        if (f.raw().is_string()) {
            const std::string s = f.string();
            for (std::size_t i = 0; i < N; ++i)
                if (allowed[i] && names[i] == s) {
                    d.certain = static_cast<int>(i);
                    for (std::size_t k = i; k < N; ++k) d.cdf[k] = 1;
                    return d;
                }
            f.fail("'" + s + "' is not one of: " + known());
        }
        if (!f.raw().is_object()) f.fail(f.shown() + " is not a value's name or an object of probabilities");
        std::vector<std::pair<Field, double>> w;
        for (const auto& item : f.raw().items()) {
            bool ok = false;
            for (std::size_t i = 0; i < N; ++i) ok = ok || (allowed[i] && names[i] == item.key());
            if (!ok) f.child(item.key()).fail("unknown value '" + item.key() + "' (one of: " + known() + ")");
        }
        for (std::size_t i = 0; i < N; ++i) {
            const bool given = allowed[i] && f.has(names[i]);
            const Field x = given ? f[names[i]] : f.child(names[i]);
            w.emplace_back(x, given ? x.probability() : 0.0);
        }
        const auto c = mixture_cdf(f, w);
        std::copy(c.begin(), c.end(), d.cdf.begin());
        d.certain = certain_component(d.cdf);
        return d;
    }
};

inline constexpr std::array<bool, auth_result_count> spf_results_allowed{true, true, true, true, true, false, true, true};
inline constexpr std::array<bool, auth_result_count> dkim_results_allowed{true, true, true, false, true, true, true, true};

// The legacy DmarcResult a receiver's dmarc_disposition reads, from the DMARC result and policy.
constexpr DmarcResult dmarc_disposition_of(AuthResult dmarc, DmarcPolicyFact policy) noexcept {
    if (dmarc == AuthResult::pass) return DmarcResult::pass;
    if (dmarc != AuthResult::fail) return DmarcResult::none;
    if (policy == DmarcPolicyFact::reject) return DmarcResult::fail_reject;
    if (policy == DmarcPolicyFact::quarantine) return DmarcResult::fail_quarantine;
    return DmarcResult::none;
}

// The facts of a class that gives only the four-valued "dmarc" mixture (see the top).
inline constexpr std::array<AuthResults, dmarc_result_count> legacy_auth_results = [] {
    std::array<AuthResults, dmarc_result_count> t{};
    t[0].dmarc_policy = DmarcPolicyFact::none;  // pass: a record exists; its policy is not known
    t[1].spf_aligned = false;                   // none: no record
    t[1].dmarc = AuthResult::none;
    t[1].dmarc_policy = DmarcPolicyFact::no_record;
    t[2].spf = AuthResult::fail;
    t[2].dmarc = AuthResult::fail;
    t[2].dmarc_policy = DmarcPolicyFact::reject;
    t[3].spf = AuthResult::fail;
    t[3].dmarc = AuthResult::fail;
    t[3].dmarc_policy = DmarcPolicyFact::quarantine;
    return t;
}();

// Index of `d` in `domains`, added if new (a class's facts name domains by index).
inline std::uint8_t domain_index(std::vector<std::string>& domains, const std::string& d, const Field& where) {
    for (std::size_t i = 0; i < domains.size(); ++i)
        if (domains[i] == d) return static_cast<std::uint8_t>(i);
    if (domains.size() >= 255) where.fail("more than 255 domains in one sender class");
    domains.push_back(d);
    return static_cast<std::uint8_t>(domains.size() - 1);
}

inline std::string parse_domain_name(const Field& d) {
    std::string s = d.name();
    if (auto p = dns::name_problem(s); !p.empty()) d.fail("'" + s + "' " + p);
    return dns::normalize_name(s);
}

struct DrawnAuthentication {
    ValueDistribution<auth_result_count> spf;
    std::uint8_t spf_domain = 0;
    bool spf_aligned = false;
    struct Signature {
        ValueDistribution<auth_result_count> result;
        std::uint8_t domain = 0;
        bool aligned = false;
    };
    std::vector<Signature> dkim;
    DmarcPolicyFact policy = DmarcPolicyFact::no_record;

    // Forwarded mail (sender/forwarding.hpp) and what the hop makes of the facts.
    Forwarding forwarding;
    ValueDistribution<auth_result_count> forwarded_spf;  // MAIL FROM kept: SPF for the intermediary's IP
    std::uint8_t forwarded_spf_domain = 0;               // the intermediary's domain (envelope rewritten)
    bool forwarded_spf_aligned = false;                   // SPF's domain aligned with the From it sees
    std::array<bool, max_dkim_signatures> forwarded_dkim_aligned{};
    bool forwarded_dkim_breaks = false;
    DmarcPolicyFact forwarded_policy = DmarcPolicyFact::no_record;

    // RFC 7489 section 4.2: pass when SPF or a DKIM signature passes aligned.
    static void settle_dmarc(Message& m, DmarcPolicyFact policy) noexcept {
        AuthResults& a = m.auth;
        const bool pass = (a.spf == AuthResult::pass && a.spf_aligned) || a.dkim_aligned_pass();
        a.dmarc_policy = policy;
        a.dmarc = pass ? AuthResult::pass : policy == DmarcPolicyFact::no_record ? AuthResult::none : AuthResult::fail;
        m.dmarc = dmarc_disposition_of(a.dmarc, policy);
    }

    // The facts the receiver finds after the intermediary's hop.
    void forward(Message& m, MessageRng& rng) const noexcept {
        AuthResults& a = m.auth;
        const bool arrived_pass = a.dmarc == AuthResult::pass;
        if (forwarding.envelope_rewritten()) {
            a.spf = AuthResult::pass;
            a.spf_domain = forwarded_spf_domain;
        } else {
            a.spf = static_cast<AuthResult>(forwarded_spf.draw(rng, draw_forwarded_spf));
        }
        a.spf_aligned = forwarded_spf_aligned;
        for (std::size_t i = 0; i < a.dkim_count; ++i) {
            if (forwarded_dkim_breaks && a.dkim[i].result == AuthResult::pass) a.dkim[i].result = AuthResult::fail;
            a.dkim[i].aligned = forwarded_dkim_aligned[i];
        }
        settle_dmarc(m, forwarded_policy);
        a.indirect = forwarding.indirect_bits();
        if (forwarding.arc && arrived_pass) a.indirect |= AuthResults::arc_dmarc_pass;
        forwarding.arrive(m);
    }

    void draw(Message& m, MessageRng& rng) const noexcept {
        AuthResults& a = m.auth;
        a.spf = static_cast<AuthResult>(spf.draw(rng, draw_spf));
        a.spf_domain = spf_domain;
        a.spf_aligned = spf_aligned;
        a.spf_helo = false;
        a.dkim_count = static_cast<std::uint8_t>(dkim.size());
        for (std::size_t i = 0; i < dkim.size(); ++i)
            a.dkim[i] = {dkim[i].domain, static_cast<AuthResult>(dkim[i].result.draw(rng, draw_dkim_0 + static_cast<std::uint32_t>(i))),
                         dkim[i].aligned};
        settle_dmarc(m, policy);
        if (forwarding.given() && rng.bernoulli(Stream::message, draw_forwarded, forwarding.probability)) forward(m, rng);
    }

    static DrawnAuthentication parse(const Field& f, std::vector<std::string>& domains) {
        f.allow_keys({"from_domain", "dmarc_policy", "alignment", "spf", "dkim", "forwarded"});
        DrawnAuthentication d;
        const std::string from = parse_domain_name(f["from_domain"]);
        d.policy = static_cast<DmarcPolicyFact>(f["dmarc_policy"].choice(dmarc_policy_fact_names));
        static constexpr std::array<std::string_view, 2> modes{"relaxed", "strict"};
        const bool strict = f.has("alignment") && f["alignment"].choice(modes) == 1;
        auto aligned = [&](const std::string& id) {
            return strict ? id == from : auth::organizational_domain(id) == auth::organizational_domain(from);
        };
        const Field spf = f["spf"];
        spf.allow_keys({"domain", "result"});
        const std::string spf_domain = parse_domain_name(spf["domain"]);
        d.spf_domain = domain_index(domains, spf_domain, spf["domain"]);
        d.spf_aligned = aligned(spf_domain);
        d.spf = ValueDistribution<auth_result_count>::parse(spf["result"], auth_result_names, spf_results_allowed);
        if (f.has("dkim")) {
            const auto sigs = f["dkim"].items();
            if (sigs.size() > max_dkim_signatures) f["dkim"].fail("at most " + std::to_string(max_dkim_signatures) + " signatures");
            for (const Field& s : sigs) {
                s.allow_keys({"domain", "result"});
                Signature g;
                const std::string dom = parse_domain_name(s["domain"]);
                g.domain = domain_index(domains, dom, s["domain"]);
                g.aligned = aligned(dom);
                g.result = ValueDistribution<auth_result_count>::parse(s["result"], auth_result_names, dkim_results_allowed);
                d.dkim.push_back(g);
            }
        }
        if (f.has("forwarded")) {
            const Field fw = f["forwarded"];
            Forwarding& w = d.forwarding = Forwarding::parse(fw, false);
            const std::string seen_from = w.rewrite_from ? w.domain : from;
            auto aligned_seen = [&](const std::string& id) {
                return strict ? id == seen_from : auth::organizational_domain(id) == auth::organizational_domain(seen_from);
            };
            if (w.envelope_rewritten()) {
                if (fw.has("spf"))
                    fw["spf"].fail("the intermediary rewrites MAIL FROM to its own domain (SRS or a list): SPF is "
                                   "checked for that domain and passes; 'spf' is for a forwarder that keeps MAIL FROM");
                d.forwarded_spf_domain = domain_index(domains, w.domain, fw["domain"]);
                d.forwarded_spf_aligned = aligned_seen(w.domain);
            } else {
                d.forwarded_spf = ValueDistribution<auth_result_count>::parse(fw["spf"], auth_result_names, spf_results_allowed);
                d.forwarded_spf_aligned = aligned_seen(spf_domain);
            }
            if (w.arc && !w.envelope_rewritten()) domain_index(domains, w.domain, fw["domain"]);
            for (std::size_t i = 0; i < d.dkim.size(); ++i) d.forwarded_dkim_aligned[i] = aligned_seen(domains[d.dkim[i].domain]);
            d.forwarded_dkim_breaks = w.breaks_dkim();
            if (w.rewrite_from) {
                d.forwarded_policy = static_cast<DmarcPolicyFact>(fw["dmarc_policy"].choice(dmarc_policy_fact_names));
            } else {
                if (fw.has("dmarc_policy"))
                    fw["dmarc_policy"].fail("is only for \"rewrite_from\": otherwise DMARC is the From domain's (\"dmarc_policy\" above)");
                d.forwarded_policy = d.policy;
            }
        }
        return d;
    }
};

struct TransportModel {
    bool ptr_given = false;
    ValueDistribution<reverse_dns_names.size()> ptr;
    double tls = 1.0;
    ValueDistribution<list_unsubscribe_names.size()> list_unsubscribe;
    bool bulk = false;

    // `zone_based`: the class computes its PTR from the zone (sender/authentication.hpp).
    static TransportModel parse(const Field& f, bool zone_based) {
        f.allow_keys({"ptr", "tls", "list_unsubscribe", "bulk"});
        TransportModel t;
        if (f.has("ptr")) {
            if (zone_based) f["ptr"].fail("a class with zone-based \"authentication\" looks its PTR up in the zone");
            t.ptr_given = true;
            t.ptr = ValueDistribution<4>::parse(f["ptr"], reverse_dns_names, {true, true, true, true});
        }
        if (f.has("tls")) t.tls = f["tls"].probability();
        if (f.has("list_unsubscribe"))
            t.list_unsubscribe = ValueDistribution<3>::parse(f["list_unsubscribe"], list_unsubscribe_names, {true, true, true});
        if (f.has("bulk")) t.bulk = f["bulk"].boolean();
        return t;
    }

    void draw(Message& m, MessageRng& rng) const noexcept {
        if (ptr_given) m.transport.ptr = static_cast<ReverseDns>(ptr.draw(rng, draw_ptr));
        m.transport.tls = tls >= 1.0 || (tls > 0 && rng.bernoulli(Stream::message, draw_tls, tls));
        m.transport.list_unsubscribe = static_cast<ListUnsubscribe>(list_unsubscribe.draw(rng, draw_list_unsubscribe));
        m.transport.bulk = bulk;
    }
};

}  // namespace delivsim
