#pragma once
// Receiver-side throttling: a token bucket per sending IP and per sending /24, both answered
// 421 4.7.0 at connection time (a network-level throttle; 450 4.2.1 is a per-recipient code,
// RFC 3463 section 3.3). A bucket holds one hour of allowance and refills continuously. The hourly
// allowance grows with the volume the receiver has accepted from that IP recently (its volume
// history, the basis of IP warm-up) and is scaled by the sender's reputation level.
#include <algorithm>
#include <cstdint>

namespace delivsim::world {

struct RateLimitSettings {
    double per_ip_per_hour = 0;      // allowance of an IP with no history
    double per_subnet_per_hour = 0;  // allowance of a /24 with no history
    double history_factor = 0;       // + this x recently accepted messages per hour
};

struct TokenBucket {
    double tokens = -1;  // < 0: never used (starts full)
    double last_s = 0;

    // Refills to time t; true if at least one token is available.
    bool available(double t, double per_hour) noexcept {
        const double capacity = std::max(per_hour, 1.0);
        if (tokens < 0) tokens = capacity;
        else tokens = std::min(capacity, tokens + (t - last_s) * per_hour / 3600.0);
        last_s = t;
        return tokens >= 1;
    }
    void take() noexcept { tokens -= 1; }
};

}  // namespace delivsim::world
