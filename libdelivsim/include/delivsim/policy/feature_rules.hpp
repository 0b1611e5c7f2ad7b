#pragma once
// SpamAssassin-style rules: a predicate on one feature (core/features.hpp) and the score it
// adds when it fires. An additive score is the sum of the fired rules' scores, optionally
// plus the message's drawn content score (so rules can refine the class's content model).
//   "rules": [{"name": "MANY_LINKS", "feature": "links", "op": ">=", "value": 10, "score": 1.5},
//             {"name": "MACRO_DOC", "feature": "attachment=office_macro", "op": "==", "value": 1, "score": 4}]
#include <delivsim/core/features.hpp>
#include <delivsim/core/json.hpp>

#include <string>
#include <vector>

namespace delivsim {

struct FeatureRule {
    enum class Op : std::uint8_t { gt, ge, lt, le, eq, ne };
    static constexpr std::array<std::string_view, 6> op_names{">", ">=", "<", "<=", "==", "!="};
    std::string name;
    FeatureId feature = FeatureId::links;
    Op op = Op::ge;
    double value = 0;
    double score = 0;

    bool fires(const Message& m) const noexcept {
        const double x = feature_value(m, feature);
        switch (op) {
            case Op::gt: return x > value;
            case Op::ge: return x >= value;
            case Op::lt: return x < value;
            case Op::le: return x <= value;
            case Op::eq: return x == value;
            case Op::ne: return x != value;
        }
        return false;
    }

    static FeatureRule parse(const Field& f) {
        f.allow_keys({"name", "feature", "op", "value", "score"});
        FeatureRule r;
        r.name = f["name"].name();
        const std::string feat = f["feature"].string();
        const auto id = feature_by_name(feat);
        if (!id) f["feature"].fail("unknown feature '" + feat + "' (known: " + feature_name_list() + ")");
        r.feature = *id;
        r.op = static_cast<Op>(f["op"].choice(op_names));
        r.value = f["value"].number();
        r.score = f["score"].number();
        return r;
    }
};

struct AdditiveScore {
    std::vector<FeatureRule> rules;
    bool content_score = false;  // add the message's drawn content score

    double score(const Message& m) const noexcept {
        double s = content_score ? m.content_score : 0.0;
        for (const FeatureRule& r : rules)
            if (r.fires(m)) s += r.score;
        return s;
    }

    // Reads "rules" and "content_score" of a policy object; at least one must give a score.
    static AdditiveScore parse(const Field& f) {
        AdditiveScore a;
        if (f.has("rules")) {
            for (const Field& r : f["rules"].items()) {
                a.rules.push_back(FeatureRule::parse(r));
                for (std::size_t i = 0; i + 1 < a.rules.size(); ++i)
                    if (a.rules[i].name == a.rules.back().name) r["name"].fail("duplicate rule name '" + a.rules.back().name + "'");
            }
        }
        if (f.has("content_score")) a.content_score = f["content_score"].boolean();
        if (a.rules.empty() && !a.content_score)
            f.fail("no score: give \"rules\" (a non-empty list) or \"content_score\": true");
        return a;
    }
};

}  // namespace delivsim
