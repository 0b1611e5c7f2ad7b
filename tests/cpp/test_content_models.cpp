// Content features and the content-model policies (issue 6): each on hand-made messages,
// their parse errors, and the features' distributions in the simulation.
#include "scenario_builder.hpp"

#include <doctest/doctest.h>

#include <cmath>

using namespace delivsim;

namespace {

Message msg() {
    Message m;
    m.size_bytes = 1000;
    return m;
}
const Attempt first_attempt{0, 0.0, 0};

template <class P>
P parse_policy(const std::string& text) {
    return P::parse(Field(json::parse(text), "policies[0]"), ParseContext{{"A", "S"}});
}
PolicyChain chain_from_text(const std::string& text) {
    return PolicyChain::parse(Field(json::parse(text), "policies"), ParseContext{{"A", "S"}});
}
template <class P>
Verdict judge(const P& p, const Message& m, Session* session = nullptr, double time_s = 0) {
    Session local;
    MessageRng rng(1, m.index);
    return p.evaluate(m, session ? *session : local, rng, Attempt{0, time_s, 0});
}
std::string parse_error(const std::string& chain) {
    try {
        chain_from_text(chain);
    } catch (const ScenarioError& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("feature names: every feature has a name and reads its value") {
    Message m = msg();
    m.features = {7, 2, 1, AttachmentType::office_macro, 0.25, 42.0};
    m.content_score = 3.5;
    m.has_attachment = true;
    m.dmarc = DmarcResult::fail_quarantine;
    CHECK(feature_value(m, *feature_by_name("links")) == 7);
    CHECK(feature_value(m, *feature_by_name("promo_phrases")) == 2);
    CHECK(feature_value(m, *feature_by_name("url_hits")) == 1);
    CHECK(feature_value(m, *feature_by_name("html_ratio")) == 0.25);
    CHECK(feature_value(m, *feature_by_name("reputation")) == 42);
    CHECK(feature_value(m, *feature_by_name("content_score")) == 3.5);
    CHECK(feature_value(m, *feature_by_name("size_bytes")) == 1000);
    CHECK(feature_value(m, *feature_by_name("has_attachment")) == 1);
    CHECK(feature_value(m, *feature_by_name("ip_listed")) == 0);
    CHECK(feature_value(m, *feature_by_name("attachment=office_macro")) == 1);
    CHECK(feature_value(m, *feature_by_name("attachment=pdf")) == 0);
    CHECK(feature_value(m, *feature_by_name("dmarc=fail_quarantine")) == 1);
    CHECK(feature_value(m, *feature_by_name("dmarc=pass")) == 0);
    CHECK_FALSE(feature_by_name("link").has_value());
    double x[feature_count];
    feature_vector(m, x);
    for (std::size_t i = 0; i < feature_count; ++i) CHECK(x[i] == feature_value(m, static_cast<FeatureId>(i)));
}

TEST_CASE("rule_score: the fired rules' scores add up, thresholds pick the action") {
    const auto p = parse_policy<RuleScore>(R"({"type": "rule_score", "rules": [
        {"name": "MANY_LINKS", "feature": "links", "op": ">=", "value": 10, "score": 2.5},
        {"name": "PROMO", "feature": "promo_phrases", "op": ">", "value": 0, "score": 1.5},
        {"name": "MACRO", "feature": "attachment=office_macro", "op": "==", "value": 1, "score": 4},
        {"name": "GOOD_REP", "feature": "reputation", "op": ">=", "value": 80, "score": -3}],
      "actions": [{"min_score": 4, "action": "spam_folder"}, {"min_score": 8, "action": "reject"}]})");
    Message m = msg();
    CHECK(p.score(m) == 0);
    CHECK(judge(p, m).action == Action::proceed);
    m.features.links = 10;
    m.features.promo_phrases = 1;
    CHECK(p.score(m) == 4);
    Verdict v = judge(p, m);
    CHECK(v.action == Action::file);
    CHECK(v.folder == Outcome::spam_folder);
    CHECK(v.stage == stage_of<RuleScore>);
    CHECK(v.responsible == Responsible::sender_content);
    m.features.attachment = AttachmentType::office_macro;
    CHECK(p.score(m) == 8);
    v = judge(p, m);
    CHECK(v.action == Action::reject);
    CHECK(v.status == Status::content_rejected);
    m.features.reputation = 90;
    CHECK(p.score(m) == 5);
    CHECK(judge(p, m).folder == Outcome::spam_folder);

    const auto with_content = parse_policy<RuleScore>(R"({"type": "rule_score", "content_score": true, "rules": [
        {"name": "HTML", "feature": "html_ratio", "op": ">", "value": 0.5, "score": 1}],
      "actions": [{"min_score": 5, "action": "quarantine"}]})");
    m = msg();
    m.content_score = 4.5;
    CHECK(judge(with_content, m).action == Action::proceed);
    m.features.html_ratio = 0.9;
    CHECK(with_content.score(m) == 5.5);
    CHECK(judge(with_content, m).folder == Outcome::quarantined);
}

TEST_CASE("logistic: P(spam) from the weights, thresholds on probability, batch equals one by one") {
    const auto p = parse_policy<Logistic>(R"({"type": "logistic", "intercept": -2,
        "weights": {"links": 0.5, "attachment=executable": 3, "dmarc=fail_reject": 1, "reputation": -0.1},
        "actions": [{"min_probability": 0.5, "action": "spam_folder"}, {"min_probability": 0.95, "action": "reject"}]})");
    Message m = msg();
    CHECK(p.score(m) == doctest::Approx(-2));
    CHECK(p.probability(m) == doctest::Approx(1 / (1 + std::exp(2.0))));
    CHECK(judge(p, m).action == Action::proceed);
    m.features.links = 4;  // log-odds 0: P = 0.5 exactly, at the threshold
    CHECK(p.score(m) == 0);
    CHECK(judge(p, m).folder == Outcome::spam_folder);
    CHECK(judge(p, m).stage == stage_of<Logistic>);
    m.features.links = 3;  // P = 0.38
    CHECK(judge(p, m).action == Action::proceed);
    m.features.attachment = AttachmentType::executable;  // log-odds 2.5: P = 0.924
    CHECK(judge(p, m).folder == Outcome::spam_folder);
    m.dmarc = DmarcResult::fail_reject;  // log-odds 3.5: P = 0.971
    CHECK(p.probability(m) == doctest::Approx(1 / (1 + std::exp(-3.5))));
    CHECK(judge(p, m).action == Action::reject);

    Logistic::Batch X(3, static_cast<int>(feature_count));
    Message ms[3] = {msg(), m, msg()};
    ms[2].features.reputation = 50;
    for (int r = 0; r < 3; ++r) feature_vector(ms[r], X.row(r).data());
    const Eigen::VectorXd lo = p.log_odds(X);
    for (int r = 0; r < 3; ++r) CHECK(lo[r] == doctest::Approx(p.score(ms[r])));
}

TEST_CASE("rspamd: the preset's 4 / 6 / 15, the highest threshold reached wins") {
    const auto p = parse_policy<Rspamd>(R"({"type": "rspamd", "preset": "rspamd_default", "content_score": true})");
    Message m = msg();
    auto at = [&](double score) {
        m.content_score = score;
        return judge(p, m);
    };
    CHECK(at(3.99).action == Action::proceed);
    CHECK(at(4).action == Action::temp_fail);
    CHECK(at(4).status == Status::greylisted);
    CHECK(at(4).stage == stage_of<Rspamd>);
    CHECK(at(5.9).action == Action::temp_fail);
    // add_header: greylisted first (rspamd's greylist module defers every action but reject),
    // then filed to junk at the mailbox.
    CHECK(at(6).action == Action::temp_fail);
    CHECK(at(6).status == Status::greylisted);
    {
        m.content_score = 6;
        Session s;
        CHECK(judge(p, m, &s, 0).action == Action::temp_fail);
        CHECK(judge(p, m, &s, 300).action == Action::file);
        CHECK(judge(p, m, &s, 300).folder == Outcome::spam_folder);
        m.content_score = 14.9;
        Session t;
        CHECK(judge(p, m, &t, 0).action == Action::temp_fail);
        CHECK(judge(p, m, &t, 300).folder == Outcome::spam_folder);
    }
    CHECK(at(15).action == Action::reject);
    CHECK(at(15).status == Status::content_rejected);

    // rewrite_subject configurable next to the preset; null turns an action off.
    const auto q = parse_policy<Rspamd>(
        R"({"type": "rspamd", "preset": "rspamd_default", "content_score": true, "rewrite_subject": 8, "greylist": null})");
    REQUIRE(q.threshold[static_cast<std::size_t>(Rspamd::Action::rewrite_subject)] == 8.0);
    m.content_score = 5;
    CHECK(judge(q, m).action == Action::proceed);
    m.content_score = 9;
    CHECK(q.action(9) == Rspamd::Action::rewrite_subject);
    CHECK(judge(q, m).folder == Outcome::spam_folder);  // greylist off: filed at once
    CHECK(q.action(16) == Rspamd::Action::reject);
}

TEST_CASE("rspamd greylist: 451 on the first attempt, a retry after the delay passes to the inbox") {
    const auto p = parse_policy<Rspamd>(
        R"({"type": "rspamd", "greylist": 4, "reject": 15, "greylist_delay_s": 300, "content_score": true})");
    Message m = msg();
    m.content_score = 5;
    Session s;
    CHECK(judge(p, m, &s, 0).action == Action::temp_fail);
    CHECK(judge(p, m, &s, 100).action == Action::temp_fail);  // too early
    CHECK(judge(p, m, &s, 300).action == Action::proceed);
    CHECK_FALSE(policy_memory<Greylist>(s).seen);  // the greylist policy's own memory is untouched

    // In the simulation: accepted at the second attempt (300 s), to the inbox.
    json j = testing::minimal_scenario();
    j["sender_classes"][0]["content_score"] = {{"mean", 5.0}, {"sd", 0.0}};
    j["recipient_profiles"][0]["policies"].push_back(json::parse(R"({"type": "rspamd", "preset": "rspamd_default", "content_score": true})"));
    const Scenario sc = testing::scenario_from(j);
    const Fate f = deliver(sc, 1, 0);
    CHECK(f.outcome == Outcome::inbox);
    CHECK(f.attempt == 1);
    CHECK(f.time_s == 300);
}

TEST_CASE("url_reputation: blocklisted links against thresholds") {
    const auto p = parse_policy<UrlReputation>(R"({"type": "url_reputation",
        "actions": [{"min_hits": 1, "action": "spam_folder"}, {"min_hits": 3, "action": "reject"}]})");
    Message m = msg();
    m.features.links = 10;
    CHECK(judge(p, m).action == Action::proceed);
    m.features.url_hits = 1;
    CHECK(judge(p, m).folder == Outcome::spam_folder);
    CHECK(judge(p, m).stage == stage_of<UrlReputation>);
    m.features.url_hits = 3;
    CHECK(judge(p, m).action == Action::reject);
}

TEST_CASE("gateway: runs its filters in order and stops at quarantine; spam-folder tags carry on") {
    const PolicyChain chain = chain_from_text(R"([{"type": "gateway", "policies": [
        {"type": "url_reputation", "actions": [{"min_hits": 1, "action": "spam_folder"}]},
        {"type": "rule_score", "rules": [{"name": "MACRO", "feature": "attachment=office_macro", "op": "==", "value": 1, "score": 10}],
         "actions": [{"min_score": 5, "action": "quarantine"}]},
        {"type": "attachment_scanner", "false_positive": 0, "detection": 1}]},
      {"type": "content_filter", "actions": [{"min_score": 5, "action": "reject"}]}])");
    Message m = msg();
    m.legit = false;
    Session s;
    MessageRng rng(1, 0);
    CHECK(chain.evaluate(m, s, rng, first_attempt).action == Action::proceed);
    m.features.url_hits = 1;  // tagged by the first filter; nothing later objects
    Verdict v = chain.evaluate(m, s, rng, first_attempt);
    CHECK(v.action == Action::file);
    CHECK(v.folder == Outcome::spam_folder);
    CHECK(v.stage == stage_of<UrlReputation>);
    m.features.attachment = AttachmentType::office_macro;  // tagged, then quarantined by the second
    v = chain.evaluate(m, s, rng, first_attempt);
    CHECK(v.folder == Outcome::quarantined);
    CHECK(v.stage == stage_of<RuleScore>);
    m.features = {};
    m.has_attachment = true;  // the scanner quarantines (detection 1)
    v = chain.evaluate(m, s, rng, first_attempt);
    CHECK(v.folder == Outcome::quarantined);
    CHECK(v.stage == stage_of<AttachmentScanner>);
    m.has_attachment = false;
    m.content_score = 6;  // passes the gateway, rejected by the mailbox server's filter
    CHECK(chain.evaluate(m, s, rng, first_attempt).action == Action::reject);
    m.features.url_hits = 2;  // the gateway's tag decides before the mailbox server's filter
    CHECK(chain.evaluate(m, s, rng, first_attempt).folder == Outcome::spam_folder);
}

TEST_CASE("score_policy finds the first score-based policy, also inside a gateway") {
    const PolicyChain a = chain_from_text(R"([{"type": "dnsbl"}, {"type": "gateway", "policies": [
        {"type": "logistic", "intercept": 1, "weights": {}, "actions": [{"min_probability": 0.5, "action": "quarantine"}]}]},
        {"type": "content_filter", "actions": [{"min_score": 5, "action": "reject"}]}])");
    const AnyPolicy* p = score_policy(a);
    REQUIRE(p != nullptr);
    CHECK(std::holds_alternative<Logistic>(*p));
    CHECK(policy_score(*p, msg()) == 1);
    CHECK(score_policy(chain_from_text(R"([{"type": "dnsbl"}])")) == nullptr);
}

TEST_CASE("content model parse errors name the field and the rule") {
    CHECK(parse_error(R"([{"type": "rule_score", "actions": [{"min_score": 1, "action": "reject"}]}])") ==
          "policies[0]: no score: give \"rules\" (a non-empty list) or \"content_score\": true");
    CHECK(parse_error(R"([{"type": "rule_score", "rules": [{"name": "X", "feature": "linkz", "op": ">", "value": 1, "score": 1}],
        "actions": [{"min_score": 1, "action": "reject"}]}])")
              .rfind("policies[0].rules[0].feature: unknown feature 'linkz' (known: links, promo_phrases", 0) == 0);
    CHECK(parse_error(R"([{"type": "rule_score", "rules": [{"name": "X", "feature": "links", "op": "=>", "value": 1, "score": 1}],
        "actions": [{"min_score": 1, "action": "reject"}]}])") ==
          "policies[0].rules[0].op: '=>' is not one of: >, >=, <, <=, ==, !=");
    CHECK(parse_error(R"([{"type": "rule_score", "rules": [{"name": "X", "feature": "links", "op": ">", "value": 1, "score": 1},
        {"name": "X", "feature": "links", "op": ">", "value": 2, "score": 1}], "actions": [{"min_score": 1, "action": "reject"}]}])") ==
          "policies[0].rules[1].name: duplicate rule name 'X'");
    CHECK(parse_error(R"([{"type": "rule_score", "content_score": true, "actions": []}])") ==
          "policies[0].actions: is empty: at least one action is needed");
    CHECK(parse_error(R"([{"type": "logistic", "intercept": 0, "weights": {"links": 1},
        "actions": [{"min_probability": 1, "action": "reject"}]}])") ==
          "policies[0].actions[0].min_probability: 1 is not a probability strictly between 0 and 1");
    CHECK(parse_error(R"([{"type": "logistic", "intercept": 0, "weights": {"lnks": 1},
        "actions": [{"min_probability": 0.5, "action": "reject"}]}])")
              .rfind("policies[0].weights.lnks: unknown feature 'lnks'", 0) == 0);
    CHECK(parse_error(R"([{"type": "logistic", "weights": {}, "actions": [{"min_probability": 0.5, "action": "reject"}]}])") ==
          "policies[0].intercept: required field is missing");
    CHECK(parse_error(R"([{"type": "rspamd", "content_score": true}])") ==
          "policies[0]: no action: give \"preset\" or a threshold for reject, rewrite_subject, add_header or greylist");
    CHECK(parse_error(R"([{"type": "rspamd", "preset": "rspamd", "content_score": true}])") ==
          "policies[0].preset: 'rspamd' is not one of: rspamd_default");
    CHECK(parse_error(R"([{"type": "rspamd", "preset": "rspamd_default", "content_score": true, "add_header": 4}])") ==
          "policies[0].add_header: add_header and greylist share the threshold 4.0");
    CHECK(parse_error(R"([{"type": "rspamd", "reject": 15, "content_score": true, "greylist_delay_s": -1}])") ==
          "policies[0].greylist_delay_s: -1 is negative");
    CHECK(parse_error(R"([{"type": "url_reputation", "actions": [{"min_hits": 0, "action": "reject"}]}])") ==
          "policies[0].actions[0].min_hits: must be at least 1 (every message has at least 0 hits)");
    CHECK(parse_error(R"([{"type": "gateway", "policies": []}])") ==
          "policies[0].policies: is empty: a gateway needs at least one filter");
    CHECK(parse_error(R"([{"type": "gateway", "policies": [{"type": "gateway", "policies": [{"type": "dnsbl"}]}]}])") ==
          "policies[0].policies[0].type: a gateway cannot contain a gateway");
    CHECK(parse_error(R"([{"type": "gateway", "policies": [{"type": "mailbox_rules", "by_class": {}}]}])") ==
          "policies[0].policies[0].type: 'mailbox_rules' acts at the mailbox, behind the gateway: put it in the profile's chain");
    CHECK(parse_error(R"([{"type": "gateway", "policies": [{"type": "content_filter", "actions": [{"min_score": 1, "action": "reject"}]},
        {"type": "dnsbl"}]}])") ==
          "policies[0].policies[1].type: 'dnsbl' (connect phase) cannot come after 'content_filter' (data phase)");
    CHECK(parse_error(R"([{"type": "rule_score", "content_score": true, "actions": [{"min_score": 1, "action": "reject"}]},
        {"type": "mailbox_rules", "by_class": {}}, {"type": "rspamd", "reject": 1, "content_score": true}])") ==
          "policies[2].type: 'rspamd' (data phase) cannot come after 'mailbox_rules' (mailbox phase)");
}

TEST_CASE("class features: parse errors name the field") {
    auto error_of = [](const json& features) {
        json j = testing::minimal_scenario();
        j["sender_classes"][0]["features"] = features;
        try {
            testing::scenario_from(j);
        } catch (const ScenarioError& e) {
            return std::string(e.what());
        }
        return std::string("(no error)");
    };
    CHECK(error_of(json::parse(R"({"linkz": {"poisson": 1}})")) == "sender_classes[0].features.linkz: unknown key 'linkz'");
    CHECK(error_of(json::parse(R"({"links": {}})")) ==
          "sender_classes[0].features.links: give exactly one of \"poisson\" (a mean) or \"values\" (a mixture of counts)");
    CHECK(error_of(json::parse(R"({"links": {"poisson": 501}})")) ==
          "sender_classes[0].features.links.poisson: 501 is above the largest supported mean, 500");
    CHECK(error_of(json::parse(R"({"links": {"values": [{"value": 1, "weight": 0.5}]}})")) ==
          "sender_classes[0].features.links.values: weights sum to 0.5, not 1");
    CHECK(error_of(json::parse(R"({"url_listed": 1.5})")) == "sender_classes[0].features.url_listed: 1.5 is not a probability");
    CHECK(error_of(json::parse(R"({"attachment_types": {"pdf": 0.5}})")) ==
          "sender_classes[0].features.attachment_types: weights sum to 0.5, not 1");
    CHECK(error_of(json::parse(R"({"attachment_types": {"pdf": 0.5, "zip": 0.5}})")) ==
          "sender_classes[0].features.attachment_types.zip: unknown attachment type 'zip' (known: pdf, office, office_macro, "
          "executable, archive, image, other)");
    CHECK(error_of(json::parse(R"({"html_ratio": {"min": 0.5, "max": 0.2}})")) ==
          "sender_classes[0].features.html_ratio.max: 0.2 is below min 0.5");
    CHECK(error_of(json::parse(R"({"reputation": {"mean": 1, "sd": -1}})")) ==
          "sender_classes[0].features.reputation.sd: -1 is negative");
}

TEST_CASE("class features: drawn from their distributions, from their own stream") {
    json j = testing::minimal_scenario();
    json& c = j["sender_classes"][0];
    c["attachment"] = {{"min_size_bytes", 0}, {"probability", 0.5}};
    const Scenario plain = testing::scenario_from(j);
    c["features"] = json::parse(R"({"links": {"poisson": 4}, "promo_phrases": {"values": [{"value": 0, "weight": 0.75},
        {"value": 2, "weight": 0.25}]}, "url_listed": 0.1, "attachment_types": {"pdf": 0.6, "executable": 0.4},
        "html_ratio": {"min": 0.2, "max": 0.6}, "reputation": {"mean": 50, "sd": 10}})");
    const Scenario with = testing::scenario_from(j);
    const int n = 40000;
    double links = 0, promo = 0, hits = 0, html = 0, rep = 0, rep2 = 0, pdf = 0, attached = 0;
    for (int i = 0; i < n; ++i) {
        MessageRng r1(7, i), r2(7, i);
        const Message a = draw_message(plain, r1), b = draw_message(with, r2);
        // The class's other facts are the same draws: features use their own stream.
        CHECK(a.size_bytes == b.size_bytes);
        CHECK(a.has_attachment == b.has_attachment);
        CHECK(a.content_score == b.content_score);
        CHECK(a.address_error == b.address_error);
        CHECK(a.features.attachment == (a.has_attachment ? AttachmentType::other : AttachmentType::none));
        CHECK(a.features.links == 0);
        CHECK((b.features.attachment == AttachmentType::none) == !b.has_attachment);
        CHECK(b.features.url_hits <= b.features.links);
        CHECK((b.features.promo_phrases == 0 || b.features.promo_phrases == 2));
        CHECK((b.features.html_ratio >= 0.2 && b.features.html_ratio <= 0.6));
        links += b.features.links;
        promo += b.features.promo_phrases;
        hits += b.features.url_hits;
        html += b.features.html_ratio;
        rep += b.features.reputation;
        rep2 += b.features.reputation * b.features.reputation;
        attached += b.has_attachment;
        pdf += b.features.attachment == AttachmentType::pdf;
    }
    CHECK(links / n == doctest::Approx(4).epsilon(0.02));
    CHECK(promo / n == doctest::Approx(0.5).epsilon(0.03));
    CHECK(hits / n == doctest::Approx(0.4).epsilon(0.05));
    CHECK(html / n == doctest::Approx(0.4).epsilon(0.01));
    CHECK(rep / n == doctest::Approx(50).epsilon(0.005));
    CHECK(std::sqrt(rep2 / n - (rep / n) * (rep / n)) == doctest::Approx(10).epsilon(0.03));
    CHECK(pdf / attached == doctest::Approx(0.6).epsilon(0.03));
}

TEST_CASE("count distributions: Poisson and binomial by inversion") {
    CountDistribution d;
    d.poisson_mean = 2;
    d.cdf = CountDistribution::poisson_cdf(2);
    CHECK(d.draw(0.1) == 0);                 // P(0) = 0.135
    CHECK(d.draw(0.3) == 1);                 // F(1) = 0.406
    CHECK(d.draw(0.99999999) >= 9);
    CHECK(d.cdf.back() == 1.0);
    CHECK(d.cdf[3] == doctest::Approx(std::exp(-2.0) * (1 + 2 + 2 + 4.0 / 3)));
    d.cdf = CountDistribution::poisson_cdf(500);  // the largest mean: no underflow to a stuck loop
    CHECK(d.draw(0.5) == doctest::Approx(500).epsilon(0.01));
    CHECK(d.cdf.size() < 900);
    CHECK(FeatureModel::binomial(10, 1.0, 0.3) == 10);
    CHECK(FeatureModel::binomial(10, 0.5, 0.0005) == 0);  // P(0) = 1/1024
    CHECK(FeatureModel::binomial(10, 0.5, 0.9995) == 10);
    CHECK(FeatureModel::binomial(10, 0.5, 0.5) == 5);
}

TEST_CASE("content models in a scenario: legit and spam classes are told apart") {
    json j = testing::minimal_scenario();
    j["sender_classes"][0]["weight"] = 0.5;
    json spam = j["sender_classes"][0];
    spam["name"] = "S";
    spam["legit"] = false;
    spam["features"] = json::parse(R"({"links": {"poisson": 12}, "url_listed": 0.2})");
    j["sender_classes"][0]["features"] = json::parse(R"({"links": {"poisson": 2}})");
    j["sender_classes"].push_back(spam);
    j["recipient_profiles"][0]["policies"].push_back(json::parse(R"({"type": "url_reputation",
        "actions": [{"min_hits": 1, "action": "quarantine"}]})"));
    const Scenario s = testing::scenario_from(j);
    const Tally t = testing::simulate(s, 20000);
    CHECK(t.outcome(Outcome::quarantined, 0) == 0);  // legit mail has no listed URLs
    // P(no listed link) = exp(-12 * 0.2) = 0.0907 for spam.
    const double q = double(t.outcome(Outcome::quarantined, 1)) / double(t.outcome(Outcome::inbox, 1) + t.outcome(Outcome::quarantined, 1));
    CHECK(q == doctest::Approx(1 - std::exp(-2.4)).epsilon(0.02));
    CHECK(t.stage(stage_of<UrlReputation>) == t.outcome(Outcome::quarantined));
}

TEST_CASE("explain shows a class's features and the profile's content-model score") {
    json j = default_scenario().document;
    j["sender_classes"][3]["features"] = json::parse(R"({"links": {"poisson": 8}, "url_listed": 0.5})");
    j["recipient_profiles"][0]["policies"][5] = json::parse(R"({"type": "rule_score",
        "rules": [{"name": "LINKS", "feature": "links", "op": ">=", "value": 1, "score": 2.5}], "actions": [{"min_score": 5, "action": "spam_folder"}]})");
    const Scenario s = testing::scenario_from(j);
    bool seen = false;
    for (std::uint64_t i = 0; i < 200 && !seen; ++i) {
        const Explanation e = explain(s, 3, i);
        const json x = e.to_json(s);
        if (x["sender_class"] != "S" || x["profile"] != "G") {
            CHECK_FALSE(x.contains("features"));
            continue;
        }
        seen = true;
        REQUIRE(x.contains("features"));
        CHECK(x["features"]["links"] == e.message.features.links);
        CHECK(x["features"]["url_hits"] == e.message.features.url_hits);
        CHECK(x["content_model"]["policy"] == "rule_score");
        CHECK(x["content_model"]["score"] == (e.message.features.links >= 1 ? 2.5 : 0.0));
        CHECK(e.to_text(s).find("  features: " + std::to_string(e.message.features.links) + " links") != std::string::npos);
    }
    CHECK(seen);
}
