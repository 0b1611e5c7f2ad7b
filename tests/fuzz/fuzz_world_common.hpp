#pragma once
// What both world fuzz targets check once they have world text:
//  - parse_world_text returns a World or throws delivsim::ScenarioError whose message is one
//    non-empty line of valid UTF-8; anything else (another exception, a crash, a hang, a
//    sanitizer report) is a finding;
//  - a world that parsed has a plan within the caps (epochs, an epoch's memory, results);
//  - a small one is run (one thread) and must send exactly the plan's messages, count each
//    once in the totals and the time series, and (the smallest) give the same result again
//    with two threads.
#include "fuzz_common.hpp"

#include <delivsim/world/run.hpp>

#include <numeric>

namespace delivsim::fuzz {

inline std::optional<world::World> parse_world_text(const std::string& text) {
    try {
        return world::parse_world_text(text, "fuzz.json");
    } catch (const ScenarioError& e) {
        const std::string msg = e.what();
        check(!msg.empty(), "world: ScenarioError with an empty message");
        check(msg.find('\n') == std::string::npos && msg.find('\r') == std::string::npos,
              "world: ScenarioError message is not one line");
        check(valid_utf8(msg), "world: ScenarioError message is not valid UTF-8");
        return std::nullopt;
    } catch (const std::exception& e) {
        finding(std::string("parse_world_text threw ") + typeid(e).name() + " (not ScenarioError): " + e.what());
    } catch (...) {
        finding("parse_world_text threw a non-std exception");
    }
}

// A run is only attempted below these (the harness's time and memory per input).
inline constexpr std::uint64_t max_world_messages = 20000, max_world_epochs = 2000;
inline constexpr std::uint64_t max_world_messages_two_threads = 5000;
inline constexpr std::uint64_t max_world_recipients = 200000;
inline constexpr double max_world_mib = 256;

inline void exercise_world(const world::World& w, std::uint64_t seed) {
    const world::Plan p = world::plan(w);
    check(p.max_epochs <= world::max_epochs, "world: a plan over the epoch cap passed the loader");
    check(p.epoch_mib <= world::max_epoch_mib, "world: a plan over the epoch memory budget passed the loader");
    check(p.results_mib <= world::max_results_mib, "world: a plan over the results budget passed the loader");
    if (p.messages > max_world_messages || p.max_epochs > max_world_epochs || w.recipient_count() > max_world_recipients ||
        p.state_mib() + p.results_mib > max_world_mib)
        return;
    world::Options o;
    o.seed = seed;
    o.threads = 1;
    const world::Result r = world::run(w, o);
    check(r.tally.messages() == p.messages, "world: the run did not send exactly the plan's messages");
    check(r.epochs <= p.max_epochs, "world: the run went past the plan's epochs");
    const auto sum = [](const std::vector<std::uint64_t>& v) { return std::accumulate(v.begin(), v.end(), std::uint64_t{0}); };
    check(sum(r.series.sender_sent) == r.tally.messages(), "world: the series' sent counts differ from the totals");
    check(sum(r.series.sender_outcomes) == r.tally.messages(), "world: the series' outcomes differ from the totals");
    if (p.messages <= max_world_messages_two_threads) {
        o.threads = 2;
        check(world::run(w, o) == r, "world: two threads gave another result than one");
    }
}

inline void parse_and_exercise_world(const std::string& text, std::uint64_t seed) {
    if (const auto w = parse_world_text(text)) exercise_world(*w, seed);
}

}  // namespace delivsim::fuzz
