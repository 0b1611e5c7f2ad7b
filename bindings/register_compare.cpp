// _core.compare and _core.Comparison: filter strategies on identical mail
// (engine/compare.hpp), with the GIL released while the threads simulate. Progress and
// Ctrl-C work as in _core.run (python_progress.hpp).
#include <delivsim/engine/compare.hpp>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include "initialised.hpp"  // before any cast of Scenario or Tally
#include "python_policy.hpp"
#include "python_progress.hpp"

#include <atomic>
#include <exception>
#include <optional>

namespace pybind11::detail {
template <>
class type_caster<delivsim::Comparison> : public delivsim::bindings::InitialisedCaster<delivsim::Comparison> {};
}  // namespace pybind11::detail

namespace py = pybind11;
using delivsim::Comparison;

namespace {

py::array_t<std::uint64_t> array(std::vector<std::uint64_t> v, std::vector<py::ssize_t> shape) {
    auto* owned = new std::vector<std::uint64_t>(std::move(v));
    py::capsule owner(owned, [](void* p) { delete static_cast<std::vector<std::uint64_t>*>(p); });
    return py::array_t<std::uint64_t>(shape, owned->data(), owner);
}

std::size_t index(const Comparison& c, std::size_t i) {
    if (i >= c.size()) throw py::index_error("strategy index " + std::to_string(i) + " out of range (" +
                                             std::to_string(c.size()) + " strategies)");
    return i;
}

Comparison compare(const delivsim::Scenario& s, const std::vector<std::string>& names,
                   const std::vector<std::string>& chains, std::uint64_t messages, std::uint64_t seed,
                   std::uint64_t first_message, unsigned threads, const std::optional<py::function>& progress,
                   const std::optional<py::dict>& policies) {
    if (names.size() != chains.size())
        throw std::invalid_argument("chains: " + std::to_string(chains.size()) + " chains for " +
                                    std::to_string(names.size()) + " names");
    // The Python policies the chains may name: those given, else the scenario's own.
    const delivsim::ExternalHooks hooks = python_hooks(policies ? *policies : python_policies_of(s));
    std::vector<delivsim::Strategy> strategies;
    for (std::size_t i = 0; i < names.size(); ++i) {
        delivsim::json spec;
        try {
            spec = delivsim::json::parse(chains[i]);
        } catch (const delivsim::json::exception& e) {
            throw delivsim::ScenarioError("strategies." + names[i], std::string("not valid JSON: ") + e.what());
        }
        strategies.push_back(delivsim::parse_strategy(s, names[i], spec, &hooks));
    }

    std::atomic<bool> cancel{false};
    std::exception_ptr error;
    delivsim::RunOptions o;
    o.messages = messages;
    o.seed = seed;
    o.threads = threads;
    o.first_message = first_message;
    delivsim::bindings::install_progress(o, progress, messages <= delivsim::chunk_size(s, o), cancel, error);
    std::optional<Comparison> result;
    try {
        py::gil_scoped_release nogil;
        result = delivsim::compare(s, strategies, o);
    } catch (const delivsim::Cancelled&) {
        if (!error) throw;
    }
    if (error) std::rethrow_exception(error);
    return std::move(*result);
}

// Several scenarios on the same messages (engine/compare.hpp: compare_scenarios): per scenario
// a Tally, per pair the joint outcome counts by the first scenario's class and profile.
delivsim::ScenarioComparison compare_scenarios(const std::vector<py::object>& scenarios, std::uint64_t messages,
                                               std::uint64_t seed, std::uint64_t first_message, unsigned threads,
                                               const std::optional<py::function>& progress) {
    std::vector<const delivsim::Scenario*> list;
    for (const py::object& s : scenarios) list.push_back(&s.cast<const delivsim::Scenario&>());
    std::atomic<bool> cancel{false};
    std::exception_ptr error;
    delivsim::RunOptions o;
    o.messages = messages;
    o.seed = seed;
    o.threads = threads;
    o.first_message = first_message;
    delivsim::bindings::install_progress(o, progress, false, cancel, error);
    std::optional<delivsim::ScenarioComparison> result;
    try {
        py::gil_scoped_release nogil;
        result = delivsim::compare_scenarios(list, o);
    } catch (const delivsim::Cancelled&) {
        if (!error) throw;
    }
    if (error) std::rethrow_exception(error);
    return std::move(*result);
}

// Pickle state: (format, names, tallies, has_score, classes, messages, joint, histograms).
constexpr int state_format = 2;  // 2: score histograms by class and profile
using State = std::tuple<int, std::vector<std::string>, std::vector<delivsim::Tally>, std::vector<bool>, std::size_t,
                         std::uint64_t, std::vector<std::uint64_t>, std::vector<std::uint64_t>>;

State comparison_state(const Comparison& c) {
    std::vector<delivsim::Tally> tallies;
    std::vector<bool> has_score;
    for (std::size_t i = 0; i < c.size(); ++i) {
        tallies.push_back(c.tally(i));
        has_score.push_back(c.has_score(i));
    }
    return {state_format, c.names(), std::move(tallies), std::move(has_score), c.classes(), c.messages(),
            c.raw_joint(), c.raw_histograms()};
}

Comparison comparison_from_state(State st) {
    auto& [format, names, tallies, has_score, classes, messages, joint, hist] = st;
    if (format != state_format) throw std::invalid_argument("Comparison state: unknown format " + std::to_string(format));
    return Comparison::from_state(std::move(names), std::move(tallies), std::move(has_score), classes, messages,
                                  std::move(joint), std::move(hist));
}

}  // namespace

void register_compare(py::module_& m) {
    m.attr("judged_names") =
        py::tuple(py::cast(std::vector<std::string>(delivsim::judged_names.begin(), delivsim::judged_names.end())));
    py::class_<Comparison>(m, "Comparison")
        .def_property_readonly("names", &Comparison::names, "The strategies' names, in order")
        .def_property_readonly("messages", &Comparison::messages)
        .def("tally", [](const Comparison& c, std::size_t i) { return c.tally(index(c, i)); }, py::arg("i"),
             "Strategy i's results (the same Tally a run gives)")
        .def(
            "judged",
            [](const Comparison& c, std::size_t i, std::size_t j) {
                return array(c.judged(index(c, i), index(c, j)), {2, 3, 3});
            },
            py::arg("i"), py::arg("j"),
            "Joint counts [truth legit=0/spam=1][category under i][category under j], categories in\n"
            "judged_names (not_judged, judged_ham, judged_spam)")
        .def(
            "outcome_joint",
            [](const Comparison& c, std::size_t i, std::size_t j) {
                return array(c.outcome_joint(index(c, i), index(c, j)), {2, 7, 7});
            },
            py::arg("i"), py::arg("j"), "Joint counts [truth][outcome under i][outcome under j], outcomes in outcome_names")
        .def(
            "score_histogram",
            [](const Comparison& c, std::size_t i) -> std::optional<py::array_t<std::uint64_t>> {
                if (!c.has_score(index(c, i))) return std::nullopt;
                return array(c.score_histogram(i), {static_cast<py::ssize_t>(c.classes()),
                                                    static_cast<py::ssize_t>(c.profiles()),
                                                    static_cast<py::ssize_t>(delivsim::ScoreBins::count)});
            },
            py::arg("i"),
            "Counts [sender class][recipient profile][bin] of strategy i's score (None without a score-based policy): bin 0 is\n"
            "below score_bin_edges[0], bin k (1..1400) is [edges[k-1], edges[k]), the last is >= edges[-1]")
        .def_property_readonly(
            "score_bin_edges",
            [](const Comparison&) {
                const auto e = delivsim::ScoreBins::edges();
                return py::array_t<double>(static_cast<py::ssize_t>(e.size()), e.data());
            },
            "The 1401 edges of the regular score bins (-20, -19.95, ..., 50)")
        .def("__add__", [](const Comparison& a, const Comparison& b) { return a + b; }, py::is_operator())
        .def("__iadd__", [](Comparison& a, const Comparison& b) -> Comparison& { return a += b; }, py::is_operator())
        .def("__eq__", [](const Comparison& a, const Comparison& b) { return a == b; }, py::is_operator())
        .def("__reduce__", [](const Comparison& c) {
            return py::make_tuple(py::module_::import("delivsim._pickle").attr("comparison_from_state"),
                                  py::make_tuple(comparison_state(c)));
        });
    py::class_<delivsim::ScenarioComparison>(m, "ScenarioComparison",
                                             "Several scenarios run on the same messages (compare_scenarios)")
        .def_property_readonly("size", &delivsim::ScenarioComparison::size)
        .def_property_readonly("messages", &delivsim::ScenarioComparison::messages)
        .def("tally", [](const delivsim::ScenarioComparison& c, std::size_t i) {
                 if (i >= c.size()) throw py::index_error("scenario index " + std::to_string(i) + " out of range");
                 return c.tally(i);
             }, py::arg("i"), "Scenario i's Tally")
        .def(
            "outcome_joint",
            [](const delivsim::ScenarioComparison& c, std::size_t a, std::size_t b) {
                if (a >= c.size() || b >= c.size())
                    throw py::index_error("scenario index out of range (" + std::to_string(c.size()) + " scenarios)");
                const auto O = static_cast<py::ssize_t>(delivsim::outcome_count);
                return array(c.outcome_joint(a, b), {static_cast<py::ssize_t>(c.classes()),
                                                     static_cast<py::ssize_t>(c.profiles()), O, O});
            },
            py::arg("a"), py::arg("b"),
            "Messages by the first scenario's class and profile, outcome under a and outcome under b: "
            "an array (classes, profiles, 7, 7)");

    m.def("compare_scenarios", &compare_scenarios, py::arg("scenarios"), py::arg("messages"), py::arg("seed"),
          py::arg("first_message") = 0, py::arg("threads") = 1, py::arg("progress") = py::none(),
          "Deliver messages [first_message, first_message + messages) of every scenario with `seed`: message i of\n"
          "each from the same random numbers. Releases the GIL; Ctrl-C raises KeyboardInterrupt.");

    m.def("_comparison_from_state", &comparison_from_state, py::arg("state"), "Rebuilds a Comparison from its pickled state");

    m.def("compare", &compare, py::arg("scenario"), py::arg("names"), py::arg("chains"), py::arg("messages"),
          py::arg("seed"), py::arg("first_message") = 0, py::arg("threads") = 1, py::arg("progress") = py::none(),
          py::arg("policies") = py::none(),
          "Deliver messages [first_message, first_message + messages) of `scenario` with `seed` under each\n"
          "strategy: names[i] with chains[i], JSON of a list of policies (every profile's chain) or an object\n"
          "profile -> list (the other profiles keep theirs). Each message is drawn once and delivered under\n"
          "every strategy with the same random numbers. Releases the GIL; Ctrl-C raises KeyboardInterrupt;\n"
          "`progress(done)` is called about every 100 ms. Bad chains raise ValueError naming\n"
          "strategies.<name>... `policies`: the Python policies (name -> delivsim.Policy) the chains name\n"
          "(default: the scenario's own).");
}
