#pragma once
// SPF: check_host() of RFC 7208 against a simulated DNS zone.
//
//   SpfCheck r = check_host(zone, ip, domain, sender, helo);
//   r.result        none, neutral, pass, fail, softfail, temperror or permerror
//   r.explanation   for fail: the exp= text, or the default explanation (SpfOptions)
//   r.mechanism     the directive that decided, as written ("-all", "include:_spf.example.net"),
//                   "default" when nothing matched; r.domain is the domain whose record held it
//   r.problem       why the result is none, temperror or permerror
//
// Everything in the RFC is implemented: the mechanisms all, include, a, mx, ptr, ip4, ip6 (with
// CIDR lengths, dual for a and mx) and exists; the modifiers redirect and exp (and unknown
// modifiers, whose syntax is checked and which are otherwise ignored); macros (auth/macro.hpp);
// the limits of section 4.6.4 (10 DNS-querying terms, 10 MX names per mx, 10 PTR names per
// ptr or %{p}, 2 void lookups); the domain checks of section 4.3; the HELO identity when MAIL
// FROM is empty and "postmaster" for a missing local part.
//
// Interpretations where the RFC leaves a choice (each is tested):
//  - "v=spf1" and every term are case-insensitive (ABNF literals are).
//  - A record with a syntax error anywhere is a permerror before any term is evaluated,
//    including unknown modifiers whose value is not a valid macro-string; "redirect" and
//    "exp" with an invalid domain-spec are syntax errors, not unknown modifiers.
//  - A domain-spec must end in "." toplabel (optionally followed by ".") or in a macro;
//    the macro letters c, r and t in a domain-spec (exp= included) are syntax errors.
//  - A target name that is not a valid DNS name after macro expansion (an empty or overlong
//    label, say) is queried as nothing: a, mx, exists and ptr do not match, include and
//    redirect give permerror (their check_host() is "none"). No query, no void lookup.
//  - An mx whose target has more than 10 MX records is a permerror, whatever the order of
//    the records (the RFC's limit on "MX names"); a ptr or %{p} considers only the first 10
//    PTR names (section 4.6.4: "all records other than the first 10 MUST be ignored").
//  - Void lookups counted: the query a, mx, ptr and exists make for their target, and the
//    TXT query of an include or redirect target. The address lookups of MX and PTR names and
//    the queries of exp= and %{p} are not counted. The third void lookup is a permerror.
//  - The MX names are looked up in the order the zone holds them; an error looking one up
//    is a temperror (section 5), a DNS error in ptr's lookups is no match (section 5.5), and
//    any DNS error in %{p} gives "unknown" (section 7.3).
//  - The names %{p} chooses from are looked up at most once per check_host.
//  - Type SPF (99) records are never queried (section 4.4: TXT only).
//  - The explanation: exp= of the record that decided a fail (after redirects; an included
//    record's exp= is never used), with any DNS error, void answer, more than one TXT record,
//    or syntax error in the text silently giving the default explanation. exp= queries do
//    not count against any limit.
//
// Caching (for the engine): with no TimeoutDraw, the result is a pure function of the zone
// (and its generation()), the IP, the domain, and - only if `used.sender` / `used.helo` is set -
// the sender / HELO. With a TimeoutDraw see dns/zone.hpp: if the draws for query ordinals
// 0..queries-1 of the deterministic evaluation are all above the timeout probability, the
// result is the deterministic one.
#include <delivsim/auth/macro.hpp>
#include <delivsim/dns/zone.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace delivsim::auth {

enum class SpfResult : std::uint8_t { none, neutral, pass, fail, softfail, temperror, permerror };
inline constexpr std::size_t spf_result_count = 7;
inline constexpr std::array<std::string_view, spf_result_count> spf_result_names{
    "none", "neutral", "pass", "fail", "softfail", "temperror", "permerror"};

inline std::string_view name_of(SpfResult r) noexcept { return spf_result_names[static_cast<std::size_t>(r)]; }
inline std::optional<SpfResult> parse_spf_result(std::string_view s) noexcept {
    for (std::size_t i = 0; i < spf_result_count; ++i)
        if (spf_result_names[i] == s) return static_cast<SpfResult>(i);
    return std::nullopt;
}

struct SpfOptions {
    std::string receiver = "unknown";  // %{r}: the checking host's name (explanations only)
    std::uint64_t timestamp = 0;       // %{t}: fixed, so that results stay reproducible
    // The explanation of a fail without a usable exp= (an explain-string: macros allowed;
    // %{d} is the domain whose record decided). Empty for none.
    std::string default_explanation = "%{d} does not designate %{c} as a permitted sender";
    std::uint32_t max_dns_terms = 10;
    std::uint32_t max_mx_names = 10;
    std::uint32_t max_ptr_names = 10;
    std::uint32_t max_void_lookups = 2;
    bool trace = false;  // record each term's evaluation in SpfCheck::trace
};

struct SpfCheck {
    SpfResult result = SpfResult::none;
    std::string explanation;
    std::string mechanism;
    std::string domain;
    std::string problem;
    std::uint32_t dns_terms = 0;     // DNS-querying terms evaluated (limit 10)
    std::uint32_t void_lookups = 0;  // limit 2
    std::uint32_t queries = 0;       // DNS queries issued, exp= and %{p} included
    bool random_timeout = false;     // a query timed out by the zone's timeout probability
    MacroUse used;                   // inputs besides zone, IP and domain that were read
    std::vector<std::string> trace;  // with SpfOptions::trace
};

// --- record syntax ---------------------------------------------------------------------------

enum class Mechanism : std::uint8_t { all, include, a, mx, ptr, ip4, ip6, exists };

struct Directive {
    SpfResult qualifier = SpfResult::pass;  // pass (+), fail (-), softfail (~), neutral (?)
    Mechanism mechanism = Mechanism::all;
    std::string domain_spec;  // "" when the mechanism uses <domain>
    unsigned cidr4 = 32, cidr6 = 128;
    dns::IpAddress network;  // ip4, ip6
    std::string text;        // the term as written
};

struct SpfRecord {
    std::vector<Directive> directives;
    std::optional<std::string> redirect, exp;  // domain-specs
    bool has_all = false;
};

// Does this TXT record claim to be SPF? "v=spf1" followed by a space or the end (4.5).
inline bool is_spf_record(std::string_view text) noexcept {
    if (text.size() < 6) return false;
    static constexpr std::string_view v = "v=spf1";
    for (std::size_t i = 0; i < 6; ++i)
        if (detail::lower_ascii(text[i]) != v[i]) return false;
    return text.size() == 6 || text[6] == ' ';
}

namespace detail {

inline bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
inline bool is_alnum(char c) noexcept { return is_alpha(c) || is_digit(c); }

// toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
inline bool valid_toplabel(std::string_view t) noexcept {
    if (t.empty()) return false;
    bool alpha = false, hyphen = false;
    for (const char c : t) {
        if (c == '-') hyphen = true;
        else if (is_alpha(c)) alpha = true;
        else if (!is_digit(c)) return false;
    }
    if (hyphen) return t.front() != '-' && t.back() != '-';
    return alpha;
}

// Does the macro-string end with a macro-expand token? (It is valid: macro_problem said so.)
inline bool ends_with_macro(std::string_view s) noexcept {
    bool last_is_macro = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            last_is_macro = false;
            continue;
        }
        if (s[i + 1] == '{') i = s.find('}', i);
        else ++i;
        last_is_macro = true;
    }
    return last_is_macro;
}

// domain-spec = macro-string domain-end; domain-end = ( "." toplabel [ "." ] ) / macro-expand
inline std::string domain_spec_problem(std::string_view spec) {
    if (spec.empty()) return "empty domain-spec";
    if (auto p = macro_problem(spec, MacroText::domain_spec); !p.empty()) return p;
    if (ends_with_macro(spec)) return "";
    std::string_view s = spec;
    if (s.back() == '.') s.remove_suffix(1);
    const auto dot = s.rfind('.');
    if (dot == std::string_view::npos || !valid_toplabel(s.substr(dot + 1)))
        return "domain-spec '" + std::string(spec) + "' does not end in a valid top label or a macro";
    return "";
}

// "/" ( "0" / %x31-39 *DIGIT ) within `max`; digits without the slash.
inline std::optional<unsigned> parse_cidr(std::string_view digits, unsigned max) noexcept {
    if (digits.empty() || digits.size() > 3) return std::nullopt;
    if (digits.size() > 1 && digits[0] == '0') return std::nullopt;
    unsigned v = 0;
    for (const char c : digits) {
        if (!is_digit(c)) return std::nullopt;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v > max) return std::nullopt;
    return v;
}

inline std::size_t trailing_digits(std::string_view s) noexcept {
    std::size_t n = 0;
    while (n < s.size() && is_digit(s[s.size() - 1 - n])) ++n;
    return n;
}

inline std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = lower_ascii(c);
    return out;
}

}  // namespace detail

// A record that is_spf_record() accepted, or the syntax error that makes it a permerror.
struct ParsedSpfRecord {
    std::optional<SpfRecord> record;
    std::string problem;
};

inline ParsedSpfRecord parse_spf_record(std::string_view text) {
    using namespace detail;
    auto error = [](std::string what) { return ParsedSpfRecord{std::nullopt, std::move(what)}; };
    if (!is_spf_record(text)) return error("not an SPF record (does not start with v=spf1)");
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c > 0x7e) return error("the record contains a non-ASCII character");
        if (c < 0x20 || c == 0x7f) return error("the record contains a control character (terms are separated by spaces only)");
    }
    SpfRecord rec;
    std::size_t pos = 6;
    while (pos < text.size()) {
        if (text[pos] == ' ') {
            ++pos;
            continue;
        }
        const std::size_t end = std::min(text.find(' ', pos), text.size());
        const std::string_view term = text.substr(pos, end - pos);
        pos = end;

        // A modifier: name "=" ..., name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )
        std::size_t k = 0;
        if (is_alpha(term[0])) {
            k = 1;
            while (k < term.size() && (is_alnum(term[k]) || term[k] == '-' || term[k] == '_' || term[k] == '.')) ++k;
        }
        if (k > 0 && k < term.size() && term[k] == '=') {
            const std::string name = lower(term.substr(0, k));
            const std::string_view value = term.substr(k + 1);
            if (name == "redirect" || name == "exp") {
                auto& slot = name == "redirect" ? rec.redirect : rec.exp;
                if (slot) return error("'" + name + "' appears more than once");
                if (auto p = domain_spec_problem(value); !p.empty()) return error("'" + std::string(term) + "': " + p);
                slot = std::string(value);
            } else if (auto p = macro_problem(value, MacroText::unknown_modifier); !p.empty()) {
                return error("modifier '" + std::string(term) + "': " + p);
            }
            continue;
        }

        Directive d;
        d.text = std::string(term);
        std::string_view body = term;
        switch (body[0]) {
            case '+': d.qualifier = SpfResult::pass; body.remove_prefix(1); break;
            case '-': d.qualifier = SpfResult::fail; body.remove_prefix(1); break;
            case '~': d.qualifier = SpfResult::softfail; body.remove_prefix(1); break;
            case '?': d.qualifier = SpfResult::neutral; body.remove_prefix(1); break;
            default: break;
        }
        const std::size_t name_end = std::min(body.find_first_of(":/"), body.size());
        const std::string name = lower(body.substr(0, name_end));
        std::string_view rest = body.substr(name_end);
        auto bad_term = [&](const std::string& why) { return error("'" + std::string(term) + "': " + why); };
        // ":" domain-spec, required or optional
        auto take_domain_spec = [&](bool required) -> std::string {
            if (rest.empty()) return required ? "needs ':' and a domain" : "";
            if (rest[0] != ':') return "unexpected '" + std::string(rest) + "'";
            const std::string_view spec = rest.substr(1);
            if (auto p = domain_spec_problem(spec); !p.empty()) return p;
            d.domain_spec = std::string(spec);
            return "";
        };
        if (name == "all") {
            if (!rest.empty()) return bad_term("'all' takes no argument");
            d.mechanism = Mechanism::all;
            rec.has_all = true;
        } else if (name == "include" || name == "exists") {
            d.mechanism = name == "include" ? Mechanism::include : Mechanism::exists;
            if (auto p = take_domain_spec(true); !p.empty()) return bad_term(p);
        } else if (name == "ptr") {
            d.mechanism = Mechanism::ptr;
            if (auto p = take_domain_spec(false); !p.empty()) return bad_term(p);
        } else if (name == "a" || name == "mx") {
            d.mechanism = name == "a" ? Mechanism::a : Mechanism::mx;
            // dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ], read from the right
            std::size_t n = trailing_digits(rest);
            if (n > 0 && rest.size() >= n + 2 && rest.substr(rest.size() - n - 2, 2) == "//") {
                const auto v = parse_cidr(rest.substr(rest.size() - n), 128);
                if (!v) return bad_term("invalid IPv6 CIDR length");
                d.cidr6 = *v;
                rest.remove_suffix(n + 2);
            }
            n = trailing_digits(rest);
            if (n > 0 && rest.size() >= n + 1 && rest[rest.size() - n - 1] == '/') {
                const auto v = parse_cidr(rest.substr(rest.size() - n), 32);
                if (!v) return bad_term("invalid IPv4 CIDR length");
                d.cidr4 = *v;
                rest.remove_suffix(n + 1);
            }
            if (auto p = take_domain_spec(false); !p.empty()) return bad_term(p);
        } else if (name == "ip4" || name == "ip6") {
            const bool v4 = name == "ip4";
            d.mechanism = v4 ? Mechanism::ip4 : Mechanism::ip6;
            if (rest.empty() || rest[0] != ':') return bad_term("needs ':' and a network");
            std::string_view net = rest.substr(1);
            const auto slash = net.find('/');
            if (slash != std::string_view::npos) {
                const auto v = parse_cidr(net.substr(slash + 1), v4 ? 32 : 128);
                if (!v) return bad_term(std::string("invalid ") + (v4 ? "IPv4" : "IPv6") + " CIDR length");
                (v4 ? d.cidr4 : d.cidr6) = *v;
                net = net.substr(0, slash);
            }
            const auto ip = v4 ? dns::parse_ipv4(net) : dns::parse_ipv6(net);
            if (!ip) return bad_term("'" + std::string(net) + "' is not an " + (v4 ? "IPv4" : "IPv6") + " address");
            d.network = *ip;
        } else {
            return bad_term(name.empty() ? "not a mechanism or modifier" : "unknown mechanism '" + name + "'");
        }
        rec.directives.push_back(std::move(d));
    }
    return {std::move(rec), ""};
}

// Section 4.3: why `domain` cannot be check_host()'s <domain> ("" if it can): a valid DNS
// name of at least two labels whose last label is a valid top label (so no address literals).
inline std::string spf_domain_problem(std::string_view domain) {
    if (auto p = dns::name_problem(domain); !p.empty()) return "'" + std::string(domain) + "' " + p;
    if (domain.back() == '.') domain.remove_suffix(1);
    const auto dot = domain.rfind('.');
    if (dot == std::string_view::npos) return "'" + std::string(domain) + "' is not a multi-label domain name";
    if (!detail::valid_toplabel(domain.substr(dot + 1)))
        return "'" + std::string(domain) + "' does not end in a valid top label";
    return "";
}

// --- evaluation --------------------------------------------------------------------------------

namespace detail {

class SpfEvaluator {
public:
    SpfEvaluator(dns::Resolver& dns, const SpfOptions& opt, MacroInputs in, SpfCheck& out)
        : dns_(dns), opt_(opt), in_(in), out_(out) {}

    struct Eval {
        SpfResult result = SpfResult::none;
        std::string problem;
        std::string mechanism, domain;  // what decided
        std::optional<std::string> exp; // the deciding record's exp= domain-spec
    };

    Eval check(const std::string& domain, int depth) {
        Eval ev;
        ev.domain = domain;
        if (auto p = spf_domain_problem(domain); !p.empty()) {
            ev.problem = p;
            return ev;  // none
        }
        const auto txt = dns_.txt(domain);
        if (txt.error()) return error(ev, SpfResult::temperror, dns_error("TXT", domain, txt.rcode));
        if (depth > 0 && txt.is_void() && !count_void(ev, "TXT " + domain)) return ev;
        const dns::Txt* found = nullptr;
        std::string text;
        for (const auto& t : txt.records) {
            std::string s = dns::joined(t);
            if (!is_spf_record(s)) continue;
            if (found) return error(ev, SpfResult::permerror, domain + " publishes more than one v=spf1 record");
            found = &t;
            text = std::move(s);
        }
        if (!found) {
            ev.problem = domain + (txt.rcode == dns::Rcode::nxdomain ? " does not exist" : " has no v=spf1 record");
            return ev;  // none
        }
        auto parsed = parse_spf_record(text);
        if (!parsed.record) return error(ev, SpfResult::permerror, domain + ": " + parsed.problem);
        const SpfRecord& rec = *parsed.record;
        note(depth, domain + ": " + text);

        for (const Directive& d : rec.directives) {
            const bool queries_dns = d.mechanism != Mechanism::all && d.mechanism != Mechanism::ip4 &&
                                     d.mechanism != Mechanism::ip6;
            if (queries_dns && !count_term(ev, d.text)) return ev;
            const Match m = match(d, domain, depth, ev);
            if (m == Match::error) return ev;
            note(depth, "  " + d.text + (m == Match::yes ? ": match" : ": no match"));
            if (m == Match::yes) {
                ev.result = d.qualifier;
                ev.mechanism = d.text;
                ev.exp = rec.exp;
                return ev;
            }
        }
        if (rec.redirect && !rec.has_all) {
            const std::string term = "redirect=" + *rec.redirect;
            if (!count_term(ev, term)) return ev;
            const std::string target = expand_target(*rec.redirect, domain);
            note(depth, "  " + term + " -> " + target);
            Eval sub = check(target, depth + 1);
            if (sub.result == SpfResult::none)
                return error(ev, SpfResult::permerror,
                             term + ": " + (sub.problem.empty() ? target + " has no SPF record" : sub.problem));
            return sub;
        }
        ev.result = SpfResult::neutral;
        ev.mechanism = "default";
        ev.exp = rec.exp;
        return ev;
    }

    // The explanation of a fail decided by `ev` (section 6.2).
    std::string explanation(const Eval& ev) {
        if (ev.exp) {
            MacroInputs in = in_;
            in.domain = ev.domain;
            const std::string target = expand_target(*ev.exp, ev.domain, in);
            if (dns::valid_name(target)) {
                const auto txt = dns_.txt(target);
                if (txt.rcode == dns::Rcode::noerror && txt.records.size() == 1) {
                    const std::string text = dns::joined(txt.records[0]);
                    if (macro_problem(text, MacroText::explain_string).empty()) return expand(text, in);
                }
            }
        }
        if (opt_.default_explanation.empty() ||
            !macro_problem(opt_.default_explanation, MacroText::explain_string).empty())
            return opt_.default_explanation;
        MacroInputs in = in_;
        in.domain = ev.domain;
        return expand(opt_.default_explanation, in);
    }

private:
    enum class Match { no, yes, error };

    Eval& error(Eval& ev, SpfResult r, std::string problem) {
        ev.result = r;
        ev.problem = std::move(problem);
        ev.mechanism.clear();
        return ev;
    }
    static std::string dns_error(std::string_view type, std::string_view name, dns::Rcode rc) {
        return "DNS " + std::string(rc == dns::Rcode::timeout ? "timeout" : "SERVFAIL") + " for " +
               std::string(type) + " " + std::string(name);
    }
    void note(int depth, const std::string& s) {
        if (opt_.trace) out_.trace.push_back(std::string(static_cast<std::size_t>(depth) * 2, ' ') + s);
    }
    bool count_term(Eval& ev, const std::string& term) {
        if (++out_.dns_terms > opt_.max_dns_terms) {
            error(ev, SpfResult::permerror,
                  "more than " + std::to_string(opt_.max_dns_terms) + " DNS-querying terms (at '" + term + "')");
            return false;
        }
        return true;
    }
    bool count_void(Eval& ev, const std::string& what) {
        if (++out_.void_lookups > opt_.max_void_lookups) {
            error(ev, SpfResult::permerror,
                  "more than " + std::to_string(opt_.max_void_lookups) + " void DNS lookups (at " + what + ")");
            return false;
        }
        return true;
    }

    std::string expand(std::string_view s, const MacroInputs& in) {
        return expand_macros(s, in, [this, &in] { return validated_name(in.domain); }, out_.used);
    }
    std::string expand_target(std::string_view spec, const std::string& domain) {
        MacroInputs in = in_;
        in.domain = domain;
        return expand_target(spec, domain, in);
    }
    // A domain-spec's target name: expanded, one trailing dot dropped, and truncated from
    // the left, label by label, to at most 253 characters (section 7.3).
    std::string expand_target(std::string_view spec, const std::string& domain, const MacroInputs& in) {
        if (spec.empty()) return domain;
        std::string t = expand(spec, in);
        if (!t.empty() && t.back() == '.') t.pop_back();
        while (t.size() > 253) {
            const auto dot = t.find('.');
            if (dot == std::string::npos) break;
            t.erase(0, dot + 1);
        }
        return t;
    }

    Match match(const Directive& d, const std::string& domain, int depth, Eval& ev) {
        const dns::IpAddress& ip = in_.ip;
        switch (d.mechanism) {
            case Mechanism::all: return Match::yes;
            case Mechanism::ip4:
            case Mechanism::ip6:
                return dns::in_network(ip, d.network, d.mechanism == Mechanism::ip4 ? d.cidr4 : d.cidr6) ? Match::yes
                                                                                                         : Match::no;
            case Mechanism::a: {
                const std::string target = expand_target(d.domain_spec, domain);
                if (!dns::valid_name(target)) return Match::no;
                const auto ans = dns_.addresses(target, ip.family);
                if (ans.error()) return fail(ev, SpfResult::temperror, d.text + ": " + dns_error(ip.is_v4() ? "A" : "AAAA", target, ans.rcode));
                if (ans.is_void() && !count_void(ev, d.text)) return Match::error;
                return any_in(ans.records, d) ? Match::yes : Match::no;
            }
            case Mechanism::mx: {
                const std::string target = expand_target(d.domain_spec, domain);
                if (!dns::valid_name(target)) return Match::no;
                const auto ans = dns_.mx(target);
                if (ans.error()) return fail(ev, SpfResult::temperror, d.text + ": " + dns_error("MX", target, ans.rcode));
                if (ans.is_void() && !count_void(ev, d.text)) return Match::error;
                if (ans.records.size() > opt_.max_mx_names)
                    return fail(ev, SpfResult::permerror,
                                d.text + ": " + target + " has " + std::to_string(ans.records.size()) +
                                    " MX records, more than " + std::to_string(opt_.max_mx_names));
                for (const dns::Mx& mx : ans.records) {
                    if (mx.host.empty()) continue;  // null MX
                    const auto addrs = dns_.addresses(mx.host, ip.family);
                    if (addrs.error())
                        return fail(ev, SpfResult::temperror, d.text + ": " + dns_error(ip.is_v4() ? "A" : "AAAA", mx.host, addrs.rcode));
                    if (any_in(addrs.records, d)) return Match::yes;
                }
                return Match::no;
            }
            case Mechanism::ptr: {
                const std::string target = expand_target(d.domain_spec, domain);
                if (!dns::valid_name(target)) return Match::no;
                bool void_answer = false;
                const auto names = ptr_names(void_answer);
                if (void_answer && !count_void(ev, d.text)) return Match::error;
                const std::string t = dns::normalize_name(target);
                for (const std::string& name : names)
                    if (is_within(name, t) && validates(name)) return Match::yes;
                return Match::no;
            }
            case Mechanism::exists: {
                const std::string target = expand_target(d.domain_spec, domain);
                if (!dns::valid_name(target)) return Match::no;
                const auto ans = dns_.a(target);  // A even for an IPv6 client (5.7)
                if (ans.error()) return fail(ev, SpfResult::temperror, d.text + ": " + dns_error("A", target, ans.rcode));
                if (ans.is_void() && !count_void(ev, d.text)) return Match::error;
                return ans.records.empty() ? Match::no : Match::yes;
            }
            case Mechanism::include: {
                const std::string target = expand_target(d.domain_spec, domain);
                note(depth, "  " + d.text + " -> " + target);
                const Eval sub = check(target, depth + 1);
                switch (sub.result) {
                    case SpfResult::pass: return Match::yes;
                    case SpfResult::fail:
                    case SpfResult::softfail:
                    case SpfResult::neutral: return Match::no;
                    case SpfResult::temperror: return fail(ev, SpfResult::temperror, sub.problem);
                    case SpfResult::permerror: return fail(ev, SpfResult::permerror, sub.problem);
                    case SpfResult::none:
                        return fail(ev, SpfResult::permerror,
                                    d.text + ": " + (sub.problem.empty() ? target + " has no SPF record" : sub.problem));
                }
                return Match::no;
            }
        }
        return Match::no;
    }
    Match fail(Eval& ev, SpfResult r, std::string problem) {
        error(ev, r, std::move(problem));
        return Match::error;
    }

    bool any_in(std::span<const dns::IpAddress> addrs, const Directive& d) const {
        const unsigned prefix = in_.ip.is_v4() ? d.cidr4 : d.cidr6;
        for (const auto& a : addrs)
            if (dns::in_network(in_.ip, a, prefix)) return true;
        return false;
    }

    static bool is_within(const std::string& name, const std::string& target) {
        if (name.size() == target.size()) return name == target;
        return name.size() > target.size() && name[name.size() - target.size() - 1] == '.' &&
               name.compare(name.size() - target.size(), target.size(), target) == 0;
    }

    // The first 10 PTR names of the client's address; nothing on a DNS error (5.5).
    std::vector<std::string> ptr_names(bool& void_answer) {
        const auto ans = dns_.ptr(dns::reverse_name(in_.ip));
        void_answer = ans.is_void();
        std::vector<std::string> names;
        if (ans.error()) return names;
        for (const auto& n : ans.records) {
            if (names.size() >= opt_.max_ptr_names) break;
            names.push_back(n);
        }
        return names;
    }
    // Forward-confirms a PTR name; a DNS error skips the name (5.5).
    bool validates(const std::string& name) {
        const auto ans = dns_.addresses(name, in_.ip.family);
        if (ans.error()) return false;
        for (const auto& a : ans.records)
            if (a == in_.ip) return true;
        return false;
    }
    // %{p} (7.3): the current <domain> if validated, else a validated subdomain of it, else
    // any validated name, else "unknown". The validated names are looked up once per check.
    std::string validated_name(std::string_view domain) {
        if (!validated_) {
            validated_.emplace();
            bool void_answer = false;
            for (const std::string& name : ptr_names(void_answer))
                if (validates(name)) validated_->push_back(name);
        }
        const std::string d = dns::normalize_name(domain);
        const std::string* sub = nullptr;
        for (const std::string& name : *validated_) {
            if (name == d) return name;
            if (!sub && is_within(name, d)) sub = &name;
        }
        if (sub) return *sub;
        return validated_->empty() ? "unknown" : validated_->front();
    }

    dns::Resolver& dns_;
    const SpfOptions& opt_;
    MacroInputs in_;
    SpfCheck& out_;
    std::optional<std::vector<std::string>> validated_;
};

}  // namespace detail

// check_host(<ip>, <domain>, <sender>) of RFC 7208 section 4, with the HELO identity:
//  - an empty `sender` (null reverse-path) means the HELO identity: sender
//    "postmaster@<helo>", and <domain> is `helo` when `domain` is empty (section 2.4);
//  - an empty `domain` is the sender's domain; a sender without a local part (or without
//    "@") gets the local part "postmaster" (section 4.3).
// An IPv4-mapped IPv6 address is evaluated as the IPv4 address (section 5).
inline SpfCheck check_host(const dns::Zone& zone, const dns::IpAddress& ip, std::string_view domain,
                           std::string_view sender, std::string_view helo = "", const SpfOptions& options = {},
                           dns::TimeoutDraw draw = {}) {
    SpfCheck out;
    std::string s = sender.empty() ? "postmaster@" + std::string(helo) : std::string(sender);
    const auto at = s.rfind('@');
    std::string local = at == std::string::npos ? "" : s.substr(0, at);
    std::string sender_domain = at == std::string::npos ? s : s.substr(at + 1);
    if (local.empty()) {
        local = "postmaster";
        s = "postmaster@" + sender_domain;
    }
    const std::string d = domain.empty() ? sender_domain : std::string(domain);

    dns::Resolver resolver(zone, draw);
    MacroInputs in;
    in.sender = s;
    in.local_part = local;
    in.sender_domain = sender_domain;
    in.domain = d;
    in.helo = helo;
    in.receiver = options.receiver;
    in.timestamp = options.timestamp;
    in.ip = ip.unmapped();
    detail::SpfEvaluator ev(resolver, options, in, out);
    const auto e = ev.check(d, 0);
    out.result = e.result;
    out.problem = e.problem;
    out.mechanism = e.mechanism;
    out.domain = e.domain;
    if (e.result == SpfResult::fail) out.explanation = ev.explanation(e);
    out.queries = resolver.queries();
    out.random_timeout = resolver.timeouts_drawn() > 0;
    return out;
}

// The same with the address as text; std::invalid_argument if it is not an IP address.
inline SpfCheck check_host(const dns::Zone& zone, std::string_view ip, std::string_view domain,
                           std::string_view sender, std::string_view helo = "", const SpfOptions& options = {},
                           dns::TimeoutDraw draw = {}) {
    const auto address = dns::parse_ip(ip);
    if (!address) throw std::invalid_argument("'" + std::string(ip) + "' is not an IPv4 or IPv6 address");
    return check_host(zone, *address, domain, sender, helo, options, draw);
}

}  // namespace delivsim::auth
