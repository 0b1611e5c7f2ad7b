// The cost of strategy comparison against a plain run, as exact instruction counts: one pass
// over N messages of BM_Compare_vs_Run's case (benchmarks/compare_case.hpp) on the calling
// thread, in 2^16-message batches as the benchmark does. Run it under
//   valgrind --tool=cachegrind --cache-sim=no build/benchmarks/delivsim_compare_cost MODE N
// for MODE run, k1 and k4 and N = 0 and N = 200000: (Ir(N) - Ir(0)) / N is the instructions
// per message, and k1 / run, k4 / run the ratios (targets 1.1 and 2).
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "compare_case.hpp"

int main(int argc, char** argv) {
    if (argc != 3 || (std::strcmp(argv[1], "run") != 0 && std::strcmp(argv[1], "k1") != 0 && std::strcmp(argv[1], "k4") != 0)) {
        std::fprintf(stderr, "usage: %s run|k1|k4 MESSAGES\n", argv[0]);
        return 2;
    }
    const std::string mode = argv[1];
    const std::uint64_t n = std::strtoull(argv[2], nullptr, 10), batch = 1 << 16;
    const auto& s = delivsim_bench::r1_features();
    std::vector<delivsim::Strategy> st = delivsim_bench::own_and_three();
    if (mode == "k1") st.resize(1);
    // Everything set up (the scenario, the strategies, the results) whatever the mode, so
    // that N = 0 subtracts the same start-up from each.
    const delivsim::detail::CompareSetup setup(s, st);
    delivsim::Comparison c = setup.make(st);
    delivsim::Tally tally = delivsim::make_tally(s);
    for (std::uint64_t first = 0; first < n; first += batch) {
        const std::uint64_t count = std::min(batch, n - first);
        if (mode == "run") delivsim::simulate_range(s, 42, first, count, tally);
        else setup.simulate(42, first, count, c);
    }
    std::printf("%s %llu messages: %llu\n", mode.c_str(), static_cast<unsigned long long>(n),
                static_cast<unsigned long long>(mode == "run" ? tally.messages() : c.messages()));
    return 0;
}
