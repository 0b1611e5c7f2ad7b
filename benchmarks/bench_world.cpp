// World throughput (issue 5): a stateful campaign scenario, benchmarks/world_campaigns.json
// (100 senders, 10^5 recipients, a daily campaign per sender for 30 simulated days: 3*10^7
// messages; rate limits, reputation, greylisting and mailboxes on). items/s = messages/s.
//   build/benchmarks/delivsim_bench_world
#include <delivsim/world/run.hpp>

#include <benchmark/benchmark.h>

namespace {

const delivsim::world::World& campaigns() {
    static const delivsim::world::World w =
        delivsim::world::load_world(std::string(DELIVSIM_SOURCE_DIR) + "/benchmarks/world_campaigns.json");
    return w;
}

void BM_World_Campaigns(benchmark::State& state) {
    const auto& w = campaigns();
    delivsim::world::Options o;
    o.seed = 1;
    o.threads = static_cast<unsigned>(state.range(0));
    std::uint64_t messages = 0;
    for (auto _ : state) {
        const auto r = delivsim::world::run(w, o);
        messages += r.tally.messages();
        benchmark::DoNotOptimize(r.series.sender_outcomes.data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(messages));
}
// One core: CPU time, as BM_R1_OneCore (the machine may be shared). Threads: wall-clock time,
// so that 2 threads show the speed-up (at most the number of receiving domains can run at once;
// this world sends 70% of its mail to one of its two).
BENCHMARK(BM_World_Campaigns)->Name("BM_World_Campaigns_OneCore")->Arg(1)->Iterations(1)->Unit(benchmark::kSecond);
BENCHMARK(BM_World_Campaigns)->Name("BM_World_Campaigns_Threads")->Arg(1)->Arg(2)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
