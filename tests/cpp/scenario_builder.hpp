#pragma once
// Small hand-made scenarios for the tests: one sender class, one profile, everything certain
// unless a test says otherwise, so each stage's behaviour can be asserted exactly.
#include <delivsim/delivsim.hpp>

#include <string>

namespace delivsim::testing {

inline json minimal_scenario() {
    return json::parse(R"({
      "format": "delivsim-scenario/1",
      "name": "minimal",
      "retry": {"first_retry_s": 300, "backoff_factor": 2, "max_backoff_s": 4000, "lifetime_s": 432000},
      "sender_classes": [{
        "name": "A", "weight": 1.0, "legit": true,
        "address_error": {"probability": 0.0, "kinds": {"nxdomain": 0.5, "unknown_user": 0.35, "typosquat": 0.15}},
        "ip_listed": 0.0,
        "size_bytes": [{"bytes": 1000, "weight": 1.0}],
        "dmarc": {"pass": 1.0},
        "content_score": {"mean": 0.0, "sd": 0.0}
      }],
      "recipient_profiles": [{
        "name": "X", "weight": 1.0,
        "mx": [{"host": "mx.x.example", "preference": 10, "down": 0.0}],
        "policies": [
          {"type": "dnsbl"},
          {"type": "size_limit", "max_bytes": 10000},
          {"type": "unknown_user"}
        ]
      }]
    })");
}

inline Scenario scenario_from(const json& j) { return parse_scenario(j); }

// Runs n messages single-threaded.
inline Tally simulate(const Scenario& s, std::uint64_t n, std::uint64_t seed = 1, unsigned threads = 1) {
    RunOptions o;
    o.messages = n;
    o.seed = seed;
    o.threads = threads;
    return run(s, o);
}

}  // namespace delivsim::testing
