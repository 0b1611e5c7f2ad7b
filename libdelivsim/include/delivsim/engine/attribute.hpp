#pragma once
// Counterfactual attribution: which single fix would have delivered a lost message.
//
// Every legitimate message of a run that did not reach the inbox is delivered again, once per
// factor, with that one factor fixed: the same message (the same counter-based draws, from a
// fresh MessageRng(seed, index)) through the same delivery step (engine/deliver.hpp). A fix of
// the sender's side changes the drawn message; a fix of the receiver's or the recipient's
// side changes the message's profile (its routing, or its chain without a policy). The count
// per (sender class, factor) is how many lost messages that fix alone would have put in the
// inbox. A message can be rescued by several single fixes, so the shares do not add up.
//
// Cost: one run, plus one delivery per factor of each lost legitimate message only.
#include <delivsim/core/json.hpp>
#include <delivsim/engine/run.hpp>
#include <delivsim/results/wilson.hpp>
#include <delivsim/policy/registry.hpp>
#include <delivsim/scenario/scenario.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace delivsim {

enum class Factor : std::uint8_t {
    // the sender's side
    authentication,  // aligned SPF and DKIM pass: DMARC pass
    ip_reputation,   // the sending IP not listed, and no reputation penalty
    content,         // a clean content score (at most 0) and no promotional phrases or listed URLs
    size,            // under every size limit of its recipient domain (a link instead of the file)
    attachment,      // no attachment
    address,         // no address error
    // the receiver's and the recipient's side
    availability,     // every MX host answers, and the destination is not dead
    quota,            // the mailbox is not full
    recipient_rules,  // the recipient's own rules off
};
inline constexpr std::size_t factor_count = 9;
inline constexpr std::array<std::string_view, factor_count> factor_names{
    "authentication", "ip_reputation", "content",      "size",           "attachment",
    "address",        "availability",  "quota",        "recipient_rules"};
constexpr bool sender_side(Factor f) noexcept { return f < Factor::availability; }

// A factor by name; an unknown name throws std::invalid_argument naming it and the valid ones.
inline Factor factor_by_name(std::string_view n) {
    for (std::size_t i = 0; i < factor_count; ++i)
        if (factor_names[i] == n) return static_cast<Factor>(i);
    std::string valid;
    for (auto v : factor_names) valid += (valid.empty() ? "" : ", ") + std::string(v);
    throw std::invalid_argument("factors: unknown factor '" + std::string(n) + "' (valid: " + valid + ")");
}

// The counts of an attribution, by sender class: integer counts, so chunks merge exactly.
class Attribution {
public:
    Attribution() = default;
    Attribution(std::vector<std::string> classes, std::vector<Factor> factors)
        : classes_(std::move(classes)), factors_(std::move(factors)), legit_(classes_.size()), lost_(classes_.size()),
          rescued_(classes_.size() * factor_count), any_sender_(classes_.size()), receiver_only_(classes_.size()),
          none_(classes_.size()) {}

    const std::vector<std::string>& classes() const noexcept { return classes_; }
    const std::vector<Factor>& factors() const noexcept { return factors_; }
    std::uint64_t messages() const noexcept { return messages_; }
    // Legitimate messages of class c, and those of them that missed the inbox.
    std::uint64_t legit(std::size_t c) const { return legit_.at(c); }
    std::uint64_t lost(std::size_t c) const { return lost_.at(c); }
    // Lost messages of class c that fixing factor f alone would have put in the inbox.
    std::uint64_t rescued(std::size_t c, Factor f) const { return rescued_.at(c * factor_count + static_cast<std::size_t>(f)); }
    std::uint64_t any_sender_fix(std::size_t c) const { return any_sender_.at(c); }
    std::uint64_t receiver_only(std::size_t c) const { return receiver_only_.at(c); }
    std::uint64_t no_single_fix(std::size_t c) const { return none_.at(c); }

    void clear() noexcept {
        for (auto* v : {&legit_, &lost_, &rescued_, &any_sender_, &receiver_only_, &none_}) std::fill(v->begin(), v->end(), 0);
        messages_ = 0;
    }
    Attribution& operator+=(const Attribution& o) {
        if (classes_ != o.classes_ || factors_ != o.factors_)
            throw std::invalid_argument("attributions of different scenarios or factors cannot be merged");
        auto add = [](std::vector<std::uint64_t>& a, const std::vector<std::uint64_t>& b) {
            for (std::size_t i = 0; i < a.size(); ++i) a[i] += b[i];
        };
        add(legit_, o.legit_), add(lost_, o.lost_), add(rescued_, o.rescued_), add(any_sender_, o.any_sender_);
        add(receiver_only_, o.receiver_only_), add(none_, o.none_);
        messages_ += o.messages_;
        return *this;
    }
    bool operator==(const Attribution&) const = default;

    // One message: `rescued_by` has a bit per factor that alone would have delivered it.
    void count(const Message& m, bool lost, std::uint32_t rescued_by) noexcept {
        ++messages_;
        if (!m.legit) return;
        const std::size_t c = m.sender_class;
        ++legit_[c];
        if (!lost) return;
        ++lost_[c];
        bool sender = false, receiver = false;
        for (std::size_t f = 0; f < factor_count; ++f) {
            if (!(rescued_by >> f & 1u)) continue;
            ++rescued_[c * factor_count + f];
            (sender_side(static_cast<Factor>(f)) ? sender : receiver) = true;
        }
        if (sender) ++any_sender_[c];
        else if (receiver) ++receiver_only_[c];
        else ++none_[c];
    }

private:
    std::vector<std::string> classes_;
    std::vector<Factor> factors_;
    std::vector<std::uint64_t> legit_, lost_, rescued_, any_sender_, receiver_only_, none_;
    std::uint64_t messages_ = 0;
};

namespace detail {

// `chain` without the policies of type P, in gateways too.
template <class P>
PolicyChain without(const PolicyChain& chain) {
    PolicyChain out;
    for (const AnyPolicy& p : chain.policies) {
        if (std::holds_alternative<P>(p)) continue;
        if (const auto* g = std::get_if<Gateway>(&p)) {
            Gateway inner = *g;
            inner.chain = std::make_shared<const PolicyChain>(without<P>(*g->chain));
            out.policies.emplace_back(std::move(inner));
        } else {
            out.policies.push_back(p);
        }
    }
    return out;
}

// The smallest size limit of a chain (in gateways too), or the largest size.
inline std::uint64_t smallest_size_limit(const PolicyChain& chain) {
    std::uint64_t limit = std::numeric_limits<std::uint64_t>::max();
    for (const AnyPolicy& p : chain.policies) {
        if (const auto* s = std::get_if<SizeLimit>(&p)) limit = std::min(limit, s->max_bytes);
        if (const auto* g = std::get_if<Gateway>(&p)) limit = std::min(limit, smallest_size_limit(*g->chain));
    }
    return limit;
}

}  // namespace detail

// The counterfactual worlds of one scenario: for each receiver-side factor, the scenario
// with that factor fixed in every profile; sender-side factors change the message.
struct Counterfactuals {
    const Scenario* base = nullptr;
    std::vector<Factor> factors;
    std::array<Scenario, factor_count> fixed;  // for the receiver-side factors asked for
    std::vector<std::uint64_t> size_limit;     // per profile

    Counterfactuals(const Scenario& s, std::vector<Factor> fs) : base(&s), factors(std::move(fs)) {
        if (factors.size() > 32) throw std::invalid_argument("factors: more than 32");
        for (std::size_t i = 0; i < factors.size(); ++i)
            for (std::size_t j = 0; j < i; ++j)
                if (factors[i] == factors[j])
                    throw std::invalid_argument("factors: '" + std::string(factor_names[static_cast<std::size_t>(factors[i])]) +
                                                "' is given twice");
        for (const auto& p : s.profiles) size_limit.push_back(detail::smallest_size_limit(p.policies));
        for (Factor f : factors) {
            if (sender_side(f)) continue;
            Scenario t = s;
            for (auto& p : t.profiles) {
                if (f == Factor::availability) p.routing = p.routing.always_up();
                if (f == Factor::quota) p.policies = detail::without<MailboxQuota>(p.policies);
                if (f == Factor::recipient_rules) p.policies = detail::without<MailboxRules>(p.policies);
            }
            fixed[static_cast<std::size_t>(f)] = std::move(t);
        }
    }

    // Message `m` (as drawn) with sender-side factor f fixed.
    Message fix(Message m, Factor f) const noexcept {
        switch (f) {
            case Factor::authentication: m.dmarc = DmarcResult::pass; break;
            case Factor::ip_reputation:
                m.ip_listed = false;
                m.features.reputation = std::max(m.features.reputation, 0.0);
                break;
            case Factor::content:
                m.content_score = std::min(m.content_score, 0.0);
                m.features.promo_phrases = 0;
                m.features.url_hits = 0;
                break;
            case Factor::size: m.size_bytes = std::min(m.size_bytes, size_limit[m.profile]); break;
            case Factor::attachment:
                m.has_attachment = false;
                m.features.attachment = AttachmentType::none;
                break;
            case Factor::address: m.address_error = AddressError::none; break;
            default: break;
        }
        return m;
    }

    // Would message `index` (drawn as `m`) reach the inbox with factor f fixed? The same draws:
    // a fresh MessageRng for the message, advanced past its population draw as in the run.
    bool rescues(std::uint64_t seed, std::uint64_t index, const Message& m, Factor f) const {
        MessageRng rng(seed, index);
        const Message drawn = draw_message(*base, rng);
        if (sender_side(f)) return deliver(*base, fix(drawn, f), rng).outcome == Outcome::inbox;
        const Scenario& t = fixed[static_cast<std::size_t>(f)];
        (void)m;
        return deliver(t, drawn, rng).outcome == Outcome::inbox;
    }

    void simulate(std::uint64_t seed, std::uint64_t first, std::uint64_t count, Attribution& out) const {
        for (std::uint64_t i = first; i < first + count; ++i) {
            MessageRng rng(seed, i);
            const Message m = draw_message(*base, rng);
            if (!m.legit) {
                out.count(m, false, 0);
                continue;
            }
            const bool lost = deliver(*base, m, rng).outcome != Outcome::inbox;
            std::uint32_t rescued_by = 0;
            if (lost)
                for (Factor f : factors)
                    if (rescues(seed, i, m, f)) rescued_by |= 1u << static_cast<std::uint32_t>(f);
            out.count(m, lost, rescued_by);
        }
    }
};

inline std::vector<Factor> all_factors() {
    std::vector<Factor> fs;
    for (std::size_t i = 0; i < factor_count; ++i) fs.push_back(static_cast<Factor>(i));
    return fs;
}

// Attribution of `o.messages` messages of scenario `s`, on the one runner.
inline Attribution attribute(const Scenario& s, const RunOptions& o, std::vector<Factor> factors = all_factors()) {
    validate(o);
    const Counterfactuals cf(s, std::move(factors));
    const std::uint64_t chunk = chunk_size(s, o), chunks = chunk_count(s, o);
    Attribution total(s.class_names(), cf.factors);
    detail::run_chunks(
        o, chunk, chunks, ChunkSet{}, 0, [&] { return Attribution(s.class_names(), cf.factors); },
        [&](Attribution& scratch, std::uint64_t first, std::uint64_t count) { cf.simulate(o.seed, first, count, scratch); },
        [&](std::uint64_t, const Attribution& scratch) { total += scratch; }, [&] { return total; },
        [](const Attribution&) {});
    if (o.progress) o.progress(total.messages());
    if (total.messages() < o.messages) throw Cancelled();
    return total;
}

inline json attribution_json(const Attribution& a, const std::string& scenario, std::uint64_t seed) {
    json j;
    j["scenario"] = scenario;
    j["seed"] = seed;
    j["messages"] = a.messages();
    json fs = json::array();
    for (Factor f : a.factors()) fs.push_back(factor_names[static_cast<std::size_t>(f)]);
    j["factors"] = fs;
    auto rate = [](std::uint64_t k, std::uint64_t n) {
        const Rate r = wilson(k, n);
        return json{{"count", k}, {"share", r.rate}, {"ci95", {r.lo, r.hi}}};
    };
    for (std::size_t c = 0; c < a.classes().size(); ++c) {
        if (a.legit(c) == 0) continue;  // spam is not attributed
        json jc;
        jc["legitimate"] = a.legit(c);
        jc["lost"] = a.lost(c);
        for (Factor f : a.factors()) jc["rescued_by"][factor_names[static_cast<std::size_t>(f)]] = rate(a.rescued(c, f), a.lost(c));
        jc["any_sender_fix"] = rate(a.any_sender_fix(c), a.lost(c));
        jc["only_receiver_or_recipient_fix"] = rate(a.receiver_only(c), a.lost(c));
        jc["no_single_fix"] = rate(a.no_single_fix(c), a.lost(c));
        j["by_class"][a.classes()[c]] = jc;
    }
    return j;
}

inline std::string attribution_table(const Attribution& a, const std::string& scenario, std::uint64_t seed) {
    std::string out = "scenario " + escape_control(scenario) + ", seed " + std::to_string(seed) + ", " +
                      std::to_string(a.messages()) + " messages\n";
    out += "which single fix would have delivered the legitimate mail that missed the inbox\n";
    out += "(share of the class's lost legitimate mail, 95% CI; one message may have several fixes)\n";
    char line[256];
    for (std::size_t c = 0; c < a.classes().size(); ++c) {
        if (a.legit(c) == 0) continue;
        out += "\nclass " + escape_control(a.classes()[c]) + ": " + std::to_string(a.lost(c)) + " of " +
               std::to_string(a.legit(c)) + " lost\n";
        auto row = [&](std::string_view label, std::uint64_t k) {
            const Rate r = wilson(k, a.lost(c));
            std::snprintf(line, sizeof line, "  %-32s %10llu %8.3f%%   [%7.3f, %7.3f]%%\n", std::string(label).c_str(),
                          static_cast<unsigned long long>(k), 100 * r.rate, 100 * r.lo, 100 * r.hi);
            out += line;
        };
        for (Factor f : a.factors()) row(factor_names[static_cast<std::size_t>(f)], a.rescued(c, f));
        row("any sender-side fix", a.any_sender_fix(c));
        row("only a receiver/recipient change", a.receiver_only(c));
        row("no single fix", a.no_single_fix(c));
    }
    return out;
}

}  // namespace delivsim
