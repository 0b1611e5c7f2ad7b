#pragma once
// A corporate mail gateway in front of the mailbox server: a nested chain of filters run in
// order. A filter that quarantines (or rejects, or defers) stops the gateway there, with that
// verdict. A filter that only files to the spam folder tags the message and the gateway goes
// on: a later filter may still quarantine it; if none does, the tagged message goes to the
// spam folder (the verdict of the first tagging filter).
//   {"type": "gateway", "policies": [{"type": "url_reputation", ...}, {"type": "rule_score", ...}]}
// The inner chain follows the chain rules (phase order, each type once); it may not hold a
// gateway or a mailbox-phase policy.
#include <delivsim/policy/policy.hpp>

#include <memory>

namespace delivsim {

struct PolicyChain;  // policy/chain.hpp, which also defines evaluate() and parse()

struct Gateway {
    static constexpr std::string_view type_name = "gateway";
    static constexpr Phase phase = Phase::data;
    static constexpr bool judges_spam = false;
    std::shared_ptr<const PolicyChain> chain;

    Verdict evaluate(const Message& m, Session& s, MessageRng& rng, const Attempt& a) const;
    static Gateway parse(const Field& f, const ParseContext& ctx);
};

}  // namespace delivsim
