#pragma once
// Organizational domains (RFC 7489 section 3.2) from the Public Suffix List
// (https://publicsuffix.org/list/), through libpsl (https://rockdaboot.github.io/libpsl/):
// the longest matching rule wins, "*" matches one label, an exception rule ("!www.ck") beats
// every other rule, and a name that no rule matches falls under the implicit rule "*" (its
// top-level label is the public suffix). The organizational domain is the public suffix plus
// one label.
//
// The list is the newest of libpsl's built-in copy and the system's
// (/usr/share/publicsuffix/public_suffix_list.dafsa, Debian package `publicsuffix`), as
// psl_latest() chooses; both the ICANN and the private sections apply (mail domains live
// under private suffixes such as github.io too). It is a snapshot, as a real receiver's is.
#include <libpsl.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace delivsim::auth {

namespace detail {
inline std::string lowered_domain(std::string_view d) {
    if (!d.empty() && d.back() == '.') d.remove_suffix(1);
    std::string s(d);
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

// Loaded once per process, then only read (libpsl's queries on a context are thread-safe).
inline const psl_ctx_t& public_suffix_list() {
    struct Free {
        void operator()(psl_ctx_t* p) const noexcept { psl_free(p); }
    };
    static const std::unique_ptr<psl_ctx_t, Free> latest(psl_latest(nullptr));
    const psl_ctx_t* ctx = latest ? latest.get() : psl_builtin();
    if (!ctx)
        throw std::runtime_error("libpsl found no public suffix list (install the publicsuffix package, which gives " +
                                 std::string(psl_dist_filename()) + ")");
    return *ctx;
}

inline std::size_t label_count(std::string_view d) noexcept {
    if (d.empty()) return 0;
    std::size_t n = 1;
    for (const char c : d) n += c == '.';
    return n;
}
}  // namespace detail

// The public suffix of `domain`, lowercased, without a trailing dot ("" for an empty name).
inline std::string public_suffix(std::string_view domain) {
    const std::string d = detail::lowered_domain(domain);
    if (d.empty()) return d;
    const char* s = psl_unregistrable_domain(&detail::public_suffix_list(), d.c_str());
    return s ? std::string(s) : d;
}

// The number of labels of `domain`'s public suffix (at least 1 for a non-empty name).
inline std::size_t public_suffix_labels(std::string_view domain) {
    return detail::label_count(public_suffix(domain));
}

// RFC 7489 section 3.2: the public suffix plus one label, lowercased, without a trailing dot.
// A name that is itself a public suffix is its own organizational domain.
inline std::string organizational_domain(std::string_view domain) {
    const std::string d = detail::lowered_domain(domain);
    if (d.empty()) return d;
    const char* r = psl_registrable_domain(&detail::public_suffix_list(), d.c_str());
    return r ? std::string(r) : d;
}

}  // namespace delivsim::auth
