#pragma once
// The Monte Carlo loop, on the one runner (engine/runner.hpp). The message range is cut into
// fixed chunks that threads take in any order. A thread simulates a whole chunk into a scratch tally, then merges it into the
// run's state and marks the chunk done, so the state always holds exactly the completed
// chunks: it can be checkpointed at any moment and a run resumed from it. Because every
// draw depends only on (seed, message index, stream, draw) and tallies are integer counts,
// the totals are bit-identical for any thread count, chunking, or interruption.
#include <delivsim/engine/deliver.hpp>
#include <delivsim/engine/runner.hpp>
#include <delivsim/results/tally.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace delivsim {

// A set of chunk indices, kept as disjoint [begin, end) ranges: its size does not grow with
// the number of chunks (a run of 2^63 messages has 2^47 of them).
class ChunkSet {
public:
    bool contains(std::uint64_t c) const {
        auto it = ranges_.upper_bound(c);
        return it != ranges_.begin() && c < std::prev(it)->second;
    }
    void insert(std::uint64_t c) { insert(c, c + 1); }
    void insert(std::uint64_t begin, std::uint64_t end) {
        if (begin >= end) return;
        auto it = ranges_.upper_bound(begin);
        if (it != ranges_.begin() && std::prev(it)->second >= begin) {
            --it;
            begin = it->first;
            end = std::max(end, it->second);
            it = ranges_.erase(it);
        }
        while (it != ranges_.end() && it->first <= end) {
            end = std::max(end, it->second);
            it = ranges_.erase(it);
        }
        ranges_.emplace(begin, end);
    }
    std::uint64_t count() const {
        std::uint64_t n = 0;
        for (const auto& [b, e] : ranges_) n += e - b;
        return n;
    }
    const std::map<std::uint64_t, std::uint64_t>& ranges() const noexcept { return ranges_; }
    bool operator==(const ChunkSet&) const = default;

private:
    std::map<std::uint64_t, std::uint64_t> ranges_;
};

// What a run has completed: the merged tally of the done chunks. A checkpoint holds this.
struct RunState {
    Tally tally;
    ChunkSet done;
    std::uint64_t chunks_done() const { return done.count(); }
};

// A run of `messages` messages: the runner's options (engine/runner.hpp) and a run's own.
struct RunOptions : RunnerOptions {
    std::uint64_t messages = 0;
    std::uint64_t first_message = 0;  // index of the first message: runs of disjoint ranges merge exactly
    // Messages per work unit; affects speed only, never results. 0: chosen from the scenario
    // (see chunk_size), large enough that clearing and merging a chunk's tally stays cheap.
    std::uint64_t chunk = 0;
    // Called from the calling thread about every 100 ms with the messages done so far.
    std::function<void(std::uint64_t done)> progress;
    // Called from the calling thread with a consistent snapshot every checkpoint_interval_s,
    // when the run ends, and when it is cancelled.
    std::function<void(const RunState&)> checkpoint;
    double checkpoint_interval_s = 60;
    // Continue from a snapshot of a run with the same scenario and options (chunks marked
    // done are skipped, their counts kept).
    const RunState* resume = nullptr;
};

// Message indices are 0 .. 2^63-1 (they fit a signed 64-bit integer in every binding).
inline constexpr std::uint64_t message_index_limit = std::uint64_t{1} << 63;

inline void validate(const RunOptions& o) {
    validate(static_cast<const RunnerOptions&>(o));
    if (o.messages > message_index_limit - 1) throw std::invalid_argument("messages: more than 2^63-1");
    if (o.first_message > message_index_limit - 1 || o.first_message > message_index_limit - o.messages)
        throw std::invalid_argument(
            "first_message: the messages [first_message, first_message + messages) go past the last index, 2^63-1");
    if (!(o.checkpoint_interval_s >= 0)) throw std::invalid_argument("checkpoint_interval_s: must be >= 0");
}

template <class Scenario>
Tally make_tally(const Scenario& s) {
    return Tally(s.class_names(), s.profile_names(), s.attempt_times, s.class_truth(), s.retry.delay_warning_s);
}

// The chunk size of a run: o.chunk, or 2^16 messages grown (by powers of two) to at least the
// tally's counter count, so that per-chunk clearing and merging stay a small share of the work.
template <class Scenario>
std::uint64_t chunk_size(const Scenario& s, const RunOptions& o) {
    if (o.chunk > 0) return o.chunk;
    const std::size_t counters = (s.classes.size() * s.profiles.size()) * (outcome_count + status_count +
                                 responsible_count + stage_count) +
                                 (s.classes.size() + s.profiles.size()) * outcome_count * s.attempt_times.size();
    std::uint64_t chunk = std::uint64_t{1} << 16;
    while (chunk < counters) chunk <<= 1;
    return chunk;
}

template <class Scenario>
std::uint64_t chunk_count(const Scenario& s, const RunOptions& o) {
    const std::uint64_t c = chunk_size(s, o);
    return o.messages / c + (o.messages % c != 0);
}

// Calls f(rng) with the draws of each message [first, first + count) in turn. On a vector
// path (core/philox_batch.hpp) the head Philox blocks of 64 messages are computed together,
// then their head normals;
// on the scalar path each message computes its own, interleaved (faster than a scalar batch).
// Either way the values are those of MessageRng(seed, i).
template <class F>
void for_each_message(std::uint64_t seed, std::uint64_t first, std::uint64_t count, F&& f) {
    if (simd_path() == SimdPath::scalar) {
        for (std::uint64_t i = first; i < first + count; ++i) {
            MessageRng rng(seed, i);
            f(rng);
        }
        return;
    }
    constexpr std::size_t batch = 64;
    MessageRng::Block heads[batch * MessageRng::head_count];
    double normals[batch];
    for (std::uint64_t done = 0; done < count;) {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(batch, count - done));
        MessageRng::head_blocks(seed, first + done, n, heads);
        MessageRng::head_normals(n, heads, normals);
        for (std::size_t j = 0; j < n; ++j) {
            MessageRng rng(seed, first + done + j, heads + j * MessageRng::head_count, normals[j]);
            f(rng);
        }
        done += n;
    }
}

// Simulates messages [first, first + count) into `tally`.
template <class Scenario>
void simulate_range(const Scenario& s, std::uint64_t seed, std::uint64_t first, std::uint64_t count, Tally& tally) {
    for_each_message(seed, first, count, [&](MessageRng& rng) {
        const Message m = draw_message(s, rng);
        tally.record(m, deliver(s, m, rng));
    });
}

namespace detail {

// The chunked loop behind run() and compare(), on the runner's pool (engine/runner.hpp).
// Chunks [0, chunks) not in `skip` are taken by the pool's threads in any order; each thread
// keeps a scratch result (`make_scratch()`, cleared per chunk), fills it with
// `simulate(scratch, first_index, count)` in time-sized slices, and hands a whole chunk to
// `merge(chunk, scratch)` under a lock. Between slices, threads notice cancellation and
// errors (a chunk left unfinished is dropped: the state holds whole chunks only), and the
// calling thread reports progress about every 100 ms; when `o.checkpoint` is set it also
// calls `write(snapshot())` every checkpoint_interval_s, taking the snapshot under the lock
// (a consistent set of chunks). Throws what a worker or callback threw; returns early (no
// throw) on cancellation.
template <class MakeScratch, class Simulate, class Merge, class Snapshot, class Write>
void run_chunks(const RunOptions& o, std::uint64_t chunk, std::uint64_t chunks, const ChunkSet& skip,
                std::uint64_t done_before, MakeScratch&& make_scratch, Simulate&& simulate, Merge&& merge,
                Snapshot&& snapshot, Write&& write) {
    const std::uint64_t todo = chunks - skip.count();
    std::mutex mu;  // guards what merge() and snapshot() touch, and `working`
    std::condition_variable finished;
    std::atomic<std::uint64_t> next{0}, done{done_before};
    std::atomic<bool> stop{false};
    const bool reporting = o.progress || o.checkpoint;
    auto last_checkpoint = std::chrono::steady_clock::now();
    ProgressClock clock;
    // On the calling thread: progress, and a checkpoint when one is due.
    auto report = [&] {
        clock.tick([&] {
            if (o.progress) o.progress(done.load());
            if (o.checkpoint && std::chrono::duration<double>(std::chrono::steady_clock::now() - last_checkpoint).count() >=
                                    o.checkpoint_interval_s) {
                std::unique_lock lock(mu);
                auto snap = snapshot();  // copied under the lock: a consistent set of chunks
                lock.unlock();
                write(snap);
                last_checkpoint = std::chrono::steady_clock::now();
            }
        });
    };

    const unsigned nthreads = static_cast<unsigned>(std::min<std::uint64_t>(o.threads, std::max<std::uint64_t>(todo, 1)));
    WorkerPool pool(nthreads);
    unsigned working = nthreads;
    pool.on_each_thread([&](unsigned w) {
        try {
            auto scratch = make_scratch();
            WorkSlicer slicer;
            for (;;) {
                if (stop.load(std::memory_order_relaxed) || o.cancelled()) break;
                const std::uint64_t c = next.fetch_add(1, std::memory_order_relaxed);
                if (c >= chunks) break;
                if (skip.contains(c)) continue;
                const std::uint64_t begin = c * chunk;
                const std::uint64_t count = std::min(chunk, o.messages - begin);
                scratch.clear();
                std::uint64_t off = 0;
                while (off < count && !stop.load(std::memory_order_relaxed) && !o.cancelled()) {
                    const std::uint64_t n = slicer.next(count - off);
                    slicer.run(n, [&] { simulate(scratch, o.first_message + begin + off, n); });
                    off += n;
                    done.fetch_add(n, std::memory_order_relaxed);
                    if (w == 0 && reporting) report();
                }
                if (off < count) break;  // stopped inside the chunk: it is dropped
                std::lock_guard lock(mu);
                merge(c, scratch);
            }
        } catch (...) {
            stop = true;
            std::lock_guard lock(mu);
            if (--working == 0) finished.notify_all();
            throw;
        }
        std::unique_lock lock(mu);
        if (--working == 0) finished.notify_all();
        // The calling thread goes on reporting until the other threads are done, and wakes at
        // once when the last one finishes, so a short run does not wait out a period.
        while (w == 0 && reporting && working > 0) {
            if (finished.wait_for(lock, std::chrono::duration<double>(progress_period_s), [&] { return working == 0; }))
                break;
            lock.unlock();
            try {
                report();
            } catch (...) {
                stop = true;
                throw;
            }
            lock.lock();
        }
    });
}

}  // namespace detail

template <class Scenario>
Tally run(const Scenario& s, const RunOptions& o) {
    validate(o);
    const std::uint64_t chunk = chunk_size(s, o), chunks = chunk_count(s, o);
    RunState state = o.resume ? *o.resume : RunState{make_tally(s), {}};
    if (o.resume) {
        if (!state.done.ranges().empty() && state.done.ranges().rbegin()->second > chunks)
            throw std::invalid_argument("resume: the snapshot has chunks beyond this run's " + std::to_string(chunks));
        if (!(state.tally.classes() == s.class_names() && state.tally.profiles() == s.profile_names() &&
              state.tally.attempt_times() == s.attempt_times))
            throw std::invalid_argument("resume: the snapshot was made with a different scenario");
    }
    // A first checkpoint before any work: an unwritable path fails now, not minutes in.
    if (o.checkpoint) o.checkpoint(state);
    const ChunkSet skip = state.done;  // read without the lock: never changes during the run
    std::uint64_t done = state.tally.messages();
    detail::run_chunks(
        o, chunk, chunks, skip, done, [&] { return make_tally(s); },
        [&](Tally& scratch, std::uint64_t first, std::uint64_t count) { simulate_range(s, o.seed, first, count, scratch); },
        [&](std::uint64_t c, const Tally& scratch) {
            state.tally += scratch;
            state.done.insert(c);
        },
        [&] { return state; }, [&](const RunState& snap) { o.checkpoint(snap); });
    if (o.checkpoint) o.checkpoint(state);  // final, or at cancellation: nothing completed is lost
    if (o.progress) o.progress(state.tally.messages());
    if (state.tally.messages() < o.messages) throw Cancelled();
    return std::move(state.tally);
}

}  // namespace delivsim
