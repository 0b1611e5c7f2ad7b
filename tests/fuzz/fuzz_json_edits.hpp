#pragma once
// Edits of a JSON document along its structure, chosen by the fuzzer's input
// (FuzzedDataProvider): set a value to an interesting number, string, array or object; nudge a
// number; delete, add or rename a key; duplicate array elements (with unique names, and
// weights that still sum to 1); copy a subtree elsewhere; reweight a mixture. Shared by the
// structure targets for scenarios (fuzz_scenario_structure) and worlds (fuzz_world_structure).
#include <delivsim/delivsim.hpp>

#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace delivsim::fuzz {

using delivsim::json;

// Every key and word of the scenario format, and a few strings that test error messages.
constexpr const char* words[] = {
    "format", "name", "description", "retry", "first_retry_s", "backoff_factor", "max_backoff_s", "lifetime_s",
    "sender_classes", "recipient_profiles", "weight", "legit", "address_error", "probability", "kinds", "nxdomain",
    "unknown_user", "typosquat", "ip_listed", "size_bytes", "bytes", "dmarc", "pass", "none", "fail_reject",
    "fail_quarantine", "content_score", "mean", "sd", "attachment", "min_size_bytes", "mx", "host", "preference",
    "down", "implicit_mx", "dead_destination", "policies", "type", "dnsbl", "size_limit", "max_bytes",
    "mailbox_quota", "full", "mode", "permanent", "temporary", "still_full", "greylist", "delay_s",
    "dmarc_disposition", "reject", "quarantine", "spam_folder", "accept", "content_filter", "dmarc_adjustment",
    "actions", "min_score", "action", "attachment_scanner", "false_positive", "detection", "mailbox_rules",
    "by_class", "delete", "move", ".", "T", "N", "P", "S", "G", "C", "H", "delivsim-scenario/1",
    "delivsim-scenario/2", "", "mx1.g.example", "T/N", "a\nb", "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
    "\xe2\x80\xa8", "\xe6\x97\xa5\xe6\x9c\xac", "\x7f", "0123456789012345678901234567890123456789012345",
    // the "dns" zone and a sender class's "authentication"
    "dns", "records", "timeouts", "servfail", "timeout_probability", "value", "A", "AAAA", "MX", "TXT", "SPF",
    "PTR", "CNAME", "authentication", "from_domain", "mail_from_domain", "helo", "ips", "dkim", "domain",
    "selector", "key", "key_bits", "forwarded", "hop", "ip", "relay", "forwarder", "mailing_list", "shop.example",
    "esp.example", "192.0.2.10", "2001:db8::1", "::ffff:192.0.2.1", "256.1.1.1", "v=spf1 -all",
    "v=spf1 include:esp.example redirect=shop.example", "v=spf1 mx a:%{d} ptr exists:%{i}.%{l}._spf.%{d} ~all",
    "v=DMARC1; p=reject; pct=50", "v=DMARC1; p=quarantine; sp=none; adkim=s; aspf=s", "v=DKIM1; k=rsa; p=MIGf",
    // the world format (delivsim-world/1)
    "delivsim-world/1", "duration_s", "epoch_s", "bucket_s", "scenario", "class_feedback", "complaint_factor",
    "engagement_factor", "lists", "recipients", "stale", "spam_trap", "complaint", "engagement", "not_spam",
    "domains", "senders", "class", "pool", "schedule", "steady", "daily_cycle", "ramp", "campaign", "list", "id",
    "at_s", "messages", "spread_s", "rate_per_hour", "start_s", "end_s", "amplitude", "peak_hour", "daily_growth",
    "max_per_hour", "receivers", "rate_limit", "per_ip_per_hour", "per_subnet_per_hour", "history_factor",
    "reputation", "half_life_s", "prior", "prior_volume", "trap_weight", "engagement_weight", "high_below",
    "medium_below", "bad_above", "weights", "levels", "bad", "low", "medium", "high", "content_adjustment",
    "rate_multiplier", "retry_window_s", "auto_whitelist_after", "mailbox", "quota_bytes", "initial_fill",
    "empty_every_s", "never_empty", "when_full", "feedback_delay_s", "bigmail", "corp", "customers", "bought",
    "shop", "spammer", "bank", "newsletter", "203.0.113.10", "203.0.113.11"};

constexpr double interesting_doubles[] = {
    0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 1e-9, 1.0 - 1e-10, 1.0 + 1e-10, 1.0 + 2e-9, 1e-300, 5e-324, 1e308,
    std::numeric_limits<double>::max(), -std::numeric_limits<double>::max(), 9007199254740992.0,
    9007199254740993.0, 9223372036854775808.0, 18446744073709551615.0, 18446744073709551616.0, 65535.5,
    1e6, 4294967296.0, 99999.0, 100000.0, 432000.0, 0.1, 0.3, 1.5, 1e15};
constexpr std::int64_t interesting_ints[] = {
    0, 1, -1, 2, 31, 32, 33, 65535, 65536, 99999, 100000, 100001, std::numeric_limits<std::int64_t>::min(),
    std::numeric_limits<std::int64_t>::max()};
constexpr std::uint64_t interesting_uints[] = {
    std::numeric_limits<std::uint64_t>::max(), 9223372036854775808ull, 4294967295ull, 4294967296ull};

constexpr std::size_t max_nodes = 20000;  // stop editing a document that grew this large
constexpr int max_edits = 12;
constexpr int max_copies = 40;

struct Slot {
    json* parent;     // nullptr for the root
    std::string key;  // when parent is an object
    std::size_t index;  // when parent is an array
    json* node;
};

inline void collect(json& node, json* parent, const std::string& key, std::size_t index, std::vector<Slot>& out) {
    out.push_back({parent, key, index, &node});
    if (node.is_object()) {
        for (auto it = node.begin(); it != node.end(); ++it) collect(it.value(), &node, it.key(), 0, out);
    } else if (node.is_array()) {
        for (std::size_t i = 0; i < node.size(); ++i) collect(node[i], &node, "", i, out);
    }
}

inline std::string word(FuzzedDataProvider& f) { return f.PickValueInArray(words); }

// Half the time raw bytes, which need not be UTF-8: the JSON API (parse_scenario(json)) can
// be handed such strings; the text the other half goes through is dumped with U+FFFD for them.
inline std::string random_string(FuzzedDataProvider& f) {
    const bool raw = f.ConsumeBool();
    std::string s = f.ConsumeRandomLengthString(48);
    if (!raw)
        for (char& c : s) c = static_cast<char>(static_cast<unsigned char>(c) & 0x7f);
    return s;
}

inline json value(FuzzedDataProvider& f, int depth = 0) {
    switch (f.ConsumeIntegralInRange<int>(0, 11)) {
        case 0: return f.PickValueInArray(interesting_doubles);
        case 1: return f.PickValueInArray(interesting_ints);
        case 2: return f.PickValueInArray(interesting_uints);
        case 3: return f.ConsumeIntegral<std::int64_t>();
        case 4: return f.ConsumeFloatingPoint<double>();
        case 5: return f.ConsumeProbability<double>();
        case 6: return word(f);
        case 7: return random_string(f);
        case 8: return f.ConsumeBool();
        case 9: return nullptr;
        case 10: {
            json a = json::array();
            if (depth < 3)
                for (int n = f.ConsumeIntegralInRange<int>(0, 4); n > 0; --n) a.push_back(value(f, depth + 1));
            return a;
        }
        default: {
            json o = json::object();
            if (depth < 3)
                for (int n = f.ConsumeIntegralInRange<int>(0, 4); n > 0; --n) o[word(f)] = value(f, depth + 1);
            return o;
        }
    }
}

inline double nudge(FuzzedDataProvider& f, double x) {
    switch (f.ConsumeIntegralInRange<int>(0, 9)) {
        case 0: return x * 2;
        case 1: return x / 2;
        case 2: return x + 1;
        case 3: return x - 1;
        case 4: return -x;
        case 5: return 1 - x;
        case 6: return std::nextafter(x, std::numeric_limits<double>::infinity());
        case 7: return std::nextafter(x, -std::numeric_limits<double>::infinity());
        case 8: return x + 1e-9;
        default: return x * f.ConsumeFloatingPointInRange<double>(0.0, 1e6);
    }
}

// Weights of an array of objects that all have a numeric "weight" (a mixture).
inline bool is_mixture(const json& a) {
    if (!a.is_array() || a.empty()) return false;
    for (const auto& e : a)
        if (!e.is_object() || !e.contains("weight") || !e["weight"].is_number()) return false;
    return true;
}

inline void reweight(FuzzedDataProvider& f, json& a, bool equal) {
    std::vector<double> w(a.size(), 1.0);
    if (!equal)
        for (double& x : w) x = f.ConsumeProbability<double>();
    double total = 0;
    for (double x : w) total += x;
    for (std::size_t i = 0; i < a.size(); ++i) a[i]["weight"] = total > 0 ? w[i] / total : 1.0 / a.size();
}

template <class Pred>
inline Slot* pick(FuzzedDataProvider& f, std::vector<Slot>& slots, Pred&& ok) {
    std::vector<Slot*> c;
    for (Slot& s : slots)
        if (ok(s)) c.push_back(&s);
    if (c.empty()) return nullptr;
    return c[f.ConsumeIntegralInRange<std::size_t>(0, c.size() - 1)];
}

inline void edit(FuzzedDataProvider& f, json& doc, std::vector<Slot>& slots) {
    auto any_child = [](const Slot& s) { return s.parent != nullptr; };
    switch (f.ConsumeIntegralInRange<int>(0, 7)) {
        case 0:  // set a value
            if (Slot* s = pick(f, slots, any_child)) *s->node = value(f);
            break;
        case 1:  // nudge a number
            if (Slot* s = pick(f, slots, [](const Slot& x) { return x.node->is_number(); })) {
                const double y = nudge(f, s->node->get<double>());
                if (std::isfinite(y)) *s->node = y;
            }
            break;
        case 2:  // delete a key or an element
            if (Slot* s = pick(f, slots, any_child)) {
                if (s->parent->is_object()) s->parent->erase(s->key);
                else s->parent->erase(s->index);
            }
            break;
        case 3:  // duplicate an element, keeping names unique and a mixture's weights summing to 1
            if (Slot* s = pick(f, slots, [](const Slot& x) { return x.node->is_array() && !x.node->empty(); })) {
                json& a = *s->node;
                const json e = a[f.ConsumeIntegralInRange<std::size_t>(0, a.size() - 1)];
                for (int n = f.ConsumeIntegralInRange<int>(1, max_copies); n > 0; --n) {
                    json c = e;
                    for (const char* k : {"name", "host"})
                        if (c.is_object() && c.contains(k) && c[k].is_string())
                            c[k] = c[k].get<std::string>() + "~" + std::to_string(a.size());
                    a.push_back(std::move(c));
                }
                if (is_mixture(a) && f.ConsumeBool()) reweight(f, a, true);
            }
            break;
        case 4:  // add a key
            if (Slot* s = pick(f, slots, [](const Slot& x) { return x.node->is_object(); })) {
                const std::string k = f.ConsumeBool() ? word(f) : random_string(f);
                (*s->node)[k] = value(f);
            }
            break;
        case 5:  // rename a key
            if (Slot* s = pick(f, slots, [](const Slot& x) { return x.parent && x.parent->is_object(); })) {
                json v = std::move(*s->node);
                json* parent = s->parent;
                parent->erase(s->key);
                (*parent)[word(f)] = std::move(v);
            }
            break;
        case 6:  // copy one subtree over another
            if (Slot* from = pick(f, slots, [](const Slot&) { return true; })) {
                const json copy = *from->node;
                if (Slot* to = pick(f, slots, any_child)) *to->node = copy;
            }
            break;
        default:  // reweight a mixture
            if (Slot* s = pick(f, slots, [](const Slot& x) { return is_mixture(*x.node); })) reweight(f, *s->node, false);
            break;
    }
    (void)doc;
}

}  // namespace delivsim::fuzz
