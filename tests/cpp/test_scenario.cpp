#include "scenario_builder.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

using namespace delivsim;
using delivsim::testing::minimal_scenario;

static std::string error_of(const json& j) {
    try {
        parse_scenario(j);
    } catch (const ScenarioError& e) {
        return e.what();
    }
    return "no error";
}

TEST_CASE("the embedded default scenario is R1 and equals the shipped file") {
    const Scenario s = default_scenario();
    CHECK(s.name == "r1_article_world");
    CHECK(s.class_names() == std::vector<std::string>{"T", "N", "P", "S"});
    CHECK(s.profile_names() == std::vector<std::string>{"G", "C", "H"});
    std::ifstream f(std::string(DELIVSIM_SOURCE_DIR) + "/examples/scenarios/r1_article_world.json");
    std::stringstream text;
    text << f.rdbuf();
    CHECK(json::parse(text.str()) == s.document);
}

TEST_CASE("Postfix retry schedule: 111 attempts from 0 to 428500 s") {
    const auto t = default_scenario().attempt_times;
    REQUIRE(t.size() == 111);
    CHECK(t[0] == 0);
    CHECK(t[1] == 300);
    CHECK(t[2] == 900);
    CHECK(t[3] == 2100);
    CHECK(t[4] == 4500);
    CHECK(t[5] == 8500);
    CHECK(t[6] == 12500);
    CHECK(t.back() == 428500);
    RetrySchedule r{60, 1, 60, 600};
    CHECK(r.attempt_times().size() == 11);  // 0, 60, ..., 600: "no attempt after" includes the lifetime itself
}

TEST_CASE("MX records are sorted by preference; implicit and null MX") {
    json j = minimal_scenario();
    j["recipient_profiles"][0]["mx"] = json::parse(
        R"([{"host": "b", "preference": 20, "down": 0.1}, {"host": "a", "preference": 5, "down": 0.2}])");
    const Scenario s = parse_scenario(j);
    REQUIRE(s.profiles[0].routing.hosts().size() == 2);
    CHECK(s.profiles[0].routing.hosts()[0].host == "a");

    j["recipient_profiles"][0]["mx"] = json::array();
    CHECK(error_of(j) ==
          "recipient_profiles[0].mx: is empty: give MX records, or 'implicit_mx' for a domain reached at its own address");
    j["recipient_profiles"][0]["implicit_mx"] = {{"host", "x.example"}, {"down", 0.5}};
    const Scenario implicit = parse_scenario(j);
    CHECK(implicit.profiles[0].routing.implicit());
    CHECK(implicit.profiles[0].routing.hosts()[0].preference == 0);

    json n = minimal_scenario();
    n["recipient_profiles"][0]["mx"] = json::parse(R"([{"host": ".", "preference": 0}])");
    CHECK(parse_scenario(n).profiles[0].routing.null_mx());
}

TEST_CASE("errors name the JSON path and the rule") {
    json j = minimal_scenario();
    j["recipient_profiles"][0]["mx"][0]["down"] = 1.3;
    CHECK(error_of(j) == "recipient_profiles[0].mx[0].down: 1.3 is not a probability");

    j = minimal_scenario();
    j["sender_classes"][0]["weight"] = 0.5;
    CHECK(error_of(j) == "sender_classes: weights sum to 0.5, not 1");

    j = minimal_scenario();
    j["sender_classes"][0]["colour"] = "blue";
    CHECK(error_of(j) == "sender_classes[0].colour: unknown key 'colour'");

    j = minimal_scenario();
    j["sender_classes"][0]["size_bytes"][0]["bytes"] = -5;
    CHECK(error_of(j) == "sender_classes[0].size_bytes[0].bytes: -5 is negative");

    j = minimal_scenario();
    j["recipient_profiles"][0]["policies"].push_back({{"type", "dnsbl"}});
    CHECK(error_of(j) == "recipient_profiles[0].policies[3].type: 'dnsbl' appears twice in this chain");

    j = minimal_scenario();
    j["recipient_profiles"][0]["policies"] = json::parse(R"([{"type": "unknown_user"}, {"type": "dnsbl"}])");
    CHECK(error_of(j) ==
          "recipient_profiles[0].policies[1].type: 'dnsbl' (connect phase) cannot come after 'unknown_user' (envelope phase)");

    j = minimal_scenario();
    j["sender_classes"] = json::array();
    CHECK(error_of(j) == "sender_classes: mixture is empty: at least one component is required");

    CHECK_THROWS_WITH_AS(parse_scenario_text("{\"format\": ", "f.json"), doctest::Contains("f.json: not valid JSON"),
                         ScenarioError);
}
