#pragma once
// Sender reputation as a receiver keeps it, in the style of Gmail Postmaster Tools' levels
// bad / low / medium / high. Per entity (sending IP, sender domain, IP pool) the receiver keeps
// exponentially decaying counts of accepted volume, complaints, engagement and spam-trap hits.
// Its "badness" is a complaint-rate-like figure, shrunk toward a prior for entities with
// little history (new IPs):
//   b = max(0, complaints + trap_weight * traps - engagement_weight * engagement + prior * V0)
//       / (volume + V0)
// A message's badness mixes its IP's, its domain's and its pool's (shared infrastructure),
// and the level follows Google's bulk-sender lines: below 0.1% high, below 0.3% medium,
// below `bad_above` low, else bad. The level shifts the content score, scales the throttle
// allowance and, at bad, rejects a share of mail outright (550 5.7.1).
#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>

namespace delivsim::world {

enum class Level : std::uint8_t { bad, low, medium, high };
inline constexpr std::array<std::string_view, 4> level_names{"bad", "low", "medium", "high"};

struct LevelEffect {
    double content_adjustment = 0;  // added to the content score
    double rate_multiplier = 1;     // scales the throttle allowance
    double reject = 0;              // probability of 550 5.7.1 per attempt
};

struct ReputationSettings {
    bool enabled = false;
    double half_life_s = 7 * 86400.0;
    double prior = 0.002;          // badness of an entity without history
    double prior_volume = 1000;    // V0: how much history outweighs the prior
    double trap_weight = 10;
    double engagement_weight = 0.01;
    double high_below = 0.001;    // Google's 0.1% line
    double medium_below = 0.003;  // Google's 0.3% line
    double bad_above = 0.01;
    double ip_weight = 0.5, domain_weight = 0.3, pool_weight = 0.2;
    std::array<LevelEffect, 4> effects{};

    Level level(double b) const noexcept {
        if (b < high_below) return Level::high;
        if (b < medium_below) return Level::medium;
        if (b < bad_above) return Level::low;
        return Level::bad;
    }
};

struct ReputationCounts {
    double volume = 0, complaints = 0, engagement = 0, traps = 0;

    double badness(const ReputationSettings& s) const noexcept {
        const double num = complaints + s.trap_weight * traps - s.engagement_weight * engagement + s.prior * s.prior_volume;
        return std::max(0.0, num) / (volume + s.prior_volume);
    }
    void decay(double f) noexcept {
        volume *= f;
        complaints *= f;
        engagement *= f;
        traps *= f;
    }
};

}  // namespace delivsim::world
