#pragma once
// Reports of a world run: the usual totals (results/report.hpp, senders as "classes",
// receivers as "profiles") plus the time series, as JSON and as a short text table.
#include <delivsim/results/report.hpp>
#include <delivsim/world/run.hpp>

#include <cstdio>
#include <sstream>

namespace delivsim::world {

// Inbox share of the messages decided (all outcomes), 0 when none.
inline double inbox_rate(const std::uint64_t* outcomes) {
    std::uint64_t n = 0;
    for (std::size_t o = 0; o < outcome_count; ++o) n += outcomes[o];
    return n ? static_cast<double>(outcomes[static_cast<std::size_t>(Outcome::inbox)]) / static_cast<double>(n) : 0.0;
}

inline json series_json(const World& w, const TimeSeries& ts) {
    json j;
    const std::size_t S = ts.senders, R = ts.receivers;
    j["bucket_s"] = ts.bucket_s;
    j["buckets"] = ts.buckets;
    j["senders"] = w.sender_names();
    j["receivers"] = w.scenario.profile_names();
    j["outcomes"] = outcome_names;
    std::vector<std::string_view> statuses;
    for (const auto& s : status_table) statuses.push_back(s.enhanced);
    j["level_names"] = level_names;
    auto slice = [](const auto& v, std::size_t from, std::size_t n) {
        return std::vector<std::decay_t<decltype(v[0])>>(v.begin() + static_cast<std::ptrdiff_t>(from),
                                                         v.begin() + static_cast<std::ptrdiff_t>(from + n));
    };
    for (std::size_t b = 0; b < ts.buckets; ++b) {
        json row;
        row["start_s"] = static_cast<double>(b) * ts.bucket_s;
        for (std::size_t s = 0; s < S; ++s) {
            json x;
            x["outcomes"] = slice(ts.sender_outcomes, (b * S + s) * outcome_count, outcome_count);
            x["sent"] = ts.sender_sent[b * S + s];
            x["deferrals"] = ts.sender_deferrals[b * S + s];
            x["queue"] = ts.sender_queue[b * S + s];
            row["senders"].push_back(x);
        }
        for (std::size_t r = 0; r < R; ++r) {
            json x;
            x["outcomes"] = slice(ts.receiver_outcomes, (b * R + r) * outcome_count, outcome_count);
            json d = json::object();
            for (std::size_t st = 0; st < status_count; ++st)
                if (const auto c = ts.receiver_deferrals[(b * R + r) * status_count + st]) d[std::string(status_table[st].enhanced) + " " + std::string(status_table[st].text)] = c;
            x["deferrals"] = d;
            x["reputation"] = slice(ts.reputation, (b * R + r) * S, S);
            std::vector<std::string_view> lv;
            for (std::size_t s = 0; s < S; ++s) lv.push_back(level_names[ts.level[(b * R + r) * S + s]]);
            x["level"] = lv;
            x["mailbox_fill_deciles"] = slice(ts.mailbox_fill, (b * R + r) * TimeSeries::fill_bins, TimeSeries::fill_bins);
            row["receivers"].push_back(x);
        }
        j["series"].push_back(row);
    }
    return j;
}

inline json world_report_json(const World& w, const Result& r, std::uint64_t seed) {
    json j = report_json(r.tally, w.name, seed);
    j["format"] = "delivsim-world-result/1";
    j["epochs"] = r.epochs;
    j["greylist_triplets"] = r.greylist_triplets;
    j["timeseries"] = series_json(w, r.series);
    return j;
}

// Per sender: messages, inbox rate overall and per day-bucket trend (first, last), bounces.
inline std::string world_report_table(const World& w, const Result& r, std::uint64_t seed) {
    std::ostringstream out;
    out << "world " << escape_control(w.name) << ", seed " << seed << ", " << r.tally.messages() << " messages over "
        << static_cast<double>(r.epochs) * w.epoch_s / 86400.0 << " simulated days\n\n";
    char line[256];
    std::snprintf(line, sizeof line, "%-20s %10s %8s %8s %8s %10s %10s\n", "sender", "messages", "inbox", "spam",
                  "bounced", "deferrals", "max queue");
    out << line;
    const auto& ts = r.series;
    for (std::size_t s = 0; s < ts.senders; ++s) {
        const double n = static_cast<double>(r.tally.outcome(Outcome::inbox, s) + r.tally.outcome(Outcome::rule_moved, s) +
                                             r.tally.outcome(Outcome::spam_folder, s) + r.tally.outcome(Outcome::quarantined, s) +
                                             r.tally.outcome(Outcome::rule_deleted, s) + r.tally.outcome(Outcome::silently_lost, s) +
                                             r.tally.outcome(Outcome::bounced, s));
        std::uint64_t deferrals = 0, max_queue = 0;
        for (std::size_t b = 0; b < ts.buckets; ++b) {
            deferrals += ts.sender_deferrals[b * ts.senders + s];
            max_queue = std::max(max_queue, ts.sender_queue[b * ts.senders + s]);
        }
        auto pct = [&](Outcome o) { return n > 0 ? 100.0 * static_cast<double>(r.tally.outcome(o, s)) / n : 0.0; };
        std::snprintf(line, sizeof line, "%-20s %10.0f %7.2f%% %7.2f%% %7.2f%% %10llu %10llu\n", escape_control(w.senders[s].name).c_str(), n,
                      pct(Outcome::inbox), pct(Outcome::spam_folder), pct(Outcome::bounced),
                      static_cast<unsigned long long>(deferrals), static_cast<unsigned long long>(max_queue));
        out << line;
    }
    out << "\nreputation level at the end of each bucket (receiver / sender: levels b=bad l=low m=medium h=high)\n";
    for (std::size_t rv = 0; rv < ts.receivers; ++rv)
        for (std::size_t s = 0; s < ts.senders; ++s) {
            out << "  " << escape_control(w.scenario.profiles[rv].name) << " / " << escape_control(w.senders[s].name) << ": ";
            for (std::size_t b = 0; b < ts.buckets; ++b) out << "blmh"[ts.level[(b * ts.receivers + rv) * ts.senders + s] & 3];
            out << "\n";
        }
    out << "\n" << report_table(r.tally, w.name, seed, {"sender", "receiving domain"});
    return out.str();
}

// `delivsim world FILE --check`: the world is valid, and what a run will generate and hold
// (estimates from load, see Plan), against the budgets.
inline std::string plan_text(const World& w, const std::string& source) {
    const Plan p = plan(w);
    char b[512];
    std::string out = escape_control(source) + ": valid world (" + std::to_string(w.senders.size()) + " senders, " +
                      std::to_string(w.lists.size()) + " lists, " + std::to_string(w.recipient_count()) + " recipients, " +
                      std::to_string(w.receivers.size()) + " receivers)\n";
    std::snprintf(b, sizeof b,
                  "messages:  %llu, in %llu epochs of %g s; with the drain at most %llu epochs (cap %llu)\n"
                  "per epoch: at most %llu new messages, about %.1f MiB (budget %.0f MiB)\n"
                  "state:     about %.1f MiB: recipients and mailboxes %.1f, retry queue at most %.1f, greylist triplets at most %.1f\n"
                  "results:   about %.1f MiB (budget %.0f MiB)\n",
                  static_cast<unsigned long long>(p.messages), static_cast<unsigned long long>(p.send_epochs), w.epoch_s,
                  static_cast<unsigned long long>(p.max_epochs), static_cast<unsigned long long>(max_epochs),
                  static_cast<unsigned long long>(p.peak_epoch_messages), p.epoch_mib, max_epoch_mib, p.state_mib(),
                  p.recipients_mib, p.queue_mib, p.greylist_mib, p.results_mib, max_results_mib);
    return out + b;
}

}  // namespace delivsim::world
