// Fuzz target: the reference scenario R1 (or, for an odd run seed, the example
// examples/scenarios/misconfigured_sender.json with its "dns" zone and sender authentication),
// mutated along its JSON structure.
// Random bytes rarely get past the JSON syntax and the first few required fields; this target
// starts from a valid scenario and lets the fuzzer's input choose a few edits at JSON
// paths of R1 (FuzzedDataProvider): set a value to an interesting number, string, array or
// object; nudge a number; delete, add or rename a key; duplicate array elements (more sender
// classes, profiles, MX hosts, policies, actions) with unique names and weights that still sum
// to 1; move a subtree elsewhere; reweight a mixture. The result is serialised and goes through
// the same checks as the text target (fuzz_common.hpp): parse, then run and explain.
#include "fuzz_common.hpp"
#include "fuzz_json_edits.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace {

using delivsim::json;
using namespace delivsim::fuzz;

// The second base: a scenario with a "dns" zone and sender authentication (SPF, DKIM, DMARC).
json read_example(const char* name) {
    const std::string path = std::string(DELIVSIM_SOURCE_DIR) + "/examples/scenarios/" + name;
    std::ifstream in(path, std::ios::binary);
    if (!in) delivsim::fuzz::finding("cannot read the base scenario " + path);
    std::ostringstream text;
    text << in.rdbuf();
    return json::parse(text.str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const json r1 = json::parse(delivsim::default_scenario_json);
    static const json authenticated = read_example("misconfigured_sender.json");
    FuzzedDataProvider f(data, size);
    const auto seed = f.ConsumeIntegral<std::uint64_t>();
    json doc = seed & 1 ? authenticated : r1;  // the seed's low bit picks the base
    for (int n = f.ConsumeIntegralInRange<int>(0, max_edits); n > 0 && f.remaining_bytes() > 0; --n) {
        std::vector<Slot> slots;
        collect(doc, nullptr, "", 0, slots);
        if (slots.size() > max_nodes) break;
        edit(f, doc, slots);
    }

    // The JSON API takes the same document: it must agree with the text loader.
    std::optional<delivsim::Scenario> direct;
    try {
        direct = delivsim::parse_scenario(doc);
    } catch (const delivsim::ScenarioError& e) {
        const std::string msg = e.what();
        delivsim::fuzz::check(
            !msg.empty() && msg.find('\n') == std::string::npos && delivsim::fuzz::valid_utf8(msg),
            "parse_scenario(json): ScenarioError message is not one line of valid UTF-8");
    } catch (const std::exception& e) {
        delivsim::fuzz::finding(std::string("parse_scenario(json) threw ") + typeid(e).name() +
                                " (not ScenarioError): " + e.what());
    }
    const std::optional<delivsim::Scenario> s =
        delivsim::fuzz::parse_text(doc.dump(-1, ' ', false, json::error_handler_t::replace));
    if (s && direct)
        delivsim::fuzz::check(direct->attempt_times == s->attempt_times && direct->class_cdf == s->class_cdf &&
                                  direct->profile_cdf == s->profile_cdf,
                              "parse_scenario(json) and parse_scenario_text disagree");
    if (s) delivsim::fuzz::exercise(*s, seed);
    return 0;
}
