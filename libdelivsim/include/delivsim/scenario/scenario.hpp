#pragma once
// The world model: a mixture of sender classes, a mixture of recipient-domain profiles
// (each with its MX set and policy chain), and the sender's retry schedule.
// BasicScenario is templated on the chain type so that C++ users can run the same engine
// over a compile-time Pipeline; Scenario is the run-time form loaded from JSON.
#include <delivsim/policy/chain.hpp>
#include <delivsim/routing/mx.hpp>
#include <delivsim/routing/retry_schedule.hpp>
#include <delivsim/sender/sender_class.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace delivsim {

template <class Chain>
struct BasicProfile {
    std::string name;
    std::string description;
    double weight = 0;
    MxRouting routing;
    Chain policies;
    FolderHandling folders;  // after acceptance (recipient/folders.hpp)
    // The ARC sealers (RFC 8617) whose recorded results this receiver honours (sender/forwarding.hpp).
    std::vector<std::string> trusted_arc_sealers;
    int preset = -1;  // index into provider_presets (scenario/presets.hpp), or -1
};

template <class Chain>
struct BasicScenario {
    using chain_type = Chain;
    std::string name;
    std::string description;
    RetrySchedule retry;
    std::vector<double> attempt_times;  // derived from retry
    std::vector<SenderClass> classes;
    std::vector<double> class_cdf;
    std::vector<BasicProfile<Chain>> profiles;
    std::vector<double> profile_cdf;
    std::shared_ptr<const dns::Zone> dns;  // the "dns" zone, for zone-based sender authentication

    std::vector<std::string> class_names() const {
        std::vector<std::string> n;
        for (const auto& c : classes) n.push_back(c.name);
        return n;
    }
    // Each class's truth: legitimate mail (true) or spam.
    std::vector<bool> class_truth() const {
        std::vector<bool> t;
        for (const auto& c : classes) t.push_back(c.legit);
        return t;
    }
    std::vector<std::string> profile_names() const {
        std::vector<std::string> n;
        for (const auto& p : profiles) n.push_back(p.name);
        return n;
    }
    // A profile by name; an unknown name throws std::invalid_argument listing the valid ones.
    BasicProfile<Chain>& profile(std::string_view name) {
        for (auto& p : profiles)
            if (p.name == name) return p;
        std::string valid;
        for (const auto& p : profiles) valid += (valid.empty() ? "" : ", ") + p.name;
        throw std::invalid_argument("no recipient profile '" + std::string(name) + "' (valid: " + valid + ")");
    }

    // Call after editing classes, profiles or retry in C++: recomputes derived tables.
    void finalize() {
        attempt_times = retry.attempt_times();
        class_cdf.clear();
        profile_cdf.clear();
        double t = 0;
        for (const auto& c : classes) class_cdf.push_back(t += c.weight);
        t = 0;
        for (const auto& p : profiles) profile_cdf.push_back(t += p.weight);
        if (!class_cdf.empty()) class_cdf.back() = 1.0;
        if (!profile_cdf.empty()) profile_cdf.back() = 1.0;
    }
};

struct Scenario : BasicScenario<PolicyChain> {
    json document;  // the validated source, kept for serialisation and run identity
};

}  // namespace delivsim
