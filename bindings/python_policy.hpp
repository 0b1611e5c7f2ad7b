// Custom policies written in Python (register_policy.cpp), for the scenario bindings.
#pragma once

#include <delivsim/policy/policy.hpp>
#include <delivsim/scenario/scenario.hpp>

#include <pybind11/pybind11.h>

// Hooks for the Python objects of `policies` (name -> delivsim.Policy); TypeError/ValueError
// for an object that is not one.
delivsim::ExternalHooks python_hooks(const pybind11::dict& policies);
// Whether the scenario names Python policies, and their objects by name.
bool has_python_policies(const delivsim::Scenario& s);
pybind11::dict python_policies_of(const delivsim::Scenario& s);
