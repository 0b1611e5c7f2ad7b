#pragma once
// A simulated DNS: one zone of records that the authentication checks (SPF, DKIM, DMARC)
// query instead of the network, with failure injection.
//
// Records: A, AAAA, MX (preference, host), TXT (a list of character-strings, each at most
// 255 octets), PTR, CNAME, and the obsolete type SPF (99), which RFC 7208 section 3.1
// forbids verifiers to query; it exists here so that a domain that publishes only type SPF
// can be simulated (its SPF result is "none").
// A TXT record may hold no string, or one empty string (zone files allow both, and RFC 7208's
// test suite publishes one in its "Initial processing" zone): it joins to "" and is simply a
// TXT record that is not SPF, DKIM or DMARC.
//
// Answers follow DNS: names are case-insensitive and a trailing dot is ignored; a name that
// owns no record of the type is NODATA if the name (or a name below it) owns any record,
// else NXDOMAIN; a CNAME is followed (up to 8 links; a loop or a longer chain is SERVFAIL)
// for every type but CNAME itself, and a CNAME cannot share its name with other records
// (RFC 1034 section 3.6.2).
//
// Failure injection: add_timeout / add_servfail make every query for a name, or only for one
// type at that name, time out or answer SERVFAIL (the checks then give temperror). A zone may
// also give a probability that any query times out. That draw is NOT made by the zone: a
// lookup takes an optional TimeoutDraw callback, called with the query's ordinal within one
// evaluation (0, 1, 2, ...), that returns a uniform number in [0, 1); the query times out when
// it is below timeout_probability(). The engine passes a draw from the message's counter-based
// RNG (core/rng.hpp, e.g. `[&](std::uint32_t k) { return rng.uniform(stream, k); }` on a
// stream of its own), so a message's timeouts are a pure function of (seed, message, query
// ordinal) and the zone stays an immutable, shareable value with no RNG inside. Without a
// callback no query times out at random, and a check is a deterministic function of the zone
// and its arguments. Because draws are indexed by query ordinal, an evaluation with a draw
// whose first Q draws (Q = the deterministic evaluation's query count) are all above the
// probability issues exactly the deterministic evaluation's queries and gets its result: a
// cache of deterministic results stays exact with random timeouts.
//
// JSON (parse_zone; the error names the JSON path, as the scenario loader's do):
//   {"records": [{"name": "example.com", "type": "TXT", "value": "v=spf1 -all"},
//                {"name": "example.com", "type": "TXT", "value": ["v=spf1 ip4:192.0.2.0/24", " -all"]},
//                {"name": "example.com", "type": "MX", "value": [10, "mx.example.com"]},
//                {"name": "mx.example.com", "type": "A", "value": "192.0.2.1"}],
//    "timeouts": [{"name": "slow.example", "type": "TXT"}, {"name": "dead.example"}],
//    "servfail": [{"name": "broken.example"}],
//    "timeout_probability": 0.0}
// Every key but "records" is optional; a missing "type" in timeouts/servfail means every type.
#include <delivsim/dns/ip.hpp>
#include <delivsim/core/json.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace delivsim::dns {

enum class RType : std::uint8_t { A, AAAA, MX, TXT, SPF, PTR, CNAME };
inline constexpr std::size_t rtype_count = 7;
inline constexpr std::array<std::string_view, rtype_count> rtype_names{"A", "AAAA", "MX", "TXT", "SPF", "PTR", "CNAME"};

inline std::optional<RType> parse_rtype(std::string_view s) noexcept {
    for (std::size_t i = 0; i < rtype_count; ++i) {
        const auto n = rtype_names[i];
        bool same = n.size() == s.size();
        for (std::size_t k = 0; same && k < n.size(); ++k) same = n[k] == (s[k] >= 'a' && s[k] <= 'z' ? s[k] - 32 : s[k]);
        if (same) return static_cast<RType>(i);
    }
    return std::nullopt;
}

// NOERROR with no records is NODATA.
enum class Rcode : std::uint8_t { noerror, nxdomain, servfail, timeout };
inline constexpr std::array<std::string_view, 4> rcode_names{"noerror", "nxdomain", "servfail", "timeout"};

struct Mx {
    std::uint16_t preference = 0;
    std::string host;  // "" for the null MX of RFC 7505 (written "." in a zone file)
    friend bool operator==(const Mx&, const Mx&) = default;
};

using Txt = std::vector<std::string>;  // the character-strings of one TXT (or SPF) record

// The concatenation of a TXT record's strings, as SPF, DKIM and DMARC read it.
inline std::string joined(const Txt& t) {
    std::string s;
    for (const auto& part : t) s += part;
    return s;
}

template <class T>
struct Answer {
    Rcode rcode = Rcode::noerror;
    std::span<const T> records;  // valid while the zone is not modified

    bool ok() const noexcept { return rcode == Rcode::noerror || rcode == Rcode::nxdomain; }
    bool error() const noexcept { return !ok(); }  // SERVFAIL or timeout
    // "Void" in RFC 7208 section 4.6.4's sense: NXDOMAIN, or NOERROR with no answer.
    bool is_void() const noexcept { return ok() && records.empty(); }
};

// Lowercase ASCII and drop one trailing dot. Not validation.
inline std::string normalize_name(std::string_view name) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    std::string s(name);
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

// Why `name` cannot be a DNS name, or "" when it can: at most 253 octets without the
// trailing dot, labels of 1-63 octets, printable ASCII (space included: a DNS label may hold
// any octet, and SPF's test names do; an internationalized name must be given as A-labels).
inline std::string name_problem(std::string_view name) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    if (name.empty()) return "is empty";
    if (name.size() > 253) return "is longer than 253 characters";
    std::size_t label = 0;
    for (const char ch : name) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c > 0x7e) return c > 0x7e ? "is not ASCII (give an internationalized name as A-labels, xn--...)"
                                                    : "contains a control character";
        if (ch == '.') {
            if (label == 0) return "has an empty label";
            label = 0;
        } else if (++label > 63) {
            return "has a label longer than 63 characters";
        }
    }
    return "";
}
inline bool valid_name(std::string_view name) { return name_problem(name).empty(); }

// A uniform draw in [0, 1) for the query with the given ordinal, or nothing (see the top of
// this file). Non-owning, like a function_ref: the callable must outlive the lookups it is
// passed to (a lambda written in the call's argument list does).
class TimeoutDraw {
public:
    TimeoutDraw() = default;
    template <class F>
        requires(!std::is_same_v<std::remove_cvref_t<F>, TimeoutDraw> &&
                 std::is_invocable_r_v<double, const F&, std::uint32_t>)
    TimeoutDraw(const F& f) noexcept  // NOLINT(google-explicit-constructor)
        : object_(&f), call_([](const void* o, std::uint32_t k) -> double { return (*static_cast<const F*>(o))(k); }) {}

    explicit operator bool() const noexcept { return call_ != nullptr; }
    double operator()(std::uint32_t query) const { return call_(object_, query); }

private:
    const void* object_ = nullptr;
    double (*call_)(const void*, std::uint32_t) = nullptr;
};

class Zone {
public:
    // --- building -------------------------------------------------------------------------
    // Each throws std::invalid_argument naming the name and the problem.
    void add_a(std::string_view name, std::string_view address) {
        const auto ip = parse_ipv4(address);
        if (!ip) bad(name, "A value '" + std::string(address) + "' is not an IPv4 address");
        add_a(name, *ip);
    }
    void add_a(std::string_view name, const IpAddress& ip) {
        if (!ip.is_v4()) bad(name, "an A record needs an IPv4 address");
        node(name, RType::A).a.push_back(ip);
        log(name, RType::A, to_string(ip));
    }
    void add_aaaa(std::string_view name, std::string_view address) {
        const auto ip = parse_ipv6(address);
        if (!ip) bad(name, "AAAA value '" + std::string(address) + "' is not an IPv6 address");
        add_aaaa(name, *ip);
    }
    void add_aaaa(std::string_view name, const IpAddress& ip) {
        if (!ip.is_v6()) bad(name, "an AAAA record needs an IPv6 address");
        node(name, RType::AAAA).aaaa.push_back(ip);
        log(name, RType::AAAA, to_string(ip));
    }
    void add_mx(std::string_view name, std::int64_t preference, std::string_view host) {
        if (preference < 0 || preference > 65535)
            bad(name, "MX preference " + std::to_string(preference) + " is not in 0..65535");
        std::string h;
        if (!host.empty() && host != ".") {
            const auto p = name_problem(host);
            if (!p.empty()) bad(name, "MX host '" + std::string(host) + "' " + p);
            h = normalize_name(host);
        }
        node(name, RType::MX).mx.push_back({static_cast<std::uint16_t>(preference), h});
        log(name, RType::MX, std::to_string(preference), h.empty() ? "." : h);
    }
    void add_txt(std::string_view name, Txt strings) { add_text(name, RType::TXT, std::move(strings)); }
    void add_spf(std::string_view name, Txt strings) { add_text(name, RType::SPF, std::move(strings)); }
    void add_ptr(std::string_view name, std::string_view host) {
        const auto p = name_problem(host);
        if (!p.empty()) bad(name, "PTR target '" + std::string(host) + "' " + p);
        node(name, RType::PTR).ptr.push_back(normalize_name(host));
        log(name, RType::PTR, normalize_name(host));
    }
    void add_cname(std::string_view name, std::string_view target) {
        const auto p = name_problem(target);
        if (!p.empty()) bad(name, "CNAME target '" + std::string(target) + "' " + p);
        Node& n = node(name, RType::CNAME);
        n.cname = normalize_name(target);
        n.has_cname = true;
        log(name, RType::CNAME, n.cname);
    }

    // Every query for `name` (all types, or only `type`) times out / answers SERVFAIL.
    void add_timeout(std::string_view name, std::optional<RType> type = std::nullopt) {
        inject(name, type, true);
    }
    void add_servfail(std::string_view name, std::optional<RType> type = std::nullopt) {
        inject(name, type, false);
    }

    void set_timeout_probability(double p) {
        if (!(p >= 0.0 && p <= 1.0)) throw std::invalid_argument("timeout probability must be in [0, 1]");
        timeout_probability_ = p;
        ++generation_;
    }
    double timeout_probability() const noexcept { return timeout_probability_; }

    // Changes with every modification: a cache of check results keyed on a zone can use
    // (zone address, generation) to notice edits.
    std::uint64_t generation() const noexcept { return generation_; }
    std::size_t record_count() const noexcept { return log_.size(); }

    // --- querying ---------------------------------------------------------------------------
    // The raw answer, without random timeouts (Resolver adds those).
    Answer<IpAddress> a(std::string_view name) const { return query<IpAddress>(name, RType::A); }
    Answer<IpAddress> aaaa(std::string_view name) const { return query<IpAddress>(name, RType::AAAA); }
    Answer<Mx> mx(std::string_view name) const { return query<Mx>(name, RType::MX); }
    Answer<Txt> txt(std::string_view name) const { return query<Txt>(name, RType::TXT); }
    Answer<Txt> spf(std::string_view name) const { return query<Txt>(name, RType::SPF); }
    Answer<std::string> ptr(std::string_view name) const { return query<std::string>(name, RType::PTR); }
    // The CNAME at `name` itself (not followed).
    Answer<std::string> cname(std::string_view name) const { return query<std::string>(name, RType::CNAME); }

    // --- serialisation ------------------------------------------------------------------------
    // The zone as the JSON document parse_zone reads (records in the order they were added).
    json to_json() const {
        json records = json::array();
        for (const auto& r : log_) {
            json value;
            switch (r.type) {
                case RType::MX: value = json::array({std::stoi(r.value), r.value2}); break;
                case RType::TXT:
                case RType::SPF: value = r.strings.size() == 1 ? json(r.strings[0]) : json(r.strings); break;
                default: value = r.value;
            }
            records.push_back({{"name", r.name}, {"type", rtype_names[static_cast<std::size_t>(r.type)]}, {"value", value}});
        }
        json doc{{"records", records}};
        for (const bool timeout : {true, false}) {
            json list = json::array();
            for (const auto& [name, type] : timeout ? timeout_log_ : servfail_log_) {
                json item{{"name", name}};
                if (type) item["type"] = rtype_names[static_cast<std::size_t>(*type)];
                list.push_back(item);
            }
            if (!list.empty()) doc[timeout ? "timeouts" : "servfail"] = list;
        }
        if (timeout_probability_ > 0) doc["timeout_probability"] = timeout_probability_;
        return doc;
    }

private:
    struct Node {
        std::vector<IpAddress> a, aaaa;
        std::vector<Mx> mx;
        std::vector<Txt> txt, spf;
        std::vector<std::string> ptr;
        std::string cname;
        bool has_cname = false;
        bool has_data() const noexcept {
            return !a.empty() || !aaaa.empty() || !mx.empty() || !txt.empty() || !spf.empty() || !ptr.empty();
        }
    };
    struct Failure {
        std::uint8_t timeout_mask = 0, servfail_mask = 0;  // bit per RType; all bits = every type
    };
    struct Logged {
        std::string name;
        RType type;
        std::string value, value2;
        Txt strings;
    };

    void log(std::string_view name, RType type, std::string value, std::string value2 = {}, Txt strings = {}) {
        log_.push_back(Logged{normalize_name(name), type, std::move(value), std::move(value2), std::move(strings)});
    }

    [[noreturn]] static void bad(std::string_view name, const std::string& what) {
        throw std::invalid_argument(std::string(name) + ": " + what);
    }

    Node& node(std::string_view name, RType type) {
        const auto p = name_problem(name);
        if (!p.empty()) bad(name, "the name " + p);
        std::string key = normalize_name(name);
        auto [it, fresh] = nodes_.try_emplace(key);
        Node& n = it->second;
        if (type == RType::CNAME) {
            if (n.has_cname) bad(name, "already has a CNAME (a name has at most one)");
            if (n.has_data()) bad(name, "a CNAME cannot share its name with other records (RFC 1034 section 3.6.2)");
        } else if (n.has_cname) {
            bad(name, "has a CNAME, which cannot share its name with other records (RFC 1034 section 3.6.2)");
        }
        if (fresh) {
            // The name and every name above it exist (an empty non-terminal answers NODATA).
            std::string_view s = key;
            while (true) {
                if (!existing_.insert(std::string(s)).second) break;
                const auto dot = s.find('.');
                if (dot == std::string_view::npos) break;
                s.remove_prefix(dot + 1);
            }
        }
        ++generation_;
        return n;
    }

    void add_text(std::string_view name, RType type, Txt strings) {
        for (const auto& s : strings)
            if (s.size() > 255)
                bad(name, "a character-string is " + std::to_string(s.size()) +
                              " octets; DNS allows at most 255 (split the record into several strings)");
        Node& n = node(name, type);
        (type == RType::TXT ? n.txt : n.spf).push_back(strings);
        log(name, type, {}, {}, std::move(strings));
    }

    void inject(std::string_view name, std::optional<RType> type, bool timeout) {
        const auto p = name_problem(name);
        if (!p.empty()) bad(name, "the name " + p);
        Failure& f = failures_[normalize_name(name)];
        const std::uint8_t bits = type ? static_cast<std::uint8_t>(1u << static_cast<unsigned>(*type)) : 0x7f;
        (timeout ? f.timeout_mask : f.servfail_mask) |= bits;
        (timeout ? timeout_log_ : servfail_log_).emplace_back(normalize_name(name), type);
        ++generation_;
    }

    template <class T>
    static std::span<const T> records_of(const Node& n, RType type) {
        if constexpr (std::is_same_v<T, IpAddress>) return type == RType::A ? n.a : n.aaaa;
        else if constexpr (std::is_same_v<T, Mx>) return n.mx;
        else if constexpr (std::is_same_v<T, Txt>) return type == RType::TXT ? n.txt : n.spf;
        else if (type == RType::CNAME) return n.has_cname ? std::span<const std::string>(&n.cname, 1) : std::span<const std::string>{};
        else return n.ptr;
    }

    template <class T>
    Answer<T> query(std::string_view name, RType type) const {
        std::string key = normalize_name(name);
        if (!valid_name(key)) return {Rcode::nxdomain, {}};
        const auto bit = static_cast<std::uint8_t>(1u << static_cast<unsigned>(type));
        for (int hop = 0; hop <= 8; ++hop) {
            if (!failures_.empty()) {
                if (auto f = failures_.find(key); f != failures_.end()) {
                    if (f->second.timeout_mask & bit) return {Rcode::timeout, {}};
                    if (f->second.servfail_mask & bit) return {Rcode::servfail, {}};
                }
            }
            const auto it = nodes_.find(key);
            if (it == nodes_.end())
                return {existing_.count(key) ? Rcode::noerror : Rcode::nxdomain, {}};
            const Node& n = it->second;
            if (n.has_cname && type != RType::CNAME) {
                key = n.cname;
                continue;
            }
            return {Rcode::noerror, records_of<T>(n, type)};
        }
        return {Rcode::servfail, {}};  // CNAME chain too long, or a loop
    }

    std::unordered_map<std::string, Node> nodes_;
    std::unordered_set<std::string> existing_;
    std::unordered_map<std::string, Failure> failures_;
    std::vector<Logged> log_;
    std::vector<std::pair<std::string, std::optional<RType>>> timeout_log_, servfail_log_;
    double timeout_probability_ = 0;
    std::uint64_t generation_ = 0;
};

// One evaluation's view of a zone: counts the queries and applies the zone's random timeouts
// through the draw (see the top of this file). Cheap to create; make one per check.
class Resolver {
public:
    explicit Resolver(const Zone& zone, TimeoutDraw draw = {}) noexcept : zone_(&zone), draw_(draw) {}

    const Zone& zone() const noexcept { return *zone_; }
    std::uint32_t queries() const noexcept { return queries_; }
    std::uint32_t timeouts_drawn() const noexcept { return drawn_timeouts_; }

    Answer<IpAddress> a(std::string_view n) { return random_timeout() ? Answer<IpAddress>{Rcode::timeout, {}} : zone_->a(n); }
    Answer<IpAddress> aaaa(std::string_view n) { return random_timeout() ? Answer<IpAddress>{Rcode::timeout, {}} : zone_->aaaa(n); }
    // A for IPv4, AAAA for IPv6.
    Answer<IpAddress> addresses(std::string_view n, IpAddress::Family f) { return f == IpAddress::Family::v4 ? a(n) : aaaa(n); }
    Answer<Mx> mx(std::string_view n) { return random_timeout() ? Answer<Mx>{Rcode::timeout, {}} : zone_->mx(n); }
    Answer<Txt> txt(std::string_view n) { return random_timeout() ? Answer<Txt>{Rcode::timeout, {}} : zone_->txt(n); }
    Answer<std::string> ptr(std::string_view n) {
        return random_timeout() ? Answer<std::string>{Rcode::timeout, {}} : zone_->ptr(n);
    }

private:
    // Every query takes the next ordinal, whether or not a draw is made, so that draws stay
    // aligned with queries.
    bool random_timeout() {
        const std::uint32_t k = queries_++;
        if (!draw_ || !(zone_->timeout_probability() > 0)) return false;
        if (draw_(k) < zone_->timeout_probability()) {
            ++drawn_timeouts_;
            return true;
        }
        return false;
    }

    const Zone* zone_;
    TimeoutDraw draw_;
    std::uint32_t queries_ = 0;
    std::uint32_t drawn_timeouts_ = 0;
};

// --- JSON ------------------------------------------------------------------------------------

namespace detail {
inline std::optional<RType> zone_type_field(const Field& f) {
    const auto t = parse_rtype(f.string());
    if (!t) {
        std::string list;
        for (auto n : rtype_names) list += (list.empty() ? "" : ", ") + std::string(n);
        f.fail("'" + f.string() + "' is not one of: " + list);
    }
    return t;
}
// Runs a Zone building call, turning its std::invalid_argument into a ScenarioError at `f`.
template <class Fn>
void at(const Field& f, Fn&& fn) {
    try {
        fn();
    } catch (const ScenarioError&) {
        throw;
    } catch (const std::invalid_argument& e) {
        f.fail(e.what());
    }
}
}  // namespace detail

// A zone from its JSON document (format at the top of this file). Errors are ScenarioErrors
// that name the JSON path: "records[3].value: MX preference 70000 is not in 0..65535".
inline Zone parse_zone(const json& doc) {
    const Field root(doc, "");
    root.allow_keys({"records", "timeouts", "servfail", "timeout_probability"});
    Zone z;
    for (const Field& r : root["records"].items()) {
        r.allow_keys({"name", "type", "value"});
        const std::string name = r["name"].name();
        if (const auto p = name_problem(name); !p.empty()) r["name"].fail("'" + name + "' " + p);
        const RType type = *detail::zone_type_field(r["type"]);
        const Field v = r["value"];
        switch (type) {
            case RType::A: detail::at(v, [&] { z.add_a(name, v.string()); }); break;
            case RType::AAAA: detail::at(v, [&] { z.add_aaaa(name, v.string()); }); break;
            case RType::PTR: detail::at(v, [&] { z.add_ptr(name, v.string()); }); break;
            case RType::CNAME: detail::at(v, [&] { z.add_cname(name, v.string()); }); break;
            case RType::MX: {
                if (!v.raw().is_array() || v.raw().size() != 2) v.fail(v.shown() + " is not [preference, host]");
                const auto items = v.items();
                const std::uint64_t pref = items[0].count();
                if (pref > 65535) items[0].fail(items[0].shown() + " is not in 0..65535");
                const std::string host = items[1].string();
                detail::at(v, [&] { z.add_mx(name, static_cast<std::int64_t>(pref), host); });
                break;
            }
            case RType::TXT:
            case RType::SPF: {
                Txt strings;
                if (v.raw().is_string()) strings.push_back(v.string());
                else if (v.raw().is_array()) {
                    for (const Field& s : v.items()) strings.push_back(s.string());
                } else {
                    v.fail(v.shown() + " is not a string or a list of strings");
                }
                for (std::size_t i = 0; i < strings.size(); ++i)
                    if (strings[i].size() > 255)
                        (v.raw().is_array() ? v.items()[i] : v)
                            .fail("a character-string is " + std::to_string(strings[i].size()) +
                                  " octets; DNS allows at most 255 (split it into a list of strings)");
                detail::at(v, [&] {
                    if (type == RType::TXT) z.add_txt(name, std::move(strings));
                    else z.add_spf(name, std::move(strings));
                });
                break;
            }
        }
    }
    for (const bool timeout : {true, false}) {
        const char* key = timeout ? "timeouts" : "servfail";
        if (!root.has(key)) continue;
        for (const Field& item : root[key].items()) {
            item.allow_keys({"name", "type"});
            const std::string name = item["name"].name();
            if (const auto p = name_problem(name); !p.empty()) item["name"].fail("'" + name + "' " + p);
            std::optional<RType> type;
            if (item.has("type")) type = detail::zone_type_field(item["type"]);
            if (timeout) z.add_timeout(name, type);
            else z.add_servfail(name, type);
        }
    }
    if (root.has("timeout_probability")) z.set_timeout_probability(root["timeout_probability"].probability());
    return z;
}

}  // namespace delivsim::dns
