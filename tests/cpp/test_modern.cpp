// The message's authentication and transport facts (core/message.hpp), computed from the zone
// or drawn (sender/facts.hpp), the sender_requirements policy and the provider presets.
#include "scenario_builder.hpp"

#include <delivsim/world/checkpoint.hpp>
#include <delivsim/world/run.hpp>

#include <filesystem>
#include <fstream>

#include <doctest/doctest.h>

#include <cmath>

using namespace delivsim;
using delivsim::testing::minimal_scenario;
using delivsim::testing::scenario_from;
using delivsim::testing::simulate;

namespace {

const char* const key = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC1";

json rec(const std::string& name, const std::string& type, const json& value) {
    return {{"name", name}, {"type", type}, {"value", value}};
}

// A zone-based class: SPF for bounces.esp.example (not aligned with shop.example), DKIM d=
// shop.example (aligned), DMARC at shop.example as given, PTR for 192.0.2.10 only.
json zone_scenario(const json& dmarc_record) {
    json j = minimal_scenario();
    j["dns"] = {{"records", json::array({
                     rec("bounces.esp.example", "TXT", "v=spf1 ip4:192.0.2.0/28 -all"),
                     rec("s1._domainkey.shop.example", "TXT", std::string("v=DKIM1; k=rsa; p=") + key),
                     rec("10.2.0.192.in-addr.arpa", "PTR", "out1.esp.example"),
                     rec("out1.esp.example", "A", "192.0.2.10"),
                     rec("11.2.0.192.in-addr.arpa", "PTR", "out2.esp.example"),
                 })}};
    if (!dmarc_record.is_null()) j["dns"]["records"].push_back(rec("_dmarc.shop.example", "TXT", dmarc_record));
    auto& c = j["sender_classes"][0];
    c.erase("dmarc");
    c["authentication"] = {{"from_domain", "shop.example"},
                           {"mail_from_domain", "bounces.esp.example"},
                           {"helo", "out1.esp.example"},
                           {"ips", {"192.0.2.10", "192.0.2.11"}},
                           {"dkim", {{"domain", "shop.example"}, {"selector", "s1"}, {"key", key}}}};
    return j;
}

Message draw_one(const Scenario& s, std::uint64_t index, std::uint64_t seed = 1) {
    Message m;
    m.index = index;
    MessageRng rng(seed, index);
    s.classes[0].draw(m, rng);
    return m;
}

std::string error_of(const json& j) {
    try {
        scenario_from(j);
    } catch (const ScenarioError& e) {
        return e.what();
    }
    return "no error";
}

json drawn_class(json j, const json& auth_results, const json& transport = nullptr) {
    auto& c = j["sender_classes"][0];
    c.erase("dmarc");
    c["auth_results"] = auth_results;
    if (!transport.is_null()) c["transport"] = transport;
    return j;
}

const json compliant_auth = json::parse(R"({"from_domain": "news.shop.example", "dmarc_policy": "none",
    "spf": {"domain": "bounces.shop.example", "result": "pass"},
    "dkim": [{"domain": "shop.example", "result": "pass"}]})");

json with_preset(json j, const std::string& preset) {
    auto& p = j["recipient_profiles"][0];
    p["preset"] = preset;
    return j;
}

}  // namespace

TEST_CASE("zone-based facts: SPF domain, DKIM alignment, DMARC record and PTR from the zone") {
    const Scenario s = scenario_from(zone_scenario("v=DMARC1; p=none"));
    REQUIRE(s.classes[0].domains == std::vector<std::string>{"bounces.esp.example", "shop.example"});
    bool saw_fcrdns = false, saw_unconfirmed = false;
    for (std::uint64_t i = 0; i < 64; ++i) {
        const Message m = draw_one(s, i);
        CHECK(m.auth.spf == AuthResult::pass);
        CHECK(m.auth.spf_domain == 0);
        CHECK_FALSE(m.auth.spf_aligned);  // esp.example is another organization
        REQUIRE(m.auth.dkim_count == 1);
        CHECK(m.auth.dkim[0].domain == 1);
        CHECK(m.auth.dkim[0].result == AuthResult::pass);
        CHECK(m.auth.dkim[0].aligned);
        CHECK(m.auth.dmarc == AuthResult::pass);
        CHECK(m.auth.dmarc_policy == DmarcPolicyFact::none);
        CHECK(m.dmarc == DmarcResult::pass);
        // 192.0.2.10 is forward-confirmed; 192.0.2.11's PTR name has no A record
        saw_fcrdns = saw_fcrdns || m.transport.ptr == ReverseDns::fcrdns;
        saw_unconfirmed = saw_unconfirmed || m.transport.ptr == ReverseDns::unconfirmed;
    }
    CHECK(saw_fcrdns);
    CHECK(saw_unconfirmed);
}

TEST_CASE("zone-based facts: DMARC 'no record' and 'p=none and failed' are told apart") {
    json broken_dkim = zone_scenario(nullptr);
    broken_dkim["dns"]["records"][1]["value"] = "v=DKIM1; k=rsa; p=";  // revoked key
    const Message none = draw_one(scenario_from(broken_dkim), 3);
    CHECK(none.auth.dmarc == AuthResult::none);
    CHECK(none.auth.dmarc_policy == DmarcPolicyFact::no_record);
    CHECK(none.auth.dkim[0].result == AuthResult::fail);
    CHECK(none.dmarc == DmarcResult::none);

    json failed = zone_scenario("v=DMARC1; p=none");
    failed["dns"]["records"][1]["value"] = "v=DKIM1; k=rsa; p=";
    const Message f = draw_one(scenario_from(failed), 3);
    CHECK(f.auth.dmarc == AuthResult::fail);
    CHECK(f.auth.dmarc_policy == DmarcPolicyFact::none);
    CHECK(f.dmarc == DmarcResult::none);  // the four-valued result cannot tell them apart

    json rejected = zone_scenario("v=DMARC1; p=reject");
    rejected["dns"]["records"][1]["value"] = "v=DKIM1; k=rsa; p=";
    const Message r = draw_one(scenario_from(rejected), 3);
    CHECK(r.auth.dmarc == AuthResult::fail);
    CHECK(r.auth.dmarc_policy == DmarcPolicyFact::reject);
    CHECK(r.dmarc == DmarcResult::fail_reject);
}

TEST_CASE("drawn facts: results from their distributions, DMARC derived from alignment") {
    const json auth = json::parse(R"({"from_domain": "shop.example", "dmarc_policy": "quarantine",
        "spf": {"domain": "bounces.esp.example", "result": {"pass": 0.5, "softfail": 0.5}},
        "dkim": [{"domain": "shop.example", "result": {"pass": 0.25, "fail": 0.75}}]})");
    const json transport = json::parse(R"({"ptr": {"fcrdns": 0.5, "no_ptr": 0.5}, "tls": 0.5,
        "list_unsubscribe": {"one_click": 0.5, "none": 0.5}, "bulk": true})");
    const Scenario s = scenario_from(drawn_class(minimal_scenario(), auth, transport));
    const std::uint64_t n = 40000;
    std::uint64_t spf_pass = 0, dkim_pass = 0, dmarc_pass = 0, quarantine = 0, fcrdns = 0, tls = 0, one_click = 0;
    for (std::uint64_t i = 0; i < n; ++i) {
        const Message m = draw_one(s, i);
        spf_pass += m.auth.spf == AuthResult::pass;
        CHECK((m.auth.spf == AuthResult::pass || m.auth.spf == AuthResult::softfail));
        CHECK_FALSE(m.auth.spf_aligned);
        REQUIRE(m.auth.dkim_count == 1);
        CHECK(m.auth.dkim[0].aligned);
        dkim_pass += m.auth.dkim[0].result == AuthResult::pass;
        // only the aligned DKIM signature can make DMARC pass
        CHECK((m.auth.dmarc == AuthResult::pass) == (m.auth.dkim[0].result == AuthResult::pass));
        dmarc_pass += m.dmarc == DmarcResult::pass;
        quarantine += m.dmarc == DmarcResult::fail_quarantine;
        fcrdns += m.transport.ptr == ReverseDns::fcrdns;
        tls += m.transport.tls;
        one_click += m.transport.list_unsubscribe == ListUnsubscribe::one_click;
        CHECK(m.transport.bulk);
    }
    auto near = [&](std::uint64_t k, double p) { return std::abs(static_cast<double>(k) / n - p) < 0.015; };
    CHECK(near(spf_pass, 0.5));
    CHECK(near(dkim_pass, 0.25));
    CHECK(dmarc_pass == dkim_pass);
    CHECK(quarantine == n - dkim_pass);
    CHECK(near(fcrdns, 0.5));
    CHECK(near(tls, 0.5));
    CHECK(near(one_click, 0.5));
    // independent draws: SPF and DKIM are not the same uniform
    std::uint64_t both = 0;
    for (std::uint64_t i = 0; i < n; ++i) {
        const Message m = draw_one(s, i);
        both += m.auth.spf == AuthResult::pass && m.auth.dkim[0].result == AuthResult::pass;
    }
    CHECK(near(both, 0.125));
}

TEST_CASE("legacy dmarc mixture: facts match the DMARC result; no draws for certain values") {
    const Scenario s = scenario_from(minimal_scenario());
    const Message m = draw_one(s, 0);
    CHECK(m.auth.spf == AuthResult::pass);
    CHECK(m.auth.dmarc == AuthResult::pass);
    CHECK(m.auth.dkim_count == 0);
    CHECK(m.transport.ptr == ReverseDns::fcrdns);
    CHECK(m.transport.tls);
    CHECK(m.transport.list_unsubscribe == ListUnsubscribe::none);
    CHECK_FALSE(m.transport.bulk);
    CHECK(legacy_auth_results[1].dmarc_policy == DmarcPolicyFact::no_record);
    CHECK(legacy_auth_results[2].dmarc_policy == DmarcPolicyFact::reject);
}

TEST_CASE("facts are features: rules and models can read each one") {
    Message m;
    m.auth.spf = AuthResult::softfail;
    m.auth.dkim_count = 1;
    m.auth.dkim[0] = {0, AuthResult::pass, true};
    m.auth.dmarc = AuthResult::pass;
    m.auth.dmarc_policy = DmarcPolicyFact::no_record;
    m.transport.ptr = ReverseDns::no_ptr;
    m.transport.tls = false;
    m.transport.list_unsubscribe = ListUnsubscribe::one_click;
    m.transport.bulk = true;
    auto f = [&](const char* name) { return feature_value(m, *feature_by_name(name)); };
    CHECK(f("spf_pass") == 0);
    CHECK(f("dkim_pass") == 1);
    CHECK(f("dkim_aligned_pass") == 1);
    CHECK(f("dmarc_record") == 0);
    CHECK(f("dmarc_fail") == 0);
    CHECK(f("fcrdns") == 0);
    CHECK(f("tls") == 0);
    CHECK(f("list_unsubscribe") == 1);
    CHECK(f("one_click_unsubscribe") == 1);
    CHECK(f("bulk") == 1);
    double x[feature_count];
    feature_vector(m, x);
    for (std::size_t i = 0; i < feature_count; ++i) CHECK(x[i] == feature_value(m, static_cast<FeatureId>(i)));
}

TEST_CASE("gmail_2025: unauthenticated 5.7.26, no PTR 5.7.25, bulk rules only for bulk senders") {
    auto bounce_code = [](const json& j) {
        const Tally t = simulate(scenario_from(j), 200);
        std::string code;
        for (std::size_t st = 1; st < status_count; ++st)
            if (t.status(static_cast<Status>(st)) == 200) code = info(static_cast<Status>(st)).enhanced;
        return t.outcome(Outcome::inbox) == 200 ? std::string("inbox")
               : t.outcome(Outcome::spam_folder) == 200 ? std::string("spam_folder")
                                                          : code;
    };
    const json gmail = with_preset(minimal_scenario(), "gmail_2025");
    CHECK(bounce_code(drawn_class(gmail, compliant_auth)) == "inbox");
    json unauth = compliant_auth;
    unauth["spf"]["result"] = "softfail";
    unauth["dkim"][0]["result"] = "fail";
    CHECK(bounce_code(drawn_class(gmail, unauth)) == "5.7.26");
    CHECK(bounce_code(drawn_class(gmail, compliant_auth, {{"ptr", "no_ptr"}})) == "5.7.25");
    // DKIM missing: fine for a small sender, 5.7.30 for a bulk one
    json no_dkim = compliant_auth;
    no_dkim.erase("dkim");
    CHECK(bounce_code(drawn_class(gmail, no_dkim)) == "inbox");
    CHECK(bounce_code(drawn_class(gmail, no_dkim, {{"bulk", true}, {"list_unsubscribe", "one_click"}})) == "5.7.30");
    json no_record = compliant_auth;
    no_record["dmarc_policy"] = "no_record";
    CHECK(bounce_code(drawn_class(gmail, no_record, {{"bulk", true}, {"list_unsubscribe", "one_click"}})) == "5.7.26");
    json unaligned = compliant_auth;
    unaligned["from_domain"] = "other.example";
    CHECK(bounce_code(drawn_class(gmail, unaligned, {{"bulk", true}, {"list_unsubscribe", "one_click"}})) == "5.7.32");
    CHECK(bounce_code(drawn_class(gmail, compliant_auth, {{"bulk", true}, {"list_unsubscribe", "header"}})) == "spam_folder");
    CHECK(bounce_code(drawn_class(gmail, compliant_auth, {{"bulk", true}, {"list_unsubscribe", "one_click"}})) == "inbox");
    // Microsoft: only bulk senders, every failure 550 5.7.515
    const json outlook = with_preset(minimal_scenario(), "microsoft_2025");
    CHECK(bounce_code(drawn_class(outlook, unauth)) == "inbox");
    CHECK(bounce_code(drawn_class(outlook, no_dkim, {{"bulk", true}})) == "5.7.515");
    CHECK(bounce_code(drawn_class(outlook, no_record, {{"bulk", true}})) == "5.7.515");
    CHECK(bounce_code(drawn_class(outlook, compliant_auth, {{"bulk", true}})) == "inbox");
    CHECK(bounce_code(drawn_class(with_preset(minimal_scenario(), "yahoo_2024"), unauth)) == "5.7.9");
}

TEST_CASE("a DMARC p=reject failure: Gmail 550 5.7.26, Microsoft 550 5.7.509; reject_reply must be a 5xx") {
    json fails = compliant_auth;
    fails["dmarc_policy"] = "reject";
    fails["from_domain"] = "other.example";  // neither identifier aligned
    auto code = [&](const std::string& preset) {
        const Tally t = simulate(scenario_from(drawn_class(with_preset(minimal_scenario(), preset), fails)), 100);
        for (std::size_t st = 1; st < status_count; ++st)
            if (t.status(static_cast<Status>(st)) == 100) return std::string(info(static_cast<Status>(st)).enhanced);
        return std::string("not all bounced alike");
    };
    CHECK(code("gmail_2025") == "5.7.26");
    CHECK(code("microsoft_2025") == "5.7.509");
    CHECK(info(Status::dmarc_access_denied).reply == 550);
    json bad = minimal_scenario();
    bad["recipient_profiles"][0]["policies"].push_back(
        {{"type", "dmarc_disposition"}, {"fail_reject", "reject"}, {"fail_quarantine", "spam_folder"}, {"reject_reply", "greylisted"}});
    CHECK(error_of(bad) ==
          "recipient_profiles[0].policies[3].reject_reply: 'greylisted' is not one of: dmarc_reject, dmarc_access_denied");
}

TEST_CASE("a TLS failure at gmail_2025 is a 421 4.7.0 deferral, retried until the queue gives up") {
    const Tally t = simulate(scenario_from(drawn_class(with_preset(minimal_scenario(), "gmail_2025"), compliant_auth,
                                                      {{"tls", 0.0}})), 50);
    CHECK(t.outcome(Outcome::bounced) == 50);
    CHECK(t.status(Status::expired) == 50);
    CHECK(t.responsible(Responsible::sender_configuration) == 50);
}

TEST_CASE("presets merge with the profile's policies by phase; the profile's own type replaces the preset's") {
    json j = with_preset(minimal_scenario(), "gmail_2025");
    Scenario s = scenario_from(j);
    std::vector<std::string> types;
    for (const auto& p : s.profiles[0].policies.policies) types.emplace_back(type_name(p));
    CHECK(types == std::vector<std::string>{"dnsbl", "size_limit", "unknown_user", "sender_requirements", "dmarc_disposition"});
    CHECK(s.profiles[0].preset == 0);
    j["recipient_profiles"][0]["policies"].push_back(
        {{"type", "dmarc_disposition"}, {"fail_reject", "accept"}, {"fail_quarantine", "accept"}});
    s = scenario_from(j);
    const auto& last = s.profiles[0].policies.policies.back();
    REQUIRE(std::holds_alternative<DmarcDisposition>(last));
    CHECK(std::get<DmarcDisposition>(last).on_fail_reject == DmarcDisposition::Action::accept);
    json only = with_preset(minimal_scenario(), "microsoft_2025");
    only["recipient_profiles"][0].erase("policies");
    CHECK(scenario_from(only).profiles[0].policies.policies.size() == 2);
}

TEST_CASE("bad facts, requirements and presets: errors name the field") {
    CHECK(error_of(with_preset(minimal_scenario(), "gmail_2019")) ==
          "recipient_profiles[0].preset: 'gmail_2019' is not one of: gmail_2025, microsoft_2025, yahoo_2024");
    json bad = compliant_auth;
    bad["spf"]["result"] = {{"pass", 0.5}, {"policy", 0.5}};
    CHECK(error_of(drawn_class(minimal_scenario(), bad)) ==
          "sender_classes[0].auth_results.spf.result.policy: unknown value 'policy' (one of: none, pass, fail, softfail, "
          "neutral, temperror, permerror)");
    bad = compliant_auth;
    bad["spf"]["result"] = {{"pass", 0.5}, {"fail", 0.4}};
    CHECK(error_of(drawn_class(minimal_scenario(), bad)) == "sender_classes[0].auth_results.spf.result: weights sum to 0.9, not 1");
    bad = compliant_auth;
    bad["dmarc_policy"] = "p=none";
    CHECK(error_of(drawn_class(minimal_scenario(), bad)) ==
          "sender_classes[0].auth_results.dmarc_policy: 'p=none' is not one of: no_record, none, quarantine, reject");
    bad = compliant_auth;
    bad["dkim"] = json::array({bad["dkim"][0], bad["dkim"][0], bad["dkim"][0]});
    CHECK(error_of(drawn_class(minimal_scenario(), bad)) == "sender_classes[0].auth_results.dkim: at most 2 signatures");
    CHECK(error_of(drawn_class(minimal_scenario(), compliant_auth, {{"tls", 1.5}})) ==
          "sender_classes[0].transport.tls: 1.5 is not a probability");
    json both = drawn_class(minimal_scenario(), compliant_auth);
    both["sender_classes"][0]["dmarc"] = {{"pass", 1.0}};
    CHECK(error_of(both).starts_with("sender_classes[0].auth_results: a class gives one of"));
    json zone_ptr = zone_scenario(nullptr);
    zone_ptr["sender_classes"][0]["transport"] = {{"ptr", "fcrdns"}};
    CHECK(error_of(zone_ptr) ==
          "sender_classes[0].transport.ptr: a class with zone-based \"authentication\" looks its PTR up in the zone");
    json req = minimal_scenario();
    req["recipient_profiles"][0]["policies"].push_back(
        json::parse(R"({"type": "sender_requirements", "all_senders": {"ptr": {"action": "reject", "reply": "tls_required"}}})"));
    CHECK(error_of(req) == "recipient_profiles[0].policies[3].all_senders.ptr.reply: 'tls_required' (421 4.7.0) is not a 5xx "
                           "reply, as a reject needs");
    req["recipient_profiles"][0]["policies"][3] =
        json::parse(R"({"type": "sender_requirements", "bulk_senders": {"dmarc": {"action": "reject", "reply": "unauthenticated"}}})");
    CHECK(error_of(req).starts_with("recipient_profiles[0].policies[3].bulk_senders.dmarc: unknown requirement 'dmarc'"));
    req["recipient_profiles"][0]["policies"][3] =
        json::parse(R"({"type": "sender_requirements", "bulk_senders": {"one_click_unsubscribe": {"action": "spam_folder", "reply": "unauthenticated"}}})");
    CHECK(error_of(req) == "recipient_profiles[0].policies[3].bulk_senders.one_click_unsubscribe.reply: only a reject or "
                           "temp_fail gives an SMTP reply");
}

TEST_CASE("explain shows the facts") {
    const Scenario s = scenario_from(zone_scenario("v=DMARC1; p=quarantine"));
    const json e = explain(s, 1, 0).to_json(s);
    CHECK(e["auth_results"]["spf"]["domain"] == "bounces.esp.example");
    CHECK(e["auth_results"]["spf"]["aligned"] == false);
    CHECK(e["auth_results"]["dkim"][0]["domain"] == "shop.example");
    CHECK(e["auth_results"]["dkim"][0]["aligned"] == true);
    CHECK(e["auth_results"]["dmarc"]["policy"] == "quarantine");
    CHECK(e["transport"]["tls"] == true);
}

// ---------------------------------------------------------------------------------------------
// Worlds: bulk status per sender domain per receiving domain per day, and the spam rate.
// ---------------------------------------------------------------------------------------------

namespace {

json postmaster_world(double noisy_complaint_factor) {
    json scenario = with_preset(minimal_scenario(), "gmail_2025");
    scenario["recipient_profiles"][0]["name"] = "gmailish";
    json compliant = scenario["sender_classes"][0];
    compliant.erase("dmarc");
    compliant["name"] = "compliant";
    compliant["auth_results"] = compliant_auth;
    compliant["transport"] = {{"list_unsubscribe", "one_click"}};
    json no_dkim = compliant;
    no_dkim["name"] = "no_dkim";
    no_dkim["auth_results"].erase("dkim");
    json noisy = compliant;
    noisy["name"] = "noisy";
    compliant["weight"] = 0.4;
    no_dkim["weight"] = 0.3;
    noisy["weight"] = 0.3;
    scenario["sender_classes"] = json::array({compliant, no_dkim, noisy});
    auto steady = [](double per_hour) {
        return json::array({{{"type", "steady"}, {"list", "people"}, {"rate_per_hour", per_hour}, {"end_s", 259200}}});
    };
    return {{"format", "delivsim-world/1"},
            {"name", "postmaster"},
            {"duration_s", 259200},
            {"epoch_s", 3600},
            {"bucket_s", 86400},
            {"scenario", scenario},
            {"class_feedback", {{"noisy", {{"complaint_factor", noisy_complaint_factor}, {"engagement_factor", 1.0}}}}},
            {"lists", json::array({{{"name", "people"}, {"recipients", 50000}, {"stale", 0.0}, {"spam_trap", 0.0},
                                    {"complaint", 0.001}, {"engagement", 0.1}, {"not_spam", 0.0},
                                    {"domains", {{"gmailish", 1.0}}}}})},
            {"senders", json::array({{{"name", "shop"}, {"class", "compliant"}, {"domain", "shop.example"},
                                      {"ips", {"192.0.2.10"}}, {"schedule", steady(300)}},
                                     {{"name", "smallshop"}, {"class", "compliant"}, {"domain", "small.example"},
                                      {"ips", {"192.0.2.12"}}, {"schedule", steady(20)}},
                                     {{"name", "nodkim"}, {"class", "no_dkim"}, {"domain", "nodkim.example"},
                                      {"ips", {"192.0.2.11"}}, {"schedule", steady(300)}},
                                     {{"name", "noisy"}, {"class", "noisy"}, {"domain", "noisy.example"},
                                      {"ips", {"192.0.2.13"}}, {"schedule", steady(300)}}})},
            {"receivers", {{"gmailish", {{"postmaster", {{"over_limit_share", 1.0}}}}}}}};
}

std::uint64_t deferrals_with(const world::Result& r, Status st) {
    std::uint64_t n = 0;
    for (std::size_t b = 0; b < r.series.buckets; ++b)
        n += r.series.receiver_deferrals[(b * r.series.receivers + 0) * status_count + static_cast<std::size_t>(st)];
    return n;
}

}  // namespace

TEST_CASE("world: bulk status is counted per sender domain per day and is permanent") {
    const world::World w = world::parse_world(postmaster_world(1.0));
    world::Options o;
    o.seed = 3;
    o.threads = 1;
    const world::Result r = world::run(w, o);
    // nodkim: 7200 a day, DKIM missing. Until its 5000th message of day 0 it is a small sender
    // (inbox); from then on a bulk sender (550 5.7.30), on later days from the first message.
    const std::size_t nodkim = 2, shop = 0, small = 1;
    const std::uint64_t inbox = r.tally.outcome(Outcome::inbox, nodkim);
    CHECK(inbox == 4999);
    CHECK(r.tally.status(Status::dkim_required, nodkim) == r.tally.outcome(Outcome::bounced, nodkim));
    CHECK(r.tally.status(Status::dkim_required, nodkim) > 10000);
    CHECK(r.tally.outcome(Outcome::bounced, shop) == 0);
    CHECK(r.tally.outcome(Outcome::bounced, small) == 0);
    // 0.1% complaints: below the 0.3% line, nothing deferred
    CHECK(deferrals_with(r, Status::spam_rate_limited) == 0);
}

TEST_CASE("world: a day at or above the 0.3% spam rate defers the next day's mail with 421 4.7.28") {
    const world::World w = world::parse_world(postmaster_world(5.0));  // noisy: 0.5% of inbox deliveries
    world::Options o;
    o.seed = 3;
    o.threads = 1;
    const world::Result r = world::run(w, o);
    const std::size_t shop = 0, noisy = 3;
    CHECK(deferrals_with(r, Status::spam_rate_limited) > 3000);  // a day's worth of noisy's attempts
    std::uint64_t noisy_deferrals = 0, shop_deferrals = 0;
    for (std::size_t b = 0; b < r.series.buckets; ++b) {
        noisy_deferrals += r.series.sender_deferrals[b * r.series.senders + noisy];
        shop_deferrals += r.series.sender_deferrals[b * r.series.senders + shop];
    }
    CHECK(noisy_deferrals == deferrals_with(r, Status::spam_rate_limited));
    CHECK(shop_deferrals == 0);
    // the same world with 2 threads gives the same result
    o.threads = 2;
    CHECK(world::run(w, o) == r);
    json bad = postmaster_world(1.0);
    bad["receivers"]["gmailish"]["postmaster"] = {{"over_limit_reply", "unauthenticated"}};
    try {
        (void)world::parse_world(bad);
        FAIL("no error");
    } catch (const ScenarioError& e) {
        CHECK(std::string(e.what()) ==
              "receivers.gmailish.postmaster.over_limit_reply: 'unauthenticated' is not a 4xx reply (the receiver defers)");
    }
}

TEST_CASE("world blocklist: listed after weighted trap hits and a delay, delisted after quiet") {
    world::BlocklistSettings s;
    s.enabled = true;
    s.threshold = 1.0;
    s.window_s = 86400;
    s.listing_delay_s = 3600;
    s.delist_after_s = 86400;
    world::Blocklist b(s, 2);
    std::vector<world::TrapHit> hits{{1000, 0, 0.5}, {2000, 1, 0.2}};
    b.add(hits, 3600);
    CHECK(hits.empty());
    CHECK_FALSE(b.listed(0, 5000));  // 0.5 < 1
    hits = {{4000, 0, 0.5}};          // 1.0 within the window: listed from 4000 + 3600
    b.add(hits, 7200);
    CHECK_FALSE(b.listed(0, 7000));
    CHECK(b.listed(0, 7600));
    CHECK(b.listed(0, 7600 + 86399));
    CHECK_FALSE(b.listed(0, 7600 + 86400));  // delisted a day after the listing began (no hit since)
    CHECK_FALSE(b.listed(1, 7600));
    CHECK(b.listings(0) == 1);
    // a listing never starts before the epoch that saw its hits has ended
    hits = {{200000, 1, 0.6}, {200001, 1, 0.6}};
    b.add(hits, 210000);
    CHECK_FALSE(b.listed(1, 205000));
    CHECK(b.listed(1, 210000));
}

namespace {

json trap_world(bool hygiene, bool blocklist) {
    json w = postmaster_world(1.0);
    REQUIRE(w["scenario"]["recipient_profiles"][0]["policies"][0]["type"] == "dnsbl");  // minimal_scenario's
    w["receivers"]["gmailish"] = json::object();
    w["lists"][0]["recipients"] = 2000;
    w["lists"][0]["stale"] = 0.05;
    w["lists"][0]["pristine_trap"] = 0.002;
    w["lists"][0]["typo_trap"] = 0.002;
    for (auto& s : w["senders"]) s["list_hygiene"] = hygiene;
    if (blocklist) w["blocklist"] = {{"threshold", 3}, {"window_s", 86400}, {"listing_delay_s", 3600}, {"delist_after_s", 86400}};
    return w;
}

}  // namespace

TEST_CASE("world: pristine and typo trap hits list the sending IP; the dnsbl policy then rejects") {
    world::Options o;
    o.seed = 5;
    o.threads = 1;
    const world::Result without = world::run(world::parse_world(trap_world(false, false)), o);
    const world::Result with = world::run(world::parse_world(trap_world(false, true)), o);
    CHECK(without.tally.status(Status::ip_blocklisted) == 0);
    CHECK(with.tally.status(Status::ip_blocklisted) > 1000);
    CHECK(with.tally.stage(stage_of<DnsblCheck>) == with.tally.status(Status::ip_blocklisted));
    o.threads = 2;
    CHECK(world::run(world::parse_world(trap_world(false, true)), o) == with);
}

TEST_CASE("world: list hygiene stops mail to hard-bounced and complaining recipients") {
    world::Options o;
    o.seed = 5;
    o.threads = 1;
    const world::Result plain = world::run(world::parse_world(trap_world(false, false)), o);
    const world::Result clean = world::run(world::parse_world(trap_world(true, false)), o);
    const std::uint64_t hard_plain = plain.tally.status(Status::unknown_user);
    const std::uint64_t hard_clean = clean.tally.status(Status::unknown_user);
    // ~100 stale addresses of 2000, each mailed ~11 times by each large sender: with hygiene
    // each (sender, address) bounces once, about 350 in all; without, every time (~3300)
    CHECK(hard_clean < 420);
    CHECK(hard_clean > 280);
    CHECK(hard_plain > 5 * hard_clean);
    CHECK(clean.tally.messages() < plain.tally.messages());
}

TEST_CASE("world checkpoint: postmaster, blocklist and hygiene state survive a resume") {
    const world::World w = world::parse_world(trap_world(true, true));
    world::Options o;
    o.seed = 9;
    o.threads = 2;
    const world::Result whole = world::run(w, o);
    REQUIRE(whole.tally.status(Status::ip_blocklisted) > 0);
    std::vector<json> written;
    world::Options c = o;
    c.checkpoint = [&](const world::WorldRun& run) { written.push_back(world::world_checkpoint_json(w, 9, run)); };
    c.checkpoint_interval_s = 0;
    CHECK(world::run(w, c) == whole);
    REQUIRE(written.size() > 40);
    const json& mid = written[40];  // after the first listing and a closed day
    CHECK(mid["state"]["blocklist"]["ips"].size() == w.ips.size());
    CHECK(mid["state"]["domains"][0]["suppressed"].size() > 0);
    CHECK(mid["state"]["domains"][0]["postmaster"]["domains"].size() == w.sender_domains.size());
    const std::string path = (std::filesystem::temp_directory_path() / "delivsim_modern_world.ckpt").string();
    {
        std::ofstream out(path);
        out << mid.dump();
    }
    const world::WorldRun restored = world::read_world_checkpoint(path, w, 9);
    for (unsigned threads : {1u, 2u}) {
        world::Options r = o;
        r.threads = threads;
        r.resume = &restored;
        CHECK(world::run(w, r) == whole);
    }
    std::filesystem::remove(path);
}
