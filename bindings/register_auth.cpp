// SPF, DKIM and DMARC over a DnsZone (auth/*.hpp): _core.spf_check_host, _core.dkim_verify,
// _core.dmarc_evaluate and their result classes. A `draw` argument, when given, is a Python
// callable query_ordinal -> uniform in [0, 1) for the zone's random timeouts.
#include <delivsim/auth/dkim.hpp>
#include <delivsim/auth/dmarc.hpp>
#include <delivsim/auth/spf.hpp>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace py = pybind11;
using namespace delivsim::auth;
using delivsim::dns::Zone;

namespace {

using Draw = std::optional<py::function>;

// Calls f with a TimeoutDraw that forwards to the Python callable (or none).
template <class F>
auto with_draw(const Draw& draw, F&& f) {
    const auto call = [&draw](std::uint32_t k) -> double { return (*draw)(k).cast<double>(); };
    return draw ? f(delivsim::dns::TimeoutDraw(call)) : f(delivsim::dns::TimeoutDraw{});
}

template <class T, class F>
void readonly(py::class_<T>& c, const char* name, F&& f) {
    c.def_property_readonly(name, std::forward<F>(f));
}

}  // namespace

void register_auth(py::module_& m) {
    // --- SPF -------------------------------------------------------------------------------
    py::class_<SpfCheck> spf(m, "SpfCheck");
    readonly(spf, "result", [](const SpfCheck& c) { return std::string(name_of(c.result)); });
    readonly(spf, "explanation", [](const SpfCheck& c) { return c.explanation; });
    readonly(spf, "mechanism", [](const SpfCheck& c) { return c.mechanism; });
    readonly(spf, "domain", [](const SpfCheck& c) { return c.domain; });
    readonly(spf, "problem", [](const SpfCheck& c) { return c.problem; });
    readonly(spf, "dns_terms", [](const SpfCheck& c) { return c.dns_terms; });
    readonly(spf, "void_lookups", [](const SpfCheck& c) { return c.void_lookups; });
    readonly(spf, "queries", [](const SpfCheck& c) { return c.queries; });
    readonly(spf, "random_timeout", [](const SpfCheck& c) { return c.random_timeout; });
    readonly(spf, "used_sender", [](const SpfCheck& c) { return c.used.sender; });
    readonly(spf, "used_helo", [](const SpfCheck& c) { return c.used.helo; });
    readonly(spf, "used_ptr", [](const SpfCheck& c) { return c.used.ptr; });
    readonly(spf, "trace", [](const SpfCheck& c) { return c.trace; });

    m.def(
        "spf_check_host",
        [](const Zone& zone, const std::string& ip, const std::string& domain, const std::string& sender,
           const std::string& helo, const std::string& receiver, std::uint64_t timestamp,
           const std::optional<std::string>& default_explanation, bool trace, const Draw& draw) {
            SpfOptions o;
            o.receiver = receiver;
            o.timestamp = timestamp;
            if (default_explanation) o.default_explanation = *default_explanation;
            o.trace = trace;
            return with_draw(draw, [&](delivsim::dns::TimeoutDraw d) { return check_host(zone, ip, domain, sender, helo, o, d); });
        },
        py::arg("zone"), py::arg("ip"), py::arg("domain"), py::arg("sender"), py::arg("helo") = "",
        py::arg("receiver") = "unknown", py::arg("timestamp") = 0, py::arg("default_explanation") = py::none(),
        py::arg("trace") = false, py::arg("draw") = py::none(), "RFC 7208 check_host()");
    m.attr("spf_result_names") = py::cast(std::vector<std::string>(spf_result_names.begin(), spf_result_names.end()));

    // --- DKIM ------------------------------------------------------------------------------
    py::class_<DkimCheck> dkim(m, "DkimCheck");
    readonly(dkim, "result", [](const DkimCheck& c) { return std::string(name_of(c.result)); });
    readonly(dkim, "domain", [](const DkimCheck& c) { return c.domain; });
    readonly(dkim, "selector", [](const DkimCheck& c) { return c.selector; });
    readonly(dkim, "problem", [](const DkimCheck& c) { return c.problem; });
    readonly(dkim, "testing", [](const DkimCheck& c) { return c.testing; });
    readonly(dkim, "queries", [](const DkimCheck& c) { return c.queries; });

    m.def(
        "dkim_verify",
        [](const Zone& zone, const std::string& domain, const std::string& selector, const std::string& algorithm,
           unsigned key_bits, const std::string& key, bool body_intact, bool headers_intact, unsigned min_rsa_bits,
           bool accept_rsa_sha1, const Draw& draw) {
            const auto alg = parse_dkim_algorithm(algorithm);
            if (!alg) throw std::invalid_argument("'" + algorithm + "' is not rsa-sha256, rsa-sha1 or ed25519-sha256");
            DkimSignature s = sign(domain, selector, key_bits, *alg, key);
            s.body_intact = body_intact;
            s.headers_intact = headers_intact;
            DkimVerifier v;
            v.min_rsa_bits = min_rsa_bits;
            v.accept_rsa_sha1 = accept_rsa_sha1;
            return with_draw(draw, [&](delivsim::dns::TimeoutDraw d) { return verify(zone, s, v, d); });
        },
        py::arg("zone"), py::arg("domain"), py::arg("selector"), py::arg("algorithm"), py::arg("key_bits"),
        py::arg("key"), py::arg("body_intact"), py::arg("headers_intact"), py::arg("min_rsa_bits"),
        py::arg("accept_rsa_sha1"), py::arg("draw") = py::none(), "Verify a modelled DKIM signature");
    m.def(
        "dkim_pass_through",
        [](bool body_length_limit, bool body_intact, bool headers_intact, bool appends_to_body, bool rewrites_body,
           bool modifies_signed_headers) {
            DkimSignature s;
            s.body_length_limit = body_length_limit;
            s.body_intact = body_intact;
            s.headers_intact = headers_intact;
            pass_through(s, Hop{"", appends_to_body, rewrites_body, modifies_signed_headers});
            return py::make_tuple(s.body_intact, s.headers_intact);
        },
        py::arg("body_length_limit"), py::arg("body_intact"), py::arg("headers_intact"), py::arg("appends_to_body"),
        py::arg("rewrites_body"), py::arg("modifies_signed_headers"),
        "(body_intact, headers_intact) of a signature after a hop");
    {
        py::list presets;
        for (const Hop& h : {hops::relay, hops::forwarder, hops::mailing_list, hops::gateway_footer, hops::content_rewrite})
            presets.append(py::make_tuple(std::string(h.name), h.appends_to_body, h.rewrites_body, h.modifies_signed_headers));
        m.attr("dkim_hops") = py::tuple(presets);
    }

    // --- DMARC -----------------------------------------------------------------------------
    py::class_<DmarcEvaluation> dmarc(m, "DmarcEvaluation");
    readonly(dmarc, "result", [](const DmarcEvaluation& e) { return std::string(name_of(e.result)); });
    readonly(dmarc, "disposition", [](const DmarcEvaluation& e) { return std::string(name_of(e.disposition)); });
    readonly(dmarc, "action", [](const DmarcEvaluation& e) { return std::string(name_of(e.action)); });
    readonly(dmarc, "policy", [](const DmarcEvaluation& e) -> std::optional<std::string> {
        if (!e.policy) return std::nullopt;
        return std::string(name_of(*e.policy));
    });
    readonly(dmarc, "policy_tag", [](const DmarcEvaluation& e) { return e.policy_tag; });
    readonly(dmarc, "spf_aligned", [](const DmarcEvaluation& e) { return e.spf_aligned; });
    readonly(dmarc, "dkim_aligned", [](const DmarcEvaluation& e) { return e.dkim_aligned; });
    readonly(dmarc, "aspf", [](const DmarcEvaluation& e) { return std::string(name_of(e.aspf)); });
    readonly(dmarc, "adkim", [](const DmarcEvaluation& e) { return std::string(name_of(e.adkim)); });
    readonly(dmarc, "pct", [](const DmarcEvaluation& e) { return e.pct; });
    readonly(dmarc, "sampled", [](const DmarcEvaluation& e) { return e.sampled; });
    readonly(dmarc, "from_domain", [](const DmarcEvaluation& e) { return e.from_domain; });
    readonly(dmarc, "organizational_domain", [](const DmarcEvaluation& e) { return e.organizational_domain; });
    readonly(dmarc, "record_domain", [](const DmarcEvaluation& e) { return e.record_domain; });
    readonly(dmarc, "problem", [](const DmarcEvaluation& e) { return e.problem; });
    readonly(dmarc, "notes", [](const DmarcEvaluation& e) { return e.notes; });
    readonly(dmarc, "queries", [](const DmarcEvaluation& e) { return e.queries; });
    readonly(dmarc, "message_result", [](const DmarcEvaluation& e) {
        return std::string(delivsim::dmarc_result_names[static_cast<std::size_t>(e.message_result())]);
    });

    m.def(
        "dmarc_evaluate",
        [](const Zone& zone, const std::string& from_domain, const std::string& spf_domain, const std::string& spf_result,
           const std::vector<std::string>& dkim_domains, double sample, bool enforce, bool tempfail_on_dns_error,
           const Draw& draw) {
            const auto spf_r = parse_spf_result(spf_result);
            if (!spf_r) throw std::invalid_argument("'" + spf_result + "' is not an SPF result (none, neutral, pass, fail, "
                                                    "softfail, temperror, permerror)");
            DmarcReceiver r;
            r.enforce = enforce;
            r.tempfail_on_dns_error = tempfail_on_dns_error;
            return with_draw(draw, [&](delivsim::dns::TimeoutDraw d) {
                return evaluate_dmarc(zone, from_domain, spf_domain, *spf_r, std::span<const std::string>(dkim_domains),
                                      sample, r, d);
            });
        },
        py::arg("zone"), py::arg("from_domain"), py::arg("spf_domain"), py::arg("spf_result"), py::arg("dkim_domains"),
        py::arg("sample") = 0.0, py::arg("enforce") = true, py::arg("tempfail_on_dns_error") = false,
        py::arg("draw") = py::none(), "RFC 7489 DMARC evaluation");
    m.def(
        "organizational_domain", [](const std::string& d) { return organizational_domain(d); }, py::arg("domain"),
        "RFC 7489 section 3.2, with the embedded public suffix subset");
    m.def(
        "public_suffix", [](const std::string& d) { return public_suffix(d); }, py::arg("domain"),
        "The public suffix of a domain, with the embedded public suffix subset");
}
