// The world layer (issue 5): state that couples messages, simulated in epochs per receiving
// domain. Determinism across thread counts, the mechanisms one by one, and bad input.
#include <delivsim/delivsim.hpp>
#include <delivsim/world/checkpoint.hpp>
#include <delivsim/world/run.hpp>

#include <doctest/doctest.h>

#include "simd_paths.hpp"

#include <filesystem>
#include <fstream>
#include <limits>
#include <numeric>
#include <random>
#include <span>
#include <tuple>

using namespace delivsim;

namespace {

json world_doc(const std::string& name) {
    std::ifstream in(std::string(DELIVSIM_SOURCE_DIR) + "/" + name);
    REQUIRE(in);
    return json::parse(in);
}

world::Result run_world(const json& doc, std::uint64_t seed = 1, unsigned threads = 1) {
    const world::World w = world::parse_world(doc);
    world::Options o;
    o.seed = seed;
    o.threads = threads;
    return world::run(w, o);
}

std::uint64_t sum(const std::vector<std::uint64_t>& v) { return std::accumulate(v.begin(), v.end(), std::uint64_t{0}); }

}  // namespace

TEST_CASE("world: results are bit-identical for 1, 2 and 4 threads on a stateful scenario") {
    const json doc = world_doc("tests/data/world/stateful_small.json");
    const auto r1 = run_world(doc, 7, 1);
    const auto r2 = run_world(doc, 7, 2);
    const auto r4 = run_world(doc, 7, 4);
    // The scenario exercises every kind of state, so the comparison means something.
    CHECK(r1.tally.messages() > 10000);
    CHECK(r1.tally.stage(Stage::rate_limit) + sum(r1.series.receiver_deferrals) > 0);
    CHECK(sum(r1.series.receiver_deferrals) > 1000);
    CHECK(r1.greylist_triplets > 0);
    CHECK(r1 == r2);
    CHECK(r1 == r4);
    CHECK(r1.tally == r4.tally);
    CHECK(r1.series == r4.series);
    // And a different seed differs.
    CHECK_FALSE(run_world(doc, 8, 1).tally == r1.tally);
}

TEST_CASE("world: results are bit-identical on every SIMD path (first attempts' draws batched or drawn one by one)") {
    // The scalar path draws a first attempt's blocks as it reads them; a vector path computes
    // a window of first attempts' blocks at once, in the domain's processing order.
    const json doc = world_doc("tests/data/world/stateful_small.json");
    const auto reference = [&] {
        testing::ForcedPath scalar(SimdPath::scalar);
        return run_world(doc, 7, 2);
    }();
    CHECK(reference.tally.messages() > 10000);
    for (SimdPath p : testing::runnable_paths()) {
        CAPTURE(simd_path_names[static_cast<int>(p)]);
        testing::ForcedPath forced(p);
        CHECK(run_world(doc, 7, 1) == reference);
        CHECK(run_world(doc, 7, 2) == reference);
    }
}

TEST_CASE("world: sort_attempts gives std::sort's order, crowded instants and epoch edges included") {
    std::mt19937_64 gen(11);
    std::uniform_real_distribution<double> in_epoch(3600.0, 7200.0);
    const auto check = [](std::vector<world::Pending> attempts, std::size_t split) {
        CAPTURE(attempts.size());
        std::vector<world::Pending> out;
        std::vector<std::uint32_t> counts, slice_of;
        // As one part, or as two (generation's parts before the domain merges them).
        const std::span<const world::Pending> all(attempts);
        const std::vector<std::span<const world::Pending>> parts =
            split == 0 ? std::vector{all} : std::vector{all.first(split), all.subspan(split)};
        const std::size_t n = world::sort_attempts(parts, out, counts, slice_of, 3600, 7200);
        REQUIRE(n == attempts.size());
        std::sort(attempts.begin(), attempts.end(), world::before);
        for (std::size_t i = 0; i < n; ++i) REQUIRE(out[i].id == attempts[i].id);
    };
    for (std::size_t n : {0u, 1u, 31u, 32u, 33u, 1000u, 20000u}) {
        std::vector<world::Pending> v;
        for (std::uint64_t id = 0; id < n; ++id) v.push_back({in_epoch(gen), 0, gen() % 1000003, 0, 0, 0});
        check(v, 0);
        check(v, n / 3);
        // A crowded instant (a campaign sent at once: one slice holds hundreds) among the rest,
        // and the epoch's edges.
        for (std::uint64_t id = 0; id < 500; ++id) v.push_back({5000.0, 0, 2000000 + gen() % 1000, 0, 0, 0});
        v.push_back({3600.0, 0, 7, 0, 0, 0});
        v.push_back({std::nextafter(7200.0, 0.0), 0, 8, 0, 0, 0});
        std::shuffle(v.begin(), v.end(), gen);
        check(v, 0);
        check(v, v.size() / 2);
    }
}

TEST_CASE("world: first attempts sorted per generating part and merged are in the processing order") {
    // Times on a coarse grid, so that ties are broken by id; the parts as generation leaves them.
    std::mt19937_64 gen(5);
    for (std::size_t parts : {1u, 2u, 3u, 4u, 7u}) {
        CAPTURE(parts);
        std::vector<std::vector<world::Pending>> part(parts);
        std::vector<world::Pending> all;
        for (std::uint64_t id = 0; id < 5000; ++id) {
            const world::Pending p{3600.0 + static_cast<double>(gen() % 400) * 9.0, 0, id * 7919 % 100003, 0, 0, 0};
            part[gen() % parts].push_back(p);
            all.push_back(p);
        }
        std::vector<std::span<const world::Pending>> spans;
        std::vector<std::vector<world::Pending>> sorted(parts);
        std::vector<std::uint32_t> counts, slice_of;
        for (std::size_t k = 0; k < parts; ++k) {
            const std::size_t n = world::sort_attempts({std::span<const world::Pending>(part[k])}, sorted[k], counts, slice_of, 3600, 7200);
            REQUIRE(n == part[k].size());
            spans.emplace_back(sorted[k].data(), n);
        }
        std::sort(all.begin(), all.end(), world::before);
        std::vector<world::Pending> buffer;
        const auto merged = world::merge_attempts(spans, buffer);
        REQUIRE(merged.size() == all.size());
        for (std::size_t i = 0; i < all.size(); ++i) REQUIRE(merged[i].id == all[i].id);
    }
    std::vector<world::Pending> buffer;
    CHECK(world::merge_attempts({}, buffer).empty());
}

TEST_CASE("world: greylist triplet memory follows postgrey") {
    world::GreylistSettings g{300, 3600, 2};
    world::GreylistMemory m(4);
    CHECK_FALSE(m.check(g, 0, 0, 0, 7, 0));      // new triplet: deferred
    CHECK_FALSE(m.check(g, 0, 0, 0, 7, 200));    // too early
    CHECK(m.check(g, 0, 0, 0, 7, 400));          // after the delay: passes, remembered
    CHECK(m.check(g, 0, 0, 0, 7, 401));
    CHECK_FALSE(m.check(g, 0, 0, 0, 8, 500));    // another recipient: a new triplet
    CHECK_FALSE(m.check(g, 0, 0, 0, 8, 5000));   // retry after the window: starts over
    CHECK(m.check(g, 0, 0, 0, 8, 5400));         // second successful retry: client whitelisted
    CHECK(m.check(g, 0, 0, 0, 9, 5401));         // so a new triplet passes at once
    CHECK_FALSE(m.check(g, 1, 0, 0, 9, 5402));   // but not for another IP
}

TEST_CASE("world: mailboxes are emptied on their owner's schedule, lazily") {
    world::MailboxSettings s;
    s.quota_bytes = 100;
    s.empty_every_s = 1000;
    world::Mailbox m;
    m.fill = 90;
    m.phase_s = 500;
    CHECK(m.at(100, s) == 90);
    m.fill += 5;
    CHECK(m.at(499, s) == 95);
    CHECK(m.at(501, s) == 0);  // emptied at 500
    m.fill = 50;
    CHECK(m.at(1499, s) == 50);
    CHECK(m.peek(1500, s) == 0);
    CHECK(m.at(1499.5, s) == 50);
    CHECK(m.at(1500, s) == 0);  // emptied at 1500, exactly then
    m.fill = 30;
    CHECK(m.at(2499, s) == 30);
    CHECK(m.peek(2500, s) == 0);
    // A mailbox with the same state (as a checkpoint restores it) agrees at every step.
    world::Mailbox r;
    std::tie(r.fill, r.last_s, r.phase_s, r.never_empty) = std::tie(m.fill, m.last_s, m.phase_s, m.never_empty);
    for (const double t : {2499.0, 2500.0, 2500.5, 3499.0, 3500.0, 3600.0}) {
        CHECK(r.peek(t, s) == m.peek(t, s));
        CHECK(r.at(t, s) == m.at(t, s));
        m.fill += 10, r.fill += 10;
    }
    CHECK(m.at(3600, s) == 20);  // emptied at 3500, then 10 added twice
    m.fill = 50;
    m.never_empty = true;
    CHECK(m.at(10000, s) == 50);
}

TEST_CASE("world: token bucket allows the hourly allowance, then refills") {
    world::TokenBucket b;
    int taken = 0;
    for (int k = 0; k < 100; ++k)
        if (b.available(0, 60)) b.take(), ++taken;
    CHECK(taken == 60);  // one hour of allowance
    CHECK_FALSE(b.available(30, 60));
    CHECK(b.available(61, 60));  // a minute later: one more
}

TEST_CASE("world: reputation levels use Google's 0.1% and 0.3% lines") {
    world::ReputationSettings r;
    CHECK(r.level(0.0005) == world::Level::high);
    CHECK(r.level(0.002) == world::Level::medium);
    CHECK(r.level(0.005) == world::Level::low);
    CHECK(r.level(0.02) == world::Level::bad);
    world::ReputationCounts c{100000, 50, 0, 0};  // 0.05% complaints with lots of history
    CHECK(r.level(c.badness(r)) == world::Level::high);
    c.complaints = 500;  // 0.5%
    CHECK(r.level(c.badness(r)) == world::Level::low);
    world::ReputationCounts fresh;  // no history: the prior
    CHECK(fresh.badness(r) == doctest::Approx(r.prior));
}

TEST_CASE("world: full mailboxes emerge from state and defer with 452 4.2.2") {
    json doc = world_doc("tests/data/world/stateful_small.json");
    const auto r = run_world(doc);
    const std::size_t corp = 1;
    std::uint64_t full = 0;
    for (std::size_t b = 0; b < r.series.buckets; ++b)
        full += r.series.receiver_deferrals[(b * r.series.receivers + corp) * status_count +
                                            static_cast<std::size_t>(Status::mailbox_full_temporary)];
    CHECK(full > 0);
    // Without owners who never empty and with a huge quota, nothing is ever full.
    doc["receivers"]["corp"]["mailbox"]["quota_bytes"] = 1000000000000ull;
    const auto r2 = run_world(doc);
    std::uint64_t full2 = 0;
    for (std::size_t b = 0; b < r2.series.buckets; ++b)
        full2 += r2.series.receiver_deferrals[(b * r2.series.receivers + corp) * status_count +
                                              static_cast<std::size_t>(Status::mailbox_full_temporary)];
    CHECK(full2 == 0);
}

TEST_CASE("world: the totals count every generated message exactly once") {
    const auto r = run_world(world_doc("tests/data/world/stateful_small.json"));
    CHECK(sum(r.series.sender_sent) == r.tally.messages());
    CHECK(sum(r.series.sender_outcomes) == r.tally.messages());
    CHECK(sum(r.series.receiver_outcomes) == r.tally.messages());
    // The campaign sent exactly its 3000 messages, the ramp and the cycle their expected counts.
    std::uint64_t shop = 0;
    for (std::size_t b = 0; b < r.series.buckets; ++b) shop += r.series.sender_sent[b * r.series.senders + 0];
    CHECK(shop == r.tally.outcome(Outcome::inbox, 0) + r.tally.outcome(Outcome::spam_folder, 0) +
                      r.tally.outcome(Outcome::quarantined, 0) + r.tally.outcome(Outcome::bounced, 0) +
                      r.tally.outcome(Outcome::silently_lost, 0) + r.tally.outcome(Outcome::rule_moved, 0) +
                      r.tally.outcome(Outcome::rule_deleted, 0));
    // Queues drain: nothing is waiting at the end.
    for (std::size_t s = 0; s < r.series.senders; ++s)
        CHECK(r.series.sender_queue[(r.series.buckets - 1) * r.series.senders + s] == 0);
}

TEST_CASE("world: bad input names the field") {
    const json base = world_doc("tests/data/world/stateful_small.json");
    auto error_of = [&](auto edit) {
        json d = base;
        edit(d);
        try {
            world::parse_world(d);
        } catch (const ScenarioError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK(error_of([](json& d) { d["senders"][1]["schedule"][0]["rate_per_hour"] = -5; }) ==
          "senders[1].schedule[0].rate_per_hour: -5 is negative");
    CHECK(error_of([](json& d) { d["senders"][0]["schedule"].push_back(d["senders"][0]["schedule"][1]); }) ==
          "senders[0].schedule[2].id: campaign id 'spring' is used twice by this sender");
    CHECK(error_of([](json& d) { d["senders"][0]["schedule"][0]["list"] = "nobody"; }) ==
          "senders[0].schedule[0].list: 'nobody' is not a known recipient list (known: customers, bought)");
    CHECK(error_of([](json& d) { d["senders"][0]["class"] = "X"; }).starts_with(
          "senders[0].class: 'X' is not a known sender class of the scenario"));
    CHECK(error_of([](json& d) { d["lists"][0]["domains"] = {{"nowhere", 1.0}}; }) ==
          "lists[0].domains.nowhere: 'nowhere' is not a recipient profile of the scenario");
    CHECK(error_of([](json& d) { d["receivers"]["elsewhere"] = d["receivers"]["corp"]; }) ==
          "receivers.elsewhere: 'elsewhere' is not a recipient profile of the scenario");
    CHECK(error_of([](json& d) { d["receivers"].erase("corp"); }) == "receivers.corp: required field is missing");
    CHECK(error_of([](json& d) { d["bucket_s"] = 5000; }) == "bucket_s: must be a whole multiple of epoch_s (3600)");
    CHECK(error_of([](json& d) { d["senders"][0]["ips"][0] = "300.1.1.1"; }) ==
          "senders[0].ips[0]: '300.1.1.1' is not an IPv4 address");
    CHECK(error_of([](json& d) { auto& p = d["scenario"]["recipient_profiles"][1]["policies"];
              p.insert(p.begin() + 2, json{{"type", "greylist"}, {"delay_s", 300}}); }) ==
          "scenario.recipient_profiles[1].policies[2].type: 'greylist' is world state: configure receivers.corp.greylist instead");
    CHECK(error_of([](json& d) { d["scenario"]["retry"]["first_retry_s"] = -1; }) ==
          "scenario.retry.first_retry_s: -1 must be greater than 0");
    CHECK(error_of([](json& d) { d["format"] = "delivsim-scenario/1"; }) ==
          "format: 'delivsim-scenario/1' is not a supported format (expected 'delivsim-world/1')");
    CHECK(error_of([](json& d) { d["receivers"]["corp"]["mailbox"]["never_empty"] = 1.5; }) ==
          "receivers.corp.mailbox.never_empty: 1.5 is not a probability");
}

TEST_CASE("world: a recipient total that wraps past 2^64 is refused, naming the list") {
    json d = world_doc("examples/scenarios/warmup.json");
    d["lists"][1]["recipients"] = std::numeric_limits<std::uint64_t>::max() - 99999;  // 2^64 - 100000
    try {
        world::parse_world(d);
        FAIL("a wrapping recipient total was accepted");
    } catch (const ScenarioError& e) {
        CHECK(std::string(e.what()) == "lists[1].recipients: lists hold more than 100000000 recipients in all");
    }
}

namespace {
std::string world_error(json d) {
    try {
        world::parse_world(d);
    } catch (const ScenarioError& e) {
        return e.what();
    }
    return "no error";
}
// warmup.json with one steady item (rate_per_hour to ramp_list) and the other sender silent.
json steady_world(double rate_per_hour, double duration_s, double epoch_s) {
    json d = world_doc("examples/scenarios/warmup.json");
    d["duration_s"] = duration_s;
    d["epoch_s"] = epoch_s;
    d["bucket_s"] = 86400;
    d["senders"][0]["schedule"] = json::array({{{"type", "steady"}, {"list", "ramp_list"}, {"rate_per_hour", rate_per_hour}}});
    d["senders"][1]["schedule"][0]["rate_per_hour"] = 0;
    return d;
}
}  // namespace

TEST_CASE("world: schedule counts are exact whatever epoch_s is") {
    // 1/h for a day is 24 messages, with 60 s epochs as with 3600 s ones.
    for (double epoch : {60.0, 3600.0, 86400.0}) {
        CAPTURE(epoch);
        const json d = steady_world(1, 86400, epoch);
        CHECK(world::plan(world::parse_world(d)).messages == 24);
        CHECK(run_world(d).tally.messages() == 24);
    }
    // 100/h for 30 days is 72000 (floating accumulation over 43200 epochs gave 71999).
    CHECK(run_world(steady_world(100, 30 * 86400.0, 60)).tally.messages() == 72000);
    // Ramps and daily cycles: the same totals for any epoch length.
    json ramp = world_doc("examples/scenarios/warmup.json");
    ramp["duration_s"] = 4 * 86400;
    ramp["senders"][1]["schedule"] = json::array({{{"type", "daily_cycle"}, {"list", "fast_list"}, {"rate_per_hour", 37.5},
                                                   {"amplitude", 0.8}, {"peak_hour", 14.5}}});
    std::vector<std::uint64_t> totals;
    for (double epoch : {60.0, 480.0, 3600.0, 86400.0}) {
        json d = ramp;
        d["epoch_s"] = epoch;
        const world::Result r = run_world(d);
        totals.push_back(r.tally.messages());
        CHECK(r.tally.messages() == world::plan(world::parse_world(d)).messages);
    }
    CHECK(totals == std::vector<std::uint64_t>(4, totals[0]));
    // 200/h growing 1.5x a day for 4 days (200, 300, 450, 675 an hour) plus a mean of 37.5/h
    // for 4 whole days.
    CHECK(totals[0] == 24 * (200 + 300 + 450 + 675) + 3600);
}

TEST_CASE("world: a run's epochs, drain included, are capped at load, naming the field") {
    const json base = world_doc("examples/scenarios/warmup.json");
    json d = base;
    d["bucket_s"] = 1e300;  // llround overflowed: the run never ended
    CHECK(world_error(d) == "bucket_s: is 2.78e+296 epochs long, more than the 10000000 epochs a run may take");
    d["bucket_s"] = 3.6e11;  // 10^8 idle epochs: minutes
    CHECK(world_error(d) == "bucket_s: is 100000000 epochs long, more than the 10000000 epochs a run may take");
    d = base;  // the run fits, its rounding up to whole buckets does not
    d["epoch_s"] = 60;
    d["duration_s"] = 3.9e8;
    d["bucket_s"] = 3.6e8;
    CHECK(world_error(d).starts_with("bucket_s: makes the run more than 10000000 epochs of 60 s"));
    d = base;
    d["receivers"]["corp"]["feedback_delay_s"] = 1e12;
    CHECK(world_error(d) == "receivers.corp.feedback_delay_s: makes the run more than 10000000 epochs of 3600 s "
                            "(sending, then draining retries and feedback, in whole time buckets)");
    d = base;
    d["senders"][1]["schedule"] = json::array({{{"type", "campaign"}, {"list", "fast_list"}, {"id", "c"}, {"at_s", 0},
                                                {"messages", 1000}, {"spread_s", 1e300}}});
    const std::string e = world_error(d);
    CHECK(e.starts_with("senders[1].schedule[0].spread_s: makes the run more than 10000000 epochs"));
    CHECK(e.find("-9223372036854775808") == std::string::npos);
}

TEST_CASE("world: one epoch's messages are estimated at load and refused over the budget") {
    json d = world_doc("examples/scenarios/warmup.json");
    d["senders"][1]["schedule"] = json::array({{{"type", "campaign"}, {"list", "fast_list"}, {"id", "all"}, {"at_s", 0},
                                                {"messages", 4294967295ull}}});
    CHECK(world_error(d).starts_with("senders[1].schedule[0]: one epoch could bring 4294"));
    // 20 million spread over a month is about 28,000 an epoch: within the budget.
    d["senders"][1]["schedule"][0]["messages"] = 20'000'000;
    d["senders"][1]["schedule"][0]["spread_s"] = 30 * 86400;
    const world::World w = world::parse_world(d);
    const world::Plan p = world::plan(w);
    CHECK(p.messages == 20'000'000 + world::plan(world::parse_world(world_doc("examples/scenarios/warmup.json"))).messages -
                            5000ull * 21 * 24);
    CHECK(p.epoch_mib < world::max_epoch_mib);
    CHECK(p.peak_sender == 1);
}

TEST_CASE("world: Postfix holds back a destination that failed to connect, for the sender's other messages") {
    json doc = world_doc("tests/data/world/stateful_small.json");
    doc["scenario"]["retry"] = {{"model", "postfix"}};
    doc["scenario"]["recipient_profiles"][1]["mx"][0]["down"] = 0.5;  // corp: one host, down half the time
    auto connection_deferrals = [&](bool backoff) {
        doc["scenario"]["retry"]["dead_destination_backoff"] = backoff;
        const world::Result r = run_world(doc);
        const auto& ts = r.series;
        std::uint64_t n = 0;
        for (std::size_t b = 0; b < ts.buckets; ++b)
            n += ts.receiver_deferrals[(b * ts.receivers + 1) * status_count + static_cast<std::size_t>(Status::no_host_answered)];
        return std::pair{n, r.tally.messages()};
    };
    const auto [held, sent_held] = connection_deferrals(true);
    const auto [free_, sent_free] = connection_deferrals(false);
    CHECK(sent_held == sent_free);
    // held back: attempts inside the 300 s after a failure are deferred too, though the host
    // may have answered them
    CHECK(held > free_);
    CHECK(free_ > 0);
}

TEST_CASE("world: the recipient's folders apply as in a run: safe senders reach the inbox, rescue, spam deletion") {
    json doc = world_doc("tests/data/world/stateful_small.json");
    const world::Result plain = run_world(doc);
    const std::uint64_t spam_folder = plain.tally.outcome(Outcome::spam_folder), inbox = plain.tally.outcome(Outcome::inbox);
    REQUIRE(spam_folder > 0);
    // Every recipient has every sender in safe senders and every receiver honours it: nothing is
    // left in the spam folder; the world's own dynamics (filing, feedback) are the same.
    json safe = doc;
    for (auto& c : safe["scenario"]["sender_classes"]) c["recipients"] = {{"safe_sender", 1.0}};
    for (auto& p : safe["scenario"]["recipient_profiles"]) p["folders"] = {{"honours_safe_senders", true}};
    const world::Result s = run_world(safe);
    CHECK(s.tally.messages() == plain.tally.messages());
    CHECK(s.tally.outcome(Outcome::spam_folder) == 0);
    CHECK(s.tally.outcome(Outcome::inbox) == inbox + spam_folder);
    CHECK(run_world(safe, 1, 3).tally.outcome(Outcome::inbox) == inbox + spam_folder);  // any thread count
    // Spam-folder rescue: only legitimate mail, with its own draws.
    json rescue = doc;
    for (auto& c : rescue["scenario"]["sender_classes"]) c["recipients"] = {{"rescue", 1.0}, {"rescue_after_s", 3600}};
    const world::Result r = run_world(rescue);
    CHECK(r.tally.outcome(Outcome::spam_folder) < spam_folder);
    // (the world's tally counts by sender: 0 shop and 2 bank send the newsletter class, 1 is the spammer)
    CHECK(r.tally.outcome(Outcome::spam_folder) == plain.tally.outcome(Outcome::spam_folder, 1));
    CHECK(r.tally.outcome(Outcome::inbox) ==
          inbox + plain.tally.outcome(Outcome::spam_folder, 0) + plain.tally.outcome(Outcome::spam_folder, 2));
}

TEST_CASE("world: a class's forwarded share cannot go to another profile ('to'), naming the field") {
    json doc = world_doc("tests/data/world/stateful_small.json");
    auto& c = doc["scenario"]["sender_classes"][0];
    c.erase("dmarc");
    c["auth_results"] = json::parse(R"({"from_domain": "news.example", "dmarc_policy": "none",
        "spf": {"domain": "news.example", "result": "pass"},
        "forwarded": {"probability": 0.1, "hop": "forwarder", "spf": "fail", "to": "corp"}})");
    CHECK(world_error(doc).find("scenario.sender_classes[0].auth_results.forwarded.to: a world delivers each message at "
                                "its recipient's domain") != std::string::npos);
    c["auth_results"]["forwarded"].erase("to");
    CHECK(world_error(doc) == "no error");
}

namespace {

std::string temp_file(const char* name) { return (std::filesystem::temp_directory_path() / name).string(); }

void write_text(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

// The world run of `w` with `seed`, stopped after `epochs` epochs (at an epoch boundary).
world::WorldRun run_for(const world::World& w, std::uint64_t seed, std::uint64_t epochs) {
    world::WorldRun run(w, seed, 2);
    WorkerPool pool(2);
    RunnerOptions o;
    o.seed = seed;
    o.threads = 2;
    while (run.epochs_done() < epochs) REQUIRE(run.next_epoch(pool, o));
    return run;
}

// The checkpoint error message for `text` as a checkpoint of `w` with `seed`.
std::string resume_error(const std::string& text, const world::World& w, std::uint64_t seed) {
    const std::string path = temp_file("delivsim_world_bad.ckpt");
    write_text(path, text);
    try {
        (void)world::read_world_checkpoint(path, w, seed);
    } catch (const CheckpointError& e) {
        return e.what();
    }
    return "(accepted)";
}

}  // namespace

TEST_CASE("world checkpoint: saved at an epoch boundary, read back and resumed, the run ends as an uninterrupted one") {
    const world::World w = world::parse_world(world_doc("tests/data/world/stateful_small.json"));
    world::Options o;
    o.seed = 7;
    o.threads = 2;
    const world::Result whole = world::run(w, o);
    REQUIRE(whole.epochs > 20);

    const world::WorldRun half = run_for(w, 7, whole.epochs / 2);
    const json saved = world::world_checkpoint_json(w, 7, half);
    // Mid-run: messages wait in the retry queues, some with a Session of their own.
    std::size_t queued = 0, deliveries = 0;
    for (const auto& d : saved["state"]["domains"]) {
        queued += d["queue"].size();
        deliveries += d["deliveries"].size();
    }
    CHECK(queued > 0);
    CHECK(deliveries > 0);
    CHECK(saved["state"]["epoch"] == whole.epochs / 2);

    const std::string path = temp_file("delivsim_world_roundtrip.ckpt");
    world::write_world_checkpoint(path, w, 7, half);
    const world::WorldRun restored = world::read_world_checkpoint(path, w, 7);
    CHECK(world::world_checkpoint_json(w, 7, restored) == saved);  // nothing lost

    for (unsigned threads : {1u, 2u}) {
        world::Options r = o;
        r.threads = threads;
        r.resume = &restored;
        CHECK(world::run(w, r) == whole);
    }

    // Through the run's own checkpoints: every epoch (interval 0), resumed from one mid-run.
    std::vector<json> written;
    world::Options c = o;
    c.checkpoint = [&](const world::WorldRun& run) { written.push_back(world::world_checkpoint_json(w, 7, run)); };
    c.checkpoint_interval_s = 0;
    CHECK(world::run(w, c) == whole);
    REQUIRE(written.size() >= whole.epochs);
    CHECK(written.front()["state"]["epoch"] == 0);
    CHECK(written.back()["state"]["finished"] == true);
    write_text(path, written[written.size() / 3].dump());
    const world::WorldRun third = world::read_world_checkpoint(path, w, 7);
    world::Options r = o;
    r.resume = &third;
    CHECK(world::run(w, r) == whole);
    std::filesystem::remove(path);
}

TEST_CASE("world checkpoint: damaged, truncated or another run's checkpoints are refused, naming why") {
    const json doc = world_doc("tests/data/world/stateful_small.json");
    const world::World w = world::parse_world(doc);
    const world::WorldRun run = run_for(w, 7, 30);
    const json good = world::world_checkpoint_json(w, 7, run);
    const std::string text = good.dump();
    auto resealed = [](json j) {  // an edit that keeps the CRC-32 right: only the checks can tell
        j["crc32"] = document_crc32(j);
        return j.dump();
    };

    CHECK(resume_error(text, w, 7) == "(accepted)");
    CHECK(resume_error(text.substr(0, text.size() / 2), w, 7).find("not valid JSON") != std::string::npos);
    CHECK(resume_error(text, w, 8).find("was written for seed 7, this run has 8") != std::string::npos);

    json other = doc;
    other["name"] = "another";
    CHECK(resume_error(text, world::parse_world(other), 7).find("was written for a different world") != std::string::npos);

    json moved = good;  // one mailbox's fill changed, the checksum not
    auto& fill = moved["state"]["domains"][0]["mailboxes"][0][0];
    fill = fill.get<std::uint64_t>() + 1;
    CHECK(resume_error(moved.dump(), w, 7).find("damaged checkpoint: its CRC-32") != std::string::npos);
    json recount = good;  // a queue count that disagrees with the queue: named before the checksum
    auto& queued = recount["state"]["domains"][0]["queued_by_sender"][0];
    queued = queued.get<std::uint64_t>() + 1;
    CHECK(resume_error(recount.dump(), w, 7).find("state.domains[0].queued_by_sender: does not count the queue") !=
          std::string::npos);

    json typed = good;
    typed["state"]["epoch"] = "thirty";
    CHECK(resume_error(resealed(typed), w, 7).find("damaged checkpoint: state.epoch: \"thirty\" is not a number") !=
          std::string::npos);

    json shape = good;
    shape["state"]["domains"][0]["mailboxes"].erase(0);
    CHECK(resume_error(resealed(shape), w, 7).find("state.domains[0].mailboxes: has") != std::string::npos);

    // A queued message sent to a recipient of another domain: no run makes that.
    json crafted = good;
    std::size_t d = 0;
    while (d < crafted["state"]["domains"].size() && crafted["state"]["domains"][d]["queue"].empty()) ++d;
    REQUIRE(d < crafted["state"]["domains"].size());
    crafted["state"]["domains"][d]["queue"][0][3] = 4000000000u;
    CHECK(resume_error(resealed(crafted), w, 7).find("state.domains[" + std::to_string(d) +
                                                     "].queue[0]: its recipient is not at this domain") !=
          std::string::npos);

    // A run's checkpoint is not a world's, and the other way round.
    const Scenario s = default_scenario();
    RunOptions ro;
    ro.messages = 1000;
    ro.seed = 7;
    const std::string path = temp_file("delivsim_world_kinds.ckpt");
    write_checkpoint(path, s, ro, RunState{Tally(s.class_names(), s.profile_names(), s.attempt_times), {}});
    CHECK_THROWS_WITH_AS(world::read_world_checkpoint(path, w, 7), doctest::Contains("is a checkpoint of `delivsim run`"),
                         CheckpointError);
    world::write_world_checkpoint(path, w, 7, run);
    CHECK_THROWS_WITH_AS(read_checkpoint(path, s, ro), doctest::Contains("is a checkpoint of a world"), CheckpointError);
    std::filesystem::remove(path);
}
