#pragma once
// A public DNS blocklist fed by spam-trap hits, shared by every receiving domain (as receivers
// share Spamhaus): an IP is listed `listing_delay_s` after its weighted trap hits within
// `window_s` reach `threshold`, and delisted `delist_after_s` after its last hit. Trap kinds
// weigh differently: a pristine trap (an address that never belonged to anyone, found only on
// bought or harvested lists) is the surest sign, a recycled trap (an abandoned address turned
// trap) less, a typo trap (a mistyped domain) least. While listed, the IP's messages carry
// `ip_listed`, which a profile's dnsbl policy rejects (554 5.7.1).
//
// World JSON, top-level "blocklist" (every key but "threshold" optional):
//   {"threshold": 3, "window_s": 604800, "listing_delay_s": 3600, "delist_after_s": 604800,
//    "weights": {"pristine": 1, "recycled": 0.5, "typo": 0.2}}
// The figures are assumptions (blocklists publish neither thresholds nor weights; Spamhaus says
// listings follow trap hits and expire once the problem stops: docs/world.md).
//
// Determinism: domains run in parallel within an epoch, so the hits of epoch e are merged
// after it, in (time, IP) order, and a listing takes effect at its time but no earlier than
// epoch e + 1. The state is then a pure function of the epochs before.
#include <delivsim/core/json.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace delivsim::world {

struct BlocklistSettings {
    bool enabled = false;
    double threshold = 3;
    double window_s = 7 * 86400.0;
    double listing_delay_s = 3600;
    double delist_after_s = 7 * 86400.0;
    double pristine_weight = 1, recycled_weight = 0.5, typo_weight = 0.2;

    static BlocklistSettings parse(const Field& f) {
        f.allow_keys({"threshold", "window_s", "listing_delay_s", "delist_after_s", "weights"});
        BlocklistSettings s;
        s.enabled = true;
        s.threshold = f["threshold"].positive();
        if (f.has("window_s")) s.window_s = f["window_s"].positive();
        if (f.has("listing_delay_s")) s.listing_delay_s = f["listing_delay_s"].non_negative();
        if (f.has("delist_after_s")) s.delist_after_s = f["delist_after_s"].positive();
        if (f.has("weights")) {
            const Field w = f["weights"];
            w.allow_keys({"pristine", "recycled", "typo"});
            if (w.has("pristine")) s.pristine_weight = w["pristine"].non_negative();
            if (w.has("recycled")) s.recycled_weight = w["recycled"].non_negative();
            if (w.has("typo")) s.typo_weight = w["typo"].non_negative();
        }
        return s;
    }
};

struct TrapHit {
    double time_s;
    std::uint16_t ip;
    double weight;
};

class Blocklist {
public:
    Blocklist() = default;
    Blocklist(const BlocklistSettings& s, std::size_t ips) : s_(s), ips_(s.enabled ? ips : 0) {}

    bool enabled() const noexcept { return s_.enabled; }
    const BlocklistSettings& settings() const noexcept { return s_; }

    bool listed(std::uint32_t ip, double t) const noexcept {
        if (!s_.enabled) return false;
        const Ip& x = ips_[ip];
        return x.from <= t && t < x.until;
    }

    // The hits of one epoch, all receiving domains; `not_before`: the epoch's end.
    void add(std::vector<TrapHit>& hits, double not_before) {
        std::sort(hits.begin(), hits.end(), [](const TrapHit& a, const TrapHit& b) {
            return a.time_s < b.time_s || (a.time_s == b.time_s && a.ip < b.ip);
        });
        for (const TrapHit& h : hits) {
            Ip& x = ips_[h.ip];
            x.hits.push_back({h.time_s, h.weight});
            const double since = h.time_s - s_.window_s;
            x.hits.erase(x.hits.begin(), std::find_if(x.hits.begin(), x.hits.end(), [&](const Hit& k) { return k.time_s > since; }));
            double sum = 0;
            for (const Hit& k : x.hits) sum += k.weight;
            const bool listed_now = x.from < x.until && h.time_s < x.until;
            if (listed_now) x.until = std::max(x.until, h.time_s + s_.delist_after_s);
            else if (sum >= s_.threshold) {
                x.from = std::max(h.time_s + s_.listing_delay_s, not_before);
                x.until = x.from + s_.delist_after_s;
                ++x.listings;
            }
        }
        hits.clear();
    }

    std::uint32_t listings(std::uint32_t ip) const noexcept { return s_.enabled ? ips_[ip].listings : 0; }

    // For world checkpoints (world/checkpoint.hpp).
    template <class Archive>
    void state(Archive& ar) {
        ar("ips", ips_);
    }

private:
    struct Hit {
        double time_s = 0, weight = 0;
        template <class Archive>
        void state(Archive& ar) {
            ar("time_s", time_s);
            ar("weight", weight);
        }
    };
    struct Ip {
        std::vector<Hit> hits;
        double from = 0, until = 0;  // listed on [from, until)
        std::uint32_t listings = 0;
        template <class Archive>
        void state(Archive& ar) {
            ar.list("hits", hits);
            ar("from", from);
            ar("until", until);
            ar("listings", listings);
        }
    };
    BlocklistSettings s_;
    std::vector<Ip> ips_;
};

}  // namespace delivsim::world
