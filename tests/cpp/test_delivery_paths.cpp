// Delivery paths beyond one host and one folder: MX fallback within one attempt (the sending
// MTA's limits), and what happens after acceptance (safe senders, spam rescue, spam-folder
// deletion, quarantine release and expiry).
#include <doctest/doctest.h>

#include "scenario_builder.hpp"

using namespace delivsim;
using namespace delivsim::testing;

namespace {

json two_hosts(const char* retry) {
    json j = minimal_scenario();
    j["retry"] = json::parse(retry);
    j["recipient_profiles"][0]["mx"] = json::parse(R"([{"host": "mx1.x.example", "preference": 10, "down": 0.0},
                                                       {"host": "mx2.x.example", "preference": 20, "down": 0.0}])");
    return j;
}

constexpr const char* postfix = R"({"model": "postfix"})";
constexpr const char* explicit_schedule = R"({"first_retry_s": 300, "backoff_factor": 2, "max_backoff_s": 4000, "lifetime_s": 432000})";

}  // namespace

TEST_CASE("MX fallback: a busy host's 421 greeting moves the attempt on to the next host") {
    json j = two_hosts(postfix);
    j["recipient_profiles"][0]["mx"][0]["busy"] = 1.0;
    Tally t = simulate(scenario_from(j), 200);
    CHECK(t.decided_at(Outcome::inbox, 0) == 200);  // mx2 took it in the first attempt
    const Explanation e = explain(scenario_from(j), 1, 7);
    REQUIRE(e.attempts.size() == 1);
    REQUIRE(e.attempts[0].tried.size() == 2);
    CHECK(e.attempts[0].tried[0].reply == Status::host_busy);
    CHECK(e.attempts[0].attempt.host == 1);

    // Postfix with smtp_mx_address_limit 1 tries mx1 only: deferred at every attempt, 4.4.7.
    j["retry"] = json::parse(R"({"model": "postfix", "mx_address_limit": 1, "lifetime_s": 3000})");
    t = simulate(scenario_from(j), 50);
    CHECK(t.status(Status::expired) == 50);
    CHECK(t.responsible(Responsible::receiver_availability) == 50);
}

TEST_CASE("MX fallback: a 4xx session hands the message to the next host until the session limit") {
    // Greylisting with delay 0 (the two hosts share the triplet): the first host defers, the
    // second, in the same attempt, already passes it.
    json j = two_hosts(postfix);
    j["recipient_profiles"][0]["policies"].push_back({{"type", "greylist"}, {"delay_s", 0}});
    Tally t = simulate(scenario_from(j), 100);
    CHECK(t.decided_at(Outcome::inbox, 0) == 100);
    const Explanation e = explain(scenario_from(j), 1, 3);
    REQUIRE(e.attempts.size() == 1);
    CHECK(e.attempts[0].tried[0].reply == Status::greylisted);
    CHECK(e.attempts[0].attempt.host == 1);

    // One session per attempt (smtp_mx_session_limit 1, or an explicit schedule as R1's): the
    // greylist deferral decides the attempt, the retry 300 s later passes.
    j["retry"] = json::parse(R"({"model": "postfix", "mx_session_limit": 1})");
    CHECK(simulate(scenario_from(j), 100).decided_at(Outcome::inbox, 1) == 100);
    j["retry"] = json::parse(explicit_schedule);
    CHECK(simulate(scenario_from(j), 100).decided_at(Outcome::inbox, 1) == 100);

    // Delay 600: both sessions of attempt 0 (t=0) and of attempt 1 (t=300) defer; attempt 2 at
    // t=600 passes at the first host.
    j["retry"] = json::parse(postfix);
    j["recipient_profiles"][0]["policies"][3]["delay_s"] = 600;
    CHECK(simulate(scenario_from(j), 100).decided_at(Outcome::inbox, 2) == 100);
}

TEST_CASE("MX limits: Exim tries hosts_max_try (5) hosts per attempt, Sendmail every host until a session opens") {
    // Seven MX hosts, the first six busy (421 at the greeting): only the seventh takes mail.
    auto seven = [](const char* retry) {
        json j = minimal_scenario();
        j["retry"] = json::parse(retry);
        json mx = json::array();
        for (int i = 0; i < 7; ++i)
            mx.push_back({{"host", "mx" + std::to_string(i) + ".x.example"}, {"preference", 10 * (i + 1)}, {"down", 0.0},
                          {"busy", i < 6 ? 1.0 : 0.0}});
        j["recipient_profiles"][0]["mx"] = mx;
        return scenario_from(j);
    };
    CHECK(seven(R"({"model": "exim"})").retry.mx.address_limit == 5);
    CHECK(seven(R"({"model": "sendmail"})").retry.mx.address_limit == 100);
    // Exim stops after five hosts: never reaches mx6, bounced 4.4.7 when the rule's cutoff passes.
    Tally t = simulate(seven(R"({"model": "exim", "rule": "F,1h,15m"})"), 100);
    CHECK(t.status(Status::expired) == 100);
    CHECK(simulate(seven(R"({"model": "exim", "rule": "F,1h,15m", "hosts_max_try": 7})"), 100).decided_at(Outcome::inbox, 0) == 100);
    CHECK(simulate(seven(R"({"model": "exim", "rule": "F,1h,15m", "hosts_max_try": 7, "hosts_max_try_hardlimit": 6})"), 100)
              .status(Status::expired) == 100);
    // Sendmail goes down the whole list in the first attempt.
    CHECK(simulate(seven(R"({"model": "sendmail"})"), 100).decided_at(Outcome::inbox, 0) == 100);
    const Explanation e = explain(seven(R"({"model": "sendmail"})"), 1, 2);
    REQUIRE(e.attempts.size() == 1);
    CHECK(e.attempts[0].tried.size() == 7);

    // A 4xx session counts against Exim's limit too: greylisting (delay 0) at the first host,
    // the second passes it within the same attempt. Sendmail keeps the 4xx for the next queue run.
    json g = minimal_scenario();
    g["retry"] = json::parse(R"({"model": "exim"})");
    g["recipient_profiles"][0]["mx"] = json::parse(R"([{"host": "mx1.x.example", "preference": 10, "down": 0.0},
                                                       {"host": "mx2.x.example", "preference": 20, "down": 0.0}])");
    g["recipient_profiles"][0]["policies"].push_back({{"type", "greylist"}, {"delay_s", 0}});
    CHECK(simulate(scenario_from(g), 100).decided_at(Outcome::inbox, 0) == 100);
    g["retry"] = json::parse(R"({"model": "sendmail"})");
    CHECK(simulate(scenario_from(g), 100).decided_at(Outcome::inbox, 1) == 100);

    g["retry"] = json::parse(R"({"model": "exim", "hosts_max_try": 0})");
    CHECK_THROWS_WITH(scenario_from(g), "retry.hosts_max_try: 0 would try no host (Exim counts from 1)");
}

TEST_CASE("MX limits: bad values name the field") {
    json j = two_hosts(R"({"model": "postfix", "mx_session_limit": -1})");
    CHECK_THROWS_WITH(scenario_from(j), "retry.mx_session_limit: -1 is negative");
    j = two_hosts(R"({"model": "postfix", "mx_address_limit": 70000})");
    CHECK_THROWS_WITH(scenario_from(j), "retry.mx_address_limit: 70000 is more than 65535 (0 means no limit)");
    j = two_hosts(postfix);
    j["recipient_profiles"][0]["mx"][1]["busy"] = 1.5;
    CHECK_THROWS_WITH(scenario_from(j), "recipient_profiles[0].mx[1].busy: 1.5 is not a probability");
}

namespace {

// Every message scores 10: the content filter files it to the spam folder (or quarantines it).
json spam_filed(const char* action) {
    json j = minimal_scenario();
    j["sender_classes"][0]["content_score"] = {{"mean", 10.0}, {"sd", 0.0}};
    j["recipient_profiles"][0]["policies"].push_back(
        {{"type", "content_filter"}, {"actions", json::array({{{"min_score", 5}, {"action", action}}})}});
    return j;
}

}  // namespace

TEST_CASE("safe senders skip spam-folder filing where the receiver honours them, and only there") {
    json j = spam_filed("spam_folder");
    j["sender_classes"][0]["recipients"] = {{"safe_sender", 1.0}};
    CHECK(simulate(scenario_from(j), 100).outcome(Outcome::spam_folder) == 100);  // not honoured
    j["recipient_profiles"][0]["folders"] = {{"honours_safe_senders", true}};
    Tally t = simulate(scenario_from(j), 100);
    CHECK(t.outcome(Outcome::inbox) == 100);
    CHECK(explain(scenario_from(j), 1, 0).to_json(scenario_from(j))["after_acceptance"]["what"] == "safe_sender");
    // a rejection is not a filing: it still bounces
    j = spam_filed("reject");
    j["sender_classes"][0]["recipients"] = {{"safe_sender", 1.0}};
    j["recipient_profiles"][0]["folders"] = {{"honours_safe_senders", true}};
    CHECK(simulate(scenario_from(j), 100).outcome(Outcome::bounced) == 100);
    // half the recipients: a binomial share (5 standard errors)
    j = spam_filed("spam_folder");
    j["sender_classes"][0]["recipients"] = {{"safe_sender", 0.5}};
    j["recipient_profiles"][0]["folders"] = {{"honours_safe_senders", true}};
    const auto inbox = static_cast<double>(simulate(scenario_from(j), 10000).outcome(Outcome::inbox));
    CHECK(std::abs(inbox - 5000) < 5 * 50);
}

TEST_CASE("spam rescue moves legitimate mail to the inbox; spam-folder deletion comes first if the rescue is late") {
    json j = spam_filed("spam_folder");
    j["sender_classes"][0]["recipients"] = {{"rescue", 1.0}, {"rescue_after_s", 86400}};
    j["recipient_profiles"][0]["folders"] = {{"spam_retention_s", 2592000}};  // Gmail: 30 days
    Tally t = simulate(scenario_from(j), 100);
    CHECK(t.outcome(Outcome::inbox) == 100);
    CHECK(t.decided_at(Outcome::inbox, 0) == 100);  // accepted at the first attempt; rescued a day later
    const Scenario s = scenario_from(j);
    const json e = explain(s, 1, 5).to_json(s);
    CHECK(e["after_acceptance"]["what"] == "rescued_from_spam");
    CHECK(e["after_acceptance"]["time_s"] == 86400.0);
    CHECK(e["stage"] == "content_filter");  // the filter that misjudged it

    j["sender_classes"][0]["recipients"]["rescue_after_s"] = 40 * 86400;  // after the 30 days
    const Scenario late = scenario_from(j);
    CHECK(simulate(late, 100).outcome(Outcome::spam_folder) == 100);
    CHECK(explain(late, 1, 5).to_json(late)["after_acceptance"]["what"] == "spam_deleted");

    j["sender_classes"][0]["recipients"]["rescue_after_s"] = 86400;
    j["sender_classes"][0]["legit"] = false;  // spam is never rescued
    CHECK(simulate(scenario_from(j), 100).outcome(Outcome::spam_folder) == 100);

    j = spam_filed("spam_folder");
    j["sender_classes"][0]["recipients"] = {{"rescue_after_s", 10}};
    CHECK_THROWS_WITH(scenario_from(j),
                      "sender_classes[0].recipients.rescue_after_s: is given without 'rescue' (the probability that "
                      "spam-folder mail is rescued)");
}

TEST_CASE("quarantine: release from the digest or by an admin, else expiry") {
    json j = spam_filed("quarantine");
    json q = {{"digest_interval_s", 14400}, {"recipient_release", 1.0}, {"admin_release", 0.0},
              {"admin_release_after_s", 172800}, {"retention_s", 2592000}};
    j["recipient_profiles"][0]["folders"] = {{"quarantine", q}};
    Scenario s = scenario_from(j);
    CHECK(simulate(s, 100).outcome(Outcome::inbox) == 100);
    json e = explain(s, 1, 2).to_json(s);
    CHECK(e["after_acceptance"]["what"] == "released_by_recipient");
    CHECK(e["after_acceptance"]["time_s"] == 14400.0);

    q["recipient_release"] = 0.0;
    q["admin_release"] = 1.0;
    j["recipient_profiles"][0]["folders"]["quarantine"] = q;
    s = scenario_from(j);
    CHECK(simulate(s, 100).outcome(Outcome::inbox) == 100);
    CHECK(explain(s, 1, 2).to_json(s)["after_acceptance"]["what"] == "released_by_admin");

    q["retention_s"] = 86400;  // expires before the admin gets to it
    j["recipient_profiles"][0]["folders"]["quarantine"] = q;
    s = scenario_from(j);
    CHECK(simulate(s, 100).outcome(Outcome::quarantined) == 100);
    e = explain(s, 1, 2).to_json(s);
    CHECK(e["after_acceptance"]["what"] == "quarantine_expired");
    CHECK(e["after_acceptance"]["time_s"] == 86400.0);
}

TEST_CASE("a backup MX accepts, relays to the primary later, and bounces what the primary refuses") {
    // mx1 is the primary, mx2 a backup MX that relays; every recipient is unknown.
    json j = two_hosts(explicit_schedule);
    j["recipient_profiles"][0]["mx"][1]["relay"] = true;
    j["recipient_profiles"][0]["mx"][0]["down"] = 0.0;
    auto& ae = j["sender_classes"][0]["address_error"];
    ae["probability"] = 1.0;
    ae["kinds"] = {{"nxdomain", 0.0}, {"unknown_user", 1.0}, {"typosquat", 0.0}};
    // the primary answers: it refuses the unknown user itself, at once (no relay involved)
    Tally t = simulate(scenario_from(j), 100);
    CHECK(t.status(Status::unknown_user) == 100);
    CHECK(t.decided_at(Outcome::bounced, 0) == 100);
    // the primary is busy at every attempt: the backup MX takes the message, can never hand it
    // on, and bounces it 4.4.7 when its queue lifetime is over
    j["recipient_profiles"][0]["mx"][0]["busy"] = 1.0;
    const Scenario busy = scenario_from(j);
    t = simulate(busy, 50);
    CHECK(t.status(Status::expired) == 50);
    const json e = explain(busy, 1, 0).to_json(busy);
    CHECK(e["after_acceptance"]["what"] == "bounced_by_backup_mx");
    CHECK(e["attempts"][0]["host"] == "mx2.x.example");  // the sender's attempt 0 went to the relay
    // a primary busy half the time: when the sender meets it busy, the backup MX takes the
    // message and its onward attempts reach the primary, which refuses the user (5.1.1): the
    // backup MX sends that bounce.
    j["recipient_profiles"][0]["mx"][0]["busy"] = 0.5;
    const Scenario some = scenario_from(j);
    t = simulate(some, 2000);
    CHECK(t.status(Status::unknown_user) == 2000);  // everyone is refused in the end, by mx1
    std::uint64_t by_backup = 0;
    for (std::uint64_t i = 0; i < 200; ++i) {
        const Explanation x = explain(some, 1, i);
        if (x.folders.after == AfterAcceptance::bounced_by_backup_mx) {
            ++by_backup;
            CHECK(x.attempts.front().attempt.host == 1);
        }
    }
    CHECK(by_backup > 60);  // about half took the relay at attempt 0
    CHECK(by_backup < 140);
    // a relay-only MX set is refused
    j["recipient_profiles"][0]["mx"][0]["relay"] = true;
    CHECK_THROWS_WITH(scenario_from(j),
                      "recipient_profiles[0].mx: every host is a relay: a backup MX needs a primary host to relay to");
}
