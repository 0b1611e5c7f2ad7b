// Engine throughput on the reference scenario R1 (items/s = messages/s).
//   build/benchmarks/delivsim_bench --benchmark_filter=R1
#include <delivsim/delivsim.hpp>

#include <benchmark/benchmark.h>

namespace {

const delivsim::Scenario& r1() {
    static const delivsim::Scenario s = delivsim::default_scenario();
    return s;
}

// One core: the whole path per message, tallied, in batches of 2^16 messages.
void simulate_on_one_core(benchmark::State& state, const delivsim::Scenario& s) {
    auto tally = delivsim::make_tally(s);
    std::uint64_t next = 0;
    const std::uint64_t batch = 1 << 16;
    for (auto _ : state) {
        delivsim::simulate_range(s, 42, next, batch, tally);
        next += batch;
    }
    benchmark::DoNotOptimize(tally.messages());
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
}

void BM_R1_OneCore(benchmark::State& state) { simulate_on_one_core(state, r1()); }
BENCHMARK(BM_R1_OneCore)->Unit(benchmark::kMillisecond);

// R1 with class T described by its DNS instead of result probabilities (zone-based
// authentication, sender/authentication.hpp): two sending IPs, SPF through an include chain,
// DKIM, DMARC p=reject with pct=50, 5% of the mail through a mailing list. Compare its items/s
// with BM_R1_OneCore: the per-message cost is the cached table look-up plus up to three draws.
const delivsim::Scenario& r1_zone_auth() {
    static const delivsim::Scenario s = [] {
        delivsim::json doc = delivsim::default_scenario().document;
        doc["dns"] = delivsim::json::parse(R"({"records": [
            {"name": "t.example", "type": "TXT", "value": "v=spf1 mx include:_spf.esp.example -all"},
            {"name": "t.example", "type": "MX", "value": [10, "mx.t.example"]},
            {"name": "mx.t.example", "type": "A", "value": "203.0.113.25"},
            {"name": "_spf.esp.example", "type": "TXT", "value": "v=spf1 ip4:198.51.100.0/28 ip4:192.0.2.0/24 ~all"},
            {"name": "s1._domainkey.t.example", "type": "TXT", "value": "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEB"},
            {"name": "_dmarc.t.example", "type": "TXT", "value": "v=DMARC1; p=reject; pct=50"}]})");
        auto& t = doc["sender_classes"][0];
        t.erase("dmarc");
        t["authentication"] = delivsim::json::parse(R"({"from_domain": "t.example", "mail_from_domain": "bounce.t.example",
            "helo": "out.t.example", "ips": ["192.0.2.10", "192.0.2.11"],
            "dkim": {"domain": "t.example", "selector": "s1", "key": "MIGfMA0GCSqGSIb3DQEB"},
            "forwarded": {"probability": 0.05, "hop": "mailing_list", "ip": "203.0.113.99"}})");
        doc["dns"]["records"].push_back({{"name", "bounce.t.example"}, {"type", "TXT"},
                                         {"value", "v=spf1 include:t.example -all"}});
        return delivsim::parse_scenario(doc);
    }();
    return s;
}

void BM_ZoneAuth(benchmark::State& state) { simulate_on_one_core(state, r1_zone_auth()); }
BENCHMARK(BM_ZoneAuth)->Unit(benchmark::kMillisecond);

// run() with T threads, 4M messages per iteration: the scaling figure (wall-clock time).
void BM_R1_Threads(benchmark::State& state) {
    const auto& s = r1();
    delivsim::RunOptions o;
    o.messages = 1 << 22;
    o.seed = 42;
    o.threads = static_cast<unsigned>(state.range(0));
    for (auto _ : state) benchmark::DoNotOptimize(delivsim::run(s, o).messages());
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * o.messages));
}
BENCHMARK(BM_R1_Threads)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// Only the message draw (population, address, sender traits): the floor of the cost.
void BM_R1_DrawMessage(benchmark::State& state) {
    const auto& s = r1();
    std::uint64_t i = 0;
    for (auto _ : state) {
        delivsim::MessageRng rng(42, i++);
        benchmark::DoNotOptimize(delivsim::draw_message(s, rng));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_R1_DrawMessage);

void BM_Philox_Draw(benchmark::State& state) {
    std::uint64_t i = 0, acc = 0;
    for (auto _ : state) {
        delivsim::MessageRng rng(42, i++);
        acc += rng.bits(delivsim::Stream::message, 0);
    }
    benchmark::DoNotOptimize(acc);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Philox_Draw);

}  // namespace

BENCHMARK_MAIN();
