#include "scenario_builder.hpp"

#include <doctest/doctest.h>

using namespace delivsim;

TEST_CASE("Wilson interval: reference values") {
    const Rate r = wilson(50, 100);
    CHECK(r.rate == 0.5);
    CHECK(r.lo == doctest::Approx(0.4038315303659956).epsilon(1e-12));
    CHECK(r.hi == doctest::Approx(0.5961684696340044).epsilon(1e-12));
    const Rate zero = wilson(0, 1000);
    CHECK(zero.lo == 0.0);
    CHECK(zero.hi == doctest::Approx(0.003826).epsilon(1e-3));
    CHECK(wilson(0, 0).hi == 1.0);
}

TEST_CASE("quantiles are read off the discrete distribution without interpolation") {
    const std::vector<double> t{0, 300, 900};
    CHECK(*histogram_quantile({50, 50, 0}, t, 0.5) == 0);    // exactly half at 0
    CHECK(*histogram_quantile({49, 51, 0}, t, 0.5) == 300);
    CHECK(*histogram_quantile({90, 9, 1}, t, 0.99) == 300);
    CHECK(*histogram_quantile({90, 8, 2}, t, 0.99) == 900);
    CHECK_FALSE(histogram_quantile({0, 0, 0}, t, 0.5).has_value());
}

TEST_CASE("tallies of different scenarios refuse to merge") {
    const Scenario r1 = default_scenario();
    const Scenario mini = testing::scenario_from(testing::minimal_scenario());
    Tally a = make_tally(r1);
    CHECK_THROWS_AS(a += make_tally(mini), std::invalid_argument);
}

TEST_CASE("report JSON carries the fields the CLI promises") {
    const Tally t = testing::simulate(default_scenario(), 20000);
    const json j = report_json(t, "r1_article_world", 1);
    CHECK(j["messages"] == 20000);
    std::uint64_t total = 0;
    for (const auto& [k, v] : j["outcomes"].items()) total += v.get<std::uint64_t>();
    CHECK(total == 20000);
    CHECK(j["by_class"].size() == 4);
    CHECK(j["by_profile"].size() == 3);
    CHECK(j["acceptance_time_s"]["p50"] == 0.0);
    CHECK(j["bounces"].contains("5.7.1"));
    CHECK(j["sender_told"]["count"] == j["outcomes"]["bounced"]);
}

TEST_CASE("a tally round-trips through its raw counts, and inconsistent counts are refused") {
    const Tally t = testing::simulate(default_scenario(), 5000);
    const Tally back = Tally::from_counts(t.classes(), t.profiles(), t.attempt_times(), t.counts());
    CHECK(back == t);
    auto c = t.counts();
    c.status[0] += 1;  // one message counted twice
    CHECK_THROWS_WITH_AS(Tally::from_counts(t.classes(), t.profiles(), t.attempt_times(), c),
                         "tally: status counts 5001 messages, not 5000", std::invalid_argument);
    c = t.counts();
    c.outcome.pop_back();
    CHECK_THROWS_AS(Tally::from_counts(t.classes(), t.profiles(), t.attempt_times(), c), std::invalid_argument);
}
