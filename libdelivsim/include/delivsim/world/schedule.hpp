#pragma once
// A sender's schedule on the simulated clock: items that each emit messages to one recipient
// list. Rate items (steady, with optional start/end for a burst; daily_cycle; ramp) emit, in
// each epoch, the whole part of their cumulative expected count; a campaign sends `messages`
// messages to its list (recipient k = k mod list size) spread evenly over `spread_s` from
// `at_s`. Emission is deterministic: counts have no randomness, and a message's send time
// and recipient are draws keyed by its id.
#include <delivsim/core/json.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <string>

namespace delivsim::world {

struct ScheduleItem {
    enum class Kind : std::uint8_t { steady, daily_cycle, ramp, campaign };
    static constexpr std::array<std::string_view, 4> kind_names{"steady", "daily_cycle", "ramp", "campaign"};

    Kind kind = Kind::steady;
    std::uint32_t list = 0;
    std::string id;  // campaigns: unique per sender
    // Rate items: active in [start_s, end_s).
    double start_s = 0, end_s = std::numeric_limits<double>::infinity();
    double rate_per_hour = 0;       // steady; daily_cycle: the daily mean; ramp: the first day's rate
    double amplitude = 0;           // daily_cycle: rate = mean * (1 + amplitude * cos(2 pi (h - peak_hour) / 24))
    double peak_hour = 0;
    double daily_growth = 1;        // ramp: rate multiplied by this each simulated day after start_s
    double max_per_hour = std::numeric_limits<double>::infinity();  // ramp: cap
    // Campaigns.
    double at_s = 0, spread_s = 0;
    std::uint64_t messages = 0;

    // Messages per hour at time t (rate items).
    double rate_at(double t) const noexcept {
        if (t < start_s || t >= end_s) return 0;
        switch (kind) {
            case Kind::steady: return rate_per_hour;
            case Kind::daily_cycle: {
                const double h = std::fmod(t / 3600.0, 24.0);
                return rate_per_hour * (1 + amplitude * std::cos(2 * std::numbers::pi * (h - peak_hour) / 24.0));
            }
            case Kind::ramp: {
                const double day = std::floor((t - start_s) / 86400.0);
                return std::min(rate_per_hour * std::pow(daily_growth, day), max_per_hour);
            }
            case Kind::campaign: return 0;
        }
        return 0;
    }
};

// Emission state of one item (mutated epoch by epoch, by one thread).
struct ScheduleCursor {
    double expected = 0;         // cumulative expected count (rate items)
    std::uint64_t emitted = 0;   // serials handed out so far
};

}  // namespace delivsim::world
