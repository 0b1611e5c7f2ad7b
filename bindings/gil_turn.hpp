// Taking the GIL from a run's threads (a Python policy's calls and the progress hook) so that
// the main thread gets it promptly.
//
// CPython lets a thread that waits for the GIL ask its holder to drop it only after 5 ms in
// which no other thread took it (take_gil, Python/ceval_gil.h). A worker calling a Python
// policy releases the GIL after each call and takes it back microseconds later, before a
// sleeping waiter has woken, and each hand-back restarts the waiter's 5 ms. Measured with two
// threads and a 0.5 ms policy: the main thread got 6% of the calls, and Ctrl-C, which only the
// main thread can see, waited up to 2 s. So while the main thread waits for the GIL, the other
// threads do not ask for it until the main thread has it (or 20 ms have passed, in case the
// main thread waits for a GIL that someone else holds).
// Only the main thread gets this: making way for every waiter cost 10-13% of the calls.
#pragma once

#include <pybind11/pybind11.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <thread>

namespace delivsim::bindings {

class GilTurn {
public:
    // Python's main thread (threading.main_thread().ident), set when _core is imported.
    static inline unsigned long main_thread = 0;

    GilTurn() : main_(PyThread_get_thread_ident() == main_thread) {
        if (main_) {
            main_waiting_.fetch_add(1);
            gil_.emplace();
            main_waiting_.fetch_sub(1);
            main_took_.fetch_add(1);
        } else {
            if (!PyGILState_Check()) make_way(main_took_.load());  // (held already: a nested turn)
            gil_.emplace();
        }
    }
    GilTurn(const GilTurn&) = delete;
    GilTurn& operator=(const GilTurn&) = delete;

private:
    // Waits while the main thread waits for the GIL and has not taken it since `seen`.
    static void make_way(std::uint64_t seen) {
        if (main_waiting_.load() == 0) return;
        const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
        while (main_waiting_.load() != 0 && main_took_.load() == seen && std::chrono::steady_clock::now() < until)
            std::this_thread::yield();
    }

    static inline std::atomic<unsigned> main_waiting_{0};
    static inline std::atomic<std::uint64_t> main_took_{0};
    bool main_;
    std::optional<pybind11::gil_scoped_acquire> gil_;
};

}  // namespace delivsim::bindings
