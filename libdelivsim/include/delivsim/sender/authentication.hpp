#pragma once
// Zone-based authentication of a sender class: instead of a DMARC result mixture, the class
// names its domains, sending IPs and DKIM signing setup, and each message's SPF, DKIM and
// DMARC results come from evaluating the scenario's simulated DNS zone (dns/zone.hpp) with
// auth/spf.hpp, auth/dkim.hpp and auth/dmarc.hpp. The receivers' dmarc_disposition and
// content_filter policies then read the message's DmarcResult exactly as before.
//
// Scenario JSON (a sender class's "authentication", which needs the top-level "dns" zone):
//   {"from_domain": "example.com", "mail_from_domain": "bounces.example.com",
//    "helo": "out1.example.com", "ips": ["192.0.2.10", "192.0.2.11"],
//    "dkim": {"domain": "example.com", "selector": "s1", "key": "MIGf...", "key_bits": 2048},
//    "forwarded": {"probability": 0.05, "hop": "mailing_list", "ip": "198.51.100.7"}}
// "dkim" and "forwarded" are optional ("forwarded": sender/forwarding.hpp, with SRS, mailing
// lists, From rewriting and ARC; "dkim" may add "body_length_limit": true, the l= tag). Besides the DmarcResult, each message gets its full
// facts (core/message.hpp AuthResults): SPF's result for MAIL FROM's domain, the DKIM
// signature's result, the identifiers' alignment with the From domain, the DMARC result and
// the policy that applied ("no_record" without one), and the sending IP's reverse DNS
// (auth/iprev.hpp). Domains are named by index into `domains` (0: the MAIL FROM domain,
// then the DKIM d=). Per message: one IP, uniformly (draw_auth_ip); whether
// the message went through the intermediary (draw_auth_forwarded): then SPF is checked for its
// IP (for MAIL FROM's domain, or the intermediary's with SRS or a list), the DKIM signature
// passes through the hop, and DMARC is for the list's domain when it rewrites From.
//
// The cache. Without random DNS timeouts, SPF, DKIM and DMARC discovery/alignment are pure
// functions of (zone, IP, identities), and a class's identities are fixed: the only per-message
// inputs are the IP (one of `ips`) and whether the message was forwarded. So compile() evaluates
// every (ip, forwarded) combination once, at scenario load, into `cases`; a message picks its
// case with two draws and copies its DmarcResult (one more draw, draw_dmarc_pct, only when the
// record's pct= < 100 makes the sampled and unsampled results differ). A million messages thus
// cost a million table look-ups, not a million SPF evaluations, and the table is exactly the
// evaluation (it is the same code, run once).
// Random timeouts (the zone's timeout_probability > 0): per dns/zone.hpp, an evaluation whose
// draws for query ordinals 0..Q-1 (Q = the deterministic evaluation's query count) are all at or
// above the probability gets the deterministic result. A message therefore checks its
// Stream::dns_timeout draws for the case's SPF, DKIM and DMARC queries (at ordinal offsets
// spf_draw_base, dkim_draw_base, dmarc_draw_base) and only when one of them is a timeout does it
// re-evaluate the whole chain with those draws (evaluate()).
#include <delivsim/auth/dkim.hpp>
#include <delivsim/auth/dmarc.hpp>
#include <delivsim/auth/iprev.hpp>
#include <delivsim/auth/spf.hpp>
#include <delivsim/core/message.hpp>
#include <delivsim/core/rng.hpp>
#include <delivsim/dns/zone.hpp>
#include <delivsim/core/json.hpp>
#include <delivsim/sender/facts.hpp>
#include <delivsim/sender/forwarding.hpp>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace delivsim {

// One message's full evaluation (what explain shows).
struct AuthEvaluation {
    std::string ip;
    bool forwarded = false;
    std::string from_domain, mail_from_domain;  // as the receiver saw them (an intermediary may rewrite)
    auth::SpfCheck spf;
    auth::DkimCheck dkim;
    auth::DmarcEvaluation dmarc;
};

struct Authentication {
    static constexpr std::uint32_t spf_draw_base = 0, dkim_draw_base = 1u << 20, dmarc_draw_base = 2u << 20;

    std::shared_ptr<const dns::Zone> zone;
    std::string from_domain, mail_from_domain, helo;
    std::vector<std::string> ips;
    std::optional<auth::DkimSignature> dkim;
    Forwarding forwarding;             // probability 0: never forwarded
    std::vector<std::string> domains;  // what AuthResults' domain indices name

    // The cache: one entry per (ip index, forwarded), index ip * 2 + forwarded.
    struct Case {
        DmarcResult if_sampled = DmarcResult::pass, if_not_sampled = DmarcResult::pass;
        double pct = 1.0;  // pct= / 100: a message is sampled when its draw is below it
        std::uint32_t spf_queries = 0, dkim_queries = 0, dmarc_queries = 0;
        AuthResults facts;
        ReverseDns ptr = ReverseDns::fcrdns;
    };

    // The message facts of an evaluation.
    AuthResults facts_of(const AuthEvaluation& e) const {
        auto index = [&](const std::string& d) {
            for (std::size_t i = 0; i < domains.size(); ++i)
                if (domains[i] == d) return static_cast<std::uint8_t>(i);
            return std::uint8_t{0};
        };
        auto by_name = [](std::string_view n) {
            for (std::size_t i = 0; i < auth_result_count; ++i)
                if (auth_result_names[i] == n) return static_cast<AuthResult>(i);
            return AuthResult::none;
        };
        AuthResults a;
        a.spf = by_name(auth::name_of(e.spf.result));
        a.spf_domain = index(e.mail_from_domain);
        a.spf_aligned = auth::aligned(e.mail_from_domain, e.from_domain, e.dmarc.aspf);
        a.dkim_count = 0;
        if (dkim) {
            a.dkim_count = 1;
            a.dkim[0] = {index(dkim->domain), by_name(auth::name_of(e.dkim.result)),
                         auth::aligned(dkim->domain, e.from_domain, e.dmarc.adkim)};
        }
        if (e.forwarded) a.indirect = forwarding.indirect_bits();
        a.dmarc = by_name(auth::name_of(e.dmarc.result));
        a.dmarc_policy = !e.dmarc.policy ? DmarcPolicyFact::no_record
                                         : static_cast<DmarcPolicyFact>(1 + static_cast<std::uint8_t>(*e.dmarc.policy));
        return a;
    }
    std::vector<Case> cases;

    std::string_view sending_ip(std::size_t k, bool fwd) const { return fwd ? std::string_view(forwarding.ip) : ips[k]; }

    // The chain SPF -> DKIM -> DMARC for one (ip, forwarded) case. With `timeouts`, each query
    // draws from the message's Stream::dns_timeout (see the top of this file). `sample` is the
    // DMARC pct draw.
    AuthEvaluation evaluate(std::size_t k, bool fwd, double sample, MessageRng* timeouts = nullptr,
                            bool trace = false) const {
        AuthEvaluation e;
        e.ip = std::string(sending_ip(k, fwd));
        e.forwarded = fwd;
        // What the receiver sees from an intermediary: its envelope (SRS, a list's bounces) and
        // HELO, and the list's From when it rewrites it.
        const bool new_envelope = fwd && forwarding.envelope_rewritten();
        e.mail_from_domain = new_envelope ? forwarding.domain : mail_from_domain;
        e.from_domain = fwd && forwarding.rewrite_from ? forwarding.domain : from_domain;
        auto drawer = [timeouts](std::uint32_t base) {
            return [timeouts, base](std::uint32_t q) { return timeouts->uniform(Stream::dns_timeout, base + q); };
        };
        const auto spf_draw = drawer(spf_draw_base), dkim_draw = drawer(dkim_draw_base), dmarc_draw = drawer(dmarc_draw_base);
        auth::SpfOptions opt;
        opt.trace = trace;
        e.spf = auth::check_host(*zone, e.ip, e.mail_from_domain, "bounces@" + e.mail_from_domain,
                                 new_envelope ? forwarding.domain : helo, opt,
                                 timeouts ? dns::TimeoutDraw(spf_draw) : dns::TimeoutDraw());
        auth::DkimSignature sig = dkim ? *dkim : auth::DkimSignature::unsigned_message();
        if (fwd && dkim) auth::pass_through(sig, auth_hop(forwarding.hop));
        e.dkim = auth::verify(*zone, sig, {}, timeouts ? dns::TimeoutDraw(dkim_draw) : dns::TimeoutDraw());
        std::vector<std::string> dkim_pass;
        if (e.dkim.result == auth::DkimResult::pass) dkim_pass.push_back(sig.domain);
        e.dmarc = auth::evaluate_dmarc(*zone, e.from_domain, e.mail_from_domain, e.spf.result,
                                       std::span<const std::string>(dkim_pass), sample, {},
                                       timeouts ? dns::TimeoutDraw(dmarc_draw) : dns::TimeoutDraw());
        return e;
    }

    // Fills `cases` (the cache). Call after any edit.
    void compile() {
        cases.clear();
        for (std::size_t k = 0; k < ips.size(); ++k)
            for (const bool fwd : {false, true}) {
                const AuthEvaluation e = evaluate(k, fwd, 0.0);
                Case c;
                c.spf_queries = e.spf.queries;
                c.dkim_queries = e.dkim.queries;
                c.dmarc_queries = e.dmarc.queries;
                // pct= sampling (auth::dispose): sampled, the published policy; not sampled, one
                // step down. Both outcomes are kept; the message's draw chooses.
                auth::DmarcEvaluation d = e.dmarc, u = e.dmarc;
                d.pct = 100;
                auth::dispose(d, 0.0);
                u.pct = 0;
                auth::dispose(u, 0.0);
                c.if_sampled = d.message_result();
                c.if_not_sampled = u.message_result();
                c.pct = e.dmarc.pct >= 100 ? 1.0 : e.dmarc.pct / 100.0;
                c.facts = facts_of(e);
                // The ARC seal records what the intermediary saw on arrival: the direct case's DMARC.
                if (fwd && forwarding.arc && cases[k * 2].facts.dmarc == AuthResult::pass)
                    c.facts.indirect |= AuthResults::arc_dmarc_pass;
                c.ptr = auth::check_iprev(*zone, e.ip).result;
                cases.push_back(c);
            }
    }

    // Which case message `rng` is: its IP and whether it was forwarded.
    std::size_t pick_case(MessageRng& rng) const noexcept {
        std::size_t k = 0;
        if (ips.size() > 1) {
            k = static_cast<std::size_t>(rng.uniform(Stream::message, draw_auth_ip) * static_cast<double>(ips.size()));
            if (k >= ips.size()) k = ips.size() - 1;
        }
        const bool fwd = forwarding.probability > 0 && rng.bernoulli(Stream::message, draw_auth_forwarded, forwarding.probability);
        return k * 2 + (fwd ? 1 : 0);
    }

    bool random_timeout(const Case& c, MessageRng& rng) const noexcept {
        const double p = zone->timeout_probability();
        for (std::uint32_t q = 0; q < c.spf_queries; ++q)
            if (rng.uniform(Stream::dns_timeout, spf_draw_base + q) < p) return true;
        for (std::uint32_t q = 0; q < c.dkim_queries; ++q)
            if (rng.uniform(Stream::dns_timeout, dkim_draw_base + q) < p) return true;
        for (std::uint32_t q = 0; q < c.dmarc_queries; ++q)
            if (rng.uniform(Stream::dns_timeout, dmarc_draw_base + q) < p) return true;
        return false;
    }

    // The message's DMARC result and facts, from the cache (or, after a random DNS timeout,
    // re-evaluated).
    void draw(Message& m, MessageRng& rng) const {
        const std::size_t ci = pick_case(rng);
        const Case& c = cases[ci];
        m.transport.ptr = c.ptr;
        if (zone->timeout_probability() > 0 && random_timeout(c, rng)) {
            const double sample = rng.uniform(Stream::message, draw_dmarc_pct);
            const AuthEvaluation e = evaluate(ci / 2, ci % 2 == 1, sample, &rng);
            m.dmarc = e.dmarc.message_result();
            m.auth = facts_of(e);
            m.auth.indirect = c.facts.indirect;
        } else {
            m.auth = c.facts;
            if (c.if_sampled == c.if_not_sampled) m.dmarc = c.if_sampled;
            else m.dmarc = rng.uniform(Stream::message, draw_dmarc_pct) < c.pct ? c.if_sampled : c.if_not_sampled;
        }
        if (ci % 2 == 1) forwarding.arrive(m);
    }
    DmarcResult draw(MessageRng& rng) const {
        Message m;
        draw(m, rng);
        return m.dmarc;
    }

    // The evaluation message `rng` got, with the SPF trace: for explain. Same draws as draw().
    AuthEvaluation explain(MessageRng& rng) const {
        const std::size_t ci = pick_case(rng);
        const double sample = rng.uniform(Stream::message, draw_dmarc_pct);
        const bool timeouts = zone->timeout_probability() > 0 && random_timeout(cases[ci], rng);
        return evaluate(ci / 2, ci % 2 == 1, sample, timeouts ? &rng : nullptr, true);
    }

    static std::shared_ptr<const Authentication> parse(const Field& f, const std::shared_ptr<const dns::Zone>& zone) {
        f.allow_keys({"from_domain", "mail_from_domain", "helo", "ips", "dkim", "forwarded"});
        if (!zone) f.fail("needs the scenario's top-level \"dns\" zone");
        auto a = std::make_shared<Authentication>();
        a->zone = zone;
        auto domain = [](const Field& d) {
            std::string s = d.name();
            if (auto p = dns::name_problem(s); !p.empty()) d.fail("'" + s + "' " + p);
            return dns::normalize_name(s);
        };
        auto ip = [](const Field& d) {
            std::string s = d.string();
            if (!dns::parse_ip(s)) d.fail("'" + s + "' is not an IPv4 or IPv6 address");
            return s;
        };
        a->from_domain = domain(f["from_domain"]);
        a->mail_from_domain = domain(f["mail_from_domain"]);
        a->helo = domain(f["helo"]);
        for (const Field& i : f["ips"].items()) a->ips.push_back(ip(i));
        if (a->ips.empty()) f["ips"].fail("at least one sending IP is required");
        if (a->ips.size() > 1024) f["ips"].fail("more than 1024 sending IPs");
        if (f.has("dkim")) {
            const Field d = f["dkim"];
            d.allow_keys({"domain", "selector", "key", "key_bits", "body_length_limit"});
            const std::string key = d.has("key") ? d["key"].string() : std::string();
            const std::uint64_t bits = d.has("key_bits") ? d["key_bits"].count() : 2048;
            if (bits < 1 || bits > 16384) d["key_bits"].fail(d["key_bits"].shown() + " is not in 1..16384");
            a->dkim = auth::sign(domain(d["domain"]), d["selector"].name(), static_cast<unsigned>(bits),
                                 auth::DkimAlgorithm::rsa_sha256, key);
            if (d.has("body_length_limit")) a->dkim->body_length_limit = d["body_length_limit"].boolean();
        }
        if (f.has("forwarded")) a->forwarding = Forwarding::parse(f["forwarded"], true);
        else a->forwarding.ip = a->ips[0];  // never used: the forwarded cases are never picked
        a->domains.push_back(a->mail_from_domain);
        if (a->dkim && a->dkim->domain != a->mail_from_domain) a->domains.push_back(a->dkim->domain);
        const std::string& via = a->forwarding.domain;
        if (a->forwarding.given() && !via.empty() && std::find(a->domains.begin(), a->domains.end(), via) == a->domains.end())
            a->domains.push_back(via);
        a->compile();
        return a;
    }
};

}  // namespace delivsim
