#pragma once
// Loading and validating scenario files. Every rule a file can break gives a ScenarioError
// naming the JSON path: unknown keys, NaN or infinite numbers, negative sizes, probabilities
// outside [0, 1], empty mixtures and weights that do not sum to 1 are errors, never defaults.
#include <delivsim/scenario/presets.hpp>
#include <delivsim/scenario/scenario.hpp>

#include <delivsim/core/json.hpp>

#include <algorithm>
#include <set>
#include <string>

namespace delivsim {

inline constexpr std::string_view scenario_format = "delivsim-scenario/1";
// Memory one results table (Tally) may take; a run holds one per thread plus one.
inline constexpr int max_tally_mib = 1024;

// A preset's policies and a profile's own, merged in phase order (the preset's first within a
// phase); a policy type the profile gives itself replaces the preset's.
inline PolicyChain merge_preset(const PolicyChain& preset, const PolicyChain& own) {
    std::vector<AnyPolicy> kept;
    for (const AnyPolicy& p : preset.policies) {
        bool replaced = false;
        for (const AnyPolicy& o : own.policies) replaced = replaced || label(o) == label(p);
        if (!replaced) kept.push_back(p);
    }
    PolicyChain out;
    std::size_t i = 0, j = 0;
    while (i < kept.size() || j < own.policies.size()) {
        const bool take_preset =
            j == own.policies.size() || (i < kept.size() && phase(kept[i]) <= phase(own.policies[j]));
        out.policies.push_back(take_preset ? kept[i++] : own.policies[j++]);
    }
    return out;
}

// Completes the classes' forwarding once the profiles are known: the profile named by "to",
// and which receivers trust the intermediary's ARC seal.
inline void resolve_forwarding(Scenario& s, const Field& root) {
    const auto classes = root["sender_classes"].items();
    for (std::size_t i = 0; i < s.classes.size(); ++i) {
        Forwarding* w = s.classes[i].forwarding_for_load();
        if (!w) continue;
        if (!w->to.empty()) {
            const Field c = classes[i];
            const Field to = (c.has("authentication") ? c["authentication"] : c["auth_results"])["forwarded"]["to"];
            const auto names = s.profile_names();
            const auto it = std::find(names.begin(), names.end(), w->to);
            if (it == names.end()) {
                std::string valid;
                for (const auto& n : names) valid += (valid.empty() ? "" : ", ") + n;
                to.fail("'" + w->to + "' is not a recipient profile (valid: " + valid + ")");
            }
            w->to_profile = static_cast<std::int32_t>(it - names.begin());
        }
        w->arc_trusted_by_profile.assign(s.profiles.size(), 0);
        for (std::size_t p = 0; p < s.profiles.size(); ++p)
            for (const auto& n : s.profiles[p].trusted_arc_sealers)
                if (w->arc && n == w->domain) w->arc_trusted_by_profile[p] = 1;
    }
}

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
        p.allow_keys({"name", "description", "weight", "mx", "implicit_mx", "dead_destination", "preset", "policies", "folders",
                      "trusted_arc_sealers"});
        BasicProfile<PolicyChain> prof;
        prof.name = unique_name(seen, p["name"]);
        if (p.has("description")) prof.description = p["description"].string();
        prof.weight = p["weight"].non_negative();
        prof.routing = MxRouting::parse(p);
        ctx.profile = prof.name;
        ctx.mx_hosts.clear();
        for (const auto& h : prof.routing.hosts()) ctx.mx_hosts.push_back(h.host);
        if (p.has("preset")) {
            prof.preset = static_cast<int>(p["preset"].choice(provider_preset_names));
            const json preset = preset_policies(static_cast<std::size_t>(prof.preset));
            const PolicyChain from_preset = PolicyChain::parse(Field(preset, p["preset"].path()), ctx);
            const PolicyChain own = p.has("policies") ? PolicyChain::parse(p["policies"], ctx) : PolicyChain{};
            prof.policies = merge_preset(from_preset, own);
        } else {
            prof.policies = PolicyChain::parse(p["policies"], ctx);
        }
        if (p.has("folders")) prof.folders = FolderHandling::parse(p["folders"]);
        if (p.has("trusted_arc_sealers"))
            for (const Field& d : p["trusted_arc_sealers"].items()) {
                std::string n = parse_domain_name(d);
                bool seals = false;
                for (const auto& c : s.classes)
                    if (const Forwarding* w = c.forwarding()) seals = seals || (w->arc && w->domain == n);
                if (!seals) {
                    std::string sealers;
                    for (const auto& c : s.classes)
                        if (const Forwarding* w = c.forwarding(); w && w->arc)
                            sealers += (sealers.empty() ? "" : ", ") + w->domain;
                    d.fail("no forwarder or mailing list of the sender classes seals with '" + n + "' (ARC sealers: " +
                           (sealers.empty() ? "none" : sealers) + ")");
                }
                prof.trusted_arc_sealers.push_back(n);
            }
        pw.emplace_back(p["weight"], prof.weight);
        s.profiles.push_back(std::move(prof));
    }
    s.profile_cdf = mixture_cdf(root["recipient_profiles"], pw);
    resolve_forwarding(s, root);
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


// Parses scenario text; a syntax error is reported with its line and column.
inline Scenario parse_scenario_text(const std::string& text, const std::string& source = "scenario",
                                    const ExternalHooks* hooks = nullptr) {
    return parse_scenario(parse_json(text, source), hooks);
}

inline Scenario load_scenario(const std::string& path, const ExternalHooks* hooks = nullptr) {
    return parse_scenario(read_json_file(path), hooks);
}

}  // namespace delivsim
