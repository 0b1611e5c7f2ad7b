#pragma once
// Organizational domains (RFC 7489 section 3.2) from an embedded subset of the Public Suffix
// List (https://publicsuffix.org/list/), with the list's algorithm: the longest matching rule
// wins, "*" matches one label, an exception rule ("!www.ck") beats every other rule, and a
// name that no rule matches falls under the implicit rule "*" (its top-level label is the
// public suffix). The organizational domain is the public suffix plus one label.
//
// Limits of the subset (it is ~200 rules, the real list ~10000):
//  - Every top-level domain works, listed or not, through the implicit "*" rule.
//  - Multi-label suffixes are included for the common country-code second levels (uk, au,
//    nz, jp, br, in, za, cn, kr, mx, ar, tr, il, hk, sg, tw, es, fr, us state codes), plus the
//    wildcard/exception examples *.ck/!www.ck, *.bd, *.kawasaki.jp/!city.kawasaki.jp, and a
//    few private-section suffixes where mail domains live (github.io, blogspot.com,
//    herokuapp.com, ...). A suffix missing here (say "pvt.k12.ma.us", or "co.ve") makes its
//    registrations look like subdomains of one organization: relaxed alignment would then
//    align two different registrants. Simulated worlds should use example names or the
//    listed suffixes.
//  - The list is a snapshot; real receivers update theirs.
#include <algorithm>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace delivsim::auth {

// Sorted (checked at compile time), lowercase; "!" marks exceptions, "*." wildcards.
inline constexpr std::string_view public_suffix_rules[] = {
    "!city.kawasaki.jp", "!www.ck", "*.bd", "*.ck", "*.compute.amazonaws.com", "*.kawasaki.jp",
    "ac.cn", "ac.il", "ac.in", "ac.jp", "ac.kr", "ac.nz", "ac.uk", "ac.za", "ad.jp", "ae", "app", "appspot.com",
    "ar", "asn.au", "asso.fr", "at", "au", "azurewebsites.net", "be", "biz", "blogspot.com", "br", "ca", "ca.us",
    "cc", "ch", "cloudapp.net", "cn", "co", "co.il", "co.in", "co.jp", "co.kr", "co.nz", "co.uk", "co.za", "com",
    "com.ar", "com.au", "com.br", "com.cn", "com.es", "com.fr", "com.hk", "com.mx", "com.sg", "com.tr", "com.tw",
    "cz", "de", "dev", "dk", "ed.jp", "edu", "edu.ar", "edu.au", "edu.br", "edu.cn", "edu.es", "edu.hk", "edu.mx",
    "edu.sg", "edu.tr", "edu.tw", "es", "eu", "fi", "firebaseapp.com", "firm.in", "fl.us", "fr", "geek.nz",
    "gen.in", "github.io", "gitlab.io", "go.jp", "go.kr", "gob.ar", "gob.es", "gob.mx", "gouv.fr", "gov", "gov.ar",
    "gov.au", "gov.br", "gov.cn", "gov.hk", "gov.il", "gov.in", "gov.sg", "gov.tr", "gov.tw", "gov.uk", "gov.za",
    "govt.nz", "gr.jp", "herokuapp.com", "hk", "id.au", "il", "in", "ind.in", "info", "int", "io", "it", "jp",
    "k12.ca.us", "kawasaki.jp", "kr", "lg.jp", "ltd.uk", "me", "me.uk", "mil", "mx", "name", "ne.jp", "ne.kr",
    "net", "net.ar", "net.au", "net.br", "net.cn", "net.hk", "net.il", "net.in", "net.mx", "net.nz", "net.sg",
    "net.tr", "net.tw", "net.uk", "net.za", "netlify.app", "nhs.uk", "nl", "no", "nom.es", "ny.us", "nz", "or.jp",
    "or.kr", "org", "org.ar", "org.au", "org.br", "org.cn", "org.es", "org.hk", "org.il", "org.in", "org.mx",
    "org.nz", "org.sg", "org.tr", "org.tw", "org.uk", "org.za", "pages.dev", "pl", "plc.uk", "police.uk", "pro",
    "pt", "re.kr", "ru", "s3.amazonaws.com", "sch.uk", "school.nz", "se", "sg", "tm.fr", "tr", "tv", "tw", "tx.us",
    "uk", "us", "vercel.app", "wa.us", "web.app", "web.za", "workers.dev", "ws", "xn--p1ai", "xyz", "za"};
static_assert(std::is_sorted(std::begin(public_suffix_rules), std::end(public_suffix_rules)));

namespace detail {
inline bool is_public_suffix_rule(std::string_view rule) noexcept {
    return std::binary_search(std::begin(public_suffix_rules), std::end(public_suffix_rules), rule);
}
inline std::string lowered_domain(std::string_view d) {
    if (!d.empty() && d.back() == '.') d.remove_suffix(1);
    std::string s(d);
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}
}  // namespace detail

// The number of labels of `domain`'s public suffix (at least 1 for a non-empty name).
inline std::size_t public_suffix_labels(std::string_view domain) {
    const std::string d = detail::lowered_domain(domain);
    if (d.empty()) return 0;
    // Label start offsets, from the right: suffix k (k labels) starts at starts[k - 1].
    std::vector<std::size_t> starts;
    for (std::size_t i = d.size(); i-- > 0;)
        if (d[i] == '.') starts.push_back(i + 1);
    starts.push_back(0);
    std::size_t best = 1;  // the implicit "*" rule
    for (std::size_t k = 1; k <= starts.size(); ++k) {
        const std::string_view suffix = std::string_view(d).substr(starts[k - 1]);
        if (detail::is_public_suffix_rule("!" + std::string(suffix))) return k - 1;  // exceptions win
        if (detail::is_public_suffix_rule(suffix)) best = std::max(best, k);
        if (k >= 2 && detail::is_public_suffix_rule("*." + std::string(std::string_view(d).substr(starts[k - 2]))))
            best = std::max(best, k);
    }
    return best;
}

namespace detail {
// The last k labels of d (all of d if it has fewer).
inline std::string_view last_labels(std::string_view d, std::size_t k) noexcept {
    if (k == 0) return {};
    std::size_t start = d.size();
    for (std::size_t i = 0; i < k; ++i) {
        const auto dot = start == 0 ? std::string_view::npos : d.rfind('.', start - 1);
        if (dot == std::string_view::npos) return d;
        start = dot;
    }
    return d.substr(start + 1);
}
}  // namespace detail

inline std::string public_suffix(std::string_view domain) {
    const std::string d = detail::lowered_domain(domain);
    return std::string(detail::last_labels(d, public_suffix_labels(d)));
}

// RFC 7489 section 3.2: the public suffix plus one label, lowercased, without a trailing dot.
// A name that is itself a public suffix is its own organizational domain.
inline std::string organizational_domain(std::string_view domain) {
    const std::string d = detail::lowered_domain(domain);
    return std::string(detail::last_labels(d, public_suffix_labels(d) + 1));
}

}  // namespace delivsim::auth
