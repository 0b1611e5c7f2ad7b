#include "scenario_builder.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>

using namespace delivsim;

namespace {
RunOptions options() {
    RunOptions o;
    o.messages = 400000;
    o.seed = 77;
    o.threads = 2;
    o.chunk = 1000;
    return o;
}
std::string temp_path(const char* name) { return (std::filesystem::temp_directory_path() / name).string(); }
}  // namespace

TEST_CASE("a run resumed from a mid-run snapshot gives the uninterrupted totals") {
    const Scenario s = default_scenario();
    const Tally whole = run(s, options());

    // Take the first snapshot that holds some but not all chunks, then stop the run.
    RunOptions o = options();
    o.checkpoint_interval_s = 0;
    std::atomic<bool> cancel{false};
    RunState partial;
    o.cancel = &cancel;
    o.checkpoint = [&](const RunState& st) {
        if (partial.chunks_done() == 0 && st.chunks_done() > 0 && st.chunks_done() < chunk_count(s, o)) {
            partial = st;
            cancel = true;
        }
    };
    o.messages = 20'000'000;  // long enough that the first snapshot lands mid-run
    bool stopped = false;
    try {
        run(s, o);
    } catch (const Cancelled&) {
        stopped = true;
    }
    REQUIRE(stopped);
    REQUIRE(partial.chunks_done() > 0);

    RunOptions again = o;
    again.cancel = nullptr;
    again.checkpoint = nullptr;
    again.resume = &partial;
    RunOptions plain = o;
    plain.cancel = nullptr;
    plain.checkpoint = nullptr;
    CHECK(run(s, again) == run(s, plain));
    CHECK(whole.messages() == 400000);
}

TEST_CASE("checkpoint files round-trip and refuse another run's checkpoint") {
    const Scenario s = default_scenario();
    RunOptions o = options();
    RunState last;
    o.checkpoint = [&](const RunState& st) { last = st; };
    const Tally t = run(s, o);
    CHECK(last.tally == t);
    CHECK(last.chunks_done() == chunk_count(s, o));

    const std::string path = temp_path("delivsim_test_checkpoint.json");
    write_checkpoint(path, s, o, last);
    for (const auto& f : std::filesystem::directory_iterator(std::filesystem::path(path).parent_path()))
        CHECK(f.path().filename().string().rfind("delivsim_test_checkpoint.json.tmp", 0) != 0);  // no temporary left
    const RunState back = read_checkpoint(path, s, o);
    CHECK(back.tally == last.tally);
    CHECK(back.done == last.done);

    RunOptions other_seed = o;
    other_seed.seed = 78;
    CHECK_THROWS_WITH_AS(read_checkpoint(path, s, other_seed),
                         (path + ": was written for seed 77, this run has 78").c_str(), CheckpointError);
    json edited = s.document;
    edited["name"] = "edited";
    const Scenario other = parse_scenario(edited);
    CHECK_THROWS_WITH_AS(read_checkpoint(path, other, o), doctest::Contains("was written for a different scenario"),
                         CheckpointError);
    write_file_atomically(path, "{\"format\": \"something else\"}");
    CHECK_THROWS_AS(read_checkpoint(path, s, o), CheckpointError);
    json damaged = checkpoint_json(s, o, last);
    damaged["tally"]["outcome"][2] = "many";
    write_file_atomically(path, damaged.dump());
    CHECK_THROWS_WITH_AS(read_checkpoint(path, s, o), doctest::Contains("damaged checkpoint: tally.outcome[2]: \"many\" is not a number"),
                         CheckpointError);
    std::filesystem::remove(path);
    CHECK_THROWS_WITH_AS(write_checkpoint("/nonexistent-dir/x.ckpt", s, o, last),
                         doctest::Contains("checkpoint: /nonexistent-dir/x.ckpt: cannot be written (No such file or directory)"),
                         CheckpointError);
}
