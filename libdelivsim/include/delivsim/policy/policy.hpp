#pragma once
// The uniform interface of a receiver or recipient policy. A policy reads the message's
// facts and the session's memory, may draw from its own stream, and answers a Verdict.
// Policies never call each other: shared facts live on Message or Session.
#include <delivsim/core/message.hpp>
#include <delivsim/core/rng.hpp>
#include <delivsim/policy/registry.hpp>
#include <delivsim/policy/verdict.hpp>
#include <delivsim/core/json.hpp>

#include <concepts>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace delivsim {

class ExternalHook;  // policy/external.hpp
// Custom policies by name (e.g. written in Python), resolved when a chain is parsed.
using ExternalHooks = std::map<std::string, std::shared_ptr<const ExternalHook>, std::less<>>;

// What a policy may need to resolve names while it is parsed.
struct ParseContext {
    std::vector<std::string> class_names;
    const ExternalHooks* hooks = nullptr;  // none: a custom policy in the file is an error
    std::string profile;                   // the profile whose chain is being parsed
    std::vector<std::string> mx_hosts;     // its MX hosts, by index (Attempt::host)
};

// judges_spam: the policy's spam_folder, quarantine and reject verdicts are a spam filter's
// judgement (compare() counts them as judged_spam); false for checks of size, address,
// quota, greylisting or the recipient's own rules.
template <class P>
concept Policy = requires(const P& p, const Message& m, Session& s, MessageRng& rng, const Attempt& a,
                          const Field& f, const ParseContext& ctx) {
    { P::type_name } -> std::convertible_to<std::string_view>;
    { P::phase } -> std::convertible_to<Phase>;
    { P::judges_spam } -> std::convertible_to<bool>;
    { p.evaluate(m, s, rng, a) } -> std::same_as<Verdict>;
    { P::parse(f, ctx) } -> std::same_as<P>;
};

}  // namespace delivsim
