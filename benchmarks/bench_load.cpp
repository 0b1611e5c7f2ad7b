// Scenario load time against size: parsing and validating must stay linear in the number of
// recipient profiles and sender classes (no quadratic checks). Time per item is the figure:
// it should stay flat from 10 to 10^5.
//   build/benchmarks/delivsim_bench_load
#include <delivsim/delivsim.hpp>

#include <benchmark/benchmark.h>

namespace {

// R1 with its profiles (or classes) replicated to n, renamed and reweighted.
std::string scaled_r1(std::size_t n, bool profiles) {
    delivsim::json doc = delivsim::json::parse(delivsim::default_scenario_json);
    auto& list = doc[profiles ? "recipient_profiles" : "sender_classes"];
    const delivsim::json base = list;
    list = delivsim::json::array();
    for (std::size_t i = 0; i < n; ++i) {
        delivsim::json item = base[i % base.size()];
        item["name"] = item["name"].get<std::string>() + std::to_string(i);
        item["weight"] = 1.0 / static_cast<double>(n);
        list.push_back(item);
    }
    if (!profiles)  // mailbox rules name class "N": keep one class of that name
        list[1]["name"] = "N";
    return doc.dump();
}

void BM_LoadProfiles(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const std::string text = scaled_r1(n, true);
    for (auto _ : state) benchmark::DoNotOptimize(delivsim::parse_scenario_text(text).profiles.size());
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
    state.counters["bytes"] = static_cast<double>(text.size());
}
BENCHMARK(BM_LoadProfiles)->RangeMultiplier(10)->Range(10, 100000)->Unit(benchmark::kMillisecond);

void BM_LoadSenderClasses(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const std::string text = scaled_r1(n, false);
    for (auto _ : state) benchmark::DoNotOptimize(delivsim::parse_scenario_text(text).classes.size());
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
}
BENCHMARK(BM_LoadSenderClasses)->RangeMultiplier(10)->Range(10, 100000)->Unit(benchmark::kMillisecond);

// Running a scenario with 10^4 profiles: the tally has 4 x 10^4 cells, chunks grow to match.
void BM_Run10kProfiles(benchmark::State& state) {
    const delivsim::Scenario s = delivsim::parse_scenario_text(scaled_r1(10000, true));
    delivsim::RunOptions o;
    o.messages = 1 << 22;
    o.seed = 1;
    for (auto _ : state) benchmark::DoNotOptimize(delivsim::run(s, o).messages());
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(o.messages));
}
BENCHMARK(BM_Run10kProfiles)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
