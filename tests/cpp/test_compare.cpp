// Strategy comparison (engine/compare.hpp): shared messages, pairing, histograms, threads.
#include "scenario_builder.hpp"

#include <doctest/doctest.h>

#include <set>
#include <string_view>

using namespace delivsim;

namespace {

// R1 with content features on its classes, so that content models have something to judge.
Scenario r1_with_features() {
    json j = default_scenario().document;
    j["sender_classes"][0]["features"] = json::parse(R"({"links": {"poisson": 3}, "html_ratio": {"min": 0.1, "max": 0.5},
        "reputation": {"mean": 80, "sd": 5}})");
    j["sender_classes"][1]["features"] = json::parse(R"({"links": {"poisson": 15}, "promo_phrases": {"poisson": 2},
        "url_listed": 0.002, "html_ratio": {"min": 0.6, "max": 0.95}, "reputation": {"mean": 60, "sd": 10}})");
    j["sender_classes"][3]["features"] = json::parse(R"({"links": {"poisson": 8}, "promo_phrases": {"poisson": 4},
        "url_listed": 0.15, "attachment_types": {"executable": 0.3, "office_macro": 0.3, "archive": 0.4},
        "html_ratio": {"min": 0.5, "max": 1.0}, "reputation": {"mean": 20, "sd": 15}})");
    return parse_scenario(j);
}

const char* content_only(double spam_folder_at) {
    static std::string s;
    s = R"([{"type": "dnsbl"}, {"type": "size_limit", "max_bytes": 36000000}, {"type": "unknown_user"},
            {"type": "mailbox_quota", "full": 0.003, "mode": "permanent"},
            {"type": "content_filter", "dmarc_adjustment": {"none": 1.5},
             "actions": [{"min_score": )" + std::to_string(spam_folder_at) + R"(, "action": "spam_folder"}]}])";
    return s.c_str();
}

const char* rspamd_chain = R"([{"type": "dnsbl"}, {"type": "size_limit", "max_bytes": 36000000}, {"type": "unknown_user"},
    {"type": "rspamd", "preset": "rspamd_default", "content_score": true, "rules": [
        {"name": "PROMO", "feature": "promo_phrases", "op": ">=", "value": 3, "score": 2},
        {"name": "BAD_URL", "feature": "url_hits", "op": ">=", "value": 1, "score": 6}]}])";

const char* gateway_chain = R"([{"type": "dnsbl"}, {"type": "size_limit", "max_bytes": 36000000}, {"type": "unknown_user"},
    {"type": "gateway", "policies": [
        {"type": "url_reputation", "actions": [{"min_hits": 2, "action": "quarantine"}]},
        {"type": "logistic", "intercept": -5, "weights": {"links": 0.1, "promo_phrases": 0.5, "html_ratio": 2,
         "reputation": -0.03, "attachment=executable": 5, "attachment=office_macro": 4, "content_score": 0.4},
         "actions": [{"min_probability": 0.9, "action": "quarantine"}, {"min_probability": 0.5, "action": "spam_folder"}]}]}])";

std::vector<Strategy> strategies(const Scenario& s, const std::vector<std::pair<std::string, std::string>>& specs) {
    std::vector<Strategy> out;
    for (const auto& [name, text] : specs) out.push_back(parse_strategy(s, name, json::parse(text)));
    return out;
}

RunOptions options(std::uint64_t n, unsigned threads = 1, std::uint64_t chunk = 0, std::uint64_t first = 0) {
    RunOptions o;
    o.messages = n;
    o.seed = 11;
    o.threads = threads;
    o.chunk = chunk;
    o.first_message = first;
    return o;
}

// A strategy that keeps every profile's own chain (an object naming no profile is an error,
// so: the scenario's chains, given explicitly).
Strategy base_strategy(const Scenario& s, const std::string& name) {
    Strategy st{name, {}};
    for (const auto& p : s.profiles) st.chains.push_back(std::make_shared<const PolicyChain>(p.policies));
    return st;
}

}  // namespace

TEST_CASE("compare: a strategy equal to the scenario's chains gives exactly the plain run") {
    const Scenario s = r1_with_features();
    auto st = strategies(s, {{"lax", content_only(8)}, {"only_G", R"({"G": )" + std::string(rspamd_chain) + "}"}});
    st.insert(st.begin(), base_strategy(s, "base"));
    const Comparison c = compare(s, st, options(30000));
    CHECK(c.messages() == 30000);
    CHECK(c.tally(0) == run(s, options(30000)));
    CHECK(c.names() == std::vector<std::string>{"base", "lax", "only_G"});
    // Each strategy's Tally is exactly a plain run of the scenario with its chains.
    for (std::size_t k = 1; k < st.size(); ++k) {
        Scenario edited = s;
        for (std::size_t p = 0; p < s.profiles.size(); ++p)
            if (st[k].chains[p]) edited.profiles[p].policies = *st[k].chains[p];
        CHECK(c.tally(k) == run(edited, options(30000)));
    }
    // only_G keeps C's and H's chains: their messages fare exactly as in the base run.
    for (std::size_t p = 1; p < 3; ++p)
        for (std::size_t o = 0; o < outcome_count; ++o)
            CHECK(c.tally(2).outcome(static_cast<Outcome>(o), Tally::all, p) ==
                  c.tally(0).outcome(static_cast<Outcome>(o), Tally::all, p));
}

// Strategies that share their first stages and part at different depths, with stages that
// remember across attempts (greylisting, a temporary quota, rspamd's greylisting) before and
// after the parting, over MX hosts that are down, busy or a backup relay, two sessions per
// attempt, and recipient folders: every strategy's Tally is still exactly its plain run.
Scenario r1_with_rough_routing() {
    json j = r1_with_features().document;
    j["retry"] = json::parse(R"({"model": "postfix", "mx_session_limit": 2, "mx_address_limit": 3})");
    j["recipient_profiles"][0]["mx"] = json::parse(R"([{"host": "mx1.g.example", "preference": 5, "down": 0.2, "busy": 0.1},
        {"host": "mx2.g.example", "preference": 5, "down": 0.2, "busy": 0.1},
        {"host": "backup.g.example", "preference": 20, "down": 0.1, "relay": true}])");
    j["recipient_profiles"][0]["folders"] = json::parse(R"({"spam_retention_s": 86400})");
    j["recipient_profiles"][1]["mx"][0]["busy"] = 0.05;
    return parse_scenario(j);
}

std::string chain_of(const std::vector<std::string>& stages) {
    std::string out = "[";
    for (const auto& st : stages) out += (out.size() > 1 ? ", " : "") + st;
    return out + "]";
}

TEST_CASE("compare: strategies sharing their first stages and parting at different depths each give their plain run") {
    const Scenario s = r1_with_rough_routing();
    const std::string dnsbl = R"({"type": "dnsbl"})", size = R"({"type": "size_limit", "max_bytes": 36000000})",
                      unknown = R"({"type": "unknown_user"})",
                      quota = R"({"type": "mailbox_quota", "full": 0.05, "mode": "temporary", "still_full": 0.5})",
                      grey = R"({"type": "greylist", "delay_s": 600})",
                      lax = R"({"type": "content_filter", "dmarc_adjustment": {"none": 1.5}, "actions": [{"min_score": 8, "action": "spam_folder"}]})",
                      strict = R"({"type": "content_filter", "actions": [{"min_score": 4, "action": "quarantine"}]})",
                      rspamd = R"({"type": "rspamd", "preset": "rspamd_default", "content_score": true, "greylist_delay_s": 900})";
    auto st = strategies(s, {{"grey_early", chain_of({dnsbl, grey, size, unknown, quota, lax})},  // parts at stage 1
                             {"grey_after_quota", chain_of({dnsbl, size, unknown, quota, grey, lax})},
                             {"lax", chain_of({dnsbl, size, unknown, quota, lax})},  // parts at stage 4
                             {"strict", chain_of({dnsbl, size, unknown, quota, strict})},
                             {"rspamd", chain_of({dnsbl, size, unknown, quota, rspamd})},
                             {"prefix_only", chain_of({dnsbl, size, unknown, quota})},  // ends where the others go on
                             {"lax_again", chain_of({dnsbl, size, unknown, quota, lax})},  // equal to lax, parsed apart
                             {"only_H", R"({"H": )" + chain_of({size, unknown, grey, strict}) + "}"}});
    st.insert(st.begin() + 2, base_strategy(s, "base"));
    const Comparison c = compare(s, st, options(20000));
    for (std::size_t k = 0; k < st.size(); ++k) {
        CAPTURE(st[k].name);
        Scenario edited = s;
        for (std::size_t p = 0; p < s.profiles.size(); ++p)
            if (st[k].chains[p]) edited.profiles[p].policies = *st[k].chains[p];
        CHECK(c.tally(k) == run(edited, options(20000)));
    }
    // The routing above does make messages wait, retry and go through the backup MX.
    const Tally& base = c.tally(2);
    CHECK(base.decided_at(Outcome::inbox, 1) > 0);
    // And the same comparison whatever the threads.
    CHECK(compare(s, st, options(20000, 2)) == c);
    CHECK(compare(s, st, options(20000, 8)) == c);
}

TEST_CASE("chain tree: the stages strategies share are held once") {
    const Scenario s = r1_with_features();
    auto chain = [&](const std::string& text) { return std::make_shared<const PolicyChain>(parse_chain(json::parse(text), s.class_names())); };
    const auto a = chain(R"([{"type": "dnsbl"}, {"type": "unknown_user"}, {"type": "greylist", "delay_s": 300}])");
    const auto b = chain(R"([{"type": "dnsbl"}, {"type": "unknown_user"}, {"type": "greylist", "delay_s": 60}])");
    const auto c = chain(R"([{"type": "dnsbl"}, {"type": "unknown_user"}])");
    const auto d = chain(R"([{"type": "size_limit", "max_bytes": 1000}, {"type": "unknown_user"}])");
    // a and b share two stages, c is their prefix, d shares nothing: 2 + 1 + 1 + 0 + 2 stages.
    const detail::ChainTree tree({a.get(), b.get(), c.get(), d.get()});
    CHECK(tree.stages() == 6);
    CHECK(detail::ChainTree({a.get(), a.get()}).stages() == 3);
    CHECK(same_chain(*a, *chain(R"([{"type": "dnsbl"}, {"type": "unknown_user"}, {"type": "greylist", "delay_s": 300}])")));
    CHECK_FALSE(same_chain(*a, *b));
    // Each lane's verdict and Session are those of its own chain, from any Session.
    std::size_t deferred = 0;
    for (std::uint64_t i = 0; i < 2000; ++i) {
        MessageRng rng(5, i);
        const Message m = draw_message(s, rng);
        Session start;
        policy_memory<Greylist>(start) = {i % 2 == 0, 100.0};
        const Attempt at{1, 400, 0};
        std::array<detail::ChainTree::Lane, 4> lanes;
        std::vector<Session> slot(tree.slots());
        slot[0] = start;
        tree.evaluate(m, rng, at, 0b1111, lanes.data(), slot.data());
        std::size_t l = 0;
        for (const auto* own : {a.get(), b.get(), c.get(), d.get()}) {
            Session alone = start;
            const Verdict v = own->evaluate(m, alone, rng, at);
            CHECK(lanes[l].verdict.action == v.action);
            CHECK(lanes[l].verdict.stage == v.stage);
            CHECK(lanes[l].verdict.status == v.status);
            // The Session is kept where the lane goes on with it: after a deferral.
            if (v.action == Action::temp_fail) CHECK(lanes[l].delivery.session.memory == alone.memory);
            deferred += v.action == Action::temp_fail;
            ++l;
        }
    }
    CHECK(deferred > 1000);  // greylisting defers about half of a and b's messages
}

TEST_CASE("compare: the messages are shared, so strategy-independent fates pair up exactly") {
    const Scenario s = r1_with_features();
    const auto st = strategies(s, {{"strict", content_only(4)}, {"lax", content_only(8)}, {"rspamd", rspamd_chain},
                                   {"gateway", gateway_chain}});
    const Comparison c = compare(s, st, options(40000));
    for (std::size_t a = 0; a < st.size(); ++a)
        for (std::size_t b = 0; b < st.size(); ++b) {
            const auto o = c.outcome_joint(a, b);
            const auto jd = c.judged(a, b);
            for (std::size_t t = 0; t < 2; ++t) {
                // Typo-squatted mail is lost before any policy, under every strategy: it is
                // silently_lost under a exactly when it is under b (address errors shared).
                const auto at = [&](std::size_t x, std::size_t y) { return o[(t * outcome_count + x) * outcome_count + y]; };
                const auto lost = static_cast<std::size_t>(Outcome::silently_lost);
                for (std::size_t x = 0; x < outcome_count; ++x)
                    if (x != lost) {
                        CHECK(at(lost, x) == 0);
                        CHECK(at(x, lost) == 0);
                    }
                // All four strategies have the same pre-filter stages (dnsbl, size, unknown
                // user): what they do not judge... is judged by dnsbl alike; the strict / lax
                // content filters are nested: strict judges spam everything lax does.
                if (a == 0 && b == 1) CHECK(jd[(t * 3 + 1) * 3 + 2] == 0);  // ham under strict, spam under lax
                // Every message is counted once per pair and truth.
                std::uint64_t total = 0;
                for (auto n : jd) total += n;
                CHECK(total == c.messages());
                // The joint's margins are the strategies' tallies.
                for (std::size_t x = 0; x < outcome_count; ++x) {
                    std::uint64_t row = 0, col = 0;
                    for (std::size_t tt = 0; tt < 2; ++tt)
                        for (std::size_t y = 0; y < outcome_count; ++y) {
                            row += o[(tt * outcome_count + x) * outcome_count + y];
                            col += o[(tt * outcome_count + y) * outcome_count + x];
                        }
                    CHECK(row == c.tally(a).outcome(static_cast<Outcome>(x)));
                    CHECK(col == c.tally(b).outcome(static_cast<Outcome>(x)));
                }
            }
            if (a == b)  // a strategy against itself: everything on the diagonal
                for (std::size_t t = 0; t < 2; ++t)
                    for (std::size_t x = 0; x < 3; ++x)
                        for (std::size_t y = 0; y < 3; ++y)
                            if (x != y) CHECK(jd[(t * 3 + x) * 3 + y] == 0);
        }
    // Address errors, null MX, dead destinations and DNSBL rejections happen before the
    // filters that differ: the same counts under every strategy, cell by cell.
    for (std::size_t k = 1; k < st.size(); ++k)
        for (Status x : {Status::bad_destination, Status::unknown_user, Status::ip_blocklisted, Status::message_too_big})
            for (std::size_t cl = 0; cl < s.classes.size(); ++cl)
                for (std::size_t p = 0; p < s.profiles.size(); ++p) CHECK(c.tally(k).status(x, cl, p) == c.tally(0).status(x, cl, p));
    CHECK(c.tally(0).stage(Stage::address) == c.tally(3).stage(Stage::address));
    // Paired, not independent: strict spam-judges strictly more than lax, message by message.
    const auto jd = c.judged(0, 1);
    CHECK(jd[(0 * 3 + 2) * 3 + 1] > 0);   // legit: spam under strict, ham under lax (threshold 4..8)
    CHECK(jd[(1 * 3 + 2) * 3 + 1] > 0);
    // (b, a) is (a, b) transposed.
    const auto back = c.judged(1, 0);
    for (std::size_t t = 0; t < 2; ++t)
        for (std::size_t x = 0; x < 3; ++x)
            for (std::size_t y = 0; y < 3; ++y) CHECK(back[(t * 3 + x) * 3 + y] == jd[(t * 3 + y) * 3 + x]);
}

TEST_CASE("compare: message by message, every strategy sees the same drawn message") {
    // The engine draws each message once; this replays messages one by one and checks that
    // each strategy's fate in compare() is its fate on that very message.
    const Scenario s = r1_with_features();
    const auto st = strategies(s, {{"strict", content_only(4)}, {"gateway", gateway_chain}});
    for (std::uint64_t i = 0; i < 300; ++i) {
        const Comparison c = compare(s, st, options(1, 1, 0, i));
        MessageRng rng(11, i);
        const Message m = draw_message(s, rng);
        for (std::size_t k = 0; k < st.size(); ++k) {
            MessageRng fresh(11, i);
            const Message again = draw_message(s, fresh);
            CHECK(again.features.links == m.features.links);
            CHECK(again.features.reputation == m.features.reputation);
            const Fate f = deliver_through(s, *st[k].chains[m.profile], again, fresh);
            CHECK(c.tally(k).outcome(f.outcome, m.sender_class, m.profile) == 1);
            CHECK(c.tally(k).stage(f.stage, m.sender_class, m.profile) == 1);
        }
    }
}

TEST_CASE("compare: score histograms record every message's score by class and profile") {
    const Scenario s = r1_with_features();
    const auto st = strategies(s, {{"strict", content_only(4)}, {"lax", content_only(8)}, {"rspamd", rspamd_chain},
                                   {"gateway", gateway_chain}, {"dnsbl_only", R"([{"type": "dnsbl"}])"}});
    const Comparison c = compare(s, st, options(20000));
    CHECK(c.has_score(0));
    CHECK(c.has_score(3));
    CHECK_FALSE(c.has_score(4));
    CHECK(c.score_histogram(4).empty());
    // Same score model (content_filter, same adjustment), different thresholds: same histogram.
    CHECK(c.score_histogram(0) == c.score_histogram(1));
    for (std::size_t k = 0; k < 4; ++k) {
        const auto h = c.score_histogram(k);
        const std::size_t profiles = s.profiles.size();
        REQUIRE(h.size() == s.classes.size() * profiles * ScoreBins::count);
        for (std::size_t cl = 0; cl < s.classes.size(); ++cl)
            for (std::size_t p = 0; p < profiles; ++p) {
                std::uint64_t n = 0;
                for (std::size_t b = 0; b < ScoreBins::count; ++b) n += h[(cl * profiles + p) * ScoreBins::count + b];
                CHECK(n == c.tally(k).messages_in(cl, p));
            }
    }
    // The lax threshold (8) from the histogram: the spam-folder count of messages judged by
    // the content filter is at most the count of scores >= 8 (the filter sees fewer messages).
    const auto h = c.score_histogram(1);
    std::uint64_t above = 0;
    for (std::size_t cl = 0; cl < s.classes.size(); ++cl)
        for (std::size_t p = 0; p < s.profiles.size(); ++p)
            for (std::size_t b = ScoreBins::bin(8.0); b < ScoreBins::count; ++b)
                above += h[(cl * s.profiles.size() + p) * ScoreBins::count + b];
    CHECK(c.tally(1).stage(stage_of<ContentFilter>) <= above);
}

TEST_CASE("score bins: layout and edges") {
    CHECK(ScoreBins::count == 1402);
    CHECK(ScoreBins::bin(-20.0001) == 0);
    CHECK(ScoreBins::bin(-1e300) == 0);
    CHECK(ScoreBins::bin(-20) == 1);
    CHECK(ScoreBins::bin(5.0) == 1 + 500);
    CHECK(ScoreBins::bin(4.999) == 500);
    CHECK(ScoreBins::bin(49.99) == 1400);
    CHECK(ScoreBins::bin(50) == 1401);
    const auto e = ScoreBins::edges();
    CHECK(e.size() == 1401);
    CHECK(e.front() == -20);
    CHECK(e.back() == 50);
    CHECK(e[500] == 5.0);
}

TEST_CASE("compare: bit-identical for any thread count, chunk size or split, and merges with +") {
    const Scenario s = r1_with_features();
    const auto st = strategies(s, {{"strict", content_only(4)}, {"rspamd", rspamd_chain}, {"gateway", gateway_chain}});
    const Comparison one = compare(s, st, options(50000, 1));
    CHECK(compare(s, st, options(50000, 2)) == one);
    CHECK(compare(s, st, options(50000, 3, 4096)) == one);
    const Comparison a = compare(s, st, options(20000, 2, 0, 0)), b = compare(s, st, options(30000, 2, 0, 20000));
    CHECK(a + b == one);
    const auto other = strategies(s, {{"strict", content_only(4)}});
    CHECK_THROWS_AS(one + compare(s, other, options(10)), std::invalid_argument);
}

TEST_CASE("compare: bad strategies and options") {
    const Scenario s = r1_with_features();
    auto error_of = [&](const std::string& name, const std::string& spec) {
        try {
            parse_strategy(s, name, json::parse(spec));
        } catch (const ScenarioError& e) {
            return std::string(e.what());
        }
        return std::string("(no error)");
    };
    CHECK(error_of("x", R"({"Q": []})") == "strategies.x.Q: 'Q' is not a recipient profile");
    CHECK(error_of("x", R"({})") == "strategies.x: is empty: name at least one profile, or give a list of policies for all");
    CHECK(error_of("x", R"(3)") == "strategies.x: 3 is not a list of policies or an object of profile -> list of policies");
    CHECK(error_of("x", R"([{"type": "rspamd"}])") ==
          "strategies.x[0]: no score: give \"rules\" (a non-empty list) or \"content_score\": true");
    CHECK(error_of("x", R"({"G": [{"type": "nope"}]})").rfind("strategies.x.G[0].type: unknown policy type 'nope'", 0) == 0);
    CHECK(error_of("", "[]") == "strategies: a strategy name must not be empty");
    const auto st = strategies(s, {{"a", "[]"}, {"a", "[]"}});
    CHECK_THROWS_WITH_AS(compare(s, st, options(10)), "strategies: the name 'a' is used twice", std::invalid_argument);
    CHECK_THROWS_WITH_AS(compare(s, {}, options(10)), "strategies: at least one strategy is needed", std::invalid_argument);
    RunOptions o = options(10);
    o.threads = 0;
    CHECK_THROWS_AS(compare(s, strategies(s, {{"a", "[]"}}), o), std::invalid_argument);
}

TEST_CASE("compare: cancellation stops it and progress reports") {
    const Scenario s = r1_with_features();
    const auto st = strategies(s, {{"strict", content_only(4)}});
    std::atomic<bool> cancel{true};
    RunOptions o = options(1 << 20, 2);
    o.cancel = &cancel;
    CHECK_THROWS_AS(compare(s, st, o), Cancelled);
    std::uint64_t last = 0;
    RunOptions p = options(200000, 2);
    p.progress = [&](std::uint64_t done) { last = done; };
    CHECK(compare(s, st, p).messages() == 200000);
    CHECK(last == 200000);
}

TEST_CASE("the judging stages, the stages and the scored policies come from the policy registry") {
    // judged_spam counts exactly the verdicts of the stages whose policies judge spam.
    std::set<std::string_view> judging;
    for (std::size_t s = 0; s < stage_count; ++s)
        if (filtering_stage(static_cast<Stage>(s))) judging.insert(stage_names[s]);
    CHECK(judging == std::set<std::string_view>{"dnsbl", "dmarc_disposition", "content_filter", "attachment_scanner",
                                                "rule_score", "logistic", "rspamd", "url_reputation"});
    // Every stage has one name; a policy's stage is named as the registry says.
    CHECK(std::set<std::string_view>(stage_names.begin(), stage_names.end()).size() == stage_count);
    CHECK(name(stage_of<Greylist>) == "greylist");
    CHECK(name(stage_of<ExternalPolicy>) == "custom_policy");
    CHECK(name(Stage::delivery) == "delivery");
    // The policies with a score(m) are the scored ones, and only they give compare a score.
    std::set<std::string_view> scored;
    for (const PolicyInfo& p : policy_infos)
        if (p.scored) scored.insert(p.type);
    CHECK(scored == std::set<std::string_view>{"content_filter", "rule_score", "logistic", "rspamd"});
    CHECK(policy_infos.size() == std::variant_size_v<AnyPolicy>);
    CHECK(policy_infos.back().type == "gateway");
}

TEST_CASE("compare_scenarios: each scenario's own run, and the joint outcomes message by message") {
    const Scenario r1 = default_scenario();
    json doc = r1.document;
    for (auto& c : doc["sender_classes"])
        if (c["name"] == "N") c["ip_listed"] = 0.0;
    const Scenario delisted = parse_scenario(doc);
    RunOptions o;
    o.messages = 20000;
    o.seed = 4;
    o.threads = 2;
    const ScenarioComparison c = compare_scenarios({&r1, &delisted, &r1}, o);
    CHECK(c.messages() == 20000);
    CHECK(c.tally(0) == run(r1, o));
    CHECK(c.tally(1) == run(delisted, o));
    // the same scenario twice: every message has the same outcome (the diagonal only)
    const auto same = c.outcome_joint(0, 2);
    std::uint64_t off_diagonal = 0, total = 0;
    for (std::size_t cell = 0; cell < c.classes() * c.profiles(); ++cell)
        for (std::size_t a = 0; a < outcome_count; ++a)
            for (std::size_t b = 0; b < outcome_count; ++b) {
                const auto n = same[(cell * outcome_count + a) * outcome_count + b];
                total += n;
                if (a != b) off_diagonal += n;
            }
    CHECK(total == 20000);
    CHECK(off_diagonal == 0);
    // the margins of a pair are the two scenarios' own outcome counts, and (a, b) is (b, a) transposed
    const auto ab = c.outcome_joint(0, 1), ba = c.outcome_joint(1, 0);
    std::array<std::uint64_t, outcome_count> in_a{}, in_b{};
    std::uint64_t changed_class_t = 0;
    const std::size_t P = c.profiles(), T = 0;  // class T is the first
    for (std::size_t cell = 0; cell < c.classes() * P; ++cell)
        for (std::size_t a = 0; a < outcome_count; ++a)
            for (std::size_t b = 0; b < outcome_count; ++b) {
                const auto n = ab[(cell * outcome_count + a) * outcome_count + b];
                CHECK(n == ba[(cell * outcome_count + b) * outcome_count + a]);
                in_a[a] += n;
                in_b[b] += n;
                if (cell / P == T && a != b) changed_class_t += n;
            }
    for (std::size_t k = 0; k < outcome_count; ++k) {
        CHECK(in_a[k] == c.tally(0).outcome(static_cast<Outcome>(k)));
        CHECK(in_b[k] == c.tally(1).outcome(static_cast<Outcome>(k)));
    }
    CHECK(changed_class_t == 0);  // only N's messages can change
    // bit-identical for one thread
    o.threads = 1;
    const ScenarioComparison one = compare_scenarios({&r1, &delisted, &r1}, o);
    CHECK(one.outcome_joint(0, 1) == ab);
    CHECK_THROWS_AS(compare_scenarios({}, o), std::invalid_argument);
}
