// _core.explain: one message's exact path, as in any run with the same seed.
#include <delivsim/engine/explain.hpp>

#include <pybind11/pybind11.h>
#include "initialised.hpp"  // before any cast of Scenario or Tally

namespace py = pybind11;

void register_explain(py::module_& m) {
    m.def(
        "explain",
        [](const delivsim::Scenario& s, std::uint64_t seed, std::uint64_t index) {
            return delivsim::explain(s, seed, index).to_json(s).dump();
        },
        py::arg("scenario"), py::arg("seed"), py::arg("index"), "Message `index`'s delivery path as JSON text");
}
