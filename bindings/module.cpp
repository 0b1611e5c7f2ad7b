// delivsim._core: the private extension module under the Python package `delivsim`.
// One register_* function per concept; each lives in its own translation unit so that the
// heavy engine templates compile in parallel.
#include <delivsim/core/json.hpp>
#include <delivsim/version.hpp>

#include <pybind11/pybind11.h>

namespace py = pybind11;

void register_scenario(py::module_& m);
void register_results(py::module_& m);
void register_run(py::module_& m);
void register_explain(py::module_& m);
void register_dns(py::module_& m);
void register_auth(py::module_& m);
void register_policy(py::module_& m);
void register_world(py::module_& m);
void register_compare(py::module_& m);

PYBIND11_MODULE(_core, m) {
    m.doc() = "delivsim core: Monte Carlo simulation of the email delivery path (private; use `delivsim`)";
    m.attr("version") = delivsim::version;

    // A broken scenario is the caller's bad argument; its message already names the JSON path.
    // (pybind11 would map std::invalid_argument to ValueError anyway; this keeps it explicit.)
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const delivsim::ScenarioError& e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        }
    });

    register_scenario(m);
    register_results(m);
    register_run(m);
    register_explain(m);
    register_dns(m);
    register_auth(m);
    register_policy(m);
    register_world(m);
    register_compare(m);
}
