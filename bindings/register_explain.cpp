// _core.explain: one message's exact path, as in any run with the same seed.
#include <delivsim/engine/explain.hpp>

#include <pybind11/pybind11.h>
#include "initialised.hpp"  // before any cast of Scenario or Tally

namespace py = pybind11;

void register_explain(py::module_& m) {
    m.def(
        "explain",
        [](const delivsim::Scenario& s, std::uint64_t seed, std::uint64_t message) {
            return delivsim::explain(s, seed, message).to_json(s).dump();
        },
        // Keywords only, as delivsim.explain: seed and message are both integers, easily swapped.
        py::arg("scenario"), py::kw_only(), py::arg("seed"), py::arg("message"),
        "Message `message`'s delivery path in any run of `scenario` with `seed`, as JSON text");
}
