// _core.Tally: the integer aggregates of a run. Merging is exact (+), the report is the
// library's JSON, and pickling stores the raw counts so a Tally round-trips bit-identically.
#include <delivsim/results/report.hpp>
#include <delivsim/results/tally.hpp>

#include <pybind11/numpy.h>
#include <pybind11/operators.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <bit>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace py = pybind11;
using delivsim::Tally;

namespace {

using Counts = std::vector<std::uint64_t>;

// Pickle state, laid out like Tally's own arrays (cell = class * profiles + profile):
// (format, classes, profiles, attempt_times, outcome, status, responsible, stage, decided_at).
constexpr int state_format = 1;
using State = std::tuple<int, std::vector<std::string>, std::vector<std::string>, std::vector<double>, Counts, Counts,
                         Counts, Counts, Counts>;

template <class Kind, class Get>
Counts per_cell(const Tally& t, std::size_t kinds, Get get) {
    Counts v;
    for (std::size_t c = 0; c < t.classes().size(); ++c)
        for (std::size_t p = 0; p < t.profiles().size(); ++p)
            for (std::size_t k = 0; k < kinds; ++k) v.push_back(get(static_cast<Kind>(k), c, p));
    return v;
}

State tally_state(const Tally& t) {
    using namespace delivsim;
    return {state_format, t.classes(), t.profiles(), t.attempt_times(), t.outcome_counts(),
            per_cell<Status>(t, status_count, [&](Status s, std::size_t c, std::size_t p) { return t.status(s, c, p); }),
            per_cell<Responsible>(t, responsible_count,
                                  [&](Responsible r, std::size_t c, std::size_t p) { return t.responsible(r, c, p); }),
            per_cell<Stage>(t, stage_count, [&](Stage s, std::size_t c, std::size_t p) { return t.stage(s, c, p); }),
            t.decided_at_counts()};
}

// Rebuilds a Tally from its state through record() and +=, the only ways Tally can be filled.
// INTERIM: replace by a Tally constructor from raw counts once tally.hpp has one.
// Within one cell, records may pair outcomes, statuses, responsibles and stages in any order
// and still reproduce every array exactly: each array counts one field per record. Records
// sharing all fields are added by binary doubling, so the cost is logarithmic in the counts.
Tally tally_from_state(const State& st) {
    using namespace delivsim;
    const auto& [format, classes, profiles, times, outcome, status, responsible, stage, decided_at] = st;
    if (format != state_format) throw std::invalid_argument("Tally state: unknown format " + std::to_string(format));
    const std::size_t cells = classes.size() * profiles.size(), n = times.size();
    if (n == 0 || outcome.size() != cells * outcome_count || status.size() != cells * status_count ||
        responsible.size() != cells * responsible_count || stage.size() != cells * stage_count ||
        decided_at.size() != cells * outcome_count * n)
        throw std::invalid_argument("Tally state: array sizes do not match the classes, profiles and attempts");

    struct Record {
        Message m;
        Fate f;
        std::uint64_t count;
    };
    std::vector<Record> records;
    for (std::size_t cell = 0; cell < cells; ++cell) {
        // One field's values in this cell as (value, count) runs.
        struct Runs {
            std::vector<std::pair<std::size_t, std::uint64_t>> runs;
            std::size_t at = 0;
            std::uint64_t total = 0;
            explicit Runs(const Counts& v, std::size_t from, std::size_t width) {
                for (std::size_t k = 0; k < width; ++k)
                    if (v[from + k] > 0) runs.emplace_back(k, v[from + k]), total += v[from + k];
            }
        };
        Runs o(decided_at, cell * outcome_count * n, outcome_count * n), s(status, cell * status_count, status_count),
            r(responsible, cell * responsible_count, responsible_count), g(stage, cell * stage_count, stage_count);
        for (std::size_t k = 0; k < outcome_count; ++k) {
            std::uint64_t sum = 0;
            for (std::size_t i = 0; i < n; ++i) sum += decided_at[(cell * outcome_count + k) * n + i];
            if (sum != outcome[cell * outcome_count + k])
                throw std::invalid_argument("Tally state: outcome counts disagree with decision times");
        }
        if (s.total != o.total || r.total != o.total || g.total != o.total)
            throw std::invalid_argument("Tally state: per-field totals disagree");
        while (o.at < o.runs.size()) {
            const std::uint64_t k = std::min({o.runs[o.at].second, s.runs[s.at].second, r.runs[r.at].second,
                                              g.runs[g.at].second});
            Record rec{};
            rec.m.sender_class = static_cast<std::uint32_t>(cell / profiles.size());
            rec.m.profile = static_cast<std::uint32_t>(cell % profiles.size());
            rec.f.outcome = static_cast<Outcome>(o.runs[o.at].first / n);
            rec.f.attempt = static_cast<std::uint32_t>(o.runs[o.at].first % n);
            rec.f.status = static_cast<Status>(s.runs[s.at].first);
            rec.f.responsible = static_cast<Responsible>(r.runs[r.at].first);
            rec.f.stage = static_cast<Stage>(g.runs[g.at].first);
            rec.count = k;
            records.push_back(rec);
            for (Runs* x : {&o, &s, &r, &g})
                if ((x->runs[x->at].second -= k) == 0) ++x->at;
        }
    }

    Tally t(classes, profiles, times);
    std::uint64_t most = 0;
    for (const auto& rec : records) most = std::max(most, rec.count);
    for (int bit = std::bit_width(most) - 1; bit >= 0; --bit) {
        t += Tally(t);
        for (const auto& rec : records)
            if ((rec.count >> bit) & 1) t.record(rec.m, rec.f);
    }
    return t;
}

}  // namespace

void register_results(py::module_& m) {
    // The outcome taxonomy in its defined order (the JSON report's objects are key-sorted).
    m.attr("outcome_names") =
        py::tuple(py::cast(std::vector<std::string>(delivsim::outcome_names.begin(), delivsim::outcome_names.end())));

    py::class_<Tally>(m, "Tally")
        .def_property_readonly("messages", &Tally::messages)
        .def_property_readonly("class_names", [](const Tally& t) { return t.classes(); })
        .def_property_readonly("profile_names", [](const Tally& t) { return t.profiles(); })
        .def_property_readonly("attempt_times", [](const Tally& t) { return t.attempt_times(); })
        // Merging tallies of different scenarios throws std::invalid_argument: ValueError.
        .def(py::self + py::self)
        .def(py::self += py::self)
        .def(py::self == py::self)
        .def(
            "report_json",
            [](const Tally& t, const std::string& scenario_name, std::uint64_t seed) {
                return delivsim::report_json(t, scenario_name, seed).dump();
            },
            py::arg("scenario_name"), py::arg("seed"), "The full report (counts, rates with 95% CIs...) as JSON text")
        .def(
            "acceptance_histogram",
            [](const Tally& t) {
                const auto h = t.acceptance_histogram();
                return py::array_t<std::uint64_t>(static_cast<py::ssize_t>(h.size()), h.data());
            },
            "Accepted messages by delivery attempt (see attempt_times)")
        .def(py::pickle(&tally_state, &tally_from_state));
}
