#pragma once
// Loading and validating scenario files. Every rule a file can break gives a ScenarioError
// naming the JSON path: unknown keys, NaN or infinite numbers, negative sizes, probabilities
// outside [0, 1], empty mixtures and weights that do not sum to 1 are errors, never defaults.
#include <delivsim/core/files.hpp>
#include <delivsim/scenario/scenario.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace delivsim {

inline constexpr std::string_view scenario_format = "delivsim-scenario/1";
// Memory one results table (Tally) may take; a run holds one per thread plus one.
inline constexpr int max_tally_mib = 1024;

// `hooks`: the custom policies ({"type": "python", ...}) the file may name (see policy/external.hpp).
inline Scenario parse_scenario(const json& doc, const ExternalHooks* hooks = nullptr) {
    const Field root(doc, "");
    // The format first: a file from a later version should hear that, not "unknown key".
    if (root["format"].string() != scenario_format)
        root["format"].fail("'" + root["format"].string() + "' is not a supported format (expected '" +
                            std::string(scenario_format) + "')");
    root.allow_keys({"format", "name", "description", "retry", "dns", "sender_classes", "recipient_profiles"});
    Scenario s;
    // The simulated DNS that zone-based sender authentication evaluates (dns/zone.hpp format);
    // its errors are re-rooted at "dns".
    if (root.has("dns")) {
        root["dns"].expect_object();
        try {
            s.dns = std::make_shared<const dns::Zone>(dns::parse_zone(doc["dns"]));
        } catch (const ScenarioError& e) {
            throw ScenarioError(e.path().empty() ? "dns" : e.path()[0] == '[' ? "dns" + e.path() : "dns." + e.path(),
                                e.rule());
        }
    }
    s.name = root["name"].name();
    if (root.has("description")) s.description = root["description"].string();
    s.retry = RetrySchedule::parse(root["retry"]);

    auto unique_name = [](std::set<std::string>& seen, const Field& f) {
        std::string n = f.name();
        if (!seen.insert(n).second) f.fail("duplicate name '" + n + "'");
        return n;
    };

    std::set<std::string> seen;
    std::vector<std::pair<Field, double>> cw;
    for (const Field& c : root["sender_classes"].items()) {
        s.classes.push_back(SenderClass::parse(c, s.dns));
        unique_name(seen, c["name"]);
        cw.emplace_back(c["weight"], s.classes.back().weight);
    }
    s.class_cdf = mixture_cdf(root["sender_classes"], cw);

    ParseContext ctx{s.class_names(), hooks, {}, {}};
    seen.clear();
    std::vector<std::pair<Field, double>> pw;
    for (const Field& p : root["recipient_profiles"].items()) {
        p.allow_keys({"name", "description", "weight", "mx", "implicit_mx", "dead_destination", "policies"});
        BasicProfile<PolicyChain> prof;
        prof.name = unique_name(seen, p["name"]);
        if (p.has("description")) prof.description = p["description"].string();
        prof.weight = p["weight"].non_negative();
        prof.routing = MxRouting::parse(p);
        ctx.profile = prof.name;
        ctx.mx_hosts.clear();
        for (const auto& h : prof.routing.hosts()) ctx.mx_hosts.push_back(h.host);
        prof.policies = PolicyChain::parse(p["policies"], ctx);
        pw.emplace_back(p["weight"], prof.weight);
        s.profiles.push_back(std::move(prof));
    }
    s.profile_cdf = mixture_cdf(root["recipient_profiles"], pw);
    s.attempt_times = s.retry.attempt_times();
    // Results are kept in fixed-size tallies (see results/tally.hpp); refuse a scenario whose
    // tally alone would exhaust memory, rather than failing to allocate mid-run.
    const double cells = static_cast<double>(s.classes.size()) * static_cast<double>(s.profiles.size());
    const double mib = 8.0 / (1 << 20) *
                       (cells * (outcome_count + status_count + responsible_count + stage_count) +
                        static_cast<double>(s.classes.size() + s.profiles.size()) * outcome_count *
                            static_cast<double>(s.attempt_times.size()));
    if (mib > max_tally_mib)
        root.fail("the results of " + std::to_string(s.classes.size()) + " sender classes x " +
                  std::to_string(s.profiles.size()) + " profiles over " + std::to_string(s.attempt_times.size()) +
                  " attempts would need " + std::to_string(static_cast<long long>(mib)) + " MiB per results table, more than " +
                  std::to_string(max_tally_mib) + " MiB: use fewer classes, profiles or retry attempts");
    s.document = doc;
    return s;
}

namespace detail {

// A SAX handler that builds the document with nlohmann's own DOM builder and also refuses a
// key repeated within one object (nlohmann would keep the last silently) and nesting deeper
// than any scenario needs (it guards the stack). SAX rather than nlohmann's parser callback,
// whose end_object rescans the parent container: quadratic in a list of 10^5 profiles.
class StrictJsonReader {
public:
    static constexpr std::size_t max_depth = 64;
    using dom_builder = nlohmann::detail::json_sax_dom_parser<json>;

    explicit StrictJsonReader(json& doc) : dom_(doc) {}

    bool null() { return done(dom_.null()); }
    bool boolean(bool v) { return done(dom_.boolean(v)); }
    bool number_integer(json::number_integer_t v) { return done(dom_.number_integer(v)); }
    bool number_unsigned(json::number_unsigned_t v) { return done(dom_.number_unsigned(v)); }
    bool number_float(json::number_float_t v, const json::string_t& text) { return done(dom_.number_float(v, text)); }
    bool string(json::string_t& v) { return done(dom_.string(v)); }
    bool binary(json::binary_t& v) { return done(dom_.binary(v)); }

    bool start_object(std::size_t n) { return open(true) && dom_.start_object(n); }
    bool start_array(std::size_t n) { return open(false) && dom_.start_array(n); }
    bool end_object() { return close() && dom_.end_object(); }
    bool end_array() { return close() && dom_.end_array(); }

    bool key(json::string_t& k) {
        Frame& top = stack_.back();
        top.key = k;
        if (!top.keys.insert(k).second) {
            const std::string where = path();
            throw ScenarioError(where.empty() ? k : where + "." + k, "duplicate key '" + k + "'");
        }
        return dom_.key(k);
    }

    template <class Exception>
    bool parse_error(std::size_t position, const std::string& last_token, const Exception& e) {
        return dom_.parse_error(position, last_token, e);  // throws e
    }

private:
    struct Frame {
        bool object;
        std::string key;
        std::size_t index;
        std::set<std::string> keys;
    };
    bool open(bool object) {
        if (stack_.size() >= max_depth)
            throw ScenarioError(path(), "nested deeper than " + std::to_string(max_depth) + " levels");
        stack_.push_back({object, {}, 0, {}});
        return true;
    }
    bool close() {
        stack_.pop_back();
        return done(true);
    }
    // A value was completed: in an array, the next one has the next index.
    bool done(bool ok) {
        if (!stack_.empty() && !stack_.back().object) ++stack_.back().index;
        return ok;
    }
    // Path of the innermost open container, in the error messages' syntax.
    std::string path() const {
        std::string p;
        for (std::size_t i = 0; i + 1 < stack_.size(); ++i) {
            if (stack_[i].object) p += (p.empty() ? "" : ".") + stack_[i].key;
            else p += "[" + std::to_string(stack_[i].index) + "]";
        }
        return p;
    }
    dom_builder dom_;
    std::vector<Frame> stack_;
};

// Reads JSON text through StrictJsonReader (duplicate keys and depth refused); a syntax
// error becomes a ScenarioError on `source` with its line and column. Scenario, zone and
// world files all come through here.
inline json parse_json_text(const std::string& text, const std::string& source) {
    json doc;
    try {
        StrictJsonReader reader(doc);
        json::sax_parse(text, &reader);
    } catch (const json::exception& e) {
        std::string what = e.what();
        // nlohmann's message: "[json.exception.parse_error.101] parse error at line 3, column 5: ..."
        const auto close = what.find("] ");
        throw ScenarioError(source, "not valid JSON: " + (close == std::string::npos ? what : what.substr(close + 2)));
    } catch (const std::bad_alloc&) {
        throw ScenarioError(source, "too large to parse in the memory available");
    }
    return doc;
}

}  // namespace detail

// Parses scenario text; a syntax error is reported with its line and column.
inline Scenario parse_scenario_text(const std::string& text, const std::string& source = "scenario",
                                    const ExternalHooks* hooks = nullptr) {
    return parse_scenario(detail::parse_json_text(text, source), hooks);
}

// A scenario or world file's text: a regular file (not a FIFO or device), at most
// max_input_file_bytes.
inline std::string read_document_file(const std::string& path) {
    if (path.find('\0') != std::string::npos) throw ScenarioError("path", "contains a NUL character");
    return read_regular_file(path, max_input_file_bytes, [&](const std::string& rule) -> std::string {
        throw ScenarioError(path, rule);
    });
}

inline Scenario load_scenario(const std::string& path, const ExternalHooks* hooks = nullptr) {
    return parse_scenario_text(read_document_file(path), path, hooks);
}

}  // namespace delivsim
