// _core.Scenario: a loaded, validated scenario. Construction only through the loaders, so
// every Scenario object has passed validation.
#include <delivsim/scenario/default_scenario.hpp>
#include <delivsim/scenario/load.hpp>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include "initialised.hpp"  // before any cast of Scenario or Tally
#include "python_policy.hpp"

#include <optional>

namespace py = pybind11;

void register_scenario(py::module_& m) {
    py::class_<delivsim::Scenario>(m, "Scenario")
        .def_property_readonly("name", [](const delivsim::Scenario& s) { return s.name; })
        .def_property_readonly("description", [](const delivsim::Scenario& s) { return s.description; })
        .def_property_readonly("class_names", [](const delivsim::Scenario& s) { return s.class_names(); })
        .def_property_readonly("profile_names", [](const delivsim::Scenario& s) { return s.profile_names(); })
        .def_property_readonly("attempt_times", [](const delivsim::Scenario& s) { return s.attempt_times; },
                               "Times (s after the first attempt) of the delivery attempts in the retry schedule")
        .def("to_json", [](const delivsim::Scenario& s) { return s.document.dump(); },
             "The validated source document as JSON text")
        .def_property_readonly("python_policies", &python_policies_of,
                               "The Python policy objects (delivsim.Policy) the scenario runs, by name")
        // __reduce__ to a module function rather than py::pickle: pickle protocols 0 and 1
        // would otherwise build the object through object.__new__ and abort the interpreter.
        .def("__reduce__", [](const delivsim::Scenario& s) {
            // The document alone cannot bring its Python policies back.
            if (has_python_policies(s))
                throw py::type_error("a _core.Scenario with Python policies does not pickle: pickle the delivsim.Scenario, "
                                     "which keeps the Policy objects");
            return py::make_tuple(py::module_::import("delivsim._pickle").attr("scenario_from_json"),
                                  py::make_tuple(s.document.dump()));
        });

    m.def(
        "load_scenario",
        [](const std::string& path, const std::optional<py::dict>& policies) {
            if (!policies) return delivsim::load_scenario(path);
            const delivsim::ExternalHooks hooks = python_hooks(*policies);
            return delivsim::load_scenario(path, &hooks);
        },
        py::arg("path"), py::arg("policies") = py::none(),
        "Load and validate a scenario file; ValueError names the offending JSON path (`policies`: see parse_scenario)");
    m.def(
        "parse_scenario",
        [](const std::string& text, const std::optional<py::dict>& policies) {
            if (!policies) return delivsim::parse_scenario_text(text);
            const delivsim::ExternalHooks hooks = python_hooks(*policies);
            return delivsim::parse_scenario_text(text, "scenario", &hooks);
        },
        py::arg("json_text"), py::arg("policies") = py::none(),
        "Parse and validate scenario JSON text; ValueError names the offending JSON path.\n"
        "`policies` maps names to the Python policy objects that {\"type\": \"python\"} entries name.");
    m.def("default_scenario", &delivsim::default_scenario, "The embedded reference scenario R1");
}
