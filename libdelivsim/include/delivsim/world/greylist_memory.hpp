#pragma once
// Greylisting with triplet memory, as postgrey does it: the triplet (client network, sender,
// recipient) seen for the first time is deferred (450 4.2.0, postgrey's reply through Postfix); a retry at least `delay_s`
// later and within `retry_window_s` passes and the triplet is remembered (later mail passes at
// once); a retry after the window starts over. A client (sending IP) with
// `auto_whitelist_after` successful retries is whitelisted (postgrey --auto-whitelist-clients).
// Postgrey's defaults: delay 300 s, retry window 2 days, auto-whitelist after 5.
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace delivsim::world {

struct GreylistSettings {
    double delay_s = 300;
    double retry_window_s = 172800;
    std::uint32_t auto_whitelist_after = 5;  // 0: never
};

class GreylistMemory {
public:
    explicit GreylistMemory(std::size_t ips = 0) : client_passes_(ips, 0) {}

    // True if the attempt passes. Triplet key: /24 index (16 bits), sender (16), recipient (32).
    bool check(const GreylistSettings& g, std::uint32_t ip, std::uint32_t subnet, std::uint32_t sender,
               std::uint32_t recipient, double t) {
        if (g.auto_whitelist_after > 0 && client_passes_[ip] >= g.auto_whitelist_after) return true;
        const std::uint64_t key = (static_cast<std::uint64_t>(subnet) << 48) | (static_cast<std::uint64_t>(sender) << 32) |
                                  recipient;
        auto [it, fresh] = triplets_.try_emplace(key, Triplet{t, false});
        if (fresh) return false;
        Triplet& tr = it->second;
        if (tr.passed) return true;
        if (t - tr.first_s < g.delay_s) return false;
        if (t - tr.first_s > g.retry_window_s) {
            tr.first_s = t;
            return false;
        }
        tr.passed = true;
        ++client_passes_[ip];
        return true;
    }
    std::size_t triplets() const noexcept { return triplets_.size(); }

    struct Triplet {
        double first_s;
        bool passed;
    };
    // What it remembers, for checkpoints (world/checkpoint.hpp).
    template <class Archive>
    void state(Archive& ar) {
        ar.list("triplets", triplets_);
        ar("client_passes", client_passes_);
    }

private:
    std::unordered_map<std::uint64_t, Triplet> triplets_;
    std::vector<std::uint32_t> client_passes_;
};

}  // namespace delivsim::world
