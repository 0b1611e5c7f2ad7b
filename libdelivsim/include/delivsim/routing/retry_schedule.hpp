#pragma once
// The sender's retry queue. Defaults are Postfix's: minimal_backoff_time 300 s, doubling,
// maximal_backoff_time 4000 s, maximal_queue_lifetime 5 days; after the last attempt
// fails temporarily the message is bounced with 4.4.7.
#include <delivsim/core/json.hpp>

#include <vector>

namespace delivsim {

struct RetrySchedule {
    double first_retry_s = 300;
    double backoff_factor = 2;
    double max_backoff_s = 4000;
    double lifetime_s = 432000;

    static constexpr std::size_t max_attempts = 100000;

    // Attempt times: 0, then each wait added, the wait multiplied by the factor and capped;
    // no attempt after the lifetime.
    std::vector<double> attempt_times() const {
        std::vector<double> t{0.0};
        double wait = first_retry_s;
        // One attempt past the limit is built so that parse() can tell a schedule was cut.
        while (t.back() + wait <= lifetime_s && t.size() <= max_attempts) {
            t.push_back(t.back() + wait);
            wait = std::min(wait * backoff_factor, max_backoff_s);
        }
        return t;
    }

    static RetrySchedule parse(const Field& f) {
        f.allow_keys({"first_retry_s", "backoff_factor", "max_backoff_s", "lifetime_s"});
        RetrySchedule r;
        r.first_retry_s = f["first_retry_s"].positive();
        r.backoff_factor = f["backoff_factor"].number();
        if (r.backoff_factor < 1) f["backoff_factor"].fail(f["backoff_factor"].shown() + " is below 1: waits must not shrink");
        r.max_backoff_s = f["max_backoff_s"].positive();
        if (r.max_backoff_s < r.first_retry_s)
            f["max_backoff_s"].fail("must be at least first_retry_s (" + f["first_retry_s"].shown() + ")");
        r.lifetime_s = f["lifetime_s"].non_negative();
        if (r.attempt_times().size() > max_attempts)
            f["lifetime_s"].fail("gives more than " + std::to_string(max_attempts) + " attempts");
        return r;
    }
};

}  // namespace delivsim
