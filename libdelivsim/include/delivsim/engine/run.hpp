#pragma once
// The Monte Carlo loop. The message range is cut into fixed chunks that threads take in
// any order; each thread tallies into its own Tally, and the integer tallies are summed.
// Because every draw depends only on (seed, message index, stream, draw), the totals are
// bit-identical for any thread count and any split of the range.
#include <delivsim/engine/deliver.hpp>
#include <delivsim/results/tally.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace delivsim {

struct RunOptions {
    std::uint64_t messages = 0;
    std::uint64_t seed = 0;
    std::uint64_t first_message = 0;  // index of the first message: runs of disjoint ranges merge exactly
    unsigned threads = 1;
    std::uint64_t chunk = 1u << 16;   // messages per work unit; affects speed only, never results
    // Called from the calling thread about every 100 ms with the messages done so far.
    std::function<void(std::uint64_t done)> progress;
    // Set to true (e.g. from a signal handler) to stop early; run() then throws Cancelled.
    const std::atomic<bool>* cancel = nullptr;
};

struct Cancelled : std::runtime_error {
    Cancelled() : std::runtime_error("run cancelled") {}
};

inline void validate(const RunOptions& o) {
    if (o.threads == 0) throw std::invalid_argument("threads: must be at least 1");
    if (o.threads > 4096) throw std::invalid_argument("threads: " + std::to_string(o.threads) + " is more than 4096");
    if (o.chunk == 0) throw std::invalid_argument("chunk: must be at least 1");
    constexpr auto limit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (o.messages > limit) throw std::invalid_argument("messages: more than 2^63-1");
    if (o.first_message > limit - o.messages)
        throw std::invalid_argument("first_message: the range [first_message, first_message + messages) exceeds 2^63-1");
}

template <class Scenario>
Tally make_tally(const Scenario& s) {
    return Tally(s.class_names(), s.profile_names(), s.attempt_times);
}

// Simulates messages [first, first + count) into `tally`.
template <class Scenario>
void simulate_range(const Scenario& s, std::uint64_t seed, std::uint64_t first, std::uint64_t count, Tally& tally) {
    for (std::uint64_t i = first; i < first + count; ++i) {
        MessageRng rng(seed, i);
        const Message m = draw_message(s, rng);
        tally.record(m, deliver(s, m, rng));
    }
}

template <class Scenario>
Tally run(const Scenario& s, const RunOptions& o) {
    validate(o);
    const std::uint64_t chunks = o.messages / o.chunk + (o.messages % o.chunk != 0);
    const unsigned nthreads = static_cast<unsigned>(std::min<std::uint64_t>(o.threads, std::max<std::uint64_t>(chunks, 1)));
    std::atomic<std::uint64_t> next{0}, done{0};
    std::atomic<bool> stop{false};
    std::vector<Tally> tallies(nthreads, make_tally(s));
    std::exception_ptr error;
    std::atomic<bool> failed{false};

    auto worker = [&](unsigned w) {
        try {
            for (;;) {
                if (stop.load(std::memory_order_relaxed) || (o.cancel && o.cancel->load(std::memory_order_relaxed)))
                    return;
                const std::uint64_t c = next.fetch_add(1, std::memory_order_relaxed);
                if (c >= chunks) return;
                const std::uint64_t first = o.first_message + c * o.chunk;
                const std::uint64_t count = std::min(o.chunk, o.messages - c * o.chunk);
                simulate_range(s, o.seed, first, count, tallies[w]);
                done.fetch_add(count, std::memory_order_relaxed);
            }
        } catch (...) {
            if (!failed.exchange(true)) error = std::current_exception();
            stop = true;
        }
    };

    std::vector<std::thread> pool;
    if (o.progress) {
        // The caller's thread only reports progress: it wakes every 100 ms, or at once when
        // the last worker finishes, so a short run does not wait out the interval.
        std::mutex mu;
        std::condition_variable finished;
        unsigned running = nthreads;
        for (unsigned w = 0; w < nthreads; ++w)
            pool.emplace_back([&, w] {
                worker(w);
                std::lock_guard lock(mu);
                if (--running == 0) finished.notify_one();
            });
        std::unique_lock lock(mu);
        while (!finished.wait_for(lock, std::chrono::milliseconds(100), [&] { return running == 0; })) {
            lock.unlock();
            o.progress(done.load());
            lock.lock();
        }
    } else {
        for (unsigned w = 1; w < nthreads; ++w) pool.emplace_back(worker, w);
        worker(0);
    }
    for (auto& t : pool) t.join();
    if (error) std::rethrow_exception(error);
    if (o.cancel && o.cancel->load() && done.load() < o.messages) throw Cancelled();
    if (o.progress) o.progress(done.load());
    for (unsigned w = 1; w < nthreads; ++w) tallies[0] += tallies[w];
    return std::move(tallies[0]);
}

}  // namespace delivsim
