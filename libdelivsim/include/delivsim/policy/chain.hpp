#pragma once
// Policy chains. Two ways to compose the same policies:
//  - Pipeline<P...>: fixed at compile time, for C++ users (every call inlined);
//  - PolicyChain: built at run time from a scenario file, a vector of the built-ins.
// The built-ins are those of the policy registry (policy/registry.hpp), whose headers follow.
#include <delivsim/policy/attachment_scanner.hpp>
#include <delivsim/policy/content_filter.hpp>
#include <delivsim/policy/dmarc_disposition.hpp>
#include <delivsim/policy/dnsbl.hpp>
#include <delivsim/policy/external.hpp>
#include <delivsim/policy/gateway.hpp>
#include <delivsim/policy/greylist.hpp>
#include <delivsim/policy/logistic.hpp>
#include <delivsim/policy/mailbox_quota.hpp>
#include <delivsim/policy/mailbox_rules.hpp>
#include <delivsim/policy/registry.hpp>
#include <delivsim/policy/rspamd.hpp>
#include <delivsim/policy/rule_score.hpp>
#include <delivsim/policy/sender_requirements.hpp>
#include <delivsim/policy/size_limit.hpp>
#include <delivsim/policy/unknown_user.hpp>
#include <delivsim/policy/url_reputation.hpp>

#include <concepts>
#include <optional>
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

// A registered policy whose header is missing above stops here (sizeof of an incomplete type).
static_assert([]<std::size_t... I>(std::index_sequence<I...>) {
    return ((sizeof(BuiltinPolicies::type_at<I>) > 0) && ...);
}(std::make_index_sequence<BuiltinPolicies::size>{}));
// One of the registered policies.
using AnyPolicy = BuiltinPolicies::apply<std::variant>;

// Whether a stage's spam_folder, quarantine and reject verdicts are a spam filter's judgement
// (each policy's judges_spam; the engine's own stages judge nothing).
inline constexpr std::array<bool, stage_count> stage_judges_spam = [] {
    std::array<bool, stage_count> out{};
    auto set = [&]<std::size_t I>() {
        using P = BuiltinPolicies::type_at<I>;
        if constexpr (!BuiltinPolicies::stage_name[I].empty()) out[static_cast<std::size_t>(stage_of<P>)] = P::judges_spam;
    };
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (set.template operator()<I>(), ...);
    }(std::make_index_sequence<BuiltinPolicies::size>{});
    return out;
}();
constexpr bool judges_spam(Stage s) { return stage_judges_spam[static_cast<std::size_t>(s)]; }

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

    [[gnu::always_inline]] Verdict evaluate(const Message& m, Session& s, MessageRng& rng, const Attempt& a) const {
        for (const AnyPolicy& p : policies) {
            const Verdict v = dispatch<std::variant_size_v<AnyPolicy>>(p, m, s, rng, a);
            if (v.action != Action::proceed) return v;
        }
        return Verdict::proceed();
    }

    // The stages [first, last) of a chain alone, on the Session the stages before them left:
    // compare() (engine/compare.hpp) evaluates the stages its strategies share once and goes
    // on from there with each strategy's own stages, on a copy of that Session each.
    static Verdict evaluate_stages(const AnyPolicy* first, const AnyPolicy* last, const Message& m, Session& s,
                                   MessageRng& rng, const Attempt& a) {
        for (; first != last; ++first) {
            const Verdict v = dispatch<std::variant_size_v<AnyPolicy>>(*first, m, s, rng, a);
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
            const AnyPolicy& added = chain.policies.back();
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

    // One policy of a gateway's inner chain, which holds no gateway: dispatching over the
    // other alternatives only keeps the dispatch from being recursive, which GCC would not
    // inline (R1 lost 15% of its speed).
    static Verdict evaluate_in_gateway(const AnyPolicy& p, const Message& m, Session& s, MessageRng& rng,
                                       const Attempt& a) {
        return dispatch<gateway_index>(p, m, s, rng, a);
    }
    static constexpr std::size_t gateway_index = BuiltinPolicies::first(Dispatch::gateway);  // the last alternative

private:
    // A branch per alternative instead of std::visit: GCC then inlines every evaluate()
    // into the chain loop (std::visit's out-of-line call cost ~40% of a message). The
    // alternatives registered as outlined (content models, custom policies) and the gateway
    // cost far more than a call: they share one out-of-line dispatch, so that the loop stays
    // small enough for GCC to inline the others (inlining them too lost R1 18% of its speed;
    // a call site each, ~4%). N: the alternatives [0, N) that may occur (a gateway's inner chain has none).
    template <std::size_t N>
    static Verdict dispatch(const AnyPolicy& p, const Message& m, Session& s, MessageRng& rng, const Attempt& a) {
        if (p.index() >= first_outlined) return dispatch_outlined<N>(p, m, s, rng, a);
        Verdict v;
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (void)((p.index() == I ? (v = std::get_if<I>(&p)->evaluate(m, s, rng, a), true) : false) || ...);
        }(std::make_index_sequence<first_outlined>{});
        return v;
    }
    template <std::size_t N>
    [[gnu::noinline]] static Verdict dispatch_outlined(const AnyPolicy& p, const Message& m, Session& s, MessageRng& rng,
                                                       const Attempt& a) {
        Verdict v;
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (void)((p.index() == first_outlined + I
                        ? (v = std::get_if<first_outlined + I>(&p)->evaluate(m, s, rng, a), true)
                        : false) ||
                   ...);
        }(std::make_index_sequence<N - first_outlined>{});
        return v;
    }
    static constexpr std::size_t first_outlined = BuiltinPolicies::first(Dispatch::outlined);

    template <std::size_t... I>
    static void parse_one(const Field& item, const std::string& type, const ParseContext& ctx, PolicyChain& chain,
                          bool& found, std::index_sequence<I...>) {
        ((!found && type == std::variant_alternative_t<I, AnyPolicy>::type_name
              ? (chain.policies.emplace_back(std::variant_alternative_t<I, AnyPolicy>::parse(item, ctx)), found = true)
              : false),
         ...);
    }
};

inline Verdict Gateway::evaluate(const Message& m, Session& s, MessageRng& rng, const Attempt& a) const {
    Verdict tagged;
    for (const AnyPolicy& p : chain->policies) {
        const Verdict v = PolicyChain::evaluate_in_gateway(p, m, s, rng, a);
        if (v.action == Action::proceed) continue;
        if (v.action == Action::file && v.folder == Outcome::spam_folder) {
            if (tagged.action == Action::proceed) tagged = v;
            continue;
        }
        return v;
    }
    return tagged;
}

inline Gateway Gateway::parse(const Field& f, const ParseContext& ctx) {
    f.allow_keys({"type", "policies"});
    auto inner = std::make_shared<PolicyChain>(PolicyChain::parse(f["policies"], ctx));
    if (inner->policies.empty()) f["policies"].fail("is empty: a gateway needs at least one filter");
    const auto items = f["policies"].items();
    for (std::size_t i = 0; i < inner->policies.size(); ++i) {
        if (std::holds_alternative<Gateway>(inner->policies[i])) items[i]["type"].fail("a gateway cannot contain a gateway");
        if (delivsim::phase(inner->policies[i]) == Phase::mailbox)
            items[i]["type"].fail("'" + std::string(delivsim::type_name(inner->policies[i])) +
                                  "' acts at the mailbox, behind the gateway: put it in the profile's chain");
    }
    return {std::move(inner)};
}

// A chain from its JSON form (the list a scenario's "policies" holds), checked by the same
// loader: C++ programs build any policy this way, e.g.
//   parse_chain(json::parse(R"([{"type": "dnsbl"}, {"type": "greylist", "delay_s": 300}])"), s.class_names())
// Errors throw ScenarioError naming `where` and the field.
inline PolicyChain parse_chain(const json& policies, std::vector<std::string> class_names = {},
                               const std::string& where = "policies") {
    return PolicyChain::parse(Field(policies, where), ParseContext{std::move(class_names), nullptr, {}, {}});
}

// Whether two policies decide alike on every message, Session and attempt: the same object,
// or equal parameters of a policy type that defines == (the built-in checks whose parameters
// are plain values do). Others (content models, custom policies, gateways) count as different
// unless they are the same object.
inline bool same_policy(const AnyPolicy& a, const AnyPolicy& b) {
    if (&a == &b) return true;
    if (a.index() != b.index()) return false;
    return std::visit(
        [&](const auto& x) {
            using P = std::decay_t<decltype(x)>;
            if constexpr (std::equality_comparable<P>) return x == *std::get_if<P>(&b);
            else return false;
        },
        a);
}
inline bool same_chain(const PolicyChain& a, const PolicyChain& b) {
    if (&a == &b) return true;
    if (a.policies.size() != b.policies.size()) return false;
    for (std::size_t i = 0; i < a.policies.size(); ++i)
        if (!same_policy(a.policies[i], b.policies[i])) return false;
    return true;
}

// A score-based policy: one whose verdict compares a score, a pure function of the message,
// with thresholds (it has score(m)); compare() records that score for ROC curves.
template <class P>
concept ScoredPolicy = requires(const P& p, const Message& m) {
    { p.score(m) } -> std::convertible_to<double>;
};

// The score-based policy that decides a chain's content verdict: the first one, looking into
// gateways; nullptr if there is none.
inline const AnyPolicy* score_policy(const PolicyChain& chain) {
    for (const AnyPolicy& p : chain.policies) {
        if (std::visit([](const auto& x) { return ScoredPolicy<std::decay_t<decltype(x)>>; }, p)) return &p;
        if (const auto* g = std::get_if<Gateway>(&p))
            if (const AnyPolicy* inner = score_policy(*g->chain)) return inner;
    }
    return nullptr;
}

// The score of a policy that score_policy() returns (0 for any other).
inline double policy_score(const AnyPolicy& p, const Message& m) noexcept {
    return std::visit(
        [&](const auto& x) -> double {
            if constexpr (ScoredPolicy<std::decay_t<decltype(x)>>) return x.score(m);
            else return 0;
        },
        p);
}

// What the registry says of each built-in policy, in registry order (the Python package's
// views read it as _core.policy_types).
struct PolicyInfo {
    std::string_view type;
    std::optional<Phase> phase;  // none: each instance has its own (custom policies)
    std::string_view stage;      // empty: it decides nothing itself (the gateway)
    bool judges_spam;
    bool scored;
};
inline constexpr std::array<PolicyInfo, BuiltinPolicies::size> policy_infos = [] {
    return []<std::size_t... I>(std::index_sequence<I...>) {
        auto info = []<class P>(std::string_view stage) {
            std::optional<Phase> ph;
            if constexpr (requires { P::phase; }) ph = P::phase;
            return PolicyInfo{P::type_name, ph, stage, P::judges_spam, ScoredPolicy<P>};
        };
        return std::array<PolicyInfo, BuiltinPolicies::size>{
            info.template operator()<BuiltinPolicies::type_at<I>>(BuiltinPolicies::stage_name[I])...};
    }(std::make_index_sequence<BuiltinPolicies::size>{});
}();

}  // namespace delivsim
