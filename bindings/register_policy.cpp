// Custom policies written in Python (delivsim.Policy): a trampoline ExternalHook that calls the
// Python object's evaluate(message, attempt, rng), and the objects it passes: _core.Verdict,
// _core.PolicyMessage, _core.PolicyAttempt, _core.PolicyRng.
//
// run() releases the GIL; each call here takes it back, so with threads > 1 the Python calls
// are serialised on the GIL, taken in turn (gil_turn.hpp), while the C++ rest of each message
// still runs in parallel. A Python exception cannot cross the run's worker threads as such: it
// is kept (with the GIL) in a PythonPolicyError, which stops the run like any failure, and is
// re-raised as the original exception, with a note naming the policy, when it reaches Python.
#include "gil_turn.hpp"
#include "initialised.hpp"
#include "python_policy.hpp"

#include <delivsim/policy/chain.hpp>
#include <delivsim/policy/external.hpp>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace py = pybind11;
using namespace delivsim;

namespace {

// A Python exception object held by C++ code that may run without the GIL: released with it.
struct PythonException {
    py::object value;
    PythonException() = default;
    PythonException(const PythonException&) = delete;
    PythonException& operator=(const PythonException&) = delete;
    ~PythonException() {
        if (!value) return;
        if (!Py_IsInitialized()) {
            (void)value.release();  // interpreter gone: leak rather than touch it
            return;
        }
        py::gil_scoped_acquire gil;
        value = py::object();
    }
};

class PythonPolicyError : public ExternalPolicyError {
public:
    PythonPolicyError(const std::string& policy, const std::string& what, std::shared_ptr<PythonException> e)
        : ExternalPolicyError(policy, what, e), exception(std::move(e)) {}
    std::shared_ptr<PythonException> exception;
};

// What evaluate() receives. Copies, so that keeping them after the call is harmless.
struct PolicyMessage {
    Message m;
    std::string sender_class, profile;
};
struct PolicyAttempt {
    Attempt a;
    std::string host;
};

}  // namespace

// An instance made by __new__ alone (`_core.Verdict.__new__(_core.Verdict)`) is refused, not
// read as uninitialised memory (see initialised.hpp).
namespace pybind11::detail {
template <>
class type_caster<Verdict> : public delivsim::bindings::InitialisedCaster<Verdict> {};
template <>
class type_caster<PolicyMessage> : public delivsim::bindings::InitialisedCaster<PolicyMessage> {};
template <>
class type_caster<PolicyAttempt> : public delivsim::bindings::InitialisedCaster<PolicyAttempt> {};
template <>
class type_caster<ExternalDraws> : public delivsim::bindings::InitialisedCaster<ExternalDraws> {};
}  // namespace pybind11::detail

namespace {

// A run's worker threads are not Python threads: taking the GIL there would create and destroy
// a Python thread state at every call (several microseconds, more than the call itself). The
// first call in such a thread makes one state and keeps it until the thread ends.
struct KeptThreadState {
    bool kept = false;
    PyGILState_STATE state{};
    void ensure() {  // without the GIL
        if (kept || PyGILState_GetThisThreadState() != nullptr) return;
        state = PyGILState_Ensure();
        PyEval_SaveThread();
        kept = true;
    }
    ~KeptThreadState() {
        if (!kept || !Py_IsInitialized() || _Py_IsFinalizing()) return;
        PyEval_RestoreThread(PyGILState_GetThisThreadState());
        PyGILState_Release(state);  // deletes the state and releases the GIL
    }
};

std::string type_of(py::handle h) { return py::str(py::type::handle_of(h).attr("__qualname__")); }

class PythonHook final : public ExternalHook {
public:
    PythonHook(std::string name, Phase phase, py::object policy)
        : name_(std::move(name)), phase_(phase), policy_(std::move(policy)), evaluate_(policy_.attr("evaluate")) {}
    ~PythonHook() override {
        if (!Py_IsInitialized()) {
            (void)policy_.release();
            (void)evaluate_.release();
            return;
        }
        py::gil_scoped_acquire gil;
        evaluate_ = py::object();
        policy_ = py::object();
    }
    const std::string& name() const noexcept override { return name_; }
    Phase phase() const noexcept override { return phase_; }
    const py::object& policy() const noexcept { return policy_; }

    Verdict evaluate(const ExternalCall& c) const override {
        thread_local KeptThreadState kept;
        kept.ensure();
        const bindings::GilTurn gil;
        bool bad_return = false;  // our own TypeError, which already names the policy
        try {
            const py::object r =
                evaluate_(PolicyMessage{c.message, std::string(c.sender_class), std::string(c.profile)},
                          PolicyAttempt{c.attempt, std::string(c.host)}, c.draws);
            if (r.is_none()) return Verdict::proceed();
            if (!py::isinstance<Verdict>(r)) {
                const std::string what = "policy '" + name_ + "': evaluate() returned " + type_of(r) +
                                         ", expected a delivsim.Verdict (Verdict.reject(...), Verdict.file(...), "
                                         "Verdict.temp_fail(...), Verdict.proceed()) or None";
                bad_return = true;
                PyErr_SetString(PyExc_TypeError, what.c_str());
                throw py::error_already_set();
            }
            return r.cast<Verdict>();
        } catch (py::error_already_set& e) {
            auto box = std::make_shared<PythonException>();
            box->value = e.value();
            // The original exception keeps its traceback; a note (PEP 678) says where it happened.
            if (e.trace()) PyException_SetTraceback(box->value.ptr(), e.trace().ptr());
            if (!bad_return && py::hasattr(box->value, "add_note"))
                box->value.attr("add_note")("raised by delivsim policy '" + name_ + "' evaluating message " +
                                            std::to_string(c.message.index) + ", attempt " +
                                            std::to_string(c.attempt.index) + " (seed " +
                                            std::to_string(c.draws.seed()) + ")");
            throw PythonPolicyError(name_, e.what(), std::move(box));
        }
    }

private:
    std::string name_;
    Phase phase_;
    py::object policy_, evaluate_;
};

template <std::size_t N>
std::size_t choose(const std::string& what, const std::string& value, const std::array<std::string_view, N>& names,
                   bool (*allowed)(std::size_t) = nullptr) {
    std::string known;
    for (std::size_t i = 0; i < N; ++i) {
        if (allowed && !allowed(i)) continue;
        if (names[i] == value) return i;
        known += (known.empty() ? "" : ", ") + std::string(names[i]);
    }
    throw py::value_error(what + ": '" + value + "' is not one of " + known);
}

bool is_5xx(std::size_t i) { return status_table[i].reply >= 500; }
bool is_4xx(std::size_t i) { return status_table[i].reply >= 400 && status_table[i].reply < 500; }
bool is_folder(std::size_t i) { return accepted(static_cast<Outcome>(i)); }

Responsible responsible_of(const std::string& r) {
    return static_cast<Responsible>(choose("responsible", r, responsible_names));
}

std::string verdict_repr(const Verdict& v) {
    switch (v.action) {
        case Action::proceed: return "Verdict.proceed()";
        case Action::temp_fail:
        case Action::reject:
            return std::string("Verdict.") + (v.action == Action::reject ? "reject" : "temp_fail") + "('" +
                   std::string(status_names[static_cast<std::size_t>(v.status)]) + "', '" + std::string(name(v.responsible)) +
                   "')  # " + std::to_string(info(v.status).reply) + " " + std::string(info(v.status).enhanced);
        case Action::file:
            return "Verdict.file('" + std::string(name(v.folder)) + "', '" + std::string(name(v.responsible)) + "')";
    }
    return "Verdict(?)";
}

constexpr std::array<std::string_view, 4> action_names{"proceed", "temp_fail", "reject", "file"};

}  // namespace

ExternalHooks python_hooks(const py::dict& policies) {
    ExternalHooks hooks;
    for (const auto& [key, policy] : policies) {
        if (!py::isinstance<py::str>(key)) throw py::type_error("policies: keys must be policy names (str), not " + type_of(key));
        const std::string name = key.cast<std::string>();
        const py::object p = py::reinterpret_borrow<py::object>(policy);
        const py::object n = py::getattr(p, "name", py::none());
        if (!py::isinstance<py::str>(n) || n.cast<std::string>() != name)
            throw py::value_error("policies['" + name + "']: the policy's name is " + std::string(py::repr(n)) +
                                  ", not '" + name + "'");
        const py::object ph = py::getattr(p, "phase", py::none());
        if (!py::isinstance<py::str>(ph))
            throw py::type_error("policy '" + name + "': phase must be one of connect, envelope, data, mailbox (a str), not " +
                                 type_of(ph));
        const auto phase = static_cast<Phase>(choose("policy '" + name + "': phase", ph.cast<std::string>(), phase_names));
        if (!py::hasattr(p, "evaluate") || !PyCallable_Check(p.attr("evaluate").ptr()))
            throw py::type_error("policy '" + name + "': has no evaluate(message, attempt, rng) method");
        hooks[name] = std::make_shared<PythonHook>(name, phase, p);
    }
    return hooks;
}

bool has_python_policies(const Scenario& s) {
    for (const auto& p : s.profiles)
        for (const auto& x : p.policies.policies)
            if (std::holds_alternative<ExternalPolicy>(x)) return true;
    return false;
}

py::dict python_policies_of(const Scenario& s) {
    py::dict out;
    for (const auto& p : s.profiles)
        for (const auto& x : p.policies.policies)
            if (const auto* e = std::get_if<ExternalPolicy>(&x))
                if (const auto* h = dynamic_cast<const PythonHook*>(e->hook.get())) out[py::str(h->name())] = h->policy();
    return out;
}

void register_policy(py::module_& m) {
    bindings::GilTurn::main_thread = py::module_::import("threading").attr("main_thread")().attr("ident").cast<unsigned long>();
    // A Python policy's exception, kept across the run's threads: re-raised as itself.
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const PythonPolicyError& e) {
            const py::object& v = e.exception->value;
            PyObject* tb = PyException_GetTraceback(v.ptr());
            PyErr_Restore(py::type::handle_of(v).inc_ref().ptr(), v.inc_ref().ptr(), tb);
        }
    });

    py::class_<Verdict>(m, "Verdict",
                        "What a custom policy answers for one attempt. Build one with the static methods:\n"
                        "Verdict.proceed() (no objection; returning None means the same), Verdict.temp_fail(status,\n"
                        "responsible) (4xx: the sender's queue retries), Verdict.reject(status, responsible) (5xx: a\n"
                        "bounce) or Verdict.file(folder, responsible) (accepted into a folder; the rest of the chain is\n"
                        "skipped). Names are the outcome taxonomy's (delivsim.Verdict.statuses etc.).")
        .def_static("proceed", &Verdict::proceed, "No objection: the next policy decides")
        .def_static(
            "temp_fail",
            [](const std::string& status, const std::string& responsible) {
                const auto st = static_cast<Status>(choose("temp_fail status", status, status_names, is_4xx));
                return Verdict::temp_fail(st, responsible_of(responsible), stage_of<ExternalPolicy>);
            },
            py::arg("status") = "greylisted", py::arg("responsible") = "receiver_policy",
            "4xx: the sender retries on its schedule (status: a 4xx reply, by default 451 4.7.1 'greylisted')")
        .def_static(
            "reject",
            [](const std::string& status, const std::string& responsible) {
                const auto st = static_cast<Status>(choose("reject status", status, status_names, is_5xx));
                return Verdict::reject(st, responsible_of(responsible), stage_of<ExternalPolicy>);
            },
            py::arg("status"), py::arg("responsible"), "5xx: bounced, the sender is told (status: a 5xx reply's name)")
        .def_static(
            "file",
            [](const std::string& folder, const std::string& responsible) {
                const auto o = static_cast<Outcome>(choose("file folder", folder, outcome_names, is_folder));
                return Verdict::file(o, responsible_of(responsible), stage_of<ExternalPolicy>);
            },
            py::arg("folder"), py::arg("responsible"),
            "250: accepted into a folder (inbox, rule_moved, spam_folder, quarantined, rule_deleted)")
        .def_property_readonly("action", [](const Verdict& v) { return std::string(action_names[static_cast<int>(v.action)]); })
        .def_property_readonly("folder", [](const Verdict& v) -> std::optional<std::string> {
            if (v.action != Action::file) return std::nullopt;
            return std::string(name(v.folder));
        })
        .def_property_readonly("status", [](const Verdict& v) -> std::optional<std::string> {
            if (v.action != Action::temp_fail && v.action != Action::reject) return std::nullopt;
            return std::string(status_names[static_cast<std::size_t>(v.status)]);
        })
        .def_property_readonly("responsible", [](const Verdict& v) { return std::string(name(v.responsible)); })
        .def("__eq__",
             [](const Verdict& a, const py::object& other) -> py::object {
                 if (!py::isinstance<Verdict>(other)) return py::reinterpret_borrow<py::object>(Py_NotImplemented);
                 const auto& b = other.cast<const Verdict&>();
                 return py::bool_(a.action == b.action && a.folder == b.folder && a.status == b.status &&
                                  a.responsible == b.responsible);
             })
        .def("__hash__", [](const Verdict& v) {
            return py::hash(py::make_tuple(static_cast<int>(v.action), static_cast<int>(v.folder), static_cast<int>(v.status),
                                           static_cast<int>(v.responsible)));
        })
        .def("__repr__", &verdict_repr)
        .def("__reduce__", [](const Verdict& v) {
            return py::make_tuple(py::module_::import("delivsim._pickle").attr("verdict_from_state"),
                                  py::make_tuple(py::make_tuple(static_cast<int>(v.action), static_cast<int>(v.folder),
                                                                static_cast<int>(v.status), static_cast<int>(v.responsible))));
        });
    m.def(
        "_verdict_from_state",
        [](int action, int folder, int status, int responsible) {
            if (action < 0 || action > 3 || folder < 0 || folder >= static_cast<int>(outcome_count) || status < 0 ||
                status >= static_cast<int>(status_count) || responsible < 0 || responsible >= static_cast<int>(responsible_count))
                throw py::value_error("Verdict state: out of range");
            Verdict v;
            v.action = static_cast<Action>(action);
            v.folder = static_cast<Outcome>(folder);
            v.status = static_cast<Status>(status);
            v.responsible = static_cast<Responsible>(responsible);
            v.stage = v.action == Action::proceed ? Stage::none : stage_of<ExternalPolicy>;
            return v;
        },
        py::arg("action"), py::arg("folder"), py::arg("status"), py::arg("responsible"));
    m.attr("status_names") = py::tuple(py::cast(std::vector<std::string>(status_names.begin(), status_names.end())));
    m.attr("responsible_names") =
        py::tuple(py::cast(std::vector<std::string>(responsible_names.begin(), responsible_names.end())));
    m.attr("phase_names") = py::tuple(py::cast(std::vector<std::string>(phase_names.begin(), phase_names.end())));
    m.attr("stage_names") = py::tuple(py::cast(std::vector<std::string>(stage_names.begin(), stage_names.end())));
    // The built-in policies, from the policy registry: the views' phase table derives from it.
    py::list types;
    for (const PolicyInfo& p : policy_infos) {
        py::dict d;
        d["type"] = std::string(p.type);
        d["phase"] = p.phase ? py::object(py::str(std::string(phase_names[static_cast<std::size_t>(*p.phase)])))
                             : py::object(py::none());
        d["stage"] = p.stage.empty() ? py::object(py::none()) : py::object(py::str(std::string(p.stage)));
        d["judges_spam"] = p.judges_spam;
        d["scored"] = p.scored;
        types.append(std::move(d));
    }
    m.attr("policy_types") = py::tuple(types);

    py::class_<PolicyMessage>(m, "PolicyMessage", "A message's facts, as a custom policy sees them (read-only)")
        .def_property_readonly("index", [](const PolicyMessage& p) { return p.m.index; })
        .def_property_readonly("sender_class", [](const PolicyMessage& p) { return p.sender_class; })
        .def_property_readonly("profile", [](const PolicyMessage& p) { return p.profile; })
        .def_property_readonly("legit", [](const PolicyMessage& p) { return p.m.legit; })
        .def_property_readonly("address_error", [](const PolicyMessage& p) {
            return std::string(address_error_names[static_cast<std::size_t>(p.m.address_error)]);
        })
        .def_property_readonly("ip_listed", [](const PolicyMessage& p) { return p.m.ip_listed; })
        .def_property_readonly("has_attachment", [](const PolicyMessage& p) { return p.m.has_attachment; })
        .def_property_readonly("dmarc", [](const PolicyMessage& p) {
            return std::string(dmarc_result_names[static_cast<std::size_t>(p.m.dmarc)]);
        })
        .def_property_readonly("size_bytes", [](const PolicyMessage& p) { return p.m.size_bytes; })
        .def_property_readonly("content_score", [](const PolicyMessage& p) { return p.m.content_score; })
        .def_property_readonly("spf", [](const PolicyMessage& p) {
            return std::string(auth_result_names[static_cast<std::size_t>(p.m.auth.spf)]);
        }, "SPF's result (RFC 8601 names)")
        .def_property_readonly("spf_aligned", [](const PolicyMessage& p) { return p.m.auth.spf_aligned; },
                               "SPF's domain aligns with the From domain")
        .def_property_readonly("dkim", [](const PolicyMessage& p) {
            py::list out;
            for (std::uint8_t i = 0; i < p.m.auth.dkim_count; ++i)
                out.append(py::make_tuple(std::string(auth_result_names[static_cast<std::size_t>(p.m.auth.dkim[i].result)]),
                                          p.m.auth.dkim[i].aligned));
            return out;
        }, "Each DKIM signature's (result, aligned with From)")
        .def_property_readonly("dmarc_result", [](const PolicyMessage& p) {
            return std::string(auth_result_names[static_cast<std::size_t>(p.m.auth.dmarc)]);
        }, "DMARC's result: none (no record), pass, fail, temperror or permerror")
        .def_property_readonly("dmarc_policy", [](const PolicyMessage& p) {
            return std::string(dmarc_policy_fact_names[static_cast<std::size_t>(p.m.auth.dmarc_policy)]);
        }, "The DMARC policy that applied: no_record, none, quarantine or reject")
        .def_property_readonly("ptr", [](const PolicyMessage& p) {
            return std::string(reverse_dns_names[static_cast<std::size_t>(p.m.transport.ptr)]);
        }, "Reverse DNS of the sending IP: fcrdns, no_ptr, unconfirmed or temperror")
        .def_property_readonly("tls", [](const PolicyMessage& p) { return p.m.transport.tls; })
        .def_property_readonly("list_unsubscribe", [](const PolicyMessage& p) {
            return std::string(list_unsubscribe_names[static_cast<std::size_t>(p.m.transport.list_unsubscribe)]);
        }, "none, header (RFC 2369) or one_click (RFC 8058)")
        .def_property_readonly("bulk", [](const PolicyMessage& p) { return p.m.transport.bulk; },
                               "The sender counts as a bulk sender at this receiver")
        .def_property_readonly("indirect", [](const PolicyMessage& p) -> py::object {
            const AuthResults& a = p.m.auth;
            if (!a.has(AuthResults::forwarded)) return py::none();
            py::dict d;
            d["via"] = a.has(AuthResults::via_mailing_list) ? "mailing_list" : "forwarder";
            d["envelope_rewritten"] = a.has(AuthResults::envelope_rewritten);
            d["from_rewritten"] = a.has(AuthResults::from_rewritten);
            d["arc_sealed"] = a.has(AuthResults::arc_sealed);
            d["arc_dmarc_pass"] = a.has(AuthResults::arc_dmarc_pass);
            d["arc_honoured"] = a.has(AuthResults::arc_honoured);
            return std::move(d);
        }, "None, or how the message came through a forwarder or mailing list (docs/forwarding.md)")
        .def("__repr__", [](const PolicyMessage& p) {
            return "<message " + std::to_string(p.m.index) + ": class " + p.sender_class + " -> " + p.profile + ", " +
                   std::to_string(p.m.size_bytes) + " bytes, DMARC " +
                   std::string(dmarc_result_names[static_cast<std::size_t>(p.m.dmarc)]) + ", content score " +
                   std::string(py::repr(py::float_(p.m.content_score))) + (p.m.has_attachment ? ", attachment" : "") + ">";
        });

    py::class_<PolicyAttempt>(m, "PolicyAttempt", "One delivery attempt that reached an MX host (read-only)")
        .def_property_readonly("index", [](const PolicyAttempt& p) { return p.a.index; })
        .def_property_readonly("time_s", [](const PolicyAttempt& p) { return p.a.time_s; })
        .def_property_readonly("host", [](const PolicyAttempt& p) { return p.host; })
        .def("__repr__", [](const PolicyAttempt& p) {
            return "<attempt " + std::to_string(p.a.index) + " at t=" + std::string(py::repr(py::float_(p.a.time_s))) +
                   " s on " + p.host + ">";
        });

    py::class_<ExternalDraws>(m, "PolicyRng",
                              "A custom policy's own random draws for one message: uniform(k) is a pure function of\n"
                              "(seed, message index, policy name, k), the same on every attempt and for any thread count")
        .def("uniform", &ExternalDraws::uniform, py::arg("k"), "Draw k, uniform on the open interval (0, 1)")
        .def_property_readonly("seed", &ExternalDraws::seed)
        .def_property_readonly("message_index", &ExternalDraws::message_index)
        .def("__repr__", [](const ExternalDraws& d) {
            return "<PolicyRng seed " + std::to_string(d.seed()) + ", message " + std::to_string(d.message_index()) + ">";
        });
}
