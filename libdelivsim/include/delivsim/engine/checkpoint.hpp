#pragma once
// Checkpoint files: a run's completed chunks and their merged counts, with everything that
// identifies the run (the scenario document, seed, message range, chunk size), so that a
// resumed run gives bit-identical totals and a checkpoint of another run is refused.
// Files are replaced atomically: written to a temporary file, flushed to disk, renamed; a
// symlink's target is what gets replaced, and only a regular file is ever replaced or read.
#include <delivsim/core/files.hpp>
#include <delivsim/engine/run.hpp>
#include <delivsim/results/saved.hpp>
#include <delivsim/scenario/scenario.hpp>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <fcntl.h>
#include <unistd.h>

namespace delivsim {

// /2: with the names of every axis of the counts and a CRC-32 of the whole document.
inline constexpr std::string_view checkpoint_format = "delivsim-checkpoint/2";

// Bad checkpoint paths or files: invalid input (ValueError in Python).
struct CheckpointError : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

inline void check_path(const std::string& what, const std::string& path) {
    if (path.empty()) throw CheckpointError(what + ": the path is empty");
    if (path.find('\0') != std::string::npos) throw CheckpointError(what + ": the path contains a NUL character");
}

inline json checkpoint_json(const Scenario& s, const RunOptions& o, const RunState& st) {
    json ranges = json::array();  // completed chunks as [first, end) runs
    for (const auto& [b, e] : st.done.ranges()) ranges.push_back({b, e});
    json j = {{"format", checkpoint_format},
            {"axes", tally_axes_json(s.class_names(), s.profile_names())},
            {"scenario", s.document},
            {"seed", o.seed},
            {"messages", o.messages},
            {"first_message", o.first_message},
            {"chunk", chunk_size(s, o)},
            {"completed_chunks", ranges},
            {"tally", tally_counts_json(st.tally)}};
    j["crc32"] = document_crc32(j);
    return j;
}

// The file a checkpoint at `path` will replace (the target of a symlink), checked before a
// run starts: a device node, FIFO or directory there is refused, never replaced.
inline std::string checkpoint_target(const std::string& path) {
    check_path("checkpoint", path);
    return replace_target(path, [&](const std::string& rule) -> std::string {
        throw CheckpointError("checkpoint: " + path + ": " + rule);
    });
}

// Writes `text` to `path` (to its target if it is a symlink) through a temporary file in the
// target's directory (unique per process and call, so concurrent writers never share one),
// then renames it over the target.
inline void write_file_atomically(const std::string& path, const std::string& text) {
    const std::string target = checkpoint_target(path);
    static std::atomic<unsigned> serial{0};
    const std::string tmp = target + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(serial++);
    auto fail = [&](const std::string& why) {
        std::error_code ignored;
        std::filesystem::remove(tmp, ignored);
        throw CheckpointError("checkpoint: " + path + ": cannot be written (" + why + ")");
    };
    // O_EXCL: never through something already at the temporary name.
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) fail(std::strerror(errno));
    std::FILE* f = ::fdopen(fd, "wb");
    if (!f) {
        const int saved = errno;
        ::close(fd);
        fail(std::strerror(saved));
    }
    bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size() && std::fflush(f) == 0;
    ok = ok && ::fsync(fileno(f)) == 0;  // on disk before it replaces the old one
    const int saved = errno;
    if (std::fclose(f) != 0 || !ok) fail(std::strerror(saved ? saved : errno));
    std::error_code ec;
    std::filesystem::rename(tmp, target, ec);
    if (ec) fail(ec.message());
}

inline void write_checkpoint(const std::string& path, const Scenario& s, const RunOptions& o, const RunState& st) {
    write_file_atomically(path, checkpoint_json(s, o, st).dump());
}

// The document of the checkpoint at `path` (a run's or a world's): a regular file of JSON
// with the checkpoint format tag; anything else is refused.
inline json read_checkpoint_document(const std::string& path) {
    check_path("resume", path);
    const std::string text = read_regular_file(path, max_checkpoint_file_bytes, [&](const std::string& rule) -> std::string {
        throw CheckpointError("resume: " + path + ": " + rule);
    });
    json j;
    try {
        j = json::parse(text);
    } catch (const json::exception&) {
        throw CheckpointError(path + ": is not a checkpoint file (not valid JSON)");
    } catch (const std::bad_alloc&) {
        throw CheckpointError(path + ": is too large to read into memory");
    }
    // Not an object (a JSON list, a number...) or without our format tag: not a checkpoint at all.
    if (!j.is_object() || !j.contains("format") || !j["format"].is_string() || j["format"] != checkpoint_format)
        throw CheckpointError(path + ": is not a " + std::string(checkpoint_format) + " file");
    return j;
}

// Last, so that a broken field is named first: what only the checksum can tell (a count
// moved between two cells, the total unchanged).
inline void check_checkpoint_crc(const std::string& path, const json& j) {
    const Field root(j, "");
    if (const auto crc = root["crc32"].count(); crc != document_crc32(j))
        throw CheckpointError(path + ": damaged checkpoint: its CRC-32 (" + std::to_string(crc) +
                              ") does not match its content (" + std::to_string(document_crc32(j)) + ")");
}

// Reads a checkpoint for the run (s, o); refuses one written for another scenario or options,
// and names the field of a damaged one.
inline RunState read_checkpoint(const std::string& path, const Scenario& s, const RunOptions& o) {
    const json j = read_checkpoint_document(path);
    try {
        const Field root(j, "");
        if (root.has("world"))
            throw CheckpointError(path + ": is a checkpoint of a world: resume it with delivsim world --resume");
        root.allow_keys({"format", "axes", "crc32", "scenario", "seed", "messages", "first_message", "chunk",
                         "completed_chunks", "tally"});
        if (root["axes"].raw() != tally_axes_json(s.class_names(), s.profile_names()))
            root["axes"].fail("the names of the counts' axes differ from this version's for this scenario");
        auto refuse = [&](const std::string& what, std::uint64_t theirs, std::uint64_t ours) {
            throw CheckpointError(path + ": was written for " + what + " " + std::to_string(theirs) + ", this run has " +
                                  std::to_string(ours));
        };
        if (root["scenario"].raw() != s.document) {
            const json& doc = root["scenario"].raw();
            const std::string name = doc.is_object() && doc.contains("name") && doc["name"].is_string()
                                         ? doc["name"].get<std::string>() : "?";
            throw CheckpointError(path + ": was written for a different scenario ('" + name + "' as it was then)");
        }
        if (const auto v = root["seed"].count(); v != o.seed) refuse("seed", v, o.seed);
        if (const auto v = root["messages"].count(); v != o.messages) refuse("messages", v, o.messages);
        if (const auto v = root["first_message"].count(); v != o.first_message) refuse("first_message", v, o.first_message);
        const std::uint64_t chunk = chunk_size(s, o), chunks = chunk_count(s, o);
        if (const auto v = root["chunk"].count(); v != chunk) refuse("chunk size", v, chunk);

        RunState st;
        std::uint64_t expected = 0, last_end = 0;
        for (const Field& r : root["completed_chunks"].items()) {
            const auto pair = r.items();
            if (pair.size() != 2) r.fail("is not a [first, end) pair");
            const auto b = pair[0].count(), e = pair[1].count();
            if (b >= e || e > chunks || b < last_end) r.fail("is out of order or beyond the run's " + std::to_string(chunks) + " chunks");
            last_end = e;
            st.done.insert(b, e);
            // messages in chunks [b, e): only the last chunk of the run may be short
            expected += (e - b) * chunk - (e == chunks ? chunks * chunk - o.messages : 0);
        }
        st.tally = tally_from_counts_json(root["tally"], s.class_names(), s.profile_names(), s.attempt_times);
        if (expected != st.tally.messages())
            throw CheckpointError(path + ": damaged checkpoint: tally.messages does not match completed_chunks");
        check_checkpoint_crc(path, j);
        return st;
    } catch (const ScenarioError& e) {
        throw CheckpointError(path + ": damaged checkpoint: " + e.what());
    } catch (const CheckpointError&) {
        throw;
    } catch (const std::invalid_argument& e) {  // from Tally::from_counts
        throw CheckpointError(path + ": damaged checkpoint: " + e.what());
    }
}

}  // namespace delivsim
