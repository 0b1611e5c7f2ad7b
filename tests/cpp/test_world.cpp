// The world layer (issue 5): state that couples messages, simulated in epochs per receiving
// domain. Determinism across thread counts, the mechanisms one by one, and bad input.
#include <delivsim/delivsim.hpp>
#include <delivsim/world/run.hpp>

#include <doctest/doctest.h>

#include <fstream>
#include <numeric>

using namespace delivsim;

namespace {

json world_doc(const std::string& name) {
    std::ifstream in(std::string(DELIVSIM_SOURCE_DIR) + "/" + name);
    REQUIRE(in);
    return json::parse(in);
}

world::Result run_world(const json& doc, std::uint64_t seed = 1, unsigned threads = 1) {
    const world::World w = world::parse_world(doc);
    world::Options o;
    o.seed = seed;
    o.threads = threads;
    return world::run(w, o);
}

std::uint64_t sum(const std::vector<std::uint64_t>& v) { return std::accumulate(v.begin(), v.end(), std::uint64_t{0}); }

}  // namespace

TEST_CASE("world: results are bit-identical for 1, 2 and 4 threads on a stateful scenario") {
    const json doc = world_doc("tests/data/world/stateful_small.json");
    const auto r1 = run_world(doc, 7, 1);
    const auto r2 = run_world(doc, 7, 2);
    const auto r4 = run_world(doc, 7, 4);
    // The scenario exercises every kind of state, so the comparison means something.
    CHECK(r1.tally.messages() > 10000);
    CHECK(r1.tally.stage(Stage::rate_limit) + sum(r1.series.receiver_deferrals) > 0);
    CHECK(sum(r1.series.receiver_deferrals) > 1000);
    CHECK(r1.greylist_triplets > 0);
    CHECK(r1 == r2);
    CHECK(r1 == r4);
    CHECK(r1.tally == r4.tally);
    CHECK(r1.series == r4.series);
    // And a different seed differs.
    CHECK_FALSE(run_world(doc, 8, 1).tally == r1.tally);
}
