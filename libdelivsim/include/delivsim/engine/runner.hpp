#pragma once
// The one runner behind run(), compare() and the world: its options, cancellation, the thread
// pool (started once per run, refused threads handled the same way everywhere), the progress
// clock, and work units sized by time as well as by count.
//
//  - WorkerPool starts its threads when it is made and keeps them until it is destroyed:
//    a run makes one, however many rounds of parallel work it has (a world has two per
//    epoch). for_each() spreads tasks over the pool's threads and the calling thread.
//  - A thread the system refuses stops the run before any work with
//    "threads: could not start thread K of N (reason)", after joining the threads started.
//  - WorkSlicer cuts a fixed unit of work (a chunk, whose identity checkpoints record) into
//    slices of about slice_target_s each, so that cancellation, progress and checkpoints are
//    answered within a fraction of a second whatever a message costs (a slow Python policy,
//    a long retry schedule, many strategies). Slicing changes speed only, never results.
//  - Progress is reported from the calling thread about every progress_period_s.
//
// Worlds checkpoint between epochs: world::WorldRun (world/run.hpp) runs one epoch per call,
// so its whole state between two calls is what a checkpoint holds.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace delivsim {

// What every kind of run shares. RunOptions (engine/run.hpp) and world::Options add what
// their run needs.
struct RunnerOptions {
    std::uint64_t seed = 0;
    unsigned threads = 1;  // results never depend on it
    // Set to true (e.g. from a signal handler) to stop early; the run then throws Cancelled
    // (after its final checkpoint, if it writes them).
    const std::atomic<bool>* cancel = nullptr;

    bool cancelled() const noexcept { return cancel && cancel->load(std::memory_order_relaxed); }
};

struct Cancelled : std::runtime_error {
    Cancelled() : std::runtime_error("run cancelled") {}
};

inline constexpr unsigned max_threads = 4096;
inline constexpr double progress_period_s = 0.1;
inline constexpr double slice_target_s = 0.01;

// Worker threads of any run (scenario or world).
inline void validate_threads(unsigned threads) {
    if (threads == 0) throw std::invalid_argument("threads: must be at least 1");
    if (threads > max_threads)
        throw std::invalid_argument("threads: " + std::to_string(threads) + " is more than " + std::to_string(max_threads));
}
inline void validate(const RunnerOptions& o) { validate_threads(o.threads); }

// Calls report() when at least progress_period_s has passed since the last call.
class ProgressClock {
public:
    bool due() const { return std::chrono::steady_clock::now() - last_ >= period(); }
    template <class F>
    void tick(F&& report) {
        const auto now = std::chrono::steady_clock::now();
        if (now - last_ < period()) return;
        last_ = now;
        report();
    }

private:
    static std::chrono::steady_clock::duration period() {
        return std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(progress_period_s));
    }
    std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

// Cuts a unit of `count` items into slices of about slice_target_s: starts small, doubles
// while slices are quick, halves when one is slow.
class WorkSlicer {
public:
    std::uint64_t next(std::uint64_t left) const noexcept { return std::min(left, size_); }
    template <class F>
    void run(std::uint64_t n, F&& body) {
        const auto t0 = std::chrono::steady_clock::now();
        body();
        const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (dt < slice_target_s / 2 && n == size_ && size_ < (std::uint64_t{1} << 40)) size_ *= 2;
        else if (dt > slice_target_s && size_ > 1) size_ /= 2;
    }

private:
    std::uint64_t size_ = 16;
};

// Threads started once, used for any number of rounds of parallel tasks.
class WorkerPool {
public:
    // Starts threads - 1 helpers (the calling thread is the last worker).
    explicit WorkerPool(unsigned threads) : size_(std::max(1u, threads)) {
        helpers_.reserve(size_ - 1);  // so that starting a thread cannot fail on growing the vector
        for (unsigned w = 1; w < size_; ++w) {
            try {
                helpers_.emplace_back([this, w] { serve(w); });
            } catch (const std::exception& e) {  // std::system_error, or std::bad_alloc for the thread's state
                const std::string reason = e.what();
                stop();
                throw std::runtime_error("threads: could not start thread " + std::to_string(w + 1) + " of " +
                                         std::to_string(size_) + " (" + reason + ")");
            }
        }
    }
    ~WorkerPool() { stop(); }
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    unsigned size() const noexcept { return size_; }

    // Runs work(worker) once on every thread of the pool (worker 0 is the calling thread) and
    // returns when all have returned. The first exception thrown is rethrown.
    template <class F>
    void on_each_thread(F&& work) {
        if (helpers_.empty()) {
            work(0u);
            return;
        }
        std::function<void(unsigned)> job = [&](unsigned w) { work(w); };
        {
            std::lock_guard lock(mu_);
            job_ = &job;
            error_ = nullptr;
            busy_ = static_cast<unsigned>(helpers_.size());
            ++round_;
        }
        wake_.notify_all();
        try {
            work(0u);
        } catch (...) {
            std::lock_guard lock(mu_);
            if (!error_) error_ = std::current_exception();
        }
        std::unique_lock lock(mu_);
        done_.wait(lock, [&] { return busy_ == 0; });
        job_ = nullptr;
        if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    }

    // Runs task(k) for k in [0, n), spread over the pool; tasks after a failed one are skipped.
    template <class F>
    void for_each(std::size_t n, F&& task) {
        if (n <= 1 || helpers_.empty()) {
            for (std::size_t k = 0; k < n; ++k) task(k);
            return;
        }
        std::atomic<std::size_t> next{0};
        std::atomic<bool> failed{false};
        on_each_thread([&](unsigned) {
            try {
                for (std::size_t k; !failed.load(std::memory_order_relaxed) && (k = next++) < n;) task(k);
            } catch (...) {
                failed = true;
                throw;
            }
        });
    }

private:
    void serve(unsigned w) {
        std::uint64_t seen = 0;
        for (;;) {
            std::function<void(unsigned)>* job;
            {
                std::unique_lock lock(mu_);
                wake_.wait(lock, [&] { return quit_ || round_ != seen; });
                if (quit_) return;
                seen = round_;
                job = job_;
            }
            try {
                (*job)(w);
            } catch (...) {
                std::lock_guard lock(mu_);
                if (!error_) error_ = std::current_exception();
            }
            std::lock_guard lock(mu_);
            if (--busy_ == 0) done_.notify_one();
        }
    }
    void stop() noexcept {
        {
            std::lock_guard lock(mu_);
            quit_ = true;
        }
        wake_.notify_all();
        for (auto& t : helpers_) t.join();
        helpers_.clear();
    }

    unsigned size_;
    std::vector<std::thread> helpers_;
    std::mutex mu_;
    std::condition_variable wake_, done_;
    std::function<void(unsigned)>* job_ = nullptr;
    std::exception_ptr error_;
    std::uint64_t round_ = 0;
    unsigned busy_ = 0;
    bool quit_ = false;
};

}  // namespace delivsim
