// Zone-based sender authentication in the simulation (sender/authentication.hpp): a class
// described by its DNS records, IPs and DKIM setup gets its DMARC result from the zone.
#include "scenario_builder.hpp"

#include <doctest/doctest.h>

using namespace delivsim;
using delivsim::testing::minimal_scenario;
using delivsim::testing::scenario_from;
using delivsim::testing::simulate;

namespace {

const char* const key = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC1";

json rec(const std::string& name, const std::string& type, const json& value) {
    return {{"name", name}, {"type", type}, {"value", value}};
}

// One class sending as example.com from 192.0.2.10/11, SPF, DKIM (s1) and DMARC p=reject all
// correct, at a G-like receiver (DMARC fail_reject rejected, p=none mail penalised).
json auth_scenario() {
    json j = minimal_scenario();
    j["dns"] = {{"records", json::array({
                     rec("example.com", "TXT", "v=spf1 ip4:192.0.2.0/28 -all"),
                     rec("s1._domainkey.example.com", "TXT", std::string("v=DKIM1; k=rsa; p=") + key),
                     rec("_dmarc.example.com", "TXT", "v=DMARC1; p=reject"),
                 })}};
    auto& c = j["sender_classes"][0];
    c.erase("dmarc");
    c["authentication"] = {{"from_domain", "example.com"},
                           {"mail_from_domain", "example.com"},
                           {"helo", "out.example.com"},
                           {"ips", {"192.0.2.10", "192.0.2.11"}},
                           {"dkim", {{"domain", "example.com"}, {"selector", "s1"}, {"key", key}, {"key_bits", 2048}}}};
    auto& pol = j["recipient_profiles"][0]["policies"];
    pol.push_back({{"type", "dmarc_disposition"}, {"fail_reject", "reject"}, {"fail_quarantine", "spam_folder"}});
    pol.push_back(json::parse(R"({"type": "content_filter", "dmarc_adjustment": {"none": 1.5},
        "actions": [{"min_score": 15, "action": "reject"}, {"min_score": 5, "action": "spam_folder"}]})"));
    return j;
}

void set_record(json& j, const std::string& name, const json& value) {
    for (auto& r : j["dns"]["records"])
        if (r["name"] == name) r["value"] = value;
}
void remove_record(json& j, const std::string& name) {
    auto& rs = j["dns"]["records"];
    for (std::size_t i = 0; i < rs.size(); ++i)
        if (rs[i]["name"] == name) {
            rs.erase(i);
            return;
        }
}

}  // namespace

TEST_CASE("zone-based authentication: correct SPF, DKIM and DMARC p=reject pass, mail reaches the inbox") {
    const Scenario s = scenario_from(auth_scenario());
    const Tally t = simulate(s, 20000);
    CHECK(t.outcome(Outcome::inbox) == 20000);
    const json e = explain(s, 1, 7).to_json(s);
    CHECK(e["dmarc"] == "pass");
    CHECK(e["authentication"]["spf"]["result"] == "pass");
    CHECK(e["authentication"]["spf"]["mechanism"] == "ip4:192.0.2.0/28");
    CHECK(!e["authentication"]["spf"]["terms"].empty());
    CHECK(e["authentication"]["dkim"]["result"] == "pass");
    CHECK(e["authentication"]["dmarc"]["record"] == "_dmarc.example.com");
    CHECK(e["authentication"]["dmarc"]["policy"] == "reject");
    CHECK(e["authentication"]["dmarc"]["alignment"]["spf"] == true);
    CHECK(e["authentication"]["dmarc"]["alignment"]["dkim"] == true);
    CHECK(explain(s, 1, 7).to_text(s).find("DMARC pass, record _dmarc.example.com") != std::string::npos);
}

TEST_CASE("zone-based authentication: no SPF record and a rotated DKIM key fail p=reject: bounced 5.7.26") {
    json j = auth_scenario();
    remove_record(j, "example.com");
    set_record(j, "s1._domainkey.example.com", "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCrotated");
    const Scenario s = scenario_from(j);
    const Tally t = simulate(s, 5000);
    CHECK(t.outcome(Outcome::bounced) == 5000);
    CHECK(t.status(Status::dmarc_reject) == 5000);
    const json e = explain(s, 1, 3).to_json(s);
    CHECK(e["authentication"]["spf"]["result"] == "none");
    CHECK(e["authentication"]["dkim"]["result"] == "fail");
    CHECK(e["authentication"]["dmarc"]["result"] == "fail");
    CHECK(e["dmarc"] == "fail_reject");
    CHECK(e["status"]["enhanced"] == "5.7.26");

    // Only one of the two broken: DMARC still passes on the other.
    json spf_only = auth_scenario();
    remove_record(spf_only, "example.com");
    CHECK(simulate(scenario_from(spf_only), 2000).outcome(Outcome::inbox) == 2000);
}

TEST_CASE("zone-based authentication: a wrong IP in ip4, an include chain over the limit, pct") {
    json wrong_ip = auth_scenario();
    set_record(wrong_ip, "example.com", "v=spf1 ip4:192.0.2.100 -all");
    wrong_ip["sender_classes"][0]["authentication"].erase("dkim");
    CHECK(simulate(scenario_from(wrong_ip), 2000).status(Status::dmarc_reject) == 2000);

    json chain = auth_scenario();
    chain["sender_classes"][0]["authentication"].erase("dkim");
    std::string spf = "v=spf1";
    for (int i = 0; i < 11; ++i) {
        spf += " include:i" + std::to_string(i) + ".e.net";
        chain["dns"]["records"].push_back(rec("i" + std::to_string(i) + ".e.net", "TXT", "v=spf1 ?all"));
    }
    set_record(chain, "example.com", spf + " ip4:192.0.2.0/28 -all");
    const Scenario cs = scenario_from(chain);
    CHECK(simulate(cs, 2000).status(Status::dmarc_reject) == 2000);
    CHECK(explain(cs, 1, 0).to_json(cs)["authentication"]["spf"]["result"] == "permerror");

    // pct=50: half the failing mail is sampled (reject), the rest falls back to quarantine.
    json pct = wrong_ip;
    set_record(pct, "_dmarc.example.com", "v=DMARC1; p=reject; pct=50");
    const Tally t = simulate(scenario_from(pct), 20000);
    const double rejected = static_cast<double>(t.status(Status::dmarc_reject)) / 20000.0;
    CHECK(rejected > 0.47);
    CHECK(rejected < 0.53);
    CHECK(t.outcome(Outcome::spam_folder) + t.status(Status::dmarc_reject) == 20000);
}

TEST_CASE("zone-based authentication: a forwarder that modifies the body fails DMARC under p=reject") {
    json j = auth_scenario();
    j["sender_classes"][0]["authentication"]["forwarded"] = {
        {"probability", 1.0}, {"hop", "mailing_list"}, {"ip", "198.51.100.7"}};
    const Scenario s = scenario_from(j);
    CHECK(simulate(s, 3000).status(Status::dmarc_reject) == 3000);
    const json e = explain(s, 1, 0).to_json(s);
    CHECK(e["authentication"]["forwarded"] == true);
    CHECK(e["authentication"]["ip"] == "198.51.100.7");
    CHECK(e["authentication"]["spf"]["result"] == "fail");
    CHECK(e["authentication"]["dkim"]["result"] == "fail");

    // A plain forwarder keeps the body: DKIM survives and DMARC passes on it.
    j["sender_classes"][0]["authentication"]["forwarded"]["hop"] = "forwarder";
    CHECK(simulate(scenario_from(j), 3000).outcome(Outcome::inbox) == 3000);
}

TEST_CASE("zone-based authentication: deterministic across threads, and random DNS timeouts") {
    json j = auth_scenario();
    j["sender_classes"][0]["authentication"]["forwarded"] = {
        {"probability", 0.3}, {"hop", "gateway_footer"}, {"ip", "198.51.100.7"}};
    j["dns"]["timeout_probability"] = 0.2;
    set_record(j, "_dmarc.example.com", "v=DMARC1; p=reject; pct=60");
    const Scenario s = scenario_from(j);
    RunOptions o;
    o.messages = 50001;
    o.seed = 9;
    o.threads = 1;
    const Tally one = run(s, o);
    o.threads = 4;
    o.chunk = 777;
    CHECK(run(s, o) == one);
    // With timeouts some messages get temperror (none) and are not rejected; some still are.
    CHECK(one.outcome(Outcome::inbox) > 0);
    CHECK(one.status(Status::dmarc_reject) > 0);
    // explain replays each message's evaluation: its result is the one the run used.
    for (std::uint64_t i = 0; i < 200; ++i) {
        const json e = explain(s, 9, i).to_json(s);
        CHECK(e["dmarc"] == e["authentication"]["message_result"]);
    }
}

TEST_CASE("zone-based authentication: scenario errors name the field") {
    auto error_of = [](const json& j) -> std::string {
        try {
            scenario_from(j);
        } catch (const ScenarioError& e) {
            return e.what();
        }
        return "";
    };
    json both = auth_scenario();
    both["sender_classes"][0]["dmarc"] = {{"pass", 1.0}};
    CHECK(error_of(both) == "sender_classes[0].authentication: a class gives one of \"dmarc\" (result probabilities), "
                            "\"authentication\" (its DNS setup) and \"auth_results\" (drawn check results), not several");
    json no_dns = auth_scenario();
    no_dns.erase("dns");
    CHECK(error_of(no_dns) == "sender_classes[0].authentication: needs the scenario's top-level \"dns\" zone");
    json bad_ip = auth_scenario();
    bad_ip["sender_classes"][0]["authentication"]["ips"][1] = "192.0.2.300";
    CHECK(error_of(bad_ip) == "sender_classes[0].authentication.ips[1]: '192.0.2.300' is not an IPv4 or IPv6 address");
    json bad_zone = auth_scenario();
    bad_zone["dns"]["records"][0]["type"] = "TXTX";
    CHECK(error_of(bad_zone).rfind("dns.records[0].type: 'TXTX' is not one of", 0) == 0);
}
