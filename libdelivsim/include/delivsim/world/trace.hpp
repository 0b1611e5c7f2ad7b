#pragma once
// What world::explain records of one message while the whole world runs: the delivery step's
// trace (as explain records a run's message), the receiving domain's state that each attempt
// met, and the fate the domain decided.
#include <delivsim/engine/explain.hpp>
#include <delivsim/world/recipients.hpp>
#include <delivsim/world/reputation.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
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

// Tracing of several messages in one run (world::trace): `decided` sees every message's fate
// (from the receiving domains' threads, so it must be thread-safe), and the messages of
// `traces` (sorted by id) are recorded as world::explain records one.
struct WorldTracing {
    std::function<void(std::uint64_t id, const Message&, const Fate&)> decided;
    std::vector<WorldTrace>* traces = nullptr;
    WorldTrace* find(std::uint64_t id) const noexcept {
        if (!traces) return nullptr;
        auto it = std::lower_bound(traces->begin(), traces->end(), id,
                                   [](const WorldTrace& t, std::uint64_t x) { return t.id < x; });
        return it != traces->end() && it->id == id ? &*it : nullptr;
    }
};

}  // namespace delivsim::world
