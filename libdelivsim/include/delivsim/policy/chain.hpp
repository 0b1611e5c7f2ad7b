#pragma once
// Policy chains. Two ways to compose the same policies:
//  - Pipeline<P...>: fixed at compile time, for C++ users (every call inlined);
//  - PolicyChain: built at run time from a scenario file, a vector of the built-ins.
// Adding a built-in policy means one header plus its entry in AnyPolicy below.
#include <delivsim/policy/attachment_scanner.hpp>
#include <delivsim/policy/content_filter.hpp>
#include <delivsim/policy/dmarc_disposition.hpp>
#include <delivsim/policy/dnsbl.hpp>
#include <delivsim/policy/external.hpp>
#include <delivsim/policy/greylist.hpp>
#include <delivsim/policy/mailbox_quota.hpp>
#include <delivsim/policy/mailbox_rules.hpp>
#include <delivsim/policy/size_limit.hpp>
#include <delivsim/policy/unknown_user.hpp>

#include <tuple>
#include <variant>

namespace delivsim {

template <Policy... Ps>
struct Pipeline {
    std::tuple<Ps...> policies;

    Verdict evaluate(const Message& m, Session& s, MessageRng& rng, const Attempt& a) const {
        Verdict v;
        // Short-circuits at the first policy with an objection.
        std::apply([&](const auto&... p) { (void)((v = p.evaluate(m, s, rng, a), v.action == Action::proceed) && ...); },
                   policies);
        return v;
    }
};

using AnyPolicy = std::variant<DnsblCheck, SizeLimit, UnknownUser, MailboxQuota, Greylist, DmarcDisposition,
                               ContentFilter, AttachmentScanner, MailboxRules, ExternalPolicy>;

inline std::string_view type_name(const AnyPolicy& p) {
    return std::visit([](const auto& x) { return std::string_view(std::decay_t<decltype(x)>::type_name); }, p);
}
inline Phase phase(const AnyPolicy& p) {
    return std::visit(
        [](const auto& x) {
            if constexpr (requires { x.dynamic_phase(); }) return x.dynamic_phase();  // a custom policy
            else return std::decay_t<decltype(x)>::phase;
        },
        p);
}
// How errors name a policy: its type, or a custom policy's name.
inline std::string label(const AnyPolicy& p) {
    if (const auto* e = std::get_if<ExternalPolicy>(&p)) return "Python policy '" + e->name() + "'";
    return "'" + std::string(type_name(p)) + "'";
}

struct PolicyChain {
    std::vector<AnyPolicy> policies;

    Verdict evaluate(const Message& m, Session& s, MessageRng& rng, const Attempt& a) const {
        for (const AnyPolicy& p : policies) {
            const Verdict v = dispatch(p, m, s, rng, a, std::make_index_sequence<std::variant_size_v<AnyPolicy>>{});
            if (v.action != Action::proceed) return v;
        }
        return Verdict::proceed();
    }

    // Parses a chain. Each policy type may appear once (a custom policy: each name), and
    // phases must not go backwards (no content check before the envelope has been accepted).
    static PolicyChain parse(const Field& f, const ParseContext& ctx) {
        PolicyChain chain;
        for (const Field& item : f.items()) {
            const std::string type = item["type"].string();
            bool found = false;
            parse_one(item, type, ctx, chain, found, std::make_index_sequence<std::variant_size_v<AnyPolicy>>{});
            if (!found) {
                std::string known;
                for_each_type([&](std::string_view n) { known += (known.empty() ? "" : ", ") + std::string(n); });
                item["type"].fail("unknown policy type '" + type + "' (known: " + known + ")");
            }
            AnyPolicy& added = chain.policies.back();
            if (auto* e = std::get_if<ExternalPolicy>(&added)) {
                // Verdict::custom holds the position + 1 in a byte.
                if (chain.policies.size() > 255) item.fail("a chain with a Python policy holds at most 255 policies");
                e->position = static_cast<std::uint8_t>(chain.policies.size() - 1);
            }
            for (std::size_t i = 0; i + 1 < chain.policies.size(); ++i) {
                if (label(chain.policies[i]) == label(added))
                    item["type"].fail(label(added) + " appears twice in this chain");
                if (phase(chain.policies[i]) > phase(added))
                    item["type"].fail(label(added) + " (" + std::string(phase_names[static_cast<int>(phase(added))]) +
                                      " phase) cannot come after " + label(chain.policies[i]) + " (" +
                                      std::string(phase_names[static_cast<int>(phase(chain.policies[i]))]) + " phase)");
            }
        }
        return chain;
    }

    template <class F>
    static void for_each_type(F&& f) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (f(std::variant_alternative_t<I, AnyPolicy>::type_name), ...);
        }(std::make_index_sequence<std::variant_size_v<AnyPolicy>>{});
    }

private:
    // A branch per alternative instead of std::visit: GCC then inlines every evaluate()
    // into the chain loop (std::visit's out-of-line call cost ~40% of a message).
    template <std::size_t... I>
    static Verdict dispatch(const AnyPolicy& p, const Message& m, Session& s, MessageRng& rng, const Attempt& a,
                            std::index_sequence<I...>) {
        Verdict v;
        (void)((p.index() == I ? (v = std::get_if<I>(&p)->evaluate(m, s, rng, a), true) : false) || ...);
        return v;
    }

    template <std::size_t... I>
    static void parse_one(const Field& item, const std::string& type, const ParseContext& ctx, PolicyChain& chain,
                          bool& found, std::index_sequence<I...>) {
        ((!found && type == std::variant_alternative_t<I, AnyPolicy>::type_name
              ? (chain.policies.emplace_back(std::variant_alternative_t<I, AnyPolicy>::parse(item, ctx)), found = true)
              : false),
         ...);
    }
};

}  // namespace delivsim
