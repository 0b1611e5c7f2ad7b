#pragma once
// Loading and validating scenario files. Every rule a file can break gives a ScenarioError
// naming the JSON path: unknown keys, NaN or infinite numbers, negative sizes, probabilities
// outside [0, 1], empty mixtures and weights that do not sum to 1 are errors, never defaults.
#include <delivsim/scenario/scenario.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace delivsim {

inline constexpr std::string_view scenario_format = "delivsim-scenario/1";

inline Scenario parse_scenario(const json& doc) {
    const Field root(doc, "");
    // The format first: a file from a later version should hear that, not "unknown key".
    if (root["format"].string() != scenario_format)
        root["format"].fail("'" + root["format"].string() + "' is not a supported format (expected '" +
                            std::string(scenario_format) + "')");
    root.allow_keys({"format", "name", "description", "retry", "sender_classes", "recipient_profiles"});
    Scenario s;
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
        s.classes.push_back(SenderClass::parse(c));
        unique_name(seen, c["name"]);
        cw.emplace_back(c["weight"], s.classes.back().weight);
    }
    s.class_cdf = mixture_cdf(root["sender_classes"], cw);

    ParseContext ctx{s.class_names()};
    seen.clear();
    std::vector<std::pair<Field, double>> pw;
    for (const Field& p : root["recipient_profiles"].items()) {
        p.allow_keys({"name", "description", "weight", "mx", "implicit_mx", "dead_destination", "policies"});
        BasicProfile<PolicyChain> prof;
        prof.name = unique_name(seen, p["name"]);
        if (p.has("description")) prof.description = p["description"].string();
        prof.weight = p["weight"].non_negative();
        prof.routing = MxRouting::parse(p);
        prof.policies = PolicyChain::parse(p["policies"], ctx);
        pw.emplace_back(p["weight"], prof.weight);
        s.profiles.push_back(std::move(prof));
    }
    s.profile_cdf = mixture_cdf(root["recipient_profiles"], pw);
    s.attempt_times = s.retry.attempt_times();
    s.document = doc;
    return s;
}

namespace detail {

// Watches the parser: a key repeated within one object is an error (nlohmann would keep the
// last silently), and so is nesting deeper than any scenario needs (it guards the stack).
class StrictJsonReader {
public:
    static constexpr int max_depth = 64;

    bool operator()(int depth, json::parse_event_t event, json& parsed) {
        using E = json::parse_event_t;
        switch (event) {
            case E::object_start:
            case E::array_start:
                if (depth >= max_depth)
                    throw ScenarioError(path(), "nested deeper than " + std::to_string(max_depth) + " levels");
                stack_.push_back({event == E::object_start, {}, 0, {}});
                break;
            case E::key: {
                Frame& top = stack_.back();
                top.key = parsed.get<std::string>();
                if (!top.keys.insert(top.key).second) {
                    const std::string where = path();
                    throw ScenarioError(where.empty() ? top.key : where + "." + top.key,
                                        "duplicate key '" + top.key + "'");
                }
                break;
            }
            case E::object_end:
            case E::array_end:
                stack_.pop_back();
                element_done();
                break;
            case E::value: element_done(); break;
        }
        return true;
    }

private:
    struct Frame {
        bool object;
        std::string key;
        std::size_t index;
        std::set<std::string> keys;
    };
    void element_done() {
        if (!stack_.empty() && !stack_.back().object) ++stack_.back().index;
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
    std::vector<Frame> stack_;
};

}  // namespace detail

// Parses scenario text; a syntax error is reported with its line and column.
inline Scenario parse_scenario_text(const std::string& text, const std::string& source = "scenario") {
    json doc;
    try {
        doc = json::parse(text, detail::StrictJsonReader{});
    } catch (const json::exception& e) {
        std::string what = e.what();
        // nlohmann's message: "[json.exception.parse_error.101] parse error at line 3, column 5: ..."
        const auto close = what.find("] ");
        throw ScenarioError(source, "not valid JSON: " + (close == std::string::npos ? what : what.substr(close + 2)));
    }
    return parse_scenario(doc);
}

inline Scenario load_scenario(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw ScenarioError(path, "is a directory, not a scenario file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ScenarioError(path, "cannot be opened for reading");
    std::ostringstream text;
    text << in.rdbuf();
    return parse_scenario_text(text.str(), path);
}

}  // namespace delivsim
