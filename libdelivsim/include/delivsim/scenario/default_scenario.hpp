#pragma once
// The embedded default scenario: reference scenario R1 ("article world"), compiled into the
// library from examples/scenarios/r1_article_world.json so that `delivsim run` and
// `delivsim.default_scenario()` need no file.
#include <delivsim/scenario/load.hpp>
#include <delivsim/scenario/r1_article_world_json.hpp>

namespace delivsim {

inline const std::string_view default_scenario_json = r1_article_world_json;

inline Scenario default_scenario() { return parse_scenario_text(std::string(default_scenario_json), "default scenario (R1)"); }

}  // namespace delivsim
