#pragma once
// What a run reports: counts and rates (with 95% Wilson intervals) of each outcome overall,
// by sender class and by profile; bounces by enhanced status code; who was responsible;
// the acceptance-time quantiles and histogram. As JSON, and as a readable table.
#include <delivsim/results/tally.hpp>
#include <delivsim/results/wilson.hpp>
#include <delivsim/core/json.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <optional>
#include <sstream>
#include <string>

namespace delivsim {

// The q-quantile of a histogram over attempt times, read off the discrete distribution
// without interpolation: the smallest t whose cumulative count is at least q * total.
inline std::optional<double> histogram_quantile(const std::vector<std::uint64_t>& counts,
                                                const std::vector<double>& times, double q) {
    std::uint64_t total = 0;
    for (auto c : counts) total += c;
    if (total == 0) return std::nullopt;
    const double need = q * static_cast<double>(total);
    std::uint64_t cum = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
        cum += counts[i];
        if (static_cast<double>(cum) >= need && cum > 0) return times[i];
    }
    return times.back();
}

// Bounce counts per enhanced status code (two replies may share one code).
inline std::map<std::string, std::uint64_t> bounces_by_code(const Tally& t, std::size_t cls = Tally::all,
                                                            std::size_t prof = Tally::all) {
    std::map<std::string, std::uint64_t> out;
    for (std::size_t s = 1; s < status_count; ++s) {
        const auto st = static_cast<Status>(s);
        if (info(st).enhanced[0] == '4' && st != Status::expired) continue;  // temporary: never final
        const auto n = t.status(st, cls, prof);
        if (n > 0) out[std::string(info(st).enhanced)] += n;
    }
    return out;
}

inline json outcome_counts_json(const Tally& t, std::size_t cls = Tally::all, std::size_t prof = Tally::all) {
    json j = json::object();
    for (std::size_t o = 0; o < outcome_count; ++o) j[outcome_names[o]] = t.outcome(static_cast<Outcome>(o), cls, prof);
    return j;
}

inline json rates_json(const Tally& t, std::size_t cls = Tally::all, std::size_t prof = Tally::all) {
    std::uint64_t n = 0;
    for (std::size_t o = 0; o < outcome_count; ++o) n += t.outcome(static_cast<Outcome>(o), cls, prof);
    json j = json::object();
    for (std::size_t o = 0; o < outcome_count; ++o) {
        const Rate r = wilson(t.outcome(static_cast<Outcome>(o), cls, prof), n);
        j[outcome_names[o]] = {{"rate", r.rate}, {"ci95", {r.lo, r.hi}}};
    }
    return j;
}

inline json quantiles_json(const Tally& t) {
    const auto h = t.acceptance_histogram();
    json j = json::object();
    for (auto [key, q] : {std::pair{"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}}) {
        const auto v = histogram_quantile(h, t.attempt_times(), q);
        j[key] = v ? json(*v) : json(nullptr);
    }
    return j;
}

// The truth groups of a report, in order: legitimate mail, then spam.
inline constexpr std::array<std::string_view, 2> truth_names{"legitimate", "spam"};

// Sum of `count(cls)` over the classes of one truth (legit or spam).
template <class Count>
std::uint64_t sum_by_truth(const Tally& t, bool legit, Count&& count) {
    std::uint64_t n = 0;
    for (std::size_t c = 0; c < t.classes().size(); ++c)
        if (t.knows_truth() && t.legit()[c] == legit) n += count(c);
    return n;
}

// How senders first learn of their messages (core/outcome.hpp notice_of), for one class and/or
// profile (not both: decision times are kept by class and by profile), counted from the
// decision times: a message decided after the delay warning was warned first, a bounce decided
// before it (or without one) told by its bounce, the rest never.
struct NoticeCounts {
    std::array<std::uint64_t, notice_count> count{};
    // First-notice times and how many messages were told at each, in time order.
    std::vector<std::pair<double, std::uint64_t>> told_at;
};
inline NoticeCounts notice_counts(const Tally& t, std::size_t cls = Tally::all, std::size_t prof = Tally::all) {
    NoticeCounts n;
    const auto& times = t.attempt_times();
    const double w = t.delay_warning_s();
    std::uint64_t warned = 0;
    for (std::size_t i = 0; i < times.size(); ++i) {
        const Fate decided{Outcome::inbox, Status::none, Responsible::none, Stage::delivery,
                           static_cast<std::uint32_t>(i), times[i]};
        if (delay_warned(decided, w)) {
            for (std::size_t o = 0; o < outcome_count; ++o) warned += t.decided_at(static_cast<Outcome>(o), i, cls, prof);
        } else if (const auto b = t.decided_at(Outcome::bounced, i, cls, prof); b > 0) {
            n.count[static_cast<std::size_t>(Notice::bounce)] += b;
            n.told_at.emplace_back(times[i], b);
        }
    }
    n.count[static_cast<std::size_t>(Notice::delay_warning)] = warned;
    if (warned > 0) n.told_at.emplace_back(w, warned);
    std::sort(n.told_at.begin(), n.told_at.end());
    n.count[static_cast<std::size_t>(Notice::never)] = t.messages_in(cls, prof) - warned -
                                                       n.count[static_cast<std::size_t>(Notice::bounce)];
    return n;
}

// {"never": n, "bounce": n, "delay_warning": n, "time_to_notice_s": {p50, p90, p99 of the told}}
inline json notice_json(const NoticeCounts& n) {
    json j = json::object();
    for (std::size_t k = 0; k < notice_count; ++k) j[notice_names[k]] = n.count[k];
    std::uint64_t told = 0;
    for (const auto& [time, k] : n.told_at) told += k;
    json q = json::object();
    for (auto [key, p] : {std::pair{"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}}) {
        std::uint64_t cum = 0;
        json v = nullptr;
        for (const auto& [time, k] : n.told_at) {
            cum += k;
            if (static_cast<double>(cum) >= p * static_cast<double>(told)) {
                v = time;
                break;
            }
        }
        q[key] = v;
    }
    j["time_to_notice_s"] = q;
    return j;
}

inline json notice_by_truth_json(const Tally& t) {
    json j = json::object();
    for (bool legit : {true, false}) {
        NoticeCounts sum;
        std::map<double, std::uint64_t> at;
        for (std::size_t c = 0; c < t.classes().size(); ++c) {
            if (t.legit()[c] != legit) continue;
            const NoticeCounts n = notice_counts(t, c);
            for (std::size_t k = 0; k < notice_count; ++k) sum.count[k] += n.count[k];
            for (const auto& [time, k] : n.told_at) at[time] += k;
        }
        sum.told_at.assign(at.begin(), at.end());
        j[truth_names[legit ? 0 : 1]] = notice_json(sum);
    }
    return j;
}

inline json responsible_json(const Tally& t, std::size_t cls = Tally::all, std::size_t prof = Tally::all) {
    json j = json::object();
    for (std::size_t r = 0; r < responsible_count; ++r) j[responsible_names[r]] = t.responsible(static_cast<Responsible>(r), cls, prof);
    return j;
}
inline json stages_json(const Tally& t, std::size_t cls = Tally::all, std::size_t prof = Tally::all) {
    json j = json::object();
    for (std::size_t s = 1; s < stage_count; ++s) j[stage_names[s]] = t.stage(static_cast<Stage>(s), cls, prof);
    return j;
}

inline json report_json(const Tally& t, const std::string& scenario, std::uint64_t seed) {
    json j;
    j["scenario"] = scenario;
    j["seed"] = seed;
    j["messages"] = t.messages();
    j["outcomes"] = outcome_counts_json(t);
    j["rates"] = rates_json(t);
    j["bounces"] = bounces_by_code(t);
    {
        std::uint64_t told = t.outcome(Outcome::bounced);
        const Rate r = wilson(told, t.messages());
        j["sender_told"] = {{"count", told}, {"rate", r.rate}, {"ci95", {r.lo, r.hi}}};
    }
    for (std::size_t c = 0; c < t.classes().size(); ++c) {
        j["by_class"][t.classes()[c]] = outcome_counts_json(t, c);
        j["rates_by_class"][t.classes()[c]] = rates_json(t, c);
        j["bounces_by_class"][t.classes()[c]] = bounces_by_code(t, c);
    }
    for (std::size_t p = 0; p < t.profiles().size(); ++p) {
        j["by_profile"][t.profiles()[p]] = outcome_counts_json(t, Tally::all, p);
        j["rates_by_profile"][t.profiles()[p]] = rates_json(t, Tally::all, p);
        j["bounces_by_profile"][t.profiles()[p]] = bounces_by_code(t, Tally::all, p);
    }
    for (std::size_t c = 0; c < t.classes().size(); ++c)
        for (std::size_t p = 0; p < t.profiles().size(); ++p)
            j["by_class_profile"][t.classes()[c]][t.profiles()[p]] = outcome_counts_json(t, c, p);  // nested: names may hold any character
    j["responsible"] = responsible_json(t);
    j["deciding_stage"] = stages_json(t);
    for (std::size_t c = 0; c < t.classes().size(); ++c) {
        j["responsible_by_class"][t.classes()[c]] = responsible_json(t, c);
        j["deciding_stage_by_class"][t.classes()[c]] = stages_json(t, c);
        j["notice_by_class"][t.classes()[c]] = notice_json(notice_counts(t, c));
    }
    for (std::size_t p = 0; p < t.profiles().size(); ++p) {
        j["responsible_by_profile"][t.profiles()[p]] = responsible_json(t, Tally::all, p);
        j["notice_by_profile"][t.profiles()[p]] = notice_json(notice_counts(t, Tally::all, p));
    }
    j["notice"] = notice_json(notice_counts(t));
    j["delay_warning_s"] = t.delay_warning_s();
    // Legitimate mail and spam apart: a correctly refused spam message is not a delivery failure.
    if (t.knows_truth()) {
        for (bool legit : {true, false}) {
            const std::string_view key = truth_names[legit ? 0 : 1];
            json outcomes = json::object(), resp = json::object(), stages = json::object();
            for (std::size_t o = 0; o < outcome_count; ++o)
                outcomes[outcome_names[o]] = sum_by_truth(t, legit, [&](std::size_t c) { return t.outcome(static_cast<Outcome>(o), c); });
            for (std::size_t r = 0; r < responsible_count; ++r)
                resp[responsible_names[r]] = sum_by_truth(t, legit, [&](std::size_t c) { return t.responsible(static_cast<Responsible>(r), c); });
            for (std::size_t st = 1; st < stage_count; ++st)
                stages[stage_names[st]] = sum_by_truth(t, legit, [&](std::size_t c) { return t.stage(static_cast<Stage>(st), c); });
            j["by_truth"][key] = outcomes;
            j["responsible_by_truth"][key] = resp;
            j["deciding_stage_by_truth"][key] = stages;
        }
        j["notice_by_truth"] = notice_by_truth_json(t);
        json truth = json::object();
        for (std::size_t c = 0; c < t.classes().size(); ++c) truth[t.classes()[c]] = t.legit()[c] ? "legitimate" : "spam";
        j["truth_of_class"] = truth;
    }
    j["acceptance_time_s"] = quantiles_json(t);
    j["attempt_times_s"] = t.attempt_times();
    j["acceptance_time_histogram"] = t.acceptance_histogram();
    std::vector<std::uint64_t> bounce_latency(t.attempt_times().size());
    for (std::size_t i = 0; i < bounce_latency.size(); ++i) bounce_latency[i] = t.decided_at(Outcome::bounced, i);
    j["bounce_time_histogram"] = bounce_latency;
    return j;
}

// The human summary printed by `delivsim run`.
// `axes`: what the tally's classes and profiles are (a world's rows are senders and
// receiving domains).
struct ReportAxes {
    const char* classes = "sender class";
    const char* profiles = "recipient profile";
};

inline std::string report_table(const Tally& t, const std::string& scenario, std::uint64_t seed, ReportAxes axes = {}) {
    std::ostringstream out;
    char line[256];
    const double n = static_cast<double>(t.messages());
    // Names are shown escaped (as in error messages): an ESC, CR or LF in a name must not
    // reach the terminal raw or break the table.
    out << "scenario " << escape_control(scenario) << ", seed " << seed << ", " << t.messages() << " messages\n\n";
    std::snprintf(line, sizeof line, "%-14s %12s %9s   %-19s %s\n", "outcome", "messages", "rate", "95% CI", "sender told?");
    out << line;
    for (std::size_t o = 0; o < outcome_count; ++o) {
        const auto oc = static_cast<Outcome>(o);
        const Rate r = wilson(t.outcome(oc), t.messages());
        std::snprintf(line, sizeof line, "%-14s %12llu %8.4f%%   [%7.4f, %7.4f]%%  %s\n",
                      std::string(outcome_names[o]).c_str(), static_cast<unsigned long long>(t.outcome(oc)),
                      100 * r.rate, 100 * r.lo, 100 * r.hi, sender_told(oc) ? "yes (bounce)" : "no");
        out << line;
    }
    out << "\nbounces by code\n";
    for (const auto& [code, k] : bounces_by_code(t)) {
        std::snprintf(line, sizeof line, "  %-8s %12llu %8.4f%%\n", code.c_str(), static_cast<unsigned long long>(k),
                      n > 0 ? 100.0 * static_cast<double>(k) / n : 0.0);
        out << line;
    }
    auto breakdown = [&](const char* title, const std::vector<std::string>& names, bool by_class) {
        out << "\n" << title << " (% of that group's messages)\n";
        std::snprintf(line, sizeof line, "  %-8s %12s", "", "messages");
        out << line;
        for (auto nm : outcome_names) {
            std::snprintf(line, sizeof line, " %13s", std::string(nm).c_str());
            out << line;
        }
        out << "\n";
        for (std::size_t g = 0; g < names.size(); ++g) {
            const std::size_t c = by_class ? g : Tally::all, p = by_class ? Tally::all : g;
            std::uint64_t total = 0;
            for (std::size_t o = 0; o < outcome_count; ++o) total += t.outcome(static_cast<Outcome>(o), c, p);
            std::snprintf(line, sizeof line, "  %-8s %12llu", escape_control(names[g]).c_str(), static_cast<unsigned long long>(total));
            out << line;
            for (std::size_t o = 0; o < outcome_count; ++o) {
                const double share = total ? 100.0 * static_cast<double>(t.outcome(static_cast<Outcome>(o), c, p)) / static_cast<double>(total) : 0.0;
                std::snprintf(line, sizeof line, " %12.3f%%", share);
                out << line;
            }
            out << "\n";
        }
    };
    breakdown(("by " + std::string(axes.classes)).c_str(), t.classes(), true);
    breakdown(("by " + std::string(axes.profiles)).c_str(), t.profiles(), false);
    if (t.knows_truth()) {
        // Legitimate mail and spam apart, as shares of each.
        const std::uint64_t legit_n = sum_by_truth(t, true, [&](std::size_t c) { return t.messages_in(c); });
        const std::uint64_t spam_n = t.messages() - legit_n;
        out << "\nby truth (% of that group's messages)\n";
        std::snprintf(line, sizeof line, "  %-10s %12s", "", "messages");
        out << line;
        for (auto nm : outcome_names) {
            std::snprintf(line, sizeof line, " %13s", std::string(nm).c_str());
            out << line;
        }
        out << "\n";
        for (bool legit : {true, false}) {
            const std::uint64_t total = legit ? legit_n : spam_n;
            std::snprintf(line, sizeof line, "  %-10s %12llu", std::string(truth_names[legit ? 0 : 1]).c_str(),
                          static_cast<unsigned long long>(total));
            out << line;
            for (std::size_t o = 0; o < outcome_count; ++o) {
                const auto k = sum_by_truth(t, legit, [&](std::size_t c) { return t.outcome(static_cast<Outcome>(o), c); });
                std::snprintf(line, sizeof line, " %12.3f%%", total ? 100.0 * static_cast<double>(k) / static_cast<double>(total) : 0.0);
                out << line;
            }
            out << "\n";
        }
        const double ln = static_cast<double>(legit_n);
        out << "\nwho was responsible for legitimate mail that missed the inbox (% of legitimate mail)\n";
        for (std::size_t r = 1; r < responsible_count; ++r) {
            const auto k = sum_by_truth(t, true, [&](std::size_t c) { return t.responsible(static_cast<Responsible>(r), c); });
            std::snprintf(line, sizeof line, "  %-22s %12llu %8.4f%%\n", std::string(responsible_names[r]).c_str(),
                          static_cast<unsigned long long>(k), ln > 0 ? 100.0 * static_cast<double>(k) / ln : 0.0);
            out << line;
        }
        const auto spam_missed = spam_n - sum_by_truth(t, false, [&](std::size_t c) { return t.outcome(Outcome::inbox, c); });
        std::snprintf(line, sizeof line, "  %-22s %12llu %8.4f%% of spam\n", "spam kept out (all)",
                      static_cast<unsigned long long>(spam_missed),
                      spam_n > 0 ? 100.0 * static_cast<double>(spam_missed) / static_cast<double>(spam_n) : 0.0);
        out << line;
        const json told = notice_by_truth_json(t)["legitimate"];
        out << "\nhow the sender of legitimate mail first learns (% of legitimate mail)\n";
        for (std::size_t k = 0; k < notice_count; ++k) {
            const auto c = told[notice_names[k]].get<std::uint64_t>();
            std::snprintf(line, sizeof line, "  %-22s %12llu %8.4f%%\n", std::string(notice_names[k]).c_str(),
                          static_cast<unsigned long long>(c), ln > 0 ? 100.0 * static_cast<double>(c) / ln : 0.0);
            out << line;
        }
        out << "  time to notice (s) p50 " << told["time_to_notice_s"]["p50"].dump() << ", p90 "
            << told["time_to_notice_s"]["p90"].dump() << (t.delay_warning_s() > 0 ? "" : " (no delay warnings: retry.delay_warning_s is 0)") << "\n";
    } else {
        out << "\nwho was responsible for mail that missed the inbox\n";
        for (std::size_t r = 1; r < responsible_count; ++r) {
            const auto k = t.responsible(static_cast<Responsible>(r));
            std::snprintf(line, sizeof line, "  %-22s %12llu %8.4f%%\n", std::string(responsible_names[r]).c_str(),
                          static_cast<unsigned long long>(k), n > 0 ? 100.0 * static_cast<double>(k) / n : 0.0);
            out << line;
        }
    }
    const json q = quantiles_json(t);
    out << "\nacceptance time (s) p50 " << q["p50"].dump() << ", p90 " << q["p90"].dump() << ", p99 "
        << q["p99"].dump() << "\n";
    return out.str();
}

}  // namespace delivsim
