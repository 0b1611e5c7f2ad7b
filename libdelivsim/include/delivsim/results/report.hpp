#pragma once
// What a run reports: counts and rates (with 95% Wilson intervals) of each outcome overall,
// by sender class and by profile; bounces by enhanced status code; who was responsible;
// the acceptance-time quantiles and histogram. As JSON, and as a readable table.
#include <delivsim/results/tally.hpp>
#include <delivsim/results/wilson.hpp>
#include <delivsim/scenario/field.hpp>

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
    json resp = json::object(), stages = json::object();
    for (std::size_t r = 0; r < responsible_count; ++r) resp[responsible_names[r]] = t.responsible(static_cast<Responsible>(r));
    for (std::size_t s = 1; s < stage_count; ++s) stages[stage_names[s]] = t.stage(static_cast<Stage>(s));
    j["responsible"] = resp;
    j["deciding_stage"] = stages;
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
    out << "\nwho was responsible for mail that missed the inbox\n";
    for (std::size_t r = 1; r < responsible_count; ++r) {
        const auto k = t.responsible(static_cast<Responsible>(r));
        std::snprintf(line, sizeof line, "  %-22s %12llu %8.4f%%\n", std::string(responsible_names[r]).c_str(),
                      static_cast<unsigned long long>(k), n > 0 ? 100.0 * static_cast<double>(k) / n : 0.0);
        out << line;
    }
    const json q = quantiles_json(t);
    out << "\nacceptance time (s) p50 " << q["p50"].dump() << ", p90 " << q["p90"].dump() << ", p99 "
        << q["p99"].dump() << "\n";
    return out.str();
}

}  // namespace delivsim
