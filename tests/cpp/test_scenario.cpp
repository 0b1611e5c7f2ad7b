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

namespace {
std::vector<double> times_of(const char* retry) {
    json j = minimal_scenario();
    j["retry"] = json::parse(retry);
    return parse_scenario(j).attempt_times;
}
std::string retry_error(const char* retry) {
    json j = minimal_scenario();
    j["retry"] = json::parse(retry);
    return error_of(j);
}
}  // namespace

TEST_CASE("Postfix retry model: the delay is the message's age, clamped, then the next queue scan") {
    // Defaults 300/4000/300/5 d: 0, 300, 600, 1200, 2400, 4800, then +4000 rounded up to the
    // 300 s scan grid (+4200) until the first attempt at an age of 5 days or more.
    const auto t = times_of(R"({"model": "postfix"})");
    REQUIRE(t.size() == 108);
    CHECK(std::vector<double>(t.begin(), t.begin() + 9) ==
          std::vector<double>{0, 300, 600, 1200, 2400, 4800, 9000, 13200, 17400});
    CHECK(t[106] == 429000);
    CHECK(t.back() == 433200);
    // The validation harness's sender: 4/64/1, lifetime 300.
    CHECK(times_of(R"({"model": "postfix", "minimal_backoff_s": 4, "maximal_backoff_s": 64,
                       "queue_run_delay_s": 1, "lifetime_s": 300})") ==
          std::vector<double>{0, 4, 8, 16, 32, 64, 128, 192, 256, 320});
    // A scan interval that is not a divisor of the delays rounds each attempt up.
    CHECK(times_of(R"({"model": "postfix", "minimal_backoff_s": 10, "maximal_backoff_s": 25,
                       "queue_run_delay_s": 7, "lifetime_s": 60})") ==
          std::vector<double>{0, 14, 28, 56, 84});
}

TEST_CASE("Exim retry model: F,2h,15m; G,16h,1h,1.5; F,4d,6h over 30-minute queue runs") {
    const auto t = times_of(R"({"model": "exim"})");
    REQUIRE(t.size() == 25);
    CHECK(std::vector<double>(t.begin(), t.begin() + 12) ==
          std::vector<double>{0, 1800, 3600, 5400, 7200, 9000, 12600, 18000, 27000, 39600, 59400, 81000});
    CHECK(t[23] == 340200);
    CHECK(t.back() == 347400);  // the first queue run after the final cutoff (4 days)
    CHECK(times_of(R"({"model": "exim", "rule": "F,10m,2m; G,1h,5m,2", "queue_run_interval_s": 60})") ==
          std::vector<double>{0, 120, 240, 360, 480, 600, 720, 1020, 1620, 2820, 3660});
}

TEST_CASE("Sendmail retry model: every queue run until Timeout.queuereturn") {
    const auto t = times_of(R"({"model": "sendmail"})");
    REQUIRE(t.size() == 241);
    CHECK(t[1] == 1800);
    CHECK(t.back() == 432000);
    CHECK(times_of(R"({"model": "sendmail", "queue_interval_s": 600, "lifetime_s": 1500})") ==
          std::vector<double>{0, 600, 1200, 1800});
}

TEST_CASE("retry models: errors name the field and the rule") {
    CHECK(retry_error(R"({"model": "qmail"})") == "retry.model: 'qmail' is not one of: postfix, exim, sendmail");
    CHECK(retry_error(R"({"model": "postfix", "first_retry_s": 5})") == "retry.first_retry_s: unknown key 'first_retry_s'");
    CHECK(retry_error(R"({"model": "postfix", "minimal_backoff_s": 0})") ==
          "retry.minimal_backoff_s: 0 must be greater than 0");
    CHECK(retry_error(R"({"model": "postfix", "maximal_backoff_s": 100})") ==
          "retry.maximal_backoff_s: 100 is below minimal_backoff_s (300, Postfix's default)");
    CHECK(retry_error(R"({"model": "postfix", "minimal_backoff_s": 5000})") ==
          "retry.minimal_backoff_s: 5000 is above maximal_backoff_s (4000, Postfix's default)");
    CHECK(retry_error(R"({"model": "exim", "rule": "F,2h,15x"})") ==
          "retry.rule: '15x' has an unknown time unit 'x' (s, m, h, d or w)");
    CHECK(retry_error(R"({"model": "exim", "rule": "F,2h,15m; F,1h,5m"})") ==
          "retry.rule: item 'F,1h,5m': cutoffs must increase from item to item");
    CHECK(retry_error(R"({"model": "exim", "rule": "G,2h,15m,0.5"})") ==
          "retry.rule: item 'G,2h,15m,0.5': the factor must be a number of at least 1");
    CHECK(retry_error(R"({"model": "exim", "rule": "H,2h,15m,2"})") ==
          "retry.rule: item 'H,2h,15m,2' is not F,cutoff,interval or G,cutoff,interval,factor (H is not modelled)");
    CHECK(retry_error(R"({"model": "exim", "rule": 5})") == "retry.rule: 5 is not a string");
    CHECK(retry_error(R"({"model": "sendmail", "queue_interval_s": 0.001})") ==
          "retry: gives more than 100000 attempts: use a longer interval or a shorter lifetime");
    CHECK(retry_error(R"({"model": "sendmail", "lifetime_s": -1})") == "retry.lifetime_s: -1 is negative");
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
