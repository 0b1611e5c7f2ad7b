// Fuzz target: arbitrary bytes as a scenario file.
// parse_scenario_text must return a Scenario or throw delivsim::ScenarioError; a scenario
// that parses is run (a few messages) and explained (see fuzz_common.hpp for every check).
//
//   build-asan/tests/fuzz/fuzz_scenario_text CORPUS_DIR tests/fuzz/corpus/fuzz_scenario_text \
//       -dict=tests/fuzz/scenario.dict        # fuzz
//   build-asan/tests/fuzz/fuzz_scenario_text crash-FILE   # replay one input
#include "fuzz_common.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    delivsim::fuzz::parse_and_exercise(text, /*seed=*/size);
    return 0;
}
