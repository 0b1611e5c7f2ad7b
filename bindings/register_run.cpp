// _core.run: the Monte Carlo run, with the GIL released while the threads simulate.
//
// Progress and Ctrl-C: python_progress.hpp.
#include <delivsim/engine/attribute.hpp>
#include <delivsim/engine/checkpoint.hpp>
#include <delivsim/engine/trace.hpp>
#include <delivsim/engine/run.hpp>
#include <delivsim/scenario/scenario.hpp>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include "initialised.hpp"  // before any cast of Scenario or Tally
#include "python_progress.hpp"

#include <atomic>
#include <exception>
#include <optional>

namespace py = pybind11;

namespace {

delivsim::Tally run(const delivsim::Scenario& s, std::uint64_t messages, std::uint64_t seed, unsigned threads,
                    std::uint64_t first_message, const std::optional<py::function>& progress,
                    const std::optional<std::string>& checkpoint, double checkpoint_interval,
                    const std::optional<std::string>& resume) {
    std::atomic<bool> cancel{false};
    std::exception_ptr error;  // a KeyboardInterrupt or the callback's exception

    delivsim::RunOptions o;
    o.messages = messages;
    o.seed = seed;
    o.threads = threads;
    o.first_message = first_message;
    delivsim::bindings::install_progress(o, progress, messages <= delivsim::chunk_size(s, o), cancel, error);

    // Checkpoints are written from the calling thread without the GIL (pure C++). Resuming
    // keeps checkpointing to the same file unless another is given.
    delivsim::RunState resumed;
    if (resume) {
        resumed = delivsim::read_checkpoint(*resume, s, o);
        o.resume = &resumed;
    }
    const std::optional<std::string> target = checkpoint ? checkpoint : resume;
    if (target) {
        o.checkpoint = [&](const delivsim::RunState& st) { delivsim::write_checkpoint(*target, s, o, st); };
        o.checkpoint_interval_s = checkpoint_interval;
    }

    std::optional<delivsim::Tally> tally;
    try {
        py::gil_scoped_release nogil;
        tally = delivsim::run(s, o);
    } catch (const delivsim::Cancelled&) {
        if (!error) throw;  // cannot happen: only the hook cancels
    }
    if (error) std::rethrow_exception(error);
    return std::move(*tally);
}

// Counterfactual attribution (engine/attribute.hpp), as its JSON text.
std::string attribute(const delivsim::Scenario& s, std::uint64_t messages, std::uint64_t seed, unsigned threads,
                      const std::vector<std::string>& factor_names, const std::optional<py::function>& progress) {
    std::vector<delivsim::Factor> factors;
    for (const auto& n : factor_names) factors.push_back(delivsim::factor_by_name(n));
    std::atomic<bool> cancel{false};
    std::exception_ptr error;
    delivsim::RunOptions o;
    o.messages = messages;
    o.seed = seed;
    o.threads = threads;
    delivsim::bindings::install_progress(o, progress, messages <= delivsim::chunk_size(s, o), cancel, error);
    std::optional<delivsim::Attribution> a;
    try {
        py::gil_scoped_release nogil;
        a = delivsim::attribute(s, o, std::move(factors));
    } catch (const delivsim::Cancelled&) {
        if (!error) throw;
    }
    if (error) std::rethrow_exception(error);
    return delivsim::attribution_json(*a, s.name, seed).dump();
}

// Sampled traces (engine/trace.hpp), as JSON text: a list of explained messages.
std::string trace(const delivsim::Scenario& s, std::uint64_t messages, std::uint64_t seed, unsigned threads,
                  const std::vector<std::pair<std::string, std::string>>& where, std::uint64_t limit) {
    const delivsim::TraceFilter filter = delivsim::parse_where(where, s);
    delivsim::RunOptions o;
    o.messages = messages;
    o.seed = seed;
    o.threads = threads;
    std::atomic<bool> cancel{false};
    std::exception_ptr error;
    delivsim::bindings::install_progress(o, std::nullopt, true, cancel, error);
    delivsim::json rows;
    try {
        py::gil_scoped_release nogil;
        rows = delivsim::trace_json(s, o, filter, limit);
    } catch (const delivsim::Cancelled&) {
        if (!error) throw;
    }
    if (error) std::rethrow_exception(error);
    return rows.dump();
}

}  // namespace

void register_run(py::module_& m) {
    m.def("run", &run, py::arg("scenario"), py::arg("messages"), py::arg("seed"), py::arg("threads"),
          py::arg("first_message") = 0, py::arg("progress") = py::none(), py::arg("checkpoint") = py::none(),
          py::arg("checkpoint_interval") = 60.0, py::arg("resume") = py::none(),
          "Simulate messages [first_message, first_message + messages) of `scenario` with `seed`.\n"
          "The result does not depend on `threads`. `progress(done)` is called about every 100 ms.\n"
          "Ctrl-C stops the run and raises KeyboardInterrupt. `checkpoint` names a file that receives the\n"
          "completed work every `checkpoint_interval` seconds, at the end and on Ctrl-C; `resume` continues\n"
          "from such a file (same scenario, seed and message range) and keeps checkpointing there.");
    m.def("attribute", &attribute, py::arg("scenario"), py::arg("messages"), py::arg("seed"), py::arg("threads"),
          py::arg("factors"), py::arg("progress") = py::none(),
          "Counterfactual attribution of the legitimate mail that missed the inbox, as JSON text:\n"
          "per sender class and factor, how many lost messages that single fix would have delivered.");
    m.def("trace", &trace, py::arg("scenario"), py::arg("messages"), py::arg("seed"), py::arg("threads"),
          py::arg("where"), py::arg("limit"),
          "The first `limit` messages whose fate matches `where` ((key, value) pairs), each explained, as JSON text");
    py::list names;
    for (auto n : delivsim::factor_names) names.append(std::string(n));
    m.attr("factor_names") = py::tuple(names);
}
