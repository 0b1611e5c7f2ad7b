#pragma once
// A sender's schedule on the simulated clock: items that each emit messages to one recipient
// list. Rate items (steady, with optional start/end for a burst; daily_cycle; ramp) emit, in
// each epoch, what brings their count to the whole part of their expected count by the
// epoch's end (exact integrals, so counts do not depend on the epoch length); a campaign sends `messages`
// messages to its list (recipient k = k mod list size) spread evenly over `spread_s` from
// `at_s`. Emission is deterministic: counts have no randomness, and a message's send time
// and recipient are draws keyed by its id.
#include <delivsim/scenario/field.hpp>

#include <algorithm>
#include <array>
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
    std::uint64_t emitted = 0;   // serials handed out so far
};

namespace detail {

// Sum over days d in [0, days) of min(r g^d, cap): a ramp's daily rates, in closed form.
inline double ramp_day_sum(double r, double g, double cap, double days) noexcept {
    if (!(days > 0) || !(r > 0)) return 0;
    if (g == 1) return days * std::min(r, cap);
    // k: days on the first side of the cap (below it if g > 1, at it if g < 1).
    double k = days;
    if (std::isfinite(cap)) {
        k = std::ceil(std::log(cap / r) / std::log(g));
        k = std::clamp(std::isnan(k) ? 0.0 : k, 0.0, days);
    }
    const auto geometric = [&](double a, double b) { return r * (std::pow(g, b) - std::pow(g, a)) / (g - 1); };
    return g > 1 ? geometric(0, k) + (days - k) * cap : k * cap + geometric(k, days);
}

}  // namespace detail

// The expected number of messages a rate item sends from its start up to time t (clipped to
// its active period and to the sending period `duration_s`), in closed form: a function of t
// alone, so that the counts emitted epoch by epoch add up to the same totals whatever the
// epoch length. Rounding error is snapped away near whole numbers, so that 1/h for 24 h is
// exactly 24.
inline double expected_by(const ScheduleItem& it, double t, double duration_s) noexcept {
    using K = ScheduleItem::Kind;
    const double end = std::min({t, it.end_s, duration_s});
    if (it.kind == K::campaign || !(end > it.start_s)) return 0;
    const double span = end - it.start_s;
    double n = 0;
    switch (it.kind) {
        case K::steady: n = it.rate_per_hour * span / 3600.0; break;
        case K::daily_cycle: {
            // The integral of mean * (1 + a cos(2 pi (h - peak) / 24)) over hours h.
            const double w = 2 * std::numbers::pi / 24.0;
            const double h0 = it.start_s / 3600.0 - it.peak_hour, h1 = end / 3600.0 - it.peak_hour;
            n = it.rate_per_hour * (span / 3600.0 + it.amplitude / w * (std::sin(w * h1) - std::sin(w * h0)));
            break;
        }
        case K::ramp: {
            const double days = std::floor(span / 86400.0);
            n = 24.0 * detail::ramp_day_sum(it.rate_per_hour, it.daily_growth, it.max_per_hour, days) +
                std::min(it.rate_per_hour * std::pow(it.daily_growth, days), it.max_per_hour) * (span - days * 86400.0) / 3600.0;
            break;
        }
        case K::campaign: break;
    }
    const double whole = std::nearbyint(n);
    return std::abs(n - whole) <= 1e-9 * std::max(1.0, whole) ? whole : n;
}

// Messages a rate item has sent by time t: the whole part of expected_by.
inline std::uint64_t due_by(const ScheduleItem& it, double t, double duration_s) noexcept {
    const double n = std::floor(expected_by(it, t, duration_s));
    return n > 0 ? static_cast<std::uint64_t>(n) : 0;  // below 2^32: parse_item bounds every item
}

// Every message an item sends in a run.
inline std::uint64_t item_total(const ScheduleItem& it, double duration_s) noexcept {
    return it.kind == ScheduleItem::Kind::campaign ? it.messages : due_by(it, duration_s, duration_s);
}

}  // namespace delivsim::world
