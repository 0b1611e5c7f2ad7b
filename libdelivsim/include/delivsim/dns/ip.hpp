#pragma once
// IP addresses for the simulated DNS and for SPF: strict parsing of IPv4 dotted quads and
// IPv6 text (RFC 4291 section 2.2), CIDR matching, RFC 5952 formatting and the reverse
// (in-addr.arpa / ip6.arpa) names that PTR lookups use.
//
// Parsing is strict on purpose, because SPF's ip4-network grammar is (RFC 7208 section 5.6):
// exactly four decimal parts, each 0-255 without leading zeros ("01.2.3.4" is not an
// address). IPv6 accepts "::" once, 1-4 hex digits per group and a trailing dotted quad
// ("::ffff:1.2.3.4"); no zone index, no brackets.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace delivsim::dns {

struct IpAddress {
    enum class Family : std::uint8_t { v4, v6 };
    Family family = Family::v4;
    std::array<std::uint8_t, 16> bytes{};  // IPv4 uses bytes[0..3]

    bool is_v4() const noexcept { return family == Family::v4; }
    bool is_v6() const noexcept { return family == Family::v6; }
    unsigned bits() const noexcept { return is_v4() ? 32 : 128; }

    // ::ffff:a.b.c.d (RFC 4291 section 2.5.5.2)
    bool is_v4_mapped() const noexcept {
        if (!is_v6()) return false;
        for (int i = 0; i < 10; ++i)
            if (bytes[i] != 0) return false;
        return bytes[10] == 0xff && bytes[11] == 0xff;
    }
    // An IPv4-mapped IPv6 address as the IPv4 address it maps; any other address unchanged.
    // RFC 7208 section 5: such an address "MUST still be considered an IPv4 address".
    IpAddress unmapped() const noexcept {
        if (!is_v4_mapped()) return *this;
        IpAddress v4;
        for (int i = 0; i < 4; ++i) v4.bytes[i] = bytes[12 + i];
        return v4;
    }

    friend bool operator==(const IpAddress&, const IpAddress&) = default;

    static IpAddress v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) noexcept {
        IpAddress ip;
        ip.bytes[0] = a;
        ip.bytes[1] = b;
        ip.bytes[2] = c;
        ip.bytes[3] = d;
        return ip;
    }
};

// A strict dotted quad: four parts of 1-3 digits, no leading zeros, each at most 255.
inline std::optional<IpAddress> parse_ipv4(std::string_view s) noexcept {
    IpAddress ip;
    std::size_t pos = 0;
    for (int part = 0; part < 4; ++part) {
        if (part > 0) {
            if (pos >= s.size() || s[pos] != '.') return std::nullopt;
            ++pos;
        }
        const std::size_t start = pos;
        unsigned value = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9' && pos - start < 4) {
            value = value * 10 + static_cast<unsigned>(s[pos] - '0');
            ++pos;
        }
        const std::size_t len = pos - start;
        if (len == 0 || len > 3 || value > 255 || (len > 1 && s[start] == '0')) return std::nullopt;
        ip.bytes[part] = static_cast<std::uint8_t>(value);
    }
    if (pos != s.size()) return std::nullopt;
    return ip;
}

inline std::optional<IpAddress> parse_ipv6(std::string_view s) noexcept {
    std::array<std::uint16_t, 8> groups{};
    int n = 0;           // groups written
    int gap = -1;        // index where "::" was seen
    std::size_t pos = 0;
    if (s.size() >= 2 && s[0] == ':' && s[1] == ':') {
        gap = 0;
        pos = 2;
        if (pos == s.size()) return IpAddress{IpAddress::Family::v6, {}};
    } else if (!s.empty() && s[0] == ':') {
        return std::nullopt;
    }
    while (pos < s.size()) {
        if (n >= 8) return std::nullopt;
        // A trailing dotted quad takes two groups.
        const std::size_t next_colon = s.find(':', pos);
        const std::string_view piece = s.substr(pos, next_colon == std::string_view::npos ? s.npos : next_colon - pos);
        if (next_colon == std::string_view::npos && piece.find('.') != std::string_view::npos) {
            if (n > 6) return std::nullopt;
            const auto v4 = parse_ipv4(piece);
            if (!v4) return std::nullopt;
            groups[n++] = static_cast<std::uint16_t>(v4->bytes[0] << 8 | v4->bytes[1]);
            groups[n++] = static_cast<std::uint16_t>(v4->bytes[2] << 8 | v4->bytes[3]);
            pos = s.size();
            break;
        }
        if (piece.empty() || piece.size() > 4) return std::nullopt;
        unsigned value = 0;
        for (const char c : piece) {
            unsigned d;
            if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
            else if (c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
            else return std::nullopt;
            value = value * 16 + d;
        }
        groups[n++] = static_cast<std::uint16_t>(value);
        pos += piece.size();
        if (pos == s.size()) break;
        // pos is at a colon
        if (pos + 1 < s.size() && s[pos + 1] == ':') {
            if (gap >= 0) return std::nullopt;  // "::" twice
            gap = n;
            pos += 2;
        } else {
            ++pos;
            if (pos == s.size()) return std::nullopt;  // trailing single colon
        }
    }
    IpAddress ip{IpAddress::Family::v6, {}};
    std::array<std::uint16_t, 8> full{};
    if (gap < 0) {
        if (n != 8) return std::nullopt;
        full = groups;
    } else {
        if (n > 7) return std::nullopt;  // "::" must stand for at least one group
        for (int i = 0; i < gap; ++i) full[i] = groups[i];
        const int tail = n - gap;
        for (int i = 0; i < tail; ++i) full[8 - tail + i] = groups[gap + i];
    }
    for (int i = 0; i < 8; ++i) {
        ip.bytes[2 * i] = static_cast<std::uint8_t>(full[i] >> 8);
        ip.bytes[2 * i + 1] = static_cast<std::uint8_t>(full[i] & 0xff);
    }
    return ip;
}

// IPv4 or IPv6 text. An IPv4-mapped IPv6 address stays IPv6 here (see IpAddress::unmapped).
inline std::optional<IpAddress> parse_ip(std::string_view s) noexcept {
    if (s.find(':') != std::string_view::npos) return parse_ipv6(s);
    return parse_ipv4(s);
}

// RFC 5952: lowercase, leading zeros dropped, the longest run of two or more zero groups
// (the first if tied) as "::"; IPv4-mapped addresses as ::ffff:a.b.c.d.
inline std::string to_string(const IpAddress& ip) {
    if (ip.is_v4())
        return std::to_string(ip.bytes[0]) + "." + std::to_string(ip.bytes[1]) + "." + std::to_string(ip.bytes[2]) +
               "." + std::to_string(ip.bytes[3]);
    if (ip.is_v4_mapped()) return "::ffff:" + to_string(ip.unmapped());
    std::array<unsigned, 8> g{};
    for (int i = 0; i < 8; ++i) g[i] = static_cast<unsigned>(ip.bytes[2 * i] << 8 | ip.bytes[2 * i + 1]);
    int best = -1, best_len = 0;
    for (int i = 0; i < 8;) {
        if (g[i] != 0) {
            ++i;
            continue;
        }
        int j = i;
        while (j < 8 && g[j] == 0) ++j;
        if (j - i > best_len && j - i >= 2) {
            best = i;
            best_len = j - i;
        }
        i = j;
    }
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (int i = 0; i < 8; ++i) {
        if (i == best) {
            out += "::";
            i += best_len - 1;
            continue;
        }
        if (!out.empty() && out.back() != ':') out += ':';
        std::string group;
        unsigned v = g[i];
        do {
            group.insert(group.begin(), hex[v & 0xf]);
            v >>= 4;
        } while (v != 0);
        out += group;
    }
    return out;
}

// Does `ip` lie in net/prefix? Different families never match.
inline bool in_network(const IpAddress& ip, const IpAddress& net, unsigned prefix) noexcept {
    if (ip.family != net.family || prefix > ip.bits()) return false;
    unsigned i = 0;
    for (; prefix >= 8; prefix -= 8, ++i)
        if (ip.bytes[i] != net.bytes[i]) return false;
    if (prefix == 0) return true;
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - prefix));
    return (ip.bytes[i] & mask) == (net.bytes[i] & mask);
}

// The name a PTR lookup queries: "4.3.2.1.in-addr.arpa", or the 32 reversed nibbles under
// ip6.arpa. An IPv4-mapped address maps to its IPv4 name.
inline std::string reverse_name(const IpAddress& address) {
    const IpAddress ip = address.unmapped();
    if (ip.is_v4())
        return std::to_string(ip.bytes[3]) + "." + std::to_string(ip.bytes[2]) + "." + std::to_string(ip.bytes[1]) +
               "." + std::to_string(ip.bytes[0]) + ".in-addr.arpa";
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(72);
    for (int i = 15; i >= 0; --i) {
        out += hex[ip.bytes[i] & 0xf];
        out += '.';
        out += hex[ip.bytes[i] >> 4];
        out += '.';
    }
    return out + "ip6.arpa";
}

// The 32 nibbles of an IPv6 address in order, dot-separated (SPF's %{i} for IPv6,
// RFC 7208 section 7.3); the dotted quad for IPv4.
inline std::string dotted_form(const IpAddress& address) {
    const IpAddress ip = address.unmapped();
    if (ip.is_v4()) return to_string(ip);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(63);
    for (int i = 0; i < 16; ++i) {
        if (i) out += '.';
        out += hex[ip.bytes[i] >> 4];
        out += '.';
        out += hex[ip.bytes[i] & 0xf];
    }
    return out;
}

}  // namespace delivsim::dns
