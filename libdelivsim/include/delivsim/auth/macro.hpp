#pragma once
// SPF macros (RFC 7208 section 7): syntax checking and expansion.
//
//   macro-string = *( macro-expand / macro-literal )
//   macro-expand = ( "%{" macro-letter transformers *delimiter "}" ) / "%%" / "%_" / "%-"
//   macro-literal = %x21-24 / %x26-7E        ; visible characters except "%"
//   macro-letter = s l o d i p h c r t v     ; c, r, t only in explanation text
//   transformers = *DIGIT [ "r" ]            ; the digit count must not be zero
//   delimiter    = . - + , / _ =
//   explain-string = *( macro-string / SP )
//
// Letters are case-insensitive; an uppercase letter's expansion is URL-escaped (everything
// outside RFC 3986's unreserved set becomes %XX). A transformer splits the value on the
// delimiters (default "."), optionally reverses the parts, keeps the rightmost N, and joins
// them with ".".
#include <delivsim/dns/ip.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace delivsim::auth {

// Where a macro-string appears: a domain-spec (no SP; no c, r, t), the text of an
// explanation record (SP allowed; every letter), or an unknown modifier's value, which is
// never expanded: only its syntax is checked, and every letter is accepted there.
enum class MacroText : std::uint8_t { domain_spec, explain_string, unknown_modifier };

namespace detail {
inline bool is_macro_delimiter(char c) noexcept {
    return c == '.' || c == '-' || c == '+' || c == ',' || c == '/' || c == '_' || c == '=';
}
inline char lower_ascii(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
}  // namespace detail

// Why `s` is not a valid macro-string of kind `kind`, or "" if it is.
inline std::string macro_problem(std::string_view s, MacroText kind) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == ' ' && kind == MacroText::explain_string) continue;
        if (c < 0x21 || c > 0x7e) {
            return c > 0x7e ? "non-ASCII character" : c == ' ' ? "space" : "control character";
        }
        if (c != '%') continue;
        if (i + 1 >= s.size()) return "'%' at the end (write %% for a percent sign)";
        const char n = s[i + 1];
        if (n == '%' || n == '_' || n == '-') {
            ++i;
            continue;
        }
        if (n != '{') return std::string("'%") + n + "' is not a macro (write %% for a percent sign)";
        std::size_t j = i + 2;
        if (j >= s.size()) return "unterminated macro";
        const char letter = detail::lower_ascii(s[j]);
        if (std::string_view("slodiphcrtv").find(letter) == std::string_view::npos)
            return std::string("unknown macro letter '") + s[j] + "'";
        if ((letter == 'c' || letter == 'r' || letter == 't') && kind == MacroText::domain_spec)
            return std::string("macro letter '") + s[j] + "' is allowed only in explanation text";
        ++j;
        std::size_t digits = 0;
        bool nonzero = false;
        while (j < s.size() && s[j] >= '0' && s[j] <= '9') {
            nonzero = nonzero || s[j] != '0';
            ++digits;
            ++j;
        }
        if (digits > 0 && !nonzero) return "a macro transformer must not keep zero parts";
        if (j < s.size() && (s[j] == 'r' || s[j] == 'R')) ++j;
        while (j < s.size() && detail::is_macro_delimiter(s[j])) ++j;
        if (j >= s.size() || s[j] != '}') return "malformed macro '" + std::string(s.substr(i, j - i + 1)) + "'";
        i = j;
    }
    return "";
}

// The values the letters expand to. `ip` is the client address (IPv4-mapped already unmapped).
struct MacroInputs {
    std::string_view sender;         // s: "local@domain" (local part "postmaster" if there was none)
    std::string_view local_part;     // l
    std::string_view sender_domain;  // o
    std::string_view domain;         // d: the domain whose record is being evaluated
    std::string_view helo;           // h
    std::string_view receiver;       // r: the checking host's domain name
    std::uint64_t timestamp = 0;     // t: seconds since the epoch
    dns::IpAddress ip;               // i, c, v
};

// Which inputs an expansion read: a cache of check results keys on them only if they were.
struct MacroUse {
    bool sender = false;  // s, l or o
    bool helo = false;    // h
    bool ptr = false;     // p (reverse DNS)
};

inline std::string url_escape(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                                c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved) out += ch;
        else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0xf];
        }
    }
    return out;
}

// Expands a macro-string that macro_problem() accepted. `validated_name()` gives the p macro's
// value (it may query the DNS; it is called only if the string uses p).
template <class ValidatedName>
std::string expand_macros(std::string_view s, const MacroInputs& in, ValidatedName&& validated_name, MacroUse& use) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out += s[i];
            continue;
        }
        const char n = s[i + 1];
        if (n == '%') { out += '%'; ++i; continue; }
        if (n == '_') { out += ' '; ++i; continue; }
        if (n == '-') { out += "%20"; ++i; continue; }
        std::size_t j = i + 2;
        const char raw_letter = s[j++];
        const char letter = detail::lower_ascii(raw_letter);
        std::uint64_t keep = 0;  // 0: all parts
        while (s[j] >= '0' && s[j] <= '9') {
            keep = keep > 1000 ? keep : keep * 10 + static_cast<std::uint64_t>(s[j] - '0');  // saturates: > any part count
            ++j;
        }
        bool reverse = false;
        if (s[j] == 'r' || s[j] == 'R') {
            reverse = true;
            ++j;
        }
        std::string delimiters;
        while (s[j] != '}') delimiters += s[j++];
        i = j;

        std::string value;
        switch (letter) {
            case 's': value = in.sender; use.sender = true; break;
            case 'l': value = in.local_part; use.sender = true; break;
            case 'o': value = in.sender_domain; use.sender = true; break;
            case 'd': value = in.domain; break;
            case 'i': value = dns::dotted_form(in.ip); break;
            case 'p': value = validated_name(); use.ptr = true; break;
            case 'v': value = in.ip.is_v4() ? "in-addr" : "ip6"; break;
            case 'h': value = in.helo; use.helo = true; break;
            case 'c': value = dns::to_string(in.ip); break;
            case 'r': value = in.receiver; break;
            case 't': value = std::to_string(in.timestamp); break;
            default: break;
        }
        if (keep != 0 || reverse || !delimiters.empty()) {
            if (delimiters.empty()) delimiters = ".";
            std::vector<std::string_view> parts;
            std::size_t start = 0;
            for (std::size_t k = 0; k <= value.size(); ++k) {
                if (k == value.size() || delimiters.find(value[k]) != std::string::npos) {
                    parts.emplace_back(value.data() + start, k - start);
                    start = k + 1;
                }
            }
            if (reverse) std::reverse(parts.begin(), parts.end());
            const std::size_t first = keep != 0 && keep < parts.size() ? parts.size() - keep : 0;
            std::string joined;
            for (std::size_t k = first; k < parts.size(); ++k) {
                if (k > first) joined += '.';
                joined += parts[k];
            }
            value = std::move(joined);
        }
        out += raw_letter >= 'A' && raw_letter <= 'Z' ? url_escape(value) : value;
    }
    return out;
}

}  // namespace delivsim::auth
