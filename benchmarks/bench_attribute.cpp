// The cost of counterfactual attribution on R1 (engine/attribute.hpp): the run itself plus one
// re-delivery per factor of each lost legitimate message only. Counters:
//   attribute_over_run  process CPU time (one worker thread) of attribute() over run() on the same messages;
//   bound               1 + factors x (share of the messages that are lost legitimate mail),
//                       what the re-deliveries alone would cost if each cost a whole message.
//   build/benchmarks/delivsim_bench_attribute
#include <delivsim/delivsim.hpp>

#include <benchmark/benchmark.h>

#include <ctime>

namespace {

double cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

void BM_Attribute_R1(benchmark::State& state) {
    const delivsim::Scenario s = delivsim::default_scenario();
    delivsim::RunOptions o;
    o.messages = 1 << 17;
    o.threads = 1;
    double run_s = 0, attribute_s = 0, bound = 0;
    for (auto _ : state) {
        double t0 = cpu_seconds();
        const delivsim::Tally t = delivsim::run(s, o);
        double t1 = cpu_seconds();
        const delivsim::Attribution a = delivsim::attribute(s, o);
        double t2 = cpu_seconds();
        run_s += t1 - t0;
        attribute_s += t2 - t1;
        std::uint64_t lost = 0;
        for (std::size_t c = 0; c < a.classes().size(); ++c) lost += a.lost(c);
        bound = 1 + static_cast<double>(delivsim::factor_count) * static_cast<double>(lost) / static_cast<double>(t.messages());
        ++o.seed;
    }
    state.counters["attribute_over_run"] = attribute_s / run_s;
    state.counters["bound"] = bound;
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * o.messages));
}
BENCHMARK(BM_Attribute_R1)->Unit(benchmark::kMillisecond)->Iterations(5);

}  // namespace

BENCHMARK_MAIN();
