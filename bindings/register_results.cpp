// _core.Tally: the integer aggregates of a run. Merging is exact (+), the report is the
// library's JSON, and pickling stores the raw counts so a Tally round-trips bit-identically.
#include <delivsim/results/report.hpp>
#include <delivsim/results/saved.hpp>
#include <delivsim/results/tally.hpp>

#include <pybind11/numpy.h>
#include <pybind11/operators.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include "initialised.hpp"  // before any cast of Scenario or Tally

#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace py = pybind11;
using delivsim::Tally;

namespace {

using Counts = std::vector<std::uint64_t>;

// Pickle state: Tally::counts() with the layout's names, the names of the other axes and a
// CRC-32 (results/saved.hpp). (format, classes, profiles, attempt_times, messages, outcome,
// status, responsible, stage, class_decided_at, profile_decided_at, (outcome names, status
// names, responsible names, stage names), crc32, class truth, delay_warning_s).
constexpr int state_format = 5;
using Names = std::vector<std::string>;
using Axes = std::tuple<Names, Names, Names, Names>;
using State = std::tuple<int, Names, Names, std::vector<double>, std::uint64_t, Counts, Counts, Counts, Counts, Counts,
                         Counts, Axes, std::uint32_t, std::vector<bool>, double>;

Axes current_axes() {
    auto names = [](const auto& a) { return Names(a.begin(), a.end()); };
    return {names(delivsim::outcome_names), names(delivsim::status_names), names(delivsim::responsible_names),
            names(delivsim::stage_names)};
}

State tally_state(const Tally& t) {
    auto c = t.counts();
    return {state_format, t.classes(), t.profiles(), t.attempt_times(), c.messages,
            std::move(c.outcome), std::move(c.status), std::move(c.responsible), std::move(c.stage),
            std::move(c.class_decided_at), std::move(c.profile_decided_at), current_axes(), delivsim::tally_crc32(t),
            t.legit(), t.delay_warning_s()};
}

Tally tally_from_state(State st) {
    auto& [format, classes, profiles, times, messages, outcome, status, responsible, stage, class_decided_at,
           profile_decided_at, axes, crc, legit, delay_warning_s] = st;
    if (format != state_format) throw std::invalid_argument("Tally state: unknown format " + std::to_string(format));
    Tally t = Tally::from_counts(std::move(classes), std::move(profiles), std::move(times),
                                 {messages, std::move(outcome), std::move(status), std::move(responsible),
                                  std::move(stage), std::move(class_decided_at), std::move(profile_decided_at)},
                                 std::move(legit), delay_warning_s);
    if (axes != current_axes())
        throw std::invalid_argument("Tally state: the names of its outcome, status, responsible or stage axes differ "
                                    "from this version's");
    if (crc != delivsim::tally_crc32(t))
        throw std::invalid_argument("Tally state: damaged: its CRC-32 (" + std::to_string(crc) +
                                    ") does not match its counts");
    return t;
}

}  // namespace

void register_results(py::module_& m) {
    // The outcome taxonomy in its defined order (the JSON report's objects are key-sorted).
    m.attr("outcome_names") =
        py::tuple(py::cast(std::vector<std::string>(delivsim::outcome_names.begin(), delivsim::outcome_names.end())));

    py::class_<Tally>(m, "Tally")
        .def_property_readonly("messages", &Tally::messages)
        .def_property_readonly("class_names", [](const Tally& t) { return t.classes(); })
        .def_property_readonly("profile_names", [](const Tally& t) { return t.profiles(); })
        .def_property_readonly("attempt_times", [](const Tally& t) { return t.attempt_times(); })
        .def_property_readonly("class_truth", [](const Tally& t) { return t.legit(); },
                               "Each class's truth (True: legitimate mail, False: spam); empty when unknown")
        .def_property_readonly("delay_warning_s", &Tally::delay_warning_s)
        // Merging tallies of different scenarios throws std::invalid_argument: ValueError.
        .def(py::self + py::self)
        .def(py::self += py::self)
        .def(py::self == py::self)
        .def(
            "report_json",
            [](const Tally& t, const std::string& scenario_name, std::uint64_t seed) {
                return delivsim::report_json(t, scenario_name, seed).dump();
            },
            py::arg("scenario_name"), py::arg("seed"), "The full report (counts, rates with 95% CIs...) as JSON text")
        .def(
            "acceptance_histogram",
            [](const Tally& t, std::optional<std::size_t> cls, std::optional<std::size_t> prof) {
                if (cls && *cls >= t.classes().size()) throw py::index_error("class_index out of range");
                if (prof && *prof >= t.profiles().size()) throw py::index_error("profile_index out of range");
                // Zero-copy: the array owns the computed vector through a capsule.
                auto* h = new std::vector<std::uint64_t>(
                    t.acceptance_histogram(cls.value_or(Tally::all), prof.value_or(Tally::all)));
                py::capsule owner(h, [](void* p) { delete static_cast<std::vector<std::uint64_t>*>(p); });
                return py::array_t<std::uint64_t>(static_cast<py::ssize_t>(h->size()), h->data(), owner);
            },
            py::arg("class_index") = py::none(), py::arg("profile_index") = py::none(),
            "Accepted messages by delivery attempt (see attempt_times), of one sender class and/or\n"
            "recipient profile (by index) or of all")
        // __reduce__ to a module function rather than py::pickle: pickle protocols 0 and 1
        // would otherwise build the object through object.__new__ and abort the interpreter.
        .def("__reduce__", [](const Tally& t) {
            return py::make_tuple(py::module_::import("delivsim._pickle").attr("tally_from_state"),
                                  py::make_tuple(tally_state(t)));
        });
    m.def("_tally_from_state", &tally_from_state, py::arg("state"), "Rebuilds a Tally from its pickled state");
}
