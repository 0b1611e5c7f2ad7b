#include "scenario_builder.hpp"

#include <doctest/doctest.h>

#include <sstream>

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
    const Tally back = Tally::from_counts(t.classes(), t.profiles(), t.attempt_times(), t.counts(), t.legit(), t.delay_warning_s());
    CHECK(back == t);
    auto c = t.counts();
    c.status[0] += 1;  // one message counted twice
    CHECK_THROWS_WITH_AS(Tally::from_counts(t.classes(), t.profiles(), t.attempt_times(), c),
                         "tally: status counts 5001 messages, not 5000", std::invalid_argument);
    c = t.counts();
    c.outcome.pop_back();
    CHECK_THROWS_AS(Tally::from_counts(t.classes(), t.profiles(), t.attempt_times(), c), std::invalid_argument);
}

TEST_CASE("tally: groups by name, and rates with Wilson intervals over the group's messages") {
    const Scenario s = default_scenario();
    RunOptions o;
    o.messages = 20000;
    o.seed = 3;
    const Tally t = run(s, o);
    const std::size_t spam = t.class_index("S"), g = t.profile_index("G");
    CHECK(t.classes()[spam] == "S");
    CHECK(t.profiles()[g] == "G");
    CHECK(t.outcome(Outcome::inbox, {.sender_class = "S"}) == t.outcome(Outcome::inbox, spam));
    CHECK(t.outcome(Outcome::bounced, {.sender_class = "S", .profile = "G"}) == t.outcome(Outcome::bounced, spam, g));
    // The denominator is every message of the group, all seven outcomes.
    std::uint64_t n = 0;
    for (std::size_t o2 = 0; o2 < outcome_count; ++o2) n += t.outcome(static_cast<Outcome>(o2), spam);
    CHECK(t.messages_in({.sender_class = "S"}) == n);
    CHECK(t.messages_in() == t.messages());
    const Rate r = t.rate(Outcome::inbox, {.sender_class = "S"});
    const Rate expect = wilson(t.outcome(Outcome::inbox, spam), n);
    CHECK(r.rate == expect.rate);
    CHECK(r.lo == expect.lo);
    CHECK(r.hi == expect.hi);
    CHECK(t.rate(Outcome::inbox).rate == static_cast<double>(t.outcome(Outcome::inbox)) / 20000.0);
    CHECK_THROWS_WITH_AS(t.class_index("X"), "no sender class 'X' (valid: T, N, P, S)", std::invalid_argument);
    CHECK_THROWS_WITH_AS(t.rate(Outcome::inbox, {.profile = "Q"}), "no recipient profile 'Q' (valid: G, C, H)",
                         std::invalid_argument);
    std::ostringstream shown;
    shown << wilson(1, 4);
    CHECK(shown.str() == "25% (95% CI 4.559% to 69.94%)");
}

TEST_CASE("parse_chain builds any chain from its JSON form; thresholds must rise with severity") {
    const PolicyChain c = parse_chain(json::parse(R"([{"type": "greylist", "delay_s": 120},
        {"type": "content_filter", "actions": [{"min_score": 9, "action": "reject"}, {"min_score": 5, "action": "spam_folder"}]}])"));
    REQUIRE(c.policies.size() == 2);
    CHECK(std::holds_alternative<Greylist>(c.policies[0]));
    const auto& f = std::get<ContentFilter>(c.policies[1]);
    CHECK(f.thresholds.front().min_score == 9);
    auto error = [](const char* text) {
        try {
            parse_chain(json::parse(text), {}, "H.policies");
        } catch (const ScenarioError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK(error(R"([{"type": "content_filter", "actions": [{"min_score": 9, "action": "reject"},
                    {"min_score": 10, "action": "spam_folder"}]}])") ==
          "H.policies[0].actions[1].min_score: the spam_folder threshold 10 is not below the reject threshold 9: "
          "a milder action needs a lower score");
    CHECK(error(R"([{"type": "rule_score", "rules": [], "content_score": true, "actions": [
                    {"min_score": 4, "action": "quarantine"}, {"min_score": 6, "action": "spam_folder"}]}])") ==
          "H.policies[0].actions[1].min_score: the spam_folder threshold 6 is not below the quarantine threshold 4: "
          "a milder action needs a lower score");
    // Named fields for C++ construction.
    const ContentFilter named{.dmarc_adjustment = ContentFilter::adjust({.none = 1.5}),
                              .thresholds = {{.min_score = 5, .action = ContentFilter::Action::spam_folder}}};
    CHECK(named.dmarc_adjustment[static_cast<std::size_t>(DmarcResult::none)] == 1.5);
    CHECK(named.dmarc_adjustment[static_cast<std::size_t>(DmarcResult::pass)] == 0);
    Scenario s = default_scenario();
    CHECK(s.profile("H").name == "H");
    CHECK_THROWS_WITH_AS(s.profile("h"), "no recipient profile 'h' (valid: G, C, H)", std::invalid_argument);
}

TEST_CASE("legitimate mail and spam are reported apart, and tallies of another truth refuse to merge") {
    const Scenario r1 = default_scenario();
    RunOptions o;
    o.messages = 20000;
    o.seed = 4;
    o.threads = 1;
    const Tally t = run(r1, o);
    const json j = report_json(t, "r1", 4);
    std::uint64_t legit_inbox = 0;
    for (std::size_t c = 0; c < r1.classes.size(); ++c)
        if (r1.classes[c].legit) legit_inbox += t.outcome(Outcome::inbox, c);
    CHECK(j["by_truth"]["legitimate"]["inbox"].get<std::uint64_t>() == legit_inbox);
    CHECK(j["by_truth"]["spam"]["inbox"].get<std::uint64_t>() == t.outcome(Outcome::inbox) - legit_inbox);
    CHECK(report_table(t, "r1", 4).find("who was responsible for legitimate mail") != std::string::npos);
    std::vector<bool> flipped = t.legit();
    flipped[0] = !flipped[0];
    Tally other(t.classes(), t.profiles(), t.attempt_times(), flipped);
    Tally copy = t;
    CHECK_THROWS_AS(copy += other, std::invalid_argument);
    CHECK_THROWS_AS(Tally(t.classes(), t.profiles(), t.attempt_times(), {true}), std::invalid_argument);
}

TEST_CASE("the sender is first told by a delay warning, a bounce, or never") {
    const Fate bounced{Outcome::bounced, Status::expired, Responsible::receiver_availability, Stage::retry_queue, 9, 20000};
    CHECK(notice_of(bounced, 0).how == Notice::bounce);
    CHECK(notice_of(bounced, 0).time_s == 20000);
    CHECK(notice_of(bounced, 14400).how == Notice::delay_warning);
    CHECK(notice_of(bounced, 14400).time_s == 14400);
    CHECK(notice_of(bounced, 20000).how == Notice::bounce);  // decided at the warning time: no warning
    const Fate filed{Outcome::spam_folder, Status::none, Responsible::sender_content, Stage::none, 0, 0};
    CHECK(notice_of(filed, 14400).how == Notice::never);
}

TEST_CASE("attribution: a class whose only failure is a DMARC reject is rescued by authentication alone") {
    json doc = default_scenario().document;
    for (auto& c : doc["sender_classes"]) {
        c["address_error"]["probability"] = 0.0;
        c["ip_listed"] = 0.0;
        c["content_score"] = {{"mean", 0.0}, {"sd", 0.0}};
        c["dmarc"] = {{"fail_reject", 1.0}};
        c.erase("attachment");
        c["size_bytes"] = json::parse(R"([{"bytes": 1000, "weight": 1.0}])");
    }
    for (auto& p : doc["recipient_profiles"]) {
        for (auto& h : p["mx"]) h["down"] = 0.0;
        p.erase("dead_destination");
        p["policies"] = json::array({json{{"type", "dmarc_disposition"}, {"fail_reject", "reject"},
                                          {"fail_quarantine", "quarantine"}}});
    }
    const Scenario s = parse_scenario(doc);
    RunOptions o;
    o.messages = 3000;
    o.threads = 2;
    const Attribution a = attribute(s, o);
    for (std::size_t c = 0; c < s.classes.size(); ++c) {
        if (!s.classes[c].legit) continue;
        REQUIRE(a.lost(c) == a.legit(c));
        REQUIRE(a.lost(c) > 0);
        for (std::size_t f = 0; f < factor_count; ++f)
            CHECK(a.rescued(c, static_cast<Factor>(f)) == (static_cast<Factor>(f) == Factor::authentication ? a.lost(c) : 0));
        CHECK(a.any_sender_fix(c) == a.lost(c));
    }
    CHECK_THROWS_WITH(factor_by_name("luck"), doctest::Contains("factors: unknown factor 'luck'"));
}
