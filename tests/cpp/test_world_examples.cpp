// The three world examples (examples/scenarios/): direction and rough size of each effect.
#include <delivsim/world/run.hpp>

#include <doctest/doctest.h>

#include <fstream>

using namespace delivsim;

namespace {

json example(const std::string& name) {
    std::ifstream in(std::string(DELIVSIM_SOURCE_DIR) + "/examples/scenarios/" + name);
    REQUIRE(in);
    return json::parse(in);
}

world::Result run_world(const json& doc, unsigned threads = 2) {
    world::Options o;
    o.seed = 1;
    o.threads = threads;
    return world::run(world::parse_world(doc), o);
}

double inbox_rate(const Tally& t, std::size_t sender) {
    std::uint64_t n = 0;
    for (std::size_t o = 0; o < outcome_count; ++o) n += t.outcome(static_cast<Outcome>(o), sender);
    return static_cast<double>(t.outcome(Outcome::inbox, sender)) / static_cast<double>(n);
}

// Inbox rate of a sender over buckets [from, to).
double inbox_rate(const world::TimeSeries& ts, std::size_t sender, std::size_t from, std::size_t to) {
    std::uint64_t n = 0, inbox = 0;
    for (std::size_t b = from; b < to; ++b)
        for (std::size_t o = 0; o < outcome_count; ++o) {
            const auto c = ts.sender_outcomes[(b * ts.senders + sender) * outcome_count + o];
            n += c;
            if (o == static_cast<std::size_t>(Outcome::inbox)) inbox += c;
        }
    return static_cast<double>(inbox) / static_cast<double>(n);
}

}  // namespace

TEST_CASE("warmup: ramping a new IP slowly gives a higher inbox rate than full volume at once") {
    // The example scaled down (volumes and allowances x 0.03, 8 days) so that the test stays
    // short, also under the sanitizers: the fast IP's retries are most of the work. The
    // full-size figures are in the README (examples/scenarios/world_src/measure.py).
    json doc = example("warmup.json");
    doc["duration_s"] = 8 * 86400;
    for (auto& sender : doc["senders"])
        for (auto& item : sender["schedule"])
            for (const char* k : {"rate_per_hour", "max_per_hour"})
                if (item.contains(k)) item[k] = item[k].get<double>() * 0.03;
    for (auto& [name, r] : doc["receivers"].items()) {
        for (const char* k : {"per_ip_per_hour", "per_subnet_per_hour"})
            r["rate_limit"][k] = r["rate_limit"][k].get<double>() * 0.03;
        r["reputation"]["prior_volume"] = r["reputation"]["prior_volume"].get<double>() * 0.03;
    }
    const auto r = run_world(doc);
    const double slow = inbox_rate(r.tally, 0), fast = inbox_rate(r.tally, 1);
    MESSAGE("inbox slow ramp " << slow << ", fast " << fast);
    CHECK(slow > 0.98);
    CHECK(slow - fast > 0.02);  // the fast IP's backlog outlives the queue: 4.4.7 bounces
    CHECK(r.tally.status(Status::expired, 1) > 10 * (r.tally.status(Status::expired, 0) + 1));
    // Its queue is far longer.
    std::uint64_t q_slow = 0, q_fast = 0;
    for (std::size_t b = 0; b < r.series.buckets; ++b) {
        q_slow = std::max(q_slow, r.series.sender_queue[b * 2 + 0]);
        q_fast = std::max(q_fast, r.series.sender_queue[b * 2 + 1]);
    }
    CHECK(q_fast > 10 * q_slow);
}

TEST_CASE("noisy neighbour: the spammer on the shared pool lowers the clean shop's inbox rate") {
    json doc = example("noisy_neighbour.json");
    const auto with = run_world(doc);
    doc["senders"][1]["schedule"][0]["rate_per_hour"] = 0;  // the same world without the spam run
    const auto without = run_world(doc);
    // Days 6 to 12: during and just after the spam run (days 5 to 10).
    const double w = inbox_rate(with.series, 0, 6, 12), wo = inbox_rate(without.series, 0, 6, 12);
    MESSAGE("shop inbox days 6-12 with neighbour " << w << ", without " << wo);
    CHECK(wo > 0.98);
    CHECK(wo - w > 0.05);
    // Before the spam run there is no difference at all (same draws, same state).
    CHECK(inbox_rate(with.series, 0, 0, 5) == inbox_rate(without.series, 0, 0, 5));
    // The shop's reputation at bigmail drops below high during the run and recovers after it.
    const auto level = [&](std::size_t b) { return with.series.level[(b * 2 + 0) * 2 + 0]; };
    CHECK(level(3) == static_cast<std::uint8_t>(world::Level::high));
    CHECK(level(8) <= static_cast<std::uint8_t>(world::Level::low));
    CHECK(level(19) == static_cast<std::uint8_t>(world::Level::high));
}

TEST_CASE("complaint spiral: the stale, complaint-prone list drives reputation down across 0.3%") {
    const auto r = run_world(example("complaint_spiral.json"));
    const auto& ts = r.series;
    const std::size_t bigmail = 0;
    const double first = ts.reputation[(0 * ts.receivers + bigmail) * ts.senders + 0];
    const double last = ts.reputation[((ts.buckets - 1) * ts.receivers + bigmail) * ts.senders + 0];
    MESSAGE("badness at bigmail: first bucket " << first << ", last " << last);
    CHECK(first < 0.003);  // medium: the new IP's prior
    CHECK(last > 0.003);   // crossed Google's 0.3% line
    CHECK(ts.level[(0 * ts.receivers + bigmail) * ts.senders] == static_cast<std::uint8_t>(world::Level::medium));
    CHECK(ts.level[((ts.buckets - 1) * ts.receivers + bigmail) * ts.senders] <= static_cast<std::uint8_t>(world::Level::low));
    // And the inbox rate of the last campaigns is below the first one's.
    const std::size_t per_day = 4;
    CHECK(inbox_rate(ts, 0, 0, 2 * per_day) - inbox_rate(ts, 0, 20 * per_day, 28 * per_day) > 0.05);
}

namespace {

// Share of a receiving domain's messages that reached the inbox.
double domain_inbox_rate(const Tally& t, std::size_t domain) {
    std::uint64_t n = 0;
    for (std::size_t o = 0; o < outcome_count; ++o) n += t.outcome(static_cast<Outcome>(o), Tally::all, domain);
    return static_cast<double>(t.outcome(Outcome::inbox, Tally::all, domain)) / static_cast<double>(n);
}

// noisy_neighbour with corp's content filter replaced by `filter`.
json corp_with(const json& filter) {
    json doc = example("noisy_neighbour.json");
    for (auto& p : doc["scenario"]["recipient_profiles"])
        if (p["name"] == "corp")
            for (auto& x : p["policies"])
                if (x["type"] == "content_filter") x = filter;
    return doc;
}

}  // namespace

TEST_CASE("worlds keep one Session per message: greylisting inside rspamd passes the retry") {
    // rspamd greylists every message (threshold -100) on its first attempt; the retry 300 s
    // later must pass, as at a real receiver. A Session made anew for every attempt would
    // greylist every attempt and bounce everything with 4.4.7.
    const auto r = run_world(corp_with(json::parse(
        R"({"type": "rspamd", "content_score": true, "greylist": -100, "add_header": 6, "reject": 15})")));
    const std::size_t bigmail = 0, corp = 1;
    const double big = domain_inbox_rate(r.tally, bigmail), cor = domain_inbox_rate(r.tally, corp);
    MESSAGE("inbox bigmail " << big << ", corp (rspamd greylist) " << cor);
    CHECK(cor > 0.9 * big);
    CHECK(std::abs(cor - big) < 0.1);
    // Every message corp saw was greylisted once by rspamd, and hardly any expired.
    std::uint64_t greylisted = 0;
    for (std::size_t b = 0; b < r.series.buckets; ++b)
        greylisted += r.series.receiver_deferrals[(b * r.series.receivers + corp) * status_count +
                                                  static_cast<std::size_t>(Status::greylisted)];
    CHECK(greylisted > r.tally.outcome(Outcome::inbox, Tally::all, corp));
    CHECK(r.tally.status(Status::expired, Tally::all, corp) < r.tally.outcome(Outcome::inbox, Tally::all, corp) / 10);
    CHECK(r.tally.stage(stage_of<Rspamd>, Tally::all, corp) > 0);  // its add_header and reject still act
}

TEST_CASE("worlds keep one Session per message: a greylist inside a gateway passes the retry") {
    const auto r = run_world(corp_with(json::parse(R"({"type": "gateway", "policies": [
        {"type": "greylist", "delay_s": 300},
        {"type": "content_filter", "actions": [{"min_score": 10, "action": "reject"}, {"min_score": 6, "action": "quarantine"}]}]})")));
    const auto base = run_world(example("noisy_neighbour.json"));
    const std::size_t corp = 1;
    const double with = domain_inbox_rate(r.tally, corp), without = domain_inbox_rate(base.tally, corp);
    MESSAGE("corp inbox with a greylisting gateway " << with << ", without " << without);
    CHECK(with > 0.9 * without);
    CHECK(r.tally.status(Status::expired, Tally::all, corp) < r.tally.outcome(Outcome::inbox, Tally::all, corp) / 10);
    // Threads do not change it.
    CHECK(run_world(corp_with(json::parse(R"({"type": "gateway", "policies": [{"type": "greylist", "delay_s": 300}]})")), 1)
              .tally == run_world(corp_with(json::parse(R"({"type": "gateway", "policies": [{"type": "greylist", "delay_s": 300}]})")), 4)
                            .tally);
}
