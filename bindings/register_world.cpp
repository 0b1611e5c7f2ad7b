// _core.World and _core.run_world: the world layer (issue 5). A World comes only from the
// loaders, so every World object has passed validation. run_world releases the GIL; after
// each simulated epoch it takes the GIL briefly to check for Ctrl-C and call `progress`.
#include <delivsim/world/checkpoint.hpp>
#include <delivsim/world/explain.hpp>
#include <delivsim/world/report.hpp>
#include <delivsim/world/run.hpp>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include "initialised.hpp"  // before any cast of Scenario or Tally
#include "python_policy.hpp"
#include "python_progress.hpp"

#include <atomic>
#include <exception>
#include <optional>

namespace py = pybind11;
using delivsim::world::Result;
using delivsim::world::World;

namespace pybind11::detail {
template <>
class type_caster<World> : public delivsim::bindings::InitialisedCaster<World> {};
template <>
class type_caster<Result> : public delivsim::bindings::InitialisedCaster<Result> {};
}  // namespace pybind11::detail

namespace {

template <class T>
py::array_t<T> shaped(const std::vector<T>& v, std::vector<py::ssize_t> shape) {
    py::array_t<T> a(shape);
    std::copy(v.begin(), v.end(), a.mutable_data());
    return a;
}

// Runs `body(options)` over the world with the GIL released: `seed`, `threads`, Ctrl-C (checked
// after each epoch) and `progress(simulated_s)`; a failure of `progress` is re-raised.
template <class Body>
auto run_released(std::uint64_t seed, unsigned threads, const std::optional<py::function>& progress, Body&& body) {
    if (threads == 0) throw py::value_error("threads must be at least 1");
    std::atomic<bool> cancel{false};
    std::exception_ptr error;
    delivsim::world::Options o;
    o.seed = seed;
    o.threads = threads;
    o.cancel = &cancel;
    o.progress = delivsim::bindings::progress_hook<double>(progress, cancel, error);
    std::optional<std::decay_t<decltype(body(o))>> r;
    try {
        py::gil_scoped_release nogil;
        r.emplace(body(o));
    } catch (const delivsim::world::Cancelled&) {
        if (!error) throw;
    }
    if (error) std::rethrow_exception(error);
    return std::move(*r);
}

// `checkpoint` receives the run's state every `checkpoint_interval` seconds, at the end and on
// Ctrl-C; `resume` continues the run saved in such a file and keeps checkpointing there.
Result run_world(const World& w, std::uint64_t seed, unsigned threads, const std::optional<py::function>& progress,
                 const std::optional<std::string>& checkpoint, double checkpoint_interval,
                 const std::optional<std::string>& resume) {
    std::optional<delivsim::world::WorldRun> resumed;
    if (resume) resumed.emplace(delivsim::world::read_world_checkpoint(*resume, w, seed));
    const std::optional<std::string> target = checkpoint ? checkpoint : resume;
    if (target) delivsim::checkpoint_target(*target);  // a FIFO, device or directory: refused before the run
    return run_released(seed, threads, progress, [&](delivsim::world::Options& o) {
        if (resumed) o.resume = &*resumed;
        if (target) {
            o.checkpoint = [&](const delivsim::world::WorldRun& run) {
                delivsim::world::write_world_checkpoint(*target, w, seed, run);
            };
            o.checkpoint_interval_s = checkpoint_interval;
        }
        return delivsim::world::run(w, o);
    });
}

// The whole world runs with message `id` traced.
std::string explain_world(const World& w, std::uint64_t seed, std::uint64_t id, unsigned threads) {
    const std::optional<py::function> no_callback;  // the hook keeps a reference: it must outlive the run
    return run_released(seed, threads, no_callback,
                        [&](delivsim::world::Options& o) { return delivsim::world::explain(w, id, o); })
        .to_json(w)
        .dump();
}

template <class T>
std::vector<T> flat(const py::array_t<T, py::array::c_style | py::array::forcecast>& a, std::size_t size,
                    const char* name) {
    if (static_cast<std::size_t>(a.size()) != size)
        throw py::value_error(std::string("world result state: ") + name + " has " + std::to_string(a.size()) +
                              " values, its shape needs " + std::to_string(size));
    return std::vector<T>(a.data(), a.data() + a.size());
}

// The inverse of WorldResult.series() (with the totals): what a pickled Python WorldResult
// holds, rebuilt into the core result that the report is written from.
Result world_result_from_state(const delivsim::Tally& tally, const py::dict& series, double bucket_s,
                               std::uint64_t epochs, std::uint64_t greylist_triplets) {
    using U = std::uint64_t;
    using Arr = py::array_t<U, py::array::c_style | py::array::forcecast>;
    Result r;
    r.tally = tally;
    r.epochs = epochs;
    r.greylist_triplets = greylist_triplets;
    auto& ts = r.series;
    const auto sent = series["sender_sent"].cast<Arr>();
    if (sent.ndim() != 2) throw py::value_error("world result state: sender_sent must be [bucket, sender]");
    ts.buckets = static_cast<std::size_t>(sent.shape(0));
    ts.senders = static_cast<std::size_t>(sent.shape(1));
    ts.receivers = tally.profiles().size();
    ts.bucket_s = bucket_s;
    if (ts.senders != tally.classes().size())
        throw py::value_error("world result state: the time series' senders are not the totals'");
    const std::size_t B = ts.buckets, S = ts.senders, R = ts.receivers;
    ts.sender_outcomes = flat<U>(series["sender_outcomes"].cast<Arr>(), B * S * delivsim::outcome_count, "sender_outcomes");
    ts.sender_sent = flat<U>(sent, B * S, "sender_sent");
    ts.sender_deferrals = flat<U>(series["sender_deferrals"].cast<Arr>(), B * S, "sender_deferrals");
    ts.sender_queue = flat<U>(series["sender_queue"].cast<Arr>(), B * S, "sender_queue");
    ts.receiver_outcomes = flat<U>(series["receiver_outcomes"].cast<Arr>(), B * R * delivsim::outcome_count,
                                   "receiver_outcomes");
    ts.receiver_deferrals = flat<U>(series["receiver_deferrals"].cast<Arr>(), B * R * delivsim::status_count,
                                    "receiver_deferrals");
    ts.reputation = flat<double>(series["reputation"].cast<py::array_t<double, py::array::c_style | py::array::forcecast>>(),
                                 B * R * S, "reputation");
    ts.level = flat<std::uint8_t>(
        series["level"].cast<py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>>(), B * R * S, "level");
    ts.mailbox_fill = flat<U>(series["mailbox_fill"].cast<Arr>(), B * R * delivsim::world::TimeSeries::fill_bins,
                              "mailbox_fill");
    return r;
}

}  // namespace

void register_world(py::module_& m) {
    py::class_<World>(m, "World")
        .def_property_readonly("name", [](const World& w) { return w.name; })
        .def_property_readonly("description", [](const World& w) { return w.description; })
        .def_property_readonly("sender_names", [](const World& w) { return w.sender_names(); })
        .def_property_readonly("receiver_names", [](const World& w) { return w.scenario.profile_names(); })
        .def_property_readonly("list_names", [](const World& w) {
            std::vector<std::string> n;
            for (const auto& l : w.lists) n.push_back(l.name);
            return n;
        })
        .def_property_readonly("duration_s", [](const World& w) { return w.duration_s; })
        .def_property_readonly("epoch_s", [](const World& w) { return w.epoch_s; })
        .def_property_readonly("bucket_s", [](const World& w) { return w.bucket_s; })
        .def("to_json", [](const World& w) { return w.document.dump(); }, "The validated source document as JSON text")
        .def_property_readonly("python_policies", [](const World& w) { return python_policies_of(w.scenario); },
                               "The Python policy objects (delivsim.Policy) the world's receivers run, by name")
        // As _core.Scenario: reduce to a module function (protocols 0 and 1 would otherwise
        // build the object through object.__new__).
        .def("__reduce__", [](const World& w) {
            if (has_python_policies(w.scenario))
                throw py::type_error("a _core.World with Python policies does not pickle: pickle the delivsim.world.World, "
                                     "which keeps the Policy objects");
            return py::make_tuple(py::module_::import("delivsim._pickle").attr("world_from_json"),
                                  py::make_tuple(w.document.dump()));
        });

    py::class_<Result>(m, "WorldResult")
        .def_property_readonly("tally", [](const Result& r) { return r.tally; },
                               "Totals: the world's senders as classes, its receivers as profiles")
        .def_property_readonly("epochs", [](const Result& r) { return r.epochs; })
        .def_property_readonly("greylist_triplets", [](const Result& r) { return r.greylist_triplets; })
        .def_property_readonly("bucket_s", [](const Result& r) { return r.series.bucket_s; })
        .def("series", [](const Result& r) {
            const auto& ts = r.series;
            const auto B = static_cast<py::ssize_t>(ts.buckets), S = static_cast<py::ssize_t>(ts.senders),
                       R = static_cast<py::ssize_t>(ts.receivers);
            const auto O = static_cast<py::ssize_t>(delivsim::outcome_count), St = static_cast<py::ssize_t>(delivsim::status_count);
            py::dict d;
            d["sender_outcomes"] = shaped(ts.sender_outcomes, {B, S, O});
            d["sender_sent"] = shaped(ts.sender_sent, {B, S});
            d["sender_deferrals"] = shaped(ts.sender_deferrals, {B, S});
            d["sender_queue"] = shaped(ts.sender_queue, {B, S});
            d["receiver_outcomes"] = shaped(ts.receiver_outcomes, {B, R, O});
            d["receiver_deferrals"] = shaped(ts.receiver_deferrals, {B, R, St});
            d["reputation"] = shaped(ts.reputation, {B, R, S});
            d["level"] = shaped(ts.level, {B, R, S});
            d["mailbox_fill"] = shaped(ts.mailbox_fill, {B, R, static_cast<py::ssize_t>(delivsim::world::TimeSeries::fill_bins)});
            return d;
        }, "The time series as numpy arrays (copies), indexed [bucket, sender or receiver, ...]")
        .def("__eq__", [](const Result& a, const Result& b) { return a == b; });

    m.attr("world_level_names") = py::tuple(py::cast(std::vector<std::string>(delivsim::world::level_names.begin(),
                                                                               delivsim::world::level_names.end())));
    m.attr("world_status_names") = [] {
        std::vector<std::string> v;
        for (const auto& s : delivsim::status_table) v.emplace_back(std::string(s.enhanced) + " " + std::string(s.text));
        return py::tuple(py::cast(v));
    }();
    m.def(
        "load_world",
        [](const std::string& path, const std::optional<py::dict>& policies) {
            if (!policies) return delivsim::world::load_world(path);
            const delivsim::ExternalHooks hooks = python_hooks(*policies);
            return delivsim::world::load_world(path, &hooks);
        },
        py::arg("path"), py::arg("policies") = py::none(),
        "Load and validate a world file (delivsim-world/1); ValueError names the offending JSON path\n"
        "(`policies`: see parse_world)");
    m.def(
        "parse_world",
        [](const std::string& text, const std::optional<py::dict>& policies) {
            if (!policies) return delivsim::world::parse_world_text(text);
            const delivsim::ExternalHooks hooks = python_hooks(*policies);
            return delivsim::world::parse_world_text(text, "world", &hooks);
        },
        py::arg("json_text"), py::arg("policies") = py::none(),
        "Parse and validate world JSON text; ValueError names the offending JSON path.\n"
        "`policies` maps names to the Python policy objects that the embedded scenario's {\"type\": \"python\"} entries name.");
    m.def("run_world", &run_world, py::arg("world"), py::arg("seed"), py::arg("threads"),
          py::arg("progress") = py::none(), py::arg("checkpoint") = py::none(), py::arg("checkpoint_interval") = 60.0,
          py::arg("resume") = py::none(),
          "Simulate the world with `seed`; the result does not depend on `threads`. `progress(simulated_s)`\n"
          "is called after each epoch. Ctrl-C stops the run and raises KeyboardInterrupt. `checkpoint` names a\n"
          "file that receives the run's state at an epoch boundary every `checkpoint_interval` seconds, at\n"
          "the end and on Ctrl-C; `resume` continues from such a file (same world and seed) and keeps\n"
          "checkpointing there.");
    m.def("_world_result_from_state", &world_result_from_state, py::arg("tally"), py::arg("series"),
          py::arg("bucket_s"), py::arg("epochs"), py::arg("greylist_triplets"),
          "Rebuilds a WorldResult from its totals and the arrays of series() (for pickled results)");
    m.def("explain_world", &explain_world, py::arg("world"), py::arg("seed"), py::arg("message"), py::arg("threads"),
          "Message `message` of the world's run with `seed`, exactly as it went in that run (the whole world\n"
          "runs): its attempts, the receiver's state at each, its fate; JSON text");
    m.def("world_report_json", [](const World& w, const Result& r, std::uint64_t seed) {
        return delivsim::world::world_report_json(w, r, seed).dump();
    }, py::arg("world"), py::arg("result"), py::arg("seed"), "Totals and time series as JSON text (as `delivsim world --json`)");
}
