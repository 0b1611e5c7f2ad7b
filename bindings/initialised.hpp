// Casters for _core.Scenario and _core.Tally that refuse an instance whose C++ object was
// never constructed: `_core.Tally.__new__(_core.Tally)` (no __init__ runs) gives one, and
// pybind11's generic caster would hand the bindings uninitialised memory for it. Every
// translation unit that casts these types must include this header before using them.
#pragma once

#include <delivsim/results/tally.hpp>
#include <delivsim/scenario/scenario.hpp>

#include <pybind11/pybind11.h>

#include <string>

namespace delivsim::bindings {

template <class T>
class InitialisedCaster : public pybind11::detail::type_caster_base<T> {
public:
    bool load(pybind11::handle src, bool convert) {
        namespace py = pybind11;
        if (src && py::isinstance<T>(src)) {
            auto* inst = reinterpret_cast<py::detail::instance*>(src.ptr());
            if (!inst->get_value_and_holder(py::detail::get_type_info(typeid(T))).holder_constructed())
                throw py::type_error(std::string(Py_TYPE(src.ptr())->tp_name) +
                                     " object was not initialised (created by __new__ without a constructor)");
        }
        return pybind11::detail::type_caster_base<T>::load(src, convert);
    }
};

}  // namespace delivsim::bindings

namespace pybind11::detail {
template <>
class type_caster<delivsim::Scenario> : public delivsim::bindings::InitialisedCaster<delivsim::Scenario> {};
template <>
class type_caster<delivsim::Tally> : public delivsim::bindings::InitialisedCaster<delivsim::Tally> {};
}  // namespace pybind11::detail
