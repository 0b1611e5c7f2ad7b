// The one runner (engine/runner.hpp) behind run, compare and world: one pool per run, errors,
// cancellation and progress inside a work unit, work shared by threads.
#include "scenario_builder.hpp"

#include <delivsim/engine/compare.hpp>
#include <delivsim/world/run.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

using namespace delivsim;

TEST_CASE("runner: a pool's threads are started once and serve every round") {
    WorkerPool pool(3);
    CHECK(pool.size() == 3);
    std::mutex mu;
    std::set<std::thread::id> seen;
    std::vector<int> hits(1000, 0);
    for (int round = 0; round < 200; ++round)
        pool.for_each(5, [&](std::size_t k) {
            std::lock_guard lock(mu);
            seen.insert(std::this_thread::get_id());
            hits[static_cast<std::size_t>(round) * 5 % 1000 + k] += 1;
        });
    CHECK(seen.size() <= 3);  // never a new thread per round
    CHECK(seen.count(std::this_thread::get_id()) == 1);  // the calling thread works too
    for (int h : hits) CHECK(h == 1);
}

TEST_CASE("runner: the first error is rethrown, later tasks are skipped, and the pool goes on") {
    WorkerPool pool(2);
    std::atomic<int> ran{0};
    std::atomic<bool> throwing{false};
    // Tasks after the failing one wait for it and then take 1 ms each: the other thread would
    // have to be stalled for a second between `throwing` and the throw to run all 1000.
    CHECK_THROWS_WITH_AS(pool.for_each(1000,
                                       [&](std::size_t k) {
                                           ++ran;
                                           if (k == 3) {
                                               throwing = true;
                                               throw std::runtime_error("task 3 failed");
                                           }
                                           if (k > 3) {
                                               while (!throwing) std::this_thread::yield();
                                               std::this_thread::sleep_for(std::chrono::milliseconds(1));
                                           }
                                       }),
                         "task 3 failed", std::runtime_error);
    CHECK(ran.load() < 1000);
    int after = 0;
    pool.for_each(10, [&](std::size_t) { static std::mutex m; std::lock_guard l(m); ++after; });
    CHECK(after == 10);
}

TEST_CASE("runner: threads outside 1..4096 are refused the same way for runs and worlds") {
    RunOptions o;
    o.messages = 10;
    o.threads = 0;
    const Scenario s = testing::scenario_from(testing::minimal_scenario());
    CHECK_THROWS_WITH_AS(run(s, o), "threads: must be at least 1", std::invalid_argument);
    std::ifstream in(std::string(DELIVSIM_SOURCE_DIR) + "/tests/data/world/stateful_small.json");
    REQUIRE(in);
    const world::World w = world::parse_world(json::parse(in));
    world::Options wo;
    wo.threads = 0;
    CHECK_THROWS_WITH_AS(world::run(w, wo), "threads: must be at least 1", std::invalid_argument);
    wo.threads = 100000;
    CHECK_THROWS_WITH_AS(world::run(w, wo), "threads: 100000 is more than 4096", std::invalid_argument);
}

TEST_CASE("runner: progress and cancellation are answered inside one long work unit") {
    // One chunk of 2^40 messages: without slicing, the first progress report and the
    // cancellation would wait for the whole chunk (hours).
    const Scenario s = testing::scenario_from(testing::minimal_scenario());
    std::atomic<bool> cancel{false};
    RunOptions o;
    o.messages = std::uint64_t{1} << 40;
    o.chunk = o.messages;
    o.threads = 2;
    o.cancel = &cancel;
    std::uint64_t reported = 0;
    o.progress = [&](std::uint64_t done) {
        reported = std::max(reported, done);  // the last call reports the whole chunks kept: none
        if (done > 0) cancel = true;
    };
    CHECK_THROWS_AS(run(s, o), Cancelled);
    CHECK(reported > 0);
    CHECK(reported < o.messages);
}

TEST_CASE("runner: a comparison gives every thread chunks to take, and the same results") {
    const Scenario s = testing::scenario_from(testing::minimal_scenario());
    std::vector<Strategy> strategies(1);
    strategies[0].name = "as is";
    strategies[0].chains.resize(s.profiles.size());  // every profile keeps its chain
    RunOptions o;
    o.messages = 1'000'000;
    o.threads = 2;
    const Comparison c = compare(s, strategies, o);
    CHECK(o.messages / compare_chunk_size(s, c, o) >= 8);
    o.threads = 1;
    CHECK(compare(s, strategies, o) == c);
}

TEST_CASE("runner: a world's results are the same stepped epoch by epoch on any pool") {
    std::ifstream in(std::string(DELIVSIM_SOURCE_DIR) + "/tests/data/world/stateful_small.json");
    REQUIRE(in);
    const world::World w = world::parse_world(json::parse(in));
    world::Options o;
    o.seed = 3;
    o.threads = 1;
    const world::Result whole = world::run(w, o);
    // The same run, stepped by hand on a pool of 4: the state between epochs is complete.
    world::WorldRun r(w, 3, 4);
    WorkerPool pool(4);
    std::uint64_t epochs = 0;
    while (r.next_epoch(pool, o)) ++epochs;
    CHECK(epochs == whole.epochs);
    CHECK(r.result() == whole);
    // Progress: reported at the end with the simulated time reached.
    double last = -1;
    o.progress = [&](double t) { last = t; };
    world::run(w, o);
    CHECK(last == static_cast<double>(whole.epochs) * w.epoch_s);
}

TEST_CASE("world draws: the named slots read the Philox words the world has always used") {
    // Before the slots had names, the world read lanes of raw blocks; the names must keep
    // those values so that world results stay bit-identical.
    const std::uint64_t seed = 11, id = (std::uint64_t{3} << 44) | 12345;
    const auto b0 = world::philox_block(seed, id, Stream::world_message, 0);
    const auto b1 = world::philox_block(seed, id, Stream::world_message, 1);
    const world::DrawBlock gen(seed, id, Stream::world_message, draw_world_recipient);
    CHECK(gen.bits(draw_world_recipient) == b0[0]);
    CHECK(gen.bits(draw_world_send_time) == b0[1]);
    CHECK(gen.bits(draw_world_ip) == b0[2]);
    const world::DrawBlock fb(seed, id, Stream::world_message, draw_world_engagement);
    CHECK(fb.bits(draw_world_engagement) == b1[0]);
    CHECK(fb.bits(draw_world_complaint) == b1[1]);
    CHECK(fb.bits(draw_world_not_spam) == b1[2]);
    const auto r0 = world::philox_block(seed, 77, Stream::world_recipient, 0);
    const auto r1 = world::philox_block(seed, 77, Stream::world_recipient, 1);
    const world::DrawBlock rec(seed, 77, Stream::world_recipient, draw_recipient_domain);
    const world::DrawBlock box(seed, 77, Stream::world_recipient, draw_mailbox_never_empty);
    CHECK(rec.bits(draw_recipient_domain) == r0[0]);
    CHECK(rec.bits(draw_recipient_stale) == r0[1]);
    CHECK(rec.bits(draw_recipient_spam_trap) == r0[2]);
    CHECK(rec.bits(draw_mailbox_initial_fill) == r0[3]);
    CHECK(box.bits(draw_mailbox_never_empty) == r1[0]);
    CHECK(box.bits(draw_mailbox_phase) == r1[1]);
    // The reputation draw of attempt i is draw 4 i of world_attempt, read through MessageRng
    // like every per-message draw.
    MessageRng rng(seed, id);
    for (std::uint32_t i = 0; i < 5; ++i)
        CHECK(rng.bits(Stream::world_attempt, world_attempt_draw(i, draw_reputation_reject)) ==
              world::philox_block(seed, id, Stream::world_attempt, i)[0]);
}
