// Engine throughput on the reference scenario R1 (items/s = messages/s).
//   build/benchmarks/delivsim_bench --benchmark_filter=R1
#include <delivsim/delivsim.hpp>

#include <benchmark/benchmark.h>

namespace {

const delivsim::Scenario& r1() {
    static const delivsim::Scenario s = delivsim::default_scenario();
    return s;
}

// One core: the whole path per message, tallied.
void BM_R1_OneCore(benchmark::State& state) {
    const auto& s = r1();
    auto tally = delivsim::make_tally(s);
    std::uint64_t next = 0;
    const std::uint64_t batch = 1 << 16;
    for (auto _ : state) {
        delivsim::simulate_range(s, 42, next, batch, tally);
        next += batch;
    }
    benchmark::DoNotOptimize(tally.messages());
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
}
BENCHMARK(BM_R1_OneCore)->Unit(benchmark::kMillisecond);

// run() with T threads, 4M messages per iteration: the scaling figure (wall-clock time).
void BM_R1_Threads(benchmark::State& state) {
    const auto& s = r1();
    delivsim::RunOptions o;
    o.messages = 1 << 22;
    o.seed = 42;
    o.threads = static_cast<unsigned>(state.range(0));
    for (auto _ : state) benchmark::DoNotOptimize(delivsim::run(s, o).messages());
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * o.messages));
}
BENCHMARK(BM_R1_Threads)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// Only the message draw (population, address, sender traits): the floor of the cost.
void BM_R1_DrawMessage(benchmark::State& state) {
    const auto& s = r1();
    std::uint64_t i = 0;
    for (auto _ : state) {
        delivsim::MessageRng rng(42, i++);
        benchmark::DoNotOptimize(delivsim::draw_message(s, rng));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_R1_DrawMessage);

void BM_Philox_Draw(benchmark::State& state) {
    std::uint64_t i = 0, acc = 0;
    for (auto _ : state) {
        delivsim::MessageRng rng(42, i++);
        acc += rng.bits(delivsim::Stream::message, 0);
    }
    benchmark::DoNotOptimize(acc);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Philox_Draw);

}  // namespace

BENCHMARK_MAIN();
