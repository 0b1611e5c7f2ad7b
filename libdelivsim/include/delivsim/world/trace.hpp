#pragma once
// What world::explain records of one message while the whole world runs: the delivery step's
// trace (as explain records a run's message), the receiving domain's state that each attempt
// met, and the fate the domain decided.
#include <delivsim/engine/explain.hpp>
#include <delivsim/world/recipients.hpp>
#include <delivsim/world/reputation.hpp>

#include <cstdint>
#include <optional>
#include <vector>

namespace delivsim::world {

// The receiver's state when one attempt began (before the attempt changed it).
struct ReceiverStateSeen {
    struct RateLimit {
        double ip_tokens, ip_per_hour, subnet_tokens, subnet_per_hour;  // tokens after refilling to the attempt
    };
    struct MailboxFill {
        std::uint64_t fill_bytes, quota_bytes;
    };
    double time_s = 0;     // absolute simulated time
    std::uint32_t ip = 0;  // the sending IP (index into World::ips)
    Recipient recipient;
    std::optional<RateLimit> rate_limit;
    std::optional<double> badness;  // the message's reputation badness at this receiver
    std::optional<Level> level;
    std::optional<std::size_t> greylist_triplets;  // triplets the receiver remembered
    std::optional<MailboxFill> mailbox;
};

struct WorldTrace : ExplainTrace {
    std::uint64_t id = 0;  // the message traced
    std::vector<ReceiverStateSeen> seen;  // one per attempt, in order
    std::optional<Fate> fate;
    void decided(const Fate& f) { fate = f; }
};

}  // namespace delivsim::world
