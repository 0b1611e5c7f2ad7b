#pragma once
// Checkpoint files: a run's completed chunks and their merged counts, with everything that
// identifies the run (the scenario document, seed, message range, chunk size), so that a
// resumed run gives bit-identical totals and a checkpoint of another run is refused.
// Files are replaced atomically: written to a temporary file, flushed to disk, renamed.
#include <delivsim/engine/run.hpp>
#include <delivsim/scenario/scenario.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

namespace delivsim {

inline constexpr std::string_view checkpoint_format = "delivsim-checkpoint/1";

struct CheckpointError : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

inline json checkpoint_json(const Scenario& s, const RunOptions& o, const RunState& st) {
    json ranges = json::array();  // completed chunks as [first, end) runs
    for (std::size_t c = 0; c < st.chunk_done.size();) {
        if (!st.chunk_done[c]) { ++c; continue; }
        std::size_t e = c;
        while (e < st.chunk_done.size() && st.chunk_done[e]) ++e;
        ranges.push_back({c, e});
        c = e;
    }
    const auto counts = st.tally.counts();
    return {{"format", checkpoint_format},
            {"scenario", s.document},
            {"seed", o.seed},
            {"messages", o.messages},
            {"first_message", o.first_message},
            {"chunk", chunk_size(s, o)},
            {"completed_chunks", ranges},
            {"tally",
             {{"messages", counts.messages}, {"outcome", counts.outcome}, {"status", counts.status},
              {"responsible", counts.responsible}, {"stage", counts.stage},
              {"class_decided_at", counts.class_decided_at}, {"profile_decided_at", counts.profile_decided_at}}}};
}

inline void write_file_atomically(const std::string& path, const std::string& text) {
    const std::string tmp = path + ".tmp";
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) throw std::runtime_error(tmp + ": cannot be opened for writing");
    const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size() && std::fflush(f) == 0;
#if defined(__unix__) || defined(__APPLE__)
    const bool synced = ok && ::fsync(fileno(f)) == 0;  // on disk before it replaces the old one
#else
    const bool synced = ok;
#endif
    if (std::fclose(f) != 0 || !synced) throw std::runtime_error(tmp + ": write failed");
    std::filesystem::rename(tmp, path);
}

inline void write_checkpoint(const std::string& path, const Scenario& s, const RunOptions& o, const RunState& st) {
    write_file_atomically(path, checkpoint_json(s, o, st).dump());
}

// Reads a checkpoint for the run (s, o); refuses one written for another scenario or options.
inline RunState read_checkpoint(const std::string& path, const Scenario& s, const RunOptions& o) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw CheckpointError(path + ": cannot be opened for reading");
    std::stringstream text;
    text << in.rdbuf();
    json j;
    try {
        j = json::parse(text.str());
    } catch (const json::exception&) {
        throw CheckpointError(path + ": is not a checkpoint file (not valid JSON)");
    }
    try {
        if (!j.is_object() || j.value("format", "") != checkpoint_format)
            throw CheckpointError(path + ": is not a " + std::string(checkpoint_format) + " file");
        auto refuse = [&](const std::string& what, const json& theirs, const json& ours) {
            throw CheckpointError(path + ": was written for " + what + " " + theirs.dump() + ", this run has " + ours.dump());
        };
        if (j.at("scenario") != s.document)
            throw CheckpointError(path + ": was written for a different scenario ('" +
                                  j.at("scenario").value("name", std::string("?")) + "' as it was then)");
        if (j.at("seed") != o.seed) refuse("seed", j.at("seed"), o.seed);
        if (j.at("messages") != o.messages) refuse("messages", j.at("messages"), o.messages);
        if (j.at("first_message") != o.first_message) refuse("first_message", j.at("first_message"), o.first_message);
        const std::uint64_t chunk = chunk_size(s, o);
        if (j.at("chunk") != chunk) refuse("chunk size", j.at("chunk"), chunk);
        RunState st;
        st.chunk_done.assign(chunk_count(s, o), false);
        for (const auto& r : j.at("completed_chunks")) {
            const auto b = r.at(0).get<std::uint64_t>(), e = r.at(1).get<std::uint64_t>();
            if (b >= e || e > st.chunk_done.size()) throw CheckpointError(path + ": completed_chunks out of range");
            for (auto c = b; c < e; ++c) st.chunk_done[c] = true;
        }
        const json& t = j.at("tally");
        st.tally = Tally::from_counts(
            s.class_names(), s.profile_names(), s.attempt_times,
            {t.at("messages").get<std::uint64_t>(), t.at("outcome").get<std::vector<std::uint64_t>>(),
             t.at("status").get<std::vector<std::uint64_t>>(), t.at("responsible").get<std::vector<std::uint64_t>>(),
             t.at("stage").get<std::vector<std::uint64_t>>(), t.at("class_decided_at").get<std::vector<std::uint64_t>>(),
             t.at("profile_decided_at").get<std::vector<std::uint64_t>>()});
        std::uint64_t expected = 0;
        for (std::uint64_t c = 0; c < st.chunk_done.size(); ++c)
            if (st.chunk_done[c]) expected += std::min(chunk, o.messages - c * chunk);
        if (expected != st.tally.messages())
            throw CheckpointError(path + ": its counts do not match its completed chunks");
        return st;
    } catch (const json::exception& e) {
        throw CheckpointError(path + ": damaged checkpoint (" + std::string(e.what()) + ")");
    } catch (const CheckpointError&) {
        throw;
    } catch (const std::invalid_argument& e) {
        throw CheckpointError(path + ": damaged checkpoint (" + std::string(e.what()) + ")");
    }
}

}  // namespace delivsim
