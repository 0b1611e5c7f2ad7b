#pragma once
// Custom policies written outside the library (the Python bindings' delivsim.Policy): an
// ExternalHook answers for one named policy, and ExternalPolicy puts it into a PolicyChain.
// A scenario file names such a policy, {"type": "python", "name": "...", "phase": "data"};
// the hook is looked up by name in ParseContext::hooks when the chain is parsed, so a file
// with a custom policy loads only where its hooks are given (not in the CLI).
//
// Its verdicts are decided by its stage, custom_policy. Its random draws come from its own Philox
// counter {message index, Stream::custom_policy, draw / 4, FNV-1a of the policy's name} under
// the run's key {seed, 0}: a pure function of (seed, message, policy name, draw), whatever the
// thread count, the chain position or the other policies.
#include <delivsim/policy/policy.hpp>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace delivsim {

// FNV-1a, 64 bit: a stable tag that separates the draws of differently named policies.
constexpr std::uint64_t policy_tag(std::string_view name) noexcept {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (const char c : name) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    return h;
}

// Draw k of one custom policy for one message: a value, valid after the call.
class ExternalDraws {
public:
    ExternalDraws(std::uint64_t seed, std::uint64_t message_index, std::uint64_t tag) noexcept
        : seed_(seed), index_(message_index), tag_(tag) {}
    std::uint64_t bits(std::uint64_t k) const noexcept {
        using P = r123::Philox4x64;
        const P::ctr_type b = P{}(P::ctr_type{{index_, static_cast<std::uint64_t>(Stream::custom_policy), k / 4, tag_}},
                                  P::key_type{{seed_, 0}});
        return b[k % 4];
    }
    // Uniform on (0, 1), made as MessageRng::uniform makes it.
    double uniform(std::uint64_t k) const noexcept {
        return static_cast<double>(static_cast<std::int64_t>((bits(k) >> 11) | 1)) * 0x1.0p-53;
    }
    std::uint64_t seed() const noexcept { return seed_; }
    std::uint64_t message_index() const noexcept { return index_; }
    std::uint64_t tag() const noexcept { return tag_; }

private:
    std::uint64_t seed_, index_, tag_;
};

// What a hook sees of one evaluation: the message's facts with its names resolved, the
// session's memory, the attempt (with its MX host's name) and the policy's own draws.
struct ExternalCall {
    const Message& message;
    Session& session;
    const Attempt& attempt;
    std::string_view sender_class;
    std::string_view profile;
    std::string_view host;  // empty if no host answered (never: the chain runs only on a session)
    ExternalDraws draws;
};

class ExternalHook {
public:
    virtual ~ExternalHook() = default;
    virtual const std::string& name() const noexcept = 0;
    virtual Phase phase() const noexcept = 0;
    // The verdict; its stage is replaced by custom_policy. May be called from several
    // threads at once. A failure throws (ExternalPolicyError for a foreign error): the run stops.
    virtual Verdict evaluate(const ExternalCall& call) const = 0;
};

// A hook's foreign failure (say, a Python exception): names the policy; `cause` keeps the
// foreign error for a caller that can re-raise it (the Python bindings).
class ExternalPolicyError : public std::runtime_error {
public:
    ExternalPolicyError(std::string policy, const std::string& what, std::shared_ptr<const void> cause = {})
        : std::runtime_error("policy '" + policy + "': " + what), policy_(std::move(policy)), cause_(std::move(cause)) {}
    const std::string& policy() const noexcept { return policy_; }
    const std::shared_ptr<const void>& cause() const noexcept { return cause_; }

private:
    std::string policy_;
    std::shared_ptr<const void> cause_;
};

struct ExternalPolicy {
    static constexpr std::string_view type_name = "python";
    static constexpr bool judges_spam = false;
    std::shared_ptr<const ExternalHook> hook;
    // The tag of the custom policy that gave the message's latest objection, so that explain
    // can name it, in a gateway too. Kept here, not on Verdict: a sixth byte in every Verdict
    // cost R1 ~4% of its speed.
    struct Memory {
        std::uint64_t objecting_tag = 0;
    };
    std::uint64_t tag = 0;                                 // policy_tag(name)
    std::shared_ptr<const std::vector<std::string>> names;  // sender classes, then the profile, then MX hosts
    std::uint32_t classes = 0;

    const std::string& name() const noexcept { return hook->name(); }
    // The phase is the hook's, not the type's (the chain's ordering rule asks for it).
    Phase dynamic_phase() const noexcept { return hook->phase(); }

    Verdict evaluate(const Message& m, Session& s, MessageRng& rng, const Attempt& a) const {
        const auto& n = *names;
        const std::string_view host = a.host >= 0 ? std::string_view(n[classes + 1 + static_cast<std::size_t>(a.host)])
                                                  : std::string_view();
        Verdict v = hook->evaluate(ExternalCall{m, s, a, n[m.sender_class], n[classes], host,
                                                ExternalDraws(rng.seed(), m.index, tag)});
        if (v.action != Action::proceed) {
            v.stage = stage_of<ExternalPolicy>;
            policy_memory<ExternalPolicy>(s).objecting_tag = tag;
        }
        return v;
    }

    // {"type": "python", "name": ..., "phase": ...}: the name is looked up in ctx.hooks and the
    // phase must be the hook's (it is in the file so that the file reads as the chain it is).
    static ExternalPolicy parse(const Field& f, const ParseContext& ctx) {
        f.allow_keys({"type", "name", "phase"});
        const std::string name = f["name"].name();
        const auto ph = static_cast<Phase>(f["phase"].choice(phase_names));
        if (!ctx.hooks)
            f["type"].fail("policy '" + name + "' is written in Python: run it from the delivsim Python package");
        const auto it = ctx.hooks->find(name);
        if (it == ctx.hooks->end() || !it->second) {
            std::string given;
            for (const auto& [k, h] : *ctx.hooks) given += (given.empty() ? "" : ", ") + k;
            f["name"].fail("no Python policy named '" + name + "' was given (given: " + (given.empty() ? "none" : given) +
                           "): insert the delivsim.Policy object into the scenario, or pass it in `policies`");
        }
        if (it->second->phase() != ph)
            f["phase"].fail("'" + std::string(phase_names[static_cast<int>(ph)]) + "', but Python policy '" + name +
                            "' has phase '" + std::string(phase_names[static_cast<int>(it->second->phase())]) + "'");
        ExternalPolicy p;
        p.hook = it->second;
        p.tag = policy_tag(name);
        auto n = std::make_shared<std::vector<std::string>>(ctx.class_names);
        n->push_back(ctx.profile);
        n->insert(n->end(), ctx.mx_hosts.begin(), ctx.mx_hosts.end());
        p.names = std::move(n);
        p.classes = static_cast<std::uint32_t>(ctx.class_names.size());
        return p;
    }
};

}  // namespace delivsim
