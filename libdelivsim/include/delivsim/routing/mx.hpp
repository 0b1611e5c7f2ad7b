#pragma once
// MX routing per RFC 5321 section 5.1: hosts are tried in ascending preference, hosts of
// equal preference in an order randomised at each attempt. How many hosts one attempt tries,
// and whether a 4xx from one moves on to the next, is the sending MTA's (MxLimits in
// routing/retry_schedule.hpp). A domain without MX records is reached at its own address (the implicit
// MX); a null MX (RFC 7505, a single record "." ) means the domain accepts no mail at all.
#include <delivsim/core/rng.hpp>
#include <delivsim/core/json.hpp>

#include <algorithm>
#include <array>
#include <string>
#include <vector>
#include <utility>

namespace delivsim {

struct MxHost {
    std::string host;
    std::uint32_t preference = 0;
    double down = 0;  // probability the host does not answer, per attempt
    double busy = 0;  // probability the host answers 421 4.7.0 at its greeting, per attempt
    bool relay = false;  // a backup MX that accepts every message and relays it to the others later
};

class MxRouting {
public:
    static constexpr std::size_t max_hosts = 32;

    const std::vector<MxHost>& hosts() const noexcept { return hosts_; }
    bool null_mx() const noexcept { return null_mx_; }
    bool implicit() const noexcept { return implicit_; }
    double dead_destination() const noexcept { return dead_destination_; }
    bool relay(int h) const noexcept { return hosts_[static_cast<std::size_t>(h)].relay; }
    // No host is ever busy and none is a relay: trying hosts is only finding one that answers.
    bool plain() const noexcept { return plain_; }

    // Visits the hosts of `attempt` in the order the sending MTA tries them, calling
    // on_host(h, up) for each until it returns true (stop). Draws: the shuffles of
    // equal-preference groups, then one up/down draw per host visited, indexed by the host
    // itself so a host's fate does not depend on the order it was tried in.
    template <class OnHost>
    void visit(MessageRng& rng, std::uint32_t attempt, OnHost&& on_host) const {
        const std::size_t n = hosts_.size();
        const std::uint32_t base = attempt * stride_;
        const auto try_host = [&](std::size_t h) __attribute__((always_inline)) {
            const bool up = !rng.bernoulli(Stream::mx_routing, base + shuffles_ + static_cast<std::uint32_t>(h), hosts_[h].down);
            return on_host(static_cast<int>(h), up);
        };
        if (shuffled_groups_.empty()) {  // every preference distinct: the list's own order
            for (std::size_t h = 0; h < n; ++h)
                if (try_host(h)) return;
            return;
        }
        std::array<std::uint8_t, max_hosts> order;
        for (std::size_t i = 0; i < n; ++i) order[i] = static_cast<std::uint8_t>(i);
        std::uint32_t shuffle_draw = 0;
        for (const auto& [b, e] : shuffled_groups_) {
            // Fisher-Yates within [b, e): multiply-shift maps 64 bits to [0, k) (bias < 2^-58).
            for (std::size_t j = e - 1; j > b; --j) {
                const auto r = static_cast<std::size_t>(
                    (static_cast<unsigned __int128>(rng.bits(Stream::mx_routing, base + shuffle_draw++)) *
                     (j - b + 1)) >> 64);
                std::swap(order[j], order[b + r]);
            }
        }
        for (std::size_t i = 0; i < n; ++i)
            if (try_host(order[i])) return;
    }

    // The first host that answers at `attempt`, or -1 if none does (the whole MX list tried
    // for a connection, one session): visit() stopping at the first host up.
    template <class OnTried>
    int select(MessageRng& rng, std::uint32_t attempt, OnTried&& on_tried) const {
        int chosen = -1;
        visit(rng, attempt, [&](int h, bool up) {
            on_tried(h, up);
            if (up) chosen = h;
            return up;
        });
        return chosen;
    }

    // Whether host h, which answered, refuses the session at its greeting at `attempt`
    // (421 4.7.0, too many connections): drawn per attempt and host on its own stream.
    bool busy(MessageRng& rng, std::uint32_t attempt, int h) const noexcept {
        const double p = hosts_[static_cast<std::size_t>(h)].busy;
        return p > 0 && rng.bernoulli(Stream::mx_busy, attempt * static_cast<std::uint32_t>(max_hosts) +
                                                            static_cast<std::uint32_t>(h), p);
    }

    // The same routing with every host always answering and no dead destination: the
    // counterfactual "the receiver's hosts were up" (engine/attribute.hpp). The draws are the
    // same; only their outcome changes.
    MxRouting always_up() const {
        MxRouting r = *this;
        for (auto& h : r.hosts_) h.down = 0;
        r.dead_destination_ = 0;
        return r;
    }

    static MxRouting parse(const Field& profile) {
        MxRouting r;
        const auto records = profile["mx"].items();
        if (profile.has("dead_destination")) r.dead_destination_ = profile["dead_destination"].probability();
        if (records.empty()) {
            // RFC 5321 5.1: no MX records -> the domain's own address, preference 0.
            if (!profile.has("implicit_mx"))
                profile["mx"].fail("is empty: give MX records, or 'implicit_mx' for a domain reached at its own address");
            const Field im = profile["implicit_mx"];
            im.allow_keys({"host", "down", "busy"});
            const std::string host = im["host"].name();
            if (host == ".") im["host"].fail("\".\" is a null MX: write it as the only MX record instead (RFC 7505)");
            r.hosts_.push_back({host, 0, im["down"].probability(), im.has("busy") ? im["busy"].probability() : 0.0});
            r.implicit_ = true;
        } else {
            if (profile.has("implicit_mx"))
                profile["implicit_mx"].fail("only applies when 'mx' is empty (RFC 5321 section 5.1)");
            if (records.size() > max_hosts)
                profile["mx"].fail("has " + std::to_string(records.size()) + " records, more than " +
                                   std::to_string(max_hosts));
            for (const Field& rec : records) {
                rec.allow_keys({"host", "preference", "down", "busy", "relay"});
                MxHost h;
                h.host = rec["host"].name();
                const auto pref = rec["preference"].count();
                if (pref > 65535) rec["preference"].fail(rec["preference"].shown() + " is not a 16-bit preference");
                h.preference = static_cast<std::uint32_t>(pref);
                if (h.host == ".") {
                    // RFC 7505: a null MX is the only record and has no host to be down.
                    if (records.size() != 1) rec["host"].fail("a null MX (\".\") must be the domain's only MX record (RFC 7505)");
                    if (rec.has("down")) rec["down"].fail("a null MX has no host that could be down");
                    if (rec.has("busy")) rec["busy"].fail("a null MX has no host that could be busy");
                    if (rec.has("relay")) rec["relay"].fail("a null MX has no host that could relay");
                    if (pref != 0) rec["preference"].fail("a null MX has preference 0 (RFC 7505 section 3)");
                    r.null_mx_ = true;
                } else {
                    h.down = rec["down"].probability();
                    if (rec.has("busy")) h.busy = rec["busy"].probability();
                    if (rec.has("relay")) h.relay = rec["relay"].boolean();
                }
                for (const MxHost& other : r.hosts_)
                    if (other.host == h.host) rec["host"].fail("'" + h.host + "' is listed twice");
                r.hosts_.push_back(h);
            }
        }
        if (!r.hosts_.empty() && std::all_of(r.hosts_.begin(), r.hosts_.end(), [](const MxHost& h) { return h.relay; }))
            profile["mx"].fail("every host is a relay: a backup MX needs a primary host to relay to");
        std::stable_sort(r.hosts_.begin(), r.hosts_.end(),
                         [](const MxHost& a, const MxHost& b) { return a.preference < b.preference; });
        for (std::size_t b = 0, e; b < r.hosts_.size(); b = e) {
            for (e = b + 1; e < r.hosts_.size() && r.hosts_[e].preference == r.hosts_[b].preference;) ++e;
            if (e - b > 1) r.shuffled_groups_.push_back({b, e});
            r.shuffles_ += static_cast<std::uint32_t>(e - b - 1);
        }
        // Keep each attempt's draws block-aligned: usually one Philox block per attempt.
        constexpr std::size_t b = MessageRng::draws_per_block;
        r.plain_ = std::none_of(r.hosts_.begin(), r.hosts_.end(), [](const MxHost& h) { return h.busy > 0 || h.relay; });
        r.stride_ = static_cast<std::uint32_t>((r.shuffles_ + r.hosts_.size() + b - 1) / b * b);
        return r;
    }

private:
    std::vector<MxHost> hosts_;        // sorted by preference
    bool plain_ = true;
    std::vector<std::pair<std::size_t, std::size_t>> shuffled_groups_;  // [begin, end) of equal preference, 2+ hosts
    std::uint32_t shuffles_ = 0;       // shuffle draws per attempt
    std::uint32_t stride_ = MessageRng::draws_per_block;         // draws per attempt
    bool null_mx_ = false, implicit_ = false;
    double dead_destination_ = 0;
};

}  // namespace delivsim
