// Forwarding and mailing lists (sender/forwarding.hpp): SPF through a forwarder with and
// without SRS, DKIM and a list's footer (and l=), From rewriting, ARC seals honoured only by
// receivers that trust the sealer; for zone-based and drawn classes.
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

// example.com: SPF (its own IPs only, -all), DKIM s1, DMARC p=reject. fwd.example (a forwarder)
// and lists.example (a list) publish SPF for 198.51.100.7; lists.example has DMARC p=none.
// Profile X rejects DMARC p=reject failures.
json forwarding_scenario(const json& forwarded) {
    json j = minimal_scenario();
    j["dns"] = {{"records", json::array({
                     rec("example.com", "TXT", "v=spf1 ip4:192.0.2.0/28 -all"),
                     rec("s1._domainkey.example.com", "TXT", std::string("v=DKIM1; k=rsa; p=") + key),
                     rec("_dmarc.example.com", "TXT", "v=DMARC1; p=reject"),
                     rec("fwd.example", "TXT", "v=spf1 ip4:198.51.100.7 -all"),
                     rec("lists.example", "TXT", "v=spf1 ip4:198.51.100.7 -all"),
                     rec("_dmarc.lists.example", "TXT", "v=DMARC1; p=none"),
                 })}};
    auto& c = j["sender_classes"][0];
    c.erase("dmarc");
    c["authentication"] = {{"from_domain", "example.com"},
                           {"mail_from_domain", "example.com"},
                           {"helo", "out.example.com"},
                           {"ips", {"192.0.2.10"}},
                           {"dkim", {{"domain", "example.com"}, {"selector", "s1"}, {"key", key}}},
                           {"forwarded", forwarded}};
    j["recipient_profiles"][0]["policies"].push_back(
        {{"type", "dmarc_disposition"}, {"fail_reject", "reject"}, {"fail_quarantine", "spam_folder"}});
    return j;
}

Message draw_one(const Scenario& s, std::uint64_t index, std::uint32_t profile = 0) {
    Message m;
    m.index = index;
    m.profile = profile;
    MessageRng rng(1, index);
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

// A second profile Y like X; X trusts `trusted` as an ARC sealer when given.
json two_receivers(json j, const std::string& trusted = "") {
    json y = j["recipient_profiles"][0];
    y["name"] = "Y";
    j["recipient_profiles"][0]["weight"] = 0.5;
    y["weight"] = 0.5;
    if (!trusted.empty()) j["recipient_profiles"][0]["trusted_arc_sealers"] = {trusted};
    j["recipient_profiles"].push_back(y);
    return j;
}

}  // namespace

TEST_CASE("forwarding: SPF fails through a forwarder that keeps MAIL FROM, passes unaligned with SRS") {
    const json plain = {{"probability", 1.0}, {"hop", "forwarder"}, {"ip", "198.51.100.7"}};
    const Scenario s = scenario_from(forwarding_scenario(plain));
    const Message m = draw_one(s, 3);
    CHECK(m.auth.spf == AuthResult::fail);  // 198.51.100.7 is not in example.com's record (-all)
    CHECK(s.classes[0].domains[m.auth.spf_domain] == "example.com");
    CHECK(m.auth.dkim[0].result == AuthResult::pass);  // the body is intact
    CHECK(m.auth.dmarc == AuthResult::pass);            // on DKIM
    CHECK(m.auth.has(AuthResults::forwarded));
    CHECK_FALSE(m.auth.has(AuthResults::envelope_rewritten));

    json srs = plain;
    srs["srs"] = true;
    srs["domain"] = "fwd.example";
    const Scenario ss = scenario_from(forwarding_scenario(srs));
    const Message n = draw_one(ss, 3);
    CHECK(n.auth.spf == AuthResult::pass);
    CHECK(ss.classes[0].domains[n.auth.spf_domain] == "fwd.example");
    CHECK_FALSE(n.auth.spf_aligned);  // fwd.example is not example.com's organization
    CHECK(n.auth.has(AuthResults::envelope_rewritten));
    const json e = explain(ss, 1, 3).to_json(ss);
    CHECK(e["authentication"]["spf"]["result"] == "pass");
    CHECK(e["authentication"]["dmarc"]["alignment"]["spf"] == false);
    CHECK(e["auth_results"]["indirect"]["via"] == "forwarder");
}

TEST_CASE("forwarding: a list's footer breaks DKIM (not with l=); without it DMARC p=reject fails") {
    const json list = {{"probability", 1.0}, {"kind", "mailing_list"}, {"hop", "gateway_footer"},
                       {"domain", "lists.example"}, {"ip", "198.51.100.7"}};
    const Scenario s = scenario_from(forwarding_scenario(list));
    const Message m = draw_one(s, 5);
    CHECK(m.auth.dkim[0].result == AuthResult::fail);
    CHECK(m.auth.spf == AuthResult::pass);  // the list's bounce address, lists.example
    CHECK_FALSE(m.auth.spf_aligned);
    CHECK(m.auth.dmarc == AuthResult::fail);
    CHECK(m.dmarc == DmarcResult::fail_reject);
    CHECK(simulate(s, 2000).status(Status::dmarc_reject) == 2000);

    json with_l = forwarding_scenario(list);
    with_l["sender_classes"][0]["authentication"]["dkim"]["body_length_limit"] = true;
    const Scenario sl = scenario_from(with_l);
    CHECK(draw_one(sl, 5).auth.dkim[0].result == AuthResult::pass);
    CHECK(simulate(sl, 2000).outcome(Outcome::inbox) == 2000);

    // A subject tag changes a signed header: l= does not help.
    json tag = with_l;
    tag["sender_classes"][0]["authentication"]["forwarded"]["hop"] = "subject_tag";
    CHECK(draw_one(scenario_from(tag), 5).auth.dkim[0].result == AuthResult::fail);
}

TEST_CASE("forwarding: a list that rewrites From gets DMARC evaluated for its own domain: pass") {
    const json list = {{"probability", 1.0}, {"kind", "mailing_list"}, {"hop", "mailing_list"},
                       {"domain", "lists.example"}, {"rewrite_from", true}, {"ip", "198.51.100.7"}};
    const Scenario s = scenario_from(forwarding_scenario(list));
    const Message m = draw_one(s, 9);
    CHECK(m.auth.spf == AuthResult::pass);
    CHECK(m.auth.spf_aligned);  // lists.example = the rewritten From
    CHECK(m.auth.dkim[0].result == AuthResult::fail);
    CHECK_FALSE(m.auth.dkim[0].aligned);
    CHECK(m.auth.dmarc == AuthResult::pass);
    CHECK(m.auth.dmarc_policy == DmarcPolicyFact::none);  // lists.example's p=none
    CHECK(m.auth.has(AuthResults::from_rewritten));
    CHECK(simulate(s, 2000).outcome(Outcome::inbox) == 2000);
    CHECK(explain(s, 1, 9).to_json(s)["authentication"]["dmarc"]["record"] == "_dmarc.lists.example");
}

TEST_CASE("forwarding: an ARC seal overrides the hop's DMARC failure only where the sealer is trusted") {
    const json list = {{"probability", 1.0}, {"kind", "mailing_list"}, {"hop", "mailing_list"},
                       {"domain", "lists.example"}, {"arc", true}, {"ip", "198.51.100.7"}};
    const Scenario s = scenario_from(two_receivers(forwarding_scenario(list), "lists.example"));
    const Message at_x = draw_one(s, 4, 0), at_y = draw_one(s, 4, 1);
    for (const Message& m : {at_x, at_y}) {
        CHECK(m.auth.dmarc == AuthResult::fail);  // the receiver's own evaluation
        CHECK(m.auth.has(AuthResults::arc_sealed));
        CHECK(m.auth.has(AuthResults::arc_dmarc_pass));  // DMARC passed at the list's arrival
    }
    CHECK(at_x.auth.has(AuthResults::arc_honoured));
    CHECK(at_x.dmarc == DmarcResult::pass);
    CHECK_FALSE(at_y.auth.has(AuthResults::arc_honoured));
    CHECK(at_y.dmarc == DmarcResult::fail_reject);

    const Tally t = simulate(s, 4000);
    CHECK(t.outcome(Outcome::inbox) + t.status(Status::dmarc_reject) == 4000);
    CHECK(t.outcome(Outcome::inbox, 0, 0) == t.messages_in(0, 0));  // X trusts the seal: inbox
    CHECK(t.outcome(Outcome::bounced, 0, 1) == t.messages_in(0, 1));  // Y does not: rejected
    CHECK(t.messages_in(0, 0) > 1800);

    // Untrusted everywhere: all rejected. Trust without a seal changes nothing.
    CHECK(simulate(scenario_from(two_receivers(forwarding_scenario(list))), 2000).status(Status::dmarc_reject) == 2000);
    json unsealed = list;
    unsealed["arc"] = false;
    CHECK(error_of(two_receivers(forwarding_scenario(unsealed), "lists.example"))
              .find("recipient_profiles[0].trusted_arc_sealers[0]: no forwarder or mailing list") != std::string::npos);
}

TEST_CASE("forwarding: drawn classes: SRS, footer, From rewrite and ARC from the drawn facts") {
    json j = minimal_scenario();
    auto& c = j["sender_classes"][0];
    c.erase("dmarc");
    c["auth_results"] = json::parse(R"({"from_domain": "example.com", "dmarc_policy": "reject",
        "spf": {"domain": "example.com", "result": "pass"},
        "dkim": [{"domain": "example.com", "result": "pass"}],
        "forwarded": {"probability": 0.5, "hop": "forwarder", "spf": "softfail"}})");
    j["recipient_profiles"][0]["policies"].push_back(
        {{"type", "dmarc_disposition"}, {"fail_reject", "reject"}, {"fail_quarantine", "spam_folder"}});
    const Scenario s = scenario_from(j);
    int forwarded = 0;
    for (std::uint64_t i = 0; i < 400; ++i) {
        const Message m = draw_one(s, i);
        if (!m.auth.has(AuthResults::forwarded)) {
            CHECK(m.auth.spf == AuthResult::pass);
            continue;
        }
        ++forwarded;
        CHECK(m.auth.spf == AuthResult::softfail);
        CHECK(m.auth.dkim[0].result == AuthResult::pass);
        CHECK(m.auth.dmarc == AuthResult::pass);
    }
    CHECK(forwarded > 160);
    CHECK(forwarded < 240);

    json list = j;
    list["sender_classes"][0]["auth_results"]["forwarded"] = json::parse(
        R"({"probability": 1.0, "kind": "mailing_list", "hop": "mailing_list", "domain": "lists.example", "arc": true})");
    list = two_receivers(list, "lists.example");
    const Scenario ls = scenario_from(list);
    const Message x = draw_one(ls, 2, 0), y = draw_one(ls, 2, 1);
    CHECK(x.auth.spf == AuthResult::pass);
    CHECK(ls.classes[0].domains[x.auth.spf_domain] == "lists.example");
    CHECK_FALSE(x.auth.spf_aligned);
    CHECK(x.auth.dkim[0].result == AuthResult::fail);
    CHECK(x.auth.dmarc == AuthResult::fail);
    CHECK(x.dmarc == DmarcResult::pass);  // trusted seal
    CHECK(y.dmarc == DmarcResult::fail_reject);
    const Tally t = simulate(ls, 2000);
    CHECK(t.outcome(Outcome::inbox, 0, 0) == t.messages_in(0, 0));
    CHECK(t.outcome(Outcome::bounced, 0, 1) == t.messages_in(0, 1));

    json rewrite = j;
    rewrite["sender_classes"][0]["auth_results"]["forwarded"] = json::parse(
        R"({"probability": 1.0, "kind": "mailing_list", "hop": "mailing_list", "domain": "lists.example",
            "rewrite_from": true, "dmarc_policy": "none"})");
    const Message r = draw_one(scenario_from(rewrite), 2);
    CHECK(r.auth.spf_aligned);
    CHECK(r.auth.dmarc == AuthResult::pass);
    CHECK(r.auth.dmarc_policy == DmarcPolicyFact::none);
    CHECK(r.dmarc == DmarcResult::pass);
}

TEST_CASE("forwarding: 'to' sends the forwarded share to another profile") {
    json j = two_receivers(forwarding_scenario({{"probability", 1.0}, {"hop", "forwarder"}, {"ip", "198.51.100.7"}, {"to", "Y"}}));
    const Tally t = simulate(scenario_from(j), 1000);
    CHECK(t.messages_in(0, 1) == 1000);
    j["sender_classes"][0]["authentication"]["forwarded"]["to"] = "Z";
    CHECK(error_of(j).find("sender_classes[0].authentication.forwarded.to: 'Z' is not a recipient profile") != std::string::npos);
}

TEST_CASE("forwarding: scenario errors name the field") {
    auto err = [](const json& fw) { return error_of(forwarding_scenario(fw)); };
    CHECK(err({{"probability", 1.0}, {"kind", "mailing_list"}, {"hop", "forwarder"}, {"ip", "198.51.100.7"}})
              .find("forwarded.domain: required") != std::string::npos);
    CHECK(err({{"probability", 1.0}, {"kind", "mailing_list"}, {"hop", "forwarder"}, {"domain", "l.example"},
               {"srs", true}, {"ip", "198.51.100.7"}})
              .find("forwarded.srs: a mailing list always rewrites the envelope sender") != std::string::npos);
    CHECK(err({{"probability", 1.0}, {"hop", "forwarder"}, {"domain", "f.example"}, {"rewrite_from", true},
               {"ip", "198.51.100.7"}})
              .find("forwarded.rewrite_from: only a mailing list rewrites From") != std::string::npos);
    CHECK(err({{"probability", 1.0}, {"hop", "forwarder"}, {"ip", "198.51.100.7"}, {"kind", "alias"}})
              .find("forwarded.kind: 'alias' is not one of") != std::string::npos);

    json drawn = minimal_scenario();
    drawn["sender_classes"][0].erase("dmarc");
    drawn["sender_classes"][0]["auth_results"] = json::parse(R"({"from_domain": "example.com", "dmarc_policy": "reject",
        "spf": {"domain": "example.com", "result": "pass"}, "forwarded": {"probability": 1.0, "hop": "forwarder"}})");
    CHECK(error_of(drawn).find("sender_classes[0].auth_results.forwarded.spf: required field is missing") != std::string::npos);
    drawn["sender_classes"][0]["auth_results"]["forwarded"] =
        json::parse(R"({"probability": 1.0, "hop": "forwarder", "srs": true, "domain": "f.example", "spf": "fail"})");
    CHECK(error_of(drawn).find("auth_results.forwarded.spf: the intermediary rewrites MAIL FROM") != std::string::npos);
    drawn["sender_classes"][0]["auth_results"]["forwarded"] = json::parse(
        R"({"probability": 1.0, "kind": "mailing_list", "hop": "forwarder", "domain": "l.example", "rewrite_from": true})");
    CHECK(error_of(drawn).find("auth_results.forwarded.dmarc_policy: required field is missing") != std::string::npos);
}

TEST_CASE("forwarding: a class without it draws exactly as before (no draw, no facts)") {
    json j = forwarding_scenario({{"probability", 0.0}, {"hop", "forwarder"}, {"ip", "198.51.100.7"}});
    const Scenario s = scenario_from(j);
    json no = j;
    no["sender_classes"][0]["authentication"].erase("forwarded");
    const Scenario n = scenario_from(no);
    for (std::uint64_t i = 0; i < 50; ++i) {
        const Message a = draw_one(s, i), b = draw_one(n, i);
        CHECK(a.auth.indirect == 0);
        CHECK(a.dmarc == b.dmarc);
        CHECK(a.auth.spf == b.auth.spf);
    }
}
