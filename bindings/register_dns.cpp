// _core.DnsZone: the simulated DNS zone (dns/zone.hpp). The typed Python API (delivsim.dns)
// checks argument types; the zone checks values and raises ValueError naming the problem.
#include <delivsim/dns/zone_file.hpp>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace py = pybind11;
using delivsim::dns::Zone;

namespace {

std::optional<delivsim::dns::RType> rtype_of(const std::optional<std::string>& name) {
    if (!name) return std::nullopt;
    const auto t = delivsim::dns::parse_rtype(*name);
    if (!t) throw std::invalid_argument("'" + *name + "' is not a record type (A, AAAA, MX, TXT, SPF, PTR, CNAME)");
    return t;
}

// (rcode, values): A/AAAA as text, MX as (preference, host), TXT/SPF as lists of strings.
template <class T, class F>
py::tuple answer(const delivsim::dns::Answer<T>& a, F&& value) {
    py::list values;
    for (const auto& r : a.records) values.append(value(r));
    return py::make_tuple(std::string(delivsim::dns::rcode_names[static_cast<std::size_t>(a.rcode)]), values);
}

}  // namespace

void register_dns(py::module_& m) {
    using delivsim::dns::RType;
    py::class_<Zone>(m, "DnsZone")
        .def(py::init<>())
        .def("add_a", py::overload_cast<std::string_view, std::string_view>(&Zone::add_a), py::arg("name"), py::arg("address"))
        .def("add_aaaa", py::overload_cast<std::string_view, std::string_view>(&Zone::add_aaaa), py::arg("name"),
             py::arg("address"))
        .def("add_mx", &Zone::add_mx, py::arg("name"), py::arg("preference"), py::arg("host"))
        .def("add_txt", &Zone::add_txt, py::arg("name"), py::arg("strings"))
        .def("add_spf", &Zone::add_spf, py::arg("name"), py::arg("strings"))
        .def("add_ptr", &Zone::add_ptr, py::arg("name"), py::arg("host"))
        .def("add_cname", &Zone::add_cname, py::arg("name"), py::arg("target"))
        .def("add_timeout",
             [](Zone& z, const std::string& name, const std::optional<std::string>& rtype) { z.add_timeout(name, rtype_of(rtype)); },
             py::arg("name"), py::arg("rtype") = py::none())
        .def("add_servfail",
             [](Zone& z, const std::string& name, const std::optional<std::string>& rtype) { z.add_servfail(name, rtype_of(rtype)); },
             py::arg("name"), py::arg("rtype") = py::none())
        .def_property("timeout_probability", &Zone::timeout_probability, &Zone::set_timeout_probability)
        .def_property_readonly("generation", &Zone::generation)
        .def_property_readonly("record_count", &Zone::record_count)
        .def("to_json", [](const Zone& z) { return z.to_json().dump(); }, "The zone as JSON text (the format parse_zone reads)")
        .def("copy", [](const Zone& z) { return Zone(z); })
        .def(
            "lookup",
            [](const Zone& z, const std::string& name, const std::string& rtype) -> py::tuple {
                const auto t = rtype_of(rtype);
                const auto text = [](const std::string& s) { return py::str(s); };
                const auto txt = [](const delivsim::dns::Txt& t) { return py::cast(t); };
                const auto ip = [](const delivsim::dns::IpAddress& a) { return py::str(delivsim::dns::to_string(a)); };
                switch (*t) {
                    case RType::A: return answer(z.a(name), ip);
                    case RType::AAAA: return answer(z.aaaa(name), ip);
                    case RType::MX:
                        return answer(z.mx(name), [](const delivsim::dns::Mx& mx) {
                            return py::make_tuple(mx.preference, mx.host.empty() ? std::string(".") : mx.host);
                        });
                    case RType::TXT: return answer(z.txt(name), txt);
                    case RType::SPF: return answer(z.spf(name), txt);
                    case RType::PTR: return answer(z.ptr(name), text);
                    case RType::CNAME: return answer(z.cname(name), text);
                }
                throw std::logic_error("unreachable");
            },
            py::arg("name"), py::arg("rtype"),
            "The zone's answer without random timeouts: (rcode, values)");

    m.def("parse_zone", [](const std::string& text) { return delivsim::dns::parse_zone_text(text); }, py::arg("json_text"),
          "Parse zone JSON; ValueError names the offending JSON path");
    m.def("load_zone", &delivsim::dns::load_zone, py::arg("path"), "Load a zone JSON file");
    m.def(
        "reverse_name",
        [](const std::string& ip) {
            const auto a = delivsim::dns::parse_ip(ip);
            if (!a) throw std::invalid_argument("'" + ip + "' is not an IPv4 or IPv6 address");
            return delivsim::dns::reverse_name(*a);
        },
        py::arg("ip"), "The in-addr.arpa / ip6.arpa name a PTR lookup of the address queries");
}
