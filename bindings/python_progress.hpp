// The progress hook of _core.run, _core.compare and _core.run_world. It runs on the calling thread about every
// 100 ms (the runner's progress clock, engine/runner.hpp), the only place Python is touched during a run: it takes the
// GIL to check for Ctrl-C and to call the user's callback. It must never throw (the engine
// would unwind past unjoined worker threads), so a Python error is kept in `error`, the run is
// cancelled through `cancel`, and the caller re-raises the error once the engine returns.
#pragma once

#include "gil_turn.hpp"

#include <delivsim/engine/run.hpp>

#include <pybind11/pybind11.h>

#include <atomic>
#include <exception>
#include <functional>
#include <optional>

namespace delivsim::bindings {

// The hook itself; Done is what the engine reports (messages done, or simulated time).
template <class Done>
std::function<void(Done)> progress_hook(const std::optional<pybind11::function>& progress, std::atomic<bool>& cancel,
                                        std::exception_ptr& error) {
    return [&progress, &cancel, &error](Done done) {
        if (error) return;
        const GilTurn gil;  // in turn with the workers' Python calls, or Ctrl-C can wait seconds
        try {
            if (PyErr_CheckSignals() != 0) throw pybind11::error_already_set();
            if (progress) (*progress)(done);
        } catch (...) {
            error = std::current_exception();
            cancel = true;
        }
    };
}

// Installs the hook on `o` (and o.cancel = &cancel). Every run gets it, so Ctrl-C works in
// any run: the runner calls it between work slices, only once 100 ms have passed, so a short
// run never pays for it. (`one_chunk` is no longer needed.)
inline void install_progress(RunOptions& o, const std::optional<pybind11::function>& progress, bool /*one_chunk*/,
                             std::atomic<bool>& cancel, std::exception_ptr& error) {
    o.cancel = &cancel;
    o.progress = progress_hook<std::uint64_t>(progress, cancel, error);
}

}  // namespace delivsim::bindings
