#include "scenario_builder.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>

#include <sys/stat.h>
#include <unistd.h>

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

namespace {
// A fresh private directory under the system's temporary directory.
std::filesystem::path private_dir(const char* name) {
    const auto d = std::filesystem::temp_directory_path() / (std::string(name) + "." + std::to_string(::getpid()));
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    return d;
}
std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const CheckpointError& e) {
        return e.what();
    }
    return "no error";
}
}  // namespace

TEST_CASE("a checkpoint never replaces a FIFO or a directory, and writes through a symlink to its target") {
    namespace fs = std::filesystem;
    const auto dir = private_dir("delivsim_ckpt_paths");
    const Scenario s = default_scenario();
    RunOptions o = options();
    o.messages = 2000;
    RunState st;
    o.checkpoint = [&](const RunState& x) { st = x; };
    run(s, o);

    const std::string fifo = (dir / "pipe").string();
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CHECK(error_of([&] { write_checkpoint(fifo, s, o, st); }) ==
          "checkpoint: " + fifo + ": is a FIFO (named pipe), not a regular file: refusing to replace it");
    CHECK(fs::is_fifo(fs::symlink_status(fifo)));
    // Reading one refuses at once instead of blocking for a writer.
    CHECK(error_of([&] { read_checkpoint(fifo, s, o); }) == "resume: " + fifo + ": is a FIFO (named pipe), not a regular file");

    CHECK(error_of([&] { write_checkpoint(dir.string(), s, o, st); }).ends_with("is a directory, not a regular file: refusing to replace it"));

    // A symlink to a FIFO is refused too, and stays.
    const auto to_fifo = dir / "to_pipe";
    fs::create_symlink("pipe", to_fifo);
    CHECK(error_of([&] { write_checkpoint(to_fifo.string(), s, o, st); }).ends_with(
          "is a FIFO (named pipe) (through a symbolic link), not a regular file: refusing to replace it"));
    CHECK(fs::is_symlink(fs::symlink_status(to_fifo)));
    CHECK(fs::is_fifo(fs::symlink_status(fifo)));

    // A symlink (relative, through a second link) to a checkpoint: the target is rewritten,
    // the links stay links, and resuming through them reads the new data.
    fs::create_directories(dir / "store");
    const auto target = dir / "store" / "run.ckpt";
    { std::ofstream(target) << "stale"; }
    fs::create_symlink("store/run.ckpt", dir / "link1");
    fs::create_symlink(dir / "link1", dir / "link2");
    write_checkpoint((dir / "link2").string(), s, o, st);
    CHECK(fs::is_symlink(fs::symlink_status(dir / "link1")));
    CHECK(fs::is_symlink(fs::symlink_status(dir / "link2")));
    CHECK(fs::is_regular_file(fs::symlink_status(target)));
    CHECK(read_checkpoint((dir / "link2").string(), s, o).tally == st.tally);
    std::size_t files = 0;
    for (const auto& e : fs::directory_iterator(dir / "store")) files += e.path().filename() == "run.ckpt" ? 1 : 100;
    CHECK(files == 1);  // no temporary file left beside the target
    // A dangling link: the checkpoint is created at its target.
    fs::create_symlink("store/new.ckpt", dir / "dangling");
    write_checkpoint((dir / "dangling").string(), s, o, st);
    CHECK(fs::is_symlink(fs::symlink_status(dir / "dangling")));
    CHECK(fs::is_regular_file(fs::symlink_status(dir / "store" / "new.ckpt")));
    fs::remove_all(dir);
}

TEST_CASE("a checkpoint carries its axes' names and a CRC-32: a count moved between two cells is refused") {
    const Scenario s = default_scenario();
    RunOptions o = options();
    o.messages = 20000;
    RunState last;
    o.checkpoint = [&](const RunState& st) { last = st; };
    run(s, o);
    const auto dir = private_dir("delivsim_ckpt_crc");
    const std::string path = (dir / "run.ckpt").string();
    const json good = checkpoint_json(s, o, last);
    CHECK(good["axes"]["outcome"][0] == std::string(outcome_names[0]));
    CHECK(good["axes"]["classes"] == s.class_names());

    // One message moved from one status cell to another: every total unchanged.
    json moved = good;
    auto& cells = moved["tally"]["status"];
    std::size_t from = 0;
    while (cells[from].get<std::uint64_t>() == 0) ++from;
    cells[from] = cells[from].get<std::uint64_t>() - 1;
    cells[from + 1] = cells[from + 1].get<std::uint64_t>() + 1;
    write_file_atomically(path, moved.dump());
    CHECK(error_of([&] { read_checkpoint(path, s, o); }).find("damaged checkpoint: its CRC-32") != std::string::npos);

    // Axes of another version (outcomes renamed) are refused even with a matching checksum.
    json renamed = good;
    renamed["axes"]["outcome"][0] = "delivered";
    renamed["crc32"] = document_crc32(renamed);
    write_file_atomically(path, renamed.dump());
    CHECK(error_of([&] { read_checkpoint(path, s, o); }) ==
          path + ": damaged checkpoint: axes: the names of the counts' axes differ from this version's for this scenario");

    write_file_atomically(path, good.dump());
    CHECK(read_checkpoint(path, s, o).tally == last.tally);
    std::filesystem::remove_all(dir);
}
