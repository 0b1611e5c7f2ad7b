#pragma once
// What saved results (checkpoints, pickled tallies) carry so that they are trusted again only
// when intact: the names along every axis of their counts, and a CRC-32 (core/checksum.hpp).
// A file with other axes (classes of another scenario, outcomes renumbered by another version)
// or a changed count (one moved between two cells, a vector rotated) is refused, not misread.
#include <delivsim/core/checksum.hpp>
#include <delivsim/results/tally.hpp>
#include <delivsim/core/json.hpp>

#include <string>
#include <vector>

namespace delivsim {

inline json tally_axes_json(const std::vector<std::string>& classes, const std::vector<std::string>& profiles) {
    auto names = [](const auto& a) { return std::vector<std::string>(a.begin(), a.end()); };
    return {{"classes", classes},
            {"profiles", profiles},
            {"outcome", names(outcome_names)},
            {"status", names(status_names)},
            {"responsible", names(responsible_names)},
            {"stage", names(stage_names)}};
}

// The CRC-32 of a document without its "crc32" member (nlohmann's dump is canonical: keys sorted).
inline std::uint32_t document_crc32(json j) {
    if (j.is_object()) j.erase("crc32");
    return crc32_of(j.dump());
}

// A tally's counts as a checkpoint holds them (its axes are stored apart: tally_axes_json).
inline json tally_counts_json(const Tally& t) {
    const auto c = t.counts();
    return {{"messages", c.messages}, {"outcome", c.outcome}, {"status", c.status}, {"responsible", c.responsible},
            {"stage", c.stage}, {"class_decided_at", c.class_decided_at}, {"profile_decided_at", c.profile_decided_at}};
}

// The inverse of tally_counts_json for a tally with these axes; the field is named when a
// count is not one (ScenarioError), the vectors' lengths are checked (std::invalid_argument).
inline Tally tally_from_counts_json(const Field& t, std::vector<std::string> classes, std::vector<std::string> profiles,
                                    std::vector<double> attempt_times) {
    t.allow_keys({"messages", "outcome", "status", "responsible", "stage", "class_decided_at", "profile_decided_at"});
    auto counts = [&](const char* key) {
        std::vector<std::uint64_t> v;
        for (const Field& x : t[key].items()) v.push_back(x.count());
        return v;
    };
    return Tally::from_counts(std::move(classes), std::move(profiles), std::move(attempt_times),
                              {t["messages"].count(), counts("outcome"), counts("status"), counts("responsible"),
                               counts("stage"), counts("class_decided_at"), counts("profile_decided_at")});
}

// The CRC-32 of a tally: its axes, attempt times and every count.
inline std::uint32_t tally_crc32(const Tally& t) {
    const auto c = t.counts();
    return document_crc32({{"axes", tally_axes_json(t.classes(), t.profiles())},
                           {"attempt_times", t.attempt_times()},
                           {"messages", c.messages},
                           {"outcome", c.outcome},
                           {"status", c.status},
                           {"responsible", c.responsible},
                           {"stage", c.stage},
                           {"class_decided_at", c.class_decided_at},
                           {"profile_decided_at", c.profile_decided_at}});
}

}  // namespace delivsim
