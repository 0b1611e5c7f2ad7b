#pragma once
// DMARC (RFC 7489): policy discovery in the zone, identifier alignment, and the disposition a
// message gets.
//
//   DmarcEvaluation e = evaluate_dmarc(zone, "example.com",            // RFC5322.From domain
//                                      "bounces.example.com", SpfResult::pass,  // SPF's domain and result
//                                      {"example.com"});               // d= of the passing DKIM signatures
//   e.result       none, pass, fail, temperror or permerror
//   e.disposition  what the domain asks for this message: none, quarantine or reject
//   e.action       what this receiver does about it (DmarcReceiver): none, quarantine, reject, tempfail
//
// Discovery (section 6.6.3): TXT _dmarc.<From domain>; records that do not start with
// "v=DMARC1" are discarded; if none is left (and there was no DNS error), TXT
// _dmarc.<organizational domain> (auth/public_suffix.hpp); more than one record, or none at
// both, means no DMARC processing. A record without a valid p= (or with an invalid sp=) is
// read as p=none when its rua= holds a valid URI, and otherwise stops DMARC processing.
//
// Alignment (section 3.1): SPF passes aligned when its result is pass and its domain equals
// the From domain (aspf=s) or shares its organizational domain (aspf=r, the default); DKIM
// likewise for any passing signature's d= (adkim). DMARC passes when either does.
//
// Policy: p= when the record was found at the From domain itself, sp= (else p=) when it was
// found at the organizational domain. pct= (section 6.6.4): a message is sampled when
// `sample` < pct/100; one not sampled falls back one step (reject to quarantine, quarantine
// to none). `sample` is a uniform draw in [0, 1) that the caller supplies (the engine: from
// the message's counter-based RNG), so the evaluation stays a pure function.
//
// Results: none (no record; the From domain is not a valid domain name also gives none, as
// there is nothing to look up), pass, fail, temperror (a DNS error during discovery: the
// receiver's DmarcReceiver::tempfail_on_dns_error decides between delivering and a 4xx),
// permerror (more than one record, a tag list that does not parse, no usable policy).
//
// Interpretations: tag names are case-sensitive (RFC 6376 tag lists, section 6.4); the
// values of p, sp, adkim and aspf are not (ABNF literals). An invalid adkim, aspf or pct
// value is ignored (the default applies) and reported in `notes`, as RFC 7489 only gives rules
// for invalid p and sp. Unknown tags are ignored (section 6.3).
//
// Caching (for the engine): discover_dmarc() + align_dmarc() depend only on the zone and
// the arguments; dispose() applies pct and the receiver's choice per message, so a cache can
// keep the evaluation before dispose() and call dispose() with each message's sample.
#include <delivsim/auth/public_suffix.hpp>
#include <delivsim/auth/spf.hpp>
#include <delivsim/auth/tag_list.hpp>
#include <delivsim/core/message.hpp>
#include <delivsim/dns/zone.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace delivsim::auth {

enum class DmarcStatus : std::uint8_t { none, pass, fail, temperror, permerror };
inline constexpr std::array<std::string_view, 5> dmarc_status_names{"none", "pass", "fail", "temperror", "permerror"};
inline std::string_view name_of(DmarcStatus s) noexcept { return dmarc_status_names[static_cast<std::size_t>(s)]; }

// p= and sp= values, and dispositions.
enum class DmarcPolicy : std::uint8_t { none, quarantine, reject };
inline constexpr std::array<std::string_view, 3> dmarc_policy_names{"none", "quarantine", "reject"};
inline std::string_view name_of(DmarcPolicy p) noexcept { return dmarc_policy_names[static_cast<std::size_t>(p)]; }

enum class DmarcAction : std::uint8_t { none, quarantine, reject, tempfail };
inline constexpr std::array<std::string_view, 4> dmarc_action_names{"none", "quarantine", "reject", "tempfail"};
inline std::string_view name_of(DmarcAction a) noexcept { return dmarc_action_names[static_cast<std::size_t>(a)]; }

enum class Alignment : std::uint8_t { relaxed, strict };
inline std::string_view name_of(Alignment a) noexcept { return a == Alignment::relaxed ? "r" : "s"; }

struct DmarcRecord {
    DmarcPolicy p = DmarcPolicy::none;
    std::optional<DmarcPolicy> sp;
    Alignment adkim = Alignment::relaxed, aspf = Alignment::relaxed;
    unsigned pct = 100;
    std::vector<std::string> rua, ruf;
    bool p_valid = false;  // p= present and valid
    bool sp_valid = true;  // sp= absent or valid
    std::vector<std::string> notes;
};

// Is this TXT text a DMARC record? "v" [WSP] "=" [WSP] "DMARC1", then [WSP] and ";" or the end.
inline bool is_dmarc_record(std::string_view text) noexcept {
    std::size_t i = 0;
    auto ws = [&] {
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    };
    ws();
    if (i >= text.size() || text[i] != 'v') return false;
    ++i;
    ws();
    if (i >= text.size() || text[i] != '=') return false;
    ++i;
    ws();
    if (text.substr(i, 6) != "DMARC1") return false;
    i += 6;
    ws();
    return i == text.size() || text[i] == ';';
}

namespace detail {
inline std::optional<DmarcPolicy> parse_dmarc_policy(std::string_view v) {
    const std::string s = lower(v);
    for (std::size_t i = 0; i < dmarc_policy_names.size(); ++i)
        if (dmarc_policy_names[i] == s) return static_cast<DmarcPolicy>(i);
    return std::nullopt;
}
// A comma-separated URI list; keeps the syntactically valid URIs (scheme ":" rest, with an
// optional "!size" suffix).
inline std::vector<std::string> valid_uris(std::string_view list) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= list.size()) {
        std::size_t end = list.find(',', start);
        if (end == std::string_view::npos) end = list.size();
        std::string_view u = list.substr(start, end - start);
        while (!u.empty() && is_fws(u.front())) u.remove_prefix(1);
        while (!u.empty() && is_fws(u.back())) u.remove_suffix(1);
        const auto colon = u.find(':');
        bool ok = colon != std::string_view::npos && colon > 0 && colon + 1 < u.size() && is_alpha(u[0]);
        for (std::size_t i = 1; ok && i < colon; ++i)
            ok = is_alnum(u[i]) || u[i] == '+' || u[i] == '-' || u[i] == '.';
        for (std::size_t i = colon + 1; ok && i < u.size(); ++i) ok = !is_fws(u[i]);
        if (ok) out.emplace_back(u);
        start = end + 1;
    }
    return out;
}
}  // namespace detail

struct ParsedDmarcRecord {
    std::optional<DmarcRecord> record;
    std::string problem;
};

inline ParsedDmarcRecord parse_dmarc_record(std::string_view text) {
    if (!is_dmarc_record(text)) return {std::nullopt, "not a DMARC record (does not start with v=DMARC1)"};
    const TagList tags = parse_tag_list(text);
    if (!tags.ok()) return {std::nullopt, "record syntax: " + tags.problem};
    DmarcRecord r;
    if (const auto* p = tags.find("p")) {
        if (const auto v = detail::parse_dmarc_policy(*p)) {
            r.p = *v;
            r.p_valid = true;
        } else {
            r.notes.push_back("p=" + *p + " is not none, quarantine or reject");
        }
    } else {
        r.notes.push_back("no p= tag");
    }
    if (const auto* sp = tags.find("sp")) {
        if (const auto v = detail::parse_dmarc_policy(*sp)) r.sp = *v;
        else {
            r.sp_valid = false;
            r.notes.push_back("sp=" + *sp + " is not none, quarantine or reject");
        }
    }
    for (const char* tag : {"adkim", "aspf"}) {
        if (const auto* a = tags.find(tag)) {
            const std::string v = detail::lower(*a);
            if (v == "r" || v == "s") (std::string_view(tag) == "adkim" ? r.adkim : r.aspf) = v == "s" ? Alignment::strict : Alignment::relaxed;
            else r.notes.push_back(std::string(tag) + "=" + *a + " is not r or s: r applies");
        }
    }
    if (const auto* pct = tags.find("pct")) {
        bool ok = !pct->empty() && pct->size() <= 3;
        unsigned v = 0;
        for (const char c : *pct) {
            ok = ok && detail::is_digit(c);
            if (ok) v = v * 10 + static_cast<unsigned>(c - '0');
        }
        if (ok && v <= 100) r.pct = v;
        else r.notes.push_back("pct=" + *pct + " is not an integer 0-100: 100 applies");
    }
    if (const auto* rua = tags.find("rua")) r.rua = detail::valid_uris(*rua);
    if (const auto* ruf = tags.find("ruf")) r.ruf = detail::valid_uris(*ruf);
    return {std::move(r), ""};
}

// The receiver's choices (section 6.7 leaves local policy to it).
struct DmarcReceiver {
    bool enforce = true;                 // false: evaluate and report, deliver as if p=none
    bool tempfail_on_dns_error = false;  // temperror: 4xx (true) or deliver (false, "fail open")
};

struct DmarcEvaluation {
    DmarcStatus result = DmarcStatus::none;
    DmarcPolicy disposition = DmarcPolicy::none;  // the domain's request for this message
    DmarcAction action = DmarcAction::none;       // what this receiver does
    std::optional<DmarcPolicy> policy;            // p= or sp= as published (before pct)
    std::string policy_tag;                       // "p" or "sp"
    bool spf_aligned = false, dkim_aligned = false;
    Alignment aspf = Alignment::relaxed, adkim = Alignment::relaxed;
    unsigned pct = 100;
    bool sampled = true;
    std::string from_domain, organizational_domain, record_domain;  // record_domain: where the record was found
    std::string problem;
    std::vector<std::string> notes;
    std::uint32_t queries = 0;

    // The engine's per-message fact (core/message.hpp): what the domain asks for, after pct.
    // The receiver's own handling of fail_reject / fail_quarantine is the dmarc_disposition
    // policy's job; a fail under p=none (or sampled down to none) is `none`.
    DmarcResult message_result() const noexcept {
        if (result == DmarcStatus::pass) return DmarcResult::pass;
        if (result == DmarcStatus::fail && disposition == DmarcPolicy::reject) return DmarcResult::fail_reject;
        if (result == DmarcStatus::fail && disposition == DmarcPolicy::quarantine) return DmarcResult::fail_quarantine;
        return DmarcResult::none;
    }
};

inline bool aligned(std::string_view identifier, std::string_view from_domain, Alignment mode) {
    const std::string a = detail::lowered_domain(identifier), b = detail::lowered_domain(from_domain);
    if (a.empty()) return false;
    if (mode == Alignment::strict) return a == b;
    return organizational_domain(a) == organizational_domain(b);
}

// Discovery only (section 6.6.3): sets from_domain, organizational_domain, record_domain,
// notes, and the result when no record applies (none, temperror or permerror); `found` gets
// the record that applies, if any.
inline void discover_dmarc(dns::Resolver& dns, std::string_view from_domain, DmarcEvaluation& e,
                           std::optional<DmarcRecord>& found) {
    e.from_domain = detail::lowered_domain(from_domain);
    if (auto p = spf_domain_problem(e.from_domain); !p.empty()) {
        e.problem = "From domain " + p;
        return;
    }
    e.organizational_domain = organizational_domain(e.from_domain);
    // The DMARC records at _dmarc.<where>; false after a DNS error.
    auto records_at = [&](const std::string& where, std::vector<std::string>& records) {
        const std::string name = "_dmarc." + where;
        const auto txt = dns.txt(name);
        if (txt.error()) {
            e.result = DmarcStatus::temperror;
            e.problem = std::string("DNS ") + (txt.rcode == dns::Rcode::timeout ? "timeout" : "SERVFAIL") + " for TXT " + name;
            return false;
        }
        for (const auto& t : txt.records)
            if (std::string text = dns::joined(t); is_dmarc_record(text)) records.push_back(std::move(text));
        return true;
    };
    std::vector<std::string> records;
    if (!records_at(e.from_domain, records)) return;
    e.record_domain = e.from_domain;
    if (records.empty() && e.organizational_domain != e.from_domain) {
        if (!records_at(e.organizational_domain, records)) return;
        e.record_domain = e.organizational_domain;
    }
    const std::string name = "_dmarc." + e.record_domain;
    if (records.empty()) {
        e.record_domain.clear();
        e.problem = "no DMARC record at _dmarc." + e.from_domain +
                    (e.organizational_domain != e.from_domain ? " or _dmarc." + e.organizational_domain : std::string());
        return;
    }
    if (records.size() > 1) {
        e.result = DmarcStatus::permerror;
        e.problem = name + " has more than one DMARC record";
        return;
    }
    auto parsed = parse_dmarc_record(records[0]);
    if (!parsed.record) {
        e.result = DmarcStatus::permerror;
        e.problem = name + ": " + parsed.problem;
        return;
    }
    DmarcRecord& r = *parsed.record;
    e.notes = r.notes;
    if (!r.p_valid || !r.sp_valid) {
        if (r.rua.empty()) {
            e.result = DmarcStatus::permerror;
            e.problem = name + ": no valid policy (" + r.notes.front() + ") and no valid rua=";
            return;
        }
        e.notes.push_back("read as p=none: the policy is invalid but rua= is valid (section 6.6.3)");
        r.p = DmarcPolicy::none;
        r.sp.reset();
    }
    found = std::move(r);
}

// pct and the receiver's choice (see the top of this file).
inline void dispose(DmarcEvaluation& e, double sample, const DmarcReceiver& receiver = {}) {
    if (!(sample >= 0.0 && sample <= 1.0)) throw std::invalid_argument("DMARC sample must be a number in [0, 1]");
    e.disposition = DmarcPolicy::none;
    e.action = DmarcAction::none;
    e.sampled = true;
    if (e.result == DmarcStatus::temperror) {
        e.action = receiver.tempfail_on_dns_error ? DmarcAction::tempfail : DmarcAction::none;
        return;
    }
    if (e.result != DmarcStatus::fail || !e.policy) return;
    e.sampled = e.pct >= 100 || sample < static_cast<double>(e.pct) / 100.0;
    DmarcPolicy d = *e.policy;
    if (!e.sampled) d = d == DmarcPolicy::reject ? DmarcPolicy::quarantine : DmarcPolicy::none;
    e.disposition = d;
    if (receiver.enforce) e.action = static_cast<DmarcAction>(static_cast<std::uint8_t>(d));
}

inline DmarcEvaluation evaluate_dmarc(const dns::Zone& zone, std::string_view from_domain, std::string_view spf_domain,
                                      SpfResult spf_result, std::span<const std::string> dkim_pass_domains,
                                      double sample = 0.0, const DmarcReceiver& receiver = {},
                                      dns::TimeoutDraw draw = {}) {
    DmarcEvaluation e;
    dns::Resolver resolver(zone, draw);
    std::optional<DmarcRecord> record;
    discover_dmarc(resolver, from_domain, e, record);
    e.queries = resolver.queries();
    if (record) {
        e.aspf = record->aspf;
        e.adkim = record->adkim;
        e.pct = record->pct;
        const bool at_org = e.record_domain != e.from_domain;
        if (at_org && record->sp) {
            e.policy = record->sp;
            e.policy_tag = "sp";
        } else {
            e.policy = record->p;
            e.policy_tag = "p";
        }
        e.spf_aligned = spf_result == SpfResult::pass && aligned(spf_domain, e.from_domain, e.aspf);
        for (const auto& d : dkim_pass_domains) e.dkim_aligned = e.dkim_aligned || aligned(d, e.from_domain, e.adkim);
        e.result = e.spf_aligned || e.dkim_aligned ? DmarcStatus::pass : DmarcStatus::fail;
        if (e.result == DmarcStatus::fail) e.problem = "neither SPF nor DKIM passed aligned with " + e.from_domain;
    }
    dispose(e, sample, receiver);
    return e;
}

inline DmarcEvaluation evaluate_dmarc(const dns::Zone& zone, std::string_view from_domain, std::string_view spf_domain,
                                      SpfResult spf_result, std::initializer_list<std::string> dkim_pass_domains,
                                      double sample = 0.0, const DmarcReceiver& receiver = {},
                                      dns::TimeoutDraw draw = {}) {
    const std::vector<std::string> v(dkim_pass_domains);
    return evaluate_dmarc(zone, from_domain, spf_domain, spf_result, std::span<const std::string>(v), sample, receiver,
                          draw);
}

}  // namespace delivsim::auth
