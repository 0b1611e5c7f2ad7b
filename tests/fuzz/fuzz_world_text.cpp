// Fuzz target: arbitrary bytes as a world file (delivsim-world/1).
// parse_world_text must return a World or throw delivsim::ScenarioError; a small world that
// parses is run (see fuzz_world_common.hpp for every check).
//
//   build-asan/tests/fuzz/fuzz_world_text CORPUS_DIR tests/fuzz/corpus/fuzz_world_text \
//       -dict=tests/fuzz/scenario.dict        # fuzz
//   build-asan/tests/fuzz/fuzz_world_text crash-FILE   # replay one input
#include "fuzz_world_common.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    delivsim::fuzz::parse_and_exercise_world(text, /*seed=*/size);
    return 0;
}
