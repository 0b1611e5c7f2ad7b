#pragma once
// Bulk-sender status and the spam rate as Google Postmaster Tools defines them, kept by one
// receiving domain per sender domain and per simulated day (day k = [k 86400, (k+1) 86400) s):
//  - bulk: a sender domain that sends `bulk_per_day` messages or more to this receiving domain
//    in one day is a bulk sender from that message on, for good (Gmail: "Senders who meet the
//    above criteria at least once are permanently considered bulk senders"). Its messages then
//    carry Transport::bulk, which the sender_requirements policy reads.
//  - spam rate: user-reported spam divided by messages delivered to the inbox, per day
//    ("spam rate" in Postmaster Tools). A complaint counts on the day of the delivery it reports
//    (an assumption: Postmaster Tools does not say). A day at or above `spam_rate_limit` makes
//    the receiver defer a share `over_limit_share` of the domain's attempts with
//    `over_limit_reply` for the next `over_limit_days` days (the share and the days are
//    assumptions; the lines and replies are the presets', docs/providers.md).
// World JSON, receivers.<profile>.postmaster (every key optional; a profile with a preset
// gets the preset's values, scenario/presets.hpp; "enabled": false turns it off):
//   {"bulk_per_day": 5000, "spam_rate_target": 0.001, "spam_rate_limit": 0.003,
//    "over_limit_reply": "spam_rate_limited", "over_limit_share": 0.5, "over_limit_days": 1}
// Only the processing order of one receiving domain touches this state, so it keeps the
// world's determinism (world/world.hpp).
#include <delivsim/core/json.hpp>
#include <delivsim/core/outcome.hpp>
#include <delivsim/scenario/presets.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace delivsim::world {

struct PostmasterSettings {
    bool enabled = false;
    std::uint64_t bulk_per_day = 5000;
    double spam_rate_target = 0.001;
    double spam_rate_limit = 0.003;
    Status over_limit_reply = Status::spam_rate_limited;
    double over_limit_share = 0.5;
    std::uint32_t over_limit_days = 1;

    static PostmasterSettings of_preset(const ProviderPreset& p) {
        PostmasterSettings s;
        s.enabled = true;
        s.bulk_per_day = p.bulk_per_day;
        s.spam_rate_target = p.spam_rate_target;
        s.spam_rate_limit = p.spam_rate_limit;
        s.over_limit_reply = p.spam_rate_reply;
        return s;
    }

    // `base`: the preset's settings, or the defaults above (then enabled by the key's presence).
    static PostmasterSettings parse(const Field& f, PostmasterSettings base) {
        f.allow_keys({"enabled", "bulk_per_day", "spam_rate_target", "spam_rate_limit", "over_limit_reply",
                      "over_limit_share", "over_limit_days"});
        PostmasterSettings s = base;
        s.enabled = f.has("enabled") ? f["enabled"].boolean() : true;
        if (f.has("bulk_per_day")) s.bulk_per_day = f["bulk_per_day"].count();
        if (f.has("spam_rate_target")) s.spam_rate_target = f["spam_rate_target"].probability();
        if (f.has("spam_rate_limit")) s.spam_rate_limit = f["spam_rate_limit"].probability();
        if (s.spam_rate_limit < s.spam_rate_target)
            (f.has("spam_rate_limit") ? f["spam_rate_limit"] : f).fail("spam_rate_limit is below spam_rate_target");
        if (f.has("over_limit_reply")) {
            s.over_limit_reply = static_cast<Status>(f["over_limit_reply"].choice(status_names));
            if (info(s.over_limit_reply).enhanced[0] != '4' || info(s.over_limit_reply).reply == 0)
                f["over_limit_reply"].fail("'" + std::string(status_names[static_cast<std::size_t>(s.over_limit_reply)]) +
                                           "' is not a 4xx reply (the receiver defers)");
        }
        if (f.has("over_limit_share")) s.over_limit_share = f["over_limit_share"].probability();
        if (f.has("over_limit_days")) {
            const std::uint64_t d = f["over_limit_days"].count();
            if (d < 1 || d > 3650) f["over_limit_days"].fail(f["over_limit_days"].shown() + " is not in 1..3650");
            s.over_limit_days = static_cast<std::uint32_t>(d);
        }
        return s;
    }
};

// What one sender domain looks like to one receiving domain.
struct PostmasterDomain {
    std::uint64_t sent = 0, inbox = 0, complaints = 0;  // today
    bool bulk = false;
    double limited_until_day = -1;  // deferred on days <= this
    // The record so far (closed days with inbox deliveries).
    std::uint32_t days = 0, days_over_target = 0, days_over_limit = 0;
    double max_spam_rate = 0;

    template <class Archive>
    void state(Archive& ar) {
        ar("sent", sent);
        ar("inbox", inbox);
        ar("complaints", complaints);
        ar("bulk", bulk);
        ar("limited_until_day", limited_until_day);
        ar("days", days);
        ar("days_over_target", days_over_target);
        ar("days_over_limit", days_over_limit);
        ar("max_spam_rate", max_spam_rate);
    }
};

class Postmaster {
public:
    Postmaster() = default;
    Postmaster(const PostmasterSettings& s, std::size_t domains) : s_(s), d_(s.enabled ? domains : 0) {}

    bool enabled() const noexcept { return s_.enabled; }
    const PostmasterSettings& settings() const noexcept { return s_; }
    const std::vector<PostmasterDomain>& domains() const noexcept { return d_; }

    static std::int64_t day_of(double t) noexcept { return static_cast<std::int64_t>(std::floor(t / 86400.0)); }

    // For world checkpoints (world/checkpoint.hpp).
    template <class Archive>
    void state(Archive& ar) {
        ar("domains", d_);
        ar("day", day_);
    }

    // A first attempt of sender domain `dom` at time t; returns whether it is a bulk sender now.
    bool sent(std::uint32_t dom, double t) {
        roll(t);
        PostmasterDomain& x = d_[dom];
        if (++x.sent >= s_.bulk_per_day) x.bulk = true;
        return x.bulk;
    }
    bool bulk(std::uint32_t dom) const noexcept { return d_[dom].bulk; }
    void inbox(std::uint32_t dom, double t) {
        roll(t);
        ++d_[dom].inbox;
    }
    void complaint(std::uint32_t dom, double t) {
        roll(t);
        ++d_[dom].complaints;
    }
    // Whether `dom`'s mail is over the spam-rate limit at time t (deferred with a share).
    bool limited(std::uint32_t dom, double t) {
        roll(t);
        return d_[dom].limited_until_day >= static_cast<double>(day_);
    }

private:
    // Closes the days before t's.
    void roll(double t) {
        const std::int64_t day = day_of(t);
        if (day <= day_) return;
        for (PostmasterDomain& x : d_) {
            if (x.inbox > 0) {
                const double rate = static_cast<double>(x.complaints) / static_cast<double>(x.inbox);
                ++x.days;
                x.max_spam_rate = std::max(x.max_spam_rate, rate);
                x.days_over_target += rate >= s_.spam_rate_target;
                if (rate >= s_.spam_rate_limit) {
                    ++x.days_over_limit;
                    x.limited_until_day = static_cast<double>(day_ + static_cast<std::int64_t>(s_.over_limit_days));
                }
            }
            x.sent = x.inbox = x.complaints = 0;
        }
        day_ = day;
    }

    PostmasterSettings s_;
    std::vector<PostmasterDomain> d_;
    std::int64_t day_ = 0;
};

}  // namespace delivsim::world
