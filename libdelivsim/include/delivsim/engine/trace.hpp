#pragma once
// Sampled message traces: the first `limit` messages of a run (in index order) whose fate
// matches a filter, each explained exactly as in the full run (engine/explain.hpp). The scan
// runs on the one runner; which messages match does not depend on the thread count.
#include <delivsim/engine/explain.hpp>
#include <delivsim/engine/run.hpp>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace delivsim {

// What a traced message must match; an empty field matches anything.
struct TraceFilter {
    std::optional<Outcome> outcome;
    std::optional<std::uint32_t> sender_class, profile;
    std::optional<Responsible> responsible;
    std::optional<Stage> stage;
    std::optional<bool> legit;
    std::optional<Notice> notice;

    bool matches(const Message& m, const Fate& f, double delay_warning_s) const noexcept {
        return (!outcome || f.outcome == *outcome) && (!sender_class || m.sender_class == *sender_class) &&
               (!profile || m.profile == *profile) && (!responsible || f.responsible == *responsible) &&
               (!stage || f.stage == *stage) && (!legit || m.legit == *legit) &&
               (!notice || notice_of(f, delay_warning_s).how == *notice);
    }
};

// The keys a filter understands, as `where` names them.
inline constexpr std::array<std::string_view, 7> trace_where_keys{"outcome", "sender_class", "profile", "responsible",
                                                                  "stage", "truth", "notice"};

// A filter from (key, value) pairs of names; an unknown key or value throws
// std::invalid_argument naming it ("where.<key>") and the valid ones.
inline TraceFilter parse_where(const std::vector<std::pair<std::string, std::string>>& where, const Scenario& s) {
    TraceFilter f;
    auto index = [](const std::string& key, const std::string& value, const auto& names) {
        std::string valid;
        for (std::size_t i = 0; i < std::size(names); ++i) {
            if (names[i] == value) return i;
            valid += (valid.empty() ? "" : ", ") + std::string(names[i]);
        }
        throw std::invalid_argument("where." + key + ": unknown value '" + value + "' (valid: " + valid + ")");
    };
    for (const auto& [key, value] : where) {
        if (key == "outcome") f.outcome = static_cast<Outcome>(index(key, value, outcome_names));
        else if (key == "sender_class") f.sender_class = static_cast<std::uint32_t>(index(key, value, s.class_names()));
        else if (key == "profile") f.profile = static_cast<std::uint32_t>(index(key, value, s.profile_names()));
        else if (key == "responsible") f.responsible = static_cast<Responsible>(index(key, value, responsible_names));
        else if (key == "stage") f.stage = static_cast<Stage>(index(key, value, stage_names));
        else if (key == "truth") f.legit = index(key, value, std::array<std::string_view, 2>{"legitimate", "spam"}) == 0;
        else if (key == "notice") f.notice = static_cast<Notice>(index(key, value, notice_names));
        else {
            std::string valid;
            for (auto k : trace_where_keys) valid += (valid.empty() ? "" : ", ") + std::string(k);
            throw std::invalid_argument("where: unknown key '" + key + "' (valid: " + valid + ")");
        }
    }
    return f;
}

// The indices of the first `limit` messages of [o.first_message, o.first_message + o.messages)
// whose fate matches `filter`, in index order.
inline std::vector<std::uint64_t> trace_indices(const Scenario& s, const RunOptions& o, const TraceFilter& filter,
                                                std::uint64_t limit) {
    validate(o);
    const std::uint64_t chunk = chunk_size(s, o), chunks = chunk_count(s, o);
    std::vector<std::uint64_t> found;
    const double w = s.retry.delay_warning_s;
    detail::run_chunks(
        o, chunk, chunks, ChunkSet{}, 0, [] { return std::vector<std::uint64_t>(); },
        [&](std::vector<std::uint64_t>& scratch, std::uint64_t first, std::uint64_t count) {
            for (std::uint64_t i = first; i < first + count && scratch.size() < limit; ++i) {
                MessageRng rng(o.seed, i);
                const Message m = draw_message(s, rng);
                if (filter.matches(m, deliver(s, m, rng), w)) scratch.push_back(i);
            }
        },
        [&](std::uint64_t, const std::vector<std::uint64_t>& scratch) {
            found.insert(found.end(), scratch.begin(), scratch.end());
        },
        [&] { return found; }, [](const std::vector<std::uint64_t>&) {});
    if (o.cancelled()) throw Cancelled();
    std::sort(found.begin(), found.end());
    if (found.size() > limit) found.resize(limit);
    return found;
}

// The traced messages, each as explain's JSON (engine/explain.hpp).
inline json trace_json(const Scenario& s, const RunOptions& o, const TraceFilter& filter, std::uint64_t limit) {
    json rows = json::array();
    for (const std::uint64_t i : trace_indices(s, o, filter, limit)) rows.push_back(explain(s, o.seed, i).to_json(s));
    return rows;
}

}  // namespace delivsim
