#include "scenario_builder.hpp"
#include "simd_paths.hpp"

#include <doctest/doctest.h>

using namespace delivsim;
using delivsim::testing::minimal_scenario;
using delivsim::testing::scenario_from;
using delivsim::testing::simulate;

TEST_CASE("results are bit-identical for 1, 2 and 8 threads and any chunking") {
    const Scenario s = default_scenario();
    RunOptions o;
    o.messages = 300007;  // not a multiple of any chunk size
    o.seed = 2026;
    o.threads = 1;
    const Tally one = run(s, o);
    for (unsigned threads : {2u, 8u}) {
        for (std::uint64_t chunk : {std::uint64_t{0}, std::uint64_t{1000}, std::uint64_t{7}}) {
            o.threads = threads;
            o.chunk = chunk;
            CHECK(run(s, o) == one);
        }
    }
    CHECK(one.messages() == 300007);
}

TEST_CASE("any split of the message range merges exactly") {
    const Scenario s = default_scenario();
    RunOptions whole;
    whole.messages = 100000;
    whole.seed = 5;
    const Tally all = run(s, whole);
    RunOptions a = whole, b = whole, c = whole;
    a.messages = 12345;
    b.first_message = 12345;
    b.messages = 50000;
    c.first_message = 62345;
    c.messages = 37655;
    c.threads = 3;
    CHECK(run(s, c) + run(s, a) + run(s, b) == all);
    RunOptions other = whole;
    other.seed = 6;
    CHECK_FALSE(run(s, other) == all);
}

TEST_CASE("explain replays a message exactly as it happened in the run") {
    const Scenario s = default_scenario();
    for (std::uint64_t i = 0; i < 3000; ++i) {
        const Explanation e = explain(s, 11, i);
        RunOptions o;
        o.messages = 1;
        o.first_message = i;
        o.seed = 11;
        const Tally t = run(s, o);
        REQUIRE(t.outcome(e.fate.outcome, e.message.sender_class, e.message.profile) == 1);
        REQUIRE(t.status(e.fate.status) == 1);
        REQUIRE(t.decided_at(e.fate.outcome, e.fate.attempt) == 1);
        if (e.fate.stage != Stage::address && e.fate.stage != Stage::mx_routing)
            REQUIRE(e.attempts.size() == e.fate.attempt + 1);
    }
}

TEST_CASE("address errors: nxdomain bounces at once, typosquat is lost silently, unknown user at RCPT") {
    json j = minimal_scenario();
    auto& ae = j["sender_classes"][0]["address_error"];
    ae["probability"] = 1.0;
    ae["kinds"] = {{"nxdomain", 1.0}, {"unknown_user", 0.0}, {"typosquat", 0.0}};
    Tally t = simulate(scenario_from(j), 1000);
    CHECK(t.outcome(Outcome::bounced) == 1000);
    CHECK(t.status(Status::bad_destination) == 1000);
    CHECK(t.responsible(Responsible::address_error) == 1000);
    CHECK(t.decided_at(Outcome::bounced, 0) == 1000);

    ae["kinds"] = {{"nxdomain", 0.0}, {"unknown_user", 0.0}, {"typosquat", 1.0}};
    t = simulate(scenario_from(j), 1000);
    CHECK(t.outcome(Outcome::silently_lost) == 1000);
    CHECK(t.acceptance_histogram()[0] == 0);  // never accepted by the real recipient

    ae["kinds"] = {{"nxdomain", 0.0}, {"unknown_user", 1.0}, {"typosquat", 0.0}};
    t = simulate(scenario_from(j), 1000);
    CHECK(t.status(Status::unknown_user) == 1000);
    CHECK(t.stage(stage_of<UnknownUser>) == 1000);
}

TEST_CASE("null MX fails at once with 5.1.10") {
    json j = minimal_scenario();
    j["recipient_profiles"][0]["mx"] = json::parse(R"([{"host": ".", "preference": 0}])");
    const Tally t = simulate(scenario_from(j), 100);
    CHECK(t.status(Status::null_mx) == 100);
    CHECK(t.decided_at(Outcome::bounced, 0) == 100);
}

TEST_CASE("a destination that never answers expires after the last attempt with 4.4.7") {
    json j = minimal_scenario();
    j["recipient_profiles"][0]["mx"][0]["down"] = 1.0;
    const Scenario s = scenario_from(j);
    const Tally t = simulate(s, 200);
    CHECK(t.status(Status::expired) == 200);
    CHECK(t.responsible(Responsible::receiver_availability) == 200);
    CHECK(t.decided_at(Outcome::bounced, 110) == 200);
    const Explanation e = explain(s, 1, 0);
    CHECK(e.attempts.size() == 111);
    CHECK(e.fate.time_s == 428500);

    json d = minimal_scenario();
    d["recipient_profiles"][0]["dead_destination"] = 1.0;
    CHECK(simulate(scenario_from(d), 50).status(Status::expired) == 50);
}

TEST_CASE("MX preference order and the retry of a backup host") {
    json j = minimal_scenario();
    j["recipient_profiles"][0]["mx"] = json::parse(
        R"([{"host": "backup", "preference": 20, "down": 0.0}, {"host": "primary", "preference": 10, "down": 1.0}])");
    const Scenario s = scenario_from(j);
    const Explanation e = explain(s, 3, 17);
    REQUIRE(e.attempts.size() == 1);
    REQUIRE(e.attempts[0].tried.size() == 2);
    CHECK(s.profiles[0].routing.hosts()[e.attempts[0].tried[0].host].host == "primary");
    CHECK(s.profiles[0].routing.hosts()[e.attempts[0].attempt.host].host == "backup");
    CHECK(e.fate.outcome == Outcome::inbox);
}

TEST_CASE("equal-preference hosts are tried in random order, about half each first") {
    json j = minimal_scenario();
    j["recipient_profiles"][0]["mx"] = json::parse(
        R"([{"host": "a", "preference": 5, "down": 0.0}, {"host": "b", "preference": 5, "down": 0.0}, {"host": "c", "preference": 9, "down": 0.0}])");
    const Scenario s = scenario_from(j);
    int first_a = 0, n = 4000;
    for (int i = 0; i < n; ++i) {
        const Explanation e = explain(s, 1, static_cast<std::uint64_t>(i));
        const auto& host = s.profiles[0].routing.hosts()[e.attempts[0].attempt.host].host;
        REQUIRE(host != "c");
        first_a += host == "a";
    }
    CHECK(std::abs(first_a - n / 2) < 5 * std::sqrt(n * 0.25));
}

TEST_CASE("a domain that does not exist is reported as the sending MTA reports it") {
    json j = minimal_scenario();
    auto& ae = j["sender_classes"][0]["address_error"];
    ae["probability"] = 1.0;
    ae["kinds"] = {{"nxdomain", 1.0}, {"unknown_user", 0.0}, {"typosquat", 0.0}};
    const auto bounces = [&](const char* retry) {
        j["retry"] = json::parse(retry);
        return report_json(simulate(scenario_from(j), 200), "x", 1)["bounces"];
    };
    CHECK(bounces(R"({"model": "postfix"})") == json{{"5.4.4", 200}});
    CHECK(bounces(R"({"model": "exim"})") == json{{"5.0.0", 200}});
    CHECK(bounces(R"({"model": "sendmail"})") == json{{"5.1.2", 200}});
    CHECK(bounces(R"({"first_retry_s": 300, "backoff_factor": 2, "max_backoff_s": 4000, "lifetime_s": 432000})") ==
          json{{"5.1.2", 200}});
    CHECK(info(Status::domain_not_found).reply == 0);  // no server replied: Postfix's own DSN
}

TEST_CASE("greylisting's reply is its implementation's: a milter 451 4.7.1, postgrey through Postfix 450 4.2.0") {
    json j = minimal_scenario();
    j["recipient_profiles"][0]["policies"].push_back({{"type", "greylist"}, {"delay_s", 0}});
    auto first_reply = [&] {
        const Explanation e = explain(scenario_from(j), 1, 0);
        REQUIRE(e.attempts.size() == 2);
        return e.attempts[0].verdict.status;
    };
    CHECK(first_reply() == Status::greylisted);
    CHECK(info(Status::greylisted).reply == 451);
    j["recipient_profiles"][0]["policies"][3]["implementation"] = "postgrey";
    CHECK(first_reply() == Status::greylisted_postgrey);
    CHECK(info(Status::greylisted_postgrey).reply == 450);
    CHECK(info(Status::greylisted_postgrey).enhanced == "4.2.0");
    j["recipient_profiles"][0]["policies"][3]["implementation"] = "sqlgrey";
    CHECK_THROWS_WITH(scenario_from(j),
                      "recipient_profiles[0].policies[3].implementation: 'sqlgrey' is not one of: milter, postgrey");
}

TEST_CASE("rate limits are connection-level throttles: 421 4.7.0 per IP and per /24, never the per-recipient 4.2.1") {
    for (const Status s : {Status::rate_limited, Status::rate_limited_subnet}) {
        CHECK(info(s).reply == 421);
        CHECK(info(s).enhanced == "4.7.0");
    }
}

TEST_CASE("greylisting defers the first attempt; a delay is honoured") {
    json j = minimal_scenario();
    j["recipient_profiles"][0]["policies"].push_back({{"type", "greylist"}, {"delay_s", 0}});
    Tally t = simulate(scenario_from(j), 100);
    CHECK(t.decided_at(Outcome::inbox, 1) == 100);  // accepted at t = 300
    j["recipient_profiles"][0]["policies"][3]["delay_s"] = 600;
    t = simulate(scenario_from(j), 100);
    CHECK(t.decided_at(Outcome::inbox, 2) == 100);  // 300 < 600: deferred again, accepted at 900
}

TEST_CASE("mailbox quota: permanent bounces 5.2.2, temporary defers 4.2.2 until space is freed") {
    json j = minimal_scenario();
    j["recipient_profiles"][0]["policies"].push_back(
        {{"type", "mailbox_quota"}, {"full", 1.0}, {"mode", "permanent"}});
    Tally t = simulate(scenario_from(j), 100);
    CHECK(t.status(Status::mailbox_full) == 100);
    CHECK(t.responsible(Responsible::recipient_quota) == 100);

    j["recipient_profiles"][0]["policies"][3] = {{"type", "mailbox_quota"}, {"full", 1.0}, {"mode", "temporary"}, {"still_full", 0.0}};
    t = simulate(scenario_from(j), 100);
    CHECK(t.decided_at(Outcome::inbox, 1) == 100);

    j["recipient_profiles"][0]["policies"][3]["still_full"] = 1.0;
    t = simulate(scenario_from(j), 100);
    CHECK(t.status(Status::expired) == 100);
    CHECK(t.responsible(Responsible::recipient_quota) == 100);  // blamed on what kept failing
}

TEST_CASE("DMARC disposition, content thresholds, scanner and mailbox rules") {
    json j = minimal_scenario();
    auto& pol = j["recipient_profiles"][0]["policies"];
    pol.push_back({{"type", "dmarc_disposition"}, {"fail_reject", "reject"}, {"fail_quarantine", "quarantine"}});
    pol.push_back(json::parse(R"({"type": "content_filter", "dmarc_adjustment": {"none": 1.5},
        "actions": [{"min_score": 5, "action": "spam_folder"}, {"min_score": 15, "action": "reject"}]})"));
    pol.push_back({{"type", "attachment_scanner"}, {"false_positive", 0.0}, {"detection", 1.0}});
    pol.push_back(json::parse(R"({"type": "mailbox_rules", "by_class": {"A": {"delete": 1.0}}})"));
    auto& cls = j["sender_classes"][0];

    cls["dmarc"] = {{"fail_reject", 1.0}};
    CHECK(simulate(scenario_from(j), 100).status(Status::dmarc_reject) == 100);
    cls["dmarc"] = {{"fail_quarantine", 1.0}};
    CHECK(simulate(scenario_from(j), 100).outcome(Outcome::quarantined) == 100);

    cls["dmarc"] = {{"none", 1.0}};
    cls["content_score"] = {{"mean", 3.5}, {"sd", 0.0}};  // 3.5 + 1.5 = 5: spam folder
    Tally t = simulate(scenario_from(j), 100);
    CHECK(t.outcome(Outcome::spam_folder) == 100);
    CHECK(t.stage(stage_of<ContentFilter>) == 100);
    cls["content_score"] = {{"mean", 13.5}, {"sd", 0.0}};  // 15: highest threshold wins
    CHECK(simulate(scenario_from(j), 100).status(Status::content_rejected) == 100);

    cls["content_score"] = {{"mean", 0.0}, {"sd", 0.0}};
    CHECK(simulate(scenario_from(j), 100).outcome(Outcome::rule_deleted) == 100);  // inbox-bound: rule applies

    cls["legit"] = false;
    cls["attachment"] = {{"min_size_bytes", 0}, {"probability", 1.0}};
    t = simulate(scenario_from(j), 100);
    CHECK(t.outcome(Outcome::quarantined) == 100);
    CHECK(t.stage(stage_of<AttachmentScanner>) == 100);
    CHECK(t.responsible(Responsible::receiver_policy) == 100);
}

TEST_CASE("size limit and DNSBL reject with the right codes") {
    json j = minimal_scenario();
    j["sender_classes"][0]["size_bytes"][0]["bytes"] = 10001;
    CHECK(simulate(scenario_from(j), 100).status(Status::message_too_big) == 100);
    j["sender_classes"][0]["ip_listed"] = 1.0;  // connect comes before the envelope
    const Tally t = simulate(scenario_from(j), 100);
    CHECK(t.status(Status::ip_blocklisted) == 100);
    CHECK(bounces_by_code(t).at("5.7.1") == 100);
}

TEST_CASE("a compile-time Pipeline gives the same results as the run-time chain") {
    const Scenario rt = default_scenario();
    using Chain = Pipeline<DnsblCheck, SizeLimit, UnknownUser, MailboxQuota, DmarcDisposition, ContentFilter, MailboxRules>;
    // Profile G of R1 as a static pipeline; the other profiles are dropped from both.
    BasicScenario<Chain> ct;
    ct.retry = rt.retry;
    ct.classes = rt.classes;
    BasicProfile<Chain> g;
    g.name = "G";
    g.weight = 1;
    g.routing = rt.profiles[0].routing;
    const auto& p = rt.profiles[0].policies.policies;
    g.policies.policies = {std::get<DnsblCheck>(p[0]), std::get<SizeLimit>(p[1]), std::get<UnknownUser>(p[2]),
                           std::get<MailboxQuota>(p[3]), std::get<DmarcDisposition>(p[4]),
                           std::get<ContentFilter>(p[5]), std::get<MailboxRules>(p[6])};
    ct.profiles.push_back(g);
    ct.finalize();

    Scenario only_g = rt;
    only_g.profiles.resize(1);
    only_g.profiles[0].weight = 1;
    only_g.finalize();

    RunOptions o;
    o.messages = 50000;
    o.seed = 8;
    CHECK(run(ct, o) == run(only_g, o));
}

TEST_CASE("the message index range reaches 2^63-1 and no further") {
    const Scenario s = default_scenario();
    RunOptions o;
    o.messages = 1;
    o.first_message = message_index_limit - 1;
    CHECK(run(s, o).messages() == 1);
    CHECK(explain(s, 1, message_index_limit - 1).message.index == message_index_limit - 1);
    o.messages = 2;
    CHECK_THROWS_AS(run(s, o), std::invalid_argument);
    CHECK_THROWS_AS(explain(s, 1, message_index_limit), std::invalid_argument);
    // A huge run starts at once (chunk bookkeeping does not grow with the count) and stops on request.
    RunOptions huge;
    huge.messages = message_index_limit - 1;
    huge.threads = 2;
    std::atomic<bool> cancel{false};
    huge.cancel = &cancel;
    std::uint64_t seen = 0;
    huge.progress = [&](std::uint64_t done) {
        seen = done;
        cancel = true;
    };
    CHECK_THROWS_AS(run(s, huge), Cancelled);
    CHECK(seen < huge.messages);
}

TEST_CASE("R1's results are identical on every SIMD path of the Philox batches") {
    const Scenario s = default_scenario();
    RunOptions o;
    o.messages = 20000;
    o.seed = 11;
    o.threads = 2;
    const Tally reference = [&] {
        testing::ForcedPath scalar(SimdPath::scalar);
        return run(s, o);
    }();
    for (SimdPath p : testing::runnable_paths()) {
        CAPTURE(simd_path_names[static_cast<int>(p)]);
        testing::ForcedPath forced(p);
        CHECK(run(s, o) == reference);
    }
    CHECK(run(s, o) == reference);
}
