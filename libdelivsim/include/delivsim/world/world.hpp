#pragma once
// The world: senders with schedules on a simulated clock, recipient lists spread over
// receiving domains, and receivers that remember (rate limits, reputation, greylist triplets,
// mailboxes). Document format "delivsim-world/1" (docs/world.md); the classes, profiles and
// retry schedule come from an embedded "delivsim-scenario/1" document ("scenario").
//
// Design (determinism and parallelism, see also world/run.hpp):
//  - All coupled state lives at a receiving domain (recipient profile): per-IP and per-/24
//    token buckets, reputation counts per IP / sender domain / pool, greylist triplets,
//    mailboxes, pending feedback. A message only ever touches its recipient's domain, and so
//    do its retries (the sender's queue entries are kept, per domain, in a heap).
//  - Time runs in epochs (epoch_s). In each epoch every sender's messages are generated
//    deterministically (counts from the schedule, send time and recipient as draws keyed by
//    the message id), bucketed by receiving domain, and each domain processes its first
//    attempts and due retries in the total order (time, message id). Feedback reaches the
//    reputation counts, and limits and levels are recomputed, at epoch ends.
//  - Domains run in parallel on threads; per-epoch per-domain counters are merged in domain
//    order, all integers. So results are bit-identical for any thread count, and memory is
//    the world state plus one epoch of messages (two with threads: see world/run.hpp).
//  - Message id = sender << 44 | schedule item << 32 | serial. Draws: Stream::message and
//    Stream::mx_routing as in the core (index = message id); the world's own streams
//    world_message, world_recipient (index = recipient id) and world_attempt, every slot
//    named in core/rng.hpp (WorldMessageDraw, WorldRecipientDraw, WorldAttemptDraw).
#include <delivsim/core/checked.hpp>
#include <delivsim/dns/ip.hpp>
#include <delivsim/scenario/load.hpp>
#include <delivsim/world/blocklist.hpp>
#include <delivsim/world/draw.hpp>
#include <delivsim/world/greylist_memory.hpp>
#include <delivsim/world/mailbox.hpp>
#include <delivsim/world/postmaster.hpp>
#include <delivsim/world/rate_limit.hpp>
#include <delivsim/world/recipients.hpp>
#include <delivsim/world/reputation.hpp>
#include <delivsim/world/schedule.hpp>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace delivsim::world {

inline constexpr std::string_view world_format = "delivsim-world/1";
inline constexpr std::uint64_t max_recipients = 100'000'000;
// Memory the results of a run (a Tally per receiving domain plus one, the time series) may take.
inline constexpr double max_results_mib = 1024;

struct Sender {
    std::string name;
    std::uint32_t sender_class = 0;
    std::uint32_t domain = 0;           // index into World::sender_domains
    std::vector<std::uint32_t> ips;     // indices into World::ips
    std::vector<ScheduleItem> schedule;
    // Suppresses recipients after a hard bounce (at once) or a complaint (when the feedback
    // loop report arrives): no further message is sent to them.
    bool list_hygiene = false;
};

struct SendingIp {
    std::string address;
    std::uint32_t subnet = 0;  // index of its /24
    std::int32_t pool = -1;    // index into World::pools
};

struct Receiver {
    std::optional<RateLimitSettings> rate_limit;
    ReputationSettings reputation;
    std::optional<GreylistSettings> greylist;
    std::optional<MailboxSettings> mailbox;
    double feedback_delay_s = 0;
    PostmasterSettings postmaster;  // bulk status and spam rate (enabled by the profile's preset or "postmaster")
};

struct ClassFeedback {
    double complaint_factor = 1, engagement_factor = 1;
};

struct World {
    std::string name, description;
    double duration_s = 0, epoch_s = 3600, bucket_s = 86400;
    Scenario scenario;
    std::vector<Sender> senders;
    std::vector<std::string> sender_domains, pools;
    std::vector<SendingIp> ips;
    std::uint32_t subnets = 0;
    std::vector<RecipientList> lists;
    std::vector<Receiver> receivers;            // one per recipient profile
    std::vector<ClassFeedback> class_feedback;  // one per sender class
    BlocklistSettings blocklist;                // a blocklist fed by trap hits (world/blocklist.hpp)
    json document;

    std::uint64_t recipient_count() const noexcept {
        return lists.empty() ? 0 : lists.back().first_recipient + lists.back().size;
    }
    std::vector<std::string> sender_names() const {
        std::vector<std::string> n;
        for (const auto& s : senders) n.push_back(s.name);
        return n;
    }
    // Each sender's truth: its class's.
    std::vector<bool> sender_truth() const {
        std::vector<bool> t;
        for (const auto& s : senders) t.push_back(scenario.classes[s.sender_class].legit);
        return t;
    }
};

namespace detail {

inline std::uint32_t index_of(const std::vector<std::string>& names, const Field& f, const std::string& what) {
    const std::string n = f.name();
    for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i] == n) return static_cast<std::uint32_t>(i);
    std::string known;
    for (const auto& x : names) known += (known.empty() ? "" : ", ") + x;
    f.fail("'" + n + "' is not a known " + what + " (known: " + known + ")");
}

inline ScheduleItem parse_item(const Field& f, const std::vector<std::string>& list_names, double duration_s) {
    ScheduleItem it;
    it.kind = static_cast<ScheduleItem::Kind>(f["type"].choice(ScheduleItem::kind_names));
    it.list = index_of(list_names, f["list"], "recipient list");
    using K = ScheduleItem::Kind;
    if (it.kind == K::campaign) {
        f.allow_keys({"type", "list", "id", "at_s", "messages", "spread_s"});
        it.id = f["id"].name();
        it.at_s = f["at_s"].non_negative();
        it.messages = f["messages"].count();
        it.spread_s = f.has("spread_s") ? f["spread_s"].non_negative() : 0.0;
        if (it.messages >= (1ull << 32)) f["messages"].fail("is more than 2^32-1 messages");
        return it;
    }
    if (it.kind == K::steady) f.allow_keys({"type", "list", "rate_per_hour", "start_s", "end_s"});
    if (it.kind == K::daily_cycle)
        f.allow_keys({"type", "list", "rate_per_hour", "amplitude", "peak_hour", "start_s", "end_s"});
    if (it.kind == K::ramp)
        f.allow_keys({"type", "list", "rate_per_hour", "daily_growth", "max_per_hour", "start_s", "end_s"});
    it.rate_per_hour = f["rate_per_hour"].non_negative();
    if (f.has("start_s")) it.start_s = f["start_s"].non_negative();
    if (f.has("end_s")) {
        it.end_s = f["end_s"].non_negative();
        if (it.end_s < it.start_s) f["end_s"].fail("is before start_s (" + f["start_s"].shown() + ")");
    }
    double peak = it.rate_per_hour;
    if (it.kind == K::daily_cycle) {
        it.amplitude = f["amplitude"].probability();
        it.peak_hour = f["peak_hour"].non_negative();
        if (it.peak_hour >= 24) f["peak_hour"].fail(f["peak_hour"].shown() + " is not an hour of the day (0 to 24)");
        peak *= 1 + it.amplitude;
    }
    if (it.kind == K::ramp) {
        it.daily_growth = f["daily_growth"].positive();
        it.max_per_hour = f["max_per_hour"].non_negative();
        peak = std::max(peak, it.max_per_hour);
    }
    // Serials are 32 bits (the message id layout).
    if (peak * std::min(duration_s, it.end_s - it.start_s) / 3600.0 >= 4e9)
        f["rate_per_hour"].fail("gives more than 2^32 messages from one schedule item");
    return it;
}

inline LevelEffect parse_effect(const Field& f) {
    f.allow_keys({"content_adjustment", "rate_multiplier", "reject"});
    LevelEffect e;
    if (f.has("content_adjustment")) e.content_adjustment = f["content_adjustment"].number();
    if (f.has("rate_multiplier")) e.rate_multiplier = f["rate_multiplier"].non_negative();
    if (f.has("reject")) e.reject = f["reject"].probability();
    return e;
}

inline ReputationSettings parse_reputation(const Field& f) {
    f.allow_keys({"half_life_s", "prior", "prior_volume", "trap_weight", "engagement_weight", "high_below",
                  "medium_below", "bad_above", "weights", "levels"});
    ReputationSettings r;
    r.enabled = true;
    r.half_life_s = f["half_life_s"].positive();
    r.prior = f["prior"].probability();
    r.prior_volume = f["prior_volume"].positive();
    if (f.has("trap_weight")) r.trap_weight = f["trap_weight"].non_negative();
    if (f.has("engagement_weight")) r.engagement_weight = f["engagement_weight"].non_negative();
    if (f.has("high_below")) r.high_below = f["high_below"].probability();
    if (f.has("medium_below")) r.medium_below = f["medium_below"].probability();
    if (f.has("bad_above")) r.bad_above = f["bad_above"].probability();
    if (!(r.high_below <= r.medium_below)) f["medium_below"].fail("must be at least high_below");
    if (!(r.medium_below <= r.bad_above)) f["bad_above"].fail("must be at least medium_below");
    if (f.has("weights")) {
        const Field w = f["weights"];
        w.allow_keys({"ip", "domain", "pool"});
        std::vector<std::pair<Field, double>> ws;
        for (auto k : {"ip", "domain", "pool"}) ws.emplace_back(w[k], w[k].non_negative());
        mixture_cdf(w, ws);
        r.ip_weight = ws[0].second;
        r.domain_weight = ws[1].second;
        r.pool_weight = ws[2].second;
    }
    const Field lv = f["levels"];
    lv.allow_keys({"bad", "low", "medium", "high"});
    for (std::size_t i = 0; i < level_names.size(); ++i)
        if (lv.has(level_names[i])) r.effects[i] = parse_effect(lv[level_names[i]]);
    return r;
}

// `preset`: the profile's preset (scenario/presets.hpp), or -1.
inline Receiver parse_receiver(const Field& f, int preset) {
    f.allow_keys({"rate_limit", "reputation", "greylist", "mailbox", "feedback_delay_s", "postmaster"});
    Receiver r;
    if (preset >= 0) r.postmaster = PostmasterSettings::of_preset(provider_presets[static_cast<std::size_t>(preset)]);
    if (f.has("postmaster")) r.postmaster = PostmasterSettings::parse(f["postmaster"], r.postmaster);
    if (f.has("rate_limit")) {
        const Field g = f["rate_limit"];
        g.allow_keys({"per_ip_per_hour", "per_subnet_per_hour", "history_factor"});
        r.rate_limit = RateLimitSettings{g["per_ip_per_hour"].positive(), g["per_subnet_per_hour"].positive(),
                                         g.has("history_factor") ? g["history_factor"].non_negative() : 0.0};
    }
    if (f.has("reputation")) r.reputation = parse_reputation(f["reputation"]);
    if (f.has("greylist")) {
        const Field g = f["greylist"];
        g.allow_keys({"delay_s", "retry_window_s", "auto_whitelist_after"});
        GreylistSettings gs;
        gs.delay_s = g["delay_s"].non_negative();
        gs.retry_window_s = g["retry_window_s"].non_negative();
        if (gs.retry_window_s < gs.delay_s) g["retry_window_s"].fail("is shorter than delay_s");
        gs.auto_whitelist_after = static_cast<std::uint32_t>(std::min<std::uint64_t>(g["auto_whitelist_after"].count(), 1u << 30));
        r.greylist = gs;
    }
    if (f.has("mailbox")) {
        const Field g = f["mailbox"];
        g.allow_keys({"quota_bytes", "initial_fill", "empty_every_s", "never_empty", "when_full"});
        MailboxSettings m;
        m.quota_bytes = g["quota_bytes"].count();
        if (m.quota_bytes == 0) g["quota_bytes"].fail("must be greater than 0");
        m.initial_fill = g.has("initial_fill") ? g["initial_fill"].probability() : 0.0;
        m.empty_every_s = g["empty_every_s"].positive();
        m.never_empty = g["never_empty"].probability();
        constexpr std::array<std::string_view, 2> modes{"temporary", "permanent"};
        m.permanent = g["when_full"].choice(modes) == 1;
        r.mailbox = m;
    }
    r.feedback_delay_s = f.has("feedback_delay_s") ? f["feedback_delay_s"].non_negative() : 0.0;
    return r;
}

}  // namespace detail

// How long a run goes on and what it will hold, known at load (world --check prints it).
// Memory figures are estimates in MiB (upper bounds where the run can only hold less).
struct Plan {
    std::uint64_t per_bucket = 1;      // epochs per time bucket
    std::uint64_t send_epochs = 0;     // epochs of the sending period
    std::uint64_t max_epochs = 0;      // at most, drain included, in whole buckets
    double end_s = 0;                  // the last moment anything can happen (last send, retry, feedback)
    std::uint64_t messages = 0;        // every message the schedules send
    std::uint64_t peak_epoch_messages = 0;  // at most, new messages in one epoch
    std::size_t peak_sender = 0, peak_item = 0;  // the schedule item with the most of them
    double recipients_mib = 0, queue_mib = 0, greylist_mib = 0, epoch_mib = 0, results_mib = 0;
    double state_mib() const noexcept { return recipients_mib + queue_mib + greylist_mib; }
};

// Caps: epochs in a run (sending and drain) and the memory of one epoch's new messages.
inline constexpr std::uint64_t max_epochs = 10'000'000;
inline constexpr double max_epoch_mib = 1024;

namespace detail {
// Bytes per recipient (what it is, its mailbox), per message of an epoch (generated, sorted,
// queued) and per message waiting or remembered.
inline constexpr double recipient_bytes = 16, mailbox_bytes = 32, epoch_message_bytes = 3 * 32, pending_bytes = 32,
                        triplet_bytes = 64;
inline double to_mib(double bytes) { return bytes / (1 << 20); }
// A number for an error message: whole below 10^15, else in scientific notation.
inline std::string figure(double x) {
    if (std::isfinite(x) && std::abs(x) < 1e15) return std::to_string(static_cast<long long>(std::ceil(x)));
    char b[32];
    std::snprintf(b, sizeof b, "%.3g", x);
    return b;
}
}  // namespace detail

// The plan of a world that passed parse_world (which refuses one over the caps).
inline Plan plan(const World& w) {
    using namespace detail;
    Plan p;
    const double ratio = std::round(w.bucket_s / w.epoch_s);
    p.per_bucket = ratio < static_cast<double>(max_epochs) ? static_cast<std::uint64_t>(ratio) : max_epochs;
    p.send_epochs = checked_ceil(w.duration_s / w.epoch_s, max_epochs).value_or(max_epochs);
    double end = w.duration_s, delay = 0;
    for (const Sender& snd : w.senders)  // campaigns may spread past duration_s
        for (const ScheduleItem& it : snd.schedule)
            if (it.kind == ScheduleItem::Kind::campaign) end = std::max(end, it.at_s + it.spread_s);
    for (const Receiver& r : w.receivers) delay = std::max(delay, r.feedback_delay_s);
    const double last_attempt = w.scenario.attempt_times.back();
    p.end_s = end + last_attempt + delay;
    const auto epochs = checked_ceil(p.end_s / w.epoch_s, max_epochs);
    p.max_epochs = epochs ? (*epochs + 1 + p.per_bucket - 1) / p.per_bucket * p.per_bucket : ~std::uint64_t{0};

    // Messages, and the most one epoch can bring: a rate item's peak hourly rate over one
    // epoch, a campaign's share of its spread (all of it when not spread).
    double peak_share = 0;
    for (std::size_t s = 0; s < w.senders.size(); ++s)
        for (std::size_t k = 0; k < w.senders[s].schedule.size(); ++k) {
            const ScheduleItem& it = w.senders[s].schedule[k];
            p.messages += item_total(it, w.duration_s);  // each below 2^32, at most 2^44 items
            double n;
            if (it.kind == ScheduleItem::Kind::campaign) {
                const double m = static_cast<double>(it.messages);
                n = it.spread_s > 0 ? std::min(m, std::ceil(m * w.epoch_s / it.spread_s) + 1) : m;
            } else {
                double peak = it.rate_per_hour;
                if (it.kind == ScheduleItem::Kind::daily_cycle) peak *= 1 + it.amplitude;
                if (it.kind == ScheduleItem::Kind::ramp) peak = std::max(peak, it.max_per_hour);
                n = std::min(static_cast<double>(item_total(it, w.duration_s)), std::ceil(peak * w.epoch_s / 3600.0) + 1);
            }
            p.peak_epoch_messages += static_cast<std::uint64_t>(n);
            if (n > peak_share) peak_share = n, p.peak_sender = s, p.peak_item = k;
        }
    const double peak = static_cast<double>(p.peak_epoch_messages), all = static_cast<double>(p.messages);
    p.epoch_mib = to_mib(peak * epoch_message_bytes);

    // State: recipients and mailboxes; messages waiting for a retry (at most a retry
    // lifetime's worth of epochs at the peak); greylist triplets (one per message at most).
    double mailboxes = 0;
    for (const RecipientList& l : w.lists)
        for (std::size_t d = 0; d < w.receivers.size(); ++d)
            if (w.receivers[d].mailbox)
                mailboxes += static_cast<double>(l.size) * (l.domain_cdf[d] - (d ? l.domain_cdf[d - 1] : 0.0));
    p.recipients_mib = to_mib(static_cast<double>(w.recipient_count()) * recipient_bytes + mailboxes * mailbox_bytes);
    p.queue_mib = to_mib(std::min(all, peak * (std::ceil((last_attempt + delay) / w.epoch_s) + 1)) * pending_bytes);
    bool greylists = false;
    for (const Receiver& r : w.receivers) greylists = greylists || r.greylist.has_value();
    p.greylist_mib = greylists ? to_mib(all * triplet_bytes) : 0.0;

    // Results: a Tally per receiving domain plus the totals, and the time series.
    const double S = static_cast<double>(w.senders.size()), R = static_cast<double>(w.receivers.size());
    const double A = static_cast<double>(w.scenario.attempt_times.size());
    const double buckets = static_cast<double>(p.max_epochs / p.per_bucket) + 1;
    const double tally = S * R * (outcome_count + status_count + responsible_count + stage_count) + (S + R) * outcome_count * A;
    const double series = buckets * (S * (outcome_count + 3) + R * (outcome_count + status_count + 10) + R * S * 2);
    p.results_mib = to_mib(8.0 * ((R + 1) * tally + series));
    return p;
}

namespace detail {

// Refuses a world whose run would not end in reasonable time or would exhaust memory, before
// any simulation, naming the field that makes it so.
inline void check_plan(const World& w, const Field& root) {
    const double per_bucket = w.bucket_s / w.epoch_s;
    if (!(per_bucket <= static_cast<double>(max_epochs)))
        root["bucket_s"].fail("is " + figure(per_bucket) + " epochs long, more than the " + figure(max_epochs) +
                              " epochs a run may take");
    const Plan p = plan(w);
    if (p.max_epochs > max_epochs) {
        // The longest of the periods that add up to the run's length names the culprit.
        std::string field = "duration_s";
        double longest = w.duration_s;
        auto consider = [&](double x, std::string f) {
            if (x > longest) longest = x, field = std::move(f);
        };
        for (std::size_t s = 0; s < w.senders.size(); ++s)
            for (std::size_t k = 0; k < w.senders[s].schedule.size(); ++k) {
                const ScheduleItem& it = w.senders[s].schedule[k];
                if (it.kind == ScheduleItem::Kind::campaign)
                    consider(it.at_s + it.spread_s, "senders[" + std::to_string(s) + "].schedule[" + std::to_string(k) + "].spread_s");
            }
        consider(w.scenario.attempt_times.back(), "scenario.retry.lifetime_s");
        const auto profiles = w.scenario.profile_names();
        for (std::size_t d = 0; d < w.receivers.size(); ++d)
            consider(w.receivers[d].feedback_delay_s, "receivers." + profiles[d] + ".feedback_delay_s");
        if (p.end_s / w.epoch_s + 1 < static_cast<double>(max_epochs))
            field = "bucket_s";  // only the rounding up to whole buckets goes over
        Field(w.document, "").child(field).fail(
            "makes the run more than " + figure(max_epochs) + " epochs of " + figure(w.epoch_s) +
            " s (sending, then draining retries and feedback, in whole time buckets)");
    }
    if (p.epoch_mib > max_epoch_mib)
        Field(w.document, "").child("senders[" + std::to_string(p.peak_sender) + "].schedule[" + std::to_string(p.peak_item) + "]")
            .fail("one epoch could bring " + figure(static_cast<double>(p.peak_epoch_messages)) + " new messages needing " +
                  figure(p.epoch_mib) + " MiB, more than the " + figure(max_epoch_mib) +
                  " MiB budget of an epoch: spread the campaign (spread_s), lower the rate or use shorter epochs (epoch_s)");
    if (p.results_mib > max_results_mib)
        root.fail("the results of " + std::to_string(w.senders.size()) + " senders x " + std::to_string(w.receivers.size()) +
                  " receivers over " + figure(static_cast<double>(p.max_epochs / p.per_bucket) + 1) + " time buckets would need " +
                  figure(p.results_mib) + " MiB, more than " + figure(max_results_mib) +
                  " MiB: use fewer senders or longer buckets");
}

}  // namespace detail

// `hooks`: the custom policies ({"type": "python", ...}) the embedded scenario may name.
inline World parse_world(const json& doc, const ExternalHooks* hooks = nullptr) {
    const Field root(doc, "");
    if (root["format"].string() != world_format)
        root["format"].fail("'" + root["format"].string() + "' is not a supported format (expected '" +
                            std::string(world_format) + "')");
    root.allow_keys({"format", "name", "description", "duration_s", "epoch_s", "bucket_s", "scenario", "class_feedback",
                     "lists", "senders", "receivers", "blocklist"});
    World w;
    w.name = root["name"].name();
    if (root.has("description")) w.description = root["description"].string();
    w.duration_s = root["duration_s"].positive();
    w.epoch_s = root["epoch_s"].positive();
    w.bucket_s = root["bucket_s"].positive();
    if (w.epoch_s < 60) root["epoch_s"].fail(root["epoch_s"].shown() + " is below 60 seconds");
    {
        const double k = w.bucket_s / w.epoch_s;
        if (k != std::floor(k)) root["bucket_s"].fail("must be a whole multiple of epoch_s (" + root["epoch_s"].shown() + ")");
    }
    if (w.duration_s / w.epoch_s > 1e7) root["duration_s"].fail("is more than 10^7 epochs");

    // The embedded scenario; its errors are re-rooted at "scenario".
    root["scenario"].expect_object();
    try {
        w.scenario = parse_scenario(doc["scenario"], hooks);
    } catch (const ScenarioError& e) {
        throw ScenarioError(e.path().empty() ? "scenario" : "scenario." + e.path(), e.rule());
    }
    if (w.scenario.attempt_times.size() > 65535)  // attempt indices are 16 bits in the queue
        Field(doc, "").child("scenario.retry.lifetime_s")
            .fail("gives " + std::to_string(w.scenario.attempt_times.size()) + " attempts, more than a world's 65535");
    // A world delivers each message at its recipient's domain: a class cannot send its
    // forwarded share to another profile.
    for (std::size_t c = 0; c < w.scenario.classes.size(); ++c)
        if (const Forwarding* fw = w.scenario.classes[c].forwarding(); fw && fw->to_profile >= 0) {
            const Field cf = Field(doc, "")["scenario"]["sender_classes"].items()[c];
            (cf.has("authentication") ? cf["authentication"] : cf["auth_results"])["forwarded"]["to"].fail(
                "a world delivers each message at its recipient's domain: leave 'to' out (the forwarded "
                "share then reaches the recipient's own domain through the intermediary)");
        }
    const auto class_names = w.scenario.class_names();
    const auto profile_names = w.scenario.profile_names();
    // Greylisting and quotas are state here, kept by the receivers, not per-message draws.
    for (std::size_t p = 0; p < w.scenario.profiles.size(); ++p)
        for (std::size_t k = 0; k < w.scenario.profiles[p].policies.policies.size(); ++k) {
            const auto t = type_name(w.scenario.profiles[p].policies.policies[k]);
            if (t == "greylist" || t == "mailbox_quota")
                Field(doc, "").child("scenario.recipient_profiles[" + std::to_string(p) + "].policies[" + std::to_string(k) + "].type")
                    .fail("'" + std::string(t) + "' is world state: configure receivers." + profile_names[p] + "." +
                          (t == "greylist" ? "greylist" : "mailbox") + " instead");
        }

    w.class_feedback.resize(class_names.size());
    if (root.has("class_feedback"))
        for (const auto& [name, f] : root["class_feedback"].entries()) {
            std::uint32_t c = 0;
            bool found = false;
            for (std::size_t i = 0; i < class_names.size(); ++i)
                if (class_names[i] == name) c = static_cast<std::uint32_t>(i), found = true;
            if (!found) f.fail("'" + name + "' is not a sender class of the scenario");
            f.allow_keys({"complaint_factor", "engagement_factor"});
            if (f.has("complaint_factor")) w.class_feedback[c].complaint_factor = f["complaint_factor"].non_negative();
            if (f.has("engagement_factor")) w.class_feedback[c].engagement_factor = f["engagement_factor"].non_negative();
        }

    // Lists.
    std::set<std::string> seen;
    std::vector<std::string> list_names;
    std::uint64_t next = 0;
    for (const Field& f : root["lists"].items()) {
        f.allow_keys({"name", "recipients", "stale", "spam_trap", "pristine_trap", "typo_trap", "complaint", "engagement",
                      "not_spam", "domains"});
        RecipientList l;
        l.name = f["name"].name();
        if (!seen.insert(l.name).second) f["name"].fail("duplicate name '" + l.name + "'");
        l.size = f["recipients"].count();
        if (l.size == 0) f["recipients"].fail("must be at least 1");
        l.first_recipient = next;
        // Checked: a size near 2^64 must not wrap the total back under the limit.
        const auto total = checked_add(next, l.size);
        if (!total || *total > max_recipients)
            f["recipients"].fail("lists hold more than " + std::to_string(max_recipients) + " recipients in all");
        next = *total;
        l.stale = f["stale"].probability();
        l.spam_trap = f.has("spam_trap") ? f["spam_trap"].probability() : 0.0;
        l.pristine_trap = f.has("pristine_trap") ? f["pristine_trap"].probability() : 0.0;
        l.typo_trap = f.has("typo_trap") ? f["typo_trap"].probability() : 0.0;
        if (l.pristine_trap + l.typo_trap > 1) f["typo_trap"].fail("pristine_trap + typo_trap is more than 1");
        l.complaint = f["complaint"].probability();
        l.engagement = f["engagement"].probability();
        l.not_spam = f.has("not_spam") ? f["not_spam"].probability() : 0.0;
        const Field d = f["domains"];
        std::vector<double> weights(profile_names.size(), 0.0);
        std::vector<std::pair<Field, double>> dw;
        for (const auto& [pname, wf] : d.entries()) {
            std::size_t p = profile_names.size();
            for (std::size_t i = 0; i < profile_names.size(); ++i)
                if (profile_names[i] == pname) p = i;
            if (p == profile_names.size()) wf.fail("'" + pname + "' is not a recipient profile of the scenario");
            weights[p] = wf.probability();
            dw.emplace_back(wf, weights[p]);
        }
        mixture_cdf(d, dw);
        double t = 0;
        for (double x : weights) l.domain_cdf.push_back(t += x);
        l.domain_cdf.back() = 1.0;
        list_names.push_back(l.name);
        w.lists.push_back(std::move(l));
    }
    if (w.lists.empty()) root["lists"].fail("is empty: a world needs at least one recipient list");

    // Senders, their IPs (shared IPs are one entity), domains and pools.
    seen.clear();
    std::map<std::string, std::uint32_t> ip_index, subnet_index;
    for (const Field& f : root["senders"].items()) {
        f.allow_keys({"name", "class", "domain", "ips", "pool", "schedule", "list_hygiene"});
        Sender s;
        s.list_hygiene = f.has("list_hygiene") && f["list_hygiene"].boolean();
        s.name = f["name"].name();
        if (!seen.insert(s.name).second) f["name"].fail("duplicate name '" + s.name + "'");
        s.sender_class = detail::index_of(class_names, f["class"], "sender class of the scenario");
        const std::string dom = f["domain"].name();
        auto d = std::find(w.sender_domains.begin(), w.sender_domains.end(), dom);
        s.domain = static_cast<std::uint32_t>(d - w.sender_domains.begin());
        if (d == w.sender_domains.end()) w.sender_domains.push_back(dom);
        std::int32_t pool = -1;
        if (f.has("pool")) {
            const std::string pn = f["pool"].name();
            auto p = std::find(w.pools.begin(), w.pools.end(), pn);
            pool = static_cast<std::int32_t>(p - w.pools.begin());
            if (p == w.pools.end()) w.pools.push_back(pn);
        }
        const auto ips = f["ips"].items();
        if (ips.empty()) f["ips"].fail("is empty: a sender needs at least one sending IP");
        for (const Field& ipf : ips) {
            const std::string a = ipf.string();
            const auto parsed = dns::parse_ipv4(a);
            if (!parsed) ipf.fail("'" + a + "' is not an IPv4 address");
            auto [it, fresh] = ip_index.try_emplace(a, static_cast<std::uint32_t>(w.ips.size()));
            if (fresh) {
                char net[32];
                std::snprintf(net, sizeof net, "%u.%u.%u", parsed->bytes[0], parsed->bytes[1], parsed->bytes[2]);
                auto [sn, nfresh] = subnet_index.try_emplace(net, w.subnets);
                if (nfresh) ++w.subnets;
                w.ips.push_back({a, sn->second, pool});
            } else if (w.ips[it->second].pool != pool) {
                ipf.fail("'" + a + "' is already used by a sender in another pool");
            }
            if (std::find(s.ips.begin(), s.ips.end(), it->second) != s.ips.end()) ipf.fail("'" + a + "' is listed twice");
            s.ips.push_back(it->second);
        }
        std::set<std::string> ids;
        const auto items = f["schedule"].items();
        if (items.size() > 4096) f["schedule"].fail("has more than 4096 items");
        for (const Field& itf : items) {
            s.schedule.push_back(detail::parse_item(itf, list_names, w.duration_s));
            const ScheduleItem& it = s.schedule.back();
            if (it.kind == ScheduleItem::Kind::campaign) {
                if (!ids.insert(it.id).second) itf["id"].fail("campaign id '" + it.id + "' is used twice by this sender");
                if (it.at_s >= w.duration_s) itf["at_s"].fail("is not before duration_s (" + root["duration_s"].shown() + ")");
            }
        }
        w.senders.push_back(std::move(s));
    }
    if (w.senders.empty()) root["senders"].fail("is empty: a world needs at least one sender");
    if (w.senders.size() > 65535) root["senders"].fail("has more than 65535 senders");
    if (w.ips.size() > 65535 || w.subnets > 65535) root["senders"].fail("use more than 65535 sending IPs");

    if (root.has("blocklist")) w.blocklist = BlocklistSettings::parse(root["blocklist"]);

    // Receivers: one for every recipient profile, no silent defaults.
    const Field rf = root["receivers"];
    rf.expect_object();
    for (const auto& [name, f] : rf.entries()) {
        bool found = false;
        for (const auto& p : profile_names) found = found || p == name;
        if (!found) f.fail("'" + name + "' is not a recipient profile of the scenario");
    }
    for (std::size_t p = 0; p < profile_names.size(); ++p)
        w.receivers.push_back(detail::parse_receiver(rf[profile_names[p]], w.scenario.profiles[p].preset));

    w.document = doc;
    detail::check_plan(w, root);
    return w;
}

inline World parse_world_text(const std::string& text, const std::string& source = "world",
                              const ExternalHooks* hooks = nullptr) {
    return parse_world(parse_json(text, source), hooks);
}

inline World load_world(const std::string& path, const ExternalHooks* hooks = nullptr) {
    return parse_world(read_json_file(path), hooks);
}

}  // namespace delivsim::world
