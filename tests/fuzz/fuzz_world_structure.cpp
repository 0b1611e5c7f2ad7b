// Fuzz target: a valid world (tests/data/world/stateful_small.json at a tenth of its volume, or
// examples/scenarios/warmup.json for an odd run seed) mutated along its JSON structure by the shared edits of
// fuzz_json_edits.hpp (counts, sizes and times set to interesting or huge values, items
// duplicated, keys renamed...). The result is serialised and goes through the same checks as
// the text target (fuzz_world_common.hpp): parse, plan, and a run when it is small.
#include "fuzz_json_edits.hpp"
#include "fuzz_world_common.hpp"

#include <fstream>
#include <sstream>

namespace {

delivsim::json read_world(const char* path) {
    const std::string full = std::string(DELIVSIM_SOURCE_DIR) + "/" + path;
    std::ifstream in(full, std::ios::binary);
    if (!in) delivsim::fuzz::finding("cannot read the base world " + full);
    std::ostringstream text;
    text << in.rdbuf();
    return delivsim::json::parse(text.str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace delivsim::fuzz;
    // stateful_small at a tenth of its volume: small enough to be run on every input.
    static const json small = [] {
        json d = read_world("tests/data/world/stateful_small.json");
        for (auto& snd : d["senders"])
            for (auto& it : snd["schedule"]) {
                for (const char* k : {"rate_per_hour", "max_per_hour"})
                    if (it.contains(k)) it[k] = it[k].get<double>() / 10;
                if (it.contains("messages")) it["messages"] = it["messages"].get<std::uint64_t>() / 10;
            }
        return d;
    }();
    static const json warmup = read_world("examples/scenarios/warmup.json");
    FuzzedDataProvider f(data, size);
    const auto seed = f.ConsumeIntegral<std::uint64_t>();
    json doc = seed & 1 ? warmup : small;
    for (int n = f.ConsumeIntegralInRange<int>(0, max_edits); n > 0 && f.remaining_bytes() > 0; --n) {
        std::vector<Slot> slots;
        collect(doc, nullptr, "", 0, slots);
        if (slots.size() > max_nodes) break;
        edit(f, doc, slots);
    }
    parse_and_exercise_world(doc.dump(-1, ' ', false, json::error_handler_t::replace), seed);
    return 0;
}
