#pragma once
// What both fuzz targets check once they have scenario text:
//  - parse_scenario_text returns a Scenario or throws delivsim::ScenarioError, whose message
//    is one non-empty line of valid UTF-8; any other exception is a finding (reported, then
//    abort());
//  - a scenario that parsed survives a round trip through its own document;
//  - the engine runs it: explain() of message 0 works; run() counts every message once, gives
//    the same tally for any chunking, agrees with explain() on message 0, and the report has
//    one entry per (class, profile) cell. Scenarios whose results need more than
//    max_tally_mib_run per Tally are only explained (see exercise()).
// A finding aborts, so libFuzzer saves the input as a crash artifact.
#include <delivsim/delivsim.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <typeinfo>

namespace delivsim::fuzz {

[[noreturn]] inline void finding(const std::string& what) {
    std::fprintf(stderr, "\n==delivsim-fuzz== FINDING: %s\n", what.c_str());
    std::fflush(stderr);
    std::abort();
}

inline void check(bool ok, const char* what) {
    if (!ok) finding(what);
}

// Strict UTF-8 (no overlong forms, surrogates or code points above U+10FFFF).
inline bool valid_utf8(const std::string& s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t n;
        std::uint32_t cp;
        if (c < 0x80) { ++i; continue; }
        else if (c >= 0xC2 && c <= 0xDF) { n = 1; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { n = 3; cp = c & 0x07; }
        else return false;
        if (i + n >= s.size()) return false;  // truncated sequence
        for (std::size_t k = 1; k <= n; ++k) {
            const auto d = static_cast<unsigned char>(s[i + k]);
            if ((d & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (d & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}

// The loader's contract: a Scenario, or a ScenarioError with a one-line, valid UTF-8 message
// (the CLI prints it as its one line on stderr).
inline std::optional<Scenario> parse_text(const std::string& text) {
    try {
        return parse_scenario_text(text, "fuzz.json");
    } catch (const ScenarioError& e) {
        const std::string msg = e.what();
        check(!msg.empty(), "ScenarioError with an empty message");
        check(msg.find('\n') == std::string::npos && msg.find('\r') == std::string::npos,
              "ScenarioError message is not one line");
        check(valid_utf8(msg), "ScenarioError message is not valid UTF-8");
        return std::nullopt;
    } catch (const std::exception& e) {
        finding(std::string("parse_scenario_text threw ") + typeid(e).name() + " (not ScenarioError): " + e.what());
    } catch (...) {
        finding("parse_scenario_text threw a non-std exception");
    }
}

// Per-input work stays bounded whatever the scenario: a message costs at most
// attempts x (hosts + policies) steps (every attempt tries every host of the widest profile),
// so the message count is scaled down for scenarios with huge retry schedules or MX sets.
inline constexpr double step_budget = 1e6;
inline constexpr std::uint64_t max_messages = 50;
inline constexpr std::size_t max_rendered_steps = 20000;  // explain's JSON/text rendering

// The size of one Tally (results/tally.hpp: per-cell counts, and decision times by class and
// by profile for each outcome and attempt), and the most this harness lets run() allocate.
inline constexpr double max_tally_mib_run = 64;
inline double tally_mib(const Scenario& s) {
    const double cells = static_cast<double>(s.classes.size()) * static_cast<double>(s.profiles.size());
    const double by_attempt = static_cast<double>(s.classes.size() + s.profiles.size()) * outcome_count *
                              static_cast<double>(s.attempt_times.size());
    return 8.0 / (1 << 20) * (cells * (outcome_count + status_count + responsible_count + stage_count) + by_attempt);
}

inline std::size_t widest_profile(const Scenario& s) {
    std::size_t w = 1;
    for (const auto& p : s.profiles) w = std::max(w, p.routing.hosts().size() + p.policies.policies.size() + 1);
    return w;
}

inline void exercise(const Scenario& s, std::uint64_t seed) {
    // A validated scenario's document validates again, to the same derived tables.
    const std::optional<Scenario> again = parse_text(s.document.dump());
    check(again.has_value(), "a scenario's own document does not parse again");
    check(again->attempt_times == s.attempt_times && again->class_cdf == s.class_cdf &&
              again->profile_cdf == s.profile_cdf,
          "a scenario's own document parses to different tables");

    // explain() of message 0 needs no tally: it runs whatever the scenario's size.
    const Explanation e = explain(s, seed, 0);
    std::size_t steps = 0;
    for (const auto& a : e.attempts) steps += 1 + a.tried.size();
    if (steps <= max_rendered_steps) {
        (void)e.to_json(s);
        (void)e.to_text(s);
    }

    // A run holds (threads + 1) tallies and this harness keeps a third alive to compare:
    // under libFuzzer's 2048 MB RSS limit a scenario near the loader's tally budget
    // (max_tally_mib per results table) would be reported as out-of-memory, so it is only explained.
    if (tally_mib(s) > max_tally_mib_run) return;

    const double per_message = static_cast<double>(s.attempt_times.size()) * static_cast<double>(widest_profile(s));
    const auto messages =
        static_cast<std::uint64_t>(std::clamp(step_budget / per_message, 1.0, static_cast<double>(max_messages)));

    RunOptions o;
    o.messages = messages;
    o.seed = seed;
    o.threads = 1;
    const Tally t = run(s, o);
    check(t.messages() == messages, "run() did not count every message");
    std::uint64_t total = 0;
    for (std::size_t k = 0; k < outcome_count; ++k) total += t.outcome(static_cast<Outcome>(k));
    check(total == messages, "outcome counts do not sum to the message count");

    if (messages > 1) {
        RunOptions chunked = o;
        chunked.chunk = 7;
        check(run(s, chunked) == t, "the tally depends on the chunk size");
    }

    // Message 0 alone (the run above when it has one message).
    RunOptions one = o;
    one.messages = 1;
    const Tally t1 = messages == 1 ? Tally() : run(s, one);
    const Tally& first = messages == 1 ? t : t1;
    check(first.outcome(e.fate.outcome, e.message.sender_class, e.message.profile) == 1,
          "explain(message 0) disagrees with the run: outcome, class or profile");
    check(first.status(e.fate.status) == 1, "explain(message 0) disagrees with the run: status");
    check(first.decided_at(e.fate.outcome, e.fate.attempt) == 1, "explain(message 0) disagrees with the run: attempt");

    const json report = report_json(t, s.name, seed);
    std::size_t cells = 0;
    for (const auto& [cls, by_profile] : report["by_class_profile"].items()) cells += by_profile.size();
    check(cells == s.classes.size() * s.profiles.size(),
          "report_json: two (class, profile) cells share one by_class_profile key");
    (void)report_table(t, s.name, seed);
}

// Parse, and run what parses.
inline void parse_and_exercise(const std::string& text, std::uint64_t seed) {
    if (const auto s = parse_text(text)) exercise(*s, seed);
}

}  // namespace delivsim::fuzz
