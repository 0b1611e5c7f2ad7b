// Engine throughput on the reference scenario R1 (items/s = messages/s).
//   build/benchmarks/delivsim_bench --benchmark_filter=R1
#include <delivsim/delivsim.hpp>

#include <benchmark/benchmark.h>

#include "compare_case.hpp"

#include <chrono>
#include <ctime>

namespace {

using delivsim_bench::four_strategies;
using delivsim_bench::r1_features;

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

// The same draws as a run makes them (head blocks and content-score normals for 64 messages
// at a time, core/rng.hpp), without the delivery: what R1's draws alone cost per message, a
// bound on any delivery step's speed under the stream contract.
void BM_R1_DrawsOnly(benchmark::State& state) {
    const auto& s = r1();
    std::uint64_t next = 0, acc = 0;
    const std::uint64_t batch = 1 << 16;
    for (auto _ : state) {
        delivsim::for_each_message(42, next, batch, [&](delivsim::MessageRng& rng) {
            const delivsim::Message m = delivsim::draw_message(s, rng);
            acc += m.sender_class + m.profile + static_cast<std::uint64_t>(m.content_score > 5);
        });
        next += batch;
    }
    benchmark::DoNotOptimize(acc);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
}
BENCHMARK(BM_R1_DrawsOnly)->Unit(benchmark::kMillisecond);

// Only the head Philox blocks of 64 messages at a time (four blocks a message), as a run
// computes them: the random numbers' own share.
void BM_R1_HeadBlocksOnly(benchmark::State& state) {
    std::uint64_t next = 0, acc = 0;
    const std::uint64_t batch = 64;
    delivsim::MessageRng::Block heads[batch * delivsim::MessageRng::head_count];
    for (auto _ : state) {
        delivsim::MessageRng::head_blocks(42, next, batch, heads);
        acc += heads[0][0] ^ heads[batch * delivsim::MessageRng::head_count - 1][3];
        next += batch;
    }
    benchmark::DoNotOptimize(acc);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
}
BENCHMARK(BM_R1_HeadBlocksOnly);

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

// R1's chains over R1 with content features: the cost of drawing the features.
void BM_R1Features_OneCore(benchmark::State& state) { simulate_on_one_core(state, r1_features()); }
BENCHMARK(BM_R1Features_OneCore)->Unit(benchmark::kMillisecond);

// The modern_2025 example: provider presets (sender_requirements) reading the authentication
// and transport facts, zone-based and drawn classes. Compare its items/s with BM_R1_OneCore.
const delivsim::Scenario& modern_2025() {
    static const delivsim::Scenario s = delivsim::load_scenario(DELIVSIM_SOURCE_DIR "/examples/scenarios/modern_2025.json");
    return s;
}
void BM_Modern2025_OneCore(benchmark::State& state) { simulate_on_one_core(state, modern_2025()); }
BENCHMARK(BM_Modern2025_OneCore)->Unit(benchmark::kMillisecond);

// Strategy comparison (engine/compare.hpp) on R1's mail with content features
// (benchmarks/compare_case.hpp): K strategies on the same messages, one core. The message draw
// and the strategy-independent work are done once. BM_Compare_Ratio prints K = 4 over K = 1.
//   build/benchmarks/delivsim_bench --benchmark_filter=Compare
// CPU time of the calling thread: the machine is shared, and wall-clock time would count
// other processes' time slices into one side of the ratio or the other.
double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// The first k strategies over `batch` messages from `first`, on the calling thread; returns
// the CPU seconds of the simulation alone (not the setup).
double compare_batch(std::size_t k, std::uint64_t first, std::uint64_t batch) {
    const std::vector<delivsim::Strategy> st(four_strategies().begin(), four_strategies().begin() + k);
    const delivsim::detail::CompareSetup setup(r1_features(), st);
    delivsim::Comparison c = setup.make(st);
    const double t0 = thread_cpu_seconds();
    setup.simulate(42, first, batch, c);
    benchmark::DoNotOptimize(c.messages());
    return thread_cpu_seconds() - t0;
}

void BM_Compare(benchmark::State& state) {
    const auto k = static_cast<std::size_t>(state.range(0));
    const std::uint64_t batch = 1 << 16;
    std::uint64_t next = 0;
    for (auto _ : state) {
        state.SetIterationTime(compare_batch(k, next, batch));
        next += batch;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
}
BENCHMARK(BM_Compare)->Arg(1)->Arg(4)->Unit(benchmark::kMillisecond)->UseManualTime();

// K = 4 over K = 1 on the same messages, measured back to back in each iteration (thread CPU
// time). The counter K4_over_K1 is the figure.
void BM_Compare_Ratio(benchmark::State& state) {
    const std::uint64_t batch = 1 << 16;
    std::uint64_t next = 0;
    double one = 0, four = 0;
    for (auto _ : state) {
        one += compare_batch(1, next, batch);
        four += compare_batch(4, next, batch);
        next += batch;
    }
    state.counters["K4_over_K1"] = four / one;
}
BENCHMARK(BM_Compare_Ratio)->Unit(benchmark::kMillisecond)->Iterations(40);

// Compare against a plain run of the same messages (R1 with content features, its own
// chains), thread CPU time, back to back in each iteration: K=1 is the scenario's own chains
// (what compare's bookkeeping costs), K=4 adds three of the strategies above. The counters
// K1_over_run and K4_over_run are the figures (targets: 1.1 and 2).
//   build/benchmarks/delivsim_bench --benchmark_filter=Compare_vs_Run
void BM_Compare_vs_Run(benchmark::State& state) {
    const std::uint64_t batch = 1 << 16;
    const auto& s = r1_features();
    const std::vector<delivsim::Strategy> st = delivsim_bench::own_and_three();
    const std::vector<delivsim::Strategy> one(st.begin(), st.begin() + 1);
    const delivsim::detail::CompareSetup setup1(s, one), setup4(s, st);
    std::uint64_t next = 0;
    double run = 0, k1 = 0, k4 = 0;
    for (auto _ : state) {
        auto tally = delivsim::make_tally(s);
        double t0 = thread_cpu_seconds();
        delivsim::simulate_range(s, 42, next, batch, tally);
        run += thread_cpu_seconds() - t0;
        auto c1 = setup1.make(one);
        t0 = thread_cpu_seconds();
        setup1.simulate(42, next, batch, c1);
        k1 += thread_cpu_seconds() - t0;
        auto c4 = setup4.make(st);
        t0 = thread_cpu_seconds();
        setup4.simulate(42, next, batch, c4);
        k4 += thread_cpu_seconds() - t0;
        benchmark::DoNotOptimize(tally.messages() + c1.messages() + c4.messages());
        next += batch;
    }
    state.counters["run_Mmsg_per_s"] = static_cast<double>(next) / run / 1e6;
    state.counters["K1_over_run"] = k1 / run;
    state.counters["K4_over_run"] = k4 / run;
}
BENCHMARK(BM_Compare_vs_Run)->Unit(benchmark::kMillisecond)->Iterations(40);

// The logistic model's score, one message at a time (sparse weights, as the engine calls it)
// against Eigen's batch (fill a matrix of feature rows, one matrix-vector product), over 4096
// messages of R1 with features. Shows which form the engine should use.
//   build/benchmarks/delivsim_bench --benchmark_filter=Logistic
struct LogisticCase {
    delivsim::Logistic model;
    std::vector<delivsim::Message> messages;
};
const LogisticCase& logistic_case() {
    static const LogisticCase c = [] {
        LogisticCase x;
        x.model = delivsim::Logistic::parse(
            delivsim::Field(delivsim::json::parse(R"({"type": "logistic", "intercept": -5, "weights": {"links": 0.1,
                "promo_phrases": 0.5, "html_ratio": 2, "reputation": -0.03, "attachment=executable": 5,
                "attachment=office_macro": 4, "content_score": 0.4, "dmarc=none": 0.5},
                "actions": [{"min_probability": 0.5, "action": "spam_folder"}]})"), "policy"),
            delivsim::ParseContext{r1_features().class_names()});
        for (std::uint64_t i = 0; i < 4096; ++i) {
            delivsim::MessageRng rng(42, i);
            x.messages.push_back(delivsim::draw_message(r1_features(), rng));
        }
        return x;
    }();
    return c;
}
void BM_Logistic_OneByOne(benchmark::State& state) {
    const auto& c = logistic_case();
    for (auto _ : state) {
        double sum = 0;
        for (const auto& m : c.messages) sum += c.model.score(m);
        benchmark::DoNotOptimize(sum);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * c.messages.size()));
}
BENCHMARK(BM_Logistic_OneByOne);
void BM_Logistic_Batch(benchmark::State& state) {
    const auto& c = logistic_case();
    delivsim::Logistic::Batch X(static_cast<Eigen::Index>(c.messages.size()), static_cast<int>(delivsim::feature_count));
    for (auto _ : state) {
        for (std::size_t r = 0; r < c.messages.size(); ++r)
            delivsim::feature_vector(c.messages[r], X.row(static_cast<Eigen::Index>(r)).data());
        const Eigen::VectorXd s = c.model.log_odds(X);
        benchmark::DoNotOptimize(s.sum());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * c.messages.size()));
}
BENCHMARK(BM_Logistic_Batch);

}  // namespace

BENCHMARK_MAIN();
