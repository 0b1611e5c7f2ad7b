#pragma once
// Observables over simulated time, bucketed by `bucket_s` (a multiple of the epoch). Counts
// are integers, merged in a fixed order; reputation values are computed by one domain in a
// fixed order. So a time series is bit-identical for any thread count.
#include <delivsim/core/outcome.hpp>

#include <cstdint>
#include <vector>

namespace delivsim::world {

struct TimeSeries {
    static constexpr std::size_t fill_bins = 10;  // mailbox fill deciles, the last one [90%, 100%]

    std::size_t buckets = 0, senders = 0, receivers = 0;
    double bucket_s = 0;
    // Outcomes are counted in the bucket where they were decided.
    std::vector<std::uint64_t> sender_outcomes;     // [bucket][sender][outcome]
    std::vector<std::uint64_t> sender_sent;         // [bucket][sender] first attempts
    std::vector<std::uint64_t> sender_deferrals;    // [bucket][sender] 4xx answers and unanswered attempts
    std::vector<std::uint64_t> sender_queue;        // [bucket][sender] messages queued for retry at the bucket's end
    std::vector<std::uint64_t> receiver_outcomes;   // [bucket][receiver][outcome]
    std::vector<std::uint64_t> receiver_deferrals;  // [bucket][receiver][status]
    // At the bucket's end, the badness (complaint-rate scale) and level a receiver gives
    // sender s's mail (its first IP, its domain, its pool); level as world::Level.
    std::vector<double> reputation;                 // [bucket][receiver][sender]
    std::vector<std::uint8_t> level;                // [bucket][receiver][sender]
    std::vector<std::uint64_t> mailbox_fill;        // [bucket][receiver][decile] mailboxes at the bucket's end

    void resize(std::size_t b) {
        buckets = b;
        sender_outcomes.resize(b * senders * outcome_count);
        sender_sent.resize(b * senders);
        sender_deferrals.resize(b * senders);
        sender_queue.resize(b * senders);
        receiver_outcomes.resize(b * receivers * outcome_count);
        receiver_deferrals.resize(b * receivers * status_count);
        reputation.resize(b * receivers * senders);
        level.resize(b * receivers * senders);
        mailbox_fill.resize(b * receivers * fill_bins);
    }
    bool operator==(const TimeSeries&) const = default;

    // The series so far, for checkpoints (world/checkpoint.hpp); its shape is the world's.
    template <class Archive>
    void state(Archive& ar) {
        ar("sender_outcomes", sender_outcomes);
        ar("sender_sent", sender_sent);
        ar("sender_deferrals", sender_deferrals);
        ar("sender_queue", sender_queue);
        ar("receiver_outcomes", receiver_outcomes);
        ar("receiver_deferrals", receiver_deferrals);
        ar("reputation", reputation);
        ar("level", level);
        ar("mailbox_fill", mailbox_fill);
    }
};

}  // namespace delivsim::world
