#pragma once
// The policy registry: the one list of the built-in policies. Everything else about them is
// derived from it: the AnyPolicy alternatives and the chain's dispatch (policy/chain.hpp),
// the policies' stages and the stages' names and count (here), which stages judge spam
// (judges_spam in chain.hpp), and the policy metadata the Python bindings export.
//
// Adding a built-in policy:
//   1. its header, policy/<name>.hpp: a struct with type_name, phase, judges_spam,
//      evaluate() and parse() (the Policy concept, policy/policy.hpp), deciding with
//      stage_of<itself>; include it in policy/chain.hpp;
//   2. its line in BuiltinPolicies below (with the 8-byte words of its per-message memory,
//      if it remembers anything from attempt to attempt: its `Memory` type, reached through
//      policy_memory<itself>(session));
//   3. its schema definition in libdelivsim/schema/scenario.schema.json;
//   4. if its parameters are plain values, a defaulted operator==: compare() then evaluates
//      it once for the strategies that share it (same_policy in policy/chain.hpp).
#include <delivsim/core/message.hpp>
#include <delivsim/core/outcome.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <new>
#include <string_view>
#include <tuple>
#include <type_traits>

namespace delivsim {

// How the chain calls a policy. Cheap checks are inlined into the chain loop; the content
// models and custom policies cost far more than a call, so they share one out-of-line
// dispatch, which keeps the loop small enough for GCC to inline the others; the gateway
// holds a chain itself and comes last, so that its inner chain dispatches over the others.
enum class Dispatch : std::uint8_t { inlined, outlined, gateway };

// A stage name as a template argument: Registered<Greylist, "greylist">.
template <std::size_t N>
struct StageName {
    char text[N];
    constexpr StageName(const char (&s)[N]) {  // NOLINT: implicit by design
        for (std::size_t i = 0; i < N; ++i) text[i] = s[i];
    }
    constexpr std::string_view view() const { return {text, N - 1}; }
};

// One registered policy: its type, the stage its verdicts name in reports ("": it decides
// nothing itself; a gateway's verdicts carry its inner policies' stages), how it is dispatched,
// and the 8-byte words its memory of one message takes in the Session (0: it remembers nothing).
template <class P, StageName stage, Dispatch how = Dispatch::inlined, std::size_t words = 0>
struct Registered {
    using type = P;
    static constexpr std::string_view stage_name = stage.view();
    static constexpr Dispatch dispatch = how;
    static constexpr std::size_t memory_words = words;
};

template <class... Entries>
struct PolicyRegistry {
    static constexpr std::size_t size = sizeof...(Entries);
    // The registered types as the arguments of a template: apply<std::variant>.
    template <template <class...> class T>
    using apply = T<typename Entries::type...>;
    template <std::size_t I>
    using type_at = std::tuple_element_t<I, std::tuple<typename Entries::type...>>;

    static constexpr std::array<std::string_view, size> stage_name{Entries::stage_name...};
    static constexpr std::array<Dispatch, size> dispatch{Entries::dispatch...};
    static constexpr std::array<std::size_t, size> memory_words{Entries::memory_words...};

    template <class P>
    static constexpr std::size_t index_of() {
        constexpr std::array<bool, size> same{std::is_same_v<P, typename Entries::type>...};
        std::size_t i = 0;
        while (i < size && !same[i]) ++i;
        return i;
    }
    // The first index with another dispatch than `d`'s predecessors: the number of inlined
    // policies for d == outlined, the gateway's index for d == gateway.
    static constexpr std::size_t first(Dispatch d) {
        std::size_t i = 0;
        while (i < size && dispatch[i] < d) ++i;
        return i;
    }
    static constexpr bool dispatch_sorted() {
        for (std::size_t i = 1; i < size; ++i)
            if (dispatch[i] < dispatch[i - 1]) return false;
        return true;
    }
    static constexpr std::size_t memory_words_total() {
        std::size_t n = 0;
        for (auto w : memory_words) n += w;
        return n;
    }
    static constexpr std::size_t stage_count() {
        std::size_t n = 0;
        for (auto s : stage_name) n += !s.empty();
        return n;
    }
};

// The built-in policies, in dispatch order: inlined, then outlined, then the gateway (checked
// below). `struct X` here also declares X, defined by its header. The order numbers their
// stages: a new policy at the end of its dispatch group.
using BuiltinPolicies = PolicyRegistry<
    Registered<struct DnsblCheck, "dnsbl">,
    Registered<struct SizeLimit, "size_limit">,
    Registered<struct UnknownUser, "unknown_user">,
    Registered<struct MailboxQuota, "mailbox_quota", Dispatch::inlined, 1>,
    Registered<struct Greylist, "greylist", Dispatch::inlined, 2>,
    Registered<struct DmarcDisposition, "dmarc_disposition">,
    Registered<struct ContentFilter, "content_filter">,
    Registered<struct AttachmentScanner, "attachment_scanner">,
    Registered<struct MailboxRules, "mailbox_rules">,
    Registered<struct RuleScore, "rule_score", Dispatch::outlined>,
    Registered<struct Logistic, "logistic", Dispatch::outlined>,
    Registered<struct Rspamd, "rspamd", Dispatch::outlined, 2>,
    Registered<struct UrlReputation, "url_reputation", Dispatch::outlined>,
    Registered<struct ExternalPolicy, "custom_policy", Dispatch::outlined, 1>,  // policies written outside the library
    Registered<struct SenderRequirements, "sender_requirements", Dispatch::outlined>,  // rare: kept out of the inlined loop
    Registered<struct Gateway, "", Dispatch::gateway>>;

static_assert(BuiltinPolicies::dispatch_sorted(), "register inlined policies first, then outlined, then the gateway");
static_assert(BuiltinPolicies::first(Dispatch::gateway) == BuiltinPolicies::size - 1 &&
                  BuiltinPolicies::dispatch[BuiltinPolicies::size - 1] == Dispatch::gateway,
              "exactly one gateway, registered last");
static_assert(BuiltinPolicies::memory_words_total() <= Session::memory_words,
              "the policies' memories outgrow the Session: raise Session::memory_words (core/message.hpp)");

// Every stage: the engine's, then the policies' in registry order.
inline constexpr std::size_t stage_count = engine_stage_count + BuiltinPolicies::stage_count();
inline constexpr std::array<std::string_view, stage_count> stage_names = [] {
    std::array<std::string_view, stage_count> names{};
    std::size_t n = 0;
    for (auto s : engine_stage_names) names[n++] = s;
    for (auto s : BuiltinPolicies::stage_name)
        if (!s.empty()) names[n++] = s;
    return names;
}();
constexpr std::string_view name(Stage s) { return stage_names[static_cast<std::size_t>(s)]; }

// The stage a registered policy decides with.
template <class P>
inline constexpr Stage stage_of = [] {
    constexpr std::size_t i = BuiltinPolicies::index_of<P>();
    static_assert(i < BuiltinPolicies::size, "not a registered policy (policy/registry.hpp)");
    static_assert(!BuiltinPolicies::stage_name[i].empty(), "this policy has no stage of its own");
    std::size_t n = engine_stage_count;
    for (std::size_t k = 0; k < i; ++k) n += !BuiltinPolicies::stage_name[k].empty();
    return static_cast<Stage>(n);
}();

// Where a registered policy keeps its memory of one message: its `Memory` (trivially
// copyable, all zero bytes when nothing is remembered yet) in its words of the Session.
template <class P>
inline constexpr std::size_t memory_offset = [] {
    constexpr std::size_t i = BuiltinPolicies::index_of<P>();
    static_assert(i < BuiltinPolicies::size, "not a registered policy (policy/registry.hpp)");
    static_assert(BuiltinPolicies::memory_words[i] > 0, "this policy has no memory words in the registry");
    std::size_t n = 0;
    for (std::size_t k = 0; k < i; ++k) n += BuiltinPolicies::memory_words[k];
    return n * 8;
}();

template <class P, class M = typename P::Memory>
constexpr void check_memory() {
    static_assert(std::is_trivially_copyable_v<M> && alignof(M) <= 8, "a policy's Memory is plain bytes");
    static_assert(sizeof(M) <= 8 * BuiltinPolicies::memory_words[BuiltinPolicies::index_of<P>()],
                  "the policy's Memory is larger than its words in the registry");
}

template <class P>
typename P::Memory& policy_memory(Session& s) noexcept {
    check_memory<P>();
    return *std::launder(reinterpret_cast<typename P::Memory*>(s.memory.data() + memory_offset<P>));
}
template <class P>
const typename P::Memory& policy_memory(const Session& s) noexcept {
    check_memory<P>();
    return *std::launder(reinterpret_cast<const typename P::Memory*>(s.memory.data() + memory_offset<P>));
}

}  // namespace delivsim
